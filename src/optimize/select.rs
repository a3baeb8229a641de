//! Ranking and selection with a guarantee: the Kim–Nelson (KN) fully sequential procedure
//! (Kim & Nelson 2001, "A fully sequential procedure for indifference-zone selection in
//! simulation", ACM TOMACS 11(3):251–273), with common random numbers. docs/MODEL.md §17.

use serde::{Deserialize, Serialize};

/// The constants of one KN run, reported so that anyone can check them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnConstants {
    /// Systems (finalists) at the start.
    pub systems: usize,
    /// First-stage observations per system.
    pub n0: usize,
    /// 1 − confidence.
    pub alpha: f64,
    /// Indifference zone δ, in the objective's unit.
    pub delta: f64,
    /// η = ½·[(2α/(k−1))^(−2/(n0−1)) − 1].
    pub eta: f64,
    /// h² = 2·c·η·(n0 − 1), c = 1.
    pub h2: f64,
}

impl KnConstants {
    pub fn new(systems: usize, n0: usize, confidence: f64, delta: f64) -> KnConstants {
        let alpha = 1.0 - confidence;
        let k = systems.max(2) as f64;
        let eta = 0.5 * ((2.0 * alpha / (k - 1.0)).powf(-2.0 / (n0 as f64 - 1.0)) - 1.0);
        KnConstants {
            systems,
            n0,
            alpha,
            delta,
            eta,
            h2: 2.0 * eta * (n0 as f64 - 1.0),
        }
    }
}

/// Where a KN run stands after the observations seen so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Kn {
    pub constants: KnConstants,
    /// S²_il, the sample variance of the first-stage differences, `[i * k + l]`.
    s2: Vec<f64>,
    /// Running sums of each system's observations (in observation order).
    sums: Vec<f64>,
    /// Observations per system taken so far (the same r for every system still in).
    pub r: usize,
    /// Whether each system is still in contention.
    pub alive: Vec<bool>,
    /// The stage (r) at which each system was eliminated.
    pub eliminated_at: Vec<Option<usize>>,
    /// The most observations any system can need: max_il ⌊h²S²_il/δ²⌋ + 1.
    pub max_r: usize,
}

impl Kn {
    /// Starts from the first-stage observations `first[i][j]` (n0 of each system, maximised),
    /// made on the same trials (common random numbers).
    pub fn start(first: &[Vec<f64>], confidence: f64, delta: f64) -> Kn {
        let k = first.len();
        let n0 = first.first().map_or(0, Vec::len);
        let constants = KnConstants::new(k, n0, confidence, delta);
        let mut s2 = vec![0.0; k * k];
        let mut max_n = 0usize;
        for i in 0..k {
            for l in 0..k {
                if i == l {
                    continue;
                }
                let d: Vec<f64> = (0..n0).map(|j| first[i][j] - first[l][j]).collect();
                let mean = d.iter().sum::<f64>() / n0 as f64;
                let var =
                    d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n0 as f64 - 1.0);
                s2[i * k + l] = var;
                let n = (constants.h2 * var / (delta * delta)).floor();
                max_n = max_n.max(if n.is_finite() {
                    n.min(1e12) as usize
                } else {
                    usize::MAX / 2
                });
            }
        }
        let mut kn = Kn {
            constants,
            s2,
            sums: first.iter().map(|x| x.iter().sum()).collect(),
            r: n0,
            alive: vec![true; k],
            eliminated_at: vec![None; k],
            max_r: max_n + 1,
        };
        kn.screen();
        kn
    }

    /// Whether the procedure has stopped: one system left, or r reached max_r.
    pub fn done(&self) -> bool {
        self.alive.iter().filter(|&&a| a).count() <= 1 || self.r >= self.max_r
    }

    /// Adds one observation of each system still in (`x[i]`, ignored for the others), then
    /// screens.
    pub fn observe(&mut self, x: &[f64]) {
        for (i, v) in x.iter().enumerate() {
            if self.alive[i] {
                self.sums[i] += v;
            }
        }
        self.r += 1;
        self.screen();
    }

    fn screen(&mut self) {
        let k = self.alive.len();
        let r = self.r as f64;
        let (h2, delta) = (self.constants.h2, self.constants.delta);
        let old = self.alive.clone();
        for i in 0..k {
            if !old[i] {
                continue;
            }
            let mi = self.sums[i] / r;
            let out = (0..k).any(|l| {
                if l == i || !old[l] {
                    return false;
                }
                let w =
                    (delta / (2.0 * r) * (h2 * self.s2[i * k + l] / (delta * delta) - r)).max(0.0);
                mi < self.sums[l] / r - w
            });
            if out {
                self.alive[i] = false;
                self.eliminated_at[i] = Some(self.r);
            }
        }
    }

    /// The selected system: the one left, or the largest mean among those in at the end.
    pub fn selected(&self) -> usize {
        let r = self.r as f64;
        (0..self.alive.len())
            .filter(|&i| self.alive[i])
            .max_by(|&a, &b| {
                (self.sums[a] / r)
                    .total_cmp(&(self.sums[b] / r))
                    .then(b.cmp(&a))
            })
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_matches_the_formula() {
        // k = 2, α = 0.05, n0 = 10: η = ½(0.1^(−2/9) − 1).
        let c = KnConstants::new(2, 10, 0.95, 1.0);
        assert!((c.eta - 0.5 * (0.1f64.powf(-2.0 / 9.0) - 1.0)).abs() < 1e-15);
        assert!((c.h2 - 2.0 * c.eta * 9.0).abs() < 1e-12);
    }

    #[test]
    fn a_clear_winner_is_selected_at_once() {
        // System 1 is better by 10 in every trial with no noise in the difference.
        let base: Vec<f64> = (0..10).map(|j| j as f64).collect();
        let first = vec![base.clone(), base.iter().map(|x| x + 10.0).collect()];
        let kn = Kn::start(&first, 0.95, 1.0);
        assert!(kn.done());
        assert_eq!(kn.selected(), 1);
        assert_eq!(kn.eliminated_at[0], Some(10));
    }
}
