//! Time that starts in steady state (docs/MODEL.md §3, §15): pipelines in flight at the start, a
//! Poisson number of opportunities of any rate, customers who leave, pay that follows the deals
//! a cohort sourced, and hiring with a lead time and a fee. Every expected value is derived from
//! the scenario's parameters.

mod common;
use common::*;

use covsim::engine::TrialMatrix;
use covsim::metrics::{Layout, g, monthly};
use covsim::model::Model;

const Z: f64 = 3.5;

/// Mean and standard error of a monthly metric of design `d` in month `m`.
fn monthly_stat(model: &Model, matrix: &TrialMatrix, d: usize, m: usize, k: usize) -> (f64, f64) {
    let layout = Layout::of(model);
    let xs = matrix.column(d, layout.month(m, k));
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn a_longer_cycle_costs_nothing_in_steady_state() {
    // Two digital channels alike in every way; design b hands every deal from one to the other
    // with a 3-month delay and no failure. Both start with their pipelines in flight, so over
    // the year b books as much as a: the difference is 0 within its standard error.
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
owners = { one = "twin" }
"#;
    let extra = r#"
[[channels]]
name = "twin"
kind = "digital"
price_discount = 0.1
[handoffs]
default_failure = 0
[[handoffs.pairs]]
from = "twin"
to = "direct"
delay_months = 3
"#;
    let text = simple(designs, extra).replace("trials = 4000", "trials = 3000");
    let (m, r) = simulate(&model(&text));
    let d = r.diff(1, "contribution").unwrap();
    assert_close(
        "Δ contribution, 3 months longer",
        d.diff.mean,
        d.diff.se,
        0.0,
        3.0,
    );
    // The longer cycle is in flight at the start: what b defers beyond the horizon, it booked
    // from before the start.
    let (deferred, in_flight) = (
        r.stat(1, "revenue_deferred").unwrap(),
        r.stat(1, "in_flight_booked").unwrap(),
    );
    assert!(deferred.mean > 0.2 * r.stat(1, "won_list_value").unwrap().mean);
    assert_close(
        "in flight vs deferred",
        in_flight.mean - deferred.mean,
        (in_flight.se.powi(2) + deferred.se.powi(2)).sqrt(),
        0.0,
        Z,
    );
    // Steady from month 1: the first month books as much as the last.
    let model = model(&text);
    let k = monthly::REVENUE;
    let (first, se1) = monthly_stat(&model, &m, 1, 0, k);
    let (last, se2) = monthly_stat(&model, &m, 1, 11, k);
    assert_close(
        "month 1 vs month 12",
        first - last,
        (se1 * se1 + se2 * se2).sqrt(),
        0.0,
        Z,
    );
}

#[test]
fn opportunities_are_poisson_at_any_rate_and_paired_by_thinning() {
    // 94 opportunities a year (the public Maven CRM sample has accounts with that many): over
    // a year, 200 accounts bring Poisson(200 × 94) opportunities: mean and variance 18,800.
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
    let text = simple(designs, "")
        .replace("opportunities_per_year = 3", "opportunities_per_year = 94")
        .replace("trials = 4000", "trials = 2000");
    let (_, r) = simulate(&model(&text));
    let o = r.stat(0, "opportunities").unwrap();
    let lambda = 200.0 * 94.0;
    assert_close("opportunities", o.mean, o.se, lambda, Z);
    // The sample variance of n Poisson counts has relative sd √(2/(n−1)) (≈ 3.2% here).
    let rel = (o.sd * o.sd / lambda - 1.0).abs();
    assert!(
        rel < 4.0 * (2.0f64 / 1999.0).sqrt(),
        "variance/mean = {}",
        o.sd * o.sd / lambda
    );

    // Adding a design with a higher rate changes no other design's rows.
    let thin = r#"
[[designs]]
name = "few"
headcount = { inside = 1 }
[designs.coverage.all]
owner = "inside"
[[designs]]
name = "some"
headcount = { inside = 2 }
[designs.coverage.all]
owner = "inside"
"#;
    let more = format!(
        "{thin}\n[[designs]]\nname = \"all\"\nheadcount = {{}}\n[designs.coverage.all]\nowner = \"direct\"\n"
    );
    let small = simple(thin, "").replace("trials = 4000", "trials = 200");
    let large = simple(&more, "").replace("trials = 4000", "trials = 200");
    let (ms, _) = simulate(&model(&small));
    let (ml, _) = simulate(&model(&large));
    for d in 0..2 {
        for k in 0..ms.width {
            assert_eq!(ms.column(d, k), ml.column(d, k), "design {d}, metric {k}");
        }
    }
}

/// Two designs where digital closes every deal; in the second, inside (5 heads, clarity 0)
/// is present without owning a stage, so it pursues the deals of the conflict pairs given.
const CHASED: &str = r#"
[[designs]]
name = "alone"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "chased"
clarity = 0
headcount = { inside = 5 }
[designs.coverage.all]
owner = "direct"
"#;

#[test]
fn customers_lost_to_conflict_follow_the_closed_form() {
    // Digital closes every deal; inside, with any hours, pursues a share q of them; each
    // conflict loses the customer with probability p. Conflicts that lose the customer are a
    // Poisson process of rate (3/12)·q·p a month, so N·exp(−(3/12)·q·p·(m + 1)) accounts are
    // still customers at the end of month m + 1.
    let (q, p) = (0.4, 0.25);
    let designs = CHASED;
    let extra = format!(
        "[conflict]\nloss_probability = 0\npressure_half_hours = 0\ncustomer_loss_probability = {p}\n[[conflict.pairs]]\nowner = \"direct\"\nintruder = \"inside\"\noverlap = {q}\n"
    );
    let text = simple(designs, &extra).replace("trials = 4000", "trials = 2000");
    let model = model(&text);
    let (m, r) = simulate(&model);
    for month in 0..12 {
        let expected = 200.0 * (-(3.0 / 12.0) * q * p * (month + 1) as f64).exp();
        let (mean, se) = monthly_stat(&model, &m, 1, month, monthly::CUSTOMERS);
        assert_close(
            &format!("customers, month {}", month + 1),
            mean,
            se,
            expected,
            Z,
        );
        let (alone, _) = monthly_stat(&model, &m, 0, month, monthly::CUSTOMERS);
        assert_eq!(alone, 200.0, "no conflict, no customer lost");
    }
    // Every customer lost here is lost to conflict, and the months add up to the total.
    for t in 0..m.trials as usize {
        let row = m.row(t, 1);
        assert_eq!(row[g::CUSTOMERS_LOST], row[g::CUSTOMERS_LOST_TO_CONFLICT]);
        let layout = Layout::of(&model);
        assert_eq!(
            200.0 - row[layout.month(11, monthly::CUSTOMERS)],
            row[g::CUSTOMERS_LOST]
        );
    }
    // A lost customer brings no more deals: fewer opportunities than the design alone.
    assert!(r.stat(1, "opportunities").unwrap().mean < r.stat(0, "opportunities").unwrap().mean);
}

#[test]
fn base_churn_follows_its_yearly_rate() {
    // A churn of 30% a year at full coverage: (1 − 0.3)^((m+1)/12) of the accounts remain.
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
    let text = simple(designs, "")
        .replace(
            "coverage_hours_per_account_per_year = 20",
            "coverage_hours_per_account_per_year = 20\nchurn_per_year = 0.3",
        )
        .replace("trials = 4000", "trials = 1000");
    let model = model(&text);
    let (m, _) = simulate(&model);
    for month in [0usize, 5, 11] {
        let expected = 200.0 * 0.7f64.powf((month + 1) as f64 / 12.0);
        let (mean, se) = monthly_stat(&model, &m, 0, month, monthly::CUSTOMERS);
        assert_close(
            &format!("customers after churn, month {}", month + 1),
            mean,
            se,
            expected,
            Z,
        );
    }
}

#[test]
fn an_onboarding_plan_of_none_is_no_onboarding_table_bit_for_bit() {
    // `plan = "none"` pays the usual rate during its (default 3) months: the same figures as
    // writing no table, to the last bit, though its heads count as onboarding meanwhile.
    let text = std::fs::read_to_string(scenarios().join("transition.toml"))
        .unwrap()
        .replace("trials = 2000", "trials = 40");
    let line = text
        .lines()
        .find(|l| l.starts_with("onboarding = { plan = \"guarantee\""))
        .expect("transition.toml has a guarantee plan");
    let none = model(&text.replacen(line, "onboarding = { plan = \"none\" }", 1));
    let absent = model(&text.replacen(line, "", 1));
    let (a, b) = (simulate(&none).0, simulate(&absent).0);
    let bits = |m: &covsim::engine::TrialMatrix| -> Vec<u64> {
        (0..m.trials as usize)
            .flat_map(|t| (0..m.designs).flat_map(move |d| m.row(t, d).to_vec()))
            .map(f64::to_bits)
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn a_hiring_lead_of_zero_written_is_the_default_left_out() {
    // The replacement delay follows the hiring lead only where the lead is above 0, so the
    // lead's documented default, 0, written gives the model of leaving it out (delay 2).
    let text = std::fs::read_to_string(scenarios().join("transition.toml")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("hiring_lead_months = 2"))
        .expect("transition.toml's inside channel has a hiring lead");
    let zero = model(&text.replacen(line, "hiring_lead_months = 0", 1));
    let absent = model(&text.replacen(line, "", 1));
    let two = model(&text);
    let delays = |m: &covsim::model::Model| -> Vec<(u32, u32)> {
        m.channels
            .iter()
            .map(|c| (c.hiring_lead_months, c.replacement_delay_months))
            .collect()
    };
    assert_eq!(delays(&zero), delays(&absent));
    let inside = two
        .channels
        .iter()
        .position(|c| c.name == "inside")
        .unwrap();
    assert_eq!(delays(&absent)[inside], (0, 2));
    assert_eq!(delays(&two)[inside], (2, 2));
}

#[test]
fn onboarding_pay_follows_the_deals_the_cohort_sourced() {
    // Ten new inside heads on a reduced target (half the target: twice the rate) for their
    // first 3 months. Every deal books one month after it arises, so in every trial the pay of
    // month 1 is on deals sourced before the start (usual rate), months 2–4 on deals the new
    // cohort sourced (twice the rate), and month 5 on deals sourced after its plan (usual).
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
onboarding = { plan = "reduced_target", months = 3, target_share = 0.5 }
[designs.coverage.all]
owner = "inside"
"#;
    let text = simple(designs, "")
        .replace(
            "cost_per_head_per_year = 50000",
            "cost_per_head_per_year = 50000\nvariable_pay_rate = 0.04",
        )
        .replace(
            "name = \"two\"\nconversion = 0.5",
            "name = \"two\"\nconversion = 0.5\nmonths = 1",
        )
        .replace("trials = 4000", "trials = 100");
    let model = model(&text);
    let (m, _) = simulate(&model);
    let layout = Layout::of(&model);
    let heads = 10.0 * 50_000.0 / 12.0;
    for t in 0..m.trials as usize {
        let row = m.row(t, 1);
        for (month, rate) in [
            (0, 0.04),
            (1, 0.08),
            (2, 0.08),
            (3, 0.08),
            (4, 0.04),
            (5, 0.04),
        ] {
            let revenue = row[layout.month(month, monthly::REVENUE)];
            let pay = row[layout.month(month, monthly::COST_OF_SALES)] - heads;
            assert!(
                (pay - revenue * rate).abs() < 1e-6 * revenue.max(1.0),
                "trial {t}, month {}: pay {pay} on revenue {revenue}, expected rate {rate}",
                month + 1
            );
        }
    }
}

#[test]
fn hires_join_after_the_lead_time_and_cost_their_fee() {
    let (lead, fee) = (3u32, 20_000.0);
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
"#;
    let text = simple(designs, "")
        .replace(
            "cost_per_head_per_year = 50000",
            &format!(
                "cost_per_head_per_year = 50000\nhiring_lead_months = {lead}\nrecruiting_fee_per_hire = {fee}"
            ),
        )
        .replace("trials = 4000", "trials = 20");
    let model = model(&text);
    let (m, r) = simulate(&model);
    let layout = Layout::of(&model);
    let row = m.row(0, 1);
    for month in 0..12 {
        let heads = if month < lead as usize { 0.0 } else { 4.0 };
        assert_eq!(row[layout.month(month, monthly::PRODUCTIVE_HEADS)], heads);
    }
    // Heads are paid from the month they join, and each costs its fee then.
    let expected = 4.0 * 50_000.0 * (12 - lead) as f64 / 12.0 + 4.0 * fee;
    let cost = r.stat(1, "cost_heads").unwrap();
    assert!(
        (cost.mean - expected).abs() < 1e-6 * expected,
        "{} vs {expected}",
        cost.mean
    );
}

#[test]
fn deals_in_flight_are_booked_like_the_horizons_deals() {
    // docs/MODEL.md §15: a deal in flight at the start that the design wins up to the close
    // is booked as a won deal: counted in `wins`, at the pair's discount when conflicted, and
    // through post-sale; only its loss draw ℓ (never the customer-loss draw) loses it to
    // conflict. Every opportunity is conflicted (overlap 1, clarity 0, pressure 1 with any
    // heads: q = 1), every account is alike (a deal is worth 120,000 / 3 at list), and a
    // 3-month close stage puts deals in flight at the start.
    let conflict = |customer_loss: f64| {
        format!(
            r#"
[[stages]]
name = "post"
conversion = 0.8
[conflict]
discount = 0.1
loss_probability = 0.0
customer_loss_probability = {customer_loss}
pressure_half_hours = 0
[[conflict.pairs]]
owner = "direct"
intruder = "inside"
overlap = 1.0
"#
        )
    };
    let text = |customer_loss: f64| {
        simple(CHASED, &conflict(customer_loss))
            .replace(
                "conversion = 0.5\n",
                "conversion = 0.5\nmonths = 3\nclose = true\n",
            )
            .replace("trials = 4000", "trials = 1500")
    };
    let deal = 120_000.0 / 3.0;

    // Customers are never lost: every booked deal, in flight or not, is conflicted.
    let (m, r) = simulate(&model(&text(0.0)));
    let col = |k: usize| m.column(1, k);
    let (wins, won, booked_in_flight) = (
        col(g::WINS),
        col(g::WON_LIST_VALUE),
        col(g::IN_FLIGHT_BOOKED),
    );
    let (revenue, eroded, discounts) = (
        col(g::REVENUE),
        col(g::MARGIN_ERODED_BY_CONFLICT),
        col(g::CHANNEL_DISCOUNTS),
    );
    for t in 0..wins.len() {
        // In `wins`: each booked deal is one deal of list value `deal`.
        assert!(
            (won[t] - wins[t] * deal).abs() < 1e-6 * won[t].max(1.0),
            "trial {t}"
        );
        // At the pair's discount: margin eroded is 0.1 of the net price of every booked deal.
        let net = won[t] - discounts[t];
        assert!(
            (eroded[t] - 0.1 * net).abs() < 1e-6 * net.max(1.0),
            "trial {t}"
        );
        assert!(
            (revenue[t] - 0.9 * net).abs() < 1e-6 * net.max(1.0),
            "trial {t}"
        );
    }
    let in_flight = r.stat(1, "in_flight_booked").unwrap().mean;
    let all = r.stat(1, "won_list_value").unwrap().mean;
    assert!(
        in_flight > 0.15 * all,
        "a quarter of a steady year's bookings were in flight: {in_flight} of {all}"
    );
    assert!(booked_in_flight.iter().any(|&x| x > 0.0));
    // Through post-sale: it fails on 1 − 0.8 of every booked deal, in flight included.
    let f = r.stat(1, "post_sale_failures").unwrap();
    let w = r.stat(1, "wins").unwrap().mean;
    assert_close("post-sale failures", f.mean, f.se, 0.2 * w, Z);
    let f_horizon = 0.2 * (w - in_flight / deal);
    assert!(
        (f.mean - f_horizon).abs() > 6.0 * f.se,
        "the test tells the two readings apart"
    );

    // Every conflict loses the customer: every deal of the horizon is lost, but the deals in
    // flight, whose conflict uses only ℓ = 0, are all booked.
    let (m, _) = simulate(&model(&text(1.0)));
    let (won, in_flight, lost) = (
        m.column(1, g::WON_LIST_VALUE),
        m.column(1, g::IN_FLIGHT_BOOKED),
        m.column(1, g::LOST_TO_CONFLICT),
    );
    for t in 0..won.len() {
        assert_eq!(won[t], in_flight[t], "trial {t}: only deals in flight book");
    }
    assert!(in_flight.iter().sum::<f64>() > 0.0 && lost.iter().sum::<f64>() > 0.0);
}
