//! Heads month by month, which do not depend on chance: who is in a seat (and paid), how
//! productive they are (ramp of new heads, onboarding effort), who leaves (attrition) and when
//! the replacement joins. From them, each design's fixed costs per month and the variable pay
//! rate of each channel in each month (onboarding pay plans).

use crate::model::{At, ChannelKind, Model, OnboardingPlan, given_work};

/// One channel of one design, month by month (index = month of the horizon, 0 = first).
#[derive(Debug, Clone, PartialEq)]
pub struct Heads {
    /// Heads in a seat, paid.
    pub in_seat: Vec<f64>,
    /// Full-time equivalents at full productivity: each head weighted by its ramp and, while
    /// its onboarding plan lasts, by the plan's effort.
    pub productive: Vec<f64>,
    /// Heads within their onboarding months.
    pub onboarding: Vec<f64>,
    /// The part of `productive` that heads within their onboarding months give.
    pub onboarding_productive: Vec<f64>,
    /// Heads joining in each month (transition hires and replacements).
    pub joining: Vec<f64>,
    /// Heads a transition removes in each month (at its start, and at each step that plans
    /// fewer heads), paid their exit cost.
    pub exiting: Vec<f64>,
}

impl Heads {
    /// Share of the channel's productive capacity in month `m` from heads in onboarding: the
    /// share of its revenue paid under the onboarding plan.
    pub fn onboarding_share(&self, m: usize) -> f64 {
        let p = self.productive[m];
        if p > 0.0 {
            self.onboarding_productive[m] / p
        } else {
            0.0
        }
    }
}

/// A group of heads who joined in the same month.
struct Cohort {
    /// Month joined; `None` for heads already in their seats before the horizon.
    joined: Option<usize>,
    heads: f64,
}

/// Heads of channel `r` in design `d` over the model's months. Heads already in their seats
/// are the design's headcount, or under a transition the part of it the previous design had
/// (where it ends); the rest join `hiring_lead_months` after the start, and the heads it has
/// beyond the new headcount leave at the start. A later step that plans more heads hires the
/// difference `hiring_lead_months` after its month; one that plans fewer removes them at its
/// month: heads in their seats, those there before the horizon first, then by the month they
/// joined; then hires not yet joined, the latest first. Each month a share
/// `attrition_per_month` of every cohort leaves at the month's end; their replacements join
/// `replacement_delay_months` later and ramp again.
pub fn heads(model: &Model, d: usize, r: usize) -> Heads {
    let months = model.months as usize;
    let design = &model.designs[d];
    let ch = &model.channels[r];
    let mut target = design.headcount[r];
    let (tenured, hired, exits) = match design.transition_from {
        Some(f) => {
            let before = model.designs[f].headcount_at(At::End)[r];
            (
                target.min(before),
                (target - before).max(0.0),
                (before - target).max(0.0),
            )
        }
        None => (target, 0.0, 0.0),
    };
    let mut cohorts = vec![Cohort {
        joined: None,
        heads: tenured,
    }];
    let delay = ch.replacement_delay_months as usize;
    let lead = ch.hiring_lead_months as usize;
    let mut joining = vec![0.0; months + delay + lead + 1];
    joining[lead] = hired;
    let onboarding = design.onboarding;
    let mut out = Heads {
        in_seat: vec![0.0; months],
        productive: vec![0.0; months],
        onboarding: vec![0.0; months],
        onboarding_productive: vec![0.0; months],
        joining: vec![0.0; months],
        exiting: vec![0.0; months],
    };
    if months > 0 {
        out.exiting[0] = exits;
    }
    for m in 0..months {
        if let Some(step) = design.steps.iter().find(|s| s.month as usize == m) {
            let next = step.headcount[r];
            if next > target {
                joining[m + lead] += next - target;
            } else if next < target {
                let mut cut = target - next;
                out.exiting[m] += cut;
                for c in &mut cohorts {
                    let k = c.heads.min(cut);
                    c.heads -= k;
                    cut -= k;
                }
                for j in joining[m..].iter_mut().rev() {
                    let k = j.min(cut);
                    *j -= k;
                    cut -= k;
                }
            }
            target = next;
        }
        out.joining[m] = joining[m];
        if joining[m] > 0.0 {
            cohorts.push(Cohort {
                joined: Some(m),
                heads: joining[m],
            });
        }
        let mut leaving = 0.0;
        for c in &mut cohorts {
            if c.heads <= 0.0 {
                continue;
            }
            let (productivity, in_onboarding) = match c.joined {
                None => (1.0, false),
                Some(j) => {
                    let age = m - j;
                    let boarding = age < onboarding.months as usize;
                    let effort = if boarding { onboarding.effort } else { 1.0 };
                    (ch.ramp_at(age) * effort, boarding)
                }
            };
            out.in_seat[m] += c.heads;
            out.productive[m] += c.heads * productivity;
            if in_onboarding {
                out.onboarding[m] += c.heads;
                out.onboarding_productive[m] += c.heads * productivity;
            }
            let left = c.heads * ch.attrition_per_month;
            c.heads -= left;
            leaving += left;
        }
        joining[m + 1 + delay] += leaving;
    }
    out
}

/// Costs of a design that do not depend on chance, over the horizon and by month.
#[derive(Debug, Clone)]
pub struct FixedCosts {
    /// Heads in seats (less base pay saved under a full-commission onboarding plan), sales roles.
    pub heads: f64,
    /// The same for specialist roles.
    pub specialists: f64,
    pub channel_fixed: f64,
    /// Guaranteed onboarding pay (part of variable pay).
    pub guarantees: f64,
    /// Exit costs of heads a transition removes (part of the cost of heads).
    pub exits: f64,
    /// Recruiting fees of heads hired (part of the cost of heads).
    pub recruiting: f64,
    /// All of the above by channel.
    pub role: Vec<f64>,
    /// All of the above by month.
    pub monthly: Vec<f64>,
    /// Productive full-time equivalents by month, channels with limited capacity.
    pub productive: Vec<f64>,
    /// Variable pay rate of each channel in each month, `[r][m]`: the channel's rate, with
    /// the onboarding plan's rate on the share of revenue its heads in onboarding bring.
    pub pay_rate: Vec<Vec<f64>>,
    /// Heads of each channel by month, `[r]`.
    pub staff: Vec<Heads>,
}

impl FixedCosts {
    /// Productive head-years over the horizon, channels with limited capacity.
    pub fn head_years(&self) -> f64 {
        self.productive.iter().sum::<f64>() / 12.0
    }
}

impl Heads {
    /// Productive head-years of the channel over the horizon.
    pub fn head_years(&self) -> f64 {
        self.productive.iter().sum::<f64>() / 12.0
    }
}

pub fn fixed_costs(model: &Model, d: usize) -> FixedCosts {
    let months = model.months as usize;
    let design = &model.designs[d];
    // Channels given work in each month (a transition in steps may bring one in later).
    let used: Vec<Vec<bool>> = (0..months)
        .map(|m| {
            given_work(
                design.coverage_at(At::Month(m as u32)),
                model.channels.len(),
            )
        })
        .collect();
    let mut f = FixedCosts {
        heads: 0.0,
        specialists: 0.0,
        channel_fixed: 0.0,
        guarantees: 0.0,
        exits: 0.0,
        recruiting: 0.0,
        role: vec![0.0; model.channels.len()],
        monthly: vec![0.0; months],
        productive: vec![0.0; months],
        pay_rate: Vec::with_capacity(model.channels.len()),
        staff: Vec::with_capacity(model.channels.len()),
    };
    for (r, ch) in model.channels.iter().enumerate() {
        let staff = heads(model, d, r);
        let per_month = ch.cost_per_head_per_year / 12.0;
        // A channel's fixed cost runs in the months it has heads or is given work.
        let fixed_in = |m: usize| {
            if used[m][r] || design.headcount_at(At::Month(m as u32))[r] > 0.0 {
                ch.fixed_cost_per_year / 12.0
            } else {
                0.0
            }
        };
        let (saved, guarantee) = match design.onboarding.plan {
            OnboardingPlan::FullCommission { base_pay_saved, .. } => (base_pay_saved, 0.0),
            OnboardingPlan::Guarantee { per_month } => (0.0, per_month),
            _ => (0.0, 0.0),
        };
        let mut rates = Vec::with_capacity(months);
        let plan_rate = design.onboarding.plan.pay_rate(ch.variable_pay_rate);
        // Totals from head-months, so whole heads at whole costs add up exactly.
        let mut head_months = 0.0;
        let mut onboarding_months = 0.0;
        for m in 0..months {
            head_months += staff.in_seat[m];
            onboarding_months += staff.onboarding[m];
            f.monthly[m] += (staff.in_seat[m] - saved * staff.onboarding[m]) * per_month
                + fixed_in(m)
                + guarantee * staff.onboarding[m];
            if ch.capacity_hours_per_head_per_year.is_some() {
                f.productive[m] += staff.productive[m];
            }
            let s = staff.onboarding_share(m);
            // A plan that pays the usual rate (none) leaves it exactly as it is, so writing
            // `plan = "none"` gives the bytes of no onboarding table.
            rates.push(if s > 0.0 && plan_rate != ch.variable_pay_rate {
                ch.variable_pay_rate * (1.0 - s) + plan_rate * s
            } else {
                ch.variable_pay_rate
            });
        }
        let heads = (head_months - saved * onboarding_months) * ch.cost_per_head_per_year / 12.0;
        let fixed_months = (0..months).filter(|&m| fixed_in(m) > 0.0).count();
        let fixed = ch.fixed_cost_per_year * (fixed_months as f64 / 12.0);
        let guaranteed = guarantee * onboarding_months;
        // Heads a transition removes leave at the start or at a step, at their exit cost.
        let mut exits = 0.0;
        for (m, &left) in staff.exiting.iter().enumerate() {
            let cost = left * ch.exit_cost_per_head;
            f.monthly[m] += cost;
            exits += cost;
        }
        f.exits += exits;
        let mut recruiting = 0.0;
        for (m, &joined) in staff.joining.iter().enumerate() {
            let fee = joined * ch.recruiting_fee_per_hire;
            f.monthly[m] += fee;
            recruiting += fee;
        }
        f.recruiting += recruiting;
        if ch.kind == ChannelKind::Specialist {
            f.specialists += heads;
        } else {
            f.heads += heads;
        }
        f.channel_fixed += fixed;
        f.guarantees += guaranteed;
        f.role[r] = heads + fixed + guaranteed + exits + recruiting;
        f.pay_rate.push(rates);
        f.staff.push(staff);
    }
    f
}
