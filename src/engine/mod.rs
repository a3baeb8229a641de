//! The Monte Carlo engine: a resolved `Model` in, one row of metrics per (trial, design) out.
//! No I/O, no printing, no locks. Trials run in parallel in fixed-size chunks and are written
//! to their own rows, so the result is the same at any thread count; every design sees the
//! same draws (common random numbers): each account's possible opportunities come from one
//! Poisson process at a design-independent envelope rate, thinned per design, and every draw
//! is compared with each design's precomputed thresholds (docs/MODEL.md §3, §8).

pub mod plan;
pub mod staffing;

use std::ops::Range;

use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::metrics::{self, Layout, g, monthly};
use crate::model::Model;
use crate::rng::{self, bits53};
use plan::Plan;
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

    /// Metrics `metrics` of one design across all trials (see [`columns`]).
    pub fn columns(&self, design: usize, metrics: Range<usize>) -> Columns {
        let at = design * self.width;
        columns(
            &self.values,
            self.designs * self.width,
            at + metrics.start..at + metrics.end,
        )
    }
}

/// How many neighbouring columns a summary reads in one pass over the trials (see [`columns`]).
pub const COLUMN_GROUP: usize = 16;

/// `0..n` cut into ranges of [`COLUMN_GROUP`] (the last one shorter).
pub fn column_groups(n: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n)
        .step_by(COLUMN_GROUP)
        .map(move |a| a..(a + COLUMN_GROUP).min(n))
}

/// Neighbouring columns of a batch of rows, each in trial order (see [`columns`]).
pub struct Columns {
    trials: usize,
    count: usize,
    values: Vec<f64>,
}

impl Columns {
    /// The columns in order, one slice of every trial's value each (empty slices when there
    /// are no trials).
    pub fn iter(&self) -> impl Iterator<Item = &[f64]> {
        (0..self.count).map(|j| &self.values[j * self.trials..][..self.trials])
    }
}

/// Entries `at` of every row of `rows` (rows of `row_len`, trial after trial), column after
/// column. One pass over the rows reads neighbouring columns together, where a pass per column
/// would fetch a cache line and a page of every row for each of them.
pub fn columns(rows: &[f64], row_len: usize, at: Range<usize>) -> Columns {
    let trials = rows.len().checked_div(row_len).unwrap_or(0);
    let count = at.len();
    let mut values = vec![0.0; count * trials];
    for (t, row) in rows.chunks_exact(row_len.max(1)).take(trials).enumerate() {
        for (j, &x) in row[at.clone()].iter().enumerate() {
            values[j * trials + t] = x;
        }
    }
    Columns {
        trials,
        count,
        values,
    }
}

/// What one trial needs besides its output rows: plans and per-tier constants.
struct Prepared<'m> {
    model: &'m Model,
    /// Plans by (design, tier, month), indexed `(d * tiers + t) * months + m`.
    plans: Vec<Plan>,
    /// The thresholds the engine compares the shared draws with, one per plan of `plans`, in
    /// (tier, month, design) order, `(t * months + m) * designs + d`: the designs of one
    /// possible opportunity side by side. `Step::plan` is the index of its plan.
    steps: Vec<Step>,
    /// Plans of the deals in flight at the start, indexed `d * tiers + t`.
    in_flight: Vec<Plan>,
    /// Their thresholds in (tier, design) order, `t * designs + d`: the designs of one run-in
    /// opportunity side by side. `Step::plan` is the index of its plan in `in_flight`.
    in_flight_steps: Vec<Step>,
    fixed: Vec<FixedCosts>,
    layout: Layout,
    /// Per tier, one entry per month before the start whose deals may book inside the horizon
    /// (the longest delay to booking of any in-flight plan, rounded up): entry k − 1 is
    /// `e^(−k·Λ)`, Λ the tier's envelope rate (the full-coverage rate `flow / 12` that no design
    /// exceeds, docs/MODEL.md §3). A run-in point whose product of uniforms is at or above entry
    /// k − 1 lies in the k months before the start ([`RunIn`]). Empty where the tier brings no
    /// opportunity.
    run_in_cuts: Vec<Vec<f64>>,
    /// Per tier, the distribution function of the number of possible opportunities of an
    /// account in the horizon: Poisson at envelope rate × months.
    horizon_counts: Vec<Counts>,
    /// Per (design, tier), indexed `(d * tiers + t) * months + m`: the threshold of
    /// P(the account has churned by the end of month m) on its churn draw; empty when no design
    /// can lose an account to churn.
    churned_by: Vec<u64>,
    /// 1 / (prospected + inbound opportunities per year), per tier: an opportunity's share of
    /// annual potential.
    deal_share: Vec<f64>,
    /// Per tier, the largest threshold of `churned_by` at the last month over the designs: a
    /// churn draw at or above it churns the account in no design (the loop over the designs is
    /// skipped). 0 when no design can lose an account to churn.
    churn_any: Vec<u64>,
    /// Per (tier, month), indexed `t * months + m`: the designs' thresholds taken together
    /// ([`Across`]), which decide a possible opportunity for all designs at once.
    across: Vec<Across>,
    /// Per tier: the largest `Step::win` of the in-flight plans over the designs; a run-in
    /// opportunity whose outcome draw is at or above it is won by no design (none books).
    in_flight_win_any: Vec<u64>,
    /// Tallies per plan of `plans` in a trial's [`Tally`] table: 1 + the most intruders of any
    /// plan (slot 0 is an opportunity without conflict, slot 1 + k one chased by intruder k).
    slots: usize,
    /// Per account, its salt ([`rng::account_salt`]): its keyed stream's state without the
    /// trial's key. The same for every variant of a model, so computed once per run
    /// ([`account_salts`]).
    account_salts: &'m [u64],
}

/// The salts of `n` accounts ([`rng::account_salt`]), in file order.
fn account_salts(n: usize) -> Vec<u64> {
    (0..n as u64).map(rng::account_salt).collect()
}

/// The thresholds of the designs of one (tier, month) taken together. A possible opportunity
/// whose thinning draw is at or above `see_any` (the largest `Step::see`) is seen by no
/// design. One takes the common path in every design at once when it is seen by all
/// (`thin < see_all`, the smallest `see`), in conflict in none (`conflict ≥ conflict_any`, the
/// largest `conflict_total`), and won or counted as a failed hand-off in none (`outcome ≥
/// counted_any`, the largest `handoff_counted`), and no design has lost the customer by its
/// place (checked in the account loop).
#[derive(Debug, Clone, Copy)]
struct Across {
    see_any: u64,
    see_all: u64,
    conflict_any: u64,
    counted_any: u64,
}

/// What the engine compares an opportunity's shared draws with under one plan (docs/MODEL.md
/// §3–4): every probability of the plan as a 53-bit threshold on one draw.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// A possible opportunity is one of this plan's when its `thin` draw is below this:
    /// the plan's rate ÷ the envelope rate.
    see: u64,
    /// The `outcome` draw: below `win` every stage up to the close passes and no hand-off
    /// fails; in `[win, stages_pass)` every stage passes but a hand-off fails (lost to the
    /// hand-off); from `stages_pass` on a stage fails (not won). A failed hand-off is counted
    /// in `[win, handoff_counted)`: the deal reached the hand-off that failed first.
    win: u64,
    stages_pass: u64,
    handoff_counted: u64,
    /// The `post_sale` draw: below this every post-sale stage and hand-off holds.
    post_sale_holds: u64,
    /// The `conflict` draw: below this an intruder chases the deal (`Plan::conflict_total`).
    conflict_total: u64,
    /// Index of the plan in `Prepared::plans` (or `in_flight`).
    plan: u32,
    /// `Plan::book_limit`: a deal won in a month at or after it books after the horizon.
    book_limit: u32,
}

impl Step {
    fn of(plan: &Plan, index: usize, n_stages: usize, close: usize, envelope: f64) -> Step {
        let p = |s: usize| plan.pass[s] as f64 / rng::UNIT;
        let f = |s: usize| plan.fail[s] as f64 / rng::UNIT;
        // Up to the close, in the deal's order: the hand-off into stage s, then stage s.
        let mut pass = 1.0; // P(stages before s pass)
        let mut hold = 1.0; // P(hand-offs before s hold)
        let mut counted = 0.0; // P(the first failed hand-off is reached)
        for s in 0..=close {
            if s > 0 {
                counted += pass * hold * f(s);
                hold *= 1.0 - f(s);
            }
            pass *= p(s);
        }
        let post: f64 = (close + 1..n_stages).map(|s| p(s) * (1.0 - f(s))).product();
        let stages_pass = rng::threshold(pass);
        Step {
            see: if envelope > 0.0 {
                rng::threshold(plan.rate / envelope)
            } else {
                0
            },
            win: rng::threshold(pass * hold),
            stages_pass,
            // P(win) + P(counted) ≥ P(stages pass): a hand-off failing on a deal whose stages
            // all pass was reached. `max` only absorbs rounding.
            handoff_counted: rng::threshold(pass * hold + counted).max(stages_pass),
            post_sale_holds: rng::threshold(post),
            conflict_total: plan.conflict_total,
            plan: index as u32,
            book_limit: plan.book_limit,
        }
    }
}

impl<'m> Prepared<'m> {
    /// `account_salts` holds one salt per account of `model` ([`account_salts`]).
    fn new(model: &'m Model, account_salts: &'m [u64]) -> Self {
        assert_eq!(
            account_salts.len(),
            model.accounts.len(),
            "one stream salt per account"
        );
        let fixed: Vec<FixedCosts> = (0..model.designs.len())
            .map(|d| staffing::fixed_costs(model, d))
            .collect();
        let plans = plan::build_months(model, &fixed);
        let in_flight: Vec<Plan> = (0..model.designs.len())
            .flat_map(|d| plan::in_flight(model, d))
            .collect();
        let months = model.months as usize;
        let n_tiers = model.tiers.len();
        let n_stages = model.stages.len();
        let close = model.close_stage;
        // The envelope: the full-coverage rate, which no plan exceeds (σ ≤ 1), so it does not
        // depend on the designs; `max` keeps thinning exact should a plan ever exceed it.
        let mut envelope: Vec<f64> = (0..n_tiers).map(|t| plan::flow(model, t) / 12.0).collect();
        for (i, p) in plans.iter().enumerate() {
            let t = (i / months) % n_tiers;
            envelope[t] = envelope[t].max(p.rate);
        }
        for (i, p) in in_flight.iter().enumerate() {
            envelope[i % n_tiers] = envelope[i % n_tiers].max(p.rate);
        }
        let designs = model.designs.len();
        let mut steps = Vec::with_capacity(plans.len());
        for tm in 0..n_tiers * months {
            for d in 0..designs {
                let i = d * n_tiers * months + tm;
                steps.push(Step::of(
                    &plans[i],
                    i,
                    n_stages,
                    close,
                    envelope[tm / months],
                ));
            }
        }
        let in_flight_steps: Vec<Step> = (0..n_tiers)
            .flat_map(|t| (0..designs).map(move |d| (d * n_tiers + t, t)))
            .map(|(i, t)| Step::of(&in_flight[i], i, n_stages, close, envelope[t]))
            .collect();
        let run_in_months = in_flight
            .iter()
            .map(|p| p.delay_months.ceil() as u32)
            .max()
            .unwrap_or(0);
        // Churn: the monthly hazards of a (design, tier) as one distribution function over the
        // months, inverted at the account's one churn draw.
        let mut churned_by = Vec::new();
        if plans.iter().any(|p| p.churn > 0) {
            for by_month in plans.chunks(months.max(1)) {
                let mut stays = 1.0;
                for p in by_month {
                    stays *= 1.0 - p.churn as f64 / rng::UNIT;
                    churned_by.push(rng::threshold(1.0 - stays));
                }
            }
        }
        let churn_any = (0..n_tiers)
            .map(|t| {
                (0..designs)
                    .filter_map(|d| churned_by.get((d * n_tiers + t) * months + months - 1))
                    .copied()
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let across = (0..n_tiers * months)
            .map(|tm| {
                let by_design = &steps[tm * designs..][..designs];
                let max = |f: fn(&Step) -> u64| by_design.iter().map(f).max().unwrap_or(0);
                Across {
                    see_any: max(|s| s.see),
                    see_all: by_design.iter().map(|s| s.see).min().unwrap_or(0),
                    conflict_any: max(|s| s.conflict_total),
                    counted_any: max(|s| s.handoff_counted),
                }
            })
            .collect();
        let in_flight_win_any = in_flight_steps
            .chunks(designs.max(1))
            .map(|by_design: &[Step]| by_design.iter().map(|s| s.win).max().unwrap_or(0))
            .collect();
        let run_in_cuts = envelope
            .iter()
            .map(|&e| {
                let months = if e > 0.0 { run_in_months } else { 0 };
                (1..=months).map(|k| exp(-f64::from(k) * e)).collect()
            })
            .collect();
        let slots = 1 + plans.iter().map(|p| p.intruders.len()).max().unwrap_or(0);
        Prepared {
            model,
            fixed,
            slots,
            account_salts,
            churn_any,
            across,
            in_flight_win_any,
            run_in_cuts,
            layout: Layout::of(model),
            horizon_counts: envelope
                .iter()
                .map(|&e| Counts::poisson(e * months as f64))
                .collect(),
            churned_by,
            deal_share: (0..n_tiers).map(|t| 1.0 / plan::flow(model, t)).collect(),
            plans,
            steps,
            in_flight,
            in_flight_steps,
        }
    }
}

/// Simulates trials `trials` of every design, with the random events of `seed`.
pub fn simulate(
    model: &Model,
    seed: u64,
    trials: Range<u64>,
    progress: &dyn Progress,
) -> TrialMatrix {
    simulate_into(model, seed, trials, progress, Vec::new())
}

/// [`simulate`], its rows written into `spare` (a finished batch's values, zeroed here)
/// instead of fresh memory: a run of many batches reuses one buffer rather than mapping and
/// unmapping a batch of rows each time. The same rows.
pub fn simulate_into(
    model: &Model,
    seed: u64,
    trials: Range<u64>,
    progress: &dyn Progress,
    spare: Vec<f64>,
) -> TrialMatrix {
    let salts = account_salts(model.accounts.len());
    let prep = Prepared::new(model, &salts);
    fill(model, trials, progress, spare, &|trial, rows| {
        run_trial(&prep, seed, trial, rows);
        Ok(())
    })
    .unwrap_or_else(|(_, e)| unreachable!("a fixed model cannot fail: {e}"))
}

/// Simulates trials `trials`, each on its own variant of `base` (same structure: designs,
/// tiers, channels), as `model_for(trial)` gives it — the trial's draws of the uncertain
/// inputs. The trial's random events are the same as with `simulate`: only the parameters
/// differ. The first failing trial (in trial order) is reported.
/// `spare` as in [`simulate_into`].
pub fn simulate_varied(
    base: &Model,
    seed: u64,
    trials: Range<u64>,
    model_for: &(dyn Fn(u64) -> Result<Model, String> + Sync),
    progress: &dyn Progress,
    spare: Vec<f64>,
) -> Result<TrialMatrix, (u64, String)> {
    let salts = account_salts(base.accounts.len());
    fill(base, trials, progress, spare, &|trial, rows| {
        let model = model_for(trial)?;
        run_trial(&Prepared::new(&model, &salts), seed, trial, rows);
        Ok(())
    })
}

type TrialFn<'a> = dyn Fn(u64, &mut [f64]) -> Result<(), String> + Sync + 'a;

/// The rows of `trials`, each trial's written by `trial_fn` into zeros, in `spare` when it
/// holds any memory (cleared and zeroed), else in fresh zeroed memory.
fn fill(
    model: &Model,
    trials: Range<u64>,
    progress: &dyn Progress,
    spare: Vec<f64>,
    trial_fn: &TrialFn,
) -> Result<TrialMatrix, (u64, String)> {
    let layout = Layout::of(model);
    let designs = model.designs.len();
    let width = layout.width();
    let n = (trials.end - trials.start) as usize;
    let len = n * designs * width;
    let mut values = if spare.capacity() == 0 {
        vec![0.0; len]
    } else {
        let mut v = spare;
        v.clear();
        v.resize(len, 0.0);
        v
    };
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

/// The shared draws of one possible opportunity: what every design evaluates. Draw `j` of the
/// opportunity's keyed stream is, by `j`: 0 thinning, 1 outcome up to the close, 2 post-sale,
/// 3 conflict, 4 conflict loss, 5 customer loss, 6 churn after a failed post-sale, 7 hand-over
/// at the start. The stream is a counter, so the ones rarely needed are computed only when a
/// design needs them, and are the same whichever design asks (the rare ones not inlined, so
/// that the compiler does not compute them ahead for every call of [`evaluate`]; post-sale is
/// needed on every win).
struct Draws {
    ev: rng::EventStream,
    thin: u64,
    outcome: u64,
    conflict: u64,
}

impl Draws {
    #[inline(always)]
    fn of(ev: rng::EventStream) -> Draws {
        Draws {
            thin: bits53(ev.at(0)),
            outcome: bits53(ev.at(1)),
            conflict: bits53(ev.at(3)),
            ev,
        }
    }
    #[inline(always)]
    fn post_sale(&self) -> u64 {
        bits53(self.ev.at(2))
    }
    #[inline(never)]
    fn conflict_loss(&self) -> u64 {
        bits53(self.ev.at(4))
    }
    #[inline(never)]
    fn customer_loss(&self) -> u64 {
        bits53(self.ev.at(5))
    }
    #[inline(never)]
    fn post_sale_churn(&self) -> u64 {
        bits53(self.ev.at(6))
    }
    #[inline(never)]
    fn handover(&self) -> u64 {
        bits53(self.ev.at(7))
    }
}

/// The Poisson distribution at one mean, inverted at a 53-bit draw: `cdf[k]` is P(N ≤ k) as a
/// 53-bit threshold (the last above every draw, so a count is at most `cdf.len() − 1`), and
/// `guide[b]` the count at the smallest draw of the b-th of 256 equal ranges of draws, where the
/// search for a draw in that range starts (Chen & Asau 1974). The guide only shortens the
/// search: the count is the least k with `u < cdf[k]` either way.
#[derive(Debug, Clone)]
struct Counts {
    cdf: Vec<u64>,
    guide: [u32; 256],
}

impl Counts {
    /// Ranges of the guide: draws `u` with the same `u >> GUIDE_SHIFT` share an entry.
    const GUIDE_SHIFT: u32 = 53 - 8;

    fn poisson(mean: f64) -> Counts {
        let mut cdf = Vec::new();
        if mean > 0.0 {
            let cap = (mean + 12.0 * mean.sqrt() + 30.0) as usize;
            let mut p = (-mean).exp();
            let mut sum = p;
            for k in 0..cap {
                cdf.push(rng::threshold(sum));
                if sum >= 1.0 - 1e-16 {
                    break;
                }
                p *= mean / (k + 1) as f64;
                sum += p;
            }
        }
        cdf.push(u64::MAX);
        let mut guide = [0; 256];
        let mut k = 0;
        for (b, g) in guide.iter_mut().enumerate() {
            let lowest = (b as u64) << Self::GUIDE_SHIFT;
            while lowest >= cdf[k] {
                k += 1;
            }
            *g = k as u32;
        }
        Counts { cdf, guide }
    }

    /// The count at 53-bit draw `u`.
    #[inline(always)]
    fn at(&self, u: u64) -> usize {
        let mut k = self.guide[(u >> Self::GUIDE_SHIFT) as usize] as usize;
        while u >= self.cdf[k] {
            k += 1;
        }
        k
    }
}

/// An account's `n` places in time, `draw(0) … draw(n − 1)`, sorted: up to four drawn into
/// `small` and sorted there by a network of compare-exchanges without branches (most accounts
/// have at most four possible opportunities, and the order of random places is what a branch
/// cannot predict), more into `more` and sorted by the library. Each count has its own straight
/// code: a loop over the draws would be vectorised, and this target's vector lanes have no
/// 64-bit multiply (docs/PERFORMANCE.md). The same order as the library's sort either way.
#[inline(always)]
fn places_of<'b>(
    n: usize,
    draw: impl Fn(u64) -> u64,
    small: &'b mut [u64; 4],
    more: &'b mut Vec<u64>,
) -> &'b [u64] {
    #[inline(always)]
    fn order(a: u64, b: u64) -> (u64, u64) {
        (a.min(b), a.max(b))
    }
    match n {
        0 => &[],
        1 => {
            small[0] = draw(0);
            &small[..1]
        }
        2 => {
            let (a, b) = order(draw(0), draw(1));
            small[..2].copy_from_slice(&[a, b]);
            &small[..2]
        }
        3 => {
            let (a, b) = order(draw(0), draw(1));
            let (b, c) = order(b, draw(2));
            let (a, b) = order(a, b);
            small[..3].copy_from_slice(&[a, b, c]);
            &small[..3]
        }
        4 => {
            let (a, b) = order(draw(0), draw(1));
            let (c, d) = order(draw(2), draw(3));
            let (a, c) = order(a, c);
            let (b, d) = order(b, d);
            let (b, c) = order(b, c);
            *small = [a, b, c, d];
            &small[..]
        }
        _ => {
            more.clear();
            for j in 0..n as u64 {
                more.push(draw(j));
            }
            more.sort_unstable();
            &more[..]
        }
    }
}

/// ⌊x⌋ for |x| < 2⁶³, the same number as `f64::floor` (up to the sign of a zero) without its
/// call into the C library, which this target (no SSE4.1 rounding instruction) makes.
#[inline(always)]
fn floor(x: f64) -> f64 {
    let i = x as i64 as f64;
    if i > x { i - 1.0 } else { i }
}

/// 2^(j/64), j = 0 … 63, each the double nearest the exact value.
const EXP2_SIXTY_FOURTHS: [f64; 64] = [
    f64::from_bits(0x3ff0000000000000),
    f64::from_bits(0x3ff02c9a3e778061),
    f64::from_bits(0x3ff059b0d3158574),
    f64::from_bits(0x3ff0874518759bc8),
    f64::from_bits(0x3ff0b5586cf9890f),
    f64::from_bits(0x3ff0e3ec32d3d1a2),
    f64::from_bits(0x3ff11301d0125b51),
    f64::from_bits(0x3ff1429aaea92de0),
    f64::from_bits(0x3ff172b83c7d517b),
    f64::from_bits(0x3ff1a35beb6fcb75),
    f64::from_bits(0x3ff1d4873168b9aa),
    f64::from_bits(0x3ff2063b88628cd6),
    f64::from_bits(0x3ff2387a6e756238),
    f64::from_bits(0x3ff26b4565e27cdd),
    f64::from_bits(0x3ff29e9df51fdee1),
    f64::from_bits(0x3ff2d285a6e4030b),
    f64::from_bits(0x3ff306fe0a31b715),
    f64::from_bits(0x3ff33c08b26416ff),
    f64::from_bits(0x3ff371a7373aa9cb),
    f64::from_bits(0x3ff3a7db34e59ff7),
    f64::from_bits(0x3ff3dea64c123422),
    f64::from_bits(0x3ff4160a21f72e2a),
    f64::from_bits(0x3ff44e086061892d),
    f64::from_bits(0x3ff486a2b5c13cd0),
    f64::from_bits(0x3ff4bfdad5362a27),
    f64::from_bits(0x3ff4f9b2769d2ca7),
    f64::from_bits(0x3ff5342b569d4f82),
    f64::from_bits(0x3ff56f4736b527da),
    f64::from_bits(0x3ff5ab07dd485429),
    f64::from_bits(0x3ff5e76f15ad2148),
    f64::from_bits(0x3ff6247eb03a5585),
    f64::from_bits(0x3ff6623882552225),
    f64::from_bits(0x3ff6a09e667f3bcd),
    f64::from_bits(0x3ff6dfb23c651a2f),
    f64::from_bits(0x3ff71f75e8ec5f74),
    f64::from_bits(0x3ff75feb564267c9),
    f64::from_bits(0x3ff7a11473eb0187),
    f64::from_bits(0x3ff7e2f336cf4e62),
    f64::from_bits(0x3ff82589994cce13),
    f64::from_bits(0x3ff868d99b4492ed),
    f64::from_bits(0x3ff8ace5422aa0db),
    f64::from_bits(0x3ff8f1ae99157736),
    f64::from_bits(0x3ff93737b0cdc5e5),
    f64::from_bits(0x3ff97d829fde4e50),
    f64::from_bits(0x3ff9c49182a3f090),
    f64::from_bits(0x3ffa0c667b5de565),
    f64::from_bits(0x3ffa5503b23e255d),
    f64::from_bits(0x3ffa9e6b5579fdbf),
    f64::from_bits(0x3ffae89f995ad3ad),
    f64::from_bits(0x3ffb33a2b84f15fb),
    f64::from_bits(0x3ffb7f76f2fb5e47),
    f64::from_bits(0x3ffbcc1e904bc1d2),
    f64::from_bits(0x3ffc199bdd85529c),
    f64::from_bits(0x3ffc67f12e57d14b),
    f64::from_bits(0x3ffcb720dcef9069),
    f64::from_bits(0x3ffd072d4a07897c),
    f64::from_bits(0x3ffd5818dcfba487),
    f64::from_bits(0x3ffda9e603db3285),
    f64::from_bits(0x3ffdfc97337b9b5f),
    f64::from_bits(0x3ffe502ee78b3ff6),
    f64::from_bits(0x3ffea4afa2a490da),
    f64::from_bits(0x3ffefa1bee615a27),
    f64::from_bits(0x3fff50765b6e4540),
    f64::from_bits(0x3fffa7c1819e90d8),
];

/// eˣ within one unit in the last place (relative error below 2.5·10⁻¹⁶), for |x| < 700 by
/// table and polynomial without a call into the C library, the same number on every machine
/// (docs/MODEL.md §1, potential volatility): x = (64·e + j)·ln2/64 + r with k = 64·e + j the
/// integer nearest 64·x/ln2 and |r| ≤ ln2/128, so eˣ = 2^e · 2^(j/64) · eʳ, and eʳ − 1 is its
/// Taylor polynomial of degree 5 (truncation below 4·10⁻¹⁷). Elsewhere, `f64::exp`.
#[inline(always)]
fn exp(x: f64) -> f64 {
    // 1.5·2⁵²: adding it rounds to an integer, which then sits in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const SIXTY_FOUR_OVER_LN2: f64 = 92.332_482_616_893_66;
    // ln2/64 as a 32-bit head (k·head is exact for |k| < 2²¹) and the rest.
    const LN2_HEAD: f64 = f64::from_bits(0x3f862e42fee00000);
    const LN2_TAIL: f64 = f64::from_bits(0x3d8a39ef35793c76);
    // One comparison, also true for NaN.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    if !(x.abs() < 700.0) {
        return x.exp();
    }
    let kd = x * SIXTY_FOUR_OVER_LN2 + SHIFT;
    let k = (kd.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let kf = kd - SHIFT;
    let r = (x - kf * LN2_HEAD) - kf * LN2_TAIL;
    let p = r + r * r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0))));
    let t = EXP2_SIXTY_FOURTHS[(k & 63) as usize];
    let scale = f64::from_bits((((k >> 6) + 1023) as u64) << 52);
    (t + t * p) * scale
}

/// Bits of an opportunity's place in time below its month: `(month << 20) | k`.
const IN_MONTH: u32 = 20;
/// The last place in month `m`: an account lost "at the end of month m".
fn end_of(m: u32) -> u64 {
    (u64::from(m) << IN_MONTH) | ((1 << IN_MONTH) - 1)
}

/// The possible opportunities of one account before the start: a Poisson process at the
/// envelope rate Λ going back in time from the start, from exponential gaps `−ln U / Λ` drawn
/// from `gaps`, while inside the run-in (`cuts.len()` months). Going backward, a longer run-in
/// only adds older points, so its length (which depends on the designs) changes no other
/// point. The j-th point lies at `ln(U₁⋯U_j) / Λ` months, so it is in month −k for the least
/// k ≥ 1 with `U₁⋯U_j ≥ e^(−kΛ)` (`cuts[k − 1]`): the product of the uniforms decides the
/// month without a logarithm. Yields the month of each (negative) and the raw draw of its gap
/// (which keys its own stream), in the order drawn.
struct RunIn<'p> {
    gaps: rng::EventStream,
    cuts: &'p [f64],
    /// U₁⋯U_j so far, multiplied in the order drawn.
    product: f64,
    /// The current point is in month −(k + 1): `product ≥ cuts[k]`.
    k: usize,
}

impl<'p> RunIn<'p> {
    fn new(gaps: rng::EventStream, cuts: &'p [f64]) -> Self {
        RunIn {
            gaps,
            cuts,
            product: 1.0,
            k: 0,
        }
    }
}

impl Iterator for RunIn<'_> {
    type Item = (i32, u64);
    #[inline(always)]
    fn next(&mut self) -> Option<(i32, u64)> {
        let &last = self.cuts.last()?;
        let u = self.gaps.next_u64();
        self.product *= rng::open_unit(u);
        if self.product < last {
            self.cuts = &[]; // past the run-in: no later point is inside it
            return None;
        }
        while self.product < self.cuts[self.k] {
            self.k += 1;
        }
        Some((-(self.k as i32) - 1, u))
    }
}

fn run_trial(prep: &Prepared, seed: u64, trial: u64, rows: &mut [f64]) {
    let model = prep.model;
    let layout = prep.layout;
    let width = layout.width();
    let n_tiers = model.tiers.len();
    let months = model.months;
    let n_months = months as usize;
    let vol = model.potential_volatility;
    let gm = model.gross_margin;
    let horizon_years = months as f64 / 12.0;
    let key = rng::trial_key(seed, trial);
    let mut rng = rng::stream(seed, trial);
    let acc = &model.accounts;
    let ctx = Ctx {
        months,
        gm,
        roles_at: layout.role(0, 0),
        months_at: layout.month(0, 0),
        churn_after_post_sale: rng::threshold(model.churn_after_failed_post_sale),
    };
    // Per design, what the common path of a seen opportunity adds up (see [`Hot`]).
    // Opportunities per (tier, design), `t * designs + d`: counts, written to the rows at the
    // end of the trial (an integer add per seen opportunity; the same whole numbers).
    // Seen opportunities by (tier, month, design): the tier counts and the monthly ones.
    let mut seen_opps = vec![0u64; n_tiers * n_months * model.designs.len()];
    // What the seen opportunities did off the common path, by plan and intruder: booked into
    // the rows at the end of the trial ([`settle`]).
    let mut tally = vec![Tally::default(); prep.slots * prep.plans.len()];
    // The potential of the horizon is the same for every design: summed once, in account order.
    let mut potential_total = 0.0;
    // The places in time of an account's possible opportunities in the horizon (raw draws,
    // sorted): up to four in `small`, more in `more` ([`places_of`]); reused across accounts.
    let mut small = [0u64; 4];
    let mut more: Vec<u64> = Vec::with_capacity(64);

    let designs = model.designs.len();
    // Each design's row, split once per trial.
    // Each design's row, split once per trial, beside its running sums (see [`Hot`]).
    let mut hot: Vec<Hot> = rows.chunks_exact_mut(width).map(Hot::new).collect();
    // What the loop reads of an account's tier, side by side (one look-up per account).
    let by_tier: Vec<TierRead> = (0..n_tiers)
        .map(|t| TierRead {
            deal_share: prep.deal_share[t],
            churn_any: prep.churn_any[t],
            run_in_last: prep.run_in_cuts[t].last().copied().unwrap_or(f64::INFINITY),
            in_flight_win_any: prep.in_flight_win_any[t],
            horizon_counts: &prep.horizon_counts[t],
        })
        .collect();
    let accounts = acc.tier.iter().zip(&acc.potential).zip(prep.account_salts);
    for ((&tier, &estimate), &salt) in accounts {
        let t = tier as usize;
        let tr = &by_tier[t];
        // The account's realised potential this trial: the same for every design.
        let mut potential = estimate;
        if vol > 0.0 {
            let z: f64 = StandardNormal.sample(&mut rng);
            potential *= exp(vol * z - 0.5 * vol * vol);
        }
        let value = potential * tr.deal_share;
        potential_total += potential * horizon_years;
        // Every `Hot::lost_after` is `u64::MAX` here; `first_lost` is the earliest of them
        // since (`u64::MAX` while none moved).
        let mut first_lost = u64::MAX;
        // The account's keyed stream: its churn draw, its possible opportunities' count and
        // places, and its run-in's gaps (`rng::draw`).
        let stream = rng::EventStream::of_account(key, salt);

        // Churn: one draw per account, inverted in each design's distribution of the churn
        // month; lost at the end of that month, after its opportunities.
        if !prep.churned_by.is_empty() {
            let u = bits53(stream.at(rng::draw::CHURN));
            if u < tr.churn_any {
                for (d, h) in hot.iter_mut().enumerate() {
                    let by = &prep.churned_by[(d * n_tiers + t) * n_months..][..n_months];
                    if u < by[n_months - 1] {
                        // The first month whose threshold is above the draw: the thresholds
                        // rise with the month, so it is the count of those at or below it,
                        // summed without a branch.
                        let m = by.iter().map(|&c| usize::from(c <= u)).sum::<usize>();
                        h.lost_after = end_of(m as u32);
                        first_lost = first_lost.min(h.lost_after);
                    }
                }
            }
        }

        // Deals in flight at the start: the possible opportunities of the months before it,
        // drawn backward from the start, so how many months there are shifts no draw. Most
        // accounts have none: their first gap already goes past the run-in; of the rest, most
        // have one point, which no design wins: those never enter the cold path.
        let gaps = stream.from(rng::draw::RUN_IN);
        if run_in_can_book(&gaps, tr.run_in_last, tr.in_flight_win_any) {
            first_lost = first_lost.min(in_flight_deals(prep, &ctx, gaps, t, value, &mut hot));
        }

        // The horizon's possible opportunities: a Poisson number of them, at places uniform
        // over the horizon, taken in time order.
        let n = tr.horizon_counts.at(bits53(stream.at(rng::draw::COUNT)));
        let arrivals = stream.from(rng::draw::PLACES);
        let places = places_of(n, |j| arrivals.at(j), &mut small, &mut more);
        let (mut month, mut k) = (u32::MAX, 0u32);
        for &place in places {
            let m = ((u128::from(place) * u128::from(months)) >> 64) as u32;
            if m == month {
                k += 1;
            } else {
                (month, k) = (m, 0);
            }
            // The opportunity's own draws, keyed by its place (a raw draw of the account's
            // stream): the same for every design, and never shifting the draws of any other.
            let ev = rng::EventStream::seeded(place);
            let tm = t * n_months + m as usize;
            let c = &prep.across[tm];
            let opps_t = &mut seen_opps[tm * designs..][..designs];
            if bits53(ev.at(0)) >= c.see_any {
                continue; // no design sees it
            }
            let seen = Seen {
                draws: Draws::of(ev),
                ctx: &ctx,
                value,
                month: m,
            };
            let draws = &seen.draws;
            let at = (u64::from(m) << IN_MONTH) | u64::from(k);
            // The common path in every design at once: no design's test to take. No design
            // has lost the customer by this place (`at ≤` every `lost_after`).
            if at <= first_lost
                && draws.thin < c.see_all
                && draws.conflict >= c.conflict_any
                && draws.outcome >= c.counted_any
            {
                for (h, opps) in hot.iter_mut().zip(opps_t.iter_mut()) {
                    h.pipeline += value;
                    h.not_won += value;
                    *opps += 1;
                }
                continue;
            }
            let steps = &prep.steps[tm * designs..][..designs];
            let by_design = steps.iter().zip(hot.iter_mut()).zip(opps_t.iter_mut());
            for ((step, h), opps) in by_design {
                // This design sees the possible opportunity when its thinning draw says so; a
                // customer it has lost brings it no more.
                if draws.thin >= step.see || at > h.lost_after {
                    continue;
                }
                h.pipeline += value;
                *opps += 1;
                if draws.conflict >= step.conflict_total {
                    // The common case: no conflict, and a stage fails before the close with
                    // no failed hand-off counted (not won).
                    if draws.outcome >= step.handoff_counted {
                        h.not_won += value;
                        continue;
                    }
                    // Won without a conflict and booked inside the horizon.
                    if draws.outcome < step.win && m < step.book_limit {
                        let e = &mut tally[step.plan as usize];
                        if let Some(b) = win(&prep.plans, step, draws, &ctx, e, value) {
                            first_lost = first_lost.min(h.lose_at(end_of(b)));
                        }
                        continue;
                    }
                }
                let after = evaluate(&prep.plans, step, &seen, &mut tally, &mut h.not_won);
                if after.customer_lost() {
                    first_lost = first_lost.min(h.lose_at(at));
                    h.row[g::CUSTOMERS_LOST_TO_CONFLICT] += 1.0;
                }
                if let Some(b) = after.churn_at() {
                    first_lost = first_lost.min(h.lose_at(end_of(b)));
                }
            }
        }
        if first_lost != u64::MAX {
            for h in &mut hot {
                let month = (h.lost_after >> IN_MONTH) as usize;
                if h.lost_after != u64::MAX && month < n_months {
                    head(h.row)[g::CUSTOMERS_LOST] += 1.0;
                    ctx.month(h.row, month)[monthly::CUSTOMERS] += 1.0;
                }
                h.lost_after = u64::MAX;
            }
        }
    }

    for (d, h) in hot.into_iter().enumerate() {
        let row = h.row;
        // Each row's entries start at 0 and only these sums add to them: the same numbers,
        // added in the same order, as adding to the row directly.
        row[g::PIPELINE] += h.pipeline;
        row[g::NOT_WON] += h.not_won;
        // Whole numbers below 2⁵³: exact in any order.
        let mut all = 0.0;
        for tier in 0..n_tiers {
            let mut in_tier = 0.0;
            for m in 0..n_months {
                let n = seen_opps[(tier * n_months + m) * designs + d] as f64;
                ctx.month(row, m)[monthly::OPPORTUNITIES] += n;
                in_tier += n;
            }
            row[layout.tier(tier, metrics::TIER_OPPORTUNITIES)] += in_tier;
            all += in_tier;
        }
        row[g::OPPORTUNITIES] += all;
    }
    settle(prep, &ctx, &tally, rows);
    let accounts = acc.len() as f64;
    for (d, row) in rows.chunks_mut(width).enumerate() {
        row[g::POTENTIAL] = potential_total;
        finish_row(prep, d, row, accounts);
    }
}

/// Whether the run-in keyed by `gaps` (whose last cut is `last`, [`RunIn`]) can book a deal in
/// flight: its first point is one that some design wins (outcome draw below `win_any`), or it
/// has a second point. It restates `RunIn`'s first two steps on purpose: stepping `RunIn`
/// itself on the hot path (and handing its points on) also finds each point's month, which
/// only the cold path needs, and measured 3 to 5 % slower (docs/PERFORMANCE.md, fifteenth
/// session); the cold path draws the points again.
#[inline(always)]
fn run_in_can_book(gaps: &rng::EventStream, last: f64, win_any: u64) -> bool {
    let first = gaps.at(0);
    let first_u = rng::open_unit(first);
    first_u >= last
        && (bits53(rng::EventStream::seeded(first).at(1)) < win_any
            || first_u * rng::open_unit(gaps.at(1)) >= last)
}

/// The deals in flight at the start of one account of tier `t` whose run-in ([`RunIn`], keyed
/// by `gaps`) has a point: books what each design wins of them. Returns the earliest
/// `Hot::lost_after` it sets (`u64::MAX` when it moves none).
#[inline(never)]
fn in_flight_deals(
    prep: &Prepared,
    ctx: &Ctx,
    gaps: rng::EventStream,
    t: usize,
    value: f64,
    hot: &mut [Hot],
) -> u64 {
    let designs = hot.len();
    let in_flight_t = &prep.in_flight_steps[t * designs..][..designs];
    let mut first_lost = u64::MAX;
    let win_any = prep.in_flight_win_any[t];
    for (m, gap) in RunIn::new(gaps, &prep.run_in_cuts[t]) {
        // The possible opportunity's own draws, keyed by its gap's raw draw.
        let ev = rng::EventStream::seeded(gap);
        // Only a deal won up to the close can book in the horizon (`in_flight`).
        if bits53(ev.at(1)) >= win_any {
            continue; // won by no design
        }
        let draws = Draws::of(ev);
        for (step, h) in in_flight_t.iter().zip(hot.iter_mut()) {
            if draws.thin < step.see && draws.outcome < step.win {
                let plan = &prep.in_flight[step.plan as usize];
                if let Some(b) = in_flight(plan, step, &draws, ctx, m, value, t, h.row) {
                    first_lost = first_lost.min(h.lose_at(end_of(b)));
                }
            }
        }
    }
    first_lost
}

/// The per-tier constants of [`Prepared`] that the trial loop reads once per account.
struct TierRead<'p> {
    deal_share: f64,
    churn_any: u64,
    /// The last of `Prepared::run_in_cuts` (infinite when there is none): an account whose
    /// first run-in uniform is below it has no deal in flight.
    run_in_last: f64,
    in_flight_win_any: u64,
    horizon_counts: &'p Counts,
}

/// Per design, the running sums of the common path of a seen opportunity, kept beside the
/// thresholds instead of in the wide metric row (written to it at the end of the trial), and
/// the design's row itself (one record walked per design, not two).
#[derive(Debug)]
struct Hot<'r> {
    /// The last place in time (`(month << 20) | k`) at which the account is still a customer;
    /// `u64::MAX` while it stays.
    lost_after: u64,
    pipeline: f64,
    not_won: f64,
    row: &'r mut [f64],
}

impl<'r> Hot<'r> {
    fn new(row: &'r mut [f64]) -> Self {
        Hot {
            lost_after: u64::MAX,
            pipeline: 0.0,
            not_won: 0.0,
            row,
        }
    }

    /// The customer is lost at `at` unless already lost earlier: returns the place at which
    /// it is lost now, for the account loop's earliest mark (`first_lost`).
    #[inline(always)]
    fn lose_at(&mut self, at: u64) -> u64 {
        self.lost_after = self.lost_after.min(at);
        self.lost_after
    }
}

/// What does not change between the opportunities of a trial.
struct Ctx {
    months: u32,
    gm: f64,
    /// Where the roles' blocks and the months' blocks of a metric row begin
    /// (`Layout::role(0, 0)`, `Layout::month(0, 0)`).
    roles_at: usize,
    months_at: usize,
    churn_after_post_sale: u64,
}

/// The global metrics of a design's row, at fixed places: one bounds check for all of them
/// (the row's entries and the order of their additions are those of `row[g::X]`).
#[inline(always)]
fn head(row: &mut [f64]) -> &mut [f64; g::COUNT] {
    row.first_chunk_mut()
        .expect("a metric row holds the global metrics")
}

/// The `N` entries of a row's block (a tier's, a role's or a month's) from `at`: one bounds
/// check for the block instead of one per entry.
#[inline(always)]
fn block<const N: usize>(row: &mut [f64], at: usize) -> &mut [f64; N] {
    row[at..]
        .first_chunk_mut()
        .expect("a metric row holds every block of its layout")
}

impl Ctx {
    #[inline(always)]
    fn role<'r>(&self, row: &'r mut [f64], r: usize) -> &'r mut [f64; metrics::PER_ROLE] {
        block(row, self.roles_at + metrics::PER_ROLE * r)
    }
    #[inline(always)]
    fn month<'r>(&self, row: &'r mut [f64], m: usize) -> &'r mut [f64; monthly::COUNT] {
        block(row, self.months_at + monthly::COUNT * m)
    }
}

/// What an opportunity did to the account: whether a conflict lost the customer now (bit 32),
/// and the month at whose end a failed post-sale loses it (the low 32 bits; `u32::MAX` for
/// none). One word, so that [`evaluate`] returns it in a register.
#[derive(Clone, Copy)]
struct After(u64);

impl After {
    const NOTHING: After = After(u32::MAX as u64);
    const CUSTOMER_LOST: u64 = 1 << 32;
    fn customer_lost(self) -> bool {
        self.0 & Self::CUSTOMER_LOST != 0
    }
    fn churn_at(self) -> Option<u32> {
        let m = self.0 as u32;
        (m != u32::MAX).then_some(m)
    }
    fn with_churn_at(self, month: Option<u32>) -> After {
        After((self.0 & Self::CUSTOMER_LOST) | u64::from(month.unwrap_or(u32::MAX)))
    }
}

/// The intruder of a conflicted opportunity, if any: its index in `plan.intruders`.
#[inline(always)]
fn intruder(plan: &Plan, draws: &Draws) -> Option<usize> {
    (draws.conflict < plan.conflict_total).then(|| {
        plan.intruders
            .iter()
            .position(|i| draws.conflict < i.upto)
            .unwrap_or(plan.intruders.len() - 1)
    })
}

/// A possible opportunity of the horizon that some design sees: its draws and what its
/// evaluation needs besides the design's plan (one argument, so a call passes little).
struct Seen<'c> {
    draws: Draws,
    ctx: &'c Ctx,
    value: f64,
    month: u32,
}

/// What a trial's seen opportunities of one plan did off the common path, for one intruder
/// (or none): sums that [`settle`] books into the metric row at the end of the trial
/// (docs/MODEL.md §6), so that a won deal costs two additions here instead of the twenty-odd
/// entries of its booking. Every entry is a whole count or a sum of list values.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    /// Won deals booked inside the horizon: their list value and number.
    won: f64,
    wins: f64,
    /// Of those, the ones whose post-sale failed: list value and number.
    at_risk: f64,
    post_sale_failures: f64,
    /// Conflicts (in the slots of an intruder only) and the list value they lost.
    conflicts: f64,
    lost_to_conflict: f64,
    /// Failed hand-offs counted, the list value lost to hand-offs, and the list value of won
    /// deals booked after the horizon.
    failed_handoffs: f64,
    lost_to_handoffs: f64,
    deferred: f64,
}

/// A seen opportunity off the common path (a conflict, a win, or a failed hand-off counted)
/// under the design's `step` (its plan in `plans`): its pipeline and count are already added
/// by the caller; what it did is added to its plan's tally in `tally` (slot 0 without an
/// intruder, slot 1 + k with intruder k; `slot · plans.len() + plan`).
#[inline(never)]
fn evaluate(
    plans: &[Plan],
    step: &Step,
    seen: &Seen,
    tally: &mut [Tally],
    not_won: &mut f64,
) -> After {
    let Seen {
        draws,
        ctx,
        value,
        month,
    } = seen;
    let (value, month) = (*value, *month);
    let p = step.plan as usize;
    let mut after = After::NOTHING;
    let mut slot = 0;
    let mut loss = None;
    if draws.conflict < step.conflict_total {
        let plan = &plans[p];
        let k = intruder(plan, draws).unwrap_or(0);
        let i = &plan.intruders[k];
        slot = 1 + k;
        loss = Some(i.loss);
        // The turf battle may cost the customer, whatever becomes of the deal.
        if draws.customer_loss() < i.customer_loss {
            after = After(after.0 | After::CUSTOMER_LOST);
        }
    }
    let e = &mut tally[slot * plans.len() + p];
    e.conflicts += if slot > 0 { 1.0 } else { 0.0 };

    // Up to the close: won, lost to a failed hand-off, or not won (§4), from one draw.
    if draws.outcome >= step.win {
        if draws.outcome < step.handoff_counted {
            e.failed_handoffs += 1.0;
        }
        if draws.outcome < step.stages_pass {
            e.lost_to_handoffs += value;
        } else {
            *not_won += value;
        }
        return after;
    }
    if let Some(loss) = loss {
        if after.customer_lost() || draws.conflict_loss() < loss {
            e.lost_to_conflict += value;
            return after;
        }
    }
    if month >= step.book_limit {
        e.deferred += value;
        return after;
    }
    after.with_churn_at(win(plans, step, draws, ctx, e, value))
}

/// A won deal of list value `value` booked inside the horizon, added to its tally `e`.
/// Returns the month at whose end a failed post-sale loses the customer.
#[inline(always)]
fn win(
    plans: &[Plan],
    step: &Step,
    draws: &Draws,
    ctx: &Ctx,
    e: &mut Tally,
    value: f64,
) -> Option<u32> {
    e.won += value;
    e.wins += 1.0;
    // After the close: post-sale work and its hand-offs never undo the booked deal, but a
    // failure puts the customer at risk.
    if draws.post_sale() >= step.post_sale_holds && post_sale_failure(draws, ctx, e, value) {
        return Some(plans[step.plan as usize].book_month);
    }
    None
}

/// A won deal whose post-sale failed (rare): its revenue is at risk. Returns whether the
/// customer leaves (at the end of the booking month).
#[cold]
#[inline(never)]
fn post_sale_failure(draws: &Draws, ctx: &Ctx, e: &mut Tally, value: f64) -> bool {
    e.at_risk += value;
    e.post_sale_failures += 1.0;
    draws.post_sale_churn() < ctx.churn_after_post_sale
}

/// Books a trial's tallies into the metric rows (one per design, `rows`), plan by plan in the
/// order of `Prepared::plans`, slot by slot: the same entries that booking each deal on its
/// own adds to, from the sums (docs/MODEL.md §6).
fn settle(prep: &Prepared, ctx: &Ctx, tally: &[Tally], rows: &mut [f64]) {
    let n_plans = prep.plans.len();
    let n_tiers = prep.model.tiers.len();
    let months = prep.model.months as usize;
    let width = prep.layout.width();
    for (p, plan) in prep.plans.iter().enumerate() {
        let d = p / (n_tiers * months);
        let tier = (p / months) % n_tiers;
        let month = p % months;
        let row = &mut rows[d * width..][..width];
        for slot in 0..prep.slots {
            // Slots past the plan's intruders stay empty.
            let intruder = match slot.checked_sub(1) {
                None => None,
                Some(k) if k < plan.intruders.len() => Some(&plan.intruders[k]),
                Some(_) => break,
            };
            let e = &tally[slot * n_plans + p];
            if let Some(i) = intruder.filter(|_| e.conflicts > 0.0) {
                let cost = e.conflicts * i.duplicate_cost;
                let gl = head(row);
                gl[g::CONFLICTS] += e.conflicts;
                gl[g::DUPLICATED_EFFORT] += cost;
                let at = ctx.month(row, month);
                at[monthly::CONFLICTS] += e.conflicts;
                at[monthly::COST_OF_SALES] += cost;
                at[monthly::CONTRIBUTION] -= cost;
                ctx.role(row, i.channel)[metrics::ROLE_COST] += cost;
            }
            if e.failed_handoffs > 0.0 {
                head(row)[g::FAILED_HANDOFFS] += e.failed_handoffs;
                ctx.month(row, month)[monthly::FAILED_HANDOFFS] += e.failed_handoffs;
            }
            if e.lost_to_handoffs > 0.0 {
                row[g::LOST_TO_HANDOFFS] += e.lost_to_handoffs;
            }
            if e.lost_to_conflict > 0.0 {
                row[g::LOST_TO_CONFLICT] += e.lost_to_conflict;
            }
            if e.deferred > 0.0 {
                row[g::DEFERRED] += e.deferred;
            }
            if e.wins > 0.0 {
                let discount = intruder.map_or(0.0, |i| i.discount);
                book(
                    plan,
                    plan.book_month,
                    discount,
                    e.won,
                    e.wins,
                    ctx,
                    tier,
                    row,
                );
                if e.post_sale_failures > 0.0 {
                    let at_risk = priced(plan, discount, e.at_risk).revenue;
                    post_sale_failed(row, at_risk, e.post_sale_failures);
                }
            }
        }
    }
}

/// A deal in flight at the start (arisen in month `month` < 0) under its in-flight plan: it is
/// counted only if it books inside the horizon, or if a moved account's hand-over at the start
/// loses it. Booked on its own (deals in flight are few). Returns the month at whose end a
/// failed post-sale loses the customer.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn in_flight(
    plan: &Plan,
    step: &Step,
    draws: &Draws,
    ctx: &Ctx,
    month: i32,
    value: f64,
    tier: usize,
    row: &mut [f64],
) -> Option<u32> {
    debug_assert!(draws.outcome < step.win, "the caller passes only won deals");
    let intruder = intruder(plan, draws).map(|k| &plan.intruders[k]);
    if intruder.is_some_and(|i| draws.conflict_loss() < i.loss) {
        return None;
    }
    let b = floor(f64::from(month) + plan.delay_months);
    if b < 0.0 || b >= f64::from(ctx.months) {
        return None;
    }
    if draws.handover() < plan.handover {
        head(row)[g::FAILED_HANDOFFS] += 1.0;
        ctx.month(row, 0)[monthly::FAILED_HANDOFFS] += 1.0;
        head(row)[g::IN_FLIGHT_LOST_AT_HANDOVER] += value;
        return None;
    }
    head(row)[g::IN_FLIGHT_BOOKED] += value;
    let b = b as u32;
    let discount = intruder.map_or(0.0, |i| i.discount);
    let revenue = book(plan, b, discount, value, 1.0, ctx, tier, row);
    if draws.post_sale() >= step.post_sale_holds {
        post_sale_failed(row, revenue, 1.0);
        if draws.post_sale_churn() < ctx.churn_after_post_sale {
            return Some(b);
        }
    }
    None
}

/// The price of won deals of list value `value` under `plan`, conflicted at `discount` (0
/// when not): channel discount, margin eroded and revenue (§6).
struct Priced {
    channel_discount: f64,
    eroded: f64,
    revenue: f64,
}

#[inline(always)]
fn priced(plan: &Plan, discount: f64, value: f64) -> Priced {
    let channel_discount = value * plan.channel_discount;
    let net = value - channel_discount;
    let eroded = net * discount;
    Priced {
        channel_discount,
        eroded,
        revenue: net - eroded,
    }
}

/// Books `wins` won deals of list value `value` in all, of one plan and one intruder (or
/// none, `discount` 0), in month `book_month`: revenue, its costs, credit by role (§6).
/// Every quantity is linear in the list value, so the deals are booked as one sum. Returns
/// their revenue.
#[allow(clippy::too_many_arguments)]
fn book(
    plan: &Plan,
    book_month: u32,
    discount: f64,
    value: f64,
    wins: f64,
    ctx: &Ctx,
    tier: usize,
    row: &mut [f64],
) -> f64 {
    let gm = ctx.gm;
    let Priced {
        channel_discount,
        eroded,
        revenue,
    } = priced(plan, discount, value);
    let partner = revenue * plan.partner_margin;
    let pay_owner = revenue * plan.variable_pay_rate;
    let gl = head(row);
    gl[g::WON_LIST_VALUE] += value;
    gl[g::CHANNEL_DISCOUNTS] += channel_discount;
    gl[g::MARGIN_ERODED_BY_CONFLICT] += eroded;
    gl[g::REVENUE] += revenue;
    gl[g::COST_OF_GOODS] += value * (1.0 - gm);
    gl[g::PARTNER_MARGIN] += partner;
    gl[g::VARIABLE_PAY] += pay_owner;
    gl[g::WINS] += wins;
    let by_tier: &mut [f64; metrics::PER_TIER] = block(row, g::COUNT + metrics::PER_TIER * tier);
    by_tier[metrics::TIER_WINS] += wins;
    by_tier[metrics::TIER_REVENUE] += revenue;
    let closer = ctx.role(row, plan.closer);
    closer[metrics::ROLE_REVENUE] += revenue;
    closer[metrics::ROLE_WINS] += wins;
    closer[metrics::ROLE_COST] += partner + pay_owner;
    for &r in &plan.assists {
        ctx.role(row, r)[metrics::ROLE_ASSIST_REVENUE] += revenue;
    }
    // Double credit: every credited channel is paid on every won deal of the tier.
    let mut pay = pay_owner;
    for &(c, rate) in &plan.credited {
        let credited = revenue * rate;
        head(row)[g::VARIABLE_PAY] += credited;
        ctx.role(row, c)[metrics::ROLE_COST] += credited;
        pay += credited;
    }
    let cost = partner + pay;
    let booked = ctx.month(row, book_month as usize);
    booked[monthly::REVENUE] += revenue;
    booked[monthly::WINS] += wins;
    booked[monthly::COST_OF_SALES] += cost;
    booked[monthly::CONTRIBUTION] += revenue - value * (1.0 - gm) - cost;
    revenue
}

/// Booked deals whose post-sale failed, `failures` of them with `revenue` in all: the
/// revenue put at risk (§4).
fn post_sale_failed(row: &mut [f64], revenue: f64, failures: f64) {
    let gl = head(row);
    gl[g::POST_SALE_FAILURES] += failures;
    gl[g::REVENUE_AT_RISK_POST_SALE] += revenue;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_together_are_the_columns_read_one_by_one() {
        // 7 trials × 3 designs × 37 entries, every value distinct.
        let (trials, designs, width) = (7u64, 3, 37);
        let values = (0..trials as usize * designs * width)
            .map(|i| i as f64 * 0.5 - 11.0)
            .collect();
        let m = TrialMatrix {
            first_trial: 100,
            trials,
            designs,
            width,
            values,
        };
        let groups: Vec<Range<usize>> = column_groups(width).collect();
        assert_eq!(groups.len(), width.div_ceil(COLUMN_GROUP));
        assert_eq!(
            groups.iter().flat_map(Clone::clone).collect::<Vec<_>>(),
            (0..width).collect::<Vec<_>>()
        );
        for d in 0..designs {
            for g in &groups {
                let cols = m.columns(d, g.clone());
                let read: Vec<&[f64]> = cols.iter().collect();
                assert_eq!(read.len(), g.len());
                for (k, col) in g.clone().zip(read) {
                    assert_eq!(col, m.column(d, k).as_slice(), "design {d}, column {k}");
                }
            }
        }
        // No trials: one empty column per entry asked for, not none.
        let empty = columns(&[], designs * width, 3..9);
        assert_eq!(
            empty.iter().map(<[f64]>::len).collect::<Vec<_>>(),
            vec![0; 6]
        );
        assert_eq!(column_groups(0).count(), 0);
    }

    #[test]
    fn the_guided_count_is_the_distribution_function_inverted() {
        // Means from none to far more counts than a guide entry's range, each checked at the
        // edges of every guide range and of every step of the distribution function, and at
        // random draws, against the search from zero.
        for mean in [0.0, 1e-9, 0.3, 2.5, 12.0, 40.0, 1000.0] {
            let c = Counts::poisson(mean);
            let search = |u: u64| c.cdf.iter().position(|&t| u < t).unwrap();
            let mut draws: Vec<u64> = (0..256u64)
                .flat_map(|b| {
                    let lo = b << Counts::GUIDE_SHIFT;
                    [lo, lo + (1 << Counts::GUIDE_SHIFT) - 1]
                })
                .collect();
            for &t in &c.cdf[..c.cdf.len() - 1] {
                draws.extend([t.saturating_sub(1), t, t + 1].map(|u| u.min((1 << 53) - 1)));
            }
            let mut s = rng::EventStream::account(rng::trial_key(8, 9), 10);
            draws.extend((0..20_000).map(|_| rng::bits53(s.next_u64())));
            for u in draws {
                assert_eq!(c.at(u), search(u), "mean {mean}, draw {u}");
            }
        }
        // The mean of the counts is the Poisson mean (5 standard errors).
        let (mean, n) = (2.5, 100_000);
        let c = Counts::poisson(mean);
        let mut s = rng::EventStream::account(rng::trial_key(1, 2), 3);
        let sum: usize = (0..n).map(|_| c.at(rng::bits53(s.next_u64()))).sum();
        let got = sum as f64 / n as f64;
        assert!((got - mean).abs() < 5.0 * (mean / n as f64).sqrt(), "{got}");
    }

    #[test]
    fn places_are_sorted_as_the_library_sorts_them() {
        let mut s = rng::EventStream::account(rng::trial_key(4, 5), 6);
        let (mut small, mut more) = ([0; 4], Vec::new());
        for n in 0..=9 {
            for round in 0..2_000 {
                // Some rounds with repeated places, the rest with distinct ones.
                let drawn: Vec<u64> = (0..n)
                    .map(|_| s.next_u64() >> if round % 4 == 0 { 62 } else { 0 })
                    .collect();
                let mut expected = drawn.clone();
                expected.sort_unstable();
                let got = places_of(n, |j| drawn[j as usize], &mut small, &mut more);
                assert_eq!(got, &expected[..]);
            }
        }
    }

    #[test]
    fn run_in_months_are_the_floors_of_the_summed_gaps() {
        // docs/MODEL.md §3: the j-th point lies at −Σ(−ln U_i)/Λ months. The product of the
        // uniforms decides its month as ⌊−Σ(−ln U_i)/Λ⌋ does, but for points within rounding
        // of a month's edge, and ends the run-in where the sum passes its length.
        let months = 7;
        for lambda in [0.02, 0.4, 3.0] {
            let cuts: Vec<f64> = (1..=months).map(|k| exp(-f64::from(k) * lambda)).collect();
            let (mut points, mut compared) = (0, 0);
            for a in 0..20_000 {
                let gaps = rng::EventStream::account(rng::trial_key(2, 3), a);
                let mut by_logs = Vec::new();
                let (mut time, mut g) = (0.0, gaps.clone());
                loop {
                    let u = g.next_u64();
                    time += rng::open_unit(u).ln() / lambda;
                    if time < -f64::from(months) {
                        break;
                    }
                    by_logs.push((time.floor() as i32, u, time));
                }
                let by_products: Vec<(i32, u64)> = RunIn::new(gaps, &cuts).collect();
                let near_edge = by_logs
                    .iter()
                    .any(|&(_, _, t)| (t - t.round()).abs() < 1e-9);
                if !near_edge {
                    let by_logs: Vec<(i32, u64)> =
                        by_logs.iter().map(|&(m, u, _)| (m, u)).collect();
                    assert_eq!(by_products, by_logs, "lambda {lambda}, account {a}");
                    compared += 1;
                }
                points += by_products.len();
            }
            assert!(compared > 19_900, "{compared}");
            // A Poisson process at rate Λ over the run-in: Λ·months points per account on
            // average (5 standard errors).
            let expected = lambda * f64::from(months) * 20_000.0;
            assert!(
                (points as f64 - expected).abs() < 5.0 * expected.sqrt(),
                "lambda {lambda}: {points} points, {expected} expected"
            );
        }
        // No cuts (no run-in, or a tier without opportunities): no point.
        let gaps = rng::EventStream::account(rng::trial_key(2, 3), 0);
        assert_eq!(RunIn::new(gaps, &[]).count(), 0);
    }

    #[test]
    fn the_run_in_filter_is_what_run_in_yields() {
        // The account loop's filter says whether the run-in has a first point some design
        // wins or a second point, without stepping `RunIn`: the same answer as its points.
        let mut s = rng::EventStream::account(rng::trial_key(8, 9), 10);
        let mut cuts_of: Vec<(Vec<f64>, u64)> = vec![
            (vec![0.5, 0.25, 0.1], rng::threshold(0.5)),
            (vec![0.9], rng::threshold(0.2)),
            (vec![0.05, 0.01], 0),
            (vec![0.7, 0.4, 0.2, 0.1], u64::MAX),
        ];
        for sc in examples() {
            let salts = account_salts(sc.model.accounts.len());
            let prep = Prepared::new(&sc.model, &salts);
            for (cuts, &win) in prep.run_in_cuts.iter().zip(&prep.in_flight_win_any) {
                cuts_of.push((cuts.clone(), win));
            }
        }
        let (mut entered, mut won_first, mut second) = (0, 0, 0);
        for (cuts, win) in &cuts_of {
            let last = cuts.last().copied().unwrap_or(f64::INFINITY);
            for _ in 0..2_000 {
                let gaps = rng::EventStream::seeded(s.next_u64());
                let points: Vec<(i32, u64)> = RunIn::new(gaps.clone(), cuts).take(2).collect();
                let first_won = points
                    .first()
                    .is_some_and(|p| bits53(rng::EventStream::seeded(p.1).at(1)) < *win);
                let expected = first_won || points.len() == 2;
                assert_eq!(run_in_can_book(&gaps, last, *win), expected, "{cuts:?}");
                entered += usize::from(expected);
                won_first += usize::from(first_won && points.len() == 1);
                second += usize::from(points.len() == 2 && !first_won);
            }
        }
        assert!(
            entered > 0 && won_first > 0 && second > 0,
            "every case is met"
        );
    }

    /// The example scenarios with every mechanism on: churn, transitions, conflict.
    fn examples() -> Vec<crate::scenario::Scenario> {
        let scenarios = [
            include_str!("../../scenarios/bench.toml"),
            include_str!("../../scenarios/transition.toml"),
            include_str!("../../scenarios/partner_conflict.toml"),
        ];
        scenarios
            .iter()
            .map(|text| {
                crate::scenario::Scenario::load(text, "s.toml", &mut |p| {
                    Err(format!("no file {p}"))
                })
                .unwrap_or_else(|d| panic!("{}", crate::diag::render_all(&d)))
            })
            .collect()
    }

    #[test]
    fn the_churn_month_is_the_count_of_thresholds_at_or_below_the_draw() {
        // run_trial counts a design's monthly churn thresholds at or below the churn draw
        // instead of searching for the first above it: the same month only because they rise
        // with the month.
        let mut s = rng::EventStream::account(rng::trial_key(6, 7), 8);
        let mut churning = 0;
        for sc in examples() {
            let salts = account_salts(sc.model.accounts.len());
            let prep = Prepared::new(&sc.model, &salts);
            for by in prep.churned_by.chunks(sc.model.months as usize) {
                assert!(by.windows(2).all(|w| w[0] <= w[1]), "{}", sc.model.name);
                for _ in 0..1_000 {
                    let u = bits53(s.next_u64()) % (by[by.len() - 1] + 1);
                    if u < by[by.len() - 1] {
                        let counted = by.iter().filter(|&&c| c <= u).count();
                        assert_eq!(Some(counted), by.iter().position(|&c| u < c));
                        churning += 1;
                    }
                }
            }
        }
        assert!(churning > 0, "some design loses accounts to churn");
    }

    #[test]
    fn the_shortcuts_over_all_designs_change_no_number() {
        // Each shortcut that decides for every design at once (the common path, the possible
        // opportunity no design sees, the run-in point no design wins, the churn draw that
        // churns no design) is turned off, so that each design's own tests decide: every entry
        // of every row is the same, bit for bit.
        let mut common_taken = 0;
        for sc in examples() {
            let model = &sc.model;
            let salts = account_salts(model.accounts.len());
            let with = Prepared::new(model, &salts);
            let mut without = Prepared::new(model, &salts);
            for c in &mut without.across {
                c.see_all = 0;
                c.see_any = u64::MAX;
            }
            without.in_flight_win_any.fill(u64::MAX);
            without.churn_any.fill(u64::MAX);
            common_taken += with.across.iter().filter(|c| c.see_all > 0).count();
            let len = with.layout.width() * model.designs.len();
            for trial in 0..3 {
                let (mut a, mut b) = (vec![0.0; len], vec![0.0; len]);
                run_trial(&with, 11, trial, &mut a);
                run_trial(&without, 11, trial, &mut b);
                for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                    assert_eq!(x.to_bits(), y.to_bits(), "{}: entry {i}", model.name);
                }
            }
        }
        assert!(common_taken > 0, "the common path is open somewhere");
    }

    #[test]
    fn floor_is_the_library_floor() {
        let near = [
            0.0,
            0.5,
            1.0 - 1e-16,
            1.0,
            1.0 + 2e-16,
            2.5,
            1e9 + 0.5,
            4503599627370497.0,
        ];
        for &x in &near {
            for v in [x, -x] {
                assert_eq!(floor(v), v.floor(), "{v}");
            }
        }
        let mut s = rng::EventStream::account(rng::trial_key(5, 6), 7);
        for _ in 0..10_000 {
            let v = (rng::unit(s.next_u64()) - 0.5) * 400.0;
            assert_eq!(floor(v), v.floor(), "{v}");
        }
    }

    #[test]
    fn exp_is_within_one_ulp_of_the_library_exp() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(2f64.ln() * 10.0).round(), 1024.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(800.0).is_infinite() && exp(f64::NAN).is_nan());
        // The library's eˣ is itself within one ulp of the exact value: the two agree within
        // two ulps (relative 4.5·10⁻¹⁶), over the range a log-normal volatility reaches.
        let mut s = rng::EventStream::account(rng::trial_key(8, 9), 10);
        let mut worst = 0.0f64;
        for i in 0..200_000 {
            let width = if i % 2 == 0 { 80.0 } else { 1_390.0 };
            let x = (rng::unit(s.next_u64()) - 0.5) * width;
            let (a, b) = (exp(x), x.exp());
            if b > f64::MIN_POSITIVE {
                worst = worst.max(((a - b) / b).abs());
            }
        }
        assert!(worst < 4.5e-16, "{worst:e}");
    }

    #[test]
    fn the_table_is_two_to_the_sixty_fourths() {
        assert_eq!(EXP2_SIXTY_FOURTHS[0], 1.0);
        assert_eq!(EXP2_SIXTY_FOURTHS[32], std::f64::consts::SQRT_2);
        for (j, &t) in EXP2_SIXTY_FOURTHS.iter().enumerate() {
            let exact = (j as f64 / 64.0).exp2();
            assert!((t - exact).abs() <= exact * f64::EPSILON, "{j}");
        }
    }
}
