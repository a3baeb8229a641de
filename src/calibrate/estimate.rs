//! Statistics of the calibration: Wilson intervals, the cluster bootstrap over accounts, and
//! the test that decides whether a breakdown is kept. docs/MODEL.md §18 gives the formulas.

use serde::Serialize;

use crate::stats::{Z95, percentile_sorted};

/// An estimate with its 95% interval and the count it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// How the interval was found.
    pub method: String,
}

impl Estimate {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Wilson score interval of `k` successes in `n` (95%): never 0% or 100% at the ends, honest for
/// small groups (Wilson 1927; Brown, Cai & DasGupta 2001).
pub fn wilson(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z = Z95;
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// 2.5% and 97.5% percentiles of bootstrap replicates (the percentile interval).
pub fn percentile_interval(reps: &[f64]) -> (f64, f64) {
    let mut s: Vec<f64> = reps.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    s.sort_by(f64::total_cmp);
    (percentile_sorted(&s, 0.025), percentile_sorted(&s, 0.975))
}

/// Sample standard deviation.
pub fn sd(xs: &[f64]) -> f64 {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Result of testing whether groups' win rates differ.
#[derive(Debug, Clone, Serialize)]
pub struct GroupTest {
    /// What is broken down: `tier`, `product`, `channel`.
    pub by: String,
    pub groups: Vec<GroupRate>,
    /// Pearson chi-square of the groups × (won, lost) table.
    pub chi_square: f64,
    /// Design effect of clustering by account (bootstrap variance ÷ binomial variance of the
    /// pooled rate), at least 1; the statistic is divided by it (Rao & Scott 1981).
    pub design_effect: f64,
    pub degrees_of_freedom: usize,
    pub p_value: f64,
    /// Groups differ at the 5% level.
    pub differ: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    pub name: String,
    pub won: usize,
    pub closed: usize,
    pub rate: f64,
    /// Wilson 95% interval.
    pub low: f64,
    pub high: f64,
}

/// Chi-square test of homogeneity of win rates across groups (`(name, won, closed)`), the
/// statistic divided by the clustering design effect. Groups with no closed deal are left out.
pub fn test_groups(by: &str, groups: &[(String, usize, usize)], design_effect: f64) -> GroupTest {
    let rows: Vec<&(String, usize, usize)> = groups.iter().filter(|g| g.2 > 0).collect();
    let won: f64 = rows.iter().map(|g| g.1 as f64).sum();
    let closed: f64 = rows.iter().map(|g| g.2 as f64).sum();
    let p = if closed > 0.0 { won / closed } else { 0.0 };
    let mut chi = 0.0;
    for g in &rows {
        let n = g.2 as f64;
        for (obs, exp) in [(g.1 as f64, n * p), (n - g.1 as f64, n * (1.0 - p))] {
            if exp > 0.0 {
                chi += (obs - exp).powi(2) / exp;
            }
        }
    }
    let deff = design_effect.max(1.0);
    let df = rows.len().saturating_sub(1);
    let p_value = if df == 0 {
        1.0
    } else {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        ChiSquared::new(df as f64).map_or(1.0, |c| 1.0 - c.cdf(chi / deff))
    };
    GroupTest {
        by: by.to_string(),
        groups: groups
            .iter()
            .map(|(name, k, n)| {
                let (low, high) = wilson(*k as f64, *n as f64);
                GroupRate {
                    name: name.clone(),
                    won: *k,
                    closed: *n,
                    rate: if *n > 0 {
                        *k as f64 / *n as f64
                    } else {
                        f64::NAN
                    },
                    low,
                    high,
                }
            })
            .collect(),
        chi_square: chi,
        design_effect: deff,
        degrees_of_freedom: df,
        p_value,
        differ: df > 0 && p_value < 0.05,
    }
}

/// Indices of a cluster bootstrap replicate: `n` clusters drawn with replacement from a
/// stratum of `n`, from a deterministic generator.
pub fn resample(rng: &mut rand_xoshiro::Xoshiro256PlusPlus, n: usize, out: &mut Vec<usize>) {
    use rand::RngExt;
    out.clear();
    for _ in 0..n {
        out.push(rng.random_range(0..n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/MODEL.md §18 states the bootstrap's index draw without naming the library's code:
    /// a 32-bit multiply of the output's upper half, corrected once where its low half is
    /// close to wrapping.
    #[test]
    fn resample_is_the_documented_multiply_and_its_one_correction() {
        use rand::Rng;
        let mut corrected = 0;
        for n in [1usize, 2, 3, 7, 100, 4_999, 1 << 20, 3_000_001] {
            let mut a = crate::rng::stream(11, n as u64);
            let mut b = crate::rng::stream(11, n as u64);
            let mut got = Vec::new();
            resample(&mut a, n, &mut got);
            for &index in &got {
                let range = n as u64;
                let p = (b.next_u64() >> 32) * range;
                let (mut want, low) = (p >> 32, p & 0xFFFF_FFFF);
                if low > (1 << 32) - range {
                    corrected += 1;
                    let extra = ((b.next_u64() >> 32) * range) >> 32;
                    want += u64::from(low + extra >= 1 << 32);
                }
                assert_eq!(index as u64, want, "n = {n}");
            }
        }
        assert!(corrected > 0, "the correction is exercised");
    }

    #[test]
    fn wilson_never_reaches_zero_or_one_and_holds_the_rate() {
        let (lo, hi) = wilson(0.0, 5.0);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.3 && hi < 0.6, "{hi}");
        let (lo, hi) = wilson(5.0, 5.0);
        assert!(lo > 0.4 && hi == 1.0);
        // Known value: 50 of 100 → [0.4038, 0.5962] (Wilson 1927).
        let (lo, hi) = wilson(50.0, 100.0);
        assert!((lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3);
    }

    #[test]
    fn equal_rates_do_not_differ_and_distant_ones_do() {
        let same = test_groups(
            "tier",
            &[("a".into(), 50, 100), ("b".into(), 100, 200)],
            1.0,
        );
        assert!(same.chi_square.abs() < 1e-12 && !same.differ);
        // 2×2 table 30/100 vs 60/100: chi-square = 18.18 (hand computation).
        let apart = test_groups("tier", &[("a".into(), 30, 100), ("b".into(), 60, 100)], 1.0);
        assert!((apart.chi_square - 18.1818).abs() < 1e-3);
        assert!(apart.differ && apart.p_value < 1e-4);
        // Clustering (a design effect of 20) can make the same table inconclusive.
        let clustered = test_groups(
            "tier",
            &[("a".into(), 30, 100), ("b".into(), 60, 100)],
            20.0,
        );
        assert!(!clustered.differ);
    }
}
