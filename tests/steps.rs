//! Transitions that move in steps (docs/MODEL.md §15): a step changes nothing before its month,
//! hires and removes heads at its month by the same rules as the start of a transition, and
//! starts its own settling on the tiers it moves. Expected values come from the scenario's
//! parameters.

mod common;
use common::*;

use covsim::engine::plan;
use covsim::metrics::{Layout, monthly};
use covsim::model::At;

const BEFORE: &str = r#"
[[designs]]
name = "before"
headcount = { inside = 10 }
[designs.coverage.all]
owner = "inside"
"#;

#[test]
fn a_step_changes_nothing_before_its_month() {
    // "after" starts as "before" (same owner, same heads) and at month 7 hands the tier to the
    // digital channel and keeps 4 inside heads. Every deal books in the month it arises, so
    // months 1–6 of "after" are those of "before", trial by trial, to the last bit.
    let designs = format!(
        r#"{BEFORE}
[[designs]]
name = "after"
transition_from = "before"
headcount = {{ inside = 10 }}
[designs.coverage.all]
owner = "inside"
[[designs.steps]]
month = 7
headcount = {{ inside = 4 }}
[designs.steps.coverage.all]
owner = "direct"
"#
    );
    let extra = "";
    let text = simple(&designs, extra)
        .replace("trials = 4000", "trials = 200")
        .replace(
            "cost_per_head_per_year = 50000",
            "cost_per_head_per_year = 50000\nexit_cost_per_head = 30000",
        );
    let model = model(&text);
    let (m, _) = simulate(&model);
    let layout = Layout::of(&model);
    let mut later_differs = false;
    for t in 0..m.trials as usize {
        let (a, b) = (m.row(t, 0), m.row(t, 1));
        for month in 0..6 {
            for k in [
                monthly::REVENUE,
                monthly::COST_OF_SALES,
                monthly::PRODUCTIVE_HEADS,
            ] {
                let i = layout.month(month, k);
                assert_eq!(
                    a[i].to_bits(),
                    b[i].to_bits(),
                    "trial {t}, month {}",
                    month + 1
                );
            }
        }
        let i = layout.month(6, monthly::REVENUE);
        later_differs |= a[i] != b[i];
        // From the step on: 4 heads, and the 6 who leave cost their exit in month 7.
        assert_eq!(b[layout.month(6, monthly::PRODUCTIVE_HEADS)], 4.0);
        let heads_7 = 4.0 * 50_000.0 / 12.0;
        let pay_7 = b[layout.month(6, monthly::COST_OF_SALES)] - heads_7 - 6.0 * 30_000.0;
        assert!(
            pay_7.abs() < 1e-6,
            "trial {t}: month 7 cost beyond heads and exits {pay_7}"
        );
    }
    assert!(later_differs, "the step changes nothing from its month on");
}

#[test]
fn a_step_hires_after_the_lead_time_and_cuts_at_its_month() {
    // From nothing to 4 inside heads at the start, 10 from a step at month 5, 3 from a step at
    // month 9. Hires join 2 months after they are decided and cost a fee; heads cut leave at
    // the step and cost their exit. No attrition, no ramp: heads in seat are a closed form.
    let (lead, fee, exit) = (2usize, 20_000.0, 30_000.0);
    let designs = r#"
[[designs]]
name = "before"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "after"
transition_from = "before"
headcount = { inside = 4 }
[designs.coverage.all]
owner = "direct"
[[designs.steps]]
month = 5
headcount = { inside = 10 }
[designs.steps.coverage.all]
owner = "direct"
[[designs.steps]]
month = 9
headcount = { inside = 3 }
[designs.steps.coverage.all]
owner = "direct"
"#;
    let text = simple(designs, "")
        .replace(
            "cost_per_head_per_year = 50000",
            &format!(
                "cost_per_head_per_year = 50000\nhiring_lead_months = {lead}\nrecruiting_fee_per_hire = {fee}\nexit_cost_per_head = {exit}"
            ),
        )
        .replace("trials = 4000", "trials = 10");
    let model = model(&text);
    let (m, r) = simulate(&model);
    let layout = Layout::of(&model);
    // Month index (0-based): 4 join at 0 + lead, 6 more at 4 + lead, 7 leave at 8.
    let expected: Vec<f64> = (0..12)
        .map(|month| match month {
            m if m < lead => 0.0,
            m if m < 4 + lead => 4.0,
            m if m < 8 => 10.0,
            _ => 3.0,
        })
        .collect();
    let row = m.row(0, 1);
    for (month, &heads) in expected.iter().enumerate() {
        assert_eq!(
            row[layout.month(month, monthly::PRODUCTIVE_HEADS)],
            heads,
            "month {}",
            month + 1
        );
    }
    let head_months: f64 = expected.iter().sum();
    let cost = head_months * 50_000.0 / 12.0 + 10.0 * fee + 7.0 * exit;
    let got = r.stat(1, "cost_heads").unwrap().mean;
    assert!((got - cost).abs() < 1e-6 * cost, "{got} vs {cost}");
}

#[test]
fn each_step_that_moves_a_tier_starts_its_own_settling() {
    let designs = r#"
[[designs]]
name = "before"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "after"
transition_from = "before"
headcount = { inside = 10 }
[designs.coverage.all]
owner = "inside"
[[designs.steps]]
month = 4
[designs.steps.coverage.all]
owner = "direct"
[[designs.steps]]
month = 8
headcount = { inside = 5 }
[designs.steps.coverage.all]
owner = "direct"
"#;
    let model = model(&simple(designs, ""));
    for m in 0..12u32 {
        // Moved at the start (direct → inside), moved back at month 4 (index 3); the step at
        // month 8 moves no account.
        let expected = if m < 3 { m } else { m - 3 };
        assert_eq!(
            plan::settling_age(&model, 1, At::Month(m), 0),
            Some(expected),
            "month {}",
            m + 1
        );
        assert_eq!(plan::settling_age(&model, 0, At::Month(m), 0), None);
    }
    assert_eq!(plan::settling_age(&model, 1, At::End, 0), None);
    assert_eq!(model.designs[1].coverage_at(At::End)[0].owners, vec![0, 0]);
    assert_eq!(
        model.designs[1].coverage_at(At::Start)[0].owners,
        vec![1, 1]
    );
    assert_eq!(model.designs[1].headcount_at(At::Month(7)), &[0.0, 5.0]);
}

#[test]
fn a_step_that_changes_nothing_changes_no_result() {
    let base = r#"
[[designs]]
name = "after"
transition_from = "before"
headcount = { inside = 6 }
[designs.coverage.all]
owner = "inside"
"#;
    let noop = "[[designs.steps]]\nmonth = 5\n[designs.steps.coverage.all]\nowner = \"inside\"\n";
    let one = model(&simple(&format!("{BEFORE}{base}"), ""));
    let two = model(&simple(&format!("{BEFORE}{base}{noop}"), ""));
    let (a, _) = simulate(&one);
    let (b, _) = simulate(&two);
    assert!(
        a.values
            .iter()
            .zip(&b.values)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
}

#[test]
fn bad_steps_are_reported_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let designs = r#"
[[designs]]
name = "before"
headcount = { inside = 10 }
[designs.coverage.all]
owner = "inside"
[[designs.steps]]
month = 3
[designs.steps.coverage.all]
owner = "direct"
[[designs]]
name = "after"
transition_from = "before"
headcount = { inside = 10 }
[designs.coverage.all]
owner = "inside"
[[designs.steps]]
month = 6
[designs.steps.coverage.all]
owner = "direct"
[[designs.steps]]
month = 6
[designs.steps.coverage.all]
owner = "inside"
[[designs.steps]]
month = 13
headcount = { inside = 0 }
[designs.steps.coverage.all]
owner = "inside"
"#;
    let text = simple(designs, "");
    write(dir.path(), "s.toml", &text);
    let out = run_in(dir.path(), &["run", "s.toml", "--out", "o"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let line_of = |needle: &str, nth: usize| {
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .nth(nth)
            .map(|(i, _)| i + 1)
            .unwrap()
    };
    for (what, line) in [
        (
            "design \"before\" moves in steps but is not a transition",
            line_of("[[designs.steps]]", 0),
        ),
        (
            "step month 6 is not after the step before it (month 6)",
            line_of("month = 6", 1),
        ),
        (
            "step month 13 is after the horizon of 12 months",
            line_of("month = 13", 0),
        ),
        (
            "design \"after\" gives work to \"inside\" but no heads",
            line_of("headcount = { inside = 0 }", 0),
        ),
    ] {
        assert!(err.contains(what), "missing {what:?} in:\n{err}");
        assert!(
            err.contains(&format!("s.toml:{line}:")),
            "missing line {line} for {what:?} in:\n{err}"
        );
    }
    assert!(!dir.path().join("o").exists());
}
