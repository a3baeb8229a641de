//! Transitions over months: closed forms for the ramp, the settling of moved accounts, coasting
//! and off-profile selling, the payback month, and the steady state left unchanged when every
//! transition mechanism is off.

mod common;
use common::*;

use covsim::metrics::{Layout, monthly};
use covsim::model::Model;

const Z: f64 = 4.0;

/// Mean and standard error of one monthly metric of design `d` in month `m`.
fn monthly_mean(
    model: &Model,
    matrix: &covsim::engine::TrialMatrix,
    d: usize,
    m: usize,
    k: usize,
) -> (f64, f64) {
    let xs = matrix.column(d, Layout::of(model).month(m, k));
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn linear_ramp_loses_half_its_length_in_head_months_and_guarantees_cost_what_they_say() {
    let n = 4.5; // ramp months, not whole on purpose
    let designs = r#"
[[designs]]
name = "now"
headcount = { inside = 2 }
[designs.coverage.all]
owner = "inside"
[[designs]]
name = "grown"
transition_from = "now"
headcount = { inside = 6 }
onboarding = { plan = "guarantee", months = 3, guarantee_per_month = 1000 }
[designs.coverage.all]
owner = "inside"
"#;
    let text = simple(designs, "").replace(
        "cost_per_head_per_year = 50000",
        &format!("cost_per_head_per_year = 50000\nramp_months = {n}"),
    );
    let model = model(&text);
    let (_, r) = simulate(&model);
    let heads = &r.monthly_of(1).unwrap().metrics[monthly::PRODUCTIVE_HEADS].months;
    // 4 new heads, linear ramp over n months: month k averages min(1, t/n) over [k, k+1].
    let ramp = |k: f64| {
        if k + 1.0 <= n {
            (k + 0.5) / n
        } else if k >= n {
            1.0
        } else {
            (n * n - k * k) / (2.0 * n) + (k + 1.0 - n)
        }
    };
    for (k, b) in heads.iter().enumerate() {
        let expected = 2.0 + 4.0 * ramp(k as f64);
        assert!(
            (b.mean - expected).abs() < 1e-12,
            "month {k}: {} vs {expected}",
            b.mean
        );
        assert_eq!(b.p5, b.p95, "heads do not depend on chance");
    }
    // Productive head-months over 12 months: 6·12 less 4 new heads × n/2.
    let total: f64 = heads.iter().map(|b| b.mean).sum();
    assert!((total - (72.0 - 4.0 * n / 2.0)).abs() < 1e-9, "{total}");
    // The baseline keeps its 2 heads at full productivity every month.
    let base = &r.monthly_of(0).unwrap().metrics[monthly::PRODUCTIVE_HEADS].months;
    assert!(base.iter().all(|b| b.mean == 2.0));
    // Heads are paid from month 0: 6 × 50,000; the guarantee is 4 heads × 3 months × 1,000
    // (inside has no variable pay otherwise).
    let pay = r.stat(1, "variable_pay").unwrap();
    assert!((pay.mean - 12_000.0).abs() < 1e-6 && pay.sd < 1e-9);
    let heads_cost = r.stat(1, "cost_heads").unwrap();
    assert!((heads_cost.mean - 300_000.0).abs() < 1e-6);
    // The ramp costs revenue: fewer productive hours in the first months.
    let rev =
        |d: usize, m: usize| r.monthly_of(d).unwrap().metrics[monthly::REVENUE].months[m].mean;
    assert!(rev(1, 0) < rev(1, 11));
}

#[test]
fn conflict_on_moved_accounts_decays_exponentially_to_the_steady_value() {
    let (q, k, h) = (0.1, 3.0, 2.0);
    let designs = format!(
        r#"
[[designs]]
name = "before"
headcount = {{}}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "moved"
transition_from = "before"
clarity = 0
headcount = {{ inside = 100, field = 1 }}
[designs.coverage.all]
owner = "inside"
[[designs]]
name = "settled"
clarity = 0
headcount = {{ inside = 100, field = 1 }}
[designs.coverage.all]
owner = "inside"
[[channels]]
name = "field"
kind = "field"
capacity_hours_per_head_per_year = 1000
[conflict]
pressure_half_hours = 0
[[conflict.pairs]]
owner = "inside"
intruder = "field"
overlap = {q}
[transition]
settling_half_life_months = {h}
conflict_multiplier_at_start = {k}
"#
    );
    // Every opportunity surfaced (100 inside heads have 25× the hours the work needs: the
    // response is above 1, surfacing capped at 1), so a month brings 200 × 3/12 = 50 on
    // average. pressure_half_hours = 0: field's one head pursues at its full overlap.
    let text = simple(&designs, "").replace("months = 12", "months = 24");
    let model = model(&text);
    let (matrix, _) = simulate(&model);
    for m in 0..24 {
        let expected = 50.0 * q * (1.0 + (k - 1.0) * (-(m as f64) / h).exp2());
        let (mean, se) = monthly_mean(&model, &matrix, 1, m, monthly::CONFLICTS);
        assert_close(&format!("conflicts in month {m}"), mean, se, expected, Z);
        // Without a transition the same coverage is at its steady value from month 0.
        let (mean, se) = monthly_mean(&model, &matrix, 2, m, monthly::CONFLICTS);
        assert_close(
            &format!("steady conflicts in month {m}"),
            mean,
            se,
            50.0 * q,
            Z,
        );
    }
    // Month 0 is k times the steady value; by month 23 the excess is 2^(−11.5) of it.
    let (first, _) = monthly_mean(&model, &matrix, 1, 0, monthly::CONFLICTS);
    let (last, _) = monthly_mean(&model, &matrix, 1, 23, monthly::CONFLICTS);
    let (steady, _) = monthly_mean(&model, &matrix, 2, 23, monthly::CONFLICTS);
    assert!(first > 2.5 * steady && (last / steady - 1.0).abs() < 0.05);
}

#[test]
fn coasting_and_off_profile_thin_effort_by_their_closed_forms() {
    let (c, share, cap) = (0.5, 0.3, 0.1);
    let designs = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "shared"
headcount = { inside = 1 }
[designs.coverage.all]
owner = "inside"
owners = { two = "direct" }
[[designs]]
name = "quarterbacked"
quarterback = true
off_profile_cap = 0.1
headcount = { inside = 1 }
[designs.coverage.all]
owner = "inside"
owners = { two = "direct" }
[behaviour]
coasting = 0.5
"#;
    let text = simple(designs, "").replace(
        "cost_per_head_per_year = 50000",
        &format!("cost_per_head_per_year = 50000\noff_profile_share = {share}"),
    );
    let (_, r) = simulate(&model(&text));
    // Inside owns the demand-generation stage: 1 head × 1000 h for 200 accounts × 20 coverage
    // hours, ratio ¼, less the off-profile share, less coasting on the shared account. The
    // response M(ρ) = ρ²·1.25/(0.25 + ρ²) decides the share of opportunities surfaced.
    let inside = |x: f64| x * x * 1.25 / (0.25 + x * x);
    let expected = |x: f64| 200.0 * 3.0 * inside(x).min(1.0);
    let s = r.stat(1, "opportunities").unwrap();
    assert_close(
        "opportunities, coasting",
        s.mean,
        s.se,
        expected(0.25 * (1.0 - share) * (1.0 - c)),
        Z,
    );
    let s = r.stat(2, "opportunities").unwrap();
    assert_close(
        "opportunities, quarterback",
        s.mean,
        s.se,
        expected(0.25 * (1.0 - cap)),
        Z,
    );
}

#[test]
fn payback_month_is_found_where_the_scenario_makes_it_known() {
    // Revenue does not depend on the design (digital closes everything, inside has no work), so
    // the paired difference is chance-free: moving from 20 inside heads to 10 saves 10 heads'
    // pay a month against their exit cost in month 1. It pays back in the first month k with
    // k · saving ≥ exit cost; steady designs get no payback at all.
    let (exit, saving): (f64, f64) = (130_000.0, 10.0 * 50_000.0 / 12.0);
    let designs = r#"
[[designs]]
name = "before"
headcount = { inside = 20 }
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "after"
transition_from = "before"
headcount = { inside = 10 }
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "steady"
headcount = { inside = 10 }
[designs.coverage.all]
owner = "direct"
"#;
    let text = simple(designs, "")
        .replace("months = 12", "months = 24")
        .replace(
            "cost_per_head_per_year = 50000",
            &format!(
                "cost_per_head_per_year = 50000\nexit_cost_per_head = {}",
                exit / 10.0
            ),
        );
    let (_, r) = simulate(&model(&text));
    let expected = (exit / saving).ceil();
    let p = r.monthly_of(1).unwrap().payback.clone().unwrap();
    assert_eq!(p.p50, Some(expected as u32), "{p:?}");
    assert_eq!((p.p5, p.p95), (p.p50, p.p50));
    assert_eq!(p.share_paid_back, 1.0);
    assert_eq!(p.of_mean, p.p50);
    // The cumulative difference at the end of month k is k · saving − exit.
    let cum = &r.monthly_of(1).unwrap().cumulative_vs_baseline;
    for (k, band) in cum.iter().enumerate() {
        let want = (k + 1) as f64 * saving - exit;
        assert!(
            (band.mean - want).abs() < 1e-6 * exit,
            "{} vs {want}",
            band.mean
        );
        assert!(
            (band.p95 - band.p5).abs() < 1e-6 * exit,
            "chance-free: {band:?}"
        );
    }
    assert!(r.monthly_of(2).unwrap().payback.is_none());
}

#[test]
fn with_every_mechanism_off_results_equal_the_steady_state_and_months_add_up() {
    let text = include_str!("../scenarios/leverage.toml").replace("trials = 2000", "trials = 60");
    let zeroed = text
        .replace(
            "[[designs]]\nname = \"leveraged\"",
            "[transition]\nsettling_half_life_months = 3\n[behaviour]\ncoasting = 0\n\n[[designs]]\nname = \"leveraged\"\nquarterback = false\noff_profile_cap = 1",
        )
        .replace(
            "variable_pay_rate = 0.04\n",
            "variable_pay_rate = 0.04\noff_profile_share = 0\nattrition_per_month = 0\nramp = []\n",
        );
    assert_ne!(text, zeroed);
    let a = model(&text);
    let b = model(&zeroed);
    let (ma, ra) = simulate(&a);
    let (mb, rb) = simulate(&b);
    assert_eq!(ma, mb, "the same trial matrix, month by month");
    assert_eq!(ra.designs, rb.designs);
    // Conservation: the months add up to the horizon's totals in every trial (the counts
    // exactly, being whole numbers).
    let layout = Layout::of(&a);
    let g = covsim::metrics::g::CONTRIBUTION;
    for t in 0..ma.trials as usize {
        for d in 0..ma.designs {
            let row = ma.row(t, d);
            for (k, total) in [
                (monthly::CONTRIBUTION, row[g]),
                (monthly::REVENUE, row[covsim::metrics::g::REVENUE]),
                (
                    monthly::COST_OF_SALES,
                    row[covsim::metrics::g::COST_OF_SALES],
                ),
                (monthly::CONFLICTS, row[covsim::metrics::g::CONFLICTS]),
                (
                    monthly::FAILED_HANDOFFS,
                    row[covsim::metrics::g::FAILED_HANDOFFS],
                ),
                (
                    monthly::OPPORTUNITIES,
                    row[covsim::metrics::g::OPPORTUNITIES],
                ),
                (monthly::WINS, row[covsim::metrics::g::WINS]),
            ] {
                let sum: f64 = (0..layout.months).map(|m| row[layout.month(m, k)]).sum();
                assert!(
                    (sum - total).abs() <= 1e-6 * total.abs().max(1.0),
                    "{sum} vs {total}"
                );
            }
        }
    }
}

#[test]
fn bad_transition_keys_are_reported_with_their_paths() {
    let designs = r#"
[[designs]]
name = "a"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
transition_from = "aa"
headcount = { inside = 1 }
onboarding = { plan = "guarantee", target_share = 0.5 }
[designs.coverage.all]
owner = "inside"
"#;
    let text = simple(designs, "").replace(
        "cost_per_head_per_year = 50000",
        "cost_per_head_per_year = 50000\nramp_months = 3\nramp = [0.5]",
    );
    let err = covsim::scenario::load(&text, "t.toml", &mut |_: &str| Err("none".into()))
        .expect_err("invalid scenario");
    let all = covsim::diag::render_all(&err);
    for needle in [
        "unknown design \"aa\"; did you mean \"a\"?",
        "designs[1].transition_from",
        "`target_share` does not apply to plan = \"guarantee\"",
        "designs[1].onboarding.guarantee_per_month",
        "both `ramp` and `ramp_months` are given",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}
