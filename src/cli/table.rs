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
    let name_w = r
        .designs
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(6)
        .max(6)
        + 2;
    let _ = writeln!(
        o,
        "\n{:<name_w$}{:>10}{:>10}{:>10}{:>28}{:>30}{:>10}",
        "design",
        Metric::Revenue.key(),
        "margin",
        "cost",
        Metric::Contribution.key(),
        "Δ contribution vs baseline",
        "P(beats)"
    );
    for (d, design) in r.designs.iter().enumerate() {
        let mean = |k: &str| r.stat(d, k).map_or(0.0, |s| s.mean);
        let [contribution, delta, share] =
            covsim::export::headline_cells(r, d, ("[", ", ", "]"), ("(baseline)", ""));
        let _ = writeln!(
            o,
            "{:<name_w$}{:>10}{:>10}{:>10}{:>28}{:>30}{:>10}",
            design.name,
            compact(mean(Metric::Revenue.key())),
            compact(mean(Metric::GrossMargin.key())),
            compact(mean(Metric::CostOfSales.key())),
            contribution,
            delta,
            share
        );
    }
    let _ = writeln!(
        o,
        "\n{:<name_w$}{:>14}{:>14}{:>14}{:>12}{:>12}",
        "design",
        "eroded",
        "lost hand-off",
        "lost conflict",
        Metric::Conflicts.key(),
        "win rate"
    );
    for (d, design) in r.designs.iter().enumerate() {
        let mean = |k: &str| r.stat(d, k).map_or(0.0, |s| s.mean);
        let _ = writeln!(
            o,
            "{:<name_w$}{:>14}{:>14}{:>14}{:>12}{:>12}",
            design.name,
            compact(mean(Metric::MarginErodedByConflict.key())),
            compact(mean(Metric::RevenueLostToFailedHandoffs.key())),
            compact(mean(Metric::RevenueLostToConflict.key())),
            compact(mean(Metric::Conflicts.key())),
            percent(mean(Metric::WinRate.key()))
        );
    }
    o
}
