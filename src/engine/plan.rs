//! Everything about a (design, tier, month) that does not depend on chance, computed once per
//! run: the hours each role has and the hours its work needs, the response that buys, stage pass
//! thresholds, hand-offs, conflict exposure and economics. The per-trial loop then only compares
//! shared draws against these numbers. docs/MODEL.md §2–6 and §15 give every equation.

use super::staffing::FixedCosts;
use crate::model::{At, CreditRule, Model, Settling, TierCoverage};
use crate::rng::threshold;

/// Stages supported per scenario (keeps per-opportunity draws on the stack).
pub const MAX_STAGES: usize = 16;

/// A channel that may pursue a deal it does not own, with its share of the conflict draw.
#[derive(Debug, Clone)]
pub struct Intruder {
    pub channel: usize,
    /// Upper end of this intruder's slice of the conflict draw (53-bit, cumulative).
    pub upto: u64,
    pub discount: f64,
    pub loss: u64,
    pub duplicate_cost: f64,
    /// Threshold of the draw that decides whether the conflict loses the customer.
    pub customer_loss: u64,
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Expected opportunities per account in a month: prospected ones thinned by the surfacing
    /// response, plus inbound ones.
    pub rate: f64,
    /// Share of the tier's prospecting potential the coverage surfaces, 0–1.
    pub response: f64,
    pub pass: [u64; MAX_STAGES],
    /// Hand-off failure threshold on entering stage s (0 where the owner does not change).
    pub fail: [u64; MAX_STAGES],
    /// An opportunity arising in month m is booked within the horizon iff m < book_limit.
    pub book_limit: u32,
    /// Month in which a deal of this plan's month is booked (plans of a month only).
    pub book_month: u32,
    pub delay_months: f64,
    pub conflict_total: u64,
    pub intruders: Vec<Intruder>,
    pub closer: usize,
    /// Roles that work a stage up to the close (owners and specialists) without closing.
    pub assists: Vec<usize>,
    pub channel_discount: f64,
    pub partner_margin: f64,
    pub variable_pay_rate: f64,
    /// Double credit: channels paid on every won deal of the tier, with their rate (already
    /// times `double_credit_share`).
    pub credited: Vec<(usize, f64)>,
    /// Probability an opportunity passes every stage up to the close.
    pub p_convert: f64,
    /// Probability no hand-off up to the close fails.
    pub p_no_handoff_failure: f64,
    /// Probability a booked deal's post-sale stages and hand-offs all succeed.
    pub p_post_sale: f64,
    /// Probability of a conflict on an opportunity.
    pub p_conflict: f64,
    /// In-flight plans only: threshold of the hand-over at the start of a transition, when a
    /// moved tier's closer changes (0 otherwise).
    pub handover: u64,
    /// Threshold of the monthly churn draw of an account of the tier.
    pub churn: u64,
}

/// Hours of each role in a design in one month (per year at that month's staffing).
#[derive(Debug, Clone, PartialEq)]
pub struct Effort {
    /// Hours available: productive heads × capacity × (1 − off-profile share). `None` where
    /// the channel's effort is not limited (digital).
    pub supply: Vec<Option<f64>>,
    /// Hours the work assigned to the role needs: coverage, selling, chasing.
    pub demand: Vec<f64>,
    /// Pressure of each channel as an intruder, 0–1.
    pub pressure: Vec<f64>,
}

impl Effort {
    /// Effort ratio of role `r`, hours delivered ÷ hours needed; `None` where capacity does
    /// not limit it (no capacity, or work that needs no hours).
    pub fn ratio(&self, r: usize) -> Option<f64> {
        let supply = self.supply[r]?;
        let demand = self.demand[r];
        (demand > 0.0).then(|| supply / demand)
    }
}

/// Whether channel `c` works tier `t` in design `d` at `at`: owns a stage or is deployed at one.
pub fn on_team(model: &Model, d: usize, at: At, t: usize, c: usize) -> bool {
    let cov = &model.designs[d].coverage_at(at)[t];
    cov.owners.contains(&c) || cov.specialists.iter().flatten().any(|&s| s == c)
}

/// Channels present in design `d` at `at`: with heads, or owning a stage of some tier.
pub fn present(model: &Model, d: usize, at: At) -> Vec<bool> {
    let design = &model.designs[d];
    let mut out: Vec<bool> = design.headcount_at(at).iter().map(|&h| h > 0.0).collect();
    for cov in design.coverage_at(at) {
        for &o in &cov.owners {
            out[o] = true;
        }
    }
    out
}

/// Whether more than one channel works the accounts of tier `t` in design `d` (owners of
/// different stages, or specialists beside the owner) at `at`.
pub fn shared(model: &Model, d: usize, at: At, t: usize) -> bool {
    let cov = &model.designs[d].coverage_at(at)[t];
    let first = cov.owners.first();
    cov.owners.iter().any(|o| Some(o) != first)
        || cov.specialists.iter().flatten().any(|s| Some(s) != first)
}

/// Whether the owners of tier `t` at the start of design `d` differ from those where the
/// design it is a transition from ends: its accounts are moved at month 1.
pub fn moved_at_start(model: &Model, d: usize, t: usize) -> bool {
    let design = &model.designs[d];
    design.transition_from.is_some_and(|f| {
        model.designs[f].coverage_at(At::End)[t].owners != design.coverage_at(At::Start)[t].owners
    })
}

/// Months since the accounts of tier `t` in design `d` were last moved, as of `at`: the
/// latest step (month 1 of a transition, or a later step) at or before the month whose owners
/// of the tier differ from the coverage before it. `None` when they were never moved, and
/// before or after the horizon (settled).
pub fn settling_age(model: &Model, d: usize, at: At, t: usize) -> Option<u32> {
    let At::Month(m) = at else {
        return None;
    };
    let design = &model.designs[d];
    let mut age = moved_at_start(model, d, t).then_some(m);
    let mut before: &[TierCoverage] = &design.coverage;
    for step in design.steps.iter().take_while(|s| s.month <= m) {
        if step.coverage[t].owners != before[t].owners {
            age = Some(m - step.month);
        }
        before = &step.coverage;
    }
    age
}

/// Opportunities a fully covered account of tier `t` brings per year (prospected + inbound).
pub fn flow(model: &Model, t: usize) -> f64 {
    let tier = &model.tiers[t];
    tier.opportunities_per_year + tier.inbound_per_year
}

/// The base overlap of intruder `c` on tier `t` of design `d` (before clarity, credit and
/// pressure): 0 where `c` is not present, works the tier, or has no overlap with the closer.
fn base_overlap(model: &Model, d: usize, at: At, t: usize, c: usize, present: &[bool]) -> f64 {
    if !present[c] || on_team(model, d, at, t, c) {
        return 0.0;
    }
    let closer = model.designs[d].coverage_at(at)[t].owners[model.close_stage];
    model.conflict_pair(closer, c).overlap * model.designs[d].territory_overlap
}

/// Pressure of each channel as an intruder in design `d` with `productive` heads by channel:
/// `a / (a + pressure_half_hours)`, `a` its hours per year per account it can reach; 1 for a
/// channel whose effort is not limited; 0 with no heads or nothing in reach.
pub fn pressure(model: &Model, d: usize, at: At, productive: &[f64]) -> Vec<f64> {
    let present = present(model, d, at);
    let half = model.conflict.pressure_half_hours;
    (0..model.channels.len())
        .map(|c| {
            let reach: f64 = (0..model.tiers.len())
                .filter(|&t| base_overlap(model, d, at, t, c, &present) > 0.0)
                .map(|t| model.tiers[t].accounts as f64)
                .sum();
            if reach <= 0.0 {
                return 0.0;
            }
            match model.channels[c].capacity_hours_per_head_per_year {
                None => 1.0,
                Some(cap) => {
                    let a = productive[c] * cap / reach;
                    if a <= 0.0 {
                        0.0
                    } else if half <= 0.0 {
                        1.0
                    } else {
                        a / (a + half)
                    }
                }
            }
        })
        .collect()
}

/// Conflict likelihood of each intruder on tier `t`, truncated so that they add up to at most
/// 1 (in channel order): `(channel, q)` for every intruder with `q > 0`.
pub fn intrusion(
    model: &Model,
    d: usize,
    at: At,
    t: usize,
    pressure: &[f64],
    raise: f64,
) -> Vec<(usize, f64)> {
    let design = &model.designs[d];
    let present = present(model, d, at);
    let clarity = 1.0 - model.conflict.clarity_effect * design.clarity;
    let credit = match design.credit {
        CreditRule::Single => 1.0,
        CreditRule::Double => model.conflict.double_credit_factor,
    };
    let mut out = Vec::new();
    let mut cum = 0.0f64;
    for (c, &pi) in pressure.iter().enumerate() {
        let base = base_overlap(model, d, at, t, c, &present);
        let q = (base * clarity * credit * pi * raise).clamp(0.0, 1.0);
        let q = q.min(1.0 - cum);
        if q > 0.0 {
            cum += q;
            out.push((c, q));
        }
    }
    out
}

/// The raise of conflict likelihood and hand-off failure on tier `t` of design `d` while moved
/// accounts settle: `(conflict, hand-off)` multipliers, 1 when settled or not moved. Each step
/// that moves the tier starts its own settling.
fn raise(model: &Model, d: usize, at: At, t: usize) -> (f64, f64) {
    let design = &model.designs[d];
    let excess = match settling_age(model, d, at, t) {
        Some(age) => Settling::excess(
            model.settling.half_life(design.clarity, design.quarterback),
            age,
        ),
        None => 0.0,
    };
    let s = &model.settling;
    (
        1.0 + (s.conflict_multiplier - 1.0) * excess,
        1.0 + (s.handoff_failure_multiplier - 1.0) * excess,
    )
}

/// The hours of every role of design `d` with `productive` heads by channel, at `at` (its
/// coverage then, and the settling raise of chasing on moved accounts).
pub fn effort(model: &Model, d: usize, productive: &[f64], at: At) -> Effort {
    let design = &model.designs[d];
    let n_ch = model.channels.len();
    let pressure = pressure(model, d, at, productive);
    let mut demand = vec![0.0; n_ch];
    for (t, tier) in model.tiers.iter().enumerate() {
        let n = tier.accounts as f64;
        let cov = &design.coverage_at(at)[t];
        let f = flow(model, t);
        // Coverage work, split evenly over the demand-generation stages.
        let demand_stages: Vec<usize> = (0..model.stages.len())
            .filter(|&s| model.stages[s].demand_generation)
            .collect();
        for &s in &demand_stages {
            demand[cov.owners[s]] +=
                n * tier.coverage_hours_per_account_per_year / demand_stages.len() as f64;
        }
        // Selling work: the standard flow entering each stage, at base conversion.
        let mut entering = f;
        for (s, stage) in model.stages.iter().enumerate() {
            let hours = n * entering * stage.hours_per_opportunity[t];
            demand[cov.owners[s]] += hours;
            for &sp in &cov.specialists[s] {
                demand[sp] += hours;
            }
            entering *= stage.conversion[t];
        }
        // Chasing: the intruders' hours on the opportunities they pursue.
        let (conflict_raise, _) = raise(model, d, at, t);
        for (c, q) in intrusion(model, d, at, t, &pressure, conflict_raise) {
            demand[c] += n * f * q * model.conflict.chase_hours;
        }
    }
    let supply = model
        .channels
        .iter()
        .enumerate()
        .map(|(r, ch)| {
            ch.capacity_hours_per_head_per_year
                .map(|cap| productive[r] * cap * (1.0 - design.off_profile(ch)))
        })
        .collect();
    Effort {
        supply,
        demand,
        pressure,
    }
}

/// The yield multiplier of role `r` on a tier where it withholds a share `coasting` of its
/// hours: the response curve at the effort ratio, 1 where capacity does not limit the role.
fn multiplier(model: &Model, effort: &Effort, r: usize, coasting: f64) -> f64 {
    match effort.ratio(r) {
        Some(x) => model.channels[r].response.at(x * (1.0 - coasting)),
        None => 1.0,
    }
}

/// What a plan is built under, besides the design and tier.
struct When<'a> {
    /// The coverage and settling in force.
    at: At,
    effort: &'a Effort,
    /// The month (for settling and the booking month) and the variable pay rate by channel and
    /// month; `None` for the steady plan.
    month: Option<(u32, &'a [Vec<f64>])>,
}

/// Steady plans for every (design, tier), indexed `d * tiers + t`: full staff, settled rules,
/// the coverage where the design ends.
pub fn build(model: &Model) -> Vec<Plan> {
    let mut plans = Vec::with_capacity(model.designs.len() * model.tiers.len());
    for d in 0..model.designs.len() {
        let effort = steady_effort(model, d);
        for t in 0..model.tiers.len() {
            let when = When {
                at: At::End,
                effort: &effort,
                month: None,
            };
            plans.push(plan(model, d, t, &when));
        }
    }
    plans
}

/// The hours of design `d` at full staff, settled, in the coverage where it ends.
pub fn steady_effort(model: &Model, d: usize) -> Effort {
    effort(model, d, model.designs[d].headcount_at(At::End), At::End)
}

/// Plans for every (design, tier, month), indexed `(d * tiers + t) * months + m`: the heads
/// productive that month, the settling of moved accounts, the pay rate in the booking month.
/// A month whose every input equals the month before's (`same_as_before`) takes that month's
/// effort and plans with only the booking month moved on: the same numbers, computed once.
pub fn build_months(model: &Model, staffing: &[FixedCosts]) -> Vec<Plan> {
    let months = model.months as usize;
    let mut plans = Vec::with_capacity(model.designs.len() * model.tiers.len() * months);
    for (d, costs) in staffing.iter().enumerate() {
        let same: Vec<bool> = (0..months)
            .map(|m| same_as_before(model, d, costs, m))
            .collect();
        let mut efforts: Vec<Effort> = Vec::with_capacity(months);
        for m in 0..months {
            let e = if same[m] {
                efforts[m - 1].clone()
            } else {
                let productive: Vec<f64> = costs.staff.iter().map(|s| s.productive[m]).collect();
                effort(model, d, &productive, At::Month(m as u32))
            };
            efforts.push(e);
        }
        for t in 0..model.tiers.len() {
            for (m, effort) in efforts.iter().enumerate() {
                let p = if same[m] {
                    let before: &Plan = plans.last().expect("month 0 is never the same as before");
                    Plan {
                        book_month: book_month(m as u32, before.delay_months, model.months),
                        ..before.clone()
                    }
                } else {
                    let when = When {
                        at: At::Month(m as u32),
                        effort,
                        month: Some((m as u32, &costs.pay_rate)),
                    };
                    plan(model, d, t, &when)
                };
                plans.push(p);
            }
        }
    }
    plans
}

/// Whether month `m` of design `d` is built from the same inputs as month `m − 1`: the same
/// step of the design in force (coverage and heads), no tier settling in either month, the
/// same productive heads and the same pay rates of every channel. Then `At::Month(m)` and
/// `At::Month(m − 1)` give the same effort and plans but for the booking month.
fn same_as_before(model: &Model, d: usize, costs: &FixedCosts, m: usize) -> bool {
    if m == 0 {
        return false;
    }
    let design = &model.designs[d];
    let step = |m: usize| design.steps.iter().rposition(|s| s.month as usize <= m);
    let settled = |m: usize| {
        (0..model.tiers.len()).all(|t| settling_age(model, d, At::Month(m as u32), t).is_none())
    };
    let same = |v: &[f64]| v[m].to_bits() == v[m - 1].to_bits();
    step(m) == step(m - 1)
        && settled(m)
        && settled(m - 1)
        && costs.staff.iter().all(|s| same(&s.productive))
        && costs.pay_rate.iter().all(|r| same(r))
}

/// The month a deal arising in month `m` is booked: `⌊m + delay⌋`, at most the horizon (where
/// it is not booked).
fn book_month(m: u32, delay: f64, months: u32) -> u32 {
    ((f64::from(m) + delay).floor().min(f64::from(months))) as u32
}

/// Weights of stages `range` in the deal's conversion: each stage's share of the group's
/// `−ln(conversion)`, so that a role's effectiveness and response enter a deal once whatever
/// the number of stages. Equal weights when every conversion is 1; all weight on the first
/// stage that converts nothing.
fn weights(conversion: &[f64]) -> Vec<f64> {
    if let Some(z) = conversion.iter().position(|&c| c <= 0.0) {
        return (0..conversion.len())
            .map(|s| if s == z { 1.0 } else { 0.0 })
            .collect();
    }
    let logs: Vec<f64> = conversion.iter().map(|c| -c.ln()).collect();
    let total: f64 = logs.iter().sum();
    if total > 0.0 {
        logs.iter().map(|l| l / total).collect()
    } else {
        vec![1.0 / conversion.len().max(1) as f64; conversion.len()]
    }
}

/// The pass probabilities of one group of stages (those up to the close, or those after it),
/// in place, from each stage's factor `y_s = conversion · (e·M)^w · Π (1 + lift·M)` in stage
/// order (docs/MODEL.md §4). Forward: `x_s = y_s · r_s`, `p_s = clamp₀¹(x_s)`, `r` = 1 at the
/// group's first stage and `r_{s+1} = max(1, x_s)` (what a stage cannot take carries to the
/// next stage of the group; `x_s / p_s` where `p_s > 0`, 1 where `p_s = 0`). Backward, what
/// the group's last stage could not take, `R = r` after it, goes to the stages before it,
/// last first, while `R > 1`: `p_s ← min(1, p_s · R)`, `R ← max(1, p_s · R)` (old `p_s`).
/// The group's product is then `min(1, Π y_s)` wherever the factors fall; where no `x_s`
/// exceeds 1 nothing moves and `p_s = y_s`.
fn carry(y: &mut [f64]) {
    let mut r = 1.0f64;
    for p in y.iter_mut() {
        let x = *p * r;
        *p = x.clamp(0.0, 1.0);
        r = x.max(1.0);
    }
    for p in y.iter_mut().rev() {
        if r <= 1.0 {
            break;
        }
        let x = *p * r;
        *p = x.min(1.0);
        r = x.max(1.0);
    }
}

fn plan(model: &Model, d: usize, t: usize, when: &When) -> Plan {
    let design = &model.designs[d];
    let close = model.close_stage;
    let n_stages = model.stages.len();
    let at = when.at;
    let coasting = if design.quarterback || !shared(model, d, at, t) {
        0.0
    } else {
        model.coasting
    };
    let effort = when.effort;
    let mult = |r: usize| multiplier(model, effort, r, coasting);
    let (conflict_raise, handoff_raise) = raise(model, d, at, t);
    let cov = &design.coverage_at(at)[t];

    // Conversion: each group (up to the close; after it) weighs its stages by −ln(conversion).
    let conv: Vec<f64> = model.stages.iter().map(|s| s.conversion[t]).collect();
    let mut w = weights(&conv[..=close]);
    w.extend(weights(&conv[close + 1..]));
    let mut lifted: Vec<usize> = Vec::new();
    let mut y = [0.0f64; MAX_STAGES];
    for s in 0..n_stages {
        if s == close + 1 {
            lifted.clear();
        }
        let owner = cov.owners[s];
        // Effectiveness is selling conversion: it weighs on the stages up to the close only;
        // post-sale stages respond to their owner's effort alone.
        let base = if s <= close {
            model.channels[owner].effectiveness[t] * mult(owner)
        } else {
            mult(owner)
        };
        y[s] = conv[s] * base.powf(w[s]);
        // A specialist's lift enters a deal once: at the first stage of the group it works.
        for &sp in &cov.specialists[s] {
            if !lifted.contains(&sp) {
                lifted.push(sp);
                y[s] *= 1.0 + model.channels[sp].lift * mult(sp);
            }
        }
    }
    // What a stage cannot take carries within its group, so each group passes with
    // probability min(1, Π y) however its stages are cut.
    carry(&mut y[..=close]);
    carry(&mut y[close + 1..n_stages]);
    let mut pass = [0u64; MAX_STAGES];
    let mut fail = [0u64; MAX_STAGES];
    let mut delay = 0.0;
    let mut p_convert = 1.0;
    let mut p_ok = 1.0;
    let mut p_post = 1.0;
    for s in 0..n_stages {
        let owner = cov.owners[s];
        let p = y[s];
        pass[s] = threshold(p);
        let mut f = 0.0;
        if s > 0 && cov.owners[s - 1] != owner {
            let h = model.handoff(cov.owners[s - 1], owner);
            f = (h.failure * handoff_raise).min(1.0);
            fail[s] = threshold(f);
            if s <= close {
                delay += h.delay_months;
            }
        }
        if s <= close {
            p_convert *= p;
            p_ok *= 1.0 - f;
            delay += model.stages[s].months;
        } else {
            p_post *= p * (1.0 - f);
        }
    }

    let closer = cov.owners[close];
    let mut assists: Vec<usize> = Vec::new();
    for s in 0..=close {
        for &r in std::iter::once(&cov.owners[s]).chain(&cov.specialists[s]) {
            if r != closer && !assists.contains(&r) {
                assists.push(r);
            }
        }
    }
    let mut intruders = Vec::new();
    let mut cum = 0.0f64;
    for (c, q) in intrusion(model, d, at, t, &effort.pressure, conflict_raise) {
        cum += q;
        let pair = model.conflict_pair(closer, c);
        intruders.push(Intruder {
            channel: c,
            upto: threshold(cum),
            discount: pair.discount,
            loss: threshold(pair.loss_probability),
            duplicate_cost: pair.duplicate_cost,
            customer_loss: threshold(pair.customer_loss_probability),
        });
    }

    // Surfacing: the owners of the demand-generation stages; inbound needs no prospecting.
    let demand_stages: Vec<usize> = (0..n_stages)
        .filter(|&s| model.stages[s].demand_generation)
        .collect();
    let surfacing = (demand_stages
        .iter()
        .map(|&s| mult(cov.owners[s]))
        .sum::<f64>()
        / demand_stages.len().max(1) as f64)
        .clamp(0.0, 1.0);
    let tier = &model.tiers[t];
    let monthly = (tier.opportunities_per_year * surfacing + tier.inbound_per_year) / 12.0;
    // Churn: the tier's monthly rate, raised where coverage leaves demand unsurfaced.
    let base_churn = 1.0 - (1.0 - tier.churn_per_year).powf(1.0 / 12.0);
    let churn = base_churn * (1.0 + (model.churn_uncovered_multiplier - 1.0) * (1.0 - surfacing));

    let months = model.months as f64;
    let book_limit = (months - delay).ceil().max(0.0) as u32;
    let ch = &model.channels[closer];
    // A deal of month m closes in month ⌊m + delay⌋, booked when that is within the horizon.
    // Pay follows the work: every channel paid on it is paid at its rate of the month the deal
    // arose (onboarding plans apply to the deals a cohort sourced).
    let rate = |r: usize| match when.month {
        Some((m, rates)) => rates[r][m as usize],
        None => model.channels[r].variable_pay_rate,
    };
    let book_month = match when.month {
        Some((m, _)) => book_month(m, delay, model.months),
        None => 0,
    };
    let credited = match design.credit {
        CreditRule::Single => Vec::new(),
        CreditRule::Double => {
            let present = present(model, d, at);
            (0..model.channels.len())
                .filter(|&c| base_overlap(model, d, at, t, c, &present) > 0.0)
                .map(|c| (c, rate(c) * model.conflict.double_credit_share))
                .filter(|&(_, r)| r > 0.0)
                .collect()
        }
    };
    Plan {
        rate: monthly,
        response: surfacing,
        pass,
        fail,
        book_limit,
        book_month,
        delay_months: delay,
        conflict_total: threshold(cum),
        intruders,
        closer,
        assists,
        channel_discount: ch.price_discount,
        partner_margin: ch.partner_margin,
        variable_pay_rate: rate(closer),
        credited,
        p_convert,
        p_no_handoff_failure: p_ok,
        p_post_sale: p_post,
        p_conflict: cum,
        handover: 0,
        churn: threshold(churn),
    }
}

/// Plans of the deals in flight at the start, per tier of design `d` (index = tier): the
/// pipeline a steady design has built, under its own steady plan. A transition's in-flight deals
/// were built under the design it comes from: they keep that design's stage, hand-off and
/// conflict probabilities and delay, are closed and paid under the new design (its closer's
/// discount, partner margin and usual pay rates), and a moved tier whose closer changes hands
/// them over at the start with failure `min(1, failure(old closer → new closer) ·
/// handoff_failure_multiplier_at_start)`.
pub fn in_flight(model: &Model, d: usize) -> Vec<Plan> {
    let design = &model.designs[d];
    let own = effort(model, d, &design.headcount, At::Start);
    let from = design.transition_from.unwrap_or(d);
    let old = steady_effort(model, from);
    (0..model.tiers.len())
        .map(|t| {
            let mine = plan(
                model,
                d,
                t,
                &When {
                    at: At::Start,
                    effort: &own,
                    month: None,
                },
            );
            if from == d {
                return mine;
            }
            let mut p = plan(
                model,
                from,
                t,
                &When {
                    at: At::End,
                    effort: &old,
                    month: None,
                },
            );
            let (o_old, o_new) = (p.closer, mine.closer);
            if moved_at_start(model, d, t) && o_old != o_new {
                let k = model.settling.handoff_failure_multiplier;
                p.handover = threshold((model.handoff(o_old, o_new).failure * k).min(1.0));
            }
            let close = model.close_stage;
            p.pass[close + 1..].copy_from_slice(&mine.pass[close + 1..]);
            p.fail[close + 1..].copy_from_slice(&mine.fail[close + 1..]);
            Plan {
                closer: mine.closer,
                assists: mine.assists,
                channel_discount: mine.channel_discount,
                partner_margin: mine.partner_margin,
                variable_pay_rate: mine.variable_pay_rate,
                credited: mine.credited,
                p_post_sale: mine.p_post_sale,
                churn: mine.churn,
                ..p
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::staffing;
    use crate::scenario::Scenario;

    /// Every month's plans built from that month's own inputs, with no reuse: the definition
    /// `build_months` must reproduce.
    fn each_month(model: &Model, staffing: &[FixedCosts]) -> Vec<Plan> {
        let months = model.months as usize;
        let mut plans = Vec::new();
        for (d, costs) in staffing.iter().enumerate() {
            for t in 0..model.tiers.len() {
                for m in 0..months {
                    let productive: Vec<f64> =
                        costs.staff.iter().map(|s| s.productive[m]).collect();
                    let effort = effort(model, d, &productive, At::Month(m as u32));
                    let when = When {
                        at: At::Month(m as u32),
                        effort: &effort,
                        month: Some((m as u32, &costs.pay_rate)),
                    };
                    plans.push(plan(model, d, t, &when));
                }
            }
        }
        plans
    }

    #[test]
    fn a_group_passes_with_its_product_capped_at_one_wherever_the_excess_falls() {
        // Factors of groups of one to five stages (SplitMix64 draws), some above 1 anywhere.
        let mut state = 7u64;
        let mut draw = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..5000 {
            let k = 1 + case % 5;
            let y: Vec<f64> = (0..k)
                .map(|_| {
                    let u = draw();
                    if u < 0.05 { 0.0 } else { 2.5 * draw() }
                })
                .collect();
            let mut p = y.clone();
            carry(&mut p);
            assert!(p.iter().all(|&x| (0.0..=1.0).contains(&x)), "{y:?} → {p:?}");
            let want = y.iter().product::<f64>().min(1.0);
            let got: f64 = p.iter().product();
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1e-300),
                "{y:?} → {p:?}"
            );
            if y.iter().all(|&x| x <= 1.0) {
                // Nothing carries: the factors themselves, to the bit.
                assert_eq!(p, y);
            }
        }
        // The tester's case: what propose cannot take goes on to close; what close cannot
        // take goes back to qualify.
        let mut p = [0.5, 1.25, 0.5];
        carry(&mut p);
        assert_eq!(p, [0.5, 1.0, 0.625]);
        let mut p = [0.5, 0.9, 2.0];
        carry(&mut p);
        assert_eq!(p, [0.9, 1.0, 1.0]);
    }

    #[test]
    fn months_taken_from_the_month_before_are_the_months_built_anew() {
        let scenarios = [
            include_str!("../../scenarios/leverage.toml"),
            include_str!("../../scenarios/transition.toml"),
            include_str!("../../scenarios/partner_conflict.toml"),
            include_str!("../../scenarios/bench.toml"),
        ];
        let mut reused = 0;
        for text in scenarios {
            let sc = Scenario::load(text, "s.toml", &mut |p| Err(format!("no file {p}")))
                .unwrap_or_else(|d| panic!("{}", crate::diag::render_all(&d)));
            let model = &sc.model;
            let fixed: Vec<FixedCosts> = (0..model.designs.len())
                .map(|d| staffing::fixed_costs(model, d))
                .collect();
            let fast = build_months(model, &fixed);
            let slow = each_month(model, &fixed);
            assert_eq!(fast.len(), slow.len());
            for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
                assert_eq!(
                    format!("{a:?}"),
                    format!("{b:?}"),
                    "plan {i} of {}",
                    model.name
                );
            }
            reused += (0..model.designs.len())
                .flat_map(|d| (0..model.months as usize).map(move |m| (d, m)))
                .filter(|&(d, m)| same_as_before(model, d, &fixed[d], m))
                .count();
            // A month that differs from the one before is built anew.
            for (d, costs) in fixed.iter().enumerate() {
                for m in 1..model.months as usize {
                    if !same_as_before(model, d, costs, m) {
                        continue;
                    }
                    assert!(
                        costs
                            .staff
                            .iter()
                            .all(|s| s.productive[m] == s.productive[m - 1])
                    );
                }
            }
        }
        // The steady designs do reuse their months (else the test shows nothing).
        assert!(reused > 0);
    }
}
