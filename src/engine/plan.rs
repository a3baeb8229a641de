//! Everything about a (design, tier) pair that does not depend on chance, computed once per run:
//! effort and response per role, stage pass thresholds, hand-offs, conflict exposure, economics.
//! The per-trial loop then only compares shared draws against these numbers.

use crate::model::{CreditRule, Model};
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

/// Per design: selling hours per account-stage (per unit of tier need) of each channel, and the
/// response it buys. `None` where the channel's effort is not limited.
pub fn role_effort(model: &Model, d: usize) -> Vec<Option<f64>> {
    let design = &model.designs[d];
    model
        .channels
        .iter()
        .enumerate()
        .map(|(r, ch)| {
            let capacity = ch.capacity_hours_per_head_per_year?;
            let hours = design.headcount[r] * capacity;
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

fn response(model: &Model, effort: &[Option<f64>], r: usize) -> f64 {
    let ch = &model.channels[r];
    match effort[r] {
        Some(x) => ch.response.at(x),
        None => ch.response.ceiling,
    }
}

/// Plans for every (design, tier), indexed `d * tiers + t`.
pub fn build(model: &Model) -> Vec<Plan> {
    let n_tiers = model.tiers.len();
    let mut plans = Vec::with_capacity(model.designs.len() * n_tiers);
    for (d, design) in model.designs.iter().enumerate() {
        let effort = role_effort(model, d);
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
        for t in 0..n_tiers {
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
                response_sum += response(model, &effort, owner);
                let mut p = stage.conversion[t] * ch.effectiveness[t];
                for &sp in &cov.specialists[s] {
                    p *= 1.0 + model.channels[sp].lift * response(model, &effort, sp);
                }
                let p = p.clamp(0.0, 1.0);
                pass[s] = threshold(p);
                p_convert *= p;
                delay += stage.months;
                if s > 0 && cov.owners[s - 1] != owner {
                    let h = model.handoff(cov.owners[s - 1], owner);
                    fail[s] = threshold(h.failure);
                    p_ok *= 1.0 - h.failure;
                    delay += h.delay_months;
                }
            }
            let closer = cov.owners[model.close_stage];
            let team = |c: usize| {
                cov.owners.contains(&c) || cov.specialists.iter().flatten().any(|&s| s == c)
            };
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
                let q =
                    (pair.overlap * design.territory_overlap * clarity * credit).clamp(0.0, 1.0);
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
            plans.push(Plan {
                opportunity: threshold(monthly),
                response: coverage_response,
                pass,
                fail,
                book_limit,
                delay_months: delay,
                conflict_total: threshold(cum),
                intruders,
                closer,
                channel_discount: ch.price_discount,
                partner_margin: ch.partner_margin,
                variable_pay_rate: ch.variable_pay_rate,
                p_convert,
                p_no_handoff_failure: p_ok,
                p_conflict: cum,
            });
        }
    }
    plans
}
