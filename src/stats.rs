//! Summary statistics of a metric across trials. Sums run in trial order, so results never
//! depend on how trials were split among threads.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    /// Sample standard deviation across trials (n − 1).
    pub sd: f64,
    /// Standard error of the mean, sd/√n.
    pub se: f64,
    /// 95% interval of the mean, mean ± 1.96·se (normal approximation, n ≥ 30 advised).
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Percentiles of the trial outcomes (linear interpolation, Hyndman & Fan type 7).
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// A figure that is not a spread over trials (a ratio of means): every statistic is `x`.
    pub fn point(x: f64) -> Stats {
        Stats {
            mean: x,
            sd: 0.0,
            se: 0.0,
            ci95_low: x,
            ci95_high: x,
            p5: x,
            p25: x,
            p50: x,
            p75: x,
            p95: x,
            min: x,
            max: x,
        }
    }
}

/// Paired difference of a design against the baseline, trial by trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffStats {
    #[serde(flatten)]
    pub diff: Stats,
    /// Share of trials in which the design does better than the baseline on this metric
    /// (higher, or lower for costs and losses); ties count as not better.
    pub share_better: f64,
    /// The standard error the difference would have if the two designs had been run with
    /// independent random numbers: √(se_design² + se_baseline²).
    pub se_unpaired: f64,
}

pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Count, sum, sum of squared deviations and extremes of a quantity over trials: what the mean,
/// sd, se, interval, min and max are taken from. [`Moments::of`] is one batch of trials (the sum
/// in trial order, the squared deviations from the batch's mean); [`Moments::merge`] appends the
/// next batch (Chan, Golub & LeVeque 1979). One batch gives exactly the two-pass statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    /// Σ (x − mean)².
    pub m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            n: 0,
            sum: 0.0,
            m2: 0.0,
            min: 0.0,
            max: 0.0,
        }
    }
}

impl Moments {
    /// The moments of one batch `xs` (in trial order).
    pub fn of(xs: &[f64]) -> Moments {
        let n = xs.len();
        let sum = xs.iter().sum::<f64>();
        let mean = if n > 0 { sum / n as f64 } else { 0.0 };
        let m2 = if n > 1 {
            xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()
        } else {
            0.0
        };
        let min = xs.iter().copied().min_by(f64::total_cmp).unwrap_or(0.0);
        let max = xs.iter().copied().max_by(f64::total_cmp).unwrap_or(0.0);
        Moments {
            n: n as u64,
            sum,
            m2,
            min,
            max,
        }
    }

    /// The moments of this batch followed by `next`.
    pub fn merge(&mut self, next: &Moments) {
        if next.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *next;
            return;
        }
        let (na, nb) = (self.n as f64, next.n as f64);
        let delta = next.sum / nb - self.sum / na;
        self.m2 = self.m2 + next.m2 + delta * delta * (na * nb / (na + nb));
        self.sum += next.sum;
        self.n += next.n;
        if next.min.total_cmp(&self.min).is_lt() {
            self.min = next.min;
        }
        if next.max.total_cmp(&self.max).is_gt() {
            self.max = next.max;
        }
    }

    /// The mean (0 with no trial).
    pub fn mean(&self) -> f64 {
        if self.n > 0 {
            self.sum / self.n as f64
        } else {
            0.0
        }
    }

    /// The sum over `max(n, 1)`: a mean that is the sum itself with no trial.
    pub fn mean_or_sum(&self) -> f64 {
        self.sum / self.n.max(1) as f64
    }

    /// The sample standard deviation (n − 1; 0 with fewer than two trials).
    pub fn sd(&self) -> f64 {
        if self.n > 1 {
            (self.m2 / (self.n - 1) as f64).sqrt()
        } else {
            0.0
        }
    }

    /// The standard error of the mean, sd/√n.
    pub fn se(&self) -> f64 {
        if self.n > 0 {
            self.sd() / (self.n as f64).sqrt()
        } else {
            0.0
        }
    }
}

impl Stats {
    /// The statistics of a quantity with moments `m` over all its trials, and percentiles from
    /// `sorted` (the values of all trials, or of a subsample of them, sorted by `total_cmp`).
    pub fn of(m: &Moments, sorted: &[f64]) -> Stats {
        let (mean, sd, se) = (m.mean(), m.sd(), m.se());
        Stats {
            mean,
            sd,
            se,
            ci95_low: mean - Z95 * se,
            ci95_high: mean + Z95 * se,
            p5: percentile_sorted(sorted, 0.05),
            p25: percentile_sorted(sorted, 0.25),
            p50: percentile_sorted(sorted, 0.50),
            p75: percentile_sorted(sorted, 0.75),
            p95: percentile_sorted(sorted, 0.95),
            min: m.min,
            max: m.max,
        }
    }
}

/// `xs` sorted by `total_cmp` into `scratch`.
pub fn sorted<'s>(xs: &[f64], scratch: &'s mut Vec<f64>) -> &'s [f64] {
    scratch.clear();
    scratch.extend_from_slice(xs);
    scratch.sort_unstable_by(f64::total_cmp);
    scratch
}

/// Summarises `xs` (in trial order, one batch); `scratch` is reused for sorting.
pub fn summarize(xs: &[f64], scratch: &mut Vec<f64>) -> Stats {
    Stats::of(&Moments::of(xs), sorted(xs, scratch))
}

/// Trial-by-trial differences `a − b` of two designs run on the same random numbers.
pub fn paired(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// "The best design": the index of the highest of `means` (the last of equals), if any.
pub fn best(means: impl IntoIterator<Item = f64>) -> Option<usize> {
    means
        .into_iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The spread of a quantity across trials: mean, and the 5th, 50th and 95th percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub mean: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Band {
    pub fn of(xs: &[f64], scratch: &mut Vec<f64>) -> Band {
        Band::from(&Moments::of(xs), sorted(xs, scratch))
    }

    /// The band of a quantity with moments `m`, percentiles from `sorted` (see [`Stats::of`]).
    pub fn from(m: &Moments, sorted: &[f64]) -> Band {
        Band {
            mean: m.mean_or_sum(),
            p5: percentile_sorted(sorted, 0.05),
            p50: percentile_sorted(sorted, 0.5),
            p95: percentile_sorted(sorted, 0.95),
        }
    }
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

    #[test]
    fn known_sample() {
        let xs = [4.0, 1.0, 3.0, 2.0, 5.0];
        let s = summarize(&xs, &mut Vec::new());
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.p50, 3.0);
        assert_eq!(s.p25, 2.0);
        assert!((s.p5 - 1.2).abs() < 1e-12);
        assert_eq!((s.min, s.max), (1.0, 5.0));
        let m = Moments::of(&xs);
        let (mean, se) = (m.mean(), m.se());
        assert_eq!(mean, 3.0);
        assert!((se - (2.5f64 / 5.0).sqrt()).abs() < 1e-12);
        assert_eq!(paired(&[3.0, 5.0], &[1.0, 1.0]), vec![2.0, 4.0]);
        assert_eq!(best([1.0, 3.0, 3.0, 2.0]), Some(2));
        assert_eq!(best(Vec::<f64>::new()), None);
        let b = Band::of(&xs, &mut Vec::new());
        assert_eq!((b.mean, b.p50), (3.0, 3.0));
    }
}
