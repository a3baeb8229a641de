//! The Monte Carlo engine: a resolved `Model` in, one row of metrics per (trial, design) out.
//! No I/O, no printing, no locks. Trials run in parallel in fixed-size chunks and are written
//! to their own rows, so the result is the same at any thread count; every design sees the
//! same draws (common random numbers) because draws are made once per account-month and then
//! evaluated against each design's precomputed plan.

pub mod plan;
pub mod staffing;

use std::ops::Range;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::metrics::{self, Layout, g, monthly};
use crate::model::Model;
use crate::rng::{self, bits53};
use plan::{MAX_STAGES, Plan};
use staffing::FixedCosts;

/// Trials per parallel work item. Fixed, never derived from the thread count.
pub const CHUNK_TRIALS: usize = 8;

/// Receives progress; the CLI draws a bar with it, tests ignore it.
pub trait Progress: Sync {
    fn advance(&self, trials: u64);
}

pub struct NoProgress;
impl Progress for NoProgress {
    fn advance(&self, _trials: u64) {}
}

/// Per-trial results: `values[((trial - first) * designs + d) * width + metric]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialMatrix {
    pub first_trial: u64,
    pub trials: u64,
    pub designs: usize,
    pub width: usize,
    pub values: Vec<f64>,
}

impl TrialMatrix {
    pub fn row(&self, trial_offset: usize, design: usize) -> &[f64] {
        let start = (trial_offset * self.designs + design) * self.width;
        &self.values[start..start + self.width]
    }
    /// One metric of one design across all trials, in trial order.
    pub fn column(&self, design: usize, metric: usize) -> Vec<f64> {
        (0..self.trials as usize)
            .map(|t| self.row(t, design)[metric])
            .collect()
    }
}

/// What one trial needs besides its output rows: plans and per-tier constants.
struct Prepared<'m> {
    model: &'m Model,
    /// Plans by (design, tier, month), indexed `(d * tiers + t) * months + m`.
    plans: Vec<Plan>,
    fixed: Vec<FixedCosts>,
    layout: Layout,
    /// Per tier, the largest monthly opportunity threshold over the designs: the draw that
    /// decides whether any design sees an opportunity (thinning).
    opp_gate: Vec<u64>,
    /// 1 / (prospected + inbound opportunities per year), per tier: an opportunity's share of
    /// annual potential.
    deal_share: Vec<f64>,
}

impl<'m> Prepared<'m> {
    fn new(model: &'m Model) -> Self {
        let fixed: Vec<FixedCosts> = (0..model.designs.len())
            .map(|d| staffing::fixed_costs(model, d))
            .collect();
        let plans = plan::build_months(model, &fixed);
        let months = model.months as usize;
        let n_tiers = model.tiers.len();
        Prepared {
            model,
            fixed,
            layout: Layout::of(model),
            opp_gate: (0..n_tiers)
                .map(|t| {
                    (0..model.designs.len())
                        .flat_map(|d| (0..months).map(move |m| (d * n_tiers + t) * months + m))
                        .map(|i| plans[i].opportunity)
                        .max()
                        .unwrap_or(0)
                })
                .collect(),
            deal_share: (0..n_tiers).map(|t| 1.0 / plan::flow(model, t)).collect(),
            plans,
        }
    }
}

/// Simulates trials `trials` of every design.
pub fn simulate(model: &Model, trials: Range<u64>, progress: &dyn Progress) -> TrialMatrix {
    let prep = Prepared::new(model);
    fill(model, trials, progress, &|trial, rows| {
        run_trial(&prep, trial, rows);
        Ok(())
    })
    .unwrap_or_else(|(_, e)| unreachable!("a fixed model cannot fail: {e}"))
}

/// Simulates trials `trials`, each on its own variant of `base` (same structure: designs,
/// tiers, channels), as `model_for(trial)` gives it — the trial's draws of the uncertain
/// inputs. The trial's random events are the same as with `simulate`: only the parameters
/// differ. The first failing trial (in trial order) is reported.
pub fn simulate_varied(
    base: &Model,
    trials: Range<u64>,
    model_for: &(dyn Fn(u64) -> Result<Model, String> + Sync),
    progress: &dyn Progress,
) -> Result<TrialMatrix, (u64, String)> {
    fill(base, trials, progress, &|trial, rows| {
        let model = model_for(trial)?;
        run_trial(&Prepared::new(&model), trial, rows);
        Ok(())
    })
}

type TrialFn<'a> = dyn Fn(u64, &mut [f64]) -> Result<(), String> + Sync + 'a;

fn fill(
    model: &Model,
    trials: Range<u64>,
    progress: &dyn Progress,
    trial_fn: &TrialFn,
) -> Result<TrialMatrix, (u64, String)> {
    let layout = Layout::of(model);
    let designs = model.designs.len();
    let width = layout.width();
    let n = (trials.end - trials.start) as usize;
    let mut values = vec![0.0; n * designs * width];
    let row_len = designs * width;
    if row_len > 0 {
        let failures: Vec<Option<(u64, String)>> = values
            .par_chunks_mut(CHUNK_TRIALS * row_len)
            .enumerate()
            .map(|(chunk, out)| {
                for (i, rows) in out.chunks_mut(row_len).enumerate() {
                    let trial = trials.start + (chunk * CHUNK_TRIALS + i) as u64;
                    if let Err(e) = trial_fn(trial, rows) {
                        return Some((trial, e));
                    }
                }
                progress.advance((out.len() / row_len) as u64);
                None
            })
            .collect();
        if let Some(f) = failures.into_iter().flatten().next() {
            return Err(f);
        }
    }
    Ok(TrialMatrix {
        first_trial: trials.start,
        trials: n as u64,
        designs,
        width,
        values,
    })
}

/// The shared draws of one opportunity: what every design evaluates.
struct Draws {
    stage: [u64; MAX_STAGES],
    handoff: [u64; MAX_STAGES],
    conflict: u64,
    conflict_loss: u64,
}

fn run_trial(prep: &Prepared, trial: u64, rows: &mut [f64]) {
    let model = prep.model;
    let layout = prep.layout;
    let width = layout.width();
    let n_tiers = model.tiers.len();
    let n_stages = model.stages.len();
    let close = model.close_stage;
    let months = model.months;
    let n_months = months as usize;
    let vol = model.potential_volatility;
    let gm = model.gross_margin;
    let horizon_years = months as f64 / 12.0;
    let key = rng::trial_key(model.seed, trial);
    let mut rng = rng::stream(model.seed, trial);
    let mut draws = Draws {
        stage: [0; MAX_STAGES],
        handoff: [0; MAX_STAGES],
        conflict: 0,
        conflict_loss: 0,
    };
    let acc = &model.accounts;

    for a in 0..acc.len() {
        let t = acc.tier[a] as usize;
        // The account's realised potential this trial: the same for every design.
        let mut potential = acc.potential[a];
        if vol > 0.0 {
            let z: f64 = StandardNormal.sample(&mut rng);
            potential *= (vol * z - 0.5 * vol * vol).exp();
        }
        let value = potential * prep.deal_share[t];
        let horizon_potential = potential * horizon_years;
        for row in rows.chunks_mut(width) {
            row[g::POTENTIAL] += horizon_potential;
        }
        let gate = prep.opp_gate[t];
        for m in 0..months {
            let u_opp = bits53(rng.next_u64());
            if u_opp >= gate {
                continue;
            }
            // The opportunity's own draws, keyed by (trial, account, month): the same for every
            // design, and never shifting the draws of any other account-month.
            let mut ev = rng::EventStream::new(key, a as u64, m);
            for s in 0..n_stages {
                draws.stage[s] = bits53(ev.next_u64());
            }
            for s in 1..n_stages {
                draws.handoff[s] = bits53(ev.next_u64());
            }
            draws.conflict = bits53(ev.next_u64());
            draws.conflict_loss = bits53(ev.next_u64());
            for (d, row) in rows.chunks_mut(width).enumerate() {
                let plan = &prep.plans[(d * n_tiers + t) * n_months + m as usize];
                // Thinning: this design surfaces the opportunity only below its own rate.
                if u_opp >= plan.opportunity {
                    continue;
                }
                evaluate(plan, &draws, n_stages, close, m, value, gm, t, layout, row);
            }
        }
    }

    for (d, row) in rows.chunks_mut(width).enumerate() {
        finish_row(prep, d, row);
    }
}

#[inline]
#[allow(clippy::too_many_arguments)]
fn evaluate(
    plan: &Plan,
    draws: &Draws,
    n_stages: usize,
    close: usize,
    month: u32,
    value: f64,
    gm: f64,
    tier: usize,
    layout: Layout,
    row: &mut [f64],
) {
    let at = |which: usize| layout.month(month as usize, which);
    row[g::PIPELINE] += value;
    row[g::OPPORTUNITIES] += 1.0;
    row[layout.tier(tier, metrics::TIER_OPPORTUNITIES)] += 1.0;

    // Up to the close: the first stage that fails and the first hand-off that fails.
    let decided = close + 1;
    let mut first_stage_failure = decided;
    for s in 0..decided {
        if draws.stage[s] >= plan.pass[s] {
            first_stage_failure = s;
            break;
        }
    }
    let mut first_handoff_failure = decided;
    for s in 1..decided {
        if draws.handoff[s] < plan.fail[s] {
            first_handoff_failure = s;
            break;
        }
    }
    // A hand-off is only attempted when the deal got that far; only the first failure counts.
    if first_handoff_failure < decided && first_stage_failure >= first_handoff_failure {
        row[g::FAILED_HANDOFFS] += 1.0;
        row[at(monthly::FAILED_HANDOFFS)] += 1.0;
    }
    let intruder = if draws.conflict < plan.conflict_total {
        let i = plan
            .intruders
            .iter()
            .find(|i| draws.conflict < i.upto)
            .unwrap_or(&plan.intruders[plan.intruders.len() - 1]);
        row[g::CONFLICTS] += 1.0;
        row[g::DUPLICATED_EFFORT] += i.duplicate_cost;
        row[at(monthly::CONFLICTS)] += 1.0;
        row[at(monthly::COST_OF_SALES)] += i.duplicate_cost;
        row[at(monthly::CONTRIBUTION)] -= i.duplicate_cost;
        row[layout.role(i.channel, metrics::ROLE_COST)] += i.duplicate_cost;
        Some(i)
    } else {
        None
    };

    if first_stage_failure < decided {
        row[g::NOT_WON] += value;
        return;
    }
    if first_handoff_failure < decided {
        row[g::LOST_TO_HANDOFFS] += value;
        return;
    }
    if let Some(i) = intruder {
        if draws.conflict_loss < i.loss {
            row[g::LOST_TO_CONFLICT] += value;
            return;
        }
    }
    if month >= plan.book_limit {
        row[g::DEFERRED] += value;
        return;
    }
    let channel_discount = value * plan.channel_discount;
    let net = value - channel_discount;
    let eroded = intruder.map_or(0.0, |i| net * i.discount);
    let revenue = net - eroded;
    let partner = revenue * plan.partner_margin;
    let pay_owner = revenue * plan.variable_pay_rate;
    row[g::WON_LIST_VALUE] += value;
    row[g::CHANNEL_DISCOUNTS] += channel_discount;
    row[g::MARGIN_ERODED_BY_CONFLICT] += eroded;
    row[g::REVENUE] += revenue;
    row[g::COST_OF_GOODS] += value * (1.0 - gm);
    row[g::PARTNER_MARGIN] += partner;
    row[g::VARIABLE_PAY] += pay_owner;
    row[g::WINS] += 1.0;
    row[layout.tier(tier, metrics::TIER_WINS)] += 1.0;
    row[layout.tier(tier, metrics::TIER_REVENUE)] += revenue;
    row[layout.role(plan.closer, metrics::ROLE_REVENUE)] += revenue;
    row[layout.role(plan.closer, metrics::ROLE_WINS)] += 1.0;
    row[layout.role(plan.closer, metrics::ROLE_COST)] += partner + pay_owner;
    for &r in &plan.assists {
        row[layout.role(r, metrics::ROLE_ASSIST_REVENUE)] += revenue;
    }
    // Double credit: every credited channel is paid on every won deal of the tier.
    let mut pay = pay_owner;
    for &(c, rate) in &plan.credited {
        let credited = revenue * rate;
        row[g::VARIABLE_PAY] += credited;
        row[layout.role(c, metrics::ROLE_COST)] += credited;
        pay += credited;
    }
    // After the close: post-sale work and its hand-offs never undo the booked deal.
    for s in decided..n_stages {
        if draws.stage[s] >= plan.pass[s] || draws.handoff[s] < plan.fail[s] {
            row[g::POST_SALE_FAILURES] += 1.0;
            row[g::REVENUE_AT_RISK_POST_SALE] += revenue;
            break;
        }
    }
    let booked = |which: usize| layout.month(plan.book_month as usize, which);
    let cost = partner + pay;
    row[booked(monthly::REVENUE)] += revenue;
    row[booked(monthly::COST_OF_SALES)] += cost;
    row[booked(monthly::CONTRIBUTION)] += revenue - value * (1.0 - gm) - cost;
}

/// Adds fixed costs and derives totals and ratios once the trial's events are in.
fn finish_row(prep: &Prepared, d: usize, row: &mut [f64]) {
    let f = &prep.fixed[d];
    let layout = prep.layout;
    row[g::COST_HEADS] = f.heads + f.exits;
    row[g::COST_SPECIALISTS] = f.specialists;
    row[g::COST_CHANNEL_FIXED] = f.channel_fixed;
    row[g::VARIABLE_PAY] += f.guarantees;
    row[g::NOT_SURFACED] = row[g::POTENTIAL] - row[g::PIPELINE];
    row[g::GROSS_MARGIN] = row[g::REVENUE] - row[g::COST_OF_GOODS];
    row[g::COST_OF_SALES] = row[g::COST_HEADS]
        + f.specialists
        + f.channel_fixed
        + row[g::VARIABLE_PAY]
        + row[g::PARTNER_MARGIN]
        + row[g::DUPLICATED_EFFORT];
    row[g::CONTRIBUTION] = row[g::GROSS_MARGIN] - row[g::COST_OF_SALES];
    row[g::REVENUE_PER_COST_OF_SALES] = ratio(row[g::REVENUE], row[g::COST_OF_SALES]);
    row[g::REVENUE_PER_HEAD_YEAR] = ratio(row[g::REVENUE], f.head_years());
    row[g::WIN_RATE] = ratio(row[g::WINS], row[g::OPPORTUNITIES]);
    for (m, (&fixed, &productive)) in f.monthly.iter().zip(&f.productive).enumerate() {
        row[layout.month(m, monthly::COST_OF_SALES)] += fixed;
        row[layout.month(m, monthly::CONTRIBUTION)] -= fixed;
        row[layout.month(m, monthly::PRODUCTIVE_HEADS)] = productive;
    }
    for r in 0..layout.roles {
        row[layout.role(r, metrics::ROLE_COST)] += f.role[r];
    }
}

/// a / b, or 0 where b is 0 (no heads, no revenue): never NaN in a results file.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}
