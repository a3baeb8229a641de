//! The simulated means agree with formulas derived by hand, within their standard error.
//! Each expected value below is computed from the scenario's parameters, not from a past run.

mod common;
use common::*;

const POTENTIAL: f64 = 200.0 * 120_000.0; // accounts × annual potential, 12-month horizon
const Z: f64 = 3.5; // a deterministic seed: a 3.5-se band fails by chance 1 time in 2,000

#[test]
fn one_channel_no_conflict_expected_revenue() {
    let designs = r#"
[[designs]]
name = "a"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
headcount = { inside = 2 }
[designs.coverage.all]
owner = "inside"
"#;
    let (_, r) = simulate(&model(&simple(designs, "")));
    // a: digital, response 1: revenue = potential × P(stage 1) × P(stage 2) × (1 − discount).
    let expected_a = POTENTIAL * 0.6 * 0.5 * (1.0 - 0.1);
    let s = r.stat(0, "revenue").unwrap();
    assert_close("revenue, digital", s.mean, s.se, expected_a, Z);
    // b: inside, 2 heads × 1000 h for 200 accounts × 20 coverage hours: half the hours the
    // work needs. The response at ρ = ½ is 0.25·1.25/(0.25 + 0.25) = 0.625; it scales the
    // opportunities surfaced and, once, the deal's conversion.
    let response = 0.25 * 1.25 / 0.5;
    let expected_b = POTENTIAL * response * 0.6 * 0.5 * response;
    let s = r.stat(1, "revenue").unwrap();
    assert_close(
        "revenue, inside with ADBUDG response",
        s.mean,
        s.se,
        expected_b,
        Z,
    );
    // Gross margin is revenue minus cost of goods at list price (50% margin).
    let gm = r.stat(1, "gross_margin").unwrap();
    assert_close("gross margin", gm.mean, gm.se, expected_b * 0.5, Z);
    // Cost of sales of b is its heads: 2 × 50,000, no chance involved.
    let cos = r.stat(1, "cost_of_sales").unwrap();
    assert!((cos.mean - 100_000.0).abs() < 1e-6 && cos.sd < 1e-9);
}

#[test]
fn handoff_failure_scales_revenue_by_one_minus_p() {
    let p = 0.2;
    let designs = r#"
[[designs]]
name = "a"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
headcount = { inside = 1000 }
[designs.coverage.all]
owner = "direct"
owners = { two = "inside" }
"#;
    let extra = format!("[handoffs]\ndefault_failure = {p}\n");
    let (m, r) = simulate(&model(&simple(designs, &extra)));
    // Multiplier 1 everywhere (inside's stage needs no hours; digital surfaces); b differs from
    // a only by one hand-off and inside's discount (0).
    let without = POTENTIAL * 0.6 * 0.5;
    let s = r.stat(1, "revenue").unwrap();
    assert_close(
        "revenue with hand-off",
        s.mean,
        s.se,
        without * (1.0 - p),
        Z,
    );
    let lost = r.stat(1, "revenue_lost_to_failed_handoffs").unwrap();
    assert_close(
        "revenue lost to hand-offs",
        lost.mean,
        lost.se,
        without * p,
        Z,
    );
    // Failed hand-offs happen only to deals that passed stage one: opportunities × 0.6 × p.
    let opps = POTENTIAL / 40_000.0; // opportunity value = potential / 3 per year
    let failed = r.stat(1, "failed_handoffs").unwrap();
    assert_close(
        "failed hand-offs",
        failed.mean,
        failed.se,
        opps * 0.6 * p,
        Z,
    );
    // Common random numbers: b never wins a deal that a loses (same stage draws, same
    // opportunities), so per trial b's wins are at most a's.
    for t in 0..m.trials as usize {
        let wins = covsim::metrics::g::WINS;
        assert!(m.row(t, 1)[wins] <= m.row(t, 0)[wins]);
    }
}

#[test]
fn conflict_erodes_q_times_d_of_revenue() {
    let (q, d) = (0.3, 0.15);
    let designs = r#"
[[designs]]
name = "a"
clarity = 0
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
clarity = 0
headcount = { inside = 10 }
[designs.coverage.all]
owner = "direct"
"#;
    // pressure_half_hours = 0: an intruder with any hours pursues at its full overlap.
    let extra = format!(
        "[conflict]\ndiscount = {d}\nloss_probability = 0\nduplicate_cost = 100\npressure_half_hours = 0\n[[conflict.pairs]]\nowner = \"direct\"\nintruder = \"inside\"\noverlap = {q}\n"
    );
    let (_, r) = simulate(&model(&simple(designs, &extra)));
    let net = POTENTIAL * 0.6 * 0.5 * (1.0 - 0.1);
    let eroded = r.stat(1, "margin_eroded_by_conflict").unwrap();
    assert_close("margin eroded", eroded.mean, eroded.se, q * d * net, Z);
    let revenue = r.stat(1, "revenue").unwrap();
    assert_close(
        "revenue after erosion",
        revenue.mean,
        revenue.se,
        net * (1.0 - q * d),
        Z,
    );
    // a has no inside heads, so nobody intrudes.
    assert_eq!(r.stat(0, "conflicts").unwrap().max, 0.0);
    // Each conflict costs 100 of duplicated effort: exactly 100 × conflicts in every trial.
    let dup = r.stat(1, "duplicated_effort").unwrap().mean;
    let conflicts = r.stat(1, "conflicts").unwrap().mean;
    assert!((dup - 100.0 * conflicts).abs() < 1e-6 * dup.max(1.0));
}

#[test]
fn conflict_loss_and_clarity_and_credit() {
    // Conflict likelihood = overlap × territory × (1 − clarity_effect × clarity) × credit factor.
    let designs = r#"
[[designs]]
name = "a"
clarity = 0.5
credit = "double"
territory_overlap = 0.8
headcount = { inside = 10 }
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
clarity = 0
headcount = { inside = 10 }
[designs.coverage.all]
owner = "direct"
"#;
    let extra = "[conflict]\ndiscount = 0\nloss_probability = 0.5\nclarity_effect = 0.6\ndouble_credit_factor = 0.5\npressure_half_hours = 0\n[[conflict.pairs]]\nowner = \"direct\"\nintruder = \"inside\"\noverlap = 0.4\n";
    let (_, r) = simulate(&model(&simple(designs, extra)));
    let q_a = 0.4 * 0.8 * (1.0 - 0.6 * 0.5) * 0.5;
    let q_b = 0.4;
    let opps = POTENTIAL / 40_000.0;
    for (d, q) in [(0, q_a), (1, q_b)] {
        let c = r.stat(d, "conflicts").unwrap();
        assert_close("conflicts", c.mean, c.se, opps * q, Z);
        // Half the conflicted deals that would have been won are lost.
        let lost = r.stat(d, "revenue_lost_to_conflict").unwrap();
        assert_close(
            "lost to conflict",
            lost.mean,
            lost.se,
            POTENTIAL * 0.3 * q * 0.5,
            Z,
        );
    }
}

#[test]
fn pipeline_is_conserved_in_every_trial() {
    let (m, r) = simulate(&model(covsim::scenario::BUILTIN).clone_with_trials(200));
    use covsim::metrics::g;
    for t in 0..m.trials as usize {
        for d in 0..m.designs {
            let x = m.row(t, d);
            // Deals in flight at the start book inside the horizon without being part of its
            // pipeline.
            let buckets = x[g::NOT_WON]
                + x[g::LOST_TO_HANDOFFS]
                + x[g::LOST_TO_CONFLICT]
                + x[g::DEFERRED]
                + x[g::WON_LIST_VALUE]
                - x[g::IN_FLIGHT_BOOKED];
            assert!(
                (x[g::PIPELINE] - buckets).abs() <= 1e-9 * x[g::PIPELINE],
                "pipeline not conserved: {} vs {buckets}",
                x[g::PIPELINE]
            );
            let revenue =
                x[g::WON_LIST_VALUE] - x[g::CHANNEL_DISCOUNTS] - x[g::MARGIN_ERODED_BY_CONFLICT];
            assert!((x[g::REVENUE] - revenue).abs() <= 1e-9 * revenue.abs().max(1.0));
            assert!(
                (x[g::CONTRIBUTION] - (x[g::GROSS_MARGIN] - x[g::COST_OF_SALES])).abs() <= 1e-6
            );
        }
    }
    // Surfacing is at most 1: the pipeline is at most the potential on average (a trial's
    // opportunities are random, so one trial may surface more).
    for d in 0..m.designs {
        let (p, pot) = (
            r.stat(d, "pipeline").unwrap(),
            r.stat(d, "potential_revenue").unwrap(),
        );
        assert!(
            p.mean <= pot.mean + 3.5 * (p.se + pot.se),
            "{} > {}",
            p.mean,
            pot.mean
        );
    }
    assert_eq!(r.trials, 200);
}

#[test]
fn delays_push_late_deals_past_the_horizon_and_the_pipeline_in_flight_replaces_them() {
    // Stage months 1.5 in total: deals from months 0–10 close inside the year (m + 1.5 < 12),
    // month 11's close after it: 1/12 of the year's won value is deferred. The design starts in
    // its steady state: the deals of month −1 (in flight at the start) book in month 0, so a
    // full year of won value is booked.
    let designs = r#"
[[designs]]
name = "a"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
headcount = {}
[designs.coverage.all]
owner = "direct"
"#;
    let text = simple(designs, "").replace(
        "name = \"two\"\nconversion = 0.5",
        "name = \"two\"\nconversion = 0.5\nmonths = 1.5",
    );
    let (_, r) = simulate(&model(&text));
    let won = POTENTIAL * 0.3;
    let booked = r.stat(0, "won_list_value").unwrap();
    assert_close("booked", booked.mean, booked.se, won, Z);
    let deferred = r.stat(0, "revenue_deferred").unwrap();
    assert_close("deferred", deferred.mean, deferred.se, won / 12.0, Z);
    let in_flight = r.stat(0, "in_flight_booked").unwrap();
    assert_close("in flight", in_flight.mean, in_flight.se, won / 12.0, Z);
}

trait WithTrials {
    fn clone_with_trials(&self, n: u64) -> Self;
}
impl WithTrials for Loaded {
    fn clone_with_trials(&self, n: u64) -> Self {
        let mut m = self.clone();
        m.trials = n;
        m
    }
}
