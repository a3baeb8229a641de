//! Probability distributions a scenario can name (segment potentials and fits). Each is
//! constructed once, when the scenario is resolved, and sampled many times.

use rand::Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal, Pert, Triangular, Uniform};

/// A distribution as the user wrote it, with its natural parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum DistSpec {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Log-normal given by its median and the standard deviation of its logarithm.
    LogNormal {
        median: f64,
        sigma: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
}

/// The names accepted in `dist = "..."`, with their parameters, for messages and docs.
pub const DIST_KINDS: &[(&str, &[&str])] = &[
    ("uniform", &["min", "max"]),
    ("triangular", &["min", "mode", "max"]),
    ("pert", &["min", "mode", "max"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["median", "sigma"]),
    ("beta", &["alpha", "beta"]),
];

/// A distribution ready to sample.
#[derive(Debug, Clone)]
pub enum Sampler {
    Fixed(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    Pert(Pert<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Beta(Beta<f64>),
}

impl DistSpec {
    /// Checks the parameters and builds the sampler; the error says what is wrong in user terms.
    pub fn build(&self) -> Result<Sampler, String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            DistSpec::Fixed(v) if v.is_finite() => Ok(Sampler::Fixed(v)),
            DistSpec::Fixed(_) => Err("the value must be finite".into()),
            DistSpec::Uniform { min, max } if finite(&[min, max]) && min < max => {
                Uniform::new(min, max)
                    .map(Sampler::Uniform)
                    .map_err(|e| e.to_string())
            }
            DistSpec::Uniform { min, max } if min == max => Ok(Sampler::Fixed(min)),
            DistSpec::Uniform { .. } => Err("uniform needs min ≤ max".into()),
            DistSpec::Triangular { min, mode, max }
                if finite(&[min, mode, max]) && min <= mode && mode <= max =>
            {
                if min == max {
                    return Ok(Sampler::Fixed(min));
                }
                Triangular::new(min, max, mode)
                    .map(Sampler::Triangular)
                    .map_err(|e| e.to_string())
            }
            DistSpec::Triangular { .. } => Err("triangular needs min ≤ mode ≤ max".into()),
            DistSpec::Pert { min, mode, max }
                if finite(&[min, mode, max]) && min <= mode && mode <= max =>
            {
                if min == max {
                    return Ok(Sampler::Fixed(min));
                }
                Pert::new(min, max)
                    .with_mode(mode)
                    .map(Sampler::Pert)
                    .map_err(|e| e.to_string())
            }
            DistSpec::Pert { .. } => Err("pert needs min ≤ mode ≤ max".into()),
            DistSpec::Normal { mean, sd } if finite(&[mean, sd]) && sd >= 0.0 => {
                if sd == 0.0 {
                    return Ok(Sampler::Fixed(mean));
                }
                Normal::new(mean, sd)
                    .map(Sampler::Normal)
                    .map_err(|e| e.to_string())
            }
            DistSpec::Normal { .. } => Err("normal needs sd ≥ 0".into()),
            DistSpec::LogNormal { median, sigma }
                if finite(&[median, sigma])
                    && median > 0.0
                    && (0.0..=LOGNORMAL_SIGMA_MAX).contains(&sigma) =>
            {
                if sigma == 0.0 {
                    return Ok(Sampler::Fixed(median));
                }
                LogNormal::new(median.ln(), sigma)
                    .map(Sampler::LogNormal)
                    .map_err(|e| e.to_string())
            }
            DistSpec::LogNormal { .. } => Err(format!(
                "lognormal needs median > 0 and sigma from 0 to {LOGNORMAL_SIGMA_MAX}"
            )),
            DistSpec::Beta { alpha, beta }
                if finite(&[alpha, beta])
                    && (BETA_MIN..=BETA_MAX).contains(&alpha)
                    && (BETA_MIN..=BETA_MAX).contains(&beta) =>
            {
                Beta::new(alpha, beta)
                    .map(Sampler::Beta)
                    .map_err(|e| e.to_string())
            }
            DistSpec::Beta { .. } => Err(format!(
                "beta needs alpha and beta from {BETA_MIN} to {BETA_MAX}"
            )),
        }
    }

    /// The distribution named `kind` with `params` in the order of `DIST_KINDS`.
    pub fn from_params(kind: &str, p: &[f64]) -> DistSpec {
        match kind {
            "uniform" => DistSpec::Uniform {
                min: p[0],
                max: p[1],
            },
            "triangular" => DistSpec::Triangular {
                min: p[0],
                mode: p[1],
                max: p[2],
            },
            "pert" => DistSpec::Pert {
                min: p[0],
                mode: p[1],
                max: p[2],
            },
            "normal" => DistSpec::Normal {
                mean: p[0],
                sd: p[1],
            },
            "lognormal" => DistSpec::LogNormal {
                median: p[0],
                sigma: p[1],
            },
            _ => DistSpec::Beta {
                alpha: p[0],
                beta: p[1],
            },
        }
    }

    /// The smallest and largest possible value, for distributions with bounded support.
    pub fn support(&self) -> Option<(f64, f64)> {
        match *self {
            DistSpec::Fixed(v) => Some((v, v)),
            DistSpec::Uniform { min, max }
            | DistSpec::Triangular { min, max, .. }
            | DistSpec::Pert { min, max, .. } => Some((min, max)),
            DistSpec::Beta { .. } => Some((0.0, 1.0)),
            DistSpec::Normal { .. } | DistSpec::LogNormal { .. } => None,
        }
    }

    /// The `p`-quantile (inverse distribution function), 0 < p < 1; for a valid spec.
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        let beta_inv = |a: f64, b: f64| beta_quantile(a, b, p);
        match *self {
            DistSpec::Fixed(v) => v,
            DistSpec::Uniform { min, max } => min + p * (max - min),
            DistSpec::Triangular { min, mode, max } => {
                if max <= min {
                    return min;
                }
                let f = (mode - min) / (max - min);
                if p < f {
                    min + (p * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - p) * (max - min) * (max - mode)).sqrt()
                }
            }
            DistSpec::Pert { min, mode, max } => {
                if max <= min {
                    return min;
                }
                let a = 1.0 + 4.0 * (mode - min) / (max - min);
                let b = 1.0 + 4.0 * (max - mode) / (max - min);
                min + (max - min) * beta_inv(a, b)
            }
            DistSpec::Normal { mean, sd } => {
                if sd == 0.0 {
                    return mean;
                }
                mean + sd * standard_normal_quantile(p)
            }
            DistSpec::LogNormal { median, sigma } => {
                median * (sigma * standard_normal_quantile(p)).exp()
            }
            DistSpec::Beta { alpha, beta } => beta_inv(alpha, beta),
        }
    }

    /// A short description for tables: `triangular(0.05, 0.1, 0.2)`.
    pub fn describe(&self) -> String {
        match *self {
            DistSpec::Fixed(v) => format!("{v}"),
            DistSpec::Uniform { min, max } => format!("uniform({min}, {max})"),
            DistSpec::Triangular { min, mode, max } => {
                format!("triangular({min}, {mode}, {max})")
            }
            DistSpec::Pert { min, mode, max } => format!("pert({min}, {mode}, {max})"),
            DistSpec::Normal { mean, sd } => format!("normal({mean}, {sd})"),
            DistSpec::LogNormal { median, sigma } => format!("lognormal({median}, {sigma})"),
            DistSpec::Beta { alpha, beta } => format!("beta({alpha}, {beta})"),
        }
    }

    /// The distribution's mean (closed form), used by tests and docs.
    pub fn mean(&self) -> f64 {
        match *self {
            DistSpec::Fixed(v) => v,
            DistSpec::Uniform { min, max } => (min + max) / 2.0,
            DistSpec::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            DistSpec::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            DistSpec::Normal { mean, .. } => mean,
            DistSpec::LogNormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
            DistSpec::Beta { alpha, beta } => alpha / (alpha + beta),
        }
    }
}

/// The largest `sigma` of a log-normal: at 3 its 99.9th percentile is already 10 000 times its
/// median; beyond, draws overflow sums.
pub const LOGNORMAL_SIGMA_MAX: f64 = 3.0;

/// The smallest and largest `alpha` and `beta` a beta distribution may have: beyond them the
/// distribution is a spike no scenario means, and its quantiles lose all precision.
pub const BETA_MIN: f64 = 1e-3;
pub const BETA_MAX: f64 = 1e4;

/// Most steps `beta_quantile` takes: it always returns, whatever the parameters.
const BETA_QUANTILE_STEPS: usize = 200;

/// The `p`-quantile of Beta(a, b): Newton's method on the regularised incomplete beta function,
/// safeguarded by bisection inside a shrinking bracket, with a fixed cap on the number of steps
/// (statrs' `inv_beta_reg` can loop forever on extreme parameters). Bisection is geometric once
/// the lower end is above zero, so quantiles near 0 are found to relative precision quickly.
pub fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) || p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    if p > 0.5 {
        // The upper tail as the lower tail of Beta(b, a): 1 − p keeps its relative precision.
        return 1.0 - beta_lower_quantile(b, a, 1.0 - p);
    }
    beta_lower_quantile(a, b, p)
}

fn beta_lower_quantile(a: f64, b: f64, p: f64) -> f64 {
    use statrs::function::beta::{beta_reg, ln_beta};
    let lnb = ln_beta(a, b);
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    let mut x = (a / (a + b)).clamp(1e-300, 1.0 - 1e-16);
    for _ in 0..BETA_QUANTILE_STEPS {
        let f = beta_reg(a, b, x) - p;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi {
            break;
        }
        let density = ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - lnb).exp();
        let newton = x - f / density;
        x = if density.is_finite() && density > 0.0 && newton > lo && newton < hi {
            newton
        } else if lo > 0.0 && hi / lo > 4.0 {
            (lo * hi).sqrt()
        } else if lo == 0.0 && hi < 0.25 {
            hi / 16.0
        } else {
            0.5 * (lo + hi)
        };
        if x <= 0.0 {
            x = f64::MIN_POSITIVE;
        }
    }
    x.clamp(0.0, 1.0)
}

/// Φ⁻¹(p) of the standard normal.
pub fn standard_normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).map_or(0.0, |n| n.inverse_cdf(p))
}

impl Sampler {
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::Pert(d) => d.sample(rng),
            Sampler::Normal(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn quantiles_invert_the_distribution() {
        let tri = DistSpec::Triangular {
            min: 0.0,
            mode: 1.0,
            max: 4.0,
        };
        // F(1) = 1/4 for this triangle; above the mode F(x) = 1 − (4 − x)²/12, so the median
        // solves (4 − x)² = 6.
        assert!((tri.quantile(0.25) - 1.0).abs() < 1e-12);
        assert!((tri.quantile(0.5) - (4.0 - 6f64.sqrt())).abs() < 1e-12);
        let n = DistSpec::Normal { mean: 3.0, sd: 2.0 };
        assert!((n.quantile(0.975) - (3.0 + 2.0 * 1.959_963_984_540_054)).abs() < 1e-7);
        let ln = DistSpec::LogNormal {
            median: 10.0,
            sigma: 0.5,
        };
        assert!((ln.quantile(0.5) - 10.0).abs() < 1e-9);
        // A symmetric PERT has its median at the mode; Beta(2, 2) at one half.
        let pert = DistSpec::Pert {
            min: 0.0,
            mode: 5.0,
            max: 10.0,
        };
        assert!((pert.quantile(0.5) - 5.0).abs() < 1e-7);
        let b = DistSpec::Beta {
            alpha: 2.0,
            beta: 5.0,
        };
        // Beta(2, 5): F(x) = 1 − (1 − x)^5 (1 + 5x); check F(Q(0.3)) = 0.3.
        let x = b.quantile(0.3);
        let f = 1.0 - (1.0 - x).powi(5) * (1.0 + 5.0 * x);
        assert!((f - 0.3).abs() < 1e-7, "{x} {f}");
        assert_eq!(DistSpec::Uniform { min: 2.0, max: 2.0 }.quantile(0.9), 2.0);
    }

    #[test]
    fn sample_means_match_closed_forms() {
        let specs = [
            DistSpec::Uniform { min: 2.0, max: 6.0 },
            DistSpec::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 5.0,
            },
            DistSpec::Pert {
                min: 0.0,
                mode: 1.0,
                max: 5.0,
            },
            DistSpec::Normal { mean: 3.0, sd: 2.0 },
            DistSpec::LogNormal {
                median: 10.0,
                sigma: 0.5,
            },
            DistSpec::Beta {
                alpha: 2.0,
                beta: 5.0,
            },
        ];
        for spec in specs {
            let s = spec.build().unwrap();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (var / n as f64).sqrt();
            assert!(
                (mean - spec.mean()).abs() < 4.0 * se,
                "{spec:?}: sample mean {mean} vs closed form {} (se {se})",
                spec.mean()
            );
        }
    }

    #[test]
    fn beta_quantiles_always_return() {
        // Closed form for Beta(1, b): Q(p) = 1 − (1 − p)^(1/b).
        for b in [1.0, 3.0, 1e3, 1e4] {
            for p in [1e-12, 0.01, 0.5, 0.99, 1.0 - 1e-12] {
                let x = beta_quantile(1.0, b, p);
                let want = -((-p).ln_1p() / b).exp_m1();
                assert!(
                    (x - want).abs() <= 1e-9 * want.max(1e-300) + 1e-300,
                    "b={b} p={p}: {x} vs {want}"
                );
            }
        }
        // Extreme parameters finish (they used to spin forever in statrs) and stay in [0, 1].
        for (a, b) in [
            (1e-3, 1e-3),
            (1e-3, 1e4),
            (1e4, 1e-3),
            (1e7, 1.0),
            (1e-9, 1e9),
        ] {
            for p in [1e-12, 0.5, 1.0 - 1e-12] {
                let x = beta_quantile(a, b, p);
                assert!((0.0..=1.0).contains(&x), "{a} {b} {p}: {x}");
            }
        }
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(
            DistSpec::Beta {
                alpha: 1.0,
                beta: 1e7
            }
            .build()
            .is_err()
        );
        assert!(DistSpec::Uniform { min: 3.0, max: 1.0 }.build().is_err());
        assert!(
            DistSpec::Beta {
                alpha: 0.0,
                beta: 1.0
            }
            .build()
            .is_err()
        );
        assert!(
            DistSpec::LogNormal {
                median: -1.0,
                sigma: 1.0
            }
            .build()
            .is_err()
        );
    }
}
