//! Everything about a (design, tier) pair that does not depend on chance, computed once per run:
//! effort and response per role, stage pass thresholds, hand-offs, conflict exposure, economics.
//! The per-trial loop then only compares shared draws against these numbers.

use super::staffing::FixedCosts;
use crate::model::{CreditRule, Model, Settling};
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
    /// Variable pay rate paid to the intruder on a won deal (double credit only).
    pub credited_rate: f64,
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Monthly opportunity threshold: the tier's base rate thinned by the coverage's response.
    pub opportunity: u64,
    /// Coverage response of the tier (mean response of the stage owners), 0–1.
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
    pub channel_discount: f64,
    pub partner_margin: f64,
    pub variable_pay_rate: f64,
    /// Probability an opportunity passes every stage (for docs, tests and reports).
    pub p_convert: f64,
    /// Probability no hand-off fails.
    pub p_no_handoff_failure: f64,
    /// Probability of a conflict on an opportunity.
    pub p_conflict: f64,
}

/// Per design: selling hours per account-stage (per unit of tier need) of each channel at full
/// staff, after the share spent off-profile, and the response it buys. `None` where the
/// channel's effort is not limited.
pub fn role_effort(model: &Model, d: usize) -> Vec<Option<f64>> {
    let design = &model.designs[d];
    model
        .channels
        .iter()
        .enumerate()
        .map(|(r, ch)| {
            let capacity = ch.capacity_hours_per_head_per_year?;
            let hours = design.headcount[r] * capacity * (1.0 - design.off_profile(ch));
            let mut workload = 0.0;
            for (t, tier) in model.tiers.iter().enumerate() {
                let cov = &design.coverage[t];
                let k = cov.owners.iter().filter(|&&o| o == r).count()
                    + cov
                        .specialists
                        .iter()
                        .flatten()
                        .filter(|&&s| s == r)
                        .count();
                workload += tier.accounts as f64 * tier.effort_need * k as f64;
            }
            Some(if workload > 0.0 {
                hours / workload
            } else {
                0.0
            })
        })
        .collect()
}

/// Whether more than one channel works the accounts of tier `t` in design `d` (owners of
/// different stages, or specialists beside the owner).
pub fn shared(model: &Model, d: usize, t: usize) -> bool {
    let cov = &model.designs[d].coverage[t];
    let first = cov.owners.first();
    cov.owners.iter().any(|o| Some(o) != first)
        || cov.specialists.iter().flatten().any(|s| Some(s) != first)
}

/// Whether the owners of tier `t` in design `d` differ from those in the design it is a
/// transition from: its accounts are moved accounts.
pub fn moved(model: &Model, d: usize, t: usize) -> bool {
    let design = &model.designs[d];
    design
        .transition_from
        .is_some_and(|f| model.designs[f].coverage[t].owners != design.coverage[t].owners)
}

fn response(model: &Model, effort: &[Option<f64>], r: usize, coasting: f64) -> f64 {
    let ch = &model.channels[r];
    match effort[r] {
        Some(x) => ch.response.at(x * (1.0 - coasting)),
        None => ch.response.ceiling,
    }
}

/// What a plan is built under, besides the design and tier.
struct When<'a> {
    /// Selling hours per account-stage by channel (see `role_effort`).
    effort: &'a [Option<f64>],
    /// Remaining share of the settling excess (1 in a transition's month 0, 0 when settled).
    excess: f64,
    /// Month the opportunity arises and the variable pay rate by channel and month, for plans
    /// of a month; `None` for the steady plan.
    month: Option<(u32, &'a [Vec<f64>])>,
}

/// Steady plans for every (design, tier), indexed `d * tiers + t`: full staff, settled rules.
pub fn build(model: &Model) -> Vec<Plan> {
    let mut plans = Vec::with_capacity(model.designs.len() * model.tiers.len());
    for d in 0..model.designs.len() {
        let effort = role_effort(model, d);
        for t in 0..model.tiers.len() {
            let when = When {
                effort: &effort,
                excess: 0.0,
                month: None,
            };
            plans.push(plan(model, d, t, &when));
        }
    }
    plans
}

/// Plans for every (design, tier, month), indexed `(d * tiers + t) * months + m`: the heads
/// productive that month, the settling of moved accounts, the pay rate in the booking month.
pub fn build_months(model: &Model, staffing: &[FixedCosts]) -> Vec<Plan> {
    let months = model.months as usize;
    let mut plans = Vec::with_capacity(model.designs.len() * model.tiers.len() * months);
    for (d, design) in model.designs.iter().enumerate() {
        let steady = role_effort(model, d);
        let costs = &staffing[d];
        let half_life = model.settling.half_life(design.clarity, design.quarterback);
        let efforts: Vec<Vec<Option<f64>>> = (0..months)
            .map(|m| {
                steady
                    .iter()
                    .enumerate()
                    .map(|(r, e)| {
                        let full = design.headcount[r];
                        let productive = costs.staff[r].productive[m];
                        e.map(|x| {
                            if full > 0.0 {
                                x * (productive / full)
                            } else {
                                x
                            }
                        })
                    })
                    .collect()
            })
            .collect();
        for t in 0..model.tiers.len() {
            let moved = moved(model, d, t);
            for (m, effort) in efforts.iter().enumerate() {
                let when = When {
                    effort,
                    excess: if moved {
                        Settling::excess(half_life, m as u32)
                    } else {
                        0.0
                    },
                    month: Some((m as u32, &costs.pay_rate)),
                };
                plans.push(plan(model, d, t, &when));
            }
        }
    }
    plans
}

fn plan(model: &Model, d: usize, t: usize, when: &When) -> Plan {
    let design = &model.designs[d];
    let mut present = design
        .headcount
        .iter()
        .map(|&h| h > 0.0)
        .collect::<Vec<_>>();
    for cov in &design.coverage {
        for &o in &cov.owners {
            present[o] = true;
        }
    }
    let coasting = if design.quarterback || !shared(model, d, t) {
        0.0
    } else {
        model.coasting
    };
    let effort = when.effort;
    let settle = &model.settling;
    let conflict_raise = 1.0 + (settle.conflict_multiplier - 1.0) * when.excess;
    let handoff_raise = 1.0 + (settle.handoff_failure_multiplier - 1.0) * when.excess;
    let cov = &design.coverage[t];
    let mut pass = [0u64; MAX_STAGES];
    let mut fail = [0u64; MAX_STAGES];
    let mut delay = 0.0;
    let mut p_convert = 1.0;
    let mut p_ok = 1.0;
    let mut response_sum = 0.0;
    for (s, stage) in model.stages.iter().enumerate() {
        let owner = cov.owners[s];
        let ch = &model.channels[owner];
        response_sum += response(model, effort, owner, coasting);
        let mut p = stage.conversion[t] * ch.effectiveness[t];
        for &sp in &cov.specialists[s] {
            p *= 1.0 + model.channels[sp].lift * response(model, effort, sp, coasting);
        }
        let p = p.clamp(0.0, 1.0);
        pass[s] = threshold(p);
        p_convert *= p;
        delay += stage.months;
        if s > 0 && cov.owners[s - 1] != owner {
            let h = model.handoff(cov.owners[s - 1], owner);
            let failure = (h.failure * handoff_raise).min(1.0);
            fail[s] = threshold(failure);
            p_ok *= 1.0 - failure;
            delay += h.delay_months;
        }
    }
    let closer = cov.owners[model.close_stage];
    let team =
        |c: usize| cov.owners.contains(&c) || cov.specialists.iter().flatten().any(|&s| s == c);
    let clarity = 1.0 - model.conflict.clarity_effect * design.clarity;
    let credit = match design.credit {
        CreditRule::Single => 1.0,
        CreditRule::Double => model.conflict.double_credit_factor,
    };
    let mut intruders = Vec::new();
    let mut cum = 0.0f64;
    for (c, &is_present) in present.iter().enumerate() {
        if team(c) || !is_present {
            continue;
        }
        let pair = model.conflict_pair(closer, c);
        let q = (pair.overlap * design.territory_overlap * clarity * credit * conflict_raise)
            .clamp(0.0, 1.0);
        let q = q.min(1.0 - cum);
        if q <= 0.0 {
            continue;
        }
        cum += q;
        intruders.push(Intruder {
            channel: c,
            upto: threshold(cum),
            discount: pair.discount,
            loss: threshold(pair.loss_probability),
            duplicate_cost: pair.duplicate_cost,
            credited_rate: match design.credit {
                CreditRule::Single => 0.0,
                CreditRule::Double => model.channels[c].variable_pay_rate,
            },
        });
    }
    let months = model.months as f64;
    let book_limit = (months - delay).ceil().max(0.0) as u32;
    let ch = &model.channels[closer];
    let coverage_response = (response_sum / model.stages.len() as f64).clamp(0.0, 1.0);
    let monthly = model.tiers[t].opportunities_per_year / 12.0 * coverage_response;
    // A deal of month m closes in month ⌊m + delay⌋, booked when that is within the horizon.
    let (book_month, variable_pay_rate) = match when.month {
        Some((m, rates)) => {
            let b = (m as f64 + delay).floor();
            if b < months {
                (b as u32, rates[closer][b as usize])
            } else {
                (model.months, ch.variable_pay_rate)
            }
        }
        None => (0, ch.variable_pay_rate),
    };
    Plan {
        opportunity: threshold(monthly),
        response: coverage_response,
        pass,
        fail,
        book_limit,
        book_month,
        delay_months: delay,
        conflict_total: threshold(cum),
        intruders,
        closer,
        channel_discount: ch.price_discount,
        partner_margin: ch.partner_margin,
        variable_pay_rate,
        p_convert,
        p_no_handoff_failure: p_ok,
        p_conflict: cum,
    }
}
