//! The results of a run, as `summary.json` holds them: everything the tables and charts need,
//! and nothing that depends on the machine or thread count. Built from the per-trial matrix.

use serde::{Deserialize, Serialize};

use crate::engine::{TrialMatrix, plan};
use crate::metrics::{Better, MetricDef, catalogue};
use crate::model::Model;
use crate::stats::{DiffStats, Stats, summarize};
use crate::study::{Precision, Run};
use crate::uncertain::{Sampling, correlation};

/// Bumped whenever the layout of `summary.json` changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub covsim_version: String,
    pub format_version: u32,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub trials: u64,
    pub baseline: String,
    pub metrics: Vec<MetricDef>,
    pub designs: Vec<DesignResult>,
    /// How a run to a precision target went (`covsim run --precision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// The uncertain inputs, with how strongly each moved the deciding difference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputSummary>,
}

/// An uncertain input of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    pub path: String,
    pub distribution: String,
    pub sampling: Sampling,
    pub p10: f64,
    pub median: f64,
    pub p90: f64,
    /// Pearson correlation, across trials, of the input's draw with the deciding difference
    /// (contribution of the best design minus the baseline's; see `Results::deciding_pair`).
    pub correlation: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    /// SHA-256 of the scenario file and any account file.
    pub hash: String,
    pub currency: String,
    pub months: u32,
    pub accounts: usize,
    pub tiers: Vec<TierInfo>,
    pub channels: Vec<ChannelInfo>,
    pub stages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierInfo {
    pub name: String,
    pub accounts: usize,
    pub potential_per_year: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignResult {
    pub name: String,
    pub is_baseline: bool,
    /// Heads per channel, in `scenario.channels` order.
    pub headcount: Vec<f64>,
    /// Selling hours per account-stage per year (per unit of tier need) by channel; null where
    /// effort is not limited or the channel has no work in this design.
    pub effort_hours: Vec<Option<f64>>,
    pub tiers: Vec<TierPlanInfo>,
    pub metrics: Vec<MetricStats>,
    /// Paired differences against the baseline (empty for the baseline itself).
    pub vs_baseline: Vec<MetricDiff>,
}

/// The chance-free quantities of a design on a tier, to explain its results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierPlanInfo {
    pub tier: String,
    pub owners: Vec<String>,
    /// Share of the tier's potential opportunities the coverage surfaces (effort response).
    pub response: f64,
    pub p_convert: f64,
    pub p_no_handoff_failure: f64,
    pub p_conflict: f64,
    pub delay_months: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricStats {
    pub key: String,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDiff {
    pub key: String,
    #[serde(flatten)]
    pub diff: DiffStats,
}

impl Results {
    pub fn from_trials(model: &Model, m: &TrialMatrix) -> Results {
        let defs = catalogue(model);
        let plans = plan::build(model);
        let n_tiers = model.tiers.len();
        let mut scratch = Vec::with_capacity(m.trials as usize);
        let b = model.baseline;
        let designs = model
            .designs
            .iter()
            .enumerate()
            .map(|(d, design)| {
                let metrics: Vec<MetricStats> = defs
                    .iter()
                    .enumerate()
                    .map(|(k, def)| MetricStats {
                        key: def.key.clone(),
                        stats: summarize(&m.column(d, k), &mut scratch),
                    })
                    .collect();
                let vs_baseline = if d == b {
                    Vec::new()
                } else {
                    defs.iter()
                        .enumerate()
                        .map(|(k, def)| {
                            let xs = m.column(d, k);
                            let base = m.column(b, k);
                            let diffs: Vec<f64> =
                                xs.iter().zip(&base).map(|(x, y)| x - y).collect();
                            let better = diffs
                                .iter()
                                .filter(|&&x| match def.better {
                                    Better::Lower => x < 0.0,
                                    _ => x > 0.0,
                                })
                                .count();
                            let se_a = summarize(&xs, &mut scratch).se;
                            let se_b = summarize(&base, &mut scratch).se;
                            MetricDiff {
                                key: def.key.clone(),
                                diff: DiffStats {
                                    diff: summarize(&diffs, &mut scratch),
                                    share_better: better as f64 / diffs.len().max(1) as f64,
                                    se_unpaired: (se_a * se_a + se_b * se_b).sqrt(),
                                },
                            }
                        })
                        .collect()
                };
                let effort = plan::role_effort(model, d);
                let has_work: Vec<bool> = (0..model.channels.len())
                    .map(|r| {
                        design.coverage.iter().any(|c| {
                            c.owners.contains(&r) || c.specialists.iter().flatten().any(|&s| s == r)
                        })
                    })
                    .collect();
                DesignResult {
                    name: design.name.clone(),
                    is_baseline: d == b,
                    headcount: design.headcount.clone(),
                    effort_hours: effort
                        .iter()
                        .zip(&has_work)
                        .map(|(e, w)| if *w { *e } else { None })
                        .collect(),
                    tiers: (0..n_tiers)
                        .map(|t| {
                            let p = &plans[d * n_tiers + t];
                            TierPlanInfo {
                                tier: model.tiers[t].name.clone(),
                                owners: design.coverage[t]
                                    .owners
                                    .iter()
                                    .map(|&o| model.channels[o].name.clone())
                                    .collect(),
                                response: p.response,
                                p_convert: p.p_convert,
                                p_no_handoff_failure: p.p_no_handoff_failure,
                                p_conflict: p.p_conflict,
                                delay_months: p.delay_months,
                            }
                        })
                        .collect(),
                    metrics,
                    vs_baseline,
                }
            })
            .collect();
        let acc = &model.accounts;
        Results {
            covsim_version: env!("CARGO_PKG_VERSION").to_string(),
            format_version: FORMAT_VERSION,
            scenario: ScenarioInfo {
                name: model.name.clone(),
                hash: model.hash.clone(),
                currency: model.currency.clone(),
                months: model.months,
                accounts: acc.len(),
                tiers: model
                    .tiers
                    .iter()
                    .enumerate()
                    .map(|(t, tier)| TierInfo {
                        name: tier.name.clone(),
                        accounts: tier.accounts,
                        potential_per_year: acc
                            .potential
                            .iter()
                            .zip(&acc.tier)
                            .filter(|(_, x)| **x as usize == t)
                            .map(|(p, _)| p)
                            .sum(),
                    })
                    .collect(),
                channels: model
                    .channels
                    .iter()
                    .map(|c| ChannelInfo {
                        name: c.name.clone(),
                        kind: c.kind.name().to_string(),
                    })
                    .collect(),
                stages: model.stages.iter().map(|s| s.name.clone()).collect(),
            },
            seed: model.seed,
            trials: m.trials,
            baseline: model.designs[b].name.clone(),
            metrics: defs,
            designs,
            precision: None,
            inputs: Vec::new(),
        }
    }

    /// Results of a study run: the trials, and a summary of each uncertain input drawn.
    pub fn from_run(model: &Model, run: &Run) -> Results {
        let mut r = Results::from_trials(model, &run.matrix);
        if let Some((d, b)) = r.deciding_pair() {
            let m = &run.matrix;
            let k = crate::metrics::g::CONTRIBUTION;
            let diff: Vec<f64> = m
                .column(d, k)
                .iter()
                .zip(m.column(b, k))
                .map(|(x, y)| x - y)
                .collect();
            r.inputs = run
                .inputs
                .iter()
                .enumerate()
                .map(|(j, u)| InputSummary {
                    path: u.path.clone(),
                    distribution: u.spec.describe(),
                    sampling: model.sampling,
                    p10: u.at(0.1),
                    median: u.median,
                    p90: u.at(0.9),
                    correlation: correlation(&run.input(j), &diff),
                })
                .collect();
        }
        r
    }

    /// The comparison a decision rests on: (the design with the highest mean contribution,
    /// the baseline); when the baseline is the best, (the best other design, the baseline).
    pub fn deciding_pair(&self) -> Option<(usize, usize)> {
        let b = self.baseline_index();
        let mean = |d: usize| self.stat(d, "contribution").map_or(f64::MIN, |s| s.mean);
        let best = (0..self.designs.len())
            .filter(|&d| d != b)
            .max_by(|&x, &y| mean(x).total_cmp(&mean(y)))?;
        Some((best, b))
    }

    pub fn metric_index(&self, key: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m.key == key)
    }

    /// Stats of `key` for design `d`.
    pub fn stat(&self, d: usize, key: &str) -> Option<&Stats> {
        let k = self.metric_index(key)?;
        self.designs.get(d)?.metrics.get(k).map(|m| &m.stats)
    }

    /// Paired difference of `key` for design `d` against the baseline.
    pub fn diff(&self, d: usize, key: &str) -> Option<&DiffStats> {
        let k = self.metric_index(key)?;
        self.designs.get(d)?.vs_baseline.get(k).map(|m| &m.diff)
    }

    pub fn baseline_index(&self) -> usize {
        self.designs.iter().position(|d| d.is_baseline).unwrap_or(0)
    }
}
