//! The statistics of a run taken batch by batch (docs/MODEL.md §9). A run's trials are cut into
//! batches of [`batch_trials`] trials, counted from trial 0; each batch's moments (count, sum,
//! squared deviations, extremes) and exact counts (trials in which a design does better than the
//! baseline, trials paying back by each month) are taken from its rows and appended to the
//! run's in batch order. Percentiles come from every `every`-th trial (trial number divisible by
//! `every`, the smallest power of two with `⌈trials ÷ every⌉ ≤ batch`): all of them while a run
//! fits in one batch. A power of two, so that a run whose length is known only when it stops (a
//! precision run) can drop trials as it goes: the trials kept for a shorter run include those
//! kept for a longer one. So a run holds at most one batch of rows and the subsample, whatever
//! its number of trials, and the statistics depend only on the trials, never on threads, shards
//! or whether the rows were held all at once.

use std::borrow::Cow;
use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::{CHUNK_TRIALS, TrialMatrix, column_groups, columns};
use crate::metrics::{Better, Layout, catalogue, monthly};
use crate::model::Model;
use crate::results::payback_month;
use crate::stats::Moments;
use crate::study::Run;

/// Bytes of rows one batch may hold.
pub const BATCH_BYTES: u64 = 256 << 20;

/// Trials per batch for `model`: as many as fit in [`BATCH_BYTES`] of rows (designs × values
/// per design × 8 bytes a trial), at least 1,024 and at most 2²⁰, a multiple of the engine's
/// chunk of trials. Depends only on the model's layout, never on the machine.
pub fn batch_trials(model: &Model) -> u64 {
    let row = (model.designs.len() * Layout::of(model).width() * 8).max(1) as u64;
    let t = (BATCH_BYTES / row).clamp(1024, 1 << 20);
    t - t % CHUNK_TRIALS as u64
}

/// Percentiles of a run of `trials` in batches of `batch` come from every `every`-th trial: the
/// smallest power of two with `⌈trials ÷ every⌉ ≤ batch` (1 while the run is one batch).
pub fn every(trials: u64, batch: u64) -> u64 {
    let batch = batch.max(1);
    let mut every = 1u64;
    while trials.div_ceil(every) > batch {
        every *= 2;
    }
    every
}

/// Which trials percentiles were taken from when not from all of them (summary.json).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Subsample {
    /// Trials whose number is divisible by `every` (trial 0, `every`, 2·`every`, …).
    pub every: u64,
    /// How many trials that is.
    pub trials: u64,
}

/// The moments and counts of a run so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Trials taken in.
    pub trials: u64,
    /// Trials per batch.
    pub batch: u64,
    designs: usize,
    width: usize,
    metrics: usize,
    months: usize,
    baseline: usize,
    /// Per metric, whether lower is better.
    lower: Vec<bool>,
    /// Every value of every design's row, `[d · width + c]`.
    pub values: Vec<Moments>,
    /// Each metric's paired difference against the baseline, `[d · metrics + k]` (the
    /// baseline's own entries stay empty).
    pub diffs: Vec<Moments>,
    /// Trials in which design `d` does better than the baseline on metric `k`, same index.
    pub better: Vec<u64>,
    /// The cumulative contribution against the baseline's at the end of each month,
    /// `[d · months + month]`.
    pub cumulative: Vec<Moments>,
    /// Trials that pay back by the end of month `m + 1`, `[d · (months + 1) + m]`; index
    /// `months`: trials that do not pay back within the horizon.
    pub paid_back: Vec<u64>,
    /// The paired difference of contribution between any two designs, `a − b` at
    /// `[a · designs + b]` (empty where `a = b`): what a sweep's break-even points need.
    pub pairs: Vec<Moments>,
}

impl Summary {
    /// No trial yet; batches of `batch` trials.
    pub fn new(model: &Model, batch: u64) -> Summary {
        let layout = Layout::of(model);
        let designs = model.designs.len();
        let metrics = layout.metrics();
        let months = layout.months;
        Summary {
            trials: 0,
            batch: batch.max(1),
            designs,
            width: layout.width(),
            metrics,
            months,
            baseline: model.baseline,
            lower: catalogue(model)
                .iter()
                .map(|d| d.better == Better::Lower)
                .collect(),
            values: vec![Moments::default(); designs * layout.width()],
            diffs: vec![Moments::default(); designs * metrics],
            better: vec![0; designs * metrics],
            cumulative: vec![Moments::default(); designs * months],
            paid_back: vec![0; designs * (months + 1)],
            pairs: vec![Moments::default(); designs * designs],
        }
    }

    /// The summary of `m`'s trials in batches of `batch` (its first trial starts a batch).
    pub fn of(model: &Model, m: &TrialMatrix, batch: u64) -> Summary {
        let mut s = Summary::new(model, batch);
        let row = m.designs * m.width;
        for rows in m.values.chunks((s.batch as usize) * row.max(1)) {
            s.add(rows);
        }
        s
    }

    /// Appends the batch of whole trials `rows` (trial after trial, design after design).
    pub fn add(&mut self, rows: &[f64]) {
        let (designs, width, metrics, months, b) = (
            self.designs,
            self.width,
            self.metrics,
            self.months,
            self.baseline,
        );
        let row = designs * width;
        let n = rows.len().checked_div(row).unwrap_or(0);
        if n == 0 {
            return; // nothing to add (every sum below would be over no trials)
        }
        let at = |t: usize, d: usize, c: usize| rows[t * row + d * width + c];
        // Each design's columns read a group of neighbours at a time (`engine::columns`), the
        // groups in parallel, gathered back in (design, column) order.
        let of_design =
            |d: usize, g: &Range<usize>| columns(rows, row, d * width + g.start..d * width + g.end);
        let values: Vec<Moments> = by_column_groups(designs, width, |d, g| {
            of_design(d, &g).iter().map(Moments::of).collect()
        })
        .concat();
        let lower = &self.lower;
        let diffs: Vec<(Moments, u64)> = by_column_groups(designs, metrics, |d, g| {
            if d == b {
                return vec![(Moments::default(), 0); g.len()];
            }
            let (own, base) = (of_design(d, &g), of_design(b, &g));
            g.zip(own.iter().zip(base.iter()))
                .map(|(k, (own, base))| {
                    let xs: Vec<f64> = own.iter().zip(base).map(|(x, y)| x - y).collect();
                    let better = xs
                        .iter()
                        .filter(|&&x| if lower[k] { x < 0.0 } else { x > 0.0 })
                        .count();
                    (Moments::of(&xs), better as u64)
                })
                .collect()
        })
        .concat();
        // Cumulative contribution per trial and month.
        let cumulative = |d: usize| {
            cumulative_contribution(n, months, |t| &rows[t * row + d * width..][..width])
        };
        let base = cumulative(b);
        let per_design: Vec<(Vec<Moments>, Vec<u64>)> = (0..designs)
            .into_par_iter()
            .map(|d| {
                if d == b {
                    return (vec![Moments::default(); months], vec![0; months + 1]);
                }
                let own = cumulative(d);
                let diff: Vec<f64> = own.iter().zip(&base).map(|(x, y)| x - y).collect();
                let moments = (0..months)
                    .map(|mo| {
                        let xs: Vec<f64> = (0..n).map(|t| diff[t * months + mo]).collect();
                        Moments::of(&xs)
                    })
                    .collect();
                let mut paid = vec![0u64; months + 1];
                for t in 0..n {
                    let m = payback_month(&diff[t * months..(t + 1) * months]);
                    paid[m.map_or(months, |m| m as usize - 1)] += 1;
                }
                (moments, paid)
            })
            .collect();

        let contribution = crate::metrics::g::CONTRIBUTION;
        let pairs: Vec<Moments> = (0..designs * designs)
            .into_par_iter()
            .map(|i| {
                let (a, b) = (i / designs, i % designs);
                if a == b {
                    return Moments::default();
                }
                let xs: Vec<f64> = (0..n)
                    .map(|t| at(t, a, contribution) - at(t, b, contribution))
                    .collect();
                Moments::of(&xs)
            })
            .collect();

        for (acc, m) in self.values.iter_mut().zip(&values) {
            acc.merge(m);
        }
        for ((acc, count), (m, better)) in self.diffs.iter_mut().zip(&mut self.better).zip(&diffs) {
            acc.merge(m);
            *count += better;
        }
        for (d, (moments, paid)) in per_design.iter().enumerate() {
            for (acc, m) in self.cumulative[d * months..(d + 1) * months]
                .iter_mut()
                .zip(moments)
            {
                acc.merge(m);
            }
            for (acc, p) in self.paid_back[d * (months + 1)..(d + 1) * (months + 1)]
                .iter_mut()
                .zip(paid)
            {
                *acc += p;
            }
        }
        for (acc, m) in self.pairs.iter_mut().zip(&pairs) {
            acc.merge(m);
        }
        self.trials += n as u64;
    }

    /// Designs per trial.
    pub fn designs(&self) -> usize {
        self.designs
    }

    /// Percentiles come from every `every()`-th trial (see [`every`]).
    pub fn every(&self) -> u64 {
        every(self.trials, self.batch)
    }

    /// Design `d`'s value `c` over all trials.
    pub fn value(&self, d: usize, c: usize) -> &Moments {
        &self.values[d * self.width + c]
    }

    /// Design `d`'s paired difference on metric `k` over all trials, and the trials it does better.
    pub fn diff(&self, d: usize, k: usize) -> (&Moments, u64) {
        let i = d * self.metrics + k;
        (&self.diffs[i], self.better[i])
    }

    /// Design `d`'s cumulative contribution against the baseline at the end of month `mo`.
    pub fn cumulative(&self, d: usize, mo: usize) -> &Moments {
        &self.cumulative[d * self.months + mo]
    }

    /// The paired difference of contribution `a − b` over all trials.
    pub fn pair(&self, a: usize, b: usize) -> &Moments {
        &self.pairs[a * self.designs + b]
    }

    /// Design `d`'s trials by payback month (see [`Summary::paid_back`]).
    pub fn paid_back(&self, d: usize) -> &[u64] {
        &self.paid_back[d * (self.months + 1)..(d + 1) * (self.months + 1)]
    }
}

/// The cumulative contribution at the end of each month of `trials` rows (`row(t)`, one
/// design's), `[t · months + month]`: the monthly contributions summed in month order.
pub fn cumulative_contribution<'r>(
    trials: usize,
    months: usize,
    row: impl Fn(usize) -> &'r [f64],
) -> Vec<f64> {
    let mut out = vec![0.0; trials * months];
    for t in 0..trials {
        let row = row(t);
        let metrics = row.len() - monthly::COUNT * months;
        let mut sum = 0.0;
        for mo in 0..months {
            sum += row[metrics + monthly::COUNT * mo + monthly::CONTRIBUTION];
            out[t * months + mo] = sum;
        }
    }
    out
}

/// The summary over all trials of `run` and the rows and draws its percentiles come from: a
/// run summarised as it went brings its own; a run held whole is summarised here, in batches
/// of `batch` ([`held`]).
pub fn of_run<'a>(
    model: &Model,
    run: &'a Run,
    batch: u64,
) -> (Cow<'a, Summary>, Cow<'a, TrialMatrix>, Cow<'a, [f64]>) {
    match &run.summary {
        Some(s) => (
            Cow::Borrowed(&**s),
            Cow::Borrowed(&run.matrix),
            Cow::Borrowed(&run.draws[..]),
        ),
        None => {
            let (s, kept, draws) = held(model, &run.matrix, &run.draws, run.inputs.len(), batch);
            (Cow::Owned(s), kept, draws)
        }
    }
}

/// A run held whole (`m`, with `inputs` draws a trial in `draws`) summarised in batches of
/// `batch`: its summary, and the rows and draws percentiles come from (borrowed when every
/// trial is kept).
pub fn held<'a>(
    model: &Model,
    m: &'a TrialMatrix,
    draws: &'a [f64],
    inputs: usize,
    batch: u64,
) -> (Summary, Cow<'a, TrialMatrix>, Cow<'a, [f64]>) {
    let s = Summary::of(model, m, batch);
    match s.every() {
        1 => (s, Cow::Borrowed(m), Cow::Borrowed(draws)),
        every => {
            let kept = subsample(m, every);
            let kept_draws = subsample_draws(draws, inputs, m.first_trial, every);
            (s, Cow::Owned(kept), Cow::Owned(kept_draws))
        }
    }
}

/// `f(d, columns)` for every design `d < designs` and every group of neighbouring columns of
/// `0..n` (`engine::column_groups`), all (design, group) pairs in parallel; per design, the
/// results of its groups one after the other, in column order (the same at any thread count).
pub fn by_column_groups<T: Send>(
    designs: usize,
    n: usize,
    f: impl Fn(usize, Range<usize>) -> Vec<T> + Sync,
) -> Vec<Vec<T>> {
    let pairs: Vec<(usize, Range<usize>)> = (0..designs)
        .flat_map(|d| column_groups(n).map(move |g| (d, g)))
        .collect();
    let mut parts = pairs
        .into_par_iter()
        .map(|(d, g)| f(d, g))
        .collect::<Vec<_>>()
        .into_iter();
    let per_design = column_groups(n).count();
    (0..designs)
        .map(|_| parts.by_ref().take(per_design).flatten().collect())
        .collect()
}

/// The rows of `m` whose trial number is divisible by `every` (all of `m` when `every` is 1).
pub fn subsample(m: &TrialMatrix, every: u64) -> TrialMatrix {
    let row = m.designs * m.width;
    let kept: Vec<usize> = (0..m.trials as usize)
        .filter(|&t| (m.first_trial + t as u64) % every == 0)
        .collect();
    let mut values = Vec::with_capacity(kept.len() * row);
    for &t in &kept {
        values.extend_from_slice(&m.values[t * row..(t + 1) * row]);
    }
    TrialMatrix {
        first_trial: m.first_trial,
        trials: kept.len() as u64,
        designs: m.designs,
        width: m.width,
        values,
    }
}

/// The per-trial draws (`k` a trial, first trial `first`) of the trials [`subsample`] keeps.
pub fn subsample_draws(draws: &[f64], k: usize, first: u64, every: u64) -> Vec<f64> {
    if k == 0 {
        return Vec::new();
    }
    draws
        .chunks(k)
        .enumerate()
        .filter(|(t, _)| (first + *t as u64) % every == 0)
        .flat_map(|(_, d)| d.iter().copied())
        .collect()
}
