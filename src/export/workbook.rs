//! `summary.xlsx`: the tables of `summary.md` as an Excel workbook, numbers as numbers with
//! number formats, frozen headers, fitted columns, and native Excel charts of the deck charts
//! Excel can draw, so a chart pasted into a slide stays editable. Rendered in memory
//! (rust_xlsxwriter); the same results give the same bytes (fixed creation date, fixed zip
//! timestamps).

use rust_xlsxwriter::{
    Chart, ChartAxisLabelPosition, ChartErrorBars, ChartErrorBarsType, ChartFormat,
    ChartLegendPosition, ChartLine, ChartMarker, ChartMarkerType, ChartRange, ChartSolidFill,
    ChartType, Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet, XlsxError,
};

use super::per_trial;
use super::tables::{self, Cell, Kind, Table};
use crate::charts::bridge::won_split;
use crate::charts::canvas::design_colour;
use crate::engine::TrialMatrix;
use crate::metrics::Metric;
use crate::results::Results;
use crate::sensitivity::Tornado;
use crate::sweep::Sweep;

pub const FILE_NAME: &str = "summary.xlsx";

/// The sheet that holds the helper ranges the charts draw from.
const DATA: &str = "Chart data";
/// The first row of a table: a title row, a note row and a blank row above it.
const HEADER_ROW: u32 = 3;
/// Excel's row limit, less the rows above a table.
const MAX_ROWS: usize = 1_048_576 - 8;
/// Charts a little under a slide's proportions, in pixels.
const CHART_W: u32 = 960;
const CHART_H: u32 = 540;

/// Number formats, made once per workbook from the scenario's currency.
struct Formats {
    title: Format,
    note: Format,
    wrap: Format,
    header: Format,
    header_text: Format,
    money: Format,
    signed: Format,
    percent: Format,
    count: Format,
    fixed1: Format,
    fixed3: Format,
    plain: Format,
    text_right: Format,
}

impl Formats {
    fn new(currency: &str) -> Formats {
        // The currency code as a literal prefix: `USD 1,234,567`.
        let code: String = currency
            .chars()
            .filter(|c| c.is_alphanumeric())
            .take(8)
            .collect();
        let pre = if code.is_empty() {
            String::new()
        } else {
            format!("\"{code} \"")
        };
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Right)
            .set_align(FormatAlign::Top)
            .set_border_bottom(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new().set_font_color(0x5f5f5f),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            header_text: header.clone().set_align(FormatAlign::Left),
            header,
            money: Format::new().set_num_format(format!("{pre}#,##0;{pre}-#,##0")),
            signed: Format::new().set_num_format(format!("{pre}+#,##0;{pre}-#,##0;{pre}0")),
            percent: Format::new().set_num_format("0.0%"),
            count: Format::new().set_num_format("#,##0"),
            fixed1: Format::new().set_num_format("0.0"),
            fixed3: Format::new().set_num_format("0.000"),
            plain: Format::new().set_num_format("General"),
            text_right: Format::new().set_align(FormatAlign::Right),
        }
    }

    fn of(&self, cell: &Cell) -> &Format {
        match cell {
            Cell::Money(_) => &self.money,
            Cell::Signed(_) | Cell::Interval { signed: true, .. } => &self.signed,
            Cell::Interval { .. } => &self.money,
            Cell::Percent(_) => &self.percent,
            Cell::Count(_) => &self.count,
            Cell::Fixed(_, 1) => &self.fixed1,
            Cell::Fixed(..) => &self.fixed3,
            Cell::Plain(_) | Cell::Text(_) => &self.plain,
        }
    }
}

/// A table's place on its sheet, for charts to refer to.
struct Placed {
    sheet: String,
    /// Row of the first data row.
    first: u32,
    /// Sheet column of each table column (an interval column takes three).
    cols: Vec<u16>,
    rows: usize,
}

impl Placed {
    fn last(&self) -> u32 {
        self.first + self.rows.max(1) as u32 - 1
    }
    /// The range of table column `c` over the data rows.
    fn range(&self, c: usize) -> (&str, u32, u16, u32, u16) {
        (
            self.sheet.as_str(),
            self.first,
            self.cols[c],
            self.last(),
            self.cols[c],
        )
    }
    /// The header cell of table column `c`.
    fn header(&self, c: usize) -> (&str, u32, u16) {
        (self.sheet.as_str(), HEADER_ROW, self.cols[c])
    }
    /// The row after the table, where charts go.
    fn below(&self) -> u32 {
        self.last() + 3
    }
}

/// Writes `t` on `ws` under a title and a note: headers frozen, columns fitted.
fn put_table(ws: &mut Worksheet, f: &Formats, t: &Table, note: &str) -> Result<Placed, XlsxError> {
    let sheet = ws.name();
    let mut cols = Vec::with_capacity(t.columns.len());
    let mut x: u16 = 0;
    for c in &t.columns {
        cols.push(x);
        let head = if c.kind == Kind::Text {
            &f.header_text
        } else {
            &f.header
        };
        ws.write_string_with_format(HEADER_ROW, x, &c.header, head)?;
        x += 1;
        if c.kind == Kind::Interval {
            ws.write_string_with_format(HEADER_ROW, x, "low (95%)", head)?;
            ws.write_string_with_format(HEADER_ROW, x + 1, "high (95%)", head)?;
            x += 2;
        }
    }
    let first = HEADER_ROW + 1;
    for (i, row) in t.rows.iter().take(MAX_ROWS).enumerate() {
        let r = first + i as u32;
        for (c, cell) in row.iter().enumerate() {
            put_cell(ws, f, r, cols[c], cell, t.columns[c].kind != Kind::Text)?;
        }
    }
    ws.set_autofit_max_width(360);
    ws.autofit();
    // Headers wrap: no column need be as wide as its header, only a little wider than its
    // figures (autofit measured both).
    for (c, col) in t.columns.iter().enumerate() {
        let n = if col.kind == Kind::Interval { 3 } else { 1 };
        for k in 0..n {
            let widest = t
                .rows
                .iter()
                .take(2000)
                .map(|row| display_len(&row[c], k))
                .max()
                .unwrap_or(0);
            let head = if k == 0 {
                longest_word(&col.header)
            } else {
                10
            };
            let chars = widest.max(head).max(8) + 2;
            ws.set_column_width(cols[c] + k as u16, chars.min(60) as f64)?;
        }
    }
    ws.set_row_height(HEADER_ROW, 46)?;
    ws.set_freeze_panes(first, 1)?;
    print_setup(ws, 1);
    ws.write_string_with_format(0, 0, t.title, &f.title)?;
    ws.write_string_with_format(1, 0, note, &f.note)?;
    Ok(Placed {
        sheet,
        first,
        cols,
        rows: t.rows.len().min(MAX_ROWS),
    })
}

/// Printed (and converted to PDF) landscape, one page wide.
fn print_setup(ws: &mut Worksheet, pages_tall: u16) {
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, pages_tall);
}

/// Round axis bounds that hold `lo..hi` and zero, and a round step between ticks (1, 2 or 5
/// times a power of ten, at most 8 steps): Excel does not widen an axis for whiskers.
fn bounds(lo: f64, hi: f64) -> (f64, f64, f64) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let span = (hi - lo).max(1.0);
    let power = 10f64.powf((span / 8.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| span / s <= 8.0)
        .unwrap_or(10.0 * power);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// About how many characters a cell shows (for column widths): `USD 12,345,678`.
fn display_len(cell: &Cell, part: usize) -> usize {
    let money = |x: f64| super::thousands(x).len() + 5;
    match cell {
        Cell::Text(s) if part == 0 => s.chars().count(),
        Cell::Text(_) => 0,
        Cell::Money(x) | Cell::Signed(x) => money(*x) + 1,
        Cell::Interval {
            mean, low, high, ..
        } => money([*mean, *low, *high][part.min(2)]) + 1,
        Cell::Percent(_) => 7,
        Cell::Count(x) => super::thousands(*x).len(),
        Cell::Fixed(x, n) => format!("{x:.n$}").len(),
        Cell::Plain(x) => format!("{x}").len(),
    }
}

fn longest_word(s: &str) -> usize {
    s.split_whitespace()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0)
}

fn put_cell(
    ws: &mut Worksheet,
    f: &Formats,
    r: u32,
    c: u16,
    cell: &Cell,
    right: bool,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) if right => {
            ws.write_string_with_format(r, c, s, &f.text_right)?;
        }
        Cell::Text(s) => {
            ws.write_string(r, c, s)?;
        }
        Cell::Money(x)
        | Cell::Signed(x)
        | Cell::Percent(x)
        | Cell::Count(x)
        | Cell::Fixed(x, _)
        | Cell::Plain(x) => {
            ws.write_number_with_format(r, c, *x, f.of(cell))?;
        }
        Cell::Interval {
            mean, low, high, ..
        } => {
            for (k, v) in [mean, low, high].into_iter().enumerate() {
                ws.write_number_with_format(r, c + k as u16, *v, f.of(cell))?;
            }
        }
    }
    Ok(())
}

/// A long text in merged cells across the sheet's first columns, its row tall enough.
fn put_paragraph(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    text: &str,
    last_col: u16,
) -> Result<(), XlsxError> {
    ws.merge_range(row, 0, row, last_col.max(6), text, &f.wrap)?;
    let width_chars = 12 * (last_col.max(6) as usize + 1);
    let lines = text.chars().count().div_ceil(width_chars).max(1);
    ws.set_row_height(row, 15.0 * lines as f64 + 4.0)?;
    Ok(())
}

fn colour(r: &Results, d: usize) -> Color {
    let c = design_colour(r, d);
    Color::RGB(((c.0 as u32) << 16) | ((c.1 as u32) << 8) | c.2 as u32)
}

fn fill(c: Color) -> ChartFormat {
    let mut f = ChartFormat::new();
    f.set_solid_fill(ChartSolidFill::new().set_color(c));
    f
}

fn line(c: Color, width: f64) -> ChartFormat {
    let mut f = ChartFormat::new();
    f.set_line(ChartLine::new().set_color(c).set_width(width));
    f
}

fn chart(kind: ChartType, title: &str, y_format: &str) -> Chart {
    let mut ch = Chart::new(kind);
    ch.title().set_name(title);
    ch.set_width(CHART_W).set_height(CHART_H);
    // In a bar chart Excel's value axis is the horizontal one.
    if kind == ChartType::Bar {
        ch.x_axis().set_num_format(y_format);
    } else {
        ch.y_axis().set_num_format(y_format);
    }
    ch.legend().set_position(ChartLegendPosition::Bottom);
    ch
}

/// An axis's number format for amounts up to about `max_abs`: `12.5M`, `450k` or `980`.
fn money_axis(max_abs: f64) -> &'static str {
    if max_abs >= 2e6 {
        "#,##0.0,,\"M\""
    } else if max_abs >= 2e3 {
        "#,##0,\"k\""
    } else {
        "#,##0"
    }
}

/// The largest absolute value of `xs`.
fn largest(xs: impl IntoIterator<Item = f64>) -> f64 {
    xs.into_iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// The rows of the "Per trial" sheet: how many there are in all, and the rows in order (read
/// only up to Excel's row limit). The sheet is written in rust_xlsxwriter's constant-memory
/// mode (its rows go to a temporary file as they are written), so a sheet of a million rows
/// costs no memory to speak of.
pub struct PerTrial<'a> {
    pub total: u64,
    pub rows: Box<dyn Iterator<Item = Result<per_trial::Row, String>> + 'a>,
    /// Where the sheet's temporary file goes (the system's temporary folder when `None`, which
    /// may be in memory).
    pub tempdir: Option<std::path::PathBuf>,
}

impl<'a> PerTrial<'a> {
    /// The rows of trials `m`.
    pub fn of_matrix(m: &'a TrialMatrix, metrics: usize) -> PerTrial<'a> {
        let designs = m.designs;
        PerTrial {
            total: m.trials * designs as u64,
            rows: Box::new((0..m.trials as usize * designs).map(move |i| {
                let (t, d) = (i / designs, i % designs);
                Ok(per_trial::Row {
                    trial: m.first_trial + t as u64,
                    design: d,
                    values: m.row(t, d)[..metrics].to_vec(),
                })
            })),
            tempdir: None,
        }
    }
}

/// Renders `summary.xlsx` from the results (and the per-trial rows when given), in memory.
pub fn render(r: &Results, per_trial: Option<&TrialMatrix>) -> Result<Vec<u8>, String> {
    let rows = per_trial.map(|m| PerTrial::of_matrix(m, r.metrics.len()));
    build(r, rows)
        .and_then(|mut wb| wb.save_to_buffer())
        .map_err(|e| format!("cannot build summary.xlsx: {e}"))
}

/// Writes `summary.xlsx` of the results (and the per-trial rows when given) to `out`, without
/// holding the file in memory.
pub fn write<W: std::io::Write + Send>(
    r: &Results,
    per_trial: Option<PerTrial>,
    out: W,
) -> Result<(), String> {
    build(r, per_trial)
        .and_then(|mut wb| wb.save_to_writer(out))
        .map_err(|e| format!("cannot build summary.xlsx: {e}"))
}

fn new_workbook(title: &str) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation date: the same results give the same bytes.
    let props = DocProperties::new()
        .set_title(title)
        .set_author("covsim")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?);
    wb.set_properties(&props);
    Ok(wb)
}

fn facts(r: &Results) -> String {
    format!(
        "Scenario {} · {} · baseline {} · covsim {}",
        r.scenario.name,
        super::facts(r),
        r.baseline,
        r.covsim_version
    )
}

fn build(r: &Results, per_trial: Option<PerTrial>) -> Result<Workbook, XlsxError> {
    let f = Formats::new(&r.scenario.currency);
    let mut wb = new_workbook(&crate::words::run_title(&r.scenario.name))?;
    let note = facts(r);
    let n = r.designs.len();
    let b = r.baseline_index();

    // The helper ranges charts draw from, written first so the charts can name them.
    let mut data = Worksheet::new();
    data.set_name(DATA)?;
    // Block 1 (rows 0..): designs side by side — metric, then per design mean, minus, plus.
    const SIDE: [(&str, &str); 4] = [
        (Metric::Revenue.key(), "Revenue"),
        (Metric::GrossMargin.key(), "Gross margin"),
        (Metric::CostOfSales.key(), "Cost of sales"),
        (Metric::Contribution.key(), "Contribution"),
    ];
    data.write_string_with_format(0, 0, "Designs side by side: mean per trial; the whiskers span the middle 90% of trials (P5 to P95)", &f.title)?;
    data.write_string_with_format(1, 0, "Metric", &f.header_text)?;
    for d in 0..n {
        let c = 1 + 3 * d as u16;
        data.write_string_with_format(1, c, &r.designs[d].name, &f.header)?;
        data.write_string_with_format(1, c + 1, "below (to P5)", &f.header)?;
        data.write_string_with_format(1, c + 2, "above (to P95)", &f.header)?;
        for (i, (key, label)) in SIDE.iter().enumerate() {
            let row = 2 + i as u32;
            data.write_string(row, 0, *label)?;
            let s = r.stat(d, key);
            let mean = s.map_or(0.0, |s| s.mean);
            data.write_number_with_format(row, c, mean, &f.money)?;
            data.write_number_with_format(row, c + 1, mean - s.map_or(0.0, |s| s.p5), &f.money)?;
            data.write_number_with_format(row, c + 2, s.map_or(0.0, |s| s.p95) - mean, &f.money)?;
        }
    }
    // Block 2 (rows 8..): paired contribution differences against the baseline.
    let others: Vec<usize> = (0..n).filter(|&d| d != b).collect();
    let b2 = 8u32;
    data.write_string_with_format(
        b2,
        0,
        format!(
            "Contribution minus {}, paired by trial: mean; whiskers over the middle 90% of trials",
            r.baseline
        ),
        &f.title,
    )?;
    for (c, h) in [
        "Design",
        "Δ contribution",
        "below (to P5)",
        "above (to P95)",
        "95% low",
        "95% high",
        "Trials beating baseline",
    ]
    .iter()
    .enumerate()
    {
        data.write_string_with_format(
            b2 + 1,
            c as u16,
            *h,
            if c == 0 { &f.header_text } else { &f.header },
        )?;
    }
    for (i, &d) in others.iter().enumerate() {
        let row = b2 + 2 + i as u32;
        data.write_string(row, 0, &r.designs[d].name)?;
        if let Some(x) = r.diff(d, Metric::Contribution.key()) {
            let s = &x.diff;
            for (c, v) in [
                s.mean,
                s.mean - s.p5,
                s.p95 - s.mean,
                s.ci95_low,
                s.ci95_high,
            ]
            .into_iter()
            .enumerate()
            {
                data.write_number_with_format(row, 1 + c as u16, v, &f.signed)?;
            }
            data.write_number_with_format(row, 6, x.share_better, &f.percent)?;
        }
    }
    // Block 3: what the business won at list price becomes, per design.
    let b3 = b2 + 4 + others.len() as u32;
    let split0 = if n > 0 { won_split(r, 0) } else { Vec::new() };
    data.write_string_with_format(
        b3,
        0,
        "What the business won at list price becomes: mean per trial",
        &f.title,
    )?;
    data.write_string_with_format(b3 + 1, 0, "Design", &f.header_text)?;
    // Contribution first: the bottom of each stacked column.
    let order: Vec<usize> = (0..split0.len()).rev().collect();
    for (c, &k) in order.iter().enumerate() {
        data.write_string_with_format(b3 + 1, 1 + c as u16, split0[k].0, &f.header)?;
    }
    for d in 0..n {
        let row = b3 + 2 + d as u32;
        data.write_string(row, 0, &r.designs[d].name)?;
        let split = won_split(r, d);
        for (c, &k) in order.iter().enumerate() {
            data.write_number_with_format(row, 1 + c as u16, split[k].1, &f.money)?;
        }
    }
    data.set_column_width(0, 26)?;
    for c in 1..(1 + 3 * n.max(7) as u16) {
        data.set_column_width(c, 16)?;
    }
    data.set_row_height(1, 32)?;
    data.set_row_height(b2 + 1, 32)?;
    data.set_row_height(b3 + 1, 32)?;
    print_setup(&mut data, 1);

    // Sheet 1: the answer, the headline and the two comparison charts.
    let mut ws = Worksheet::new();
    ws.set_name("Headline")?;
    let head = tables::headline(r);
    let placed = put_table(&mut ws, &f, &head, &note)?;
    ws.write_string_with_format(0, 0, crate::words::run_title(&r.scenario.name), &f.title)?;
    // The answer in plain words, where the first sheet opens.
    put_paragraph(
        &mut ws,
        &f,
        2,
        &super::answer(r),
        *placed.cols.last().unwrap_or(&6),
    )?;
    let mut side = chart(
        ChartType::Column,
        &format!(
            "Designs side by side, {} trials: mean, whiskers over the middle 90% of trials",
            super::thousands(r.trials as f64)
        ),
        money_axis(largest(
            (0..n).filter_map(|d| r.stat(d, Metric::Revenue.key()).map(|s| s.p95)),
        )),
    );
    for d in 0..n {
        let c = 1 + 3 * d as u16;
        let bars = ChartErrorBars::new()
            .set_type(ChartErrorBarsType::Custom(
                ChartRange::new_from_range(DATA, 2, c + 2, 5, c + 2),
                ChartRange::new_from_range(DATA, 2, c + 1, 5, c + 1),
            ))
            .clone();
        side.add_series()
            .set_name((DATA, 1, c))
            .set_categories((DATA, 2, 0, 5, 0))
            .set_values((DATA, 2, c, 5, c))
            .set_format(&mut fill(colour(r, d)))
            .set_y_error_bars(&bars);
    }
    let (lo, hi) = (0..n)
        .flat_map(|d| SIDE.iter().filter_map(move |(k, _)| r.stat(d, k)))
        .fold((0.0f64, 0.0f64), |(lo, hi), s| {
            (lo.min(s.p5), hi.max(s.p95))
        });
    let (lo, hi, step) = bounds(lo, hi);
    side.y_axis().set_min(lo).set_max(hi).set_major_unit(step);
    side.y_axis().set_name(&format!(
        "{} over {} months",
        r.scenario.currency, r.scenario.months
    ));
    let at = placed.below();
    ws.insert_chart(at, 0, &side)?;
    if !others.is_empty() {
        let last = b2 + 1 + others.len() as u32;
        let mut diff = chart(
            ChartType::Bar,
            &format!(
                "Contribution minus {}, paired by trial: mean, whiskers over the middle 90% of trials",
                r.baseline
            ),
            money_axis(largest(others.iter().filter_map(|&d| {
                r.diff(d, Metric::Contribution.key()).map(|x| x.diff.p95)
            }))),
        );
        let bars = ChartErrorBars::new()
            .set_type(ChartErrorBarsType::Custom(
                ChartRange::new_from_range(DATA, b2 + 2, 3, last, 3),
                ChartRange::new_from_range(DATA, b2 + 2, 2, last, 2),
            ))
            .clone();
        let points: Vec<rust_xlsxwriter::ChartPoint> = others
            .iter()
            .map(|&d| rust_xlsxwriter::ChartPoint::new().set_format(&mut fill(colour(r, d))))
            .collect();
        diff.add_series()
            .set_name((DATA, b2 + 1, 1))
            .set_categories((DATA, b2 + 2, 0, last, 0))
            .set_values((DATA, b2 + 2, 1, last, 1))
            .set_points(&points)
            .set_x_error_bars(&bars);
        diff.legend().set_hidden();
        diff.y_axis()
            .set_reverse()
            .set_label_position(ChartAxisLabelPosition::Low);
        let (lo, hi) = others
            .iter()
            .filter_map(|&d| r.diff(d, Metric::Contribution.key()))
            .fold((0.0f64, 0.0f64), |(lo, hi), x| {
                (lo.min(x.diff.p5), hi.max(x.diff.p95))
            });
        let (lo, hi, step) = bounds(lo, hi);
        diff.x_axis().set_min(lo).set_max(hi).set_major_unit(step);
        diff.x_axis()
            .set_name(&format!("Δ contribution, {}", r.scenario.currency));
        ws.insert_chart(at + 29, 0, &diff)?;
    }
    wb.push_worksheet(ws);

    // Where the money goes: the bridge table and the split of the won business.
    let mut ws = Worksheet::new();
    ws.set_name("Where the money goes")?;
    let t = tables::metrics(r, "Where the money goes", tables::BRIDGE);
    let placed = put_table(&mut ws, &f, &t, &note)?;
    if n > 0 && !split0.is_empty() {
        let mut st = chart(
            ChartType::ColumnStacked,
            "What the business won at list price becomes, by design (mean per trial)",
            money_axis(largest(
                (0..n).map(|d| won_split(r, d).iter().map(|x| x.1).sum::<f64>()),
            )),
        );
        let grey = [
            0x009e73, 0xd55e00, 0xe69f00, 0xcc79a7, 0x56b4e9, 0x8c8c8c, 0xf0e442, 0x0072b2,
        ];
        for c in 0..order.len() {
            let col = 1 + c as u16;
            let colour = if c == 0 {
                0x0072b2
            } else {
                grey[c % grey.len()]
            };
            st.add_series()
                .set_name((DATA, b3 + 1, col))
                .set_categories((DATA, b3 + 2, 0, b3 + 1 + n as u32, 0))
                .set_values((DATA, b3 + 2, col, b3 + 1 + n as u32, col))
                .set_format(&mut fill(Color::RGB(colour)))
                .set_gap(60);
        }
        st.legend().set_position(ChartLegendPosition::Right);
        st.y_axis().set_name(&format!(
            "{} over {} months",
            r.scenario.currency, r.scenario.months
        ));
        ws.insert_chart(placed.below(), 0, &st)?;
    }
    wb.push_worksheet(ws);

    let mut ws = Worksheet::new();
    ws.set_name("Activity")?;
    put_table(
        &mut ws,
        &f,
        &tables::metrics(r, "Activity and productivity", tables::ACTIVITY),
        &note,
    )?;
    wb.push_worksheet(ws);

    let mut ws = Worksheet::new();
    ws.set_name("Productivity by role")?;
    put_table(&mut ws, &f, &tables::roles(r), &note)?;
    wb.push_worksheet(ws);

    let mut ws = Worksheet::new();
    ws.set_name("By tier")?;
    put_table(&mut ws, &f, &tables::tiers(r), &note)?;
    wb.push_worksheet(ws);

    if let Some(t) = tables::months(r) {
        let mut ws = Worksheet::new();
        ws.set_name("Months")?;
        let placed = put_table(&mut ws, &f, &t, &note)?;
        let mut monthly = chart(
            ChartType::Line,
            "Contribution month by month, mean per trial",
            money_axis(largest(
                r.monthly
                    .iter()
                    .flat_map(|m| m.metrics.get(crate::metrics::monthly::CONTRIBUTION))
                    .flat_map(|x| x.months.iter().map(|b| b.mean)),
            )),
        );
        for d in 0..n {
            monthly
                .add_series()
                .set_name(placed.header(1 + d))
                .set_categories(placed.range(0))
                .set_values(placed.range(1 + d))
                .set_format(&mut line(colour(r, d), 2.25));
        }
        monthly
            .x_axis()
            .set_name("Month")
            .set_label_position(ChartAxisLabelPosition::Low);
        monthly.y_axis().set_name(r.scenario.currency.as_str());
        let at = placed.below();
        ws.insert_chart(at, 0, &monthly)?;
        if !others.is_empty() {
            let mut cum = chart(
                ChartType::Line,
                &format!(
                    "Cumulative contribution minus {}'s, paired by trial (mean)",
                    r.baseline
                ),
                money_axis(largest(
                    r.monthly
                        .iter()
                        .flat_map(|m| m.cumulative_vs_baseline.iter().map(|b| b.mean)),
                )),
            );
            for (i, &d) in others.iter().enumerate() {
                let c = 1 + n + i;
                cum.add_series()
                    .set_name(placed.header(c))
                    .set_categories(placed.range(0))
                    .set_values(placed.range(c))
                    .set_format(&mut line(colour(r, d), 2.25));
            }
            cum.x_axis()
                .set_name("Month")
                .set_label_position(ChartAxisLabelPosition::Low);
            cum.y_axis().set_name(r.scenario.currency.as_str());
            ws.insert_chart(at + 29, 0, &cum)?;
        }
        wb.push_worksheet(ws);
    }

    if let Some(rows) = per_trial {
        if let Some(dir) = &rows.tempdir {
            wb.set_tempdir(dir)?;
        }
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name("Per trial")?;
        put_per_trial(ws, &f, r, rows, &note)?;
    }

    wb.push_worksheet(data);
    Ok(wb)
}

/// One row per trial and design, one column per metric (the first rows Excel can hold),
/// written top to bottom (constant-memory mode: a row cannot be written after a later one).
fn put_per_trial(
    ws: &mut Worksheet,
    f: &Formats,
    r: &Results,
    rows: PerTrial,
    note: &str,
) -> Result<(), XlsxError> {
    let k = r.metrics.len();
    let total = rows.total;
    let shown = total.min(MAX_ROWS as u64);
    ws.write_string_with_format(0, 0, "Per trial: one row per trial and design", &f.title)?;
    let more = if shown < total {
        format!(" · the first {shown} of {total} rows (Excel's limit); per_trial.csv has them all")
    } else {
        String::new()
    };
    ws.write_string_with_format(1, 0, format!("{note}{more}"), &f.note)?;
    ws.set_column_width(0, 8)?;
    ws.set_column_width(1, 22)?;
    for j in 0..k {
        ws.set_column_width(2 + j as u16, 16)?;
    }
    ws.set_row_height(HEADER_ROW, 46)?;
    ws.set_freeze_panes(HEADER_ROW + 1, 2)?;
    ws.write_string_with_format(HEADER_ROW, 0, "Trial", &f.header)?;
    ws.write_string_with_format(HEADER_ROW, 1, "Design", &f.header_text)?;
    for (j, def) in r.metrics.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, 2 + j as u16, &def.key, &f.header)?;
    }
    for (row, item) in (HEADER_ROW + 1..).zip(rows.rows.take(shown as usize)) {
        let item = item
            .and_then(|i| match i.values.len() >= k {
                true => Ok(i),
                false => Err(format!(
                    "a row of trial {} has {} values, not {k}",
                    i.trial,
                    i.values.len()
                )),
            })
            .map_err(|e| XlsxError::IoError(std::io::Error::other(e)))?;
        ws.write_number(row, 0, item.trial as f64)?;
        ws.write_string(row, 1, &r.designs[item.design].name)?;
        for (j, def) in r.metrics.iter().enumerate() {
            let fmt = match def.unit {
                crate::metrics::Unit::Ratio => &f.fixed3,
                crate::metrics::Unit::Count => &f.count,
                _ => &f.money,
            };
            ws.write_number_with_format(row, 2 + j as u16, item.values[j], fmt)?;
        }
    }
    print_setup(ws, 0);
    Ok(())
}

/// `summary.xlsx` of a sweep: the points, and contribution against the swept value per design.
pub fn sweep(s: &Sweep, sentences: &[String]) -> Result<Vec<u8>, String> {
    build_sweep(s, sentences).map_err(|e| format!("cannot build summary.xlsx: {e}"))
}

fn build_sweep(s: &Sweep, sentences: &[String]) -> Result<Vec<u8>, XlsxError> {
    let Some(first) = s.points.first() else {
        return new_workbook("empty sweep")?.save_to_buffer();
    };
    let r0 = &first.results;
    let f = Formats::new(&r0.scenario.currency);
    let mut wb = new_workbook(&crate::words::sweep_title(&r0.scenario.name, &s.param))?;
    let n = r0.designs.len();
    let mut rows = Vec::new();
    for p in &s.points {
        for (d, design) in p.results.designs.iter().enumerate() {
            let [contribution, delta, share] =
                tables::headline_cells(&p.results, d, ("baseline", "–"));
            rows.push(vec![
                Cell::Plain(p.value),
                Cell::Text(design.name.clone()),
                contribution,
                delta,
                share,
            ]);
        }
    }
    let t = Table {
        title: "Sweep",
        columns: vec![
            tables::Column {
                header: s.param.clone(),
                kind: Kind::Number,
            },
            tables::Column {
                header: "Design".into(),
                kind: Kind::Text,
            },
            tables::Column {
                header: "Contribution".into(),
                kind: Kind::Interval,
            },
            tables::Column {
                header: "Δ contribution vs baseline".into(),
                kind: Kind::Interval,
            },
            tables::Column {
                header: "Trials beating baseline".into(),
                kind: Kind::Number,
            },
        ],
        rows,
    };
    let note = format!(
        "Scenario {} · {} trials per point · seed {} · the same random events at every point · amounts in {} over {} months",
        r0.scenario.name,
        super::thousands(r0.trials as f64),
        r0.seed,
        r0.scenario.currency,
        r0.scenario.months
    );
    let mut ws = Worksheet::new();
    ws.set_name("Sweep")?;
    let placed = put_table(&mut ws, &f, &t, &note)?;
    ws.write_string_with_format(
        0,
        0,
        crate::words::sweep_title(&r0.scenario.name, &s.param),
        &f.title,
    )?;
    let text = if sentences.is_empty() {
        crate::words::NO_BREAK_EVEN.to_string()
    } else {
        sentences
            .iter()
            .map(|x| format!("Break-even: {}.", x.replace('`', "")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    put_paragraph(&mut ws, &f, 2, &text, *placed.cols.last().unwrap_or(&6))?;

    // Wide data: the swept value, then each design's mean contribution.
    let mut data = Worksheet::new();
    data.set_name(DATA)?;
    data.write_string_with_format(0, 0, "Mean contribution per trial at each value", &f.title)?;
    data.write_string_with_format(1, 0, &s.param, &f.header)?;
    for (d, design) in r0.designs.iter().enumerate() {
        data.write_string_with_format(1, 1 + d as u16, &design.name, &f.header)?;
    }
    for (i, p) in s.points.iter().enumerate() {
        let row = 2 + i as u32;
        data.write_number(row, 0, p.value)?;
        for d in 0..n {
            let v = p
                .results
                .stat(d, Metric::Contribution.key())
                .map_or(0.0, |x| x.mean);
            data.write_number_with_format(row, 1 + d as u16, v, &f.money)?;
        }
    }
    data.set_column_width(0, 24)?;
    for d in 0..n {
        data.set_column_width(1 + d as u16, 18)?;
    }
    data.set_row_height(1, 32)?;
    print_setup(&mut data, 1);
    let last = 1 + s.points.len() as u32;
    let mut ch = chart(
        ChartType::ScatterStraightWithMarkers,
        &format!(
            "Contribution by design as {} varies (mean per trial)",
            s.param
        ),
        money_axis(largest(s.points.iter().flat_map(|p| {
            (0..n).filter_map(|d| {
                p.results
                    .stat(d, Metric::Contribution.key())
                    .map(|x| x.mean)
            })
        }))),
    );
    for d in 0..n {
        let c = 1 + d as u16;
        ch.add_series()
            .set_name((DATA, 1, c))
            .set_categories((DATA, 2, 0, last, 0))
            .set_values((DATA, 2, c, last, c))
            .set_format(&mut line(colour(r0, d), 2.25))
            .set_marker(
                ChartMarker::new()
                    .set_type(ChartMarkerType::Circle)
                    .set_format(&mut fill(colour(r0, d))),
            );
    }
    ch.x_axis().set_name(s.param.as_str());
    ch.y_axis()
        .set_name(&format!("Contribution, {}", r0.scenario.currency));
    ws.insert_chart(placed.below(), 0, &ch)?;
    wb.push_worksheet(ws);
    wb.push_worksheet(data);
    wb.save_to_buffer()
}

/// `summary.xlsx` of a sensitivity study: the swings, ranked, and the tornado.
pub fn tornado(t: &Tornado, answer: &str) -> Result<Vec<u8>, String> {
    build_tornado(t, answer).map_err(|e| format!("cannot build summary.xlsx: {e}"))
}

fn build_tornado(t: &Tornado, answer: &str) -> Result<Vec<u8>, XlsxError> {
    let r = &t.results;
    let f = Formats::new(&r.scenario.currency);
    let mut wb = new_workbook(&crate::words::tornado_title(&r.scenario.name))?;
    let num = |h: &str| tables::Column {
        header: h.into(),
        kind: Kind::Number,
    };
    let rows = t
        .swings
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                Cell::Plain((i + 1) as f64),
                Cell::Text(s.path.clone()),
                Cell::Plain(s.low),
                Cell::Plain(s.high),
                Cell::Signed(s.at_low),
                Cell::Signed(s.at_high),
                Cell::Money(s.width()),
                Cell::Signed(s.at_low - t.base),
                Cell::Signed(s.at_high - t.base),
            ]
        })
        .collect();
    let table = Table {
        title: "Tornado",
        columns: vec![
            num("Rank"),
            tables::Column {
                header: "Input".into(),
                kind: Kind::Text,
            },
            num("Low"),
            num("High"),
            num("At low"),
            num("At high"),
            num("Swing"),
            num("Change at low"),
            num("Change at high"),
        ],
        rows,
    };
    let note = format!(
        "Scenario {} · {} trials per run · seed {} · each input swung from low to high, the others at their medians · {} with every input at its median: {} {}",
        r.scenario.name,
        super::thousands(r.trials as f64),
        r.seed,
        t.figure,
        super::signed(t.base),
        r.scenario.currency
    );
    let mut ws = Worksheet::new();
    ws.set_name("Tornado")?;
    let placed = put_table(&mut ws, &f, &table, &note)?;
    ws.write_string_with_format(
        0,
        0,
        crate::words::tornado_title(&r.scenario.name),
        &f.title,
    )?;
    put_paragraph(&mut ws, &f, 2, answer, *placed.cols.last().unwrap_or(&6))?;
    if !t.swings.is_empty() {
        let mut ch = chart(
            ChartType::Bar,
            &format!(
                "What moves the {}: change from the medians as each input swings",
                t.figure
            ),
            money_axis(largest(
                t.swings
                    .iter()
                    .flat_map(|s| [s.at_low - t.base, s.at_high - t.base]),
            )),
        );
        for (c, colour) in [(7, 0xd55e00u32), (8, 0x0072b2)] {
            ch.add_series()
                .set_name(placed.header(c))
                .set_categories(placed.range(1))
                .set_values(placed.range(c))
                .set_format(&mut fill(Color::RGB(colour)))
                .set_overlap(100)
                .set_gap(40);
        }
        ch.y_axis()
            .set_reverse()
            .set_label_position(ChartAxisLabelPosition::Low);
        ch.x_axis()
            .set_name(&format!("Change, {}", r.scenario.currency));
        ws.insert_chart(placed.below(), 0, &ch)?;
    }
    wb.push_worksheet(ws);
    wb.save_to_buffer()
}
