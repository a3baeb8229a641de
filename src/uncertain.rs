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
    draw_correlated(inputs, &[], seed, trials, sampling, block)
}

/// A requested rank correlation between inputs `a` and `b` (indices into the inputs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    pub a: usize,
    pub b: usize,
    pub rank: f64,
}

/// Trials per block within which Iman–Conover rearranges independent (`Random`) draws; with
/// `Lhs` the blocks are the Latin hypercube's. A constant, so the draws of a trial depend on
/// (seed, trial, input) and the block's fixed trials, never on threads or on how a run is split.
pub const CORRELATION_BLOCK: u64 = 1000;

/// As [`draw`], with the rank correlations `correlations` imposed by the Iman–Conover method
/// within each block of trials. No correlation other than 0 leaves the draws of [`draw`]
/// untouched, bit for bit. `correlations` must be consistent ([`check_correlations`]).
pub fn draw_correlated(
    inputs: &[Uncertain],
    correlations: &[Correlation],
    seed: u64,
    trials: std::ops::Range<u64>,
    sampling: Sampling,
    block: u64,
) -> Vec<f64> {
    let k = inputs.len();
    let mut u = uniforms(k, seed, trials.clone(), sampling, block);
    // The scores' correlations that give the requested rank correlations; the requested ones
    // themselves where those are not consistent (only near a singular request).
    let factor =
        |score: fn(f64) -> f64| matrix(k, correlations, score).and_then(|c| cholesky(&c, k));
    if let Some(l) = factor(normal_score_correlation).or_else(|| factor(|rank| rank)) {
        let size = match sampling {
            Sampling::Random => CORRELATION_BLOCK,
            Sampling::Lhs => block.max(1),
        };
        let mut b = trials.start / size;
        while b * size < trials.end {
            let lo = b * size;
            let mut whole = uniforms(k, seed, lo..lo + size, sampling, block);
            iman_conover(&mut whole, k, &l, seed, b);
            for t in lo.max(trials.start)..(lo + size).min(trials.end) {
                let (from, to) = ((t - lo) as usize * k, (t - trials.start) as usize * k);
                u[to..to + k].copy_from_slice(&whole[from..from + k]);
            }
            b += 1;
        }
    }
    for row in u.chunks_mut(k.max(1)) {
        for (j, x) in row.iter_mut().enumerate() {
            *x = inputs[j].at(*x);
        }
    }
    u
}

/// The uniform numbers behind the draws: `out[(t - start) * k + j]`.
fn uniforms(
    k: usize,
    seed: u64,
    trials: std::ops::Range<u64>,
    sampling: Sampling,
    block: u64,
) -> Vec<f64> {
    let n = (trials.end - trials.start) as usize;
    let mut out = vec![0.0; n * k];
    if k == 0 {
        return out;
    }
    let key = |t: u64| rng::trial_key(seed, t) ^ INPUT_STREAM;
    match sampling {
        Sampling::Random => {
            for t in trials.clone() {
                for j in 0..k {
                    let u = unit(EventStream::new(key(t), j as u64, 0).next_u64());
                    out[(t - trials.start) as usize * k + j] = u;
                }
            }
        }
        Sampling::Lhs => {
            let block = block.max(1);
            let mut b = trials.start / block;
            while b * block < trials.end {
                let lo = b * block;
                let size = block as usize;
                for j in 0..k {
                    // A permutation of the block's strata, from its own keyed stream.
                    let perm = permutation(size, seed ^ INPUT_STREAM, b, j, 1);
                    for (i, &stratum) in perm.iter().enumerate() {
                        let t = lo + i as u64;
                        if !trials.contains(&t) {
                            continue;
                        }
                        let v = unit(EventStream::new(key(t), j as u64, 0).next_u64());
                        let u = (stratum as f64 + v) / size as f64;
                        out[(t - trials.start) as usize * k + j] = u;
                    }
                }
                b += 1;
            }
        }
    }
    out
}

/// The correlation of two normal variables whose rank (Spearman) correlation is `rank`:
/// 2·sin(π·rank/6) (Pearson 1907; Kruskal 1958, *Ordinal measures of association*). Iman–Conover
/// imposes Pearson correlations on normal scores, whose ranks then have this function's inverse,
/// (6/π)·asin(r/2): a request of 0.6 imposed as is would give 0.58. ±1 and 0 map to themselves.
fn normal_score_correlation(rank: f64) -> f64 {
    if rank.abs() == 1.0 {
        rank
    } else {
        2.0 * (std::f64::consts::PI * rank / 6.0).sin()
    }
}

/// The k × k correlation matrix (row-major) with each requested rank correlation mapped by
/// `score`, or `None` when every requested correlation is 0 (nothing to impose).
fn matrix(k: usize, correlations: &[Correlation], score: fn(f64) -> f64) -> Option<Vec<f64>> {
    if correlations.iter().all(|c| c.rank == 0.0) {
        return None;
    }
    let mut c = vec![0.0; k * k];
    for i in 0..k {
        c[i * k + i] = 1.0;
    }
    for x in correlations {
        c[x.a * k + x.b] = score(x.rank);
        c[x.b * k + x.a] = score(x.rank);
    }
    Some(c)
}

/// Lower-triangular Cholesky factor of a symmetric k × k matrix, or `None` when the matrix is
/// not positive semi-definite. A pivot within 1e-10 of zero (a semi-definite matrix, e.g. two
/// inputs correlated at exactly 1) is taken as zero.
fn cholesky(c: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum();
            if i == j {
                let d = c[i * k + i] - s;
                if d < -1e-10 {
                    return None;
                }
                l[i * k + i] = d.max(0.0).sqrt();
            } else {
                let p = l[j * k + j];
                l[i * k + j] = if p > 1e-10 {
                    (c[i * k + j] - s) / p
                } else {
                    0.0
                };
            }
        }
    }
    // A zero pivot leaves its row unchecked: verify L·Lᵀ reproduces the matrix.
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..k).map(|m| l[i * k + m] * l[j * k + m]).sum();
            if (s - c[i * k + j]).abs() > 1e-6 {
                return None;
            }
        }
    }
    Some(l)
}

/// Checks that the requested correlations between `k` inputs form a positive semi-definite
/// matrix (a set of correlations that some joint distribution can have).
pub fn check_correlations(k: usize, correlations: &[Correlation]) -> bool {
    matrix(k, correlations, |rank| rank).is_none_or(|c| cholesky(&c, k).is_some())
}

/// Iman & Conover (1982): rearranges each column of the block's uniforms `u` (n × k) so that
/// their ranks follow those of a score matrix with correlation `l·lᵀ`. The scores are van der
/// Waerden scores Φ⁻¹(i/(n+1)), each column in its own order keyed by (seed, block, input);
/// their sample correlation E = F·Fᵀ is removed with F⁻¹ before L imposes the target. Each
/// column keeps its values (and so its distribution and its Latin hypercube strata): only which
/// trial gets which value changes.
fn iman_conover(u: &mut [f64], k: usize, l: &[f64], seed: u64, block: u64) {
    let n = u.len() / k.max(1);
    if n < 3 || k < 2 {
        return;
    }
    let normal = crate::dist::DistSpec::Normal { mean: 0.0, sd: 1.0 };
    let scores: Vec<f64> = (1..=n)
        .map(|i| normal.quantile(i as f64 / (n as f64 + 1.0)))
        .collect();
    let mut m = vec![0.0; n * k];
    for j in 0..k {
        let perm = permutation(n, seed ^ CORRELATION_STREAM, block, j, 2);
        for (i, &p) in perm.iter().enumerate() {
            m[i * k + j] = scores[p];
        }
    }
    let ss: f64 = scores.iter().map(|x| x * x).sum();
    let mut e = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..k {
            e[a * k + b] = (0..n).map(|i| m[i * k + a] * m[i * k + b]).sum::<f64>() / ss;
        }
    }
    let Some(f) = cholesky(&e, k) else {
        return;
    };
    let mut t = vec![0.0; n * k];
    let mut y = vec![0.0; k];
    for i in 0..n {
        // y = F⁻¹ m_i (forward substitution), then t_i = L y.
        for a in 0..k {
            let s: f64 = (0..a).map(|b| f[a * k + b] * y[b]).sum();
            y[a] = (m[i * k + a] - s) / f[a * k + a];
        }
        for a in 0..k {
            t[i * k + a] = (0..=a).map(|b| l[a * k + b] * y[b]).sum();
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut sorted = vec![0.0; n];
    for j in 0..k {
        for (i, x) in sorted.iter_mut().enumerate() {
            *x = u[i * k + j];
        }
        sorted.sort_by(f64::total_cmp);
        order.sort_by(|&a, &b| t[a * k + j].total_cmp(&t[b * k + j]).then(a.cmp(&b)));
        for (rank, &i) in order.iter().enumerate() {
            u[i * k + j] = sorted[rank];
        }
    }
}

/// A permutation of 0…n−1 (Fisher–Yates) from the stream keyed by (`key`, block, input, slot).
fn permutation(n: usize, key: u64, block: u64, input: usize, slot: u32) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut s = EventStream::new(splitmix64(key ^ splitmix64(block)), input as u64, slot);
    for i in (1..n).rev() {
        let r = (s.next_u64() % (i as u64 + 1)) as usize;
        perm.swap(i, r);
    }
    perm
}

/// Key of the score orders of Iman–Conover, apart from every other stream.
const CORRELATION_STREAM: u64 = 0x5eed_c0dd_1a7e_d0c5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::correlation;

    fn ranks(x: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..x.len()).collect();
        idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let mut r = vec![0.0; x.len()];
        for (rank, i) in idx.into_iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    }

    fn column(xs: &[f64], k: usize, j: usize) -> Vec<f64> {
        xs.iter().skip(j).step_by(k).copied().collect()
    }

    /// Three inputs of different shapes, the first two asked for a rank correlation of 0.6 and
    /// the last two −0.3.
    fn three_correlated() -> ([Uncertain; 3], [Correlation; 2]) {
        let a = input(DistSpec::Uniform { min: 0.0, max: 1.0 });
        let b = input(DistSpec::LogNormal {
            median: 1.0,
            sigma: 0.5,
        });
        let c = input(DistSpec::Normal { mean: 0.0, sd: 1.0 });
        let corr = |a, b, rank| Correlation { a, b, rank };
        ([a, b, c], [corr(0, 1, 0.6), corr(1, 2, -0.3)])
    }

    #[test]
    fn realised_rank_correlation_matches_the_request() {
        let (inputs, corr) = three_correlated();
        for sampling in [Sampling::Random, Sampling::Lhs] {
            let n = 4000;
            let xs = draw_correlated(&inputs, &corr, 11, 0..n, sampling, 1000);
            let r = |i, j| correlation(&ranks(&column(&xs, 3, i)), &ranks(&column(&xs, 3, j)));
            // Sampling error of a rank correlation over 4,000 trials is about 1/√4000 ≈ 0.016.
            assert!((r(0, 1) - 0.6).abs() < 0.05, "{sampling:?} {}", r(0, 1));
            assert!((r(1, 2) + 0.3).abs() < 0.05, "{sampling:?} {}", r(1, 2));
            assert!(r(0, 2).abs() < 0.05, "{sampling:?} {}", r(0, 2));
            // Each input keeps the values of its independent draws: only their order changes.
            let plain = draw(&inputs, 11, 0..n, sampling, 1000);
            for j in 0..3 {
                let (mut x, mut y) = (column(&xs, 3, j), column(&plain, 3, j));
                x.sort_by(f64::total_cmp);
                y.sort_by(f64::total_cmp);
                assert_eq!(x, y);
            }
        }
    }

    /// The rank correlation asked for is the one the draws have, not the normal scores' one:
    /// imposing 0.6 on the scores as is gives ranks correlated (6/π)·asin(0.3) = 0.582 on
    /// average (0.580 measured here), and −0.3 gives −0.287; the 40 blocks' averages have a
    /// standard error of about 0.0015 (block-to-block standard deviations 0.007 to 0.010).
    #[test]
    fn blocks_have_the_requested_rank_correlation_on_average() {
        let (inputs, corr) = three_correlated();
        let blocks = 40;
        let n = blocks * CORRELATION_BLOCK;
        let xs = draw_correlated(&inputs, &corr, 5, 0..n, Sampling::Random, 1000);
        let per_block = |i: usize, j: usize| -> Vec<f64> {
            xs.chunks(3 * CORRELATION_BLOCK as usize)
                .map(|block| {
                    correlation(&ranks(&column(block, 3, i)), &ranks(&column(block, 3, j)))
                })
                .collect()
        };
        for ((i, j), want) in [((0, 1), 0.6), ((1, 2), -0.3), ((0, 2), 0.0)] {
            let r = per_block(i, j);
            let mean = r.iter().sum::<f64>() / r.len() as f64;
            assert!(
                (mean - want).abs() < 0.005,
                "({i}, {j}): {mean} against {want}"
            );
        }
    }

    /// 0.5, 0.5 and −0.5 between three inputs hold together only just (their matrix is
    /// singular), and mapped for the normal scores (0.518, 0.518, −0.518) they do not: the
    /// requested values are then imposed on the scores as they are, not dropped.
    #[test]
    fn a_request_that_holds_only_unmapped_is_imposed_as_it_is() {
        let (inputs, _) = three_correlated();
        let corr = |a, b, rank| Correlation { a, b, rank };
        let edge = [corr(0, 1, 0.5), corr(1, 2, 0.5), corr(0, 2, -0.5)];
        assert!(check_correlations(3, &edge));
        assert!(
            matrix(3, &edge, normal_score_correlation)
                .and_then(|c| cholesky(&c, 3))
                .is_none()
        );
        let xs = draw_correlated(&inputs, &edge, 3, 0..4000, Sampling::Random, 1000);
        let r = |i, j| correlation(&ranks(&column(&xs, 3, i)), &ranks(&column(&xs, 3, j)));
        // Imposed as is: about (6/π)·asin(±0.25) = ±0.48 each; dropped, about 0.
        assert!(r(0, 1) > 0.4 && r(1, 2) > 0.4 && r(0, 2) < -0.4);
    }

    #[test]
    fn correlated_draws_do_not_depend_on_the_split_and_zero_changes_nothing() {
        let u = input(DistSpec::Uniform { min: 0.0, max: 1.0 });
        let inputs = [u.clone(), u];
        let corr = [Correlation {
            a: 0,
            b: 1,
            rank: 0.8,
        }];
        for sampling in [Sampling::Random, Sampling::Lhs] {
            let whole = draw_correlated(&inputs, &corr, 4, 0..2500, sampling, 700);
            let a = draw_correlated(&inputs, &corr, 4, 0..1234, sampling, 700);
            let b = draw_correlated(&inputs, &corr, 4, 1234..2500, sampling, 700);
            assert_eq!(whole, [a, b].concat());
            let zero = [Correlation {
                a: 0,
                b: 1,
                rank: 0.0,
            }];
            assert_eq!(
                draw_correlated(&inputs, &zero, 4, 0..2500, sampling, 700),
                draw(&inputs, 4, 0..2500, sampling, 700)
            );
        }
    }

    #[test]
    fn inconsistent_correlations_are_refused() {
        let c = |a, b, rank| Correlation { a, b, rank };
        assert!(check_correlations(
            3,
            &[c(0, 1, 0.9), c(1, 2, 0.9), c(0, 2, 0.8)]
        ));
        assert!(!check_correlations(
            3,
            &[c(0, 1, 0.9), c(1, 2, 0.9), c(0, 2, -0.9)]
        ));
        assert!(check_correlations(2, &[c(0, 1, 1.0)]));
    }

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
