//! The outputs of `covsim optimize`: `best.toml` (the chosen design as a `[[designs]]` block),
//! `optimize.md`, `optimize.json` and `optimize.csv`, rendered from the `Outcome` alone (and the
//! model's names for best.toml).

use std::fmt::Write as _;

use crate::export::{compact, percent, thousands};
use crate::model::{CreditRule, Design, Model, OnboardingPlan};
use crate::optimize::{Entry, Outcome};

/// `best.toml`: a `[[designs]]` block named `name` that reads back to `d` exactly (numbers are
/// written as the shortest text that reads back to the same float).
pub fn best_toml(model: &Model, d: &Design, name: &str, o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# The design `covsim optimize` chose from \"{}\" (scenario {}, seed {}). Paste it into\n# the scenario; `covsim run --trials {} --seed {}` then reproduces the reported figures.",
        o.from, o.scenario, o.seed, o.report_trials, o.seed
    );
    let _ = writeln!(s, "[[designs]]");
    let _ = writeln!(s, "name = \"{name}\"");
    let _ = writeln!(s, "clarity = {}", d.clarity);
    let credit = match d.credit {
        CreditRule::Single => "single",
        CreditRule::Double => "double",
    };
    let _ = writeln!(s, "credit = \"{credit}\"");
    let _ = writeln!(s, "territory_overlap = {}", d.territory_overlap);
    let _ = writeln!(s, "quarterback = {}", d.quarterback);
    let _ = writeln!(s, "off_profile_cap = {}", d.off_profile_cap);
    if let Some(t) = d.transition_from {
        let _ = writeln!(s, "transition_from = \"{}\"", model.designs[t].name);
    }
    let heads: Vec<String> = model
        .channels
        .iter()
        .zip(&d.headcount)
        .filter(|(_, h)| **h > 0.0)
        .map(|(c, h)| format!("{} = {h}", c.name))
        .collect();
    let _ = writeln!(s, "headcount = {{ {} }}", heads.join(", "));
    let ob = &d.onboarding;
    let plan = match ob.plan {
        OnboardingPlan::None => None,
        OnboardingPlan::Guarantee { per_month } => Some(format!(
            "plan = \"guarantee\", guarantee_per_month = {per_month}"
        )),
        OnboardingPlan::FullCommission {
            base_pay_saved,
            commission_rate,
        } => Some(format!(
            "plan = \"full_commission\", base_pay_saved = {base_pay_saved}, commission_rate = {commission_rate}"
        )),
        OnboardingPlan::ReducedTarget { target_share } => Some(format!(
            "plan = \"reduced_target\", target_share = {target_share}"
        )),
    };
    if let Some(p) = plan {
        let _ = writeln!(
            s,
            "onboarding = {{ {p}, months = {}, effort = {} }}",
            ob.months, ob.effort
        );
    }
    for (t, cov) in d.coverage.iter().enumerate() {
        let _ = writeln!(s, "[designs.coverage.{}]", model.tiers[t].name);
        let owners: Vec<String> = cov
            .owners
            .iter()
            .enumerate()
            .map(|(st, &c)| format!("{} = \"{}\"", model.stages[st].name, model.channels[c].name))
            .collect();
        let _ = writeln!(s, "owners = {{ {} }}", owners.join(", "));
        let specs: Vec<String> = cov
            .specialists
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(st, l)| {
                let names: Vec<String> = l
                    .iter()
                    .map(|&c| format!("\"{}\"", model.channels[c].name))
                    .collect();
                format!("{} = [{}]", model.stages[st].name, names.join(", "))
            })
            .collect();
        if !specs.is_empty() {
            let _ = writeln!(s, "specialists = {{ {} }}", specs.join(", "));
        }
    }
    s
}

pub fn json(o: &Outcome) -> String {
    format!("{}\n", serde_json::to_string_pretty(o).unwrap_or_default())
}

fn settings_text(e: &Entry) -> String {
    if e.settings.is_empty() {
        return "(hand-made)".into();
    }
    e.settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn interval(low: f64, high: f64) -> String {
    format!("[{}, {}]", compact(low), compact(high))
}

/// One row per finalist and hand-made design.
pub fn csv(o: &Outcome) -> String {
    let mut s = String::from(
        "name,settings,chosen,feasible,selection,heads,objective,objective_ci95_low,objective_ci95_high,contribution,contribution_ci95_low,contribution_ci95_high,revenue,cost_of_sales,cost_of_sales_ci95_low,cost_of_sales_ci95_high,p_best",
    );
    for c in &o.constraints {
        let _ = write!(s, ",\"{c}: bound\"");
    }
    s.push('\n');
    let rows = o
        .finalists
        .iter()
        .enumerate()
        .map(|(i, e)| (e, o.chosen == Some(i)))
        .chain(o.hand_made.iter().map(|e| (e, false)));
    for (e, chosen) in rows {
        let _ = write!(
            s,
            "\"{}\",\"{}\",{chosen},{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{}",
            e.name,
            settings_text(e),
            e.feasible,
            e.selection,
            e.heads,
            e.objective.mean,
            e.objective.ci95_low,
            e.objective.ci95_high,
            e.contribution.mean,
            e.contribution.ci95_low,
            e.contribution.ci95_high,
            e.revenue.mean,
            e.cost_of_sales.mean,
            e.cost_of_sales.ci95_low,
            e.cost_of_sales.ci95_high,
            e.p_best
        );
        for c in &e.constraints {
            let _ = write!(s, ",{}", c.bound);
        }
        s.push('\n');
    }
    s
}

pub fn markdown(o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}: optimised from `{}`\n", o.scenario, o.from);
    let aim = if o.maximise { "maximise" } else { "minimise" };
    let _ = writeln!(
        s,
        "Objective: {aim} **{}**. Varied: {}. Constraints: {}. Seed {} · {} over {} months.\n",
        o.objective,
        o.variables
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", "),
        if o.constraints.is_empty() {
            "none".to_string()
        } else {
            o.constraints
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        o.seed,
        o.currency,
        o.months
    );
    let _ = writeln!(s, "**The guarantee.** {}\n", o.guarantee);
    if let Some(c) = o.chosen {
        let e = &o.finalists[c];
        let _ = writeln!(
            s,
            "**Chosen:** {} — {}: {} {} {}, cost of sales {}, over {} trials (written to best.toml).\n",
            e.name,
            settings_text(e),
            o.objective,
            compact(e.objective.mean),
            interval(e.objective.ci95_low, e.objective.ci95_high),
            compact(e.cost_of_sales.mean),
            thousands(o.report_trials as f64)
        );
    }
    if let Some(why) = &o.stopped_early {
        let _ = writeln!(
            s,
            "**Stopped early:** {why}; the result is not reproducible.\n"
        );
    }
    let _ = writeln!(
        s,
        "Figures over the report trials 1–{} (what `covsim run` simulates); intervals are 95% intervals of the {}. Constraint bounds are one-sided at {}.\n",
        thousands(o.report_trials as f64),
        if o.objective.ends_with(')') {
            "objective's percentile (order statistics; distribution-free)"
        } else {
            "mean"
        },
        percent(o.confidence)
    );
    let mut head = String::from(
        "| Design | Settings | Heads | Objective [95%] | Contribution | Cost of sales | P(best) |",
    );
    let mut rule = String::from("|---|---|---:|---:|---:|---:|---:|");
    for c in &o.constraints {
        let _ = write!(head, " `{c}` bound |");
        rule.push_str("---:|");
    }
    head.push_str(" Selection |");
    rule.push_str("---|");
    let _ = writeln!(s, "{head}\n{rule}");
    let rows = o.finalists.iter().chain(o.hand_made.iter());
    for e in rows {
        let _ = write!(
            s,
            "| {} | {} | {} | {} {} | {} | {} | {} |",
            e.name,
            settings_text(e),
            e.heads,
            compact(e.objective.mean),
            interval(e.objective.ci95_low, e.objective.ci95_high),
            compact(e.contribution.mean),
            compact(e.cost_of_sales.mean),
            if e.selection == "hand-made" {
                "–".to_string()
            } else {
                percent(e.p_best)
            }
        );
        for c in &e.constraints {
            let _ = write!(
                s,
                " {} {} |",
                compact(c.bound),
                if c.holds { "✓" } else { "✗" }
            );
        }
        let _ = writeln!(s, " {} |", e.selection);
    }
    let t = &o.trials;
    let _ = writeln!(
        s,
        "\n{} candidates evaluated. Design-trials simulated: search {}, selection {}, report {}, sizing curves {}.",
        o.candidates_evaluated,
        thousands(t.search as f64),
        thousands(t.selection as f64),
        thousands(t.report as f64),
        thousands(t.profiles as f64)
    );
    if let Some(k) = &o.selection.constants {
        let _ = writeln!(
            s,
            "\nSelection: {} — k = {} finalists, n0 = {}, α = {:.4}, δ = {}, η = {:.4}, h² = {:.4}; stopped after {} observations of {} trial(s) each (the procedure's bound, max ⌊h²S²/δ²⌋ + 1: {}; the first n0 are always taken).",
            o.selection.procedure,
            k.systems,
            k.n0,
            k.alpha,
            compact(k.delta),
            k.eta,
            k.h2,
            o.selection.observations,
            o.selection.trials_per_observation,
            o.selection.max_observations
        );
    }
    s
}
