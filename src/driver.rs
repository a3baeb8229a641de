//! The one study driver: a set of variants of a scenario run over a trial plan. `run`,
//! `sweep` and `sensitivity` are builders of variants ([`Study::variants`]) and readers of
//! their runs ([`Study::finish`]); a precision target, a shard's range of trials and the
//! progress bar therefore work the same for all of them. Still no I/O.
//!
//! A variant is a set of fixed values at key paths (a sweep point, a tornado swing; none for a
//! plain run); every variant runs the same trials, so every variant sees the same random events.

use std::collections::HashMap;
use std::ops::{ControlFlow, Range};

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::engine::{Progress, TrialMatrix};
use crate::results::Results;
use crate::scenario::Scenario;
use crate::sensitivity::{self, Tornado};
use crate::stats::Moments;
use crate::study::{self, Precision, Run};
use crate::summary::{self, Summary};
use crate::sweep::{self, Sweep};

/// Fixed values at key paths, in place of the scenario's.
pub type Variant = HashMap<String, f64>;

/// Which trials every variant runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// A fixed range of trials out of the scenario's `trials` (all of them, or a shard's).
    Trials(Range<u64>),
    /// All `trials` of the scenario, summarised batch by batch of `batch` trials as they are
    /// simulated, variant after variant ([`Stream`]): each variant holds the rows of every
    /// `every`-th trial, and the one being simulated its batch's rows too, never all of them
    /// (see [`crate::summary`]); the results are those of `Trials(0..trials)`.
    Streamed { trials: u64, batch: u64 },
    /// A range of trials (a shard's) batch by batch of `batch`, every batch handed to the
    /// caller's `rows` and dropped: the run keeps only the draws of the uncertain inputs, its
    /// matrix only the range (no rows). How a shard writes its part file without holding it.
    Rows { trials: Range<u64>, batch: u64 },
    /// Whole batches of `batch` trials (the Latin hypercube block too), every variant in step,
    /// until every variant's 95% intervals are within `target` (see
    /// [`study::relative_half_width`]) or `max_trials` is reached; each variant summarised as
    /// it goes ([`Stream`], in batches of `summary_batch` trials, [`summary::batch_trials`]
    /// of the model), so never all rows held.
    Precision {
        target: f64,
        batch: u64,
        max_trials: u64,
        summary_batch: u64,
    },
}

impl Plan {
    /// All of the scenario's trials, summarised batch by batch as they are simulated: how a
    /// study runs unless it is split into shards or run to a precision.
    pub fn all_trials(sc: &Scenario) -> Plan {
        Plan::Streamed {
            trials: sc.settings.trials,
            batch: summary::batch_trials(&sc.model),
        }
    }

    /// The most trials one variant runs under this plan (for the progress bar and memory).
    pub fn most_trials(&self) -> u64 {
        match self {
            Plan::Trials(r) => r.end - r.start,
            Plan::Streamed { trials, .. } => *trials,
            Plan::Rows { trials, .. } => trials.end - trials.start,
            Plan::Precision { max_trials, .. } => *max_trials,
        }
    }
}

/// The runs of every variant, in the order given, and how a precision plan went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub runs: Vec<Run>,
    pub precision: Option<Precision>,
}

/// Runs every variant of `sc` over `plan`. The Latin hypercube block is the scenario's trial
/// count for a fixed range (so a shard draws what the unsplit run draws) and the batch under a
/// precision plan; the stopping point is checked only after whole batches of every variant, so
/// it depends neither on threads nor on the number of variants' order of completion.
pub fn run(
    sc: &Scenario,
    variants: &[Variant],
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Outcome, Vec<Diagnostic>> {
    run_with_rows(sc, variants, plan, progress, &mut |_, _| {
        ControlFlow::Continue(())
    })
}

/// [`run`], handing every batch of rows of a [`Plan::Streamed`] run to `rows` (the variant's
/// index, the batch) as soon as it is simulated, in trial order, before it is dropped: how
/// `covsim run --per-trial` writes per_trial.csv without holding it; likewise every batch of a
/// [`Plan::Precision`] run and of a [`Plan::Rows`] run (a shard's part file). A
/// [`Plan::Trials`] run calls `rows` with nothing. When `rows` breaks, the run stops and
/// returns an error with no diagnostics (the caller knows why it stopped).
pub fn run_with_rows(
    sc: &Scenario,
    variants: &[Variant],
    plan: &Plan,
    progress: &dyn Progress,
    rows: &mut dyn FnMut(usize, &TrialMatrix) -> ControlFlow<()>,
) -> Result<Outcome, Vec<Diagnostic>> {
    let mut runs = Vec::with_capacity(variants.len());
    let precision = run_each(sc, variants, plan, progress, rows, &mut |_, run| {
        runs.push(run);
        Ok(())
    })?;
    Ok(Outcome { runs, precision })
}

/// [`run_with_rows`], handing each variant's run to `each` (the variant's index, the run) as
/// soon as it is complete, in the order of `variants`: under every plan but a precision plan
/// before the next variant is simulated, so a caller that reduces each run to its results
/// holds one variant's rows at a time; under a precision plan, whose variants run in step,
/// all of them when it stops. Returns how a precision plan went.
pub fn run_each(
    sc: &Scenario,
    variants: &[Variant],
    plan: &Plan,
    progress: &dyn Progress,
    rows: &mut dyn FnMut(usize, &TrialMatrix) -> ControlFlow<()>,
    each: &mut dyn FnMut(usize, Run) -> Result<(), Vec<Diagnostic>>,
) -> Result<Option<Precision>, Vec<Diagnostic>> {
    match *plan {
        Plan::Trials(ref trials) => {
            for (i, v) in variants.iter().enumerate() {
                each(
                    i,
                    study::simulate(sc, v, trials.clone(), sc.settings.trials, progress)?,
                )?;
            }
            Ok(None)
        }
        Plan::Streamed { trials, batch } => {
            for (i, v) in variants.iter().enumerate() {
                let stream = Stream::of_length(&sc.model, trials, batch);
                let run = streamed(
                    sc,
                    v,
                    trials,
                    stream,
                    progress,
                    &mut |m| rows(i, m),
                    &mut |_| ControlFlow::Continue(()),
                )?;
                each(i, run)?;
            }
            Ok(None)
        }
        Plan::Rows { ref trials, batch } => {
            for (i, v) in variants.iter().enumerate() {
                each(
                    i,
                    rows_only(sc, v, trials.clone(), batch, progress, &mut |m| rows(i, m))?,
                )?;
            }
            Ok(None)
        }
        Plan::Precision {
            target,
            batch,
            max_trials,
            summary_batch,
        } => {
            // Every variant summarised as it goes (its rows in batches of the summary's size,
            // whatever the precision batch), all in step, checked after every whole batch.
            let step = batch.max(2);
            let mut streams: Vec<Stream> = variants
                .iter()
                .map(|_| Stream::new(&sc.model, summary_batch))
                .collect();
            let mut done = 0;
            loop {
                let next = done..(done + step).min(max_trials);
                for (i, (stream, v)) in streams.iter_mut().zip(variants).enumerate() {
                    let run = study::simulate(sc, v, next.clone(), step, progress)?;
                    if rows(i, &run.matrix).is_break() {
                        return Err(Vec::new());
                    }
                    stream.push(run);
                }
                done = next.end;
                let reached = streams
                    .iter()
                    .map(|s| s.half_width(sc.model.baseline))
                    .fold(0.0, f64::max);
                if reached <= target || done >= max_trials {
                    for (i, s) in streams.into_iter().enumerate() {
                        each(i, s.finish())?;
                    }
                    return Ok(Some(Precision {
                        target,
                        reached,
                        batch: step,
                        max_trials,
                        met: reached <= target,
                    }));
                }
            }
        }
    }
}

/// Trials `0..trials` of variant `v`, batch by batch of `stream`'s batches (see
/// [`Plan::Streamed`]), from the first trial `stream` has not taken in: trial 0 for a new
/// stream, further on for one resumed from a checkpoint. `at_batch` is handed the stream after
/// every whole batch but the last (where a checkpoint can be taken); when it breaks, the run
/// stops with an error with no diagnostics, as when `rows` breaks.
fn streamed(
    sc: &Scenario,
    v: &Variant,
    trials: u64,
    mut stream: Stream,
    progress: &dyn Progress,
    rows: &mut dyn FnMut(&TrialMatrix) -> ControlFlow<()>,
    at_batch: &mut dyn FnMut(&Stream) -> ControlFlow<()>,
) -> Result<Run, Vec<Diagnostic>> {
    let lhs_block = sc.settings.trials;
    let start = stream.trials();
    stream.reuse = true;
    // (A run of no trials is one empty batch.)
    for range in batches(trials, stream.batch).filter(|r| start == 0 || r.end > start) {
        let range = range.start.max(start)..range.end;
        let spare = std::mem::take(&mut stream.spare);
        let run = study::simulate_into(sc, v, range, lhs_block, progress, spare)?;
        if rows(&run.matrix).is_break() {
            return Err(Vec::new());
        }
        stream.push(run);
        if stream.at_batch_end() && stream.trials() < trials && at_batch(&stream).is_break() {
            return Err(Vec::new());
        }
    }
    Ok(stream.finish())
}

/// A plain run ([`Study::Run`]) of all of the scenario's trials summarised batch by batch of
/// `batch` ([`Plan::Streamed`]), continuing `from` (a stream resumed from a checkpoint,
/// [`Stream::resumed`]) or from trial 0, handing the stream to `at_batch` after every whole
/// batch but the last so the caller can save it ([`crate::checkpoint`]). The results are those
/// of the run that never stopped, bit for bit. When `at_batch` breaks, the run stops with an
/// error with no diagnostics.
pub fn run_resumable(
    sc: &Scenario,
    batch: u64,
    from: Option<Stream>,
    progress: &dyn Progress,
    at_batch: &mut dyn FnMut(&Stream) -> ControlFlow<()>,
) -> Result<Ran, Vec<Diagnostic>> {
    let trials = sc.settings.trials;
    let stream = from.unwrap_or_else(|| Stream::of_length(&sc.model, trials, batch));
    assert_eq!(stream.batch, batch.max(1), "a stream of the run's batches");
    let mut finishing = Study::Run.finishing(sc);
    let v = Variant::new();
    let run = streamed(
        sc,
        &v,
        trials,
        stream,
        progress,
        &mut |_| ControlFlow::Continue(()),
        at_batch,
    )?;
    finishing.add(&run)?;
    Ok(Ran {
        finished: finishing.finish(None),
        trials: run.trials(),
        run: Some(run),
    })
}

/// Trials `range` of variant `v` batch by batch, each batch handed to `rows` and dropped (see
/// [`Plan::Rows`]). The draws are those of the same trials run at once (the Latin hypercube
/// block is the scenario's trial count either way).
fn rows_only(
    sc: &Scenario,
    v: &Variant,
    range: Range<u64>,
    batch: u64,
    progress: &dyn Progress,
    rows: &mut dyn FnMut(&TrialMatrix) -> ControlFlow<()>,
) -> Result<Run, Vec<Diagnostic>> {
    let batch = batch.max(1);
    let mut out: Option<Run> = None;
    let mut start = range.start;
    loop {
        let end = (start + batch).min(range.end);
        let run = study::simulate(sc, v, start..end, sc.settings.trials, progress)?;
        if rows(&run.matrix).is_break() {
            return Err(Vec::new());
        }
        let o = out.get_or_insert_with(|| Run {
            matrix: TrialMatrix {
                first_trial: range.start,
                trials: 0,
                designs: run.matrix.designs,
                width: run.matrix.width,
                values: Vec::new(),
            },
            inputs: run.inputs.clone(),
            draws: Vec::new(),
            summary: None,
        });
        o.matrix.trials += run.matrix.trials;
        o.draws.extend_from_slice(&run.draws);
        start = end;
        if start >= range.end {
            break;
        }
    }
    Ok(out.expect("at least one batch"))
}

/// The batches of a run of `trials` trials in batches of `batch`, in order: `[0, B)`, `[B, 2B)`,
/// …, the last cut at the run's end; a run of no trials is one empty batch.
pub fn batches(trials: u64, batch: u64) -> impl Iterator<Item = Range<u64>> {
    let batch = batch.max(1);
    (0..trials.div_ceil(batch).max(1)).map(move |i| i * batch..((i + 1) * batch).min(trials))
}

/// A run summarised batch by batch as its rows come (docs/MODEL.md §9): from the engine
/// ([`Plan::Streamed`], [`Plan::Precision`]) or read from the part files of a split run
/// (`covsim merge`). Rows come in trial order from trial 0, in pieces of any size; they are
/// cut into batches of `batch` trials, each summarised as soon as it is full. It holds the
/// moments and counts of the whole batches, the batch being filled, and the rows and draws of
/// the trials kept for percentiles — those divisible by [`summary::every`] of the trials so far,
/// which only grows (a power of two), so the run's length need not be known in advance
/// ([`Stream::of_length`] when it is). A run shorter than a batch is returned whole.
#[derive(Debug)]
pub struct Stream {
    batch: u64,
    summary: Summary,
    /// The batch being filled: the trials after the whole batches (at most `batch`).
    filling: Option<Run>,
    /// Of the whole batches, the trials divisible by `every`, in trial order.
    kept: Option<Run>,
    every: u64,
    /// The `every` of the whole run when its length is known in advance (else 1): kept trials
    /// are never more than the run keeps in the end.
    least_every: u64,
    /// Whether to keep a summarised batch's values for the next batch's rows ([`streamed`],
    /// which takes them back before it simulates, so no second batch is ever held).
    reuse: bool,
    /// The values of the last batch summarised, when `reuse`.
    spare: Vec<f64>,
}

impl Stream {
    pub fn new(model: &crate::model::Model, batch: u64) -> Stream {
        let batch = batch.max(1);
        Stream {
            batch,
            summary: Summary::new(model, batch),
            filling: None,
            kept: None,
            every: 1,
            least_every: 1,
            reuse: false,
            spare: Vec::new(),
        }
    }

    /// A stream that will take `trials` trials in all: it keeps from the start only the
    /// trials the whole run keeps (the same results as [`Stream::new`], in less memory).
    pub fn of_length(model: &crate::model::Model, trials: u64, batch: u64) -> Stream {
        let mut s = Stream::new(model, batch);
        s.least_every = summary::every(trials, s.batch);
        s
    }

    /// The stream of a run of `trials` trials continued from a checkpoint's `state` (its
    /// summary of whole batches of `batch` trials, and the trials it keeps): the same stream
    /// as the one that was saved.
    pub fn resumed(
        model: &crate::model::Model,
        trials: u64,
        batch: u64,
        state: crate::checkpoint::State,
    ) -> Stream {
        let mut s = Stream::of_length(model, trials, batch);
        assert_eq!(state.summary.batch, s.batch, "the checkpoint's batches");
        s.summary = state.summary;
        s.every = state.every;
        s.kept = Some(state.kept);
        s
    }

    /// Whether the trials taken in so far are whole batches (none being filled): where a
    /// checkpoint is taken.
    pub fn at_batch_end(&self) -> bool {
        self.filling.is_none()
    }

    /// The summary of the whole batches so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Of the whole batches so far, the kept trials (those divisible by
    /// [`Stream::kept_every`]), once there is a whole batch.
    pub fn kept(&self) -> Option<&Run> {
        self.kept.as_ref()
    }

    /// The kept trials are those divisible by this.
    pub fn kept_every(&self) -> u64 {
        self.every
    }

    /// Trials taken in so far.
    pub fn trials(&self) -> u64 {
        self.summary.trials + self.filling.as_ref().map_or(0, |r| r.matrix.trials)
    }

    /// Appends the next trials (the first of `run` is [`Stream::trials`]).
    pub fn push(&mut self, run: Run) {
        assert_eq!(run.matrix.first_trial, self.trials(), "trials in order");
        let mut run = run;
        loop {
            let filled = self.filling.as_ref().map_or(0, |r| r.matrix.trials);
            let room = self.batch - filled;
            let rest = (run.matrix.trials > room).then(|| run.split_off(room));
            match &mut self.filling {
                None => self.filling = Some(run),
                Some(f) => f.append(run),
            }
            // A full batch is taken at once: only the kept rows stay held.
            if self.filling.as_ref().map_or(0, |r| r.matrix.trials) == self.batch {
                self.take_batch();
            }
            match rest {
                Some(r) => run = r,
                None => return,
            }
        }
    }

    /// The filled batch into the summary and the kept trials.
    fn take_batch(&mut self) {
        let Some(batch) = self.filling.take() else {
            return;
        };
        self.summary.add(&batch.matrix.values);
        let every = summary::every(self.summary.trials, self.batch).max(self.least_every);
        let k = batch.inputs.len();
        // The trials kept so far are 0, e, 2e, … (e the old `every`): keep each (every/e)-th
        // (both powers of two).
        if let Some(kept) = &mut self.kept
            && every > self.every
        {
            kept.thin((every / self.every) as usize);
        }
        self.every = every;
        let matrix = summary::subsample(&batch.matrix, every);
        let draws = summary::subsample_draws(&batch.draws, k, batch.matrix.first_trial, every);
        match &mut self.kept {
            None => {
                self.kept = Some(Run {
                    matrix,
                    inputs: batch.inputs,
                    draws,
                    summary: None,
                })
            }
            Some(kept) => {
                kept.matrix.trials += matrix.trials;
                kept.matrix.values.extend(matrix.values);
                kept.draws.extend(draws);
            }
        }
        if self.reuse {
            self.spare = batch.matrix.values;
        }
    }

    /// The largest relative 95% half-width of docs/MODEL.md §12 over the trials so far: the
    /// moments of the whole batches followed by those of the batch being filled, which is
    /// what the run's summary would hold if it stopped here.
    pub fn half_width(&self, baseline: usize) -> f64 {
        let c = crate::metrics::g::CONTRIBUTION;
        let designs = self.summary.designs();
        let mut contribution: Vec<Moments> =
            (0..designs).map(|d| *self.summary.value(d, c)).collect();
        let mut paired: Vec<Moments> = (0..designs).map(|d| *self.summary.diff(d, c).0).collect();
        if let Some(f) = &self.filling {
            let base = f.matrix.column(baseline, c);
            for d in 0..designs {
                let own = f.matrix.column(d, c);
                contribution[d].merge(&Moments::of(&own));
                if d != baseline {
                    paired[d].merge(&Moments::of(&crate::stats::paired(&own, &base)));
                }
            }
        }
        study::relative_half_width(baseline, &contribution, &paired)
    }

    /// The run: whole when it was one batch, else the kept trials with the summary.
    pub fn finish(mut self) -> Run {
        if self.summary.trials == 0 {
            return self.filling.expect("a run has a first batch");
        }
        self.take_batch();
        let mut run = self.kept.expect("a run of several batches keeps trial 0");
        run.summary = Some(Box::new(self.summary));
        run
    }
}

/// What a command studies: the variants it builds and what it makes of their runs. Stored in a
/// shard's part file, so `covsim merge` finishes the study the shards ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Study {
    /// The scenario as it is: one variant with nothing fixed.
    Run,
    /// `param` at each of `values`.
    Sweep { param: String, values: Vec<f64> },
    /// Every uncertain input at its median, then each `(path, low, high)` swung to its low and
    /// its high value; `metric` of `design` (index; default the best) minus the baseline.
    Sensitivity {
        inputs: Vec<(String, f64, f64)>,
        metric: String,
        design: Option<usize>,
    },
}

/// A finished study.
#[derive(Debug, Clone)]
pub enum Finished {
    Run(Box<Results>),
    Sweep(Sweep),
    Tornado(Box<Tornado>),
}

impl Study {
    /// The variants to run, in order.
    pub fn variants(&self, sc: &Scenario) -> Vec<Variant> {
        match self {
            Study::Run => vec![Variant::new()],
            Study::Sweep { param, values } => values
                .iter()
                .map(|&v| Variant::from([(param.clone(), v)]))
                .collect(),
            Study::Sensitivity { inputs, .. } => {
                let medians = sensitivity::medians(sc);
                let mut out = vec![medians.clone()];
                for (path, low, high) in inputs {
                    for v in [*low, *high] {
                        let mut fixed = medians.clone();
                        fixed.insert(path.clone(), v);
                        out.push(fixed);
                    }
                }
                out
            }
        }
    }

    /// Runs the study: its variants over `plan`, each finished as soon as its run is
    /// complete ([`Study::run_with_rows`]).
    pub fn run(
        &self,
        sc: &Scenario,
        plan: &Plan,
        progress: &dyn Progress,
    ) -> Result<Ran, Vec<Diagnostic>> {
        self.run_with_rows(sc, plan, progress, &mut |_, _| ControlFlow::Continue(()))
    }

    /// Runs the study in this process (every trial, or to a precision): each variant's run is
    /// reduced to its results as soon as it is complete and dropped before the next variant
    /// is simulated (see [`run_each`]), so a sweep or a tornado holds the rows of one variant
    /// at a time, however many points it has. The results are those [`Study::finish`] makes
    /// of the same runs held together. `rows` as in [`run_with_rows`].
    pub fn run_with_rows(
        &self,
        sc: &Scenario,
        plan: &Plan,
        progress: &dyn Progress,
        rows: &mut dyn FnMut(usize, &TrialMatrix) -> ControlFlow<()>,
    ) -> Result<Ran, Vec<Diagnostic>> {
        let mut finishing = self.finishing(sc);
        let variants = finishing.variants.clone();
        let mut trials = 0;
        let mut kept = None;
        let precision = run_each(sc, &variants, plan, progress, rows, &mut |_, run| {
            trials = run.trials();
            finishing.add(&run)?;
            if *self == Study::Run {
                kept = Some(run);
            }
            Ok(())
        })?;
        Ok(Ran {
            finished: finishing.finish(precision.as_ref()),
            trials,
            run: kept,
        })
    }

    /// The study's results from the runs of its variants (in the order of `variants`), from
    /// one process or merged from shards.
    pub fn finish(&self, sc: &Scenario, outcome: &Outcome) -> Result<Finished, Vec<Diagnostic>> {
        let mut finishing = self.finishing(sc);
        for run in &outcome.runs {
            finishing.add(run)?;
        }
        Ok(finishing.finish(outcome.precision.as_ref()))
    }

    /// The study's results built one variant's run at a time ([`Finishing::add`], in the order
    /// of `variants`), so no two variants' rows need be held together.
    pub fn finishing<'s>(&'s self, sc: &'s Scenario) -> Finishing<'s> {
        let variants = self.variants(sc);
        Finishing {
            study: self,
            sc,
            results: Vec::with_capacity(variants.len()),
            variants,
            summaries: Vec::new(),
        }
    }
}

/// A study run in one process ([`Study::run_with_rows`]).
#[derive(Debug)]
pub struct Ran {
    pub finished: Finished,
    /// The trials each variant ran.
    pub trials: u64,
    /// The run of a plain study ([`Study::Run`], one variant): the rows it kept, for the
    /// writers that need them; `None` for a sweep or a tornado, whose runs are dropped.
    pub run: Option<Run>,
}

/// The results of a study's variants, one variant's run at a time ([`Study::finishing`]).
pub struct Finishing<'s> {
    study: &'s Study,
    sc: &'s Scenario,
    variants: Vec<Variant>,
    results: Vec<Results>,
    /// A sweep's summaries over all trials, for its break-even points.
    summaries: Vec<Summary>,
}

impl Finishing<'_> {
    /// The results of the next variant's run (and a sweep point's summary): its model is the
    /// scenario's with the variant's values fixed.
    pub fn add(&mut self, run: &Run) -> Result<(), Vec<Diagnostic>> {
        let sc = self.sc;
        let v = self
            .variants
            .get(self.results.len())
            .expect("no more runs than variants");
        let model = if v.is_empty() {
            sc.model.clone()
        } else {
            sc.with(v)?
        };
        // Summarised once: the summary also gives a sweep's break-even points.
        let (s, kept, draws) = summary::of_run(&model, run, summary::batch_trials(&model));
        self.results.push(Results::from_parts(
            &model,
            &sc.settings,
            &s,
            &kept,
            &run.inputs,
            &draws,
        ));
        if let Study::Sweep { .. } = self.study {
            self.summaries.push(s.into_owned());
        }
        Ok(())
    }

    /// The finished study, once every variant's run is added; `precision` says how a
    /// precision plan went.
    pub fn finish(mut self, precision: Option<&Precision>) -> Finished {
        assert_eq!(
            self.results.len(),
            self.variants.len(),
            "every variant's run"
        );
        let study = self.study;
        for r in &mut self.results {
            r.precision = precision.cloned();
        }
        match study {
            Study::Run => Finished::Run(Box::new(self.results.remove(0))),
            Study::Sweep { param, values } => Finished::Sweep(sweep::assemble(
                param,
                values,
                self.results,
                &self.summaries,
            )),
            Study::Sensitivity {
                inputs,
                metric,
                design,
            } => Finished::Tornado(Box::new(sensitivity::assemble(
                inputs,
                metric,
                *design,
                self.results,
            ))),
        }
    }
}
