//! The English of the reports in one place: titles and the sentences that more than one output
//! says (summary.md, the workbook, the deck, the charts). A wording is changed here, and every
//! output that says it changes with it. Numbers inside the sentences are formatted by
//! [`crate::format`]; sentences that only one table of one exporter says stay with it.

use crate::results::Payback;

/// The title of a run's reports: `leverage: coverage designs compared`.
pub fn run_title(scenario: &str) -> String {
    format!("{scenario}: coverage designs compared")
}

/// The title of a sweep's reports: `leverage: sweep of channels.inside.cost_per_head_per_year`.
pub fn sweep_title(scenario: &str, param: &str) -> String {
    format!("{scenario}: sweep of {param}")
}

/// The title of a tornado's reports.
pub fn tornado_title(scenario: &str) -> String {
    format!("{scenario}: what the answer hinges on")
}

/// What a transition design is, for a list of designs: `a transition from field_everything`,
/// `a transition from field_everything, with later steps in month 7, 13`.
pub fn transition_from(from: &str, steps: &[u32]) -> String {
    if steps.is_empty() {
        return format!("a transition from {from}");
    }
    let months: Vec<String> = steps.iter().map(u32::to_string).collect();
    format!(
        "a transition from {from}, with later steps in month {}",
        months.join(", ")
    )
}

/// What a number of trials is, in words: each trial simulates one horizon, a year when the
/// horizon is 12 months: `1,000 simulated years`, `1,000 simulated 24-month horizons`.
pub fn simulated(trials: u64, months: u32) -> String {
    let n = crate::format::group_thousands(trials);
    match (months, trials) {
        (12, 1) => format!("{n} simulated year"),
        (12, _) => format!("{n} simulated years"),
        (_, 1) => format!("{n} simulated {months}-month horizon"),
        _ => format!("{n} simulated {months}-month horizons"),
    }
}

/// One trial, in words: `simulated year` or `simulated 24-month horizon`.
pub fn one_trial(months: u32) -> String {
    if months == 12 {
        "simulated year".into()
    } else {
        format!("simulated {months}-month horizon")
    }
}

/// A design that does not pay back within the horizon in most trials, without the share:
/// `leveraged does not pay back within the horizon in most trials`.
pub fn no_payback(design: &str) -> String {
    format!("{design} does not pay back within the horizon in most trials")
}

/// "leveraged pays back in month 5 (90% interval: month 4 to 7); 100.0% of the trials get there
/// within the horizon."
pub fn payback_sentence(design: &str, p: &Payback) -> String {
    let share = format!("{:.1}%", 100.0 * p.share_paid_back);
    match p.p50 {
        Some(m) => {
            let lo = p.p5.unwrap_or(m);
            let interval = match p.p95 {
                Some(hi) if hi == lo => format!("month {lo} in at least 90% of the trials"),
                Some(hi) => format!("90% interval: month {lo} to {hi}"),
                None => format!("90% interval: month {lo} to after the horizon"),
            };
            format!(
                "{design} pays back in month {m} ({interval}); {share} of the trials get there within the horizon."
            )
        }
        None => format!("{} (only {share} do).", no_payback(design)),
    }
}

/// A sweep without a change of the best design.
pub const NO_BREAK_EVEN: &str = "No break-even in the swept range.";

#[cfg(test)]
mod tests {
    #[test]
    fn a_trial_is_a_year_only_over_12_months() {
        assert_eq!(super::simulated(1000, 12), "1,000 simulated years");
        assert_eq!(
            super::simulated(1000, 24),
            "1,000 simulated 24-month horizons"
        );
        assert_eq!(super::one_trial(60), "simulated 60-month horizon");
    }
}
