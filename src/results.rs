//! The results of a run, as `summary.json` holds them: everything the tables and charts need,
//! and nothing that depends on the machine or thread count. Built from the per-trial matrix.

use crate::metrics::Metric;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::{TrialMatrix, plan, staffing};
use crate::metrics::{Layout, monthly};
use crate::metrics::{MetricDef, catalogue};
use crate::model::{At, Model};
use crate::settings::RunSettings;
use crate::stats::correlation;
use crate::stats::{DiffStats, Stats, sorted};
use crate::study::{Precision, Run};
use crate::summary::{self, Subsample, Summary};
use crate::uncertain::{Sampling, Uncertain};

/// Bumped whenever the layout of `summary.json` changes.
pub const FORMAT_VERSION: u32 = 2;

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
    /// Month-by-month bands per design, with the payback against the baseline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monthly: Vec<MonthlyResult>,
    /// The trials percentiles (and the correlations of the inputs) were taken from, when not
    /// all of them: a run of more than one batch of trials (docs/MODEL.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentiles_from: Option<Subsample>,
}

pub use crate::stats::Band;

/// One design, month by month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyResult {
    pub design: String,
    /// `metrics[k][m]`: metric `monthly::KEYS[k]` in month `m` (0 = the first month).
    pub metrics: Vec<MonthlyMetric>,
    /// Cumulative contribution through each month minus the baseline's, paired by trial
    /// (empty for the baseline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cumulative_vs_baseline: Vec<Band>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payback: Option<Payback>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyMetric {
    pub key: String,
    pub months: Vec<Band>,
}

/// When a design has paid for its transition: the first month (1 = the end of the first month)
/// from whose end on its cumulative contribution stays at or above the baseline's through the
/// horizon. Percentiles across trials count a trial that never pays back as after the horizon;
/// `None` where that percentile lies after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payback {
    /// Share of trials that pay back within the horizon.
    pub share_paid_back: f64,
    /// The month by which 5%, 50% and 95% of the trials have paid back.
    pub p5: Option<u32>,
    pub p50: Option<u32>,
    pub p95: Option<u32>,
    /// The same month on the mean cumulative difference.
    pub of_mean: Option<u32>,
}

/// The payback month of one cumulative difference series (`None`: not within the horizon).
pub fn payback_month(cumulative: &[f64]) -> Option<u32> {
    let mut month = None;
    for (m, &x) in cumulative.iter().enumerate().rev() {
        if x < 0.0 {
            break;
        }
        month = Some(m as u32 + 1);
    }
    month
}

impl Payback {
    /// From the number of trials that pay back by the end of each month, `counts[m]` for month
    /// `m + 1`, the last entry counting the trials that do not pay back within the horizon.
    pub fn of_counts(counts: &[u64], of_mean: Option<u32>) -> Payback {
        let never = counts.len().saturating_sub(1);
        let n: u64 = counts.iter().sum();
        // The smallest month by which at least a share p of the trials have paid back.
        let at = |p: f64| -> Option<u32> {
            if n == 0 {
                return None;
            }
            let k = ((p * n as f64).ceil() as u64).clamp(1, n);
            let mut seen = 0;
            for (m, &c) in counts.iter().enumerate() {
                seen += c;
                if seen >= k {
                    return (m < never).then_some(m as u32 + 1);
                }
            }
            None
        };
        let paid: u64 = counts[..never].iter().sum();
        Payback {
            share_paid_back: paid as f64 / n.max(1) as f64,
            p5: at(0.05),
            p50: at(0.5),
            p95: at(0.95),
            of_mean,
        }
    }
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
    /// The design this one is a transition from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_from: Option<String>,
    /// Months (1 = the first) of the later steps of a transition that moves in steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<u32>,
    /// Heads per channel, in `scenario.channels` order.
    pub headcount: Vec<f64>,
    /// Hours per year each channel has at full staff (productive heads × capacity, less the
    /// off-profile share); null where its effort is not limited.
    pub hours_available: Vec<Option<f64>>,
    /// Hours per year the work assigned to each channel needs (coverage, selling, chasing).
    pub hours_needed: Vec<f64>,
    /// Productivity of each channel over the horizon, ratios of means.
    pub roles: Vec<RoleResult>,
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
    /// Probability a booked deal's post-sale stages and hand-offs all succeed.
    pub p_post_sale: f64,
    pub p_conflict: f64,
    pub delay_months: f64,
}

/// One channel's productivity in one design: ratios of means over the trials, `None` ("–")
/// where the denominator is 0 (no productive heads, no revenue closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleResult {
    pub channel: String,
    /// Productive head-years over the horizon (heads in seat, weighted by ramp).
    pub head_years: f64,
    /// Mean revenue closed ÷ productive head-years (closer credit, annualised).
    pub revenue_per_head_year: Option<f64>,
    /// Mean revenue of deals the role closed or worked up to the close ÷ productive head-years.
    pub worked_revenue_per_head_year: Option<f64>,
    /// Mean cost of the role ÷ mean revenue it closes.
    pub cost_per_revenue: Option<f64>,
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
    /// The summary of trials `m` of `model`, run with the random events of `seed`, in batches
    /// of [`summary::batch_trials`].
    pub fn from_trials(model: &Model, seed: u64, m: &TrialMatrix) -> Results {
        Results::from_batches(model, seed, m, summary::batch_trials(model))
    }

    /// The summary of trials `m` in batches of `batch` trials (see [`crate::summary`]).
    pub fn from_batches(model: &Model, seed: u64, m: &TrialMatrix, batch: u64) -> Results {
        let (s, kept, _) = summary::held(model, m, &[], 0, batch);
        Results::from_summary(model, seed, &s, &kept)
    }

    /// The results of a run whose moments and counts are `s` and whose percentiles come from
    /// the rows `kept`: all trials, or every `s.every()`-th trial of a run of several batches.
    pub fn from_summary(model: &Model, seed: u64, s: &Summary, kept: &TrialMatrix) -> Results {
        let every = s.every();
        let defs = catalogue(model);
        let plans = plan::build(model);
        let n_tiers = model.tiers.len();
        let b = model.baseline;
        let layout = Layout::of(model);
        debug_assert_eq!(defs.len(), layout.metrics());
        // Each metric's percentiles sort its own kept column: groups of neighbouring metrics
        // of every design in parallel, collected in metric order (the same numbers at any
        // thread count).
        let n_designs = model.designs.len();
        let metrics = summary::by_column_groups(n_designs, defs.len(), |d, g| {
            let mut scratch = Vec::new();
            let xs = kept.columns(d, g.clone());
            g.zip(xs.iter())
                .map(|(k, xs)| MetricStats {
                    key: defs[k].key.clone(),
                    stats: Stats::of(s.value(d, k), sorted(xs, &mut scratch)),
                })
                .collect()
        });
        let diffs = summary::by_column_groups(n_designs, defs.len(), |d, g| {
            if d == b {
                return Vec::new(); // the baseline has no differences against itself
            }
            let mut scratch = Vec::new();
            let (own, base) = (kept.columns(d, g.clone()), kept.columns(b, g.clone()));
            g.zip(own.iter().zip(base.iter()))
                .map(|(k, (xs, base))| {
                    let diffs: Vec<f64> = xs.iter().zip(base).map(|(x, y)| x - y).collect();
                    let (moments, better) = s.diff(d, k);
                    let se_a = s.value(d, k).se();
                    let se_b = s.value(b, k).se();
                    MetricDiff {
                        key: defs[k].key.clone(),
                        diff: DiffStats {
                            diff: Stats::of(moments, sorted(&diffs, &mut scratch)),
                            share_better: better as f64 / s.trials.max(1) as f64,
                            se_unpaired: (se_a * se_a + se_b * se_b).sqrt(),
                        },
                    }
                })
                .collect()
        });
        let designs = model
            .designs
            .iter()
            .enumerate()
            .zip(metrics.into_iter().zip(diffs))
            .map(|((d, design), (metrics, vs_baseline))| {
                let effort = plan::steady_effort(model, d);
                let staff = staffing::fixed_costs(model, d).staff;
                let mean = |k: usize| s.value(d, k).mean_or_sum();
                let per = |a: f64, b: f64| (b > 0.0).then(|| a / b);
                let roles = model
                    .channels
                    .iter()
                    .enumerate()
                    .map(|(r, ch)| {
                        let head_years = staff[r].head_years();
                        let closed = mean(layout.role(r, crate::metrics::ROLE_REVENUE));
                        let assisted = mean(layout.role(r, crate::metrics::ROLE_ASSIST_REVENUE));
                        let cost = mean(layout.role(r, crate::metrics::ROLE_COST));
                        RoleResult {
                            channel: ch.name.clone(),
                            head_years,
                            // 0, not null, for heads that close or work nothing: idle
                            // heads show as such (docs/MODEL.md §6).
                            revenue_per_head_year: per(closed, head_years),
                            worked_revenue_per_head_year: per(closed + assisted, head_years),
                            cost_per_revenue: per(cost, closed),
                        }
                    })
                    .collect();
                DesignResult {
                    name: design.name.clone(),
                    is_baseline: d == b,
                    transition_from: design
                        .transition_from
                        .map(|f| model.designs[f].name.clone()),
                    steps: design.steps.iter().map(|s| s.month + 1).collect(),
                    headcount: design.headcount_at(At::End).to_vec(),
                    hours_available: effort.supply.clone(),
                    hours_needed: effort.demand.clone(),
                    roles,
                    tiers: (0..n_tiers)
                        .map(|t| {
                            let p = &plans[d * n_tiers + t];
                            TierPlanInfo {
                                tier: model.tiers[t].name.clone(),
                                owners: design.coverage_at(At::End)[t]
                                    .owners
                                    .iter()
                                    .map(|&o| model.channels[o].name.clone())
                                    .collect(),
                                response: p.response,
                                p_convert: p.p_convert,
                                p_no_handoff_failure: p.p_no_handoff_failure,
                                p_post_sale: p.p_post_sale,
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
            seed,
            trials: s.trials,
            baseline: model.designs[b].name.clone(),
            metrics: defs,
            designs,
            precision: None,
            inputs: Vec::new(),
            monthly: monthly_results(model, s, kept),
            percentiles_from: (every > 1).then_some(Subsample {
                every,
                trials: kept.trials,
            }),
        }
    }

    /// Results of a study run: the trials, and a summary of each uncertain input drawn. A run
    /// summarised batch by batch as it was simulated holds its summary and its kept rows;
    /// otherwise the rows are summarised here, in batches of [`summary::batch_trials`].
    pub fn from_run(model: &Model, settings: &RunSettings, run: &Run) -> Results {
        Results::from_run_in(model, settings, run, summary::batch_trials(model))
    }

    /// [`Results::from_run`] with batches of `batch` trials for a run that holds every row.
    pub fn from_run_in(model: &Model, settings: &RunSettings, run: &Run, batch: u64) -> Results {
        let (s, kept, draws) = summary::of_run(model, run, batch);
        Results::from_parts(model, settings, &s, &kept, &run.inputs, &draws)
    }

    /// The results of a run from its summary over all trials `s`, the rows of the trials its
    /// percentiles come from (`kept`, crate::summary) and those trials' draws of the uncertain
    /// `inputs` (`draws[t * inputs.len() + j]`).
    pub fn from_parts(
        model: &Model,
        settings: &RunSettings,
        s: &Summary,
        kept: &TrialMatrix,
        inputs: &[Uncertain],
        draws: &[f64],
    ) -> Results {
        let k = inputs.len();
        let mut r = Results::from_summary(model, settings.seed, s, kept);
        if let Some((d, b)) = r.deciding_pair() {
            let c = crate::metrics::g::CONTRIBUTION;
            let diff: Vec<f64> = kept
                .column(d, c)
                .iter()
                .zip(kept.column(b, c))
                .map(|(x, y)| x - y)
                .collect();
            r.inputs = inputs
                .iter()
                .enumerate()
                .map(|(j, u)| {
                    let xs: Vec<f64> = draws.iter().skip(j).step_by(k.max(1)).copied().collect();
                    InputSummary {
                        path: u.path.clone(),
                        distribution: u.spec.describe(),
                        sampling: settings.sampling,
                        p10: u.at(0.1),
                        median: u.median,
                        p90: u.at(0.9),
                        correlation: correlation(&xs, &diff),
                    }
                })
                .collect();
        }
        r
    }

    /// The month-by-month results of design `d`, if the results have them.
    pub fn monthly_of(&self, d: usize) -> Option<&MonthlyResult> {
        let name = &self.designs.get(d)?.name;
        self.monthly.iter().find(|x| &x.design == name)
    }

    /// The comparison a decision rests on: (the design with the highest mean contribution,
    /// the baseline); when the baseline is the best, (the best other design, the baseline).
    pub fn deciding_pair(&self) -> Option<(usize, usize)> {
        let b = self.baseline_index();
        let mean = |d: usize| {
            self.stat(d, Metric::Contribution.key())
                .map_or(f64::MIN, |s| s.mean)
        };
        let best = (0..self.designs.len())
            .filter(|&d| d != b)
            .max_by(|&x, &y| mean(x).total_cmp(&mean(y)))?;
        Some((best, b))
    }

    /// The design with the highest mean contribution (the last of equals), if any.
    pub fn best_design(&self) -> Option<usize> {
        crate::stats::best((0..self.designs.len()).map(|d| {
            self.stat(d, Metric::Contribution.key())
                .map_or(0.0, |s| s.mean)
        }))
    }

    /// The channels at work in design `d`, in catalogue order: those with heads, hours of
    /// work to do, revenue closed or a cost. One definition for every table of roles.
    pub fn channels_at_work(&self, d: usize) -> Vec<usize> {
        let Some(design) = self.designs.get(d) else {
            return Vec::new();
        };
        (0..self.scenario.channels.len())
            .filter(|&c| {
                let name = &self.scenario.channels[c].name;
                let st = |w: &str| {
                    self.stat(d, &format!("role.{name}.{w}"))
                        .map_or(0.0, |x| x.mean)
                };
                design.headcount.get(c).copied().unwrap_or(0.0) != 0.0
                    || design.hours_needed.get(c).copied().unwrap_or(0.0) != 0.0
                    || st(Metric::Revenue.key()) != 0.0
                    || st("cost") != 0.0
            })
            .collect()
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

/// Bands of every monthly metric per design, the cumulative contribution against the baseline
/// and the payback month, each trial's series taken in trial order.
fn monthly_results(model: &Model, s: &Summary, kept: &TrialMatrix) -> Vec<MonthlyResult> {
    let layout = Layout::of(model);
    let months = layout.months;
    let trials = kept.trials as usize;
    let b = model.baseline;
    // Cumulative contribution of the kept trials, per trial and month, `[t * months + month]`.
    let cumulative =
        |d: usize| summary::cumulative_contribution(trials, months, |t| kept.row(t, d));
    let base = cumulative(b);
    model
        .designs
        .iter()
        .enumerate()
        .map(|(d, design)| {
            // A month's values lie side by side in the row (`Layout::month`): each month's in
            // one pass over the kept trials, months in parallel.
            let by_month: Vec<Vec<Band>> = (0..months)
                .into_par_iter()
                .map(|mo| {
                    let mut scratch = Vec::new();
                    let at = layout.month(mo, 0);
                    let xs = kept.columns(d, at..at + monthly::COUNT);
                    xs.iter()
                        .enumerate()
                        .map(|(k, xs)| Band::from(s.value(d, at + k), sorted(xs, &mut scratch)))
                        .collect()
                })
                .collect();
            let metrics = monthly::KEYS
                .iter()
                .enumerate()
                .map(|(k, (key, _))| MonthlyMetric {
                    key: key.to_string(),
                    months: by_month.iter().map(|bands| bands[k]).collect(),
                })
                .collect();
            let (cumulative_vs_baseline, payback) = if d == b {
                (Vec::new(), None)
            } else {
                let own = cumulative(d);
                let diff: Vec<f64> = own.iter().zip(&base).map(|(x, y)| x - y).collect();
                let bands: Vec<Band> = (0..months)
                    .into_par_iter()
                    .map_init(Vec::new, |scratch, mo| {
                        let xs: Vec<f64> = (0..trials).map(|t| diff[t * months + mo]).collect();
                        Band::from(s.cumulative(d, mo), sorted(&xs, scratch))
                    })
                    .collect();
                let means: Vec<f64> = bands.iter().map(|x| x.mean).collect();
                // Only a transition has something to pay back; a steady design is compared by
                // its rate, from month 1.
                let payback = design
                    .transition_from
                    .is_some()
                    .then(|| Payback::of_counts(s.paid_back(d), payback_month(&means)));
                (bands, payback)
            };
            MonthlyResult {
                design: design.name.clone(),
                metrics,
                cumulative_vs_baseline,
                payback,
            }
        })
        .collect()
}
