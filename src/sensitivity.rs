//! Sensitivity (tornado): each input swung to a low and a high value while every other
//! uncertain input stays at its median, with the same random numbers in every run, and the
//! change of one figure — by default the contribution difference between the best design and
//! the baseline — measured and ranked.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::engine::Progress;
use crate::results::Results;
use crate::scenario::Scenario;
use crate::study;

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

/// Swings every `(path, low, high)` and ranks them. `design` picks the design compared with the
/// baseline (default: the best by mean contribution at the medians).
pub fn tornado(
    sc: &Scenario,
    inputs: &[(String, f64, f64)],
    metric: &str,
    design: Option<usize>,
    progress: &dyn Progress,
) -> Result<Tornado, Vec<Diagnostic>> {
    let medians: HashMap<String, f64> = sc
        .uncertain
        .iter()
        .map(|u| (u.path.clone(), u.median))
        .collect();
    let run_with = |fixed: &HashMap<String, f64>| -> Result<Results, Vec<Diagnostic>> {
        let model = sc.with(fixed)?;
        let run = study::simulate(sc, fixed, 0..sc.model.trials, sc.model.trials, progress)?;
        Ok(Results::from_run(&model, &run))
    };
    let base_results = run_with(&medians)?;
    let d = match design {
        Some(d) => d,
        None => base_results.deciding_pair().map_or(0, |(d, _)| d),
    };
    let base = figure(&base_results, d, metric);
    let mut swings = Vec::new();
    for (path, low, high) in inputs {
        let mut at = [0.0; 2];
        for (k, v) in [*low, *high].into_iter().enumerate() {
            let mut fixed = medians.clone();
            fixed.insert(path.clone(), v);
            at[k] = figure(&run_with(&fixed)?, d, metric);
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
    Ok(Tornado {
        figure: figure_name,
        metric: metric.to_string(),
        design: base_results.designs[d].name.clone(),
        baseline: base_results.designs[b].name.clone(),
        base,
        swings,
        results: base_results,
    })
}
