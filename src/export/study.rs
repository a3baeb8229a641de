//! The tables of studies: `sweep.csv`, `sweep.md`, `sweep.json` of a sweep and `tornado.csv`,
//! `tornado.md` of a sensitivity study. CSV through the `csv` crate, so a design or key with a
//! comma, a quote or a line break stays one well-formed cell.

use crate::metrics::Metric;
use std::fmt::Write as _;

use super::markdown;
use crate::format::param as fmt;
use crate::format::{compact, percent, signed, thousands};
use crate::metrics::g;
use crate::sensitivity::Tornado;
use crate::sweep::Sweep;

/// File names of a sweep's and a tornado's tables.
pub const SWEEP_CSV: &str = "sweep.csv";
pub const SWEEP_JSON: &str = "sweep.json";
pub const SWEEP_MD: &str = "sweep.md";
pub const TORNADO_CSV: &str = "tornado.csv";
pub const TORNADO_MD: &str = "tornado.md";

/// Text for a Markdown table cell: a `|` would end the cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The break-even sentences of a sweep, one per change of the best design.
pub fn sweep_sentences(s: &Sweep) -> Vec<String> {
    s.break_evens.iter().map(|b| b.sentence(&s.param)).collect()
}

/// `sweep.json`: the whole sweep, every point's results included.
pub fn sweep_json(s: &Sweep) -> Vec<u8> {
    format!(
        "{}\n",
        serde_json::to_string_pretty(s).expect("a sweep serialises")
    )
    .into_bytes()
}

/// `sweep.md`: the break-even points and, per point and design, the contribution.
pub fn sweep_md(s: &Sweep) -> String {
    let mut o = String::new();
    let Some(first) = s.points.first() else {
        return o;
    };
    let r = &first.results;
    let _ = writeln!(
        o,
        "# {}\n",
        crate::words::sweep_title(&r.scenario.name, &format!("`{}`", s.param))
    );
    let _ = writeln!(
        o,
        "{} trials per point · seed {} · the same random events at every point · {} over {} months\n",
        thousands(r.trials as f64),
        r.seed,
        r.scenario.currency,
        r.scenario.months
    );
    if s.break_evens.is_empty() {
        let leader = r
            .deciding_pair()
            .and_then(|_| r.best_design())
            .map_or(String::new(), |d| r.designs[d].name.clone());
        let _ = writeln!(
            o,
            "No break-even in the swept range: **{leader}** has the highest mean contribution at every value from {} to {}.\n",
            fmt(s.points[0].value),
            fmt(s.points[s.points.len() - 1].value)
        );
    } else {
        for line in sweep_sentences(s) {
            let _ = writeln!(o, "- **Break-even:** {line}.");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "| `{}` | Design | Contribution (95% interval) | Δ vs baseline | Trials beating baseline |",
        s.param
    );
    let _ = writeln!(o, "|---:|---|---:|---:|---:|");
    for p in &s.points {
        for (d, design) in p.results.designs.iter().enumerate() {
            let c = p.results.stat(d, Metric::Contribution.key());
            let x = p.results.diff(d, Metric::Contribution.key());
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                fmt(p.value),
                cell(&design.name),
                c.map_or(String::new(), |c| format!(
                    "{} ({} – {})",
                    compact(c.mean),
                    compact(c.ci95_low),
                    compact(c.ci95_high)
                )),
                x.map_or("baseline".into(), |x| signed(x.diff.mean)),
                x.map_or("–".into(), |x| percent(x.share_better)),
            );
        }
    }
    o
}

const SWEEP_HEADER: &[&str] = &[
    "param",
    "value",
    "design",
    "is_baseline",
    "metric",
    "mean",
    "ci95_low",
    "ci95_high",
    "p5",
    "p95",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
    "share_better_than_baseline",
];

/// `sweep.csv`: one row per point, design and metric, with the paired difference.
pub fn sweep_csv(s: &Sweep) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(SWEEP_HEADER).expect("write to memory");
    for p in &s.points {
        let r = &p.results;
        for (d, design) in r.designs.iter().enumerate() {
            for def in r.metrics.iter().take(g::COUNT) {
                let Some(st) = r.stat(d, &def.key) else {
                    continue;
                };
                let x = r.diff(d, &def.key);
                let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
                w.write_record([
                    s.param.clone(),
                    p.value.to_string(),
                    design.name.clone(),
                    design.is_baseline.to_string(),
                    def.key.clone(),
                    st.mean.to_string(),
                    st.ci95_low.to_string(),
                    st.ci95_high.to_string(),
                    st.p5.to_string(),
                    st.p95.to_string(),
                    cell(x.map(|x| x.diff.mean)),
                    cell(x.map(|x| x.diff.ci95_low)),
                    cell(x.map(|x| x.diff.ci95_high)),
                    cell(x.map(|x| x.share_better)),
                ])
                .expect("write to memory");
            }
        }
    }
    w.into_inner().expect("write to memory")
}

/// `tornado.md`: the inputs ranked by how much they move the figure, then the answer.
pub fn tornado_md(t: &Tornado) -> String {
    let mut text = format!(
        "# {}\n\n{} with every input at its median: {}. Each input swung from low to high, the others at their medians, {} trials per run with the same random events.\n\n| Rank | Input | Low → high | {} at low | at high | Swing |\n|---:|---|---|---:|---:|---:|\n",
        crate::words::tornado_title(&t.results.scenario.name),
        t.figure,
        signed(t.base),
        thousands(t.results.trials as f64),
        t.figure
    );
    for (i, s) in t.swings.iter().enumerate() {
        let _ = writeln!(
            text,
            "| {} | `{}` | {} → {} | {} | {} | {} |",
            i + 1,
            cell(&s.path),
            fmt(s.low),
            fmt(s.high),
            signed(s.at_low),
            signed(s.at_high),
            compact(s.width())
        );
    }
    let _ = writeln!(text, "\n{}", markdown::decision(&t.results, &[]));
    text
}

/// `tornado.csv`: one row per input, widest swing first.
pub fn tornado_csv(t: &Tornado) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["rank", "input", "low", "high", "at_low", "at_high", "swing"])
        .expect("write to memory");
    for (i, s) in t.swings.iter().enumerate() {
        w.write_record([
            (i + 1).to_string(),
            s.path.clone(),
            s.low.to_string(),
            s.high.to_string(),
            s.at_low.to_string(),
            s.at_high.to_string(),
            s.width().to_string(),
        ])
        .expect("write to memory");
    }
    w.into_inner().expect("write to memory")
}
