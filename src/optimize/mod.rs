//! `covsim optimize`: search the designs reachable from one design by changing its decision
//! variables, on common random numbers, and select the best with a stated probability of being
//! right (docs/MODEL.md §17). No I/O: the caller reads the scenario and writes the outcome.
//!
//! Stages, each on its own block of trial indices (the engine's events depend only on
//! (seed, trial), so every candidate sees the same events at a trial index):
//! 1. screen a coarse grid (every combination of the categorical variables × a grid of the
//!    ordered ones) on `SCREEN_TRIALS` search trials;
//! 2. pattern search from the best starts (steps halving down to one level);
//! 3. successive halving: the best `POOL` get twice the trials, the better half stays;
//! 4. finalists: the survivors and the leader's one-step neighbours, on the report trials
//!    `0..N` (what `covsim run` uses) for their figures and feasibility at the confidence;
//! 5. Kim–Nelson selection among the feasible finalists on fresh selection trials.

pub mod select;
pub mod space;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::dist::standard_normal_quantile;
use crate::engine::{self, NoProgress};
use crate::metrics::g;
use crate::model::{Design, Model};
use crate::scenario::Scenario;
use crate::stats::{self, percentile_sorted};
use select::{Kn, KnConstants};
use space::{Bound, Candidate, Figure, Measure, Problem, Statistic};

/// First trial index of the search's trials (disjoint from the report trials `0..N`).
pub const SEARCH_TRIALS_BASE: u64 = 1 << 40;
/// First trial index of the selection's trials (disjoint from search and report).
pub const SELECTION_TRIALS_BASE: u64 = 1 << 41;
/// Search trials per candidate when screening.
pub const SCREEN_TRIALS: u64 = 16;
/// Most grid points per combination of the categorical variables when screening.
pub const GRID_POINTS: usize = 64;
/// Most combinations of the categorical variables.
pub const MAX_COMBINATIONS: usize = 256;
/// Starts of the pattern search.
pub const STARTS: usize = 3;
/// Candidates entering successive halving.
pub const POOL: usize = 16;
/// Survivors of successive halving that become finalists (with the leader's neighbours).
pub const SURVIVORS: usize = 4;
/// First-stage observations of Kim–Nelson.
pub const KN_N0: usize = 20;
/// Trials per observation when the objective is a percentile (batch percentiles).
pub const PERCENTILE_BATCH: u64 = 50;
/// Trials of each point of a sizing curve (from the report trials).
pub const PROFILE_TRIALS: u64 = 400;
/// Points of a sizing curve at most.
pub const PROFILE_POINTS: usize = 25;
/// Bootstrap resamples for P(best).
pub const BOOTSTRAP: usize = 1000;
/// Candidates evaluated in one engine call.
const BATCH: usize = 48;

/// The options of a search.
#[derive(Debug, Clone)]
pub struct Options {
    /// Indifference zone: the chosen design is within `delta` of the best finalist.
    pub delta: f64,
    pub confidence: f64,
    /// Trials of the reported figures (`0..report_trials`, as `covsim run`).
    pub report_trials: u64,
    /// Design-trials budget: every design-trial simulated so far (search, report, selection) is
    /// compared with it before each pattern-search step, halving round and selection block
    /// (docs/MODEL.md §17).
    pub max_design_trials: u64,
}

/// Told of each stage before it starts; returning `false` stops the search there (a time
/// budget). Deterministic results need a monitor that never stops.
pub trait Monitor: Sync {
    fn stage(&self, name: &str, design_trials: u64) -> bool;
}

pub struct NoMonitor;
impl Monitor for NoMonitor {
    fn stage(&self, _: &str, _: u64) -> bool {
        true
    }
}

/// A figure's statistics over the report trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub p5: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstraintStatus {
    pub constraint: String,
    /// The estimate (mean or percentile) over the report trials.
    pub estimate: f64,
    /// Its one-sided bound at the confidence, on the unfavourable side.
    pub bound: f64,
    /// The bound meets the limit.
    pub holds: bool,
}

/// A finalist or a hand-made design, on the report trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    /// The decision variables' values (`key = value`); empty for hand-made designs.
    pub settings: Vec<(String, String)>,
    pub heads: f64,
    pub objective: Figures,
    pub contribution: Figures,
    pub revenue: Figures,
    pub cost_of_sales: Figures,
    pub constraints: Vec<ConstraintStatus>,
    pub feasible: bool,
    /// Share of bootstrap resamples of the report trials in which it has the best objective
    /// among the feasible finalists (0 for hand-made designs and infeasible finalists).
    pub p_best: f64,
    /// `chosen`, `eliminated at r = …`, `in at the end`, `infeasible`, `hand-made`.
    pub selection: String,
}

/// A candidate the search evaluated, with its search estimates (for the frontier chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explored {
    pub settings: Vec<String>,
    pub trials: u64,
    pub objective: f64,
    pub contribution: f64,
    pub cost_of_sales: f64,
    pub plausible: bool,
}

/// The objective along one ordered variable, the others at the chosen design's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub key: String,
    pub chosen: f64,
    /// (value, mean, P5, P95) of the objective's figure over `PROFILE_TRIALS` report trials.
    pub points: Vec<(f64, f64, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialsSpent {
    pub search: u64,
    pub selection: u64,
    pub report: u64,
    pub profiles: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub procedure: String,
    pub constants: Option<KnConstants>,
    /// Observations per finalist when the procedure stopped (r).
    pub observations: usize,
    /// Trials per observation (1, or the batch of a percentile objective).
    pub trials_per_observation: u64,
    /// The most observations the procedure could have needed.
    pub max_observations: usize,
    /// Whether the procedure finished within the trial budget (otherwise no guarantee).
    pub finished: bool,
}

/// Everything `covsim optimize` reports; the content of optimize.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub covsim_version: String,
    pub scenario: String,
    pub currency: String,
    pub months: u32,
    pub seed: u64,
    pub from: String,
    pub variables: Vec<String>,
    pub objective: String,
    pub maximise: bool,
    pub constraints: Vec<String>,
    pub delta: f64,
    pub confidence: f64,
    pub report_trials: u64,
    pub candidates_evaluated: usize,
    pub trials: TrialsSpent,
    /// Set when a stage was skipped because the time budget ran out (not reproducible).
    pub stopped_early: Option<String>,
    /// Finalists, best objective first; `chosen` indexes this list.
    pub finalists: Vec<Entry>,
    pub chosen: Option<usize>,
    /// The scenario's own designs on the same report trials.
    pub hand_made: Vec<Entry>,
    pub selection: Selection,
    pub guarantee: String,
    pub explored: Vec<Explored>,
    pub profiles: Vec<Profile>,
}

/// The chosen design, ready to be written as a `[[designs]]` block.
pub struct Answer {
    pub outcome: Outcome,
    pub design: Option<Design>,
}

/// Per-trial values of the figures a problem needs, for one candidate.
#[derive(Debug, Clone, Default)]
struct Obs {
    /// `[figure][trial]`.
    values: Vec<Vec<f64>>,
}

struct Evaluator<'a> {
    sc: &'a Scenario,
    base: &'a Model,
    problem: &'a Problem,
    /// Figures kept per trial: objective, constraints, contribution, cost of sales, revenue.
    figures: Vec<Figure>,
    spent: u64,
}

const F_OBJECTIVE: usize = 0;

impl<'a> Evaluator<'a> {
    fn new(sc: &'a Scenario, base: &'a Model, problem: &'a Problem) -> Self {
        let mut figures = vec![problem.objective.figure];
        figures.extend(problem.constraints.iter().map(|c| c.measure.figure));
        figures.extend([
            Figure::Metric(g::CONTRIBUTION),
            Figure::Metric(g::COST_OF_SALES),
            Figure::Metric(g::REVENUE),
        ]);
        Evaluator {
            sc,
            base,
            problem,
            figures,
            spent: 0,
        }
    }

    fn fig_contribution(&self) -> usize {
        self.figures.len() - 3
    }

    /// Simulates `designs` on `trials` (in batches), returning each one's per-trial figures.
    fn run(&mut self, designs: &[&Design], trials: Range<u64>) -> Vec<Obs> {
        let mut out = Vec::with_capacity(designs.len());
        for chunk in designs.chunks(BATCH) {
            let m = model_of(self.base, self.problem.from, chunk);
            let offset = m.designs.len() - chunk.len();
            let matrix = engine::simulate(&m, self.sc.settings.seed, trials.clone(), &NoProgress);
            self.spent += matrix.trials * chunk.len() as u64;
            for (i, d) in chunk.iter().enumerate() {
                let heads = space::heads(self.base, d);
                let values = self
                    .figures
                    .iter()
                    .map(|f| match f {
                        Figure::Metric(k) => matrix.column(offset + i, *k),
                        Figure::Heads => vec![heads; matrix.trials as usize],
                    })
                    .collect();
                out.push(Obs { values });
            }
        }
        out
    }
}

/// A model whose designs are `designs` (after the design they are a transition from, if the
/// `from` design is one): the engine's draws do not depend on the set of designs, so each
/// candidate's rows are those it has alone (tests/optimize.rs).
pub fn model_of(base: &Model, from: usize, designs: &[&Design]) -> Model {
    let mut m = base.clone();
    let source = base.designs[from].transition_from;
    m.designs = source
        .map(|s| base.designs[s].clone())
        .into_iter()
        .collect();
    for d in designs {
        let mut d = (*d).clone();
        d.transition_from = source.map(|_| 0);
        m.designs.push(d);
    }
    m.baseline = 0;
    m
}

/// The statistic of `xs` (in trial order).
fn statistic(s: Statistic, xs: &[f64]) -> f64 {
    match s {
        Statistic::Mean => xs.iter().sum::<f64>() / xs.len().max(1) as f64,
        Statistic::Percentile(p) => {
            let mut v = xs.to_vec();
            v.sort_unstable_by(f64::total_cmp);
            percentile_sorted(&v, p / 100.0)
        }
    }
}

/// One-sided bound of a measure at `z`, on the side unfavourable to `bound` (pessimistic) when
/// `pessimistic`, else on the favourable side. Means: mean ± z·se. Percentiles: the order
/// statistic at rank n·p ± z·√(n·p·(1 − p)) (normal approximation to the binomial;
/// distribution-free).
fn one_sided(m: &Measure, xs: &[f64], bound: Bound, z: f64, pessimistic: bool) -> (f64, f64) {
    let est = statistic(m.statistic, xs);
    let up = (bound == Bound::AtMost) == pessimistic;
    let n = xs.len() as f64;
    let b = match m.statistic {
        Statistic::Mean => {
            let se = stats::summarize(xs, &mut Vec::new()).se;
            if up { est + z * se } else { est - z * se }
        }
        Statistic::Percentile(p) => {
            let q = p / 100.0;
            let spread = z * (n * q * (1.0 - q)).sqrt();
            let rank = if up { n * q + spread } else { n * q - spread };
            let mut v = xs.to_vec();
            v.sort_unstable_by(f64::total_cmp);
            let i = if up {
                rank.ceil() - 1.0
            } else {
                rank.floor() - 1.0
            };
            v[(i.max(0.0) as usize).min(v.len() - 1)]
        }
    };
    (est, b)
}

/// Φ⁻¹(0.975): the two one-sided 2.5% bounds of a 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

fn figures_of(xs: &[f64]) -> Figures {
    let s = stats::summarize(xs, &mut Vec::new());
    Figures {
        mean: s.mean,
        ci95_low: s.ci95_low,
        ci95_high: s.ci95_high,
        p5: s.p5,
        p95: s.p95,
    }
}

/// A search estimate: (plausibly feasible, score to maximise).
#[derive(Debug, Clone, Copy)]
struct Score {
    plausible: bool,
    value: f64,
}

impl Score {
    fn better(&self, o: &Score) -> bool {
        (self.plausible, self.value) > (o.plausible, o.value)
    }
}

struct Search<'a, 'm> {
    ev: Evaluator<'a>,
    sc_model: &'m Model,
    z: f64,
    seen: BTreeMap<Candidate, Option<(Design, Obs)>>,
    budget: u64,
}

impl Search<'_, '_> {
    fn sign(&self) -> f64 {
        if self.ev.problem.objective.higher_is_better {
            1.0
        } else {
            -1.0
        }
    }

    fn score(&self, c: &Candidate) -> Option<Score> {
        let (_, obs) = self.seen.get(c)?.as_ref()?;
        if obs.values.is_empty() {
            return None;
        }
        let p = self.ev.problem;
        let value = self.sign() * statistic(p.objective.statistic, &obs.values[F_OBJECTIVE]);
        let mut violation = 0.0;
        for (k, con) in p.constraints.iter().enumerate() {
            let (_, optimistic) =
                one_sided(&con.measure, &obs.values[1 + k], con.bound, self.z, false);
            if !con.holds(optimistic) {
                violation += (optimistic - con.limit).abs() / con.limit.abs().max(1.0);
            }
        }
        Some(if violation > 0.0 {
            Score {
                plausible: false,
                value: -violation,
            }
        } else {
            Score {
                plausible: true,
                value,
            }
        })
    }

    fn trials_of(&self, c: &Candidate) -> u64 {
        match self.seen.get(c) {
            Some(Some((_, o))) => o.values.first().map_or(0, Vec::len) as u64,
            _ => 0,
        }
    }

    /// Evaluates `cands` on the first `n` search trials (adding what each lacks).
    fn evaluate(&mut self, cands: &[Candidate], n: u64) {
        let mut groups: BTreeMap<u64, Vec<Candidate>> = BTreeMap::new();
        for c in cands {
            if !self.seen.contains_key(c) {
                let d = space::design_of(self.ev.sc, self.sc_model, self.ev.problem, c);
                self.seen.insert(c.clone(), d.map(|d| (d, Obs::default())));
            }
            if self.seen[c].is_some() {
                let have = self.trials_of(c);
                if have < n && !groups.values().any(|v| v.contains(c)) {
                    groups.entry(have).or_default().push(c.clone());
                }
            }
        }
        for (have, group) in groups {
            let designs: Vec<Design> = group
                .iter()
                .map(|c| self.seen[c].as_ref().map(|(d, _)| d.clone()).unwrap())
                .collect();
            let refs: Vec<&Design> = designs.iter().collect();
            let obs = self
                .ev
                .run(&refs, SEARCH_TRIALS_BASE + have..SEARCH_TRIALS_BASE + n);
            for (c, o) in group.iter().zip(obs) {
                if let Some(Some((_, old))) = self.seen.get_mut(c) {
                    if old.values.is_empty() {
                        *old = o;
                    } else {
                        for (a, b) in old.values.iter_mut().zip(o.values) {
                            a.extend(b);
                        }
                    }
                }
            }
        }
    }

    fn over_budget(&self) -> bool {
        self.ev.spent >= self.budget
    }

    /// Candidates evaluated, best first (by score, ties by candidate order).
    fn ranked(&self) -> Vec<Candidate> {
        let mut v: Vec<(Candidate, Score)> = self
            .seen
            .keys()
            .filter_map(|c| self.score(c).map(|s| (c.clone(), s)))
            .collect();
        v.sort_by(|a, b| {
            (b.1.plausible, b.1.value)
                .partial_cmp(&(a.1.plausible, a.1.value))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.cmp(&b.0))
        });
        v.into_iter().map(|(c, _)| c).collect()
    }

    fn neighbours(&self, c: &Candidate, steps: &[u32]) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (k, v) in self.ev.problem.variables.iter().enumerate() {
            let n = v.levels.len() as i64;
            if v.ordered {
                for dir in [-1i64, 1] {
                    let to = c[k] as i64 + dir * steps[k] as i64;
                    if (0..n).contains(&to) {
                        let mut x = c.clone();
                        x[k] = to as u32;
                        out.push(x);
                    }
                }
            } else {
                for l in 0..n as u32 {
                    if l != c[k] {
                        let mut x = c.clone();
                        x[k] = l;
                        out.push(x);
                    }
                }
            }
        }
        out
    }

    /// Pattern search from `start` on `SCREEN_TRIALS` trials.
    fn pattern(&mut self, start: Candidate, mut steps: Vec<u32>) {
        let mut cur = start;
        loop {
            if self.over_budget() {
                return;
            }
            let nb = self.neighbours(&cur, &steps);
            self.evaluate(&nb, SCREEN_TRIALS);
            let mut best = cur.clone();
            for x in &nb {
                if let (Some(a), Some(b)) = (self.score(x), self.score(&best))
                    && a.better(&b)
                {
                    best = x.clone();
                }
            }
            if best != cur {
                cur = best;
            } else if steps.iter().any(|&s| s > 1) {
                steps.iter_mut().for_each(|s| *s = s.div_ceil(2));
            } else {
                return;
            }
        }
    }
}

/// Evenly spaced level indices `0 … n−1`, at most `points` of them, both ends included.
fn grid(n: usize, points: usize) -> Vec<u32> {
    if n <= points {
        return (0..n as u32).collect();
    }
    let mut v: Vec<u32> = (0..points)
        .map(|i| ((i * (n - 1)) as f64 / (points - 1) as f64).round() as u32)
        .collect();
    v.dedup();
    v
}

/// Every combination of `sizes[i]` choices, in order.
fn product(lists: &[Vec<u32>]) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new()];
    for l in lists {
        out = out
            .into_iter()
            .flat_map(|p| {
                l.iter().map(move |&x| {
                    let mut q = p.clone();
                    q.push(x);
                    q
                })
            })
            .collect();
    }
    out
}

/// Checks the size of the categorical space before anything runs.
pub fn check(problem: &Problem) -> Result<(), String> {
    let combos: usize = problem
        .variables
        .iter()
        .filter(|v| !v.ordered)
        .map(|v| v.levels.len())
        .product();
    if combos > MAX_COMBINATIONS {
        return Err(format!(
            "the categorical variables (owners, specialists, credit) make {combos} combinations\n   = allowed: at most {MAX_COMBINATIONS}; fix some owners, or optimise in two steps"
        ));
    }
    Ok(())
}

/// Runs the search and the selection. `sc.settings` gives the seed; `report_trials` the figures.
pub fn optimize(sc: &Scenario, problem: &Problem, opts: &Options, monitor: &dyn Monitor) -> Answer {
    let base = &sc.model;
    let z = standard_normal_quantile(opts.confidence);
    let mut s = Search {
        ev: Evaluator::new(sc, base, problem),
        sc_model: base,
        z,
        seen: BTreeMap::new(),
        budget: opts.max_design_trials,
    };
    let mut stopped_early = None;
    let stop = |s: &Search, name: &str, stopped: &mut Option<String>| {
        if stopped.is_none() && !monitor.stage(name, s.ev.spent) {
            *stopped = Some(format!("the time budget ran out before {name}"));
        }
        stopped.is_some()
    };

    // 1. Screening grid.
    let vars = &problem.variables;
    let ordered: Vec<usize> = (0..vars.len()).filter(|&k| vars[k].ordered).collect();
    let per_var = if ordered.is_empty() {
        1
    } else {
        ((GRID_POINTS as f64)
            .powf(1.0 / ordered.len() as f64)
            .floor() as usize)
            .max(3)
    };
    let lists: Vec<Vec<u32>> = vars
        .iter()
        .map(|v| {
            if v.ordered {
                grid(v.levels.len(), per_var)
            } else {
                (0..v.levels.len() as u32).collect()
            }
        })
        .collect();
    let screen = product(&lists);
    stop(&s, "screening", &mut stopped_early);
    s.evaluate(&screen, SCREEN_TRIALS);

    // 2. Pattern search from the best starts.
    if !stop(&s, "the pattern search", &mut stopped_early) {
        let steps: Vec<u32> = vars
            .iter()
            .zip(&lists)
            .map(|(v, l)| {
                if v.ordered && l.len() > 1 {
                    (((v.levels.len() - 1) / (l.len() - 1)) as u32)
                        .div_ceil(2)
                        .max(1)
                } else {
                    1
                }
            })
            .collect();
        let starts: Vec<Candidate> = s.ranked().into_iter().take(STARTS).collect();
        for st in starts {
            s.pattern(st, steps.clone());
        }
    }

    // 3. Successive halving.
    let mut pool: Vec<Candidate> = s.ranked().into_iter().take(POOL).collect();
    let mut n = SCREEN_TRIALS;
    while pool.len() > SURVIVORS && !s.over_budget() {
        if stop(&s, "successive halving", &mut stopped_early) {
            break;
        }
        n *= 2;
        s.evaluate(&pool, n);
        let ranked = s.ranked();
        pool.sort_by_key(|c| ranked.iter().position(|r| r == c));
        pool.truncate(pool.len().div_ceil(2).max(SURVIVORS));
    }
    // The leader's one-step neighbours join the finalists: near the optimum they are the
    // designs most often confused with it.
    let mut finalists = pool.clone();
    if let Some(leader) = pool.first().cloned() {
        let ones = vec![1; vars.len()];
        for x in s.neighbours(&leader, &ones) {
            let ok = vars
                .iter()
                .enumerate()
                .all(|(k, v)| v.ordered || x[k] == leader[k]);
            if ok && !finalists.contains(&x) {
                s.evaluate(std::slice::from_ref(&x), n);
                if s.seen.get(&x).is_some_and(Option::is_some) {
                    finalists.push(x);
                }
            }
        }
    }
    let search_spent = s.ev.spent;

    // 4. Report trials: figures and feasibility of the finalists and the hand-made designs.
    stop(&s, "the report", &mut stopped_early);
    let fin_designs: Vec<Design> = finalists
        .iter()
        .map(|c| s.seen[c].as_ref().map(|(d, _)| d.clone()).unwrap())
        .collect();
    let refs: Vec<&Design> = fin_designs.iter().chain(base.designs.iter()).collect();
    let before = s.ev.spent;
    let report = s.ev.run(&refs, 0..opts.report_trials);
    let report_spent = s.ev.spent - before;
    let sign = s.sign();
    let entry = |i: usize, name: String, settings: Vec<(String, String)>, d: &Design| {
        let o = &report[i];
        let constraints: Vec<ConstraintStatus> = problem
            .constraints
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let (estimate, bound) = one_sided(&c.measure, &o.values[1 + k], c.bound, z, true);
                ConstraintStatus {
                    constraint: c.text.clone(),
                    estimate,
                    bound,
                    holds: c.holds(bound),
                }
            })
            .collect();
        let fc = s.ev.fig_contribution();
        let xs = &o.values[F_OBJECTIVE];
        let mut obj = figures_of(xs);
        if let Statistic::Percentile(_) = problem.objective.statistic {
            // The percentile with its own 95% interval (order statistics), not the mean's.
            let m = &problem.objective;
            obj.mean = statistic(m.statistic, xs);
            obj.ci95_low = one_sided(m, xs, Bound::AtLeast, Z95, true).1;
            obj.ci95_high = one_sided(m, xs, Bound::AtMost, Z95, true).1;
        }
        Entry {
            name,
            settings,
            heads: space::heads(base, d),
            objective: obj,
            contribution: figures_of(&o.values[fc]),
            cost_of_sales: figures_of(&o.values[fc + 1]),
            revenue: figures_of(&o.values[fc + 2]),
            feasible: constraints.iter().all(|c| c.holds),
            constraints,
            p_best: 0.0,
            selection: String::new(),
        }
    };
    let settings_of = |c: &Candidate| -> Vec<(String, String)> {
        vars.iter()
            .zip(c)
            .map(|(v, &i)| (v.key.clone(), v.label(base, i as usize)))
            .collect()
    };
    let mut entries: Vec<Entry> = finalists
        .iter()
        .enumerate()
        .map(|(i, c)| {
            entry(
                i,
                format!("candidate {}", i + 1),
                settings_of(c),
                &fin_designs[i],
            )
        })
        .collect();
    let hand_made: Vec<Entry> = base
        .designs
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let mut e = entry(finalists.len() + j, d.name.clone(), Vec::new(), d);
            e.selection = "hand-made".into();
            e
        })
        .collect();

    // P(best) by a paired bootstrap of the report trials among feasible finalists.
    let feasible: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].feasible)
        .collect();
    if !feasible.is_empty() {
        let nt = opts.report_trials as usize;
        // Keyed draws (seed, resample, trial): the same resamples at any thread count.
        let key = crate::rng::trial_key(sc.settings.seed, SELECTION_TRIALS_BASE - 1);
        let mut counter = 0u64;
        let mut wins = vec![0usize; entries.len()];
        let mut idx = vec![0usize; nt];
        let mut xs = vec![0.0; nt];
        for _ in 0..BOOTSTRAP {
            for i in idx.iter_mut() {
                counter += 1;
                *i = (crate::rng::splitmix64(key ^ counter) % nt as u64) as usize;
            }
            let mut best: Option<(usize, f64)> = None;
            for &f in &feasible {
                let col = &report[f].values[F_OBJECTIVE];
                for (x, &i) in xs.iter_mut().zip(&idx) {
                    *x = col[i];
                }
                let v = sign * statistic(problem.objective.statistic, &xs);
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((f, v));
                }
            }
            if let Some((f, _)) = best {
                wins[f] += 1;
            }
        }
        for (e, w) in entries.iter_mut().zip(wins) {
            e.p_best = w as f64 / BOOTSTRAP as f64;
        }
    }

    // 5. Kim–Nelson among the feasible finalists, on fresh trials.
    let batch = match problem.objective.statistic {
        Statistic::Mean => 1,
        Statistic::Percentile(_) => PERCENTILE_BATCH,
    };
    let mut selection = Selection {
        procedure: "Kim–Nelson fully sequential procedure with common random numbers".into(),
        constants: None,
        observations: 0,
        trials_per_observation: batch,
        max_observations: 0,
        finished: true,
    };
    let before = s.ev.spent;
    let chosen_fin: Option<usize> = match feasible.len() {
        0 => None,
        1 => Some(feasible[0]),
        _ if stop(&s, "the selection", &mut stopped_early) => {
            selection.finished = false;
            feasible.iter().copied().max_by(|&a, &b| {
                (sign * entries[a].objective.mean).total_cmp(&(sign * entries[b].objective.mean))
            })
        }
        _ => {
            let designs: Vec<&Design> = feasible.iter().map(|&f| &fin_designs[f]).collect();
            let mut next = SELECTION_TRIALS_BASE;
            let mut observe = |s: &mut Search, which: &[usize], count: usize| -> Vec<Vec<f64>> {
                let ds: Vec<&Design> = which.iter().map(|&i| designs[i]).collect();
                let trials = next..next + count as u64 * batch;
                next = trials.end;
                let obs = s.ev.run(&ds, trials);
                obs.iter()
                    .map(|o| {
                        o.values[F_OBJECTIVE]
                            .chunks(batch as usize)
                            .map(|b| sign * statistic(problem.objective.statistic, b))
                            .collect()
                    })
                    .collect()
            };
            let all: Vec<usize> = (0..designs.len()).collect();
            let first = observe(&mut s, &all, KN_N0);
            let mut kn = Kn::start(&first, opts.confidence, opts.delta.max(f64::MIN_POSITIVE));
            const BLOCK: usize = 16;
            while !kn.done() {
                if s.over_budget() {
                    selection.finished = false;
                    break;
                }
                let alive: Vec<usize> = all.iter().copied().filter(|&i| kn.alive[i]).collect();
                let obs = observe(&mut s, &alive, BLOCK);
                let mut j = 0;
                while j < BLOCK && !kn.done() {
                    let mut x = vec![0.0; designs.len()];
                    for (a, &i) in alive.iter().enumerate() {
                        x[i] = obs[a][j];
                    }
                    kn.observe(&x);
                    j += 1;
                }
            }
            for (a, &f) in feasible.iter().enumerate() {
                entries[f].selection = match kn.eliminated_at[a] {
                    Some(r) => format!("eliminated after {r} observations"),
                    None => "in at the end".into(),
                };
            }
            selection.observations = kn.r;
            selection.max_observations = kn.max_r;
            selection.constants = Some(kn.constants.clone());
            Some(feasible[kn.selected()])
        }
    };
    let selection_spent = s.ev.spent - before;
    for e in entries.iter_mut() {
        if !e.feasible {
            e.selection = "infeasible at the confidence".into();
        }
    }
    if let Some(c) = chosen_fin {
        entries[c].selection = "chosen".into();
    }

    // Sizing curves along each ordered variable, the others at the chosen values.
    let mut profiles = Vec::new();
    let before = s.ev.spent;
    if let Some(c) = chosen_fin
        && !stop(&s, "the sizing curves", &mut stopped_early)
    {
        let cand = &finalists[c];
        let pt = PROFILE_TRIALS.min(opts.report_trials);
        for (k, v) in vars.iter().enumerate().filter(|(_, v)| v.ordered) {
            let mut idx = grid(v.levels.len(), PROFILE_POINTS);
            idx.push(cand[k]);
            idx.sort_unstable();
            idx.dedup();
            let mut pts = Vec::new();
            let mut ds = Vec::new();
            for &i in &idx {
                let mut x = cand.clone();
                x[k] = i;
                if let Some(d) = space::design_of(sc, base, problem, &x) {
                    pts.push(i);
                    ds.push(d);
                }
            }
            let refs: Vec<&Design> = ds.iter().collect();
            let obs = s.ev.run(&refs, 0..pt);
            let value = |i: u32| match v.levels[i as usize] {
                space::Level::Number(x) => x,
                _ => i as f64,
            };
            profiles.push(Profile {
                key: v.key.clone(),
                chosen: value(cand[k]),
                points: pts
                    .iter()
                    .zip(&obs)
                    .map(|(&i, o)| {
                        let f = figures_of(&o.values[F_OBJECTIVE]);
                        (value(i), f.mean, f.p5, f.p95)
                    })
                    .collect(),
            });
        }
    }
    let profile_spent = s.ev.spent - before;

    // Best objective first; the chosen index follows.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        (entries[b].feasible, sign * entries[b].objective.mean)
            .partial_cmp(&(entries[a].feasible, sign * entries[a].objective.mean))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let chosen = chosen_fin.and_then(|c| order.iter().position(|&o| o == c));
    let design = chosen_fin.map(|c| fin_designs[c].clone());
    let sorted: Vec<Entry> = order.iter().map(|&o| entries[o].clone()).collect();
    let guarantee = guarantee_text(
        problem,
        opts,
        &selection,
        &sorted,
        chosen,
        (&base.currency, base.months),
    );
    let explored = s
        .seen
        .iter()
        .filter_map(|(c, v)| {
            let (_, o) = v.as_ref()?;
            let sc = s.score(c)?;
            let fc = s.ev.fig_contribution();
            Some(Explored {
                settings: settings_of(c).into_iter().map(|(_, v)| v).collect(),
                trials: o.values[0].len() as u64,
                objective: statistic(problem.objective.statistic, &o.values[F_OBJECTIVE]),
                contribution: statistic(Statistic::Mean, &o.values[fc]),
                cost_of_sales: statistic(Statistic::Mean, &o.values[fc + 1]),
                plausible: sc.plausible,
            })
        })
        .collect();
    Answer {
        design,
        outcome: Outcome {
            covsim_version: env!("CARGO_PKG_VERSION").into(),
            scenario: base.name.clone(),
            currency: base.currency.clone(),
            months: base.months,
            seed: sc.settings.seed,
            from: base.designs[problem.from].name.clone(),
            variables: vars.iter().map(|v| v.key.clone()).collect(),
            objective: problem.objective.text.clone(),
            maximise: problem.objective.higher_is_better,
            constraints: problem.constraints.iter().map(|c| c.text.clone()).collect(),
            delta: opts.delta,
            confidence: opts.confidence,
            report_trials: opts.report_trials,
            candidates_evaluated: s.seen.values().filter(|v| v.is_some()).count(),
            trials: TrialsSpent {
                search: search_spent,
                selection: selection_spent,
                report: report_spent,
                profiles: profile_spent,
            },
            stopped_early,
            finalists: sorted,
            chosen,
            hand_made,
            selection,
            guarantee,
            explored,
            profiles,
        },
    }
}

fn guarantee_text(
    p: &Problem,
    o: &Options,
    sel: &Selection,
    entries: &[Entry],
    chosen: Option<usize>,
    (currency, months): (&str, u32),
) -> String {
    let feasible = entries.iter().filter(|e| e.feasible).count();
    let Some(c) = chosen else {
        return format!(
            "No finalist meets every constraint at {:.0}% confidence, so none is chosen: relax a constraint or widen the ranges.",
            100.0 * o.confidence
        );
    };
    let aim = if p.objective.higher_is_better {
        "highest"
    } else {
        "lowest"
    };
    let what = match p.objective.statistic {
        Statistic::Mean => format!("a mean {}", p.objective.text),
        Statistic::Percentile(_) => format!(
            "an expected {} of {}",
            p.objective.text,
            crate::words::simulated(sel.trials_per_observation, months)
        ),
    };
    if feasible == 1 {
        return format!(
            "{} is the only finalist that meets every constraint at {:.0}% confidence; no selection among finalists was needed.",
            entries[c].name,
            100.0 * o.confidence
        );
    }
    if !sel.finished {
        return format!(
            "The selection stopped before the Kim–Nelson procedure finished (trial or time budget), so there is NO guarantee: {} has the best estimate among {feasible} feasible finalists. Raise --max-trials or --budget-seconds.",
            entries[c].name
        );
    }
    format!(
        "With probability at least {:.0}%, {} has {what} within {} {currency} of the {aim} among the {feasible} finalists that meet every constraint at {:.0}% confidence (Kim–Nelson fully sequential procedure on common random numbers, indifference zone δ = {}, finished after {} observations of each finalist still in). The finalists came from a search; a design the search never evaluated is not covered.",
        100.0 * o.confidence,
        entries[c].name,
        crate::export::compact(o.delta),
        100.0 * o.confidence,
        crate::export::compact(o.delta),
        sel.observations
    )
}
