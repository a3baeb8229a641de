//! Studies built on the engine: a scenario with uncertain inputs and fixed overrides, run for a
//! number of trials or until a precision is reached. Still no I/O: the CLI calls these.

use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::engine::{self, Progress, TrialMatrix};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::stats::{Moments, Z95};
use crate::summary::Summary;
use crate::uncertain::{self, Uncertain};

/// Per-trial results with the draws of the uncertain inputs that produced them.
#[derive(Debug, Clone)]
pub struct Run {
    /// Every trial's rows; for a run summarised batch by batch as it went (`summary`), only
    /// the rows of the trials its percentiles come from (crate::summary).
    pub matrix: TrialMatrix,
    /// The inputs drawn per trial (those not fixed by an override).
    pub inputs: Vec<Uncertain>,
    /// `draws[(trial - first) * inputs.len() + j]`, for the trials `matrix` holds.
    pub draws: Vec<f64>,
    /// The moments and counts over all trials of a run summarised as it went.
    pub summary: Option<Box<Summary>>,
}

impl Run {
    /// How many trials the run simulated.
    pub fn trials(&self) -> u64 {
        self.summary
            .as_ref()
            .map_or(self.matrix.trials, |s| s.trials)
    }

    /// Splits off the trials after the first `at` (a run held whole): `self` keeps trials
    /// `[first, first + at)`, the rest is returned.
    pub fn split_off(&mut self, at: u64) -> Run {
        assert!(self.summary.is_none() && at <= self.matrix.trials);
        let row = self.matrix.designs * self.matrix.width;
        let k = self.inputs.len();
        let rest = Run {
            matrix: TrialMatrix {
                first_trial: self.matrix.first_trial + at,
                trials: self.matrix.trials - at,
                designs: self.matrix.designs,
                width: self.matrix.width,
                values: self.matrix.values.split_off(at as usize * row),
            },
            inputs: self.inputs.clone(),
            draws: self
                .draws
                .split_off((at as usize * k).min(self.draws.len())),
            summary: None,
        };
        self.matrix.trials = at;
        rest
    }

    /// Keeps every `step`-th trial held (the first, the `step + 1`-th, …), rows and draws, in
    /// place.
    pub fn thin(&mut self, step: usize) {
        fn every_nth(values: &mut Vec<f64>, width: usize, step: usize) {
            if width == 0 {
                return;
            }
            let n = values.len() / width;
            let mut to = 0;
            for from in (0..n).step_by(step) {
                values.copy_within(from * width..(from + 1) * width, to * width);
                to += 1;
            }
            values.truncate(to * width);
        }
        let step = step.max(1);
        every_nth(
            &mut self.matrix.values,
            self.matrix.designs * self.matrix.width,
            step,
        );
        every_nth(&mut self.draws, self.inputs.len(), step);
        self.matrix.trials = self.matrix.trials.div_ceil(step as u64);
    }

    /// Appends the next consecutive trials.
    pub fn append(&mut self, next: Run) {
        assert_eq!(
            self.matrix.first_trial + self.matrix.trials,
            next.matrix.first_trial
        );
        self.matrix.trials += next.matrix.trials;
        self.matrix.values.extend(next.matrix.values);
        self.draws.extend(next.draws);
    }

    /// The draws of input `j`, in trial order.
    pub fn input(&self, j: usize) -> Vec<f64> {
        let k = self.inputs.len();
        self.draws
            .iter()
            .skip(j)
            .step_by(k.max(1))
            .copied()
            .collect()
    }
}

/// Fixed values by positional key path, however the caller named them.
fn positional(sc: &Scenario, fixed: &HashMap<String, f64>) -> HashMap<String, f64> {
    fixed
        .iter()
        .map(|(k, &v)| {
            let path = sc
                .registry
                .find(k)
                .map_or_else(|| k.clone(), |p| p.path.clone());
            (path, v)
        })
        .collect()
}

/// The uncertain inputs a run with `fixed` values draws per trial, in the scenario's order:
/// every one it does not fix. What [`simulate`] draws and a part file records.
pub fn inputs_of(sc: &Scenario, fixed: &HashMap<String, f64>) -> Vec<Uncertain> {
    let fixed = positional(sc, fixed);
    sc.uncertain
        .iter()
        .filter(|u| !fixed.contains_key(&u.path))
        .cloned()
        .collect()
}

/// Simulates `trials` of `sc.model` with `fixed` in place of the file's values, drawing every
/// other uncertain input once per trial. Latin hypercube blocks are `lhs_block` trials long.
pub fn simulate(
    sc: &Scenario,
    fixed: &HashMap<String, f64>,
    trials: Range<u64>,
    lhs_block: u64,
    progress: &dyn Progress,
) -> Result<Run, Vec<Diagnostic>> {
    simulate_into(sc, fixed, trials, lhs_block, progress, Vec::new())
}

/// [`simulate`], its rows written into `spare`, the values of a batch that is done with
/// (see [`engine::simulate_into`]): the same run.
pub fn simulate_into(
    sc: &Scenario,
    fixed: &HashMap<String, f64>,
    trials: Range<u64>,
    lhs_block: u64,
    progress: &dyn Progress,
    spare: Vec<f64>,
) -> Result<Run, Vec<Diagnostic>> {
    let fixed = &positional(sc, fixed);
    let base: Model = if fixed.is_empty() {
        sc.model.clone()
    } else {
        sc.with(fixed)?
    };
    let inputs = inputs_of(sc, fixed);
    if inputs.is_empty() {
        let run = Run {
            matrix: engine::simulate_into(&base, sc.settings.seed, trials, progress, spare),
            inputs,
            draws: Vec::new(),
            summary: None,
        };
        check_finite(sc, &run)?;
        return Ok(run);
    }
    // The correlations between the inputs still drawn, by their index among them.
    let index: Vec<Option<usize>> = sc
        .uncertain
        .iter()
        .scan(0, |next, u| {
            let kept = !fixed.contains_key(&u.path);
            *next += usize::from(kept);
            Some(kept.then(|| *next - 1))
        })
        .collect();
    let correlations: Vec<uncertain::Correlation> = sc
        .correlations
        .iter()
        .filter_map(|c| {
            Some(uncertain::Correlation {
                a: index[c.a]?,
                b: index[c.b]?,
                rank: c.rank,
            })
        })
        .collect();
    let draws = uncertain::draw_correlated(
        &inputs,
        &correlations,
        sc.settings.seed,
        trials.clone(),
        sc.settings.sampling,
        lhs_block,
    );
    let k = inputs.len();
    let start = trials.start;
    let model_for = |t: u64| -> Result<Model, String> {
        let mut o = fixed.clone();
        let row = (t - start) as usize * k;
        for (j, input) in inputs.iter().enumerate() {
            o.insert(input.path.clone(), draws[row + j]);
        }
        sc.with(&o).map_err(|d| {
            d.first()
                .map_or_else(String::new, |d| format!("{} ({})", d.message, d.key_path))
        })
    };
    let matrix =
        engine::simulate_varied(&base, sc.settings.seed, trials, &model_for, progress, spare)
            .map_err(|(t, e)| {
                vec![Diagnostic {
                    file: sc.model.name.clone(),
                    line: 0,
                    column: 0,
                    key_path: String::new(),
                    message: format!("trial {t}: the drawn inputs make the scenario invalid: {e}"),
                    allowed: "distributions whose draws keep the scenario valid".into(),
                    snippet: None,
                    more: 0,
                }]
            })?;
    let run = Run {
        matrix,
        inputs,
        draws,
        summary: None,
    };
    check_finite(sc, &run)?;
    Ok(run)
}

/// Refuses a run with a result that is not a finite number (an overflow: figures too large or
/// too small to compute with), naming where it appeared and the inputs of that trial, so no
/// NaN or infinity ever reaches a results file.
pub fn check_finite(sc: &Scenario, run: &Run) -> Result<(), Vec<Diagnostic>> {
    let m = &run.matrix;
    // The first one in row order, whichever thread finds one first.
    let Some(at) = m.values.par_iter().position_first(|x| !x.is_finite()) else {
        return Ok(());
    };
    let width = m.width.max(1);
    let row = at / width;
    let (trial, design) = (
        m.first_trial + (row / m.designs.max(1)) as u64,
        row % m.designs.max(1),
    );
    let column = at % width;
    let model = &sc.model;
    let catalogue = crate::metrics::catalogue(model);
    let metric = catalogue
        .get(column)
        .map_or_else(|| format!("monthly value {column}"), |d| d.key.clone());
    let design_name = model.designs.get(design).map_or("?", |d| d.name.as_str());
    let k = run.inputs.len();
    let inputs = if k == 0 {
        "no uncertain inputs: the fixed figures themselves overflow".to_string()
    } else {
        let t = (trial - m.first_trial) as usize;
        run.inputs
            .iter()
            .enumerate()
            .map(|(j, u)| format!("{} = {}", u.path, run.draws[t * k + j]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (file, _, _) = sc.source();
    Err(vec![Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        key_path: metric.clone(),
        message: format!(
            "the result `{metric}` of design \"{design_name}\" is not a finite number ({}) in trial {trial}: the scenario's figures are too large or too small to compute with; the inputs of that trial: {inputs}",
            m.values[at]
        ),
        allowed: "amounts, potentials, headcounts and distribution parameters of real size (docs/SCENARIO.md)".into(),
        snippet: None,
        more: 0,
    }])
}

/// How a precision run went, for summary.json and summary.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// Target half-width of every 95% interval, as a share of the baseline's mean contribution.
    pub target: f64,
    /// The largest half-width reached, same unit.
    pub reached: f64,
    pub batch: u64,
    pub max_trials: u64,
    /// Whether the target was met (else `max_trials` stopped the run).
    pub met: bool,
}

/// The largest 95% half-width, relative to |baseline mean contribution|, over every design's
/// mean contribution and every paired difference against the baseline (docs/MODEL.md §12):
/// `contribution[d]` the moments of design `d`'s contribution, `paired[d]` those of `d` minus
/// the baseline (the baseline's own entry unused).
pub fn relative_half_width(baseline: usize, contribution: &[Moments], paired: &[Moments]) -> f64 {
    let half = |m: &Moments| Z95 * m.se();
    let base = &contribution[baseline];
    let mut worst = half(base);
    for (d, (own, diff)) in contribution.iter().zip(paired).enumerate() {
        if d == baseline {
            continue;
        }
        worst = worst.max(half(own)).max(half(diff));
    }
    if base.mean().abs() > 0.0 {
        worst / base.mean().abs()
    } else {
        f64::INFINITY
    }
}

/// Adds batches of `batch` trials until `relative_half_width ≤ target` or `max_trials`. Only
/// whole batches are checked, so the stopping point does not depend on threads. One variant
/// through the study driver ([`crate::driver::Plan::Precision`]).
pub fn simulate_to_precision(
    sc: &Scenario,
    fixed: &HashMap<String, f64>,
    target: f64,
    batch: u64,
    max_trials: u64,
    progress: &dyn Progress,
) -> Result<(Run, Precision), Vec<Diagnostic>> {
    let plan = crate::driver::Plan::Precision {
        target,
        batch,
        max_trials,
        summary_batch: crate::summary::batch_trials(&sc.model),
    };
    let mut outcome = crate::driver::run(sc, std::slice::from_ref(fixed), &plan, progress)?;
    let precision = outcome
        .precision
        .expect("a precision plan reports its precision");
    Ok((outcome.runs.remove(0), precision))
}
