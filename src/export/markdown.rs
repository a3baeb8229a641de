//! `summary.md`: the results as a report an analyst can read and paste from.

use crate::metrics::Metric;
use std::fmt::Write as _;

use super::tables::{self, ACTIVITY, BRIDGE};
use super::{Exporter, compact, percent};
use crate::results::Results;

pub struct Markdown;

/// The answer in plain words: which design has the highest contribution, by how much (with its
/// interval), how often it beats the baseline, the inputs it hinges on, how precise the run was,
/// and any `break_evens` sentences. The paragraph an analyst pastes into the deck.
pub fn decision(r: &Results, break_evens: &[String]) -> String {
    let mut o = String::new();
    let b = r.baseline_index();
    let cur = &r.scenario.currency;
    let mean = |d: usize| {
        r.stat(d, Metric::Contribution.key())
            .map_or(0.0, |s| s.mean)
    };
    let best = (0..r.designs.len()).max_by(|&x, &y| mean(x).total_cmp(&mean(y)));
    if let (Some(best), Some((other, _))) = (best, r.deciding_pair()) {
        let diff = r.diff(other, Metric::Contribution.key());
        if best != b {
            if let Some(x) = diff {
                let _ = write!(
                    o,
                    "**{}** has the highest expected contribution, {} {cur} over {} months: {} more than the baseline **{}** (95% interval {} to {}). It comes out ahead in {} of the {}.",
                    r.designs[best].name,
                    compact(mean(best)),
                    r.scenario.months,
                    compact(x.diff.mean),
                    r.baseline,
                    super::signed(x.diff.ci95_low),
                    super::signed(x.diff.ci95_high),
                    percent(x.share_better),
                    crate::words::simulated(r.trials, r.scenario.months),
                );
            }
        } else if let Some(x) = diff {
            let _ = write!(
                o,
                "The baseline **{}** keeps the highest expected contribution, {} {cur} over {} months. The best alternative, **{}**, earns {} less (95% interval {} to {}) and comes out ahead in only {} of the {}.",
                r.baseline,
                compact(mean(b)),
                r.scenario.months,
                r.designs[other].name,
                compact(-x.diff.mean),
                super::signed(x.diff.ci95_low),
                super::signed(x.diff.ci95_high),
                percent(x.share_better),
                crate::words::simulated(r.trials, r.scenario.months),
            );
        }
        if let (Some(from), Some(p)) = (
            &r.designs[other].transition_from,
            r.monthly_of(other).and_then(|m| m.payback.as_ref()),
        ) {
            let _ = write!(
                o,
                " As a transition from **{from}**: {}",
                crate::words::payback_sentence(&r.designs[other].name, p)
            );
        }
        let mut inputs: Vec<_> = r
            .inputs
            .iter()
            .filter(|i| i.correlation.abs() >= 0.1)
            .collect();
        inputs.sort_by(|x, y| y.correlation.abs().total_cmp(&x.correlation.abs()));
        if !r.inputs.is_empty() {
            if inputs.is_empty() {
                let _ = write!(
                    o,
                    " None of the {} uncertain inputs moves the difference much (every |correlation| < 0.1).",
                    r.inputs.len()
                );
            } else {
                let list: Vec<String> = inputs
                    .iter()
                    .take(3)
                    .map(|i| {
                        format!(
                            "`{}` ({}, correlation {})",
                            i.path,
                            if i.correlation > 0.0 {
                                "higher helps"
                            } else {
                                "higher hurts"
                            },
                            format!("{:+.2}", i.correlation).replace('-', crate::format::MINUS)
                        )
                    })
                    .collect();
                let _ = write!(
                    o,
                    " The difference between **{}** and **{}** hinges most on {}.",
                    r.designs[other].name,
                    r.baseline,
                    list.join(", ")
                );
            }
        }
    }
    if let Some(p) = &r.precision {
        let _ = write!(
            o,
            " {} trials were run in batches of {}{}: every 95% interval is within ±{:.2}% of the baseline's contribution (target ±{:.2}%).",
            super::thousands(r.trials as f64),
            super::thousands(p.batch as f64),
            if p.met {
                ""
            } else {
                ", stopped by --max-trials before the target was met"
            },
            100.0 * p.reached,
            100.0 * p.target
        );
    }
    if let Some(k) = &r.percentiles_from {
        let _ = write!(
            o,
            " Percentiles are taken over one trial in every {} ({} of {} trials); means, deviations, intervals, extremes, shares and paybacks over all of them.",
            super::thousands(k.every as f64),
            super::thousands(k.trials as f64),
            super::thousands(r.trials as f64),
        );
    }
    for s in break_evens {
        let _ = write!(o, " Break-even: {s}.");
    }
    o.trim().to_string()
}

impl Exporter for Markdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, r: &Results) -> Vec<u8> {
        let mut o = String::new();
        let s = &r.scenario;
        let _ = writeln!(o, "# {}\n", crate::words::run_title(&s.name));
        let _ = writeln!(o, "{} · baseline: **{}**  ", super::facts(r), r.baseline);
        let _ = writeln!(
            o,
            "covsim {} · scenario hash `{}`\n",
            r.covsim_version,
            &s.hash[..s.hash.len().min(16)]
        );

        let _ = writeln!(o, "## The answer\n");
        let _ = writeln!(o, "{}\n", decision(r, &[]));

        let _ = writeln!(o, "## Headline\n");
        let _ = writeln!(
            o,
            "Means over the trials, with the 95% interval of the mean. Differences are paired: each trial compares the designs on the same random events.\n"
        );
        o.push_str(&tables::markdown(&tables::headline(r)));

        let _ = writeln!(o, "\n## Where the money goes\n");
        let _ = writeln!(o, "Means over the trials, {}.\n", s.currency);
        o.push_str(&tables::markdown(&tables::metrics(
            r,
            "Where the money goes",
            BRIDGE,
        )));

        let _ = writeln!(o, "\n## Activity and productivity\n");
        o.push_str(&tables::markdown(&tables::metrics(r, "Activity", ACTIVITY)));

        let _ = writeln!(o, "\n## Productivity by role\n");
        let _ = writeln!(
            o,
            "Hours are per year at full staff: what the role has, and what the work it is given needs (coverage, selling, chasing); below 100% it is stretched and yields less. Productivity is per productive head-year and a ratio of means (0 for heads that close nothing); \"–\" where the role has no head-years, or, for cost per revenue, closes nothing.\n"
        );
        o.push_str(&tables::markdown(&tables::roles(r)));

        path_over_months(&mut o, r);

        let _ = writeln!(o, "\n## By tier\n");
        let _ = writeln!(
            o,
            "Owners by stage ({}); probabilities are per opportunity and do not depend on chance.\n",
            s.stages.join(" → ")
        );
        o.push_str(&tables::markdown(&tables::tiers(r)));

        let _ = writeln!(o, "\n## How to read this\n");
        let _ = writeln!(
            o,
            "- Every figure is a mean over {} simulated trials of the {}-month horizon; the interval is the 95% interval of that mean (mean ± 1.96 standard errors).",
            super::thousands(r.trials as f64),
            s.months
        );
        let _ = writeln!(
            o,
            "- Δ columns are paired differences: in each trial both designs meet the same accounts, opportunities, hand-off and conflict draws, so the difference is far less noisy than comparing two separate runs."
        );
        let _ = writeln!(
            o,
            "- \"Trials beating baseline\" is the share of trials in which the design's contribution is higher than the baseline's: the chance that the design wins in a given {}.",
            crate::words::one_trial(s.months)
        );
        let _ = writeln!(
            o,
            "- `summary.csv` holds every metric with its standard deviation, standard error, percentiles (P5–P95) and paired difference."
        );
        o.into_bytes()
    }
}

/// Monthly contribution per design and the cumulative difference against the baseline, with
/// each design's payback month.
fn path_over_months(o: &mut String, r: &Results) {
    if r.monthly.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## The path over months\n");
    for (d, design) in r.designs.iter().enumerate() {
        let Some(p) = r.monthly_of(d).and_then(|m| m.payback.as_ref()) else {
            // A steady design: its rate, which the horizon's total is a multiple of.
            let monthly = r.monthly_of(d).and_then(|m| {
                m.metrics
                    .iter()
                    .find(|x| x.key == Metric::Contribution.key())
                    .map(|x| {
                        x.months.iter().map(|b| b.mean).sum::<f64>() / x.months.len().max(1) as f64
                    })
            });
            if let Some(per_month) = monthly {
                let _ = writeln!(
                    o,
                    "- **{}** (steady from month 1): contribution runs at {} {} a year ({} over the {} months).",
                    design.name,
                    compact(per_month * 12.0),
                    r.scenario.currency,
                    compact(per_month * r.scenario.months as f64),
                    r.scenario.months
                );
            }
            continue;
        };
        let from = design.transition_from.as_ref().map_or(String::new(), |f| {
            format!(" ({})", crate::words::transition_from(f, &design.steps))
        });
        let _ = writeln!(
            o,
            "- **{}**{from}: {}",
            design.name,
            crate::words::payback_sentence(&design.name, p)
        );
    }
    let _ = writeln!(
        o,
        "\nMean contribution each month and, for each design, its cumulative contribution minus the baseline's (paired by trial), {}. `monthly.csv` has every monthly figure with its P5–P95 band.\n",
        r.scenario.currency
    );
    if let Some(t) = tables::months(r) {
        o.push_str(&tables::markdown(&t));
    }
}
