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
    /// Plans of the deals in flight at the start, indexed `d * tiers + t`.
    in_flight: Vec<Plan>,
    fixed: Vec<FixedCosts>,
    layout: Layout,
    /// Per tier, the threshold of P(N = 0) at the largest monthly rate any design reaches in
    /// the horizon: a draw below it brings no opportunity to any design.
    none: Vec<u64>,
    /// The same for the months before the start (deals in flight).
    run_in_none: Vec<u64>,
    /// Months before the start whose deals may book inside the horizon: the longest delay to
    /// booking of any in-flight plan, rounded up.
    run_in_months: u32,
    /// Whether any design can lose an account to churn in some month.
    churn: bool,
    /// 1 / (prospected + inbound opportunities per year), per tier: an opportunity's share of
    /// annual potential.
    deal_share: Vec<f64>,
}

/// Thresholds of the Poisson distribution function at `rate`: entry k is P(N ≤ k) as a 53-bit
/// threshold; the last is above every draw, so a count is at most `len − 1`.
fn poisson_thresholds(rate: f64) -> Vec<u64> {
    let mut cdf = Vec::new();
    if rate > 0.0 {
        let cap = (rate + 12.0 * rate.sqrt() + 30.0) as usize;
        let mut p = (-rate).exp();
        let mut sum = p;
        for k in 0..cap {
            cdf.push(rng::threshold(sum));
            if sum >= 1.0 - 1e-16 {
                break;
            }
            p *= rate / (k + 1) as f64;
            sum += p;
        }
    }
    cdf.push(u64::MAX);
    cdf
}

/// The number of opportunities a plan sees at the account-month's draw `u`: the Poisson
/// distribution function at the plan's rate, inverted. The same `u` for every design, so a
/// design with a higher rate sees every opportunity a lower one sees, and more.
#[inline(always)]
fn count(plan: &Plan, u: u64) -> u32 {
    let mut k = 0;
    while u >= plan.counts[k] {
        k += 1;
    }
    k as u32
}

impl<'m> Prepared<'m> {
    fn new(model: &'m Model) -> Self {
        let fixed: Vec<FixedCosts> = (0..model.designs.len())
            .map(|d| staffing::fixed_costs(model, d))
            .collect();
        let mut plans = plan::build_months(model, &fixed);
        let mut in_flight: Vec<Plan> = (0..model.designs.len())
            .flat_map(|d| plan::in_flight(model, d))
            .collect();
        let months = model.months as usize;
        let n_tiers = model.tiers.len();
        let tier_of_month_plan = |i: usize| (i / months) % n_tiers;
        let mut gate_rate = vec![0.0f64; n_tiers];
        for (i, p) in plans.iter().enumerate() {
            let t = tier_of_month_plan(i);
            gate_rate[t] = gate_rate[t].max(p.rate);
        }
        let mut run_in_rate = vec![0.0f64; n_tiers];
        for (i, p) in in_flight.iter().enumerate() {
            run_in_rate[i % n_tiers] = run_in_rate[i % n_tiers].max(p.rate);
        }
        for p in plans.iter_mut().chain(in_flight.iter_mut()) {
            p.counts = poisson_thresholds(p.rate);
        }
        let none = |rate: f64| rng::threshold((-rate).exp());
        let run_in_months = in_flight
            .iter()
            .map(|p| p.delay_months.ceil() as u32)
            .max()
            .unwrap_or(0);
        Prepared {
            model,
            fixed,
            layout: Layout::of(model),
            none: gate_rate.into_iter().map(none).collect(),
            run_in_none: run_in_rate.into_iter().map(none).collect(),
            run_in_months,
            churn: plans.iter().any(|p| p.churn > 0),
            deal_share: (0..n_tiers).map(|t| 1.0 / plan::flow(model, t)).collect(),
            plans,
            in_flight,
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
    customer_loss: u64,
    post_sale_churn: u64,
    handover: u64,
}

impl Draws {
    /// The opportunity's draws, in a fixed order from its own keyed stream.
    #[inline(always)]
    fn fill(&mut self, ev: &mut rng::EventStream, n_stages: usize) {
        for s in 0..n_stages {
            self.stage[s] = bits53(ev.next_u64());
        }
        for s in 1..n_stages {
            self.handoff[s] = bits53(ev.next_u64());
        }
        self.conflict = bits53(ev.next_u64());
        self.conflict_loss = bits53(ev.next_u64());
        self.customer_loss = bits53(ev.next_u64());
        self.post_sale_churn = bits53(ev.next_u64());
        self.handover = bits53(ev.next_u64());
    }
}

/// Bits of an opportunity's place in time below its month: `(month << 20) | k`.
const IN_MONTH: u32 = 20;
/// The last place in month `m`: an account lost "at the end of month m".
fn end_of(m: u32) -> u64 {
    (u64::from(m) << IN_MONTH) | ((1 << IN_MONTH) - 1)
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
        customer_loss: 0,
        post_sale_churn: 0,
        handover: 0,
    };
    let acc = &model.accounts;
    let ctx = Ctx {
        n_stages,
        close,
        months,
        gm,
        layout,
        churn_after_post_sale: rng::threshold(model.churn_after_failed_post_sale),
    };
    // Per design, the last place in time (`(month << 20) | k`) at which the account is still a
    // customer; `u64::MAX` while it stays.
    let mut lost_after = vec![u64::MAX; model.designs.len()];
    // Per design, the number of opportunities of the account-month it sees.
    let mut seen = vec![0u32; model.designs.len()];

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
        lost_after.fill(u64::MAX);

        // Deals in flight at the start: the months before it, keyed so that how many there are
        // never shifts any other draw.
        for back in 1..=prep.run_in_months {
            let m = -(back as i32);
            let u =
                bits53(rng::EventStream::of(key, a as u64, m, rng::slot::RUN_IN_COUNT).next_u64());
            if u < prep.run_in_none[t] {
                continue;
            }
            let plans = |d: usize| &prep.in_flight[d * n_tiers + t];
            let most = counts(&mut seen, u, plans);
            for k in 0..most {
                draws.fill(&mut rng::EventStream::of(key, a as u64, m, k), n_stages);
                for (d, row) in rows.chunks_mut(width).enumerate() {
                    if k < seen[d] {
                        if let Some(b) = in_flight(plans(d), &draws, &ctx, m, value, t, row) {
                            lost_after[d] = lost_after[d].min(end_of(b));
                        }
                    }
                }
            }
        }

        for m in 0..months {
            let u = bits53(rng.next_u64());
            if u >= prep.none[t] {
                let plans = |d: usize| &prep.plans[(d * n_tiers + t) * n_months + m as usize];
                let most = counts(&mut seen, u, plans);
                for k in 0..most {
                    // The opportunity's own draws, keyed by (trial, account, month, k): the same
                    // for every design, and never shifting the draws of any other.
                    draws.fill(
                        &mut rng::EventStream::of(key, a as u64, m as i32, k),
                        n_stages,
                    );
                    let at = (u64::from(m) << IN_MONTH) | u64::from(k);
                    for (d, row) in rows.chunks_mut(width).enumerate() {
                        // This design sees the first `seen[d]` opportunities of the month; a
                        // customer it has lost brings it no more.
                        if k >= seen[d] || at > lost_after[d] {
                            continue;
                        }
                        let after = evaluate(plans(d), &draws, &ctx, m, value, t, row);
                        if after.customer_lost {
                            lost_after[d] = lost_after[d].min(at);
                            row[g::CUSTOMERS_LOST_TO_CONFLICT] += 1.0;
                        }
                        if let Some(b) = after.churn_at {
                            lost_after[d] = lost_after[d].min(end_of(b));
                        }
                    }
                }
            }
            if prep.churn {
                let u = bits53(
                    rng::EventStream::of(key, a as u64, m as i32, rng::slot::CHURN).next_u64(),
                );
                for (d, lost) in lost_after.iter_mut().enumerate() {
                    let plan = &prep.plans[(d * n_tiers + t) * n_months + m as usize];
                    if u < plan.churn {
                        *lost = (*lost).min(end_of(m));
                    }
                }
            }
        }
        for (row, &lost) in rows.chunks_mut(width).zip(&lost_after) {
            let month = (lost >> IN_MONTH) as usize;
            if lost != u64::MAX && month < n_months {
                row[g::CUSTOMERS_LOST] += 1.0;
                row[layout.month(month, monthly::CUSTOMERS)] += 1.0;
            }
        }
    }

    let accounts = acc.len() as f64;
    for (d, row) in rows.chunks_mut(width).enumerate() {
        finish_row(prep, d, row, accounts);
    }
}

/// Fills `seen` with each design's count of opportunities at draw `u` and returns the largest.
#[inline]
fn counts<'p>(seen: &mut [u32], u: u64, plans: impl Fn(usize) -> &'p Plan) -> u32 {
    let mut most = 0;
    for (d, n) in seen.iter_mut().enumerate() {
        *n = count(plans(d), u);
        most = most.max(*n);
    }
    most
}

/// What does not change between the opportunities of a trial.
struct Ctx {
    n_stages: usize,
    close: usize,
    months: u32,
    gm: f64,
    layout: Layout,
    churn_after_post_sale: u64,
}

/// What an opportunity did to the account: whether a conflict lost the customer now, and the
/// month at whose end a failed post-sale loses it.
struct After {
    customer_lost: bool,
    churn_at: Option<u32>,
}

/// The intruder of a conflicted opportunity, if any.
#[inline(always)]
fn intruder<'p>(plan: &'p Plan, draws: &Draws) -> Option<&'p plan::Intruder> {
    (draws.conflict < plan.conflict_total).then(|| {
        plan.intruders
            .iter()
            .find(|i| draws.conflict < i.upto)
            .unwrap_or(&plan.intruders[plan.intruders.len() - 1])
    })
}

#[inline]
fn evaluate(
    plan: &Plan,
    draws: &Draws,
    ctx: &Ctx,
    month: u32,
    value: f64,
    tier: usize,
    row: &mut [f64],
) -> After {
    let layout = ctx.layout;
    let at = |which: usize| layout.month(month as usize, which);
    let mut after = After {
        customer_lost: false,
        churn_at: None,
    };
    row[g::PIPELINE] += value;
    row[g::OPPORTUNITIES] += 1.0;
    row[layout.tier(tier, metrics::TIER_OPPORTUNITIES)] += 1.0;

    // Up to the close: the first stage that fails and the first hand-off that fails.
    let decided = ctx.close + 1;
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
    let intruder = intruder(plan, draws);
    if let Some(i) = intruder {
        row[g::CONFLICTS] += 1.0;
        row[g::DUPLICATED_EFFORT] += i.duplicate_cost;
        row[at(monthly::CONFLICTS)] += 1.0;
        row[at(monthly::COST_OF_SALES)] += i.duplicate_cost;
        row[at(monthly::CONTRIBUTION)] -= i.duplicate_cost;
        row[layout.role(i.channel, metrics::ROLE_COST)] += i.duplicate_cost;
        // The turf battle may cost the customer, whatever becomes of the deal.
        after.customer_lost = draws.customer_loss < i.customer_loss;
    }

    if first_stage_failure < decided {
        row[g::NOT_WON] += value;
        return after;
    }
    if first_handoff_failure < decided {
        row[g::LOST_TO_HANDOFFS] += value;
        return after;
    }
    if let Some(i) = intruder {
        if after.customer_lost || draws.conflict_loss < i.loss {
            row[g::LOST_TO_CONFLICT] += value;
            return after;
        }
    }
    if month >= plan.book_limit {
        row[g::DEFERRED] += value;
        return after;
    }
    after.churn_at = book(
        plan,
        plan.book_month,
        draws,
        ctx,
        intruder,
        value,
        tier,
        row,
    );
    after
}

/// A deal in flight at the start (arisen in month `month` < 0) under its in-flight plan: it is
/// counted only if it books inside the horizon, or if a moved account's hand-over at the start
/// loses it. Returns the month at whose end a failed post-sale loses the customer.
fn in_flight(
    plan: &Plan,
    draws: &Draws,
    ctx: &Ctx,
    month: i32,
    value: f64,
    tier: usize,
    row: &mut [f64],
) -> Option<u32> {
    let decided = ctx.close + 1;
    if (0..decided).any(|s| draws.stage[s] >= plan.pass[s])
        || (1..decided).any(|s| draws.handoff[s] < plan.fail[s])
    {
        return None;
    }
    let intruder = intruder(plan, draws);
    if intruder.is_some_and(|i| draws.conflict_loss < i.loss) {
        return None;
    }
    let b = (f64::from(month) + plan.delay_months).floor();
    if b < 0.0 || b >= f64::from(ctx.months) {
        return None;
    }
    if draws.handover < plan.handover {
        row[g::FAILED_HANDOFFS] += 1.0;
        row[ctx.layout.month(0, monthly::FAILED_HANDOFFS)] += 1.0;
        row[g::IN_FLIGHT_LOST_AT_HANDOVER] += value;
        return None;
    }
    row[g::IN_FLIGHT_BOOKED] += value;
    book(plan, b as u32, draws, ctx, intruder, value, tier, row)
}

/// Books a won deal in month `book_month`: revenue, its costs, credit by role, post-sale.
/// Returns the month at whose end a failed post-sale loses the customer.
#[inline]
#[allow(clippy::too_many_arguments)]
fn book(
    plan: &Plan,
    book_month: u32,
    draws: &Draws,
    ctx: &Ctx,
    intruder: Option<&plan::Intruder>,
    value: f64,
    tier: usize,
    row: &mut [f64],
) -> Option<u32> {
    let layout = ctx.layout;
    let gm = ctx.gm;
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
    // After the close: post-sale work and its hand-offs never undo the booked deal, but a
    // failure puts the customer at risk.
    let mut churn_at = None;
    for s in ctx.close + 1..ctx.n_stages {
        if draws.stage[s] >= plan.pass[s] || draws.handoff[s] < plan.fail[s] {
            row[g::POST_SALE_FAILURES] += 1.0;
            row[g::REVENUE_AT_RISK_POST_SALE] += revenue;
            if draws.post_sale_churn < ctx.churn_after_post_sale {
                churn_at = Some(book_month);
            }
            break;
        }
    }
    let booked = |which: usize| layout.month(book_month as usize, which);
    let cost = partner + pay;
    row[booked(monthly::REVENUE)] += revenue;
    row[booked(monthly::COST_OF_SALES)] += cost;
    row[booked(monthly::CONTRIBUTION)] += revenue - value * (1.0 - gm) - cost;
    churn_at
}

/// Adds fixed costs and derives totals and ratios once the trial's events are in.
fn finish_row(prep: &Prepared, d: usize, row: &mut [f64], accounts: f64) {
    let f = &prep.fixed[d];
    let layout = prep.layout;
    row[g::COST_HEADS] = f.heads + f.exits + f.recruiting;
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
    // Customers at the end of each month: the accounts less those lost so far.
    let mut lost = 0.0;
    for m in 0..layout.months {
        lost += row[layout.month(m, monthly::CUSTOMERS)];
        row[layout.month(m, monthly::CUSTOMERS)] = accounts - lost;
    }
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
