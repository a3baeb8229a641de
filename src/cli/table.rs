//! The summary printed on stdout after a run.

use covsim::metrics::Metric;
use std::fmt::Write as _;

use covsim::export::{compact, percent};
use covsim::results::Results;

pub fn summary(r: &Results) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} — {} trials, seed {}, {} months, {} accounts; {} over the horizon, mean [95% interval]",
        r.scenario.name,
        r.trials,
        r.seed,
        r.scenario.months,
        r.scenario.accounts,
        r.scenario.currency
    );
    let names: Vec<String> = r.designs.iter().map(|d| d.name.clone()).collect();
    let mut rows = Vec::new();
    for (d, design) in r.designs.iter().enumerate() {
        let mean = |k: &str| r.stat(d, k).map_or(0.0, |s| s.mean);
        let [contribution, delta, share] =
            covsim::export::headline_cells(r, d, ("[", ", ", "]"), ("(baseline)", ""));
        rows.push(vec![
            design.name.clone(),
            compact(mean(Metric::Revenue.key())),
            compact(mean(Metric::GrossMargin.key())),
            compact(mean(Metric::CostOfSales.key())),
            contribution,
            delta,
            share,
        ]);
    }
    o.push('\n');
    table(
        &mut o,
        &[
            "design",
            Metric::Revenue.key(),
            "margin",
            "cost",
            Metric::Contribution.key(),
            "Δ contribution vs baseline",
            "P(beats)",
        ],
        &[0, 10, 10, 10, 28, 30, 10],
        &rows,
    );
    let mut rows = Vec::new();
    for (d, name) in names.iter().enumerate() {
        let mean = |k: &str| r.stat(d, k).map_or(0.0, |s| s.mean);
        rows.push(vec![
            name.clone(),
            compact(mean(Metric::MarginErodedByConflict.key())),
            compact(mean(Metric::RevenueLostToFailedHandoffs.key())),
            compact(mean(Metric::RevenueLostToConflict.key())),
            compact(mean(Metric::Conflicts.key())),
            percent(mean(Metric::WinRate.key())),
        ]);
    }
    o.push('\n');
    table(
        &mut o,
        &[
            "design",
            "eroded",
            "lost hand-off",
            "lost conflict",
            Metric::Conflicts.key(),
            "win rate",
        ],
        &[0, 14, 14, 14, 12, 12],
        &rows,
    );
    o
}

/// A table of the design names (left-aligned, at least 6 characters and 2 spaces) and
/// right-aligned columns of at least `widths[j]` characters each, widened where a cell or
/// heading needs it so that two spaces always part the columns (a long negative interval
/// never runs into its neighbour).
fn table(o: &mut String, headings: &[&str], widths: &[usize], rows: &[Vec<String>]) {
    let len = |s: &str| s.chars().count();
    let widths: Vec<usize> = widths
        .iter()
        .enumerate()
        .map(|(j, &w)| {
            let widest = rows
                .iter()
                .map(|r| len(&r[j]))
                .chain([len(headings[j])])
                .max()
                .unwrap_or(0);
            if j == 0 {
                widest.max(6) + 2
            } else {
                w.max(widest + 2)
            }
        })
        .collect();
    let line = |o: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        for (j, c) in cells.enumerate() {
            let w = widths[j];
            if j == 0 {
                let _ = write!(o, "{c:<w$}");
            } else {
                let _ = write!(o, "{c:>w$}");
            }
        }
        o.push('\n');
    };
    line(o, &mut headings.iter().copied());
    for r in rows {
        line(o, &mut r.iter().map(String::as_str));
    }
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn columns_widen_so_that_cells_never_run_together() {
        let rows = vec![
            vec![
                "a".to_string(),
                "145.26M".into(),
                "-126.92M [-126.94M, -126.90M]".into(),
            ],
            vec![
                "longer_name".to_string(),
                "1.00M".into(),
                "2.00M [1.90M, 2.10M]".into(),
            ],
        ];
        let mut o = String::new();
        table(&mut o, &["design", "x", "y"], &[0, 10, 28], &rows);
        let lines: Vec<&str> = o.lines().collect();
        // The widest cell (29 characters) widens its column to 31; the others keep their
        // minimum widths.
        assert_eq!(
            lines[1],
            format!(
                "{:<13}{:>10}{:>31}",
                "a", "145.26M", "-126.92M [-126.94M, -126.90M]"
            )
        );
        assert!(lines[1].contains("145.26M  -126.92M"));
        assert_eq!(lines[2].chars().count(), 13 + 10 + 31);
        assert!(lines[0].starts_with("design       "));
    }
}
