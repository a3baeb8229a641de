//! `summary.md`: the results as a report an analyst can read and paste from.

use std::fmt::Write as _;

use super::{Exporter, compact, headline_cells, percent};
use crate::results::Results;

pub struct Markdown;

const BRIDGE: &[&str] = &[
    "potential_revenue",
    "potential_not_surfaced",
    "pipeline",
    "revenue_not_won",
    "revenue_lost_to_failed_handoffs",
    "revenue_lost_to_conflict",
    "revenue_deferred",
    "in_flight_booked",
    "won_list_value",
    "channel_discounts",
    "margin_eroded_by_conflict",
    "revenue",
    "cost_of_goods",
    "gross_margin",
    "cost_heads",
    "cost_specialists",
    "cost_channel_fixed",
    "variable_pay",
    "partner_margin",
    "duplicated_effort",
    "cost_of_sales",
    "contribution",
];

const ACTIVITY: &[&str] = &[
    "opportunities",
    "wins",
    "win_rate",
    "conflicts",
    "failed_handoffs",
    "revenue_per_cost_of_sales",
    "revenue_per_head_year",
    "post_sale_failures",
    "revenue_at_risk_post_sale",
    "in_flight_lost_at_handover",
    "customers_lost",
    "customers_lost_to_conflict",
];

/// The answer in plain words: which design has the highest contribution, by how much (with its
/// interval), how often it beats the baseline, the inputs it hinges on, how precise the run was,
/// and any `break_evens` sentences. The paragraph an analyst pastes into the deck.
pub fn decision(r: &Results, break_evens: &[String]) -> String {
    let mut o = String::new();
    let b = r.baseline_index();
    let cur = &r.scenario.currency;
    let mean = |d: usize| r.stat(d, "contribution").map_or(0.0, |s| s.mean);
    let best = (0..r.designs.len()).max_by(|&x, &y| mean(x).total_cmp(&mean(y)));
    if let (Some(best), Some((other, _))) = (best, r.deciding_pair()) {
        let diff = r.diff(other, "contribution");
        if best != b {
            if let Some(x) = diff {
                let _ = write!(
                    o,
                    "**{}** has the highest expected contribution, {} {cur} over {} months: {} more than the baseline **{}** (95% interval {} to {}). It comes out ahead in {} of the {} simulated years.",
                    r.designs[best].name,
                    compact(mean(best)),
                    r.scenario.months,
                    compact(x.diff.mean),
                    r.baseline,
                    super::signed(x.diff.ci95_low),
                    super::signed(x.diff.ci95_high),
                    percent(x.share_better),
                    super::thousands(r.trials as f64),
                );
            }
        } else if let Some(x) = diff {
            let _ = write!(
                o,
                "The baseline **{}** keeps the highest expected contribution, {} {cur} over {} months. The best alternative, **{}**, earns {} less (95% interval {} to {}) and comes out ahead in only {} of the {} simulated years.",
                r.baseline,
                compact(mean(b)),
                r.scenario.months,
                r.designs[other].name,
                compact(-x.diff.mean),
                super::signed(x.diff.ci95_low),
                super::signed(x.diff.ci95_high),
                percent(x.share_better),
                super::thousands(r.trials as f64),
            );
        }
        if let (Some(from), Some(p)) = (
            &r.designs[other].transition_from,
            r.monthly_of(other).and_then(|m| m.payback.as_ref()),
        ) {
            let _ = write!(
                o,
                " As a transition from **{from}**: {}",
                crate::results::payback_sentence(&r.designs[other].name, p)
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
                            "`{}` ({}, correlation {:+.2})",
                            i.path,
                            if i.correlation > 0.0 {
                                "higher helps"
                            } else {
                                "higher hurts"
                            },
                            i.correlation
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
        let _ = writeln!(o, "# {}: coverage designs compared\n", s.name);
        let _ = writeln!(
            o,
            "{} trials · seed {} · {}-month horizon · {} accounts · amounts in {} over the horizon · baseline: **{}**  ",
            super::thousands(r.trials as f64),
            r.seed,
            s.months,
            super::thousands(s.accounts as f64),
            s.currency,
            r.baseline
        );
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
        let _ = writeln!(
            o,
            "| Design | Revenue | Gross margin | Cost of sales | Contribution (95% interval) | Δ contribution vs baseline (95% interval) | Trials beating baseline |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|");
        for (d, design) in r.designs.iter().enumerate() {
            let st = |k: &str| r.stat(d, k).map_or(0.0, |x| x.mean);
            let [contribution, delta, share] =
                headline_cells(r, d, ("(", " – ", ")"), ("baseline", "–"));
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                design.name,
                compact(st("revenue")),
                compact(st("gross_margin")),
                compact(st("cost_of_sales")),
                contribution,
                delta,
                share
            );
        }

        let _ = writeln!(o, "\n## Where the money goes\n");
        let _ = writeln!(o, "Means over the trials, {}.\n", s.currency);
        table_of_metrics(&mut o, r, BRIDGE);

        let _ = writeln!(o, "\n## Activity and productivity\n");
        table_of_metrics(&mut o, r, ACTIVITY);

        let _ = writeln!(o, "\n## Productivity by role\n");
        let _ = writeln!(
            o,
            "Hours are per year at full staff: what the role has, and what the work it is given needs (coverage, selling, chasing); below 100% it is stretched and yields less. Productivity is per productive head-year and a ratio of means; \"–\" where the role closes nothing.\n"
        );
        let _ = writeln!(
            o,
            "| Design | Role | Heads | Hours available / needed | Revenue closed | Closed per head-year | Closed or worked per head-year | Cost | Cost per unit of revenue closed |"
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
        let dash = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or("–".to_string(), f);
        for (d, design) in r.designs.iter().enumerate() {
            for (c, ch) in s.channels.iter().enumerate() {
                let key = |w: &str| format!("role.{}.{w}", ch.name);
                let rev = r.stat(d, &key("revenue")).map_or(0.0, |x| x.mean);
                let cost = r.stat(d, &key("cost")).map_or(0.0, |x| x.mean);
                let needed = design.hours_needed.get(c).copied().unwrap_or(0.0);
                if design.headcount[c] == 0.0 && rev == 0.0 && cost == 0.0 && needed == 0.0 {
                    continue;
                }
                let hours = match design.hours_available.get(c).copied().flatten() {
                    Some(h) if needed > 0.0 => format!(
                        "{} / {} ({})",
                        super::thousands(h),
                        super::thousands(needed),
                        percent(h / needed)
                    ),
                    Some(h) => format!("{} / 0", super::thousands(h)),
                    None => "not limited".to_string(),
                };
                let role = design.roles.get(c);
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    design.name,
                    ch.name,
                    design.headcount[c],
                    hours,
                    compact(rev),
                    dash(role.and_then(|x| x.revenue_per_head_year), &compact),
                    dash(role.and_then(|x| x.worked_revenue_per_head_year), &compact),
                    compact(cost),
                    dash(role.and_then(|x| x.cost_per_revenue), &|x| format!(
                        "{x:.3}"
                    )),
                );
            }
        }

        path_over_months(&mut o, r);

        let _ = writeln!(o, "\n## By tier\n");
        let _ = writeln!(
            o,
            "Owners by stage ({}); probabilities are per opportunity and do not depend on chance.\n",
            s.stages.join(" → ")
        );
        let _ = writeln!(
            o,
            "| Design | Tier | Accounts | Owners by stage | Surfaced | P(converts to close) | P(no failed hand-off) | P(post-sale holds) | P(conflict) | Delay to booking (months) | Revenue |"
        );
        let _ = writeln!(o, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for (d, design) in r.designs.iter().enumerate() {
            for (t, tp) in design.tiers.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
                    design.name,
                    tp.tier,
                    s.tiers[t].accounts,
                    tp.owners.join(" → "),
                    percent(tp.response),
                    percent(tp.p_convert),
                    percent(tp.p_no_handoff_failure),
                    percent(tp.p_post_sale),
                    percent(tp.p_conflict),
                    tp.delay_months,
                    compact(
                        r.stat(d, &format!("tier.{}.revenue", tp.tier))
                            .map_or(0.0, |x| x.mean)
                    )
                );
            }
        }

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
            "- \"Trials beating baseline\" is the share of trials in which the design's contribution is higher than the baseline's: the chance that the design wins in a given year."
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
                m.metrics.iter().find(|x| x.key == "contribution").map(|x| {
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
        let from = design
            .transition_from
            .as_ref()
            .map_or(String::new(), |f| format!(" (a transition from {f})"));
        let _ = writeln!(
            o,
            "- **{}**{from}: {}",
            design.name,
            crate::results::payback_sentence(&design.name, p)
        );
    }
    let _ = writeln!(
        o,
        "\nMean contribution each month and, for each design, its cumulative contribution minus the baseline's (paired by trial), {}. `monthly.csv` has every monthly figure with its P5–P95 band.\n",
        r.scenario.currency
    );
    let mut head = String::from("| Month |");
    let mut rule = String::from("|---:|");
    for design in &r.designs {
        let _ = write!(head, " {} |", design.name);
        rule.push_str("---:|");
    }
    for (d, design) in r.designs.iter().enumerate() {
        if d != r.baseline_index() {
            let _ = write!(head, " Σ Δ {} |", design.name);
            rule.push_str("---:|");
        }
    }
    let _ = writeln!(o, "{head}\n{rule}");
    for m in 0..r.scenario.months as usize {
        let mut line = format!("| {} |", m + 1);
        for d in 0..r.designs.len() {
            let v = r
                .monthly_of(d)
                .and_then(|x| x.metrics.get(crate::metrics::monthly::CONTRIBUTION))
                .and_then(|x| x.months.get(m))
                .map_or(0.0, |b| b.mean);
            let _ = write!(line, " {} |", compact(v));
        }
        for d in 0..r.designs.len() {
            if d == r.baseline_index() {
                continue;
            }
            let v = r
                .monthly_of(d)
                .and_then(|x| x.cumulative_vs_baseline.get(m))
                .map_or(0.0, |b| b.mean);
            let _ = write!(line, " {} |", super::signed(v));
        }
        let _ = writeln!(o, "{line}");
    }
}

fn table_of_metrics(o: &mut String, r: &Results, keys: &[&str]) {
    let _ = write!(o, "| Metric |");
    for d in &r.designs {
        let _ = write!(o, " {} |", d.name);
    }
    let _ = write!(o, "\n|---|");
    for _ in &r.designs {
        let _ = write!(o, "---:|");
    }
    let _ = writeln!(o);
    for key in keys {
        let Some(k) = r.metric_index(key) else {
            continue;
        };
        let def = &r.metrics[k];
        let _ = write!(o, "| {} |", def.label);
        for d in &r.designs {
            let s = &d.metrics[k].stats;
            let cell = match def.unit {
                crate::metrics::Unit::Ratio => format!("{:.3}", s.mean),
                crate::metrics::Unit::Count => super::thousands(s.mean),
                _ => compact(s.mean),
            };
            let _ = write!(o, " {cell} |");
        }
        let _ = writeln!(o);
    }
}
