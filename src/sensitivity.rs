//! Sensitivity (tornado): each input swung to a low and a high value while every other
//! uncertain input stays at its median, with the same random numbers in every run, and the
//! change of one figure — by default the contribution difference between the best design and
//! the baseline — measured and ranked.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::driver::{Finished, Plan, Study};
use crate::engine::Progress;
use crate::results::Results;
use crate::scenario::Scenario;

/// An input to swing, with its low and high values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Swing {
    pub path: String,
    pub low: f64,
    pub high: f64,
    /// The figure at the low and at the high value.
    pub at_low: f64,
    pub at_high: f64,
}

impl Swing {
    pub fn width(&self) -> f64 {
        (self.at_high - self.at_low).abs()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tornado {
    /// What is measured, in words: "contribution of leveraged minus field_everything".
    pub figure: String,
    pub metric: String,
    pub design: String,
    pub baseline: String,
    /// The figure with every input at its median.
    pub base: f64,
    /// Widest swing first.
    pub swings: Vec<Swing>,
    pub results: Results,
}

/// The figure: mean over trials of `metric` of design `d` minus the baseline's (paired).
fn figure(r: &Results, d: usize, metric: &str) -> f64 {
    if d == r.baseline_index() {
        return r.stat(d, metric).map_or(0.0, |s| s.mean);
    }
    r.diff(d, metric).map_or(0.0, |x| x.diff.mean)
}

/// Every uncertain input of `sc` at its median: the tornado's base, around which one input
/// swings at a time.
pub fn medians(sc: &Scenario) -> HashMap<String, f64> {
    sc.uncertain
        .iter()
        .map(|u| (u.path.clone(), u.median))
        .collect()
}

/// Swings every `(path, low, high)` and ranks them. `design` picks the design compared with the
/// baseline (default: the best by mean contribution at the medians). Every run covers all of
/// the scenario's trials, through the study driver.
pub fn tornado(
    sc: &Scenario,
    inputs: &[(String, f64, f64)],
    metric: &str,
    design: Option<usize>,
    progress: &dyn Progress,
) -> Result<Tornado, Vec<Diagnostic>> {
    let study = Study::Sensitivity {
        inputs: inputs.to_vec(),
        metric: metric.to_string(),
        design,
    };
    match study.run(sc, &Plan::all_trials(sc), progress)?.finished {
        Finished::Tornado(t) => Ok(*t),
        _ => unreachable!("a sensitivity study finishes as a tornado"),
    }
}

/// The tornado from the results of its runs, in the order of
/// [`Study::variants`](crate::driver::Study::variants): the medians first, then each input's
/// low and high.
pub fn assemble(
    inputs: &[(String, f64, f64)],
    metric: &str,
    design: Option<usize>,
    results: Vec<Results>,
) -> Tornado {
    let mut results = results.into_iter();
    let base_results = results.next().expect("the run at the medians");
    let d = match design {
        Some(d) => d,
        None => base_results.deciding_pair().map_or(0, |(d, _)| d),
    };
    let base = figure(&base_results, d, metric);
    let mut swings = Vec::new();
    for (path, low, high) in inputs {
        let mut at = [0.0; 2];
        for slot in &mut at {
            *slot = figure(&results.next().expect("a run per swing"), d, metric);
        }
        swings.push(Swing {
            path: path.clone(),
            low: *low,
            high: *high,
            at_low: at[0],
            at_high: at[1],
        });
    }
    // Widest first; ties keep the order given.
    swings.sort_by(|a, b| b.width().total_cmp(&a.width()));
    let b = base_results.baseline_index();
    let figure_name = if d == b {
        format!("{metric} of {}", base_results.designs[d].name)
    } else {
        format!(
            "{metric} of {} minus {}",
            base_results.designs[d].name, base_results.designs[b].name
        )
    };
    Tornado {
        figure: figure_name,
        metric: metric.to_string(),
        design: base_results.designs[d].name.clone(),
        baseline: base_results.designs[b].name.clone(),
        base,
        swings,
        results: base_results,
    }
}
