//! Sweeps and break-even points: the scenario at each value of one key, with the same random
//! numbers at every point, and where the design with the highest contribution changes.

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::driver::{Finished, Plan, Study};
use crate::engine::Progress;
use crate::metrics::g;
use crate::results::Results;
use crate::scenario::Scenario;
use crate::stats::{Z95, best};
use crate::summary::Summary;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sweep {
    /// The key path swept.
    pub param: String,
    pub points: Vec<Point>,
    pub break_evens: Vec<BreakEven>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub value: f64,
    pub results: Results,
}

/// Where the best design changes between two swept values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakEven {
    /// The design with the highest mean contribution just below the break-even value.
    pub below: String,
    /// The design with the highest mean contribution just above it.
    pub above: String,
    /// Where the mean paired difference `below − above` crosses zero (linear interpolation).
    pub at: f64,
    /// Where its 95% interval stops excluding zero on either side; `None` when that happens
    /// outside the swept range.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl BreakEven {
    /// "leveraged beats field_everything while `x` stays below 0.23 (0.19–0.27)".
    pub fn sentence(&self, param: &str) -> String {
        let bound = |v: Option<f64>| v.map_or("beyond the swept range".to_string(), fmt);
        format!(
            "{} beats {} while `{param}` stays below {} (95% interval {} to {}); above it {} earns more",
            self.below,
            self.above,
            fmt(self.at),
            bound(self.low),
            bound(self.high),
            self.above
        )
    }
}

/// A parameter value for sentences (see [`crate::format::param`]).
pub use crate::format::param as fmt;

/// Runs `sc` at every value of `param` (same seed, so the same random events at every point),
/// every point over all of the scenario's trials, through the study driver.
pub fn run(
    sc: &Scenario,
    param: &str,
    values: &[f64],
    progress: &dyn Progress,
) -> Result<Sweep, Vec<Diagnostic>> {
    let study = Study::Sweep {
        param: param.to_string(),
        values: values.to_vec(),
    };
    match study.run(sc, &Plan::all_trials(sc), progress)?.finished {
        Finished::Sweep(s) => Ok(s),
        _ => unreachable!("a sweep study finishes as a sweep"),
    }
}

/// The sweep from the results of its points and the summaries of their runs (the moments of
/// every design's contribution and of its paired differences, over all trials).
pub fn assemble(
    param: &str,
    values: &[f64],
    results: Vec<Results>,
    summaries: &[Summary],
) -> Sweep {
    let points: Vec<Point> = values
        .iter()
        .zip(results)
        .map(|(&value, results)| Point { value, results })
        .collect();
    let break_evens = break_evens(values, summaries, &points);
    Sweep {
        param: param.to_string(),
        points,
        break_evens,
    }
}

/// Values of `v` where the piecewise-linear `y(v)` crosses zero.
fn crossings(v: &[f64], y: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    for i in 0..v.len().saturating_sub(1) {
        let (a, b) = (y[i], y[i + 1]);
        if a == 0.0 {
            out.push(v[i]);
        } else if (a > 0.0) != (b > 0.0) && b != 0.0 {
            out.push(v[i] + (v[i + 1] - v[i]) * a / (a - b));
        }
    }
    if y.last() == Some(&0.0) {
        out.push(v[v.len() - 1]);
    }
    out
}

fn break_evens(values: &[f64], summaries: &[Summary], points: &[Point]) -> Vec<BreakEven> {
    let leader = |p: usize| -> usize {
        let s = &summaries[p];
        best((0..s.designs()).map(|d| s.value(d, g::CONTRIBUTION).mean())).unwrap_or(0)
    };
    let mut out = Vec::new();
    for i in 0..values.len().saturating_sub(1) {
        let (a, b) = (leader(i), leader(i + 1));
        if a == b {
            continue;
        }
        // Paired difference a − b at every point: positive where a leads.
        let (mut mean, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for s in summaries {
            let d = s.pair(a, b);
            let (m, se) = (d.mean(), d.se());
            mean.push(m);
            lo.push(m - Z95 * se);
            hi.push(m + Z95 * se);
        }
        let at = crossings(&values[i..=i + 1], &mean[i..=i + 1])
            .first()
            .copied()
            .unwrap_or(values[i]);
        // The interval: where the band of a − b contains zero around `at`.
        let (rising, falling) = (
            crossings(values, &lo).into_iter(),
            crossings(values, &hi).into_iter(),
        );
        let increasing = values[i + 1] > values[i];
        let (near_low, near_high) = if increasing {
            (
                rising
                    .filter(|&x| x <= at)
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
                falling
                    .filter(|&x| x >= at)
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x)))),
            )
        } else {
            (
                falling
                    .filter(|&x| x <= at)
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
                rising
                    .filter(|&x| x >= at)
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x)))),
            )
        };
        let name = |d: usize| points[i].results.designs[d].name.clone();
        let (below, above) = if increasing { (a, b) } else { (b, a) };
        out.push(BreakEven {
            below: name(below),
            above: name(above),
            at,
            low: near_low,
            high: near_high,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_interpolate_linearly() {
        assert_eq!(crossings(&[0.0, 1.0, 2.0], &[2.0, 1.0, -1.0]), vec![1.5]);
        assert_eq!(crossings(&[0.0, 1.0], &[1.0, 2.0]), Vec::<f64>::new());
    }
}
