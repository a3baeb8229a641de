//! The drawing layer every chart shares: a 1920×1080 canvas in pixel coordinates, text in the
//! embedded font, the palette, linear scales with round ticks, and the frame (title, subtitle,
//! legend, footer) that makes each chart read on a projected slide.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, RGBAColor};

use super::ChartError;
use crate::results::Results;
use crate::stats::Stats;

pub const WIDTH: u32 = 1920;
pub const HEIGHT: u32 = 1080;
/// Left and right page margin.
pub const MARGIN: i32 = 64;
/// The font family every chart asks for; `super::register_fonts` maps it to DejaVu Sans.
pub const FAMILY: &str = "sans-serif";

pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const MUTED: RGBColor = RGBColor(0x5f, 0x5f, 0x5f);
pub const FAINT: RGBColor = RGBColor(0x8a, 0x8a, 0x8a);
pub const RULE: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);
pub const WHITE_BG: RGBColor = RGBColor(0xff, 0xff, 0xff);

/// The baseline is always this neutral grey, so it reads as "what we have today".
pub const BASELINE: RGBColor = RGBColor(0x8c, 0x8c, 0x8c);
/// Okabe–Ito colours (colour-blind safe), in the order designs receive them.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xb2), // blue
    RGBColor(0xe6, 0x9f, 0x00), // orange
    RGBColor(0x00, 0x9e, 0x73), // bluish green
    RGBColor(0xd5, 0x5e, 0x00), // vermillion
    RGBColor(0xcc, 0x79, 0xa7), // reddish purple
    RGBColor(0x56, 0xb4, 0xe9), // sky blue
    RGBColor(0xf0, 0xe4, 0x42), // yellow
];

/// The fixed colour of design `d`: grey for the baseline, then the palette in design order.
pub fn design_colour(r: &Results, d: usize) -> RGBColor {
    let b = r.baseline_index();
    if d == b {
        return BASELINE;
    }
    let rank = if d > b { d - 1 } else { d };
    PALETTE[rank % PALETTE.len()]
}

/// A design's name, marked when it is the baseline.
pub fn design_label(r: &Results, d: usize) -> String {
    if d == r.baseline_index() {
        format!("{} (baseline)", r.designs[d].name)
    } else {
        r.designs[d].name.clone()
    }
}

pub fn tint(c: RGBColor, alpha: f64) -> RGBAColor {
    c.mix(alpha)
}

/// A text style: size in pixels, weight and colour.
#[derive(Clone, Copy)]
pub struct Font {
    pub size: f64,
    pub bold: bool,
    pub colour: RGBColor,
}

pub const TITLE: Font = Font {
    size: 48.0,
    bold: true,
    colour: INK,
};
pub const SUBTITLE: Font = Font {
    size: 28.0,
    bold: false,
    colour: MUTED,
};
pub const LABEL: Font = Font {
    size: 28.0,
    bold: false,
    colour: INK,
};
pub const LABEL_BOLD: Font = Font {
    size: 28.0,
    bold: true,
    colour: INK,
};
pub const TICK: Font = Font {
    size: 24.0,
    bold: false,
    colour: MUTED,
};
pub const VALUE: Font = Font {
    size: 22.0,
    bold: false,
    colour: INK,
};
pub const FOOTER: Font = Font {
    size: 20.0,
    bold: false,
    colour: FAINT,
};

impl Font {
    pub fn with_colour(self, colour: RGBColor) -> Font {
        Font { colour, ..self }
    }
    pub fn sized(self, size: f64) -> Font {
        Font { size, ..self }
    }
    fn style(&self, anchor: (HPos, VPos)) -> TextStyle<'static> {
        // `FontDesc::style` keeps the regular glyphs; a bold face must be looked up anew.
        let style = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        FontDesc::new(FontFamily::Name(FAMILY), self.size, style)
            .color(&self.colour)
            .pos(Pos::new(anchor.0, anchor.1))
    }
}

pub type Anchor = (HPos, VPos);
pub const LEFT_TOP: Anchor = (HPos::Left, VPos::Top);
pub const LEFT_MID: Anchor = (HPos::Left, VPos::Center);
pub const RIGHT_MID: Anchor = (HPos::Right, VPos::Center);
pub const CENTRE_TOP: Anchor = (HPos::Center, VPos::Top);
pub const CENTRE_MID: Anchor = (HPos::Center, VPos::Center);
pub const CENTRE_BOTTOM: Anchor = (HPos::Center, VPos::Bottom);
pub const LEFT_BOTTOM: Anchor = (HPos::Left, VPos::Bottom);

/// A rectangle of the canvas, in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn width(&self) -> i32 {
        self.x1 - self.x0
    }
    pub fn height(&self) -> i32 {
        self.y1 - self.y0
    }
}

/// Pixel drawing on a plotters drawing area, whatever its backend (SVG or bitmap).
pub struct Canvas<'a, DB: DrawingBackend> {
    pub area: &'a DrawingArea<DB, plotters::coord::Shift>,
}

fn fail<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

pub type Drawn = Result<(), ChartError>;

impl<DB: DrawingBackend> Canvas<'_, DB> {
    pub fn text(&self, s: &str, at: (i32, i32), font: Font, anchor: Anchor) -> Drawn {
        self.area
            .draw(&Text::new(s.to_string(), at, font.style(anchor)))
            .map_err(fail)
    }

    /// Text written upwards (turned a quarter left), starting at `at` and centred across it.
    pub fn text_up(&self, s: &str, at: (i32, i32), font: Font) -> Drawn {
        let style = font
            .style(LEFT_MID)
            .transform(plotters::style::FontTransform::Rotate270);
        self.area
            .draw(&Text::new(s.to_string(), at, style))
            .map_err(fail)
    }

    /// Width and height of `s` in pixels.
    pub fn measure(&self, s: &str, font: Font) -> (i32, i32) {
        self.area
            .estimate_text_size(s, &font.style(LEFT_TOP))
            .map(|(w, h)| (w as i32, h as i32))
            .unwrap_or((0, 0))
    }

    /// `s`, shortened with an ellipsis until it fits in `max_width` pixels.
    pub fn fit(&self, s: &str, font: Font, max_width: i32) -> String {
        if self.measure(s, font).0 <= max_width {
            return s.to_string();
        }
        let chars: Vec<char> = s.chars().collect();
        for keep in (1..chars.len()).rev() {
            let t: String = chars[..keep].iter().chain(['…'].iter()).collect();
            if self.measure(&t, font).0 <= max_width {
                return t;
            }
        }
        "…".to_string()
    }

    /// `s`, shortened in the middle with an ellipsis until it fits in `max_width` pixels, so
    /// that its start and its end, where names most often differ, both stay readable.
    pub fn fit_middle(&self, s: &str, font: Font, max_width: i32) -> String {
        if self.measure(s, font).0 <= max_width {
            return s.to_string();
        }
        let chars: Vec<char> = s.chars().collect();
        for keep in (1..chars.len()).rev() {
            let head = keep.div_ceil(2);
            let tail = keep - head;
            let t: String = chars[..head]
                .iter()
                .chain(['…'].iter())
                .chain(chars[chars.len() - tail..].iter())
                .collect();
            if self.measure(&t, font).0 <= max_width {
                return t;
            }
        }
        "…".to_string()
    }

    /// A name on one line, or on two split after a `_` or at a space where it does not fit on
    /// one (the split that makes the longer line shortest); only a line that still does not fit
    /// is shortened, in the middle.
    pub fn wrap(&self, s: &str, font: Font, max_width: i32) -> Vec<String> {
        if self.measure(s, font).0 <= max_width {
            return vec![s.to_string()];
        }
        let splits = s.char_indices().filter_map(|(i, ch)| match ch {
            '_' => Some((s[..=i].to_string(), s[i + 1..].to_string())),
            ' ' => Some((s[..i].to_string(), s[i + 1..].to_string())),
            _ => None,
        });
        let best = splits
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .min_by_key(|(a, b)| self.measure(a, font).0.max(self.measure(b, font).0));
        match best {
            Some((a, b)) => vec![
                self.fit_middle(&a, font, max_width),
                self.fit_middle(&b, font, max_width),
            ],
            None => vec![self.fit_middle(s, font, max_width)],
        }
    }

    /// The lines of [`Canvas::wrap`] drawn one under the other, anchored as a block at `at`
    /// (its middle line at `at` for a centred anchor, its first line for a top anchor).
    pub fn lines(&self, lines: &[String], at: (i32, i32), font: Font, anchor: Anchor) -> Drawn {
        let step = (font.size * 1.22).round() as i32;
        let n = lines.len() as i32;
        let first = match anchor.1 {
            VPos::Top => at.1,
            VPos::Bottom => at.1 - step * (n - 1),
            VPos::Center => at.1 - step * (n - 1) / 2,
        };
        for (i, line) in lines.iter().enumerate() {
            self.text(line, (at.0, first + step * i as i32), font, anchor)?;
        }
        Ok(())
    }

    pub fn fill(&self, r: Rect, colour: impl Into<RGBAColor>) -> Drawn {
        let (x0, x1) = (r.x0.min(r.x1), r.x0.max(r.x1));
        let (y0, y1) = (r.y0.min(r.y1), r.y0.max(r.y1));
        self.area
            .draw(&Rectangle::new(
                [(x0, y0), (x1.max(x0 + 1), y1.max(y0 + 1))],
                colour.into().filled(),
            ))
            .map_err(fail)
    }

    pub fn outline(&self, r: Rect, colour: impl Into<RGBAColor>, width: u32) -> Drawn {
        self.area
            .draw(&Rectangle::new(
                [(r.x0, r.y0), (r.x1, r.y1)],
                ShapeStyle::from(colour.into()).stroke_width(width),
            ))
            .map_err(fail)
    }

    pub fn line(&self, from: (i32, i32), to: (i32, i32), colour: RGBColor, width: u32) -> Drawn {
        self.area
            .draw(&PathElement::new(
                vec![from, to],
                ShapeStyle::from(colour).stroke_width(width),
            ))
            .map_err(fail)
    }

    pub fn dot(&self, at: (i32, i32), radius: i32, colour: RGBColor, filled: bool) -> Drawn {
        let style = if filled {
            colour.filled()
        } else {
            ShapeStyle::from(colour).stroke_width(3)
        };
        self.area
            .draw(&Circle::new(at, radius, style))
            .map_err(fail)
    }

    pub fn diamond(&self, (x, y): (i32, i32), r: i32, colour: RGBColor) -> Drawn {
        self.area
            .draw(&Polygon::new(
                vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
                colour.filled(),
            ))
            .map_err(fail)
    }

    /// A band between an upper and a lower line: `(x, _, low, high)` points, left to right,
    /// filled with `colour` at opacity `alpha`.
    pub fn band(&self, pts: &[(i32, i32, i32, i32)], colour: RGBColor, alpha: f64) -> Drawn {
        let mut outline: Vec<(i32, i32)> = pts.iter().map(|p| (p.0, p.3)).collect();
        outline.extend(pts.iter().rev().map(|p| (p.0, p.2)));
        self.area
            .draw(&Polygon::new(outline, tint(colour, alpha).filled()))
            .map_err(fail)
    }

    /// A line through `pts`.
    pub fn polyline(&self, pts: &[(i32, i32)], colour: RGBColor, width: u32) -> Drawn {
        self.area
            .draw(&PathElement::new(
                pts.to_vec(),
                ShapeStyle::from(colour).stroke_width(width),
            ))
            .map_err(fail)
    }

    /// A dashed vertical line at `x` from `y0` down to `y1`.
    pub fn v_dashed(&self, x: i32, y0: i32, y1: i32, colour: RGBColor) -> Drawn {
        let mut y = y0;
        while y < y1 {
            self.line((x, y), (x, (y + 14).min(y1)), colour, 2)?;
            y += 24;
        }
        Ok(())
    }

    /// A horizontal whisker from `x0` to `x1` at `y` with end caps of half-height `cap`.
    pub fn h_whisker(&self, x0: i32, x1: i32, y: i32, cap: i32, colour: RGBColor, w: u32) -> Drawn {
        self.line((x0, y), (x1, y), colour, w)?;
        self.line((x0, y - cap), (x0, y + cap), colour, w)?;
        self.line((x1, y - cap), (x1, y + cap), colour, w)
    }

    /// A vertical whisker from `y0` to `y1` at `x` with end caps of half-width `cap`.
    pub fn v_whisker(&self, x: i32, y0: i32, y1: i32, cap: i32, colour: RGBColor, w: u32) -> Drawn {
        self.line((x, y0), (x, y1), colour, w)?;
        self.line((x - cap, y0), (x + cap, y0), colour, w)?;
        self.line((x - cap, y1), (x + cap, y1), colour, w)
    }

    /// White page, title, subtitle and footer; returns the area left for the chart.
    pub fn frame(&self, r: &Results, title: &str, subtitle: &str) -> Result<Rect, ChartError> {
        let footer = format!(
            "covsim {} · scenario {} · {} trials · seed {} · baseline {} · {} over {} months",
            r.covsim_version,
            r.scenario.name,
            group_thousands(r.trials),
            r.seed,
            r.baseline,
            r.scenario.currency,
            r.scenario.months
        );
        self.page(title, subtitle, &footer)
    }

    /// White page, title, subtitle and the given footer; returns the area left for the chart.
    pub fn page(&self, title: &str, subtitle: &str, footer: &str) -> Result<Rect, ChartError> {
        self.area.fill(&WHITE_BG).map_err(fail)?;
        let inner = WIDTH as i32 - 2 * MARGIN;
        self.text(
            &self.fit(title, TITLE, inner),
            (MARGIN, 36),
            TITLE,
            LEFT_TOP,
        )?;
        self.text(
            &self.fit(subtitle, SUBTITLE, inner),
            (MARGIN, 104),
            SUBTITLE,
            LEFT_TOP,
        )?;
        self.text(
            &self.fit(footer, FOOTER, inner),
            (MARGIN, HEIGHT as i32 - 24),
            FOOTER,
            LEFT_BOTTOM,
        )?;
        Ok(Rect {
            x0: MARGIN,
            y0: 160,
            x1: WIDTH as i32 - MARGIN,
            y1: HEIGHT as i32 - 64,
        })
    }

    /// A row of colour swatches with design names starting at `(x, y)`; returns its height.
    pub fn legend(&self, r: &Results, x: i32, y: i32) -> Result<i32, ChartError> {
        let mut cx = x;
        for d in 0..r.designs.len() {
            let label = design_label(r, d);
            self.fill(
                Rect {
                    x0: cx,
                    y0: y + 4,
                    x1: cx + 28,
                    y1: y + 30,
                },
                design_colour(r, d),
            )?;
            self.text(&label, (cx + 40, y + 17), LABEL, LEFT_MID)?;
            cx += 40 + self.measure(&label, LABEL).0 + 48;
        }
        Ok(34)
    }

    /// A message in the middle of `area`, for charts with nothing to show.
    pub fn empty(&self, area: Rect, message: &str) -> Drawn {
        self.text(
            message,
            ((area.x0 + area.x1) / 2, (area.y0 + area.y1) / 2),
            LABEL.with_colour(MUTED),
            CENTRE_MID,
        )
    }
}

/// The layout of a chart with one row per design: names on the left, a horizontal value axis in
/// the middle, two lines of text per row in a column on the right.
pub struct Rows {
    pub plot: Rect,
    pub x: Scale,
    pub row_h: i32,
    /// Where the right-hand text column starts.
    pub text_x: i32,
}

/// What a row chart shows besides its rows.
pub struct RowsSpec<'a> {
    pub labels: &'a [String],
    /// Every value the axis must cover.
    pub values: &'a [f64],
    pub with_zero: bool,
    pub tick: fn(f64) -> String,
    pub axis_title: &'a str,
    pub text_title: &'a str,
    pub text_width: i32,
}

impl Rows {
    /// Vertical centre of row `i`.
    pub fn centre(&self, i: usize) -> i32 {
        self.plot.y0 + self.row_h * i as i32 + self.row_h / 2
    }

    /// Two lines of text (bold, then muted) beside row `i`.
    pub fn text<DB: DrawingBackend>(
        &self,
        c: &Canvas<DB>,
        i: usize,
        first: &str,
        second: &str,
    ) -> Drawn {
        let cy = self.centre(i);
        c.text(first, (self.text_x, cy - 18), LABEL_BOLD, LEFT_MID)?;
        c.text(
            second,
            (self.text_x, cy + 20),
            LABEL.with_colour(MUTED),
            LEFT_MID,
        )
    }
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    /// Lays out a row chart in `body` and draws its axis, grid, titles and row labels.
    pub fn rows(&self, body: Rect, spec: &RowsSpec) -> Result<Rows, ChartError> {
        let widest = |l: &String| {
            self.wrap(l, LABEL_BOLD, 460)
                .iter()
                .map(|line| self.measure(line, LABEL_BOLD).0)
                .max()
                .unwrap_or(0)
        };
        let label_w = spec
            .labels
            .iter()
            .map(widest)
            .max()
            .unwrap_or(0)
            .clamp(160, 460);
        let (top, bottom) = centred_rows(body.y0 + 60, body.y1 - 110, spec.labels.len(), 260);
        let plot = Rect {
            x0: body.x0 + label_w + 40,
            y0: top,
            x1: body.x1 - spec.text_width - 40,
            y1: bottom,
        };
        let x = Scale::covering(spec.values, spec.with_zero, plot.x0, plot.x1);
        for t in x.ticks() {
            let px = x.at(t);
            let (colour, width) = if t == 0.0 { (FAINT, 3) } else { (RULE, 1) };
            self.line((px, plot.y0), (px, plot.y1), colour, width)?;
            self.text(&(spec.tick)(t), (px, plot.y1 + 14), TICK, CENTRE_TOP)?;
        }
        let muted = LABEL.with_colour(MUTED);
        self.text(
            spec.axis_title,
            ((plot.x0 + plot.x1) / 2, plot.y1 + 56),
            muted,
            CENTRE_TOP,
        )?;
        let text_x = plot.x1 + 40;
        self.text(spec.text_title, (text_x, plot.y0 - 16), muted, LEFT_BOTTOM)?;
        let rows = Rows {
            plot,
            x,
            row_h: plot.height() / spec.labels.len().max(1) as i32,
            text_x,
        };
        for (i, label) in spec.labels.iter().enumerate() {
            self.lines(
                &self.wrap(label, LABEL_BOLD, label_w),
                (plot.x0 - 24, rows.centre(i)),
                LABEL_BOLD,
                RIGHT_MID,
            )?;
        }
        Ok(rows)
    }
}

/// One group of a grouped bar chart: its label and, per design that has a bar, the statistics.
pub struct Group<'a> {
    pub label: String,
    pub bars: Vec<(usize, &'a Stats)>,
}

/// Grouped bars of the mean, with P5–P95 whiskers where `whiskers`: one group per category, one
/// bar slot per design (so a design keeps its place even where it has no bar). Every bar carries
/// its value: across the bar's slot in the largest size that fits every label (down to 16 px),
/// else written upwards above the bar.
pub struct GroupedBars<'a> {
    pub plot: Rect,
    pub groups: &'a [Group<'a>],
    pub tick: fn(f64) -> String,
    pub value: fn(f64) -> String,
    /// Whether the bars are means over trials with a P5–P95 spread to show (not ratios of means).
    pub whiskers: bool,
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    pub fn grouped_bars(&self, r: &Results, spec: &GroupedBars) -> Drawn {
        let plot = spec.plot;
        let n = r.designs.len().max(1);
        let values: Vec<f64> = spec
            .groups
            .iter()
            .flat_map(|g| {
                g.bars.iter().flat_map(|(_, s)| {
                    if spec.whiskers {
                        vec![s.mean, s.p5, s.p95]
                    } else {
                        vec![s.mean]
                    }
                })
            })
            .collect();
        let y = Scale::covering(&values, true, plot.y1, plot.y0);
        for t in y.ticks() {
            let py = y.at(t);
            self.line((plot.x0, py), (plot.x1, py), RULE, 1)?;
            self.text(&(spec.tick)(t), (plot.x0 - 14, py), TICK, RIGHT_MID)?;
        }
        let zero = y.at(0.0);
        self.line((plot.x0, zero), (plot.x1, zero), FAINT, 2)?;
        let group_w = plot.width() as f64 / spec.groups.len().max(1) as f64;
        let inner = group_w * 0.8;
        let bar_w = inner / n as f64;
        // One label size for the whole chart: the largest at which every label fits its slot.
        let labels: Vec<String> = spec
            .groups
            .iter()
            .flat_map(|g| g.bars.iter().map(|(_, s)| (spec.value)(s.mean)))
            .collect();
        let widest = |font: Font| {
            labels
                .iter()
                .map(|l| self.measure(l, font).0)
                .max()
                .unwrap_or(0)
        };
        let across = [VALUE.size, 20.0, 18.0, 16.0]
            .into_iter()
            .map(|size| VALUE.sized(size))
            .find(|&f| widest(f) <= bar_w as i32 - 2);
        for (g, group) in spec.groups.iter().enumerate() {
            let gx = plot.x0 as f64 + g as f64 * group_w + (group_w - inner) / 2.0;
            for &(d, s) in &group.bars {
                let x0 = (gx + d as f64 * bar_w + bar_w * 0.06).round() as i32;
                let x1 = (gx + (d + 1) as f64 * bar_w - bar_w * 0.06).round() as i32;
                let top = y.at(s.mean);
                self.fill(
                    Rect {
                        x0,
                        y0: top,
                        x1,
                        y1: zero,
                    },
                    design_colour(r, d),
                )?;
                let xm = (x0 + x1) / 2;
                let mut above = y.at(s.mean.max(0.0));
                if spec.whiskers && y.at(s.p5) != y.at(s.p95) {
                    let cap = ((x1 - x0) / 5).clamp(4, 14);
                    self.v_whisker(xm, y.at(s.p5), y.at(s.p95), cap, INK, 3)?;
                    above = above.min(y.at(s.p95.max(s.mean)).min(y.at(s.p5.max(s.mean))));
                }
                let label = (spec.value)(s.mean);
                match across {
                    Some(font) => self.text(&label, (xm, above - 8), font, CENTRE_BOTTOM)?,
                    None => self.text_up(&label, (xm, above - 8), VALUE.sized(18.0))?,
                }
            }
            let cx = (plot.x0 as f64 + (g as f64 + 0.5) * group_w).round() as i32;
            let label = self.fit(&group.label, LABEL_BOLD, group_w as i32 - 8);
            self.text(&label, (cx, plot.y1 + 16), LABEL_BOLD, CENTRE_TOP)?;
        }
        Ok(())
    }
}

/// The vertical band for `rows` rows of at most `max_row` pixels each, centred between `y0`
/// and `y1`, so that a chart with few rows does not leave them stranded at the top.
pub fn centred_rows(y0: i32, y1: i32, rows: usize, max_row: i32) -> (i32, i32) {
    let rows = rows.max(1) as i32;
    let row = ((y1 - y0) / rows).min(max_row);
    let top = y0 + ((y1 - y0) - row * rows) / 2;
    (top, top + row * rows)
}

/// A linear map from values to pixels.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Distance between ticks.
    pub step: f64,
    pub lo: f64,
    pub hi: f64,
    pub px0: i32,
    pub px1: i32,
}

impl Scale {
    /// A scale covering `values` (and zero when `with_zero`), widened to round ticks.
    pub fn covering(values: &[f64], with_zero: bool, px0: i32, px1: i32) -> Scale {
        let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if with_zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if !lo.is_finite() || !hi.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            (lo, hi) = (lo - pad, hi + pad);
        }
        let step = nice_step((hi - lo) / 6.0);
        Scale {
            step,
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            px0,
            px1,
        }
    }

    pub fn at(&self, v: f64) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        (self.px0 as f64 + t * (self.px1 - self.px0) as f64).round() as i32
    }

    /// Round tick values from end to end of the scale.
    pub fn ticks(&self) -> Vec<f64> {
        let step = self.step;
        let first = (self.lo / step).ceil() as i64;
        let last = (self.hi / step + 1e-9).floor() as i64;
        (first..=last)
            .map(|i| {
                let v = i as f64 * step;
                if v.abs() < step * 1e-9 { 0.0 } else { v }
            })
            .collect()
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= raw * (1.0 - 1e-12) {
            return m * mag;
        }
    }
    10.0 * mag
}

pub use crate::format::{group_thousands, money, signed_money, signed_value, value, values_apart};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_ticks() {
        let s = Scale::covering(&[3.2e6, 13.9e6], true, 0, 100);
        assert_eq!((s.lo, s.hi), (0.0, 15e6));
        assert_eq!(s.ticks(), vec![0.0, 2.5e6, 5e6, 7.5e6, 10e6, 12.5e6, 15e6]);
        assert_eq!(s.at(7.5e6), 50);
        let neg = Scale::covering(&[-1.3, 2.1], false, 0, 10);
        assert_eq!((neg.lo, neg.hi, neg.step), (-2.0, 3.0, 1.0));
    }

    #[test]
    fn money_labels() {
        assert_eq!(money(0.0), "0");
        assert_eq!(money(2_500_000.0), "2.5M");
        assert_eq!(money(12_000_000.0), "12M");
        assert_eq!(money(13_794_544.0), "13.8M");
        assert_eq!(money(-250_000.0), "−250k");
        assert_eq!(money(999.0), "999");
        assert_eq!(signed_money(5_360_000.0), "+5.36M");
        assert_eq!(signed_money(-5.0), "−5");
        assert_eq!(value(5_300_000.0), "5.30M");
        assert_eq!(value(42_029_176.0), "42.0M");
        assert_eq!(value(539_667_711.0), "540M");
        assert_eq!(value(0.0), "0");
        assert_eq!(signed_value(1_840_000.0), "+1.84M");
    }
}
