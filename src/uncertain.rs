//! Uncertain inputs: scenario values given as a distribution ("we do not know this value").
//! Each is drawn once per trial — the same draw for every design — by inverting its
//! distribution function at a uniform number that depends only on (seed, trial, input), or on a
//! Latin hypercube over a block of trials. So draws never depend on threads or on how trials
//! are split.

use serde::{Deserialize, Serialize};

use crate::dist::DistSpec;
use crate::rng::{self, EventStream, bits53, splitmix64};

/// An input given as a distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertain {
    /// Dotted key path, as in docs/SCENARIO.md (`handoffs.default_failure`).
    pub path: String,
    pub spec: DistSpec,
    /// The range the key allows; draws are clamped into it.
    pub clamp: (f64, f64),
    /// The value the nominal scenario uses.
    pub median: f64,
}

impl Uncertain {
    /// The input's value at quantile `u`, within the key's allowed range.
    pub fn at(&self, u: f64) -> f64 {
        self.spec.quantile(u).clamp(self.clamp.0, self.clamp.1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Independent draws in every trial.
    #[default]
    Random,
    /// Latin hypercube: within each block of trials, every input visits each of `block`
    /// equal-probability strata exactly once.
    Lhs,
}

/// Key that separates the input draws from every other stream of a trial.
const INPUT_STREAM: u64 = 0x1a7e_47d1_9c0f_fee5;

fn unit(bits: u64) -> f64 {
    (bits53(bits) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The values of every input in trials `trials`: `out[(t - start) * inputs.len() + j]`.
/// With `Lhs`, trials are stratified in consecutive blocks of `block` trials.
pub fn draw(
    inputs: &[Uncertain],
    seed: u64,
    trials: std::ops::Range<u64>,
    sampling: Sampling,
    block: u64,
) -> Vec<f64> {
    let k = inputs.len();
    let n = (trials.end - trials.start) as usize;
    let mut out = vec![0.0; n * k];
    if k == 0 {
        return out;
    }
    let key = |t: u64| rng::trial_key(seed, t) ^ INPUT_STREAM;
    match sampling {
        Sampling::Random => {
            for t in trials.clone() {
                for (j, input) in inputs.iter().enumerate() {
                    let u = unit(EventStream::new(key(t), j as u64, 0).next_u64());
                    out[(t - trials.start) as usize * k + j] = input.at(u);
                }
            }
        }
        Sampling::Lhs => {
            let block = block.max(1);
            let mut b = trials.start / block;
            while b * block < trials.end {
                let lo = b * block;
                let size = block as usize;
                for (j, input) in inputs.iter().enumerate() {
                    // A permutation of the block's strata, from its own keyed stream.
                    let mut perm: Vec<u32> = (0..size as u32).collect();
                    let mut s = EventStream::new(
                        splitmix64(seed ^ INPUT_STREAM ^ splitmix64(b)),
                        j as u64,
                        1,
                    );
                    for i in (1..size).rev() {
                        let r = (s.next_u64() % (i as u64 + 1)) as usize;
                        perm.swap(i, r);
                    }
                    for (i, &stratum) in perm.iter().enumerate() {
                        let t = lo + i as u64;
                        if !trials.contains(&t) {
                            continue;
                        }
                        let v = unit(EventStream::new(key(t), j as u64, 0).next_u64());
                        let u = (stratum as f64 + v) / size as f64;
                        out[(t - trials.start) as usize * k + j] = input.at(u);
                    }
                }
                b += 1;
            }
        }
    }
    out
}

/// Pearson correlation of `x` and `y` (0 when either does not vary).
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(spec: DistSpec) -> Uncertain {
        Uncertain {
            path: "x".into(),
            median: spec.quantile(0.5),
            spec,
            clamp: (f64::MIN, f64::MAX),
        }
    }

    #[test]
    fn lhs_visits_every_stratum_once_per_block() {
        let u = input(DistSpec::Uniform { min: 0.0, max: 1.0 });
        let xs = draw(&[u.clone(), u], 9, 0..200, Sampling::Lhs, 100);
        for block in 0..2 {
            for j in 0..2 {
                let mut strata: Vec<usize> = (0..100)
                    .map(|i| (xs[(block * 100 + i) * 2 + j] * 100.0) as usize)
                    .collect();
                strata.sort_unstable();
                assert_eq!(strata, (0..100).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn draws_do_not_depend_on_the_split() {
        let u = input(DistSpec::Normal { mean: 1.0, sd: 2.0 });
        for sampling in [Sampling::Random, Sampling::Lhs] {
            let whole = draw(std::slice::from_ref(&u), 4, 0..50, sampling, 50);
            let a = draw(std::slice::from_ref(&u), 4, 0..17, sampling, 50);
            let b = draw(std::slice::from_ref(&u), 4, 17..50, sampling, 50);
            assert_eq!(whole, [a, b].concat());
        }
    }
}
