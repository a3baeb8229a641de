//! summary.xlsx as an analyst meets it, read back with an independent reader (calamine): the
//! sheets, numbers equal to summary.json's, native charts that draw the right ranges, the same
//! bytes from `covsim plot`, and workbooks of sweeps and sensitivity studies.

mod common;
use common::*;

use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use serde_json::Value;

fn run_built_in(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec!["run", "--trials", "50", "--quiet", "--out", "out"];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    dir.join("out")
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn book(path: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    open_workbook(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sheet(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>, name: &str) -> Range<Data> {
    wb.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

fn num(r: &Range<Data>, row: u32, col: u32) -> f64 {
    match r.get_value((row, col)) {
        Some(Data::Float(x)) => *x,
        Some(Data::Int(x)) => *x as f64,
        other => panic!("cell ({row}, {col}) is not a number: {other:?}"),
    }
}

fn text(r: &Range<Data>, row: u32, col: u32) -> String {
    match r.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        other => panic!("cell ({row}, {col}) is not text: {other:?}"),
    }
}

/// The row whose first cell is `label`.
fn row_of(r: &Range<Data>, label: &str) -> u32 {
    (0..r.end().map_or(0, |e| e.0 + 1))
        .find(|&i| matches!(r.get_value((i, 0)), Some(Data::String(s)) if s == label))
        .unwrap_or_else(|| panic!("no row {label}"))
}

/// The column of the header cell `label` in row `row`.
fn col_of(r: &Range<Data>, row: u32, label: &str) -> u32 {
    (0..r.end().map_or(0, |e| e.1 + 1))
        .find(|&j| matches!(r.get_value((row, j)), Some(Data::String(s)) if s == label))
        .unwrap_or_else(|| panic!("no column {label} in row {row}"))
}

/// A design's mean of `key` in summary.json.
fn mean(j: &Value, d: usize, key: &str) -> f64 {
    j["designs"][d]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no metric {key}"))["mean"]
        .as_f64()
        .unwrap()
}

/// A design's monthly contribution bands in summary.json.
fn monthly_contribution<'a>(j: &'a Value, name: &str) -> &'a Value {
    &j["monthly"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["design"] == name)
        .unwrap()["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "contribution")
        .unwrap()["months"]
}

/// A design's paired difference of contribution in summary.json.
fn contribution_diff(design: &Value) -> &Value {
    design["vs_baseline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "contribution")
        .unwrap()
}

fn same(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: workbook {a} vs summary.json {b}"
    );
}

/// Every part of a zip whose name starts with `prefix`, as text, by name.
fn parts(path: &Path, prefix: &str) -> Vec<(String, String)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if f.name().starts_with(prefix) {
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            out.push((f.name().to_string(), s));
        }
    }
    out.sort();
    out
}

/// The `<c:f>` formulas inside each `<tag>` element of a chart part, in order.
fn refs(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<c:{tag}>");
    let close = format!("</c:{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|s| {
            let inner = &s[..s.find(&close)?];
            let f = inner.split("<c:f>").nth(1)?;
            Some(f[..f.find("</c:f>")?].to_string())
        })
        .collect()
}

/// Column letters to a 0-based index: `B` → 1, `AA` → 26.
fn col_index(letters: &str) -> u32 {
    letters
        .bytes()
        .fold(0, |acc, b| acc * 26 + (b - b'A' + 1) as u32)
        - 1
}

/// Resolves `'Sheet name'!$B$3:$B$6` (or a single cell) to its cells, row by row.
fn resolve(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>, formula: &str) -> (String, Vec<Data>) {
    let (name, range) = formula.rsplit_once('!').expect("a sheet reference");
    let name = name.trim_matches('\'').replace("''", "'");
    let cell = |s: &str| -> (u32, u32) {
        let s = s.replace('$', "");
        let split = s.find(|c: char| c.is_ascii_digit()).unwrap();
        (
            s[split..].parse::<u32>().unwrap() - 1,
            col_index(&s[..split]),
        )
    };
    let (a, b) = match range.split_once(':') {
        Some((a, b)) => (cell(a), cell(b)),
        None => (cell(range), cell(range)),
    };
    let r = sheet(wb, &name);
    let mut out = Vec::new();
    for row in a.0..=b.0 {
        for col in a.1..=b.1 {
            out.push(r.get_value((row, col)).cloned().unwrap_or(Data::Empty));
        }
    }
    (name, out)
}

fn floats(cells: &[Data]) -> Vec<f64> {
    cells
        .iter()
        .map(|c| match c {
            Data::Float(x) => *x,
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

fn strings(cells: &[Data]) -> Vec<String> {
    cells
        .iter()
        .map(|c| match c {
            Data::String(s) => s.clone(),
            other => panic!("not text: {other:?}"),
        })
        .collect()
}

#[test]
fn the_workbook_holds_summary_json_figures_as_numbers_with_the_answer_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path(), &[]);
    let j = json(&out.join("summary.json"));
    let path = out.join("summary.xlsx");
    let mut wb = book(&path);
    let names = wb.sheet_names();
    for s in [
        "Headline",
        "Where the money goes",
        "Activity",
        "Productivity by role",
        "By tier",
        "Months",
        "Chart data",
    ] {
        assert!(names.iter().any(|n| n == s), "no sheet {s} in {names:?}");
    }
    assert_eq!(names[0], "Headline", "the headline is the first sheet");
    assert!(!names.iter().any(|n| n == "Per trial"), "no --per-trial");

    let designs = j["designs"].as_array().unwrap();
    let h = sheet(&mut wb, "Headline");
    // The answer, in plain words, at the top of the first sheet.
    let answer = text(&h, 2, 0);
    let best = designs
        .iter()
        .enumerate()
        .max_by(|a, b| mean(&j, a.0, "contribution").total_cmp(&mean(&j, b.0, "contribution")))
        .unwrap()
        .1["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(answer.contains(&best), "{answer}");
    assert!(!answer.contains("**"), "Markdown marks in {answer}");

    let header = 3;
    let revenue = col_of(&h, header, "Revenue");
    let contribution = col_of(&h, header, "Contribution");
    let delta = col_of(&h, header, "Δ contribution vs baseline");
    let share = col_of(&h, header, "Trials beating baseline");
    for (d, design) in designs.iter().enumerate() {
        let name = design["name"].as_str().unwrap();
        let row = row_of(&h, name);
        same(num(&h, row, revenue), mean(&j, d, "revenue"), "revenue");
        let c = design["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == "contribution")
            .unwrap();
        same(
            num(&h, row, contribution),
            c["mean"].as_f64().unwrap(),
            "contribution",
        );
        same(
            num(&h, row, contribution + 1),
            c["ci95_low"].as_f64().unwrap(),
            "ci low",
        );
        same(
            num(&h, row, contribution + 2),
            c["ci95_high"].as_f64().unwrap(),
            "ci high",
        );
        if design["is_baseline"].as_bool().unwrap() {
            assert_eq!(text(&h, row, delta), "baseline");
        } else {
            let x = contribution_diff(design);
            same(num(&h, row, delta), x["mean"].as_f64().unwrap(), "Δ");
            same(
                num(&h, row, share),
                x["share_better"].as_f64().unwrap(),
                "share",
            );
        }
    }

    // Where the money goes: one row per metric, one column per design, the means.
    let w = sheet(&mut wb, "Where the money goes");
    let metrics = j["metrics"].as_array().unwrap();
    for key in [
        "potential_revenue",
        "revenue_lost_to_conflict",
        "contribution",
    ] {
        let label = metrics.iter().find(|m| m["key"] == key).unwrap()["label"]
            .as_str()
            .unwrap();
        let row = row_of(&w, label);
        for (d, design) in designs.iter().enumerate() {
            let c = col_of(&w, header, design["name"].as_str().unwrap());
            same(num(&w, row, c), mean(&j, d, key), key);
        }
    }

    // Months: the monthly mean contribution of every design.
    let m = sheet(&mut wb, "Months");
    let months = j["scenario"]["months"].as_u64().unwrap() as u32;
    for design in designs {
        let name = design["name"].as_str().unwrap();
        let c = col_of(&m, header, name);
        let series = monthly_contribution(&j, name);
        for month in 0..months {
            same(
                num(&m, header + 1 + month, c),
                series[month as usize]["mean"].as_f64().unwrap(),
                "monthly contribution",
            );
        }
    }

    // Tiers: accounts per tier as in the scenario facts.
    let t = sheet(&mut wb, "By tier");
    let accounts = col_of(&t, header, "Accounts");
    let tier = col_of(&t, header, "Tier");
    let first = &j["scenario"]["tiers"][0];
    let row = (header + 1..header + 1 + designs.len() as u32 * 10)
        .find(|&r| {
            matches!(t.get_value((r, tier)), Some(Data::String(s)) if s == first["name"].as_str().unwrap())
        })
        .unwrap();
    same(
        num(&t, row, accounts),
        first["accounts"].as_f64().unwrap(),
        "accounts",
    );

    // Numbers carry number formats: currency, percent and thousands are in the styles.
    let styles = parts(&path, "xl/styles.xml");
    let currency = j["scenario"]["currency"].as_str().unwrap();
    assert!(
        styles[0]
            .1
            .contains(&format!("&quot;{currency} &quot;#,##0")),
        "no currency format"
    );
    assert!(styles[0].1.contains("0.0%"), "no percent format");
    // Headers frozen on every table sheet (the last sheet holds the charts' ranges).
    let sheets = parts(&path, "xl/worksheets/sheet");
    assert_eq!(sheets.len(), names.len());
    for i in 1..names.len() {
        let xml = &sheets
            .iter()
            .find(|(p, _)| *p == format!("xl/worksheets/sheet{i}.xml"))
            .unwrap()
            .1;
        assert!(
            xml.contains("state=\"frozen\""),
            "{} has no frozen panes",
            names[i - 1]
        );
    }
}

#[test]
fn the_charts_are_native_excel_charts_of_the_right_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path(), &[]);
    let j = json(&out.join("summary.json"));
    let path = out.join("summary.xlsx");
    let charts = parts(&path, "xl/charts/chart");
    assert_eq!(
        charts.len(),
        5,
        "{:?}",
        charts.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    let mut wb = book(&path);
    let designs = j["designs"].as_array().unwrap();
    let find = |needle: &str| -> &String {
        &charts
            .iter()
            .find(|(_, x)| x.contains(needle))
            .unwrap_or_else(|| panic!("no chart titled {needle}"))
            .1
    };

    // Designs side by side: a clustered column per design with custom error bars (P5..P95).
    let side = find("Designs side by side");
    assert!(side.contains("<c:barDir val=\"col\"/>"));
    assert!(side.contains("<c:errBars>") && side.contains("val=\"cust\""));
    let names = refs(side, "tx");
    let cats = refs(side, "cat");
    let vals = refs(side, "val");
    assert_eq!(vals.len(), designs.len());
    for d in 0..designs.len() {
        let (_, name) = resolve(&mut wb, &names[d]);
        assert_eq!(strings(&name), [designs[d]["name"].as_str().unwrap()]);
        let (_, labels) = resolve(&mut wb, &cats[d]);
        assert_eq!(
            strings(&labels),
            ["Revenue", "Gross margin", "Cost of sales", "Contribution"]
        );
        let (_, values) = resolve(&mut wb, &vals[d]);
        let values = floats(&values);
        for (v, key) in
            values
                .iter()
                .zip(["revenue", "gross_margin", "cost_of_sales", "contribution"])
        {
            same(*v, mean(&j, d, key), key);
        }
    }

    // The paired differences: one bar per other design, its Δ contribution.
    let paired = find("paired by trial: mean, whiskers");
    assert!(paired.contains("<c:barDir val=\"bar\"/>") && paired.contains("<c:errBars>"));
    let (_, labels) = resolve(&mut wb, &refs(paired, "cat")[0]);
    let (_, values) = resolve(&mut wb, &refs(paired, "val")[0]);
    for (name, v) in strings(&labels).iter().zip(floats(&values)) {
        let d = designs.iter().position(|x| x["name"] == *name).unwrap();
        let x = contribution_diff(&designs[d]);
        same(v, x["mean"].as_f64().unwrap(), "Δ contribution");
    }

    // The bridge as stacked columns: per design, the parts add up to the won list value.
    let bridge = find("won at list price becomes");
    assert!(bridge.contains("<c:grouping val=\"stacked\"/>"));
    let series: Vec<Vec<f64>> = refs(bridge, "val")
        .iter()
        .map(|f| floats(&resolve(&mut wb, f).1))
        .collect();
    assert!(series.len() >= 5);
    for d in 0..designs.len() {
        let total: f64 = series.iter().map(|s| s[d]).sum();
        let won = mean(&j, d, "won_list_value");
        assert!(
            (total - won).abs() <= 1e-6 * won.abs().max(1.0),
            "design {d}: parts {total} vs won at list {won}"
        );
    }

    // The months: a line per design, drawn from the Months sheet itself.
    let monthly = find("Contribution month by month");
    assert!(monthly.contains("<c:lineChart>"));
    for (d, f) in refs(monthly, "val").iter().enumerate() {
        let (sheet_name, values) = resolve(&mut wb, f);
        assert_eq!(sheet_name, "Months");
        let name = designs[d]["name"].as_str().unwrap();
        let series = monthly_contribution(&j, name);
        for (m, v) in floats(&values).iter().enumerate() {
            same(*v, series[m]["mean"].as_f64().unwrap(), "month");
        }
    }
    assert!(find("Cumulative contribution minus").contains("<c:lineChart>"));
}

#[test]
fn plot_rewrites_the_same_workbook_and_runs_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path(), &[]);
    let first = std::fs::read(out.join("summary.xlsx")).unwrap();
    assert_eq!(&first[..4], b"PK\x03\x04", "not a zip");
    let again = run_in(
        dir.path(),
        &["run", "--trials", "50", "--quiet", "--out", "again"],
    );
    assert!(again.status.success());
    assert_eq!(
        first,
        std::fs::read(dir.path().join("again/summary.xlsx")).unwrap(),
        "two runs of the same results differ"
    );
    let o = run_in(dir.path(), &["plot", "out/summary.json", "--out", "replot"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        first,
        std::fs::read(dir.path().join("replot/summary.xlsx")).unwrap(),
        "plot from summary.json wrote other bytes"
    );
}

#[test]
fn plot_in_place_keeps_the_per_trial_sheet_and_a_deck_is_the_run_s() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path(), &["--per-trial"]);
    let first = std::fs::read(out.join("summary.xlsx")).unwrap();
    // Redrawn in place, beside per_trial.csv: the same workbook, per-trial sheet and all.
    let o = run_in(dir.path(), &["plot", "out/summary.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(out.join("summary.xlsx")).unwrap() == first,
        "plot dropped or changed the per-trial sheet"
    );
    // A deck drawn into the run's folder belongs to that run: the next run, which writes no
    // deck, removes it with the rest of the old outputs.
    let o = run_in(dir.path(), &["deck", "out/summary.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("deck.pptx").is_file());
    let o = run_in(
        dir.path(),
        &["run", "--trials", "30", "--quiet", "--out", "out"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !out.join("deck.pptx").exists(),
        "a stale deck beside new results"
    );
    assert!(!out.join("per_trial.csv").exists());
}

#[test]
fn per_trial_rows_get_their_own_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path(), &["--per-trial"]);
    let j = json(&out.join("summary.json"));
    let mut wb = book(&out.join("summary.xlsx"));
    let p = sheet(&mut wb, "Per trial");
    let n = j["designs"].as_array().unwrap().len() as u32;
    let trials = j["trials"].as_u64().unwrap() as u32;
    let header = 3;
    let c = col_of(&p, header, "contribution");
    // The last row is the last trial of the last design; the rows average to the means.
    assert_eq!(num(&p, header + trials * n, 0), (trials - 1) as f64);
    assert!(p.get_value((header + trials * n + 1, 0)).is_none());
    for d in 0..n {
        let sum: f64 = (0..trials)
            .map(|t| num(&p, header + 1 + t * n + d, c))
            .sum();
        same(
            sum / trials as f64,
            mean(&j, d as usize, "contribution"),
            "per-trial mean",
        );
    }
}

#[test]
fn sweeps_and_sensitivity_studies_write_workbooks_with_their_charts() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenarios().join("leverage.toml");
    let f = scenario.to_str().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            f,
            "--param",
            "channels[1].cost_per_head_per_year",
            "--values",
            "100000,200000,300000",
            "--trials",
            "50",
            "--out",
            "sweep",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("sweep");
    let sweep = json(&out.join("sweep.json"));
    let path = out.join("summary.xlsx");
    let charts = parts(&path, "xl/charts/chart");
    assert_eq!(charts.len(), 1);
    assert!(charts[0].1.contains("<c:scatterChart>"));
    let mut wb = book(&path);
    let points = sweep["points"].as_array().unwrap();
    for (d, f) in refs(&charts[0].1, "yVal").iter().enumerate() {
        let values = floats(&resolve(&mut wb, f).1);
        assert_eq!(values.len(), points.len());
        for (p, v) in points.iter().zip(values) {
            let m = p["results"]["designs"][d]["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["key"] == "contribution")
                .unwrap()["mean"]
                .as_f64()
                .unwrap();
            same(v, m, "sweep point");
        }
    }

    let o = run_in(
        dir.path(),
        &[
            "sensitivity",
            f,
            "--inputs",
            "economics.gross_margin=0.4:0.6,handoffs.default_failure=0.05:0.2",
            "--trials",
            "50",
            "--out",
            "tornado",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("tornado");
    let path = out.join("summary.xlsx");
    let charts = parts(&path, "xl/charts/chart");
    assert_eq!(charts.len(), 1);
    assert!(charts[0].1.contains("<c:barDir val=\"bar\"/>"));
    let csv = std::fs::read_to_string(out.join("tornado.csv")).unwrap();
    let mut wb = book(&path);
    let t = sheet(&mut wb, "Tornado");
    let swing = col_of(&t, 3, "Swing");
    for (i, line) in csv.lines().skip(1).enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let row = 4 + i as u32;
        assert_eq!(text(&t, row, 1), cells[1]);
        same(num(&t, row, swing), cells[6].parse().unwrap(), "swing");
    }
    let (_, labels) = resolve(&mut wb, &refs(&charts[0].1, "cat")[0]);
    assert_eq!(strings(&labels).len(), csv.lines().count() - 1);
}
