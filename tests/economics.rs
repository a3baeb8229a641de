//! The economics a sales-operations expert would check (docs/MODEL.md §2–6): capacity that
//! binds, effectiveness once per deal, stages after the close that never undo a booked deal,
//! double credit that costs what it pays, conflict that needs an intruder with heads, and
//! productivity per head-year. Every expected value is derived from the scenario's parameters.

mod common;
use std::collections::HashMap;

use common::*;
use covsim::model::Response;
use covsim::scenario::{BUILTIN, BUILTIN_NAME, Scenario};

const Z: f64 = 3.5;

/// One tier of 200 identical accounts, an inside team whose hours bind, a digital channel, and
/// `stages` as given. `designs` and `extra` are appended.
fn one_tier(stages: &str, designs: &str, extra: &str) -> String {
    format!(
        r#"
[simulation]
name = "economics"
trials = 3000
seed = 11
months = 12
[economics]
gross_margin = 0.5
[accounts]
[[accounts.segments]]
name = "s"
count = 200
potential = 120000
fit = 0.9
[[tiers]]
name = "all"
opportunities_per_year = 3
coverage_hours_per_account_per_year = 10
[response]
shape = 1.5
half_saturation = 0.4
[[channels]]
name = "direct"
kind = "digital"
[[channels]]
name = "inside"
kind = "inside"
capacity_hours_per_head_per_year = 1000
cost_per_head_per_year = 50000
variable_pay_rate = 0.04
{stages}
{extra}
{designs}
"#
    )
}

const TWO_STAGES: &str = r#"
[[stages]]
name = "one"
conversion = 0.6
hours_per_opportunity = 2
[[stages]]
name = "two"
conversion = 0.5
hours_per_opportunity = 5
"#;

/// Hours inside needs to work the tier of `one_tier` with `TWO_STAGES`: coverage plus the
/// standard flow entering each stage times its hours.
fn inside_need() -> f64 {
    200.0 * (10.0 + 3.0 * 2.0 + 3.0 * 0.6 * 5.0)
}

fn response() -> Response {
    Response {
        shape: 1.5,
        half_saturation: 0.4,
    }
}

#[test]
fn demand_twice_the_supply_gives_the_response_at_half_the_hours() {
    // Heads chosen so that inside has exactly half the hours its work needs.
    let heads = inside_need() / 2.0 / 1000.0;
    let designs = format!(
        r#"
[[designs]]
name = "digital"
headcount = {{}}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "inside_half"
headcount = {{ inside = {heads} }}
[designs.coverage.all]
owner = "inside"
"#
    );
    let (_, r) = simulate(&model(&one_tier(TWO_STAGES, &designs, "")));
    let m = response().at(0.5);
    assert!(m > 0.0 && m < 1.0, "the response at half the hours is {m}");
    let plan = &r.designs[1].tiers[0];
    assert!(
        (plan.response - m).abs() < 1e-12,
        "surfacing {}",
        plan.response
    );
    // Effectiveness 1 and the response enter the deal once: 0.6 × 0.5 × M(½).
    assert!(
        (plan.p_convert - 0.3 * m).abs() < 1e-12,
        "{}",
        plan.p_convert
    );
    let needed = r.designs[1].hours_needed[1];
    assert!(
        (needed - inside_need()).abs() < 1e-6,
        "hours needed {needed}"
    );
    let potential = 200.0 * 120_000.0;
    let s = r.stat(1, "revenue").unwrap();
    assert_close(
        "revenue at half the hours",
        s.mean,
        s.se,
        potential * m * 0.3 * m,
        Z,
    );
    // The digital design is not limited by hours: the scenario's own figures.
    let s = r.stat(0, "revenue").unwrap();
    assert_close("revenue, digital", s.mean, s.se, potential * 0.3, Z);
}

#[test]
fn zero_hours_surface_and_convert_nothing_and_inbound_needs_selling_hours() {
    assert_eq!(response().at(0.0), 0.0);
    // Inbound opportunities arrive without prospecting but still need selling hours: with a
    // prospecting owner that has no hours, only inbound deals appear.
    let stages = r#"
[[stages]]
name = "one"
conversion = 0.6
hours_per_opportunity = 2
[[stages]]
name = "two"
conversion = 0.5
"#;
    let designs = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "split"
headcount = { inside = 1 }
[designs.coverage.all]
owner = "inside"
owners = { two = "direct" }
"#;
    let text = one_tier(stages, designs, "[handoffs]\ndefault_failure = 0\n").replace(
        "opportunities_per_year = 3",
        "opportunities_per_year = 2\ninbound_per_year = 1",
    );
    let (_, r) = simulate(&model(&text));
    // Inside's one head has 1,000 hours for 200·(10 + 3·2) = 3,200 needed.
    let ratio = 1000.0 / 3200.0;
    let m = response().at(ratio);
    let plan = &r.designs[1].tiers[0];
    assert!((plan.response - m).abs() < 1e-12);
    let opps = r.stat(1, "opportunities").unwrap();
    assert_close(
        "opportunities: prospected × response + inbound",
        opps.mean,
        opps.se,
        200.0 * (2.0 * m + 1.0),
        Z,
    );
}

#[test]
fn cutting_a_stage_in_two_changes_nothing() {
    // "two" (conversion 0.5, 5 hours) becomes "two_a" (0.8, 3 hours) and "two_b" (0.625,
    // 2.5 hours): the same overall conversion, and 3 + 0.8·2.5 = 5 hours per opportunity.
    let split = r#"
[[stages]]
name = "one"
conversion = 0.6
hours_per_opportunity = 2
[[stages]]
name = "two_a"
conversion = 0.8
hours_per_opportunity = 3
months = 0.25
[[stages]]
name = "two_b"
conversion = 0.625
hours_per_opportunity = 2.5
months = 0.25
"#;
    let whole = TWO_STAGES.replace(
        "conversion = 0.5\nhours_per_opportunity = 5",
        "conversion = 0.5\nhours_per_opportunity = 5\nmonths = 0.5",
    );
    let designs = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "inside"
headcount = { inside = 3 }
[designs.coverage.all]
owner = "inside"
"#;
    let effectiveness = "[[channels]]\nname = \"inside\"";
    let with_e = |stages: &str| {
        one_tier(stages, designs, "").replace(
            effectiveness,
            &format!("{effectiveness}\neffectiveness = 0.7"),
        )
    };
    let a = model(&with_e(&whole));
    let b = model(&with_e(split));
    let pa = covsim::engine::plan::build(&a);
    let pb = covsim::engine::plan::build(&b);
    for d in 0..2 {
        assert!((pa[d].p_convert - pb[d].p_convert).abs() < 1e-12);
        assert!((pa[d].response - pb[d].response).abs() < 1e-12);
        assert!((pa[d].delay_months - pb[d].delay_months).abs() < 1e-12);
        let (ea, eb) = (
            covsim::engine::plan::steady_effort(&a, d),
            covsim::engine::plan::steady_effort(&b, d),
        );
        assert!((ea.demand[1] - eb.demand[1]).abs() < 1e-6);
    }
    // And the simulated means agree within sampling error.
    let (_, ra) = simulate(&a);
    let (_, rb) = simulate(&b);
    let (x, y) = (
        ra.stat(1, "revenue").unwrap(),
        rb.stat(1, "revenue").unwrap(),
    );
    assert_close(
        "revenue, split vs whole",
        x.mean - y.mean,
        (x.se * x.se + y.se * y.se).sqrt(),
        0.0,
        Z,
    );
}

#[test]
fn effectiveness_enters_a_deal_once() {
    // A digital owner (not limited by hours) with effectiveness 0.6 on both stages: the tier's
    // win rate is 0.6 × 0.6 × 0.5, not 0.6² × 0.6 × 0.5.
    let designs = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "again"
headcount = {}
[designs.coverage.all]
owner = "direct"
"#;
    let text = one_tier(TWO_STAGES, designs, "").replace(
        "kind = \"digital\"",
        "kind = \"digital\"\neffectiveness = 0.6",
    );
    let (_, r) = simulate(&model(&text));
    let p = r.designs[0].tiers[0].p_convert;
    assert!((p - 0.6 * 0.3).abs() < 1e-12, "win rate {p}");
    let wr = r.stat(0, "win_rate").unwrap();
    assert_close("win rate", wr.mean, wr.se, 0.18, Z);
}

#[test]
fn post_sale_never_removes_a_booked_deal() {
    // The same scenario with and without a post-sale stage that fails half the time behind a
    // hand-off that fails half the time: revenue is identical in every trial.
    let post = format!(
        "{TWO_STAGES}\nclose = true\n[[stages]]\nname = \"post\"\nconversion = 0.5\nhours_per_opportunity = 1\n"
    );
    let designs = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "inside"
headcount = { inside = 4 }
[designs.coverage.all]
owner = "inside"
owners = { post = "direct" }
"#;
    let designs_without = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "inside"
headcount = { inside = 4 }
[designs.coverage.all]
owner = "inside"
"#;
    let extra = "[handoffs]\ndefault_failure = 0.5\n";
    let with = model(&one_tier(&post, designs, extra));
    let without = model(&one_tier(TWO_STAGES, designs_without, extra));
    // Inside's hours: the post-sale stage is done by digital, so its work is the same.
    let (mw, rw) = simulate(&with);
    let (mo, _) = simulate(&without);
    let k = covsim::metrics::g::REVENUE;
    for d in 0..2 {
        assert_eq!(
            mw.column(d, k),
            mo.column(d, k),
            "design {d}: revenue changed"
        );
    }
    // A booked deal's post-sale holds with probability 0.5 (digital, multiplier 1) × (1 − 0.5).
    assert!((rw.designs[1].tiers[0].p_post_sale - 0.25).abs() < 1e-12);
    let wins = rw.stat(1, "wins").unwrap().mean;
    let f = rw.stat(1, "post_sale_failures").unwrap();
    assert_close("post-sale failures", f.mean, f.se, wins * 0.75, Z);
}

/// Inside owns nothing but is present with `heads`; digital closes every deal.
fn intruder_scenario(heads: f64, credit: &str) -> String {
    let designs = format!(
        r#"
[[designs]]
name = "digital"
headcount = {{}}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "with_inside"
clarity = 0.5
credit = "{credit}"
headcount = {{ inside = {heads} }}
[designs.coverage.all]
owner = "direct"
"#
    );
    let extra = r#"
[conflict]
discount = 0.1
loss_probability = 0.0
clarity_effect = 0.8
double_credit_factor = 0.5
double_credit_share = 0.5
pressure_half_hours = 20
chase_hours = 3
[[conflict.pairs]]
owner = "direct"
intruder = "inside"
overlap = 0.4
"#;
    one_tier(TWO_STAGES, &designs, extra)
}

#[test]
fn conflict_needs_an_intruder_with_heads_and_grows_with_them() {
    let mut last = -1.0;
    for heads in [0.0, 1.0, 10.0, 100.0] {
        let (_, r) = simulate(&model(&intruder_scenario(heads, "single")));
        let c = r.stat(1, "conflicts").unwrap();
        // q = overlap · (1 − clarity_effect·clarity) · a/(a + half), a = hours per account.
        let a = heads * 1000.0 / 200.0;
        let q = if heads > 0.0 {
            0.4 * (1.0 - 0.8 * 0.5) * a / (a + 20.0)
        } else {
            0.0
        };
        let opps = r.stat(1, "opportunities").unwrap().mean;
        if heads == 0.0 {
            assert_eq!(c.mean, 0.0, "no heads, no conflict");
        } else {
            assert_close(
                &format!("conflicts, {heads} heads"),
                c.mean,
                c.se,
                opps * q,
                Z,
            );
            assert!(c.mean > last, "conflicts grow with the intruder's heads");
        }
        last = c.mean;
        // Chasing uses the intruder's hours: 3 hours per opportunity it chases.
        let needed = r.designs[1].hours_needed[1];
        assert!((needed - 200.0 * 3.0 * q * 3.0).abs() < 1e-6, "{needed}");
    }
}

#[test]
fn double_credit_pays_the_overlay_on_every_overlapped_deal() {
    let (m, r) = simulate(&model(&intruder_scenario(10.0, "double")));
    let (rev, pay) = (
        m.column(1, covsim::metrics::g::REVENUE),
        m.column(1, covsim::metrics::g::VARIABLE_PAY),
    );
    // Digital has no variable pay; inside is paid 4% × share 0.5 on every won deal.
    for (x, p) in rev.iter().zip(&pay) {
        assert!((p - x * 0.04 * 0.5).abs() < 1e-6 * x.max(1.0), "{p} vs {x}");
    }
    // Under single credit nothing is paid, but more conflicts erode more margin.
    let (_, single) = simulate(&model(&intruder_scenario(10.0, "single")));
    assert_eq!(single.stat(1, "variable_pay").unwrap().mean, 0.0);
    let eroded =
        |r: &covsim::results::Results| r.stat(1, "margin_eroded_by_conflict").unwrap().mean;
    assert!(eroded(&r) < eroded(&single));
    assert!(r.stat(1, "variable_pay").unwrap().mean > 0.0);
}

#[test]
fn productivity_per_head_year_does_not_depend_on_the_horizon() {
    let designs = r#"
[[designs]]
name = "digital"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "inside"
headcount = { inside = 4 }
[designs.coverage.all]
owner = "inside"
"#;
    let twelve = one_tier(TWO_STAGES, designs, "");
    let twenty_four = twelve.replace("months = 12", "months = 24");
    let (_, a) = simulate(&model(&twelve));
    let (_, b) = simulate(&model(&twenty_four));
    let (x, y) = (
        a.stat(1, "revenue_per_head_year").unwrap(),
        b.stat(1, "revenue_per_head_year").unwrap(),
    );
    assert_close(
        "revenue per head-year, 12 vs 24 months",
        x.mean - y.mean,
        (x.se * x.se + y.se * y.se).sqrt(),
        0.0,
        Z,
    );
    assert!((a.designs[1].roles[1].head_years - 4.0).abs() < 1e-12);
    assert!((b.designs[1].roles[1].head_years - 8.0).abs() < 1e-12);
    // A role that closes nothing has no cost per unit of revenue ("–"), never 0.
    assert_eq!(a.designs[0].roles[1].cost_per_revenue, None);
    assert_eq!(a.designs[1].roles[0].revenue_per_head_year, None);
}

#[test]
fn a_by_tier_table_must_name_every_tier() {
    let text = one_tier(TWO_STAGES, "", "")
        .replace(
            "[[tiers]]\nname = \"all\"",
            "[[tiers]]\nname = \"big\"\nmin_potential = 1e9\n[[tiers]]\nname = \"all\"",
        )
        .replace("conversion = 0.6", "conversion = { big = 0.6 }");
    let err = covsim::scenario::load(&text, "t.toml", &mut |_: &str| Err("none".into()))
        .expect_err("a tier left out of a by-tier table is an error");
    let all = covsim::diag::render_all(&err);
    assert!(all.contains("no value for tier(s) \"all\""), "{all}");
    assert!(all.contains("stages[0].conversion"), "{all}");
}

#[test]
fn sizing_the_built_in_example_has_an_optimum_inside_the_range() {
    let base = Scenario::load(BUILTIN, BUILTIN_NAME, &mut |_: &str| Err("none".into()))
        .expect("the built-in example loads");
    let heads = [1.0, 5.0, 20.0, 80.0, 320.0];
    let mut revenue = Vec::new();
    let mut contribution = Vec::new();
    for h in heads {
        let overrides = HashMap::from([("designs[0].headcount.field".to_string(), h)]);
        let m = Loaded {
            model: base.with(&overrides).expect("a valid headcount"),
            trials: 60,
            seed: base.settings.seed,
        };
        let (_, r) = simulate(&m);
        revenue.push(r.stat(0, "revenue").unwrap().mean);
        contribution.push(r.stat(0, "contribution").unwrap().mean);
    }
    assert!(
        revenue[0] <= 0.2 * revenue[3],
        "1 head earns {} against {} with 80",
        revenue[0],
        revenue[3]
    );
    // Revenue rises with heads, with diminishing returns.
    assert!(revenue.windows(2).all(|w| w[1] > w[0]), "{revenue:?}");
    let best = (0..heads.len())
        .max_by(|&a, &b| contribution[a].total_cmp(&contribution[b]))
        .unwrap();
    assert!(
        best > 0 && best < heads.len() - 1,
        "contribution by heads {heads:?}: {contribution:?}"
    );
}

/// One tier of 200 accounts with a digital owner `direct` (effectiveness 0.9, not limited by
/// hours: e·M = 0.9) and a specialist `solutions` with lift 0.6 (two heads, 2,000 hours a
/// year), `stages` and the second design's `specialists` as given.
fn with_specialist(stages: &str, specialists: &str) -> String {
    format!(
        r#"
[simulation]
name = "specialist"
trials = 2000
seed = 17
months = 12
[economics]
gross_margin = 0.5
[accounts]
[[accounts.segments]]
name = "s"
count = 200
potential = 120000
fit = 0.9
[[tiers]]
name = "all"
opportunities_per_year = 3
[response]
shape = 1.5
half_saturation = 0.4
[[channels]]
name = "direct"
kind = "digital"
effectiveness = 0.9
[[channels]]
name = "solutions"
kind = "specialist"
capacity_hours_per_head_per_year = 1000
cost_per_head_per_year = 150000
lift = 0.6
{stages}
[[designs]]
name = "alone"
headcount = {{}}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "with_solutions"
headcount = {{ solutions = 2 }}
[designs.coverage.all]
owner = "direct"
specialists = {{ {specialists} }}
"#
    )
}

/// The response of §2 at effort ratio `rho` for `with_specialist`'s shape 1.5 and
/// half-saturation 0.4, written out: ρ^c·(1 + h^c)/(h^c + ρ^c).
fn adbudg(rho: f64) -> f64 {
    let (c, h) = (1.5f64, 0.4f64);
    rho.powf(c) * (1.0 + h.powf(c)) / (h.powf(c) + rho.powf(c))
}

/// Stage pass probability of a plan, from its 53-bit threshold.
fn pass(plan: &covsim::engine::plan::Plan, s: usize) -> f64 {
    plan.pass[s] as f64 / 9_007_199_254_740_992.0
}

#[test]
fn cutting_a_stage_in_two_changes_nothing_with_a_specialist() {
    // The tester's case: qualify 0.5 → close 0.4 with the specialist at close, against close
    // cut into propose 0.8 → close 0.5 with the specialist at both. Its hours are the same:
    // 200·3·0.5·4 = 1,200 whole; 200·3·0.5·(2 + 0.8·2.5) = 1,200 cut; 2,000 available.
    let whole = r#"
[[stages]]
name = "qualify"
conversion = 0.5
months = 1
[[stages]]
name = "close"
conversion = 0.4
months = 1
hours_per_opportunity = 4
"#;
    let cut = r#"
[[stages]]
name = "qualify"
conversion = 0.5
months = 1
[[stages]]
name = "propose"
conversion = 0.8
months = 0.5
hours_per_opportunity = 2
[[stages]]
name = "close"
conversion = 0.5
months = 0.5
hours_per_opportunity = 2.5
"#;
    let a = model(&with_specialist(whole, r#"close = "solutions""#));
    let b = model(&with_specialist(
        cut,
        r#"propose = "solutions", close = "solutions""#,
    ));
    let (pa, pb) = (
        covsim::engine::plan::build(&a),
        covsim::engine::plan::build(&b),
    );
    let lift = 1.0 + 0.6 * adbudg(2000.0 / 1200.0);
    // Independently: the whole process converts 0.5·0.4 · e·M · (1 + lift·M_sp).
    let expected = 0.2 * 0.9 * lift;
    assert!(expected < 1.0);
    assert!(
        (pa[1].p_convert - expected).abs() < 1e-12,
        "{}",
        pa[1].p_convert
    );
    assert!(
        (pb[1].p_convert - expected).abs() < 1e-12,
        "{}",
        pb[1].p_convert
    );
    // Whole, no stage would pass with probability above 1: nothing carries.
    let ln_p = 0.2f64.ln();
    let y_close = 0.4 * 0.9f64.powf(0.4f64.ln() / ln_p) * lift;
    assert!(y_close < 1.0);
    assert!((pass(&pa[1], 1) - y_close).abs() < 1e-12);
    // Cut, the lift takes propose above 1 (where it used to be cut at 1, losing 12% of the
    // deals the specialist wins): propose passes surely and the rest carries to close.
    let y_propose = 0.8 * 0.9f64.powf(0.8f64.ln() / ln_p) * lift;
    assert!(y_propose > 1.0, "{y_propose}");
    assert_eq!(pass(&pb[1], 1), 1.0);
    assert!((pass(&pb[1], 0) - pass(&pa[1], 0)).abs() < 1e-15);
    assert!((pass(&pb[1], 2) - y_close).abs() < 1e-12);
    for d in 0..2 {
        assert!((pa[d].delay_months - pb[d].delay_months).abs() < 1e-12);
    }
    // Common random numbers: the same opportunities meet the same thresholds, so every trial
    // of every design has the same outcomes, to the bit.
    let (ma, ra) = simulate(&a);
    let (mb, rb) = simulate(&b);
    assert_eq!(ma.width, mb.width);
    let bits = |m: &covsim::engine::TrialMatrix| -> Vec<u64> {
        m.values.iter().map(|v| v.to_bits()).collect()
    };
    assert!(bits(&ma) == bits(&mb), "per-trial rows differ");
    let (x, y) = (
        ra.stat(1, "revenue").unwrap(),
        rb.stat(1, "revenue").unwrap(),
    );
    assert_eq!(x.mean, y.mean);
    // And the mean is the closed form: every deal booked (no delay past the horizon but the
    // last two months'), at the specialist's lift.
    let wr = rb.stat(1, "win_rate").unwrap();
    assert_close("win rate, cut", wr.mean, wr.se, expected, Z);
}

#[test]
fn a_group_above_one_passes_surely_and_a_carried_lift_keeps_its_product() {
    // (1) The product exceeds 1 through the lift at the group's last stage: qualify 0.9 →
    // close 0.8, the specialist at close with its lift 0.6·M. 0.72·0.9·(1 + 0.6·M) > 1 with
    // M > 1 (4,000 hours for 200·3·0.9·2 = 1,080 needed). Close alone goes above 1 while
    // qualify does not: what close cannot take goes back to qualify.
    let late = r#"
[[stages]]
name = "qualify"
conversion = 0.9
[[stages]]
name = "close"
conversion = 0.8
hours_per_opportunity = 2
close = true
"#;
    let text = with_specialist(late, r#"close = "solutions""#)
        .replace("solutions = 2 }", "solutions = 4 }")
        .replace("lift = 0.6", "lift = 1.5");
    let m = model(&text);
    let plans = covsim::engine::plan::build(&m);
    let lift = 1.0 + 1.5 * adbudg(4000.0 / 1080.0);
    assert!(0.72 * 0.9 * lift > 1.0);
    let y_qualify = 0.9 * 0.9f64.powf(0.9f64.ln() / 0.72f64.ln());
    assert!(y_qualify < 1.0);
    assert_eq!(plans[1].p_convert, 1.0);
    assert_eq!(pass(&plans[1], 0), 1.0);
    assert_eq!(pass(&plans[1], 1), 1.0);
    // The same lift at qualify (the specialist at both stages) carries forward instead.
    let early = with_specialist(late, r#"qualify = "solutions", close = "solutions""#)
        .replace("solutions = 2 }", "solutions = 4 }")
        .replace("lift = 0.6", "lift = 1.5");
    let early = model(&early);
    assert_eq!(covsim::engine::plan::build(&early)[1].p_convert, 1.0);
    // Every surfaced opportunity is won: no deal is lost to a stage in any trial.
    let (mx, _) = simulate(&m);
    assert!(
        mx.column(1, covsim::metrics::g::NOT_WON)
            .iter()
            .all(|&v| v == 0.0)
    );

    // (2) Only the group's first stage would exceed 1: qualify 0.8 with the specialist (and
    // again at close, where its lift does not enter twice) → close 0.4. The group passes
    // with P·e·M·L exactly, and a post-sale group (onboard 0.9 with the specialist → adopt
    // 0.5) likewise with its own product 0.45·L, separately.
    let first = r#"
[[stages]]
name = "qualify"
conversion = 0.8
hours_per_opportunity = 1
[[stages]]
name = "close"
conversion = 0.4
close = true
[[stages]]
name = "onboard"
conversion = 0.9
[[stages]]
name = "adopt"
conversion = 0.5
"#;
    let m = model(&with_specialist(
        first,
        r#"qualify = "solutions", close = "solutions", onboard = "solutions""#,
    ));
    let plans = covsim::engine::plan::build(&m);
    // Hours: 200·3·1 = 600 needed, 2,000 available.
    let lift = 1.0 + 0.6 * adbudg(2000.0 / 600.0);
    let y_qualify = 0.8 * 0.9f64.powf(0.8f64.ln() / 0.32f64.ln()) * lift;
    assert!(y_qualify > 1.0, "{y_qualify}");
    let expected = 0.32 * 0.9 * lift;
    assert!(expected < 1.0);
    let p = &plans[1];
    assert!((p.p_convert - expected).abs() < 1e-12, "{}", p.p_convert);
    assert_eq!(pass(p, 0), 1.0);
    assert!((pass(p, 1) - expected).abs() < 1e-12);
    assert!(0.9 * lift > 1.0);
    assert!(
        (p.p_post_sale - 0.45 * lift).abs() < 1e-12,
        "{}",
        p.p_post_sale
    );
    assert_eq!(pass(p, 2), 1.0);
    // Without the specialist nothing clips: the scenario's own figures.
    assert!((plans[0].p_convert - 0.32 * 0.9).abs() < 1e-12);
    assert!((plans[0].p_post_sale - 0.45).abs() < 1e-12);
    let (_, r) = simulate(&m);
    let wr = r.stat(1, "win_rate").unwrap();
    assert_close("win rate, first stage carried", wr.mean, wr.se, expected, Z);
    let wins = r.stat(1, "wins").unwrap().mean;
    let f = r.stat(1, "post_sale_failures").unwrap();
    assert_close(
        "post-sale failures, carried",
        f.mean,
        f.se,
        wins * (1.0 - 0.45 * lift),
        Z,
    );
}
