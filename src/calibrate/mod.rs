//! `covsim calibrate`: a scenario's baseline design fitted to the team's own CRM export, with
//! the uncertainty of every estimate, and a back-test on a period the fit did not see. Bytes in,
//! bytes and values out: the CLI reads the files and writes the outputs.
//!
//! Steps: [`export::parse`] reads the export into typed records (every bad cell reported);
//! [`fit`] picks the cohorts with complete follow-up, counts, bootstraps accounts, tests the
//! breakdowns and divides the baseline design's multipliers out of the observed rates;
//! `export::calibrate` writes the calibrated scenario, calibration.md and calibration.json;
//! [`backtest`] fits before a date and simulates the months after it. docs/MODEL.md §18.

pub mod backtest;
pub mod estimate;
pub mod export;
pub mod history;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::engine::plan;
use crate::model::Model;
use crate::scenario::Scenario;
use crate::scenario::edit::{self, SetKey};
use estimate::{Estimate, GroupTest, percentile_interval, sd, test_groups, wilson};
use export::{Day, Export, Opportunity, Status, month_of, month_start, show_day, show_month};

/// Name of the account file written beside the calibrated scenario.
pub const ACCOUNTS_FILE: &str = "calibrated_accounts.csv";
/// Key of the bootstrap's random stream, distinct from every trial's (crate::rng).
const BOOTSTRAP_STREAM: u64 = u64::MAX - 15;
/// Days per month, for cycle lengths in months (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// What the user asked for beyond the files.
#[derive(Debug, Clone)]
pub struct Options {
    /// The design the export was produced under (default: the scenario's baseline).
    pub design: Option<String>,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Seed of the bootstrap and of the back-test's simulation (default: the scenario's).
    pub seed: u64,
    /// Name of the opportunities file, for comments and the report.
    pub source_name: String,
}

/// Everything known about the export at one "as of" date, before the scenario is written.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub design: String,
    /// Data as of this day (exclusive): the back-test date, or the day after the last date.
    pub as_of: String,
    pub first_close: String,
    /// Cohorts (created month) with complete follow-up: `[fit_from, fit_to)`.
    pub fit_from: String,
    pub fit_to: String,
    /// 90th percentile of days from created to closed, the follow-up a cohort needs.
    pub follow_up_days: f64,
    pub years_observed: f64,
    pub cohorts: Vec<Cohort>,
    pub truncated_cohorts: Vec<String>,
    pub counts: Counts,
    pub accounts_from: String,
    pub fit_known: bool,
    pub tiers: Vec<TierFit>,
    pub win_rate: Estimate,
    pub won: usize,
    pub closed: usize,
    pub cycle_months: Estimate,
    pub lost_cycle_months: f64,
    pub deal_list_value: Estimate,
    pub won_amount: Estimate,
    pub value_sources: BTreeMap<String, usize>,
    pub opportunities_per_account_year: Estimate,
    pub tests: Vec<GroupTest>,
    pub tier_breakdown_kept: bool,
    pub design_effect: f64,
    pub traps: Vec<String>,
    pub not_estimated: Vec<String>,
    pub product_aliases: Vec<(String, String)>,
    pub columns: Vec<(String, String)>,
    /// Per account: (id, tier, fit, potential).
    #[serde(skip)]
    pub accounts: Vec<(String, usize, f64, f64)>,
    /// Relative sd of the win rate across replicates, for the beta of the close stage.
    pub win_rate_relative_sd: f64,
    /// The multipliers of the calibrated scenario agree with those the fit divided out.
    pub settled: bool,
    /// What the stage and owner history gave (`--history`).
    pub history: Option<history::HistoryFit>,
    /// Share of the opportunities (with an account, in the rate window) that came inbound, from
    /// the source column; `None` without one (the scenario's mix is kept).
    pub inbound_share: Option<f64>,
    /// Source values seen: (value, opportunities, read as `inbound` / `prospecting`).
    pub sources: Vec<(String, usize, String)>,
    /// Where the accounts' potential came from (the accounts file's column, or derived).
    pub potential_from: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cohort {
    pub month: String,
    pub opportunities: usize,
    pub won: usize,
    pub lost: usize,
    pub open: usize,
    /// `truncated` (starts before the first close), `fit`, or `follow-up incomplete`.
    pub status: String,
    /// Share of the cohort's deals expected to have closed before the export's window, from the
    /// cycle lengths of complete cohorts (truncated cohorts only).
    pub expected_missing_share: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub opportunities: usize,
    pub won: usize,
    pub lost: usize,
    pub open: usize,
    pub open_without_created_date: usize,
    pub without_account: usize,
    pub without_account_closed: usize,
    /// Open deals in the fit cohorts, left out of the win rate (censored), and their age.
    pub open_in_fit_cohorts: usize,
    pub open_median_age_days: f64,
    pub open_max_age_days: f64,
    pub open_older_than_follow_up: usize,
    pub hidden_closes_after_as_of: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierFit {
    pub name: String,
    pub accounts: usize,
    pub opportunities: usize,
    pub per_account_year: Option<Estimate>,
    pub won: usize,
    pub closed: usize,
    pub win_rate: Option<Estimate>,
    /// Baseline multipliers divided out: share of prospecting surfaced σ, and the win-rate
    /// multiplier (effectiveness × response × lift × hand-offs × conflict).
    pub surfaced: f64,
    pub win_multiplier: f64,
    pub opportunities_per_year: f64,
    pub inbound_per_year: f64,
    /// T_t: the product of the stages' conversions up to the close that the calibrated
    /// scenario gets (the means of its inputs), [`conversion_targets`].
    pub conversion_product: f64,
    pub handoff_delay_months: f64,
}

/// The outputs of a calibration.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub fit: Fit,
    pub toml: String,
    pub accounts_csv: Vec<u8>,
    pub written: Vec<crate::export::calibrate::Written>,
}

pub(crate) fn input_error(file: &str, message: String, allowed: &str) -> Vec<Diagnostic> {
    vec![Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        key_path: String::new(),
        message,
        allowed: allowed.to_string(),
        snippet: None,
        more: 0,
    }]
}

/// The design index `opts.design` names (default the baseline).
pub fn design_index(
    model: &Model,
    design: Option<&str>,
    file: &str,
) -> Result<usize, Vec<Diagnostic>> {
    match design {
        None => Ok(model.baseline),
        Some(name) => model
            .designs
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| {
                input_error(
                    file,
                    format!("the scenario has no design `{name}`"),
                    &crate::diag::one_of(model.designs.iter().map(|d| d.name.as_str())),
                )
            }),
    }
}

/// The records as they stood on `as_of`: created before it, closes on or after it hidden.
pub fn as_of(export: &Export, day: Day) -> (Vec<Opportunity>, usize) {
    let mut hidden = 0;
    let out = export
        .opportunities
        .iter()
        .filter(|o| o.created.is_none_or(|c| c < day))
        .filter(|o| o.created.is_some() || o.status == Status::Open)
        .map(|o| {
            let mut o = o.clone();
            if o.closed.is_some_and(|c| c >= day) {
                o.closed = None;
                o.status = Status::Open;
                hidden += 1;
            }
            o
        })
        .collect();
    (out, hidden)
}

/// The last day the export mentions, plus one.
pub fn end_of_data(export: &Export) -> Day {
    export
        .opportunities
        .iter()
        .flat_map(|o| [o.created, o.closed])
        .flatten()
        .max()
        .unwrap_or(0)
        + 1
}

/// Baseline multipliers of a model, per tier: (σ, win multiplier ÷ base conversions, base
/// conversion product up to the close, hand-off delay months).
/// The baseline's multipliers on one tier (docs/MODEL.md §18), divided out of what the export
/// shows.
#[derive(Debug, Clone, Copy)]
pub struct Multipliers {
    /// σ_t: the share of prospecting the design surfaces.
    pub surfaced: f64,
    /// m_t: the win multiplier (conversion, hand-offs and conflict against the stages' product).
    pub win: f64,
    /// Hand-off delay months up to the close.
    pub delay_months: f64,
}

fn multipliers(model: &Model, d: usize) -> Vec<Multipliers> {
    let plans = plan::build(model);
    let tiers = model.tiers.len();
    (0..tiers)
        .map(|t| {
            let p = &plans[d * tiers + t];
            let c: f64 = model.stages[..=model.close_stage]
                .iter()
                .map(|s| s.conversion[t])
                .product();
            // Conflicts lose a deal with their pair's probability, on their slice of the draw.
            let scale = (1u64 << 53) as f64;
            let mut before = 0u64;
            let mut lost_to_conflict = 0.0;
            for i in &p.intruders {
                lost_to_conflict += (i.upto - before) as f64 / scale * (i.loss as f64 / scale);
                before = i.upto;
            }
            let observed = p.p_convert * p.p_no_handoff_failure * (1.0 - lost_to_conflict);
            let stage_months: f64 = model.stages[..=model.close_stage]
                .iter()
                .map(|s| s.months)
                .sum();
            let m = if c > 0.0 { observed / c } else { 1.0 };
            Multipliers {
                surfaced: p.response,
                win: m,
                delay_months: (p.delay_months - stage_months).max(0.0),
            }
        })
        .collect()
}

/// Opportunity's list value: won deals their amount before the closer's discount; lost and
/// open deals their list amount, the product's list price, or their last amount when it is not
/// 0 — never a close value of 0.
fn list_value(o: &Opportunity, export: &Export, discount: f64) -> Option<(f64, &'static str)> {
    let product = || {
        let p = o.product.as_ref()?;
        export.products.as_ref()?.get(p).copied()
    };
    if o.status == Status::Won {
        if let Some(a) = o.amount {
            return Some((a / (1.0 - discount).max(1e-9), "won amount"));
        }
    }
    if let Some(l) = o.list_amount {
        return Some((l, "list amount"));
    }
    if let Some(p) = product() {
        return Some((p, "product list price"));
    }
    match o.amount {
        Some(a) if a > 0.0 => Some((a, "last amount")),
        _ => None,
    }
}

/// Whether a source value names prospecting (outbound work) rather than inbound demand:
/// it contains `outbound`, `prospect`, `outreach`, `cold` or `purchased` (case ignored).
pub fn is_prospecting_source(v: &str) -> bool {
    let v = v.to_lowercase();
    ["outbound", "prospect", "outreach", "cold", "purchased"]
        .iter()
        .any(|w| v.contains(w))
}

/// Per-account sums, the clusters of the bootstrap.
#[derive(Debug, Clone, Default)]
struct Cluster {
    opportunities: f64,
    won: f64,
    closed: f64,
    cycle_won_days: f64,
    value: f64,
    valued: f64,
    won_amount: f64,
}

impl Cluster {
    fn add(&mut self, o: &Cluster) {
        self.opportunities += o.opportunities;
        self.won += o.won;
        self.closed += o.closed;
        self.cycle_won_days += o.cycle_won_days;
        self.value += o.value;
        self.valued += o.valued;
        self.won_amount += o.won_amount;
    }
}

/// A tier value averaged over the tiers, weighted by a count of each (unweighted when every
/// count is 0): the pooled win multiplier (by closed deals), the pooled hand-off delay (by wins).
pub fn tier_mean(fit: &Fit, weight: fn(&TierFit) -> f64, value: fn(&TierFit) -> f64) -> f64 {
    let n: f64 = fit.tiers.iter().map(weight).sum();
    if n > 0.0 {
        fit.tiers.iter().map(|t| weight(t) * value(t)).sum::<f64>() / n
    } else {
        fit.tiers.iter().map(value).sum::<f64>() / fit.tiers.len() as f64
    }
}

/// The baseline's win multiplier pooled over the tiers: their mean weighted by closed deals.
pub fn pooled_multiplier(fit: &Fit) -> f64 {
    tier_mean(fit, |t| t.closed as f64, |t| t.win_multiplier)
}

/// Per tier, T_t, the product of the conversions up to the close that the calibrated scenario
/// gets (docs/MODEL.md §18): the pooled win rate ÷ the pooled multiplier, or, when the tier
/// breakdown is kept, the tier's own win rate ÷ its multiplier; capped to [10⁻⁴, 0.9999]. With
/// it, whether the cap bit.
pub fn conversion_targets(fit: &Fit) -> Vec<(f64, bool)> {
    let pooled = pooled_multiplier(fit);
    fit.tiers
        .iter()
        .map(|tf| {
            let (w, m) = match (&tf.win_rate, fit.tier_breakdown_kept) {
                (Some(w), true) => (w.value, tf.win_multiplier),
                _ => (fit.win_rate.value, pooled),
            };
            let raw = w / m.max(1e-9);
            (raw.clamp(1e-4, 0.9999), !(1e-4..=0.9999).contains(&raw))
        })
        .collect()
}

/// Fits the export as of `day` against design `d` of `model`, tiers assigned with `mult`.
#[allow(clippy::too_many_lines)]
pub fn fit(
    model: &Model,
    d: usize,
    export: &Export,
    day: Day,
    mult: &[Multipliers],
    opts: &Options,
) -> Result<Fit, Vec<Diagnostic>> {
    let file = opts.source_name.as_str();
    let (opps, hidden) = as_of(export, day);
    let mut traps = Vec::new();
    let closed_days: Vec<Day> = opps.iter().filter_map(|o| o.closed).collect();
    let Some(&first_close) = closed_days.iter().min() else {
        return Err(input_error(
            file,
            format!(
                "no won or lost deal closed before {}: nothing to fit",
                show_day(day)
            ),
            "an export with closed deals (and a --backtest date after some of them)",
        ));
    };
    let mut w0_month = month_of(first_close);
    if month_start(w0_month) < first_close {
        w0_month += 1;
    }
    let w0 = month_start(w0_month);
    let mut cycles: Vec<f64> = opps
        .iter()
        .filter(|o| o.created.is_some_and(|c| c >= w0))
        .filter_map(|o| Some((o.closed? - o.created?) as f64))
        .collect();
    cycles.sort_by(f64::total_cmp);
    if cycles.is_empty() {
        return Err(input_error(
            file,
            format!(
                "no deal created on or after {} (the first close) has closed: the follow-up cannot be measured",
                show_day(w0)
            ),
            "an export whose window covers the life of some deals",
        ));
    }
    let p90 = crate::stats::percentile_sorted(&cycles, 0.9);
    // Cohort c is complete when its last day plus the 90th-percentile cycle is before as-of.
    let mut last = month_of(day - 1);
    while last >= w0_month && (month_start(last + 1) as f64) + p90 > day as f64 {
        last -= 1;
    }
    let (fit_from, fit_to) = if last >= w0_month {
        (w0, month_start(last + 1))
    } else {
        traps.push(format!(
            "no cohort has complete follow-up (90% of deals close within {p90:.0} days, the window is shorter): all cohorts from {} are used, open deals censored",
            show_day(w0)
        ));
        (w0, day)
    };
    let in_fit = |o: &Opportunity| o.created.is_some_and(|c| c >= fit_from && c < fit_to);
    let in_rate = |o: &Opportunity| o.created.is_some_and(|c| c >= w0 && c < day);
    let years = (day - w0) as f64 / 365.25;

    // Cohorts.
    let first_month = opps
        .iter()
        .filter_map(|o| o.created)
        .min()
        .map_or(w0_month, month_of);
    let mut cohorts = Vec::new();
    let mut truncated = Vec::new();
    for m in first_month..=month_of(day - 1) {
        let of: Vec<&Opportunity> = opps
            .iter()
            .filter(|o| o.created.is_some_and(|c| month_of(c) == m))
            .collect();
        let count = |s: Status| of.iter().filter(|o| o.status == s).count();
        let start = month_start(m);
        let (status, missing) = if start < w0 {
            // Deals of this cohort that closed before the first close are not in the export:
            // a deal created mid-month (the 16th) is missing when it closed within
            // `first close − 16th` days.
            let mid = start + 15;
            let gap = (first_close - mid) as f64;
            let share = cycles.iter().filter(|&&c| c < gap).count() as f64 / cycles.len() as f64;
            truncated.push(show_month(m));
            ("truncated".to_string(), share)
        } else if start < fit_to && start >= fit_from {
            ("fit".to_string(), 0.0)
        } else {
            ("follow-up incomplete".to_string(), 0.0)
        };
        cohorts.push(Cohort {
            month: show_month(m),
            opportunities: of.len(),
            won: count(Status::Won),
            lost: count(Status::Lost),
            open: count(Status::Open),
            status,
            expected_missing_share: missing,
        });
    }
    if !truncated.is_empty() {
        let n: usize = cohorts
            .iter()
            .filter(|c| c.status == "truncated")
            .map(|c| c.opportunities)
            .sum();
        traps.push(format!(
            "truncated early cohorts: {} ({} opportunities) were created before the first close in the export ({}), so their deals that closed early are missing; they are left out",
            truncated.join(", "),
            n,
            show_day(first_close)
        ));
    }

    // Counts.
    let mut counts = Counts {
        opportunities: opps.len(),
        hidden_closes_after_as_of: hidden,
        ..Counts::default()
    };
    for o in &opps {
        match o.status {
            Status::Won => counts.won += 1,
            Status::Lost => counts.lost += 1,
            Status::Open => counts.open += 1,
        }
        if o.status == Status::Open && o.created.is_none() {
            counts.open_without_created_date += 1;
        }
        if o.account.is_none() {
            counts.without_account += 1;
            if o.status != Status::Open {
                counts.without_account_closed += 1;
            }
        }
    }
    let mut ages: Vec<f64> = opps
        .iter()
        .filter(|o| o.status == Status::Open && in_fit(o))
        .filter_map(|o| Some((day - o.created?) as f64))
        .collect();
    ages.sort_by(f64::total_cmp);
    counts.open_in_fit_cohorts = ages.len();
    if !ages.is_empty() {
        counts.open_median_age_days = crate::stats::percentile_sorted(&ages, 0.5);
        counts.open_max_age_days = *ages.last().unwrap_or(&0.0);
        counts.open_older_than_follow_up = ages.iter().filter(|&&a| a > p90).count();
        traps.push(format!(
            "stale open deals: {} deals of the fit cohorts are still open (median age {:.0} days, oldest {:.0}; {} older than the {:.0} days in which 90% of deals close); they are censored, not counted as lost",
            ages.len(),
            counts.open_median_age_days,
            counts.open_max_age_days,
            counts.open_older_than_follow_up,
            p90
        ));
    }
    if counts.without_account > 0 {
        traps.push(format!(
            "{} opportunities have no account ({} of them closed): they count in the win rate and cycle, not in opportunities per account-year",
            counts.without_account, counts.without_account_closed
        ));
    }

    // Accounts: the accounts table, or those the export names.
    let fit_known;
    let accounts_from;
    let mut account_ids: Vec<(String, f64)> = match &export.accounts {
        Some(list) => {
            fit_known = list.iter().any(|(_, f)| f.is_some());
            accounts_from = format!("the accounts file ({} accounts)", list.len());
            list.iter()
                .map(|(id, f)| (id.clone(), f.unwrap_or(1.0)))
                .collect()
        }
        None => {
            fit_known = false;
            let mut ids: Vec<String> = opps.iter().filter_map(|o| o.account.clone()).collect();
            ids.sort();
            ids.dedup();
            accounts_from = format!("the accounts named in the export ({})", ids.len());
            ids.into_iter().map(|id| (id, 1.0)).collect()
        }
    };
    account_ids.sort_by(|a, b| a.0.cmp(&b.0));
    if !fit_known {
        traps.push("fit is unknown (no accounts file with a fit column): every account gets fit 1, so tiers are set by potential alone".into());
    }
    let index: HashMap<&str, usize> = account_ids
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let tiers = model.tiers.len();
    let design = &model.designs[d];
    let closer = |t: usize| design.coverage[t].owners[model.close_stage];
    let discount_default = model.channels[closer(tiers - 1)].price_discount;

    // Sums per account (value at the catch-all tier's discount first; all tiers share the
    // closer's discount in most baselines).
    let mut per_account = vec![Cluster::default(); account_ids.len()];
    let mut loose: Vec<Cluster> = Vec::new();
    let mut value_sources: BTreeMap<String, usize> = BTreeMap::new();
    let mut unvalued_lost = 0usize;
    let mut all_values = Vec::new();
    for o in &opps {
        let mut c = Cluster::default();
        if in_rate(o) {
            c.opportunities = 1.0;
            match list_value(o, export, discount_default) {
                Some((v, src)) => {
                    c.value = v;
                    c.valued = 1.0;
                    all_values.push(v);
                    *value_sources.entry(src.to_string()).or_default() += 1;
                }
                None => {
                    *value_sources
                        .entry("no value (left out of the mean)".into())
                        .or_default() += 1;
                    if o.status == Status::Lost {
                        unvalued_lost += 1;
                    }
                }
            }
        }
        if in_fit(o) && o.status != Status::Open {
            c.closed = 1.0;
            if o.status == Status::Won {
                c.won = 1.0;
                c.cycle_won_days = o.closed.zip(o.created).map_or(0.0, |(a, b)| (a - b) as f64);
                c.won_amount = o.amount.unwrap_or(0.0);
            }
        }
        match o.account.as_deref().and_then(|a| index.get(a)) {
            Some(&i) => per_account[i].add(&c),
            None => loose.push(c),
        }
    }
    if unvalued_lost > 0 {
        traps.push(format!(
            "{unvalued_lost} lost deals have no list amount, no product price and a close value of 0: left out of the deal value (never valued at 0)"
        ));
    }
    let lost_zero = opps
        .iter()
        .filter(|o| o.status == Status::Lost && o.amount == Some(0.0))
        .count();
    if lost_zero > 0 {
        traps.push(format!(
            "{lost_zero} lost deals have a close value of 0: they are valued from {} instead",
            if export.products.is_some() {
                "the products' list prices"
            } else {
                "their list or last amounts where known"
            }
        ));
    }
    let mean_value = if all_values.is_empty() {
        0.0
    } else {
        all_values.iter().sum::<f64>() / all_values.len() as f64
    };

    // Source: inbound against prospecting, over the opportunities of the rate window.
    let mut source_counts: BTreeMap<String, usize> = BTreeMap::new();
    let has_source = export.columns.iter().any(|(r, _)| r == "source");
    for o in opps.iter().filter(|o| in_rate(o) && o.account.is_some()) {
        if let Some(v) = &o.source {
            *source_counts.entry(v.clone()).or_default() += 1;
        }
    }
    let known: usize = source_counts.values().sum();
    let inbound_n: usize = source_counts
        .iter()
        .filter(|(k, _)| !is_prospecting_source(k))
        .map(|(_, n)| n)
        .sum();
    let inbound_share = (has_source && known > 0).then(|| inbound_n as f64 / known as f64);
    let sources: Vec<(String, usize, String)> = source_counts
        .into_iter()
        .map(|(k, n)| {
            let kind = if is_prospecting_source(&k) {
                "prospecting"
            } else {
                "inbound"
            };
            (k, n, kind.to_string())
        })
        .collect();

    // Tiers: potential = list value per year ÷ share of the tier's demand the baseline surfaces.
    // With a source column the share follows the observed inbound share φ:
    // s = 1 / ((1 − φ)/σ + φ); without one, the scenario's mix.
    let share = |t: usize| {
        let tier = &model.tiers[t];
        if let Some(phi) = inbound_share {
            return 1.0 / ((1.0 - phi) / mult[t].surfaced.max(1e-9) + phi);
        }
        let f = tier.opportunities_per_year + tier.inbound_per_year;
        if f > 0.0 {
            (tier.opportunities_per_year * mult[t].surfaced + tier.inbound_per_year) / f
        } else {
            1.0
        }
    };
    let mut accounts = Vec::new();
    let mut tier_of = vec![0usize; account_ids.len()];
    for (i, (id, fitv)) in account_ids.iter().enumerate() {
        let c = &per_account[i];
        let per_opp = if c.valued > 0.0 {
            c.value / c.valued
        } else {
            mean_value
        };
        let value_per_year = c.opportunities * per_opp / years.max(1e-9);
        let t = (0..tiers)
            .find(|&t| {
                let tier = &model.tiers[t];
                value_per_year / share(t).max(1e-9) >= tier.min_potential && *fitv >= tier.min_fit
            })
            .unwrap_or(tiers - 1);
        tier_of[i] = t;
        accounts.push((id.clone(), t, *fitv, value_per_year / share(t).max(1e-9)));
    }
    // An accounts file with a potential (annual revenue) column: potentials proportional to
    // it, scaled so that their sum over those accounts is the derived one (the column's unit
    // need not be the scenario's currency); tiers follow the scaled potential.
    let potential_from = match &export.potential_column {
        Some(col) if !export.account_potential.is_empty() => {
            let (mut derived, mut given) = (0.0, 0.0);
            for (id, _, _, p) in &accounts {
                if let Some(r) = export.account_potential.get(id) {
                    derived += p;
                    given += r;
                }
            }
            let k = if given > 0.0 { derived / given } else { 0.0 };
            let with = accounts
                .iter()
                .filter(|a| export.account_potential.contains_key(&a.0))
                .count();
            if k > 0.0 {
                for (i, a) in accounts.iter_mut().enumerate() {
                    if let Some(r) = export.account_potential.get(&a.0) {
                        a.3 = r * k;
                        let t = (0..tiers)
                            .find(|&t| {
                                let tier = &model.tiers[t];
                                a.3 >= tier.min_potential && a.2 >= tier.min_fit
                            })
                            .unwrap_or(tiers - 1);
                        a.1 = t;
                        tier_of[i] = t;
                    }
                }
            }
            format!(
                "the accounts file's `{col}` column ({with} of {} accounts), scaled by {k:.6e} so that these accounts' potentials sum to their list value per year ÷ share surfaced; accounts without a value keep the derived potential",
                accounts.len()
            )
        }
        _ => "derived: each account's list value of opportunities per year ÷ the share of its demand the baseline surfaces (no potential or revenue column in an accounts file)".to_string(),
    };

    // Cluster bootstrap over accounts, stratified by tier; deals without an account are their
    // own clusters in one more stratum.
    let mut strata: Vec<Vec<&Cluster>> = vec![Vec::new(); tiers + 1];
    for (i, c) in per_account.iter().enumerate() {
        strata[tier_of[i]].push(c);
    }
    strata[tiers].extend(loose.iter());
    let sums = |s: &[&Cluster]| {
        let mut x = Cluster::default();
        for c in s {
            x.add(c);
        }
        x
    };
    let tier_sums: Vec<Cluster> = strata.iter().map(|s| sums(s)).collect();
    let total = sums(&strata.iter().flatten().copied().collect::<Vec<_>>());
    let b = opts.replicates.max(1);
    let mut rng = crate::rng::stream(opts.seed, BOOTSTRAP_STREAM);
    let mut idx = Vec::new();
    let mut rep_tier_rate = vec![Vec::with_capacity(b); tiers];
    let mut rep_tier_win = vec![Vec::with_capacity(b); tiers];
    let (mut rep_rate, mut rep_win, mut rep_cycle, mut rep_value, mut rep_won_amount) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..b {
        let mut all = Cluster::default();
        let mut on_accounts = 0.0;
        for (s, members) in strata.iter().enumerate() {
            estimate::resample(&mut rng, members.len(), &mut idx);
            let mut x = Cluster::default();
            for &i in &idx {
                x.add(members[i]);
            }
            if s < tiers {
                on_accounts += x.opportunities;
                rep_tier_rate[s].push(x.opportunities / (members.len() as f64 * years));
                rep_tier_win[s].push(x.won / x.closed);
            }
            all.add(&x);
        }
        let accounts_n = account_ids.len() as f64;
        rep_rate.push(on_accounts / (accounts_n * years));
        rep_win.push(all.won / all.closed);
        rep_cycle.push(all.cycle_won_days / all.won / DAYS_PER_MONTH);
        rep_value.push(all.value / all.valued);
        rep_won_amount.push(all.won_amount / all.won);
    }
    let boot = |value: f64, reps: &[f64]| {
        let (low, high) = percentile_interval(reps);
        Estimate {
            value,
            low,
            high,
            method: format!(
                "cluster bootstrap over accounts, {b} replicates, 95% percentile interval"
            ),
        }
    };
    if total.closed == 0.0 {
        return Err(input_error(
            file,
            format!(
                "no deal created from {} to {} has closed: no win rate can be measured",
                show_day(fit_from),
                show_day(fit_to - 1)
            ),
            "an export with closed deals in cohorts whose follow-up is complete",
        ));
    }
    let win = total.won / total.closed;
    let win_rate = boot(win, &rep_win);
    let binomial_var = win * (1.0 - win) / total.closed;
    let design_effect = if binomial_var > 0.0 {
        (sd(&rep_win).powi(2) / binomial_var).max(1.0)
    } else {
        1.0
    };
    let cycle_months = boot(
        total.cycle_won_days / total.won.max(1.0) / DAYS_PER_MONTH,
        &rep_cycle,
    );
    let lost_cycle: Vec<f64> = opps
        .iter()
        .filter(|o| in_fit(o) && o.status == Status::Lost)
        .filter_map(|o| Some((o.closed? - o.created?) as f64 / DAYS_PER_MONTH))
        .collect();
    let lost_cycle_months = if lost_cycle.is_empty() {
        f64::NAN
    } else {
        lost_cycle.iter().sum::<f64>() / lost_cycle.len() as f64
    };
    let deal_list_value = boot(total.value / total.valued.max(1.0), &rep_value);
    let won_amount = boot(total.won_amount / total.won.max(1.0), &rep_won_amount);
    let opportunities_per_account_year = boot(
        strata[..tiers]
            .iter()
            .flatten()
            .map(|c| c.opportunities)
            .sum::<f64>()
            / (account_ids.len() as f64 * years),
        &rep_rate,
    );

    // Breakdowns.
    let mut tests = Vec::new();
    let tier_groups: Vec<(String, usize, usize)> = (0..tiers)
        .map(|t| {
            (
                model.tiers[t].name.clone(),
                tier_sums[t].won as usize,
                tier_sums[t].closed as usize,
            )
        })
        .collect();
    let tier_test = test_groups("tier", &tier_groups, design_effect);
    let tier_breakdown_kept = tier_test.differ;
    tests.push(tier_test);
    let fit_closed: Vec<&Opportunity> = opps
        .iter()
        .filter(|o| in_fit(o) && o.status != Status::Open)
        .collect();
    let group_by = |key: &dyn Fn(&Opportunity) -> Option<String>| {
        let mut g: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for o in &fit_closed {
            let e = g
                .entry(key(o).unwrap_or_else(|| "(none)".into()))
                .or_default();
            e.1 += 1;
            if o.status == Status::Won {
                e.0 += 1;
            }
        }
        g.into_iter()
            .map(|(k, (w, n))| (k, w, n))
            .collect::<Vec<_>>()
    };
    if export.columns.iter().any(|(r, _)| r == "product") {
        tests.push(test_groups(
            "product",
            &group_by(&|o| o.product.clone()),
            design_effect,
        ));
    }
    // Survivorship: owners only on won deals would read as hand-offs that never fail.
    let owned = |s: Status| {
        let n = fit_closed.iter().filter(|o| o.status == s).count().max(1) as f64;
        fit_closed
            .iter()
            .filter(|o| o.status == s && o.owner.is_some())
            .count() as f64
            / n
    };
    let survivorship = export.columns.iter().any(|(r, _)| r == "owner")
        && owned(Status::Won) >= 0.9
        && owned(Status::Lost) < 0.5;
    if survivorship {
        traps.push(format!(
            "survivorship: {:.0}% of won deals carry an owner but only {:.0}% of lost ones — owners are filled in on winning; they are not read as channels or hand-offs",
            100.0 * owned(Status::Won),
            100.0 * owned(Status::Lost)
        ));
    } else if let Some(owners) = &export.owners {
        tests.push(test_groups(
            "channel",
            &group_by(&|o| o.owner.as_ref().and_then(|w| owners.get(w).cloned())),
            design_effect,
        ));
    }
    for t in &tests {
        if t.by == "product" && t.differ {
            traps.push(format!(
                "win rates differ by product (p = {:.2e}); the model has no products, so the pooled rate is used and the differences are only reported",
                t.p_value
            ));
        } else if t.by == "channel" && t.differ {
            traps.push(format!(
                "win rates differ by channel (p = {:.2e}); in the baseline design a channel's effectiveness is confounded with the tiers it covers, so they are reported, not split",
                t.p_value
            ));
        }
    }

    // Per tier.
    let mut tier_fits = Vec::new();
    for t in 0..tiers {
        let n = strata[t].len();
        let s = &tier_sums[t];
        let per_account_year =
            (n > 0).then(|| boot(s.opportunities / (n as f64 * years), &rep_tier_rate[t]));
        let win_rate = (s.closed > 0.0).then(|| {
            let (lo, hi) = percentile_interval(&rep_tier_win[t]);
            let (wl, wh) = wilson(s.won, s.closed);
            Estimate {
                value: s.won / s.closed,
                low: lo.min(wl),
                high: hi.max(wh),
                method: "the wider of the cluster bootstrap and Wilson 95% intervals".into(),
            }
        });
        let tier = &model.tiers[t];
        tier_fits.push(TierFit {
            name: tier.name.clone(),
            accounts: n,
            opportunities: s.opportunities as usize,
            per_account_year,
            won: s.won as usize,
            closed: s.closed as usize,
            win_rate,
            surfaced: mult[t].surfaced,
            win_multiplier: mult[t].win,
            opportunities_per_year: tier.opportunities_per_year,
            inbound_per_year: tier.inbound_per_year,
            conversion_product: f64::NAN, // set from the whole fit below
            handoff_delay_months: mult[t].delay_months,
        });
    }

    let history = export.history.as_ref().map(|h| {
        history::fit(
            model,
            export,
            h,
            day,
            fit_from,
            fit_to,
            survivorship,
            opts.replicates,
            opts.seed,
        )
    });
    let mut not_estimated = Vec::new();
    match &history {
        None => {
            not_estimated.push("per-stage conversion: the export has outcomes, not stage history; the stages' product up to the close is fitted and split in the proportions the scenario gives (docs/MODEL.md §18)".to_string());
            not_estimated.push("hand-off failure and delay (`handoffs.*`): not estimable without a stage and owner history (`--history`); left as in the scenario".to_string());
        }
        Some(h) => {
            if let Some(why) = &h.conversions_refused {
                not_estimated.push(format!("per-stage conversion: {why}; the stages' product up to the close is split in the proportions the scenario gives"));
            }
            if let Some(why) = &h.handoffs_refused {
                not_estimated.push(format!(
                    "hand-off failure and delay (`handoffs.*`): not estimable: {why}; left as in the scenario"
                ));
            } else if h.handoffs.iter().all(|x| x.failure.is_none()) {
                not_estimated.push("hand-off failure (`handoffs.*`): not estimable: no channel pair has deals both handed over and kept by the receiving channel at the same stage; left as in the scenario".to_string());
            }
            if let Some(names) = h.unmatched_list() {
                traps.push(format!(
                    "stage names of the history that match no stage of the scenario (compared without case): {names}; those rows are not read"
                ));
            }
        }
    }
    if inbound_share.is_none() {
        not_estimated.push("prospecting against inbound (`opportunities_per_year` against `inbound_per_year`): the export has no source column; the split is left as in the scenario (its mix is kept)".to_string());
    }
    not_estimated.push("channel effectiveness against stage conversion: the baseline design's closer works every deal of a tier, so the two multiply; effectiveness is kept and conversion absorbs the rest".to_string());
    if !tier_breakdown_kept {
        not_estimated.push("conversion by tier: the tiers' win rates do not differ significantly; one pooled rate is used".into());
    }
    let mut fit = Fit {
        design: design.name.clone(),
        as_of: show_day(day),
        first_close: show_day(first_close),
        fit_from: show_day(fit_from),
        fit_to: show_day(fit_to),
        follow_up_days: p90,
        years_observed: years,
        cohorts,
        truncated_cohorts: truncated,
        counts,
        accounts_from,
        fit_known,
        tiers: tier_fits,
        win_rate,
        won: total.won as usize,
        closed: total.closed as usize,
        cycle_months,
        lost_cycle_months,
        deal_list_value,
        won_amount,
        value_sources,
        opportunities_per_account_year,
        tests,
        tier_breakdown_kept,
        design_effect,
        traps,
        not_estimated,
        product_aliases: export.product_aliases.clone(),
        columns: export.columns.clone(),
        accounts,
        win_rate_relative_sd: if win > 0.0 { sd(&rep_win) / win } else { 0.0 },
        settled: true,
        history,
        inbound_share,
        sources,
        potential_from,
    };
    let targets = conversion_targets(&fit);
    for (tier, (target, _)) in fit.tiers.iter_mut().zip(targets) {
        tier.conversion_product = target;
    }
    Ok(fit)
}

/// Calibrates `sc` on `export` as of `day`: fits, writes the scenario, and refits with the
/// multipliers of the calibrated scenario until they settle (they depend on the accounts and
/// rates through the hours the work needs).
pub fn calibrate(
    sc: &Scenario,
    export: &Export,
    day: Day,
    opts: &Options,
) -> Result<Calibration, Vec<Diagnostic>> {
    let (scenario_name, _, _) = sc.source();
    let d = design_index(&sc.model, opts.design.as_deref(), scenario_name)?;
    let mut mult = multipliers(&sc.model, d);
    let mut last: Option<Calibration> = None;
    let mut settled = false;
    for _ in 0..ROUNDS {
        let fit = fit(&sc.model, d, export, day, &mult, opts)?;
        let (toml, accounts_csv, written) =
            crate::export::calibrate::scenario_text(sc, &fit, opts)?;
        let model = load_calibrated(&toml, scenario_name, &accounts_csv)?;
        let next = multipliers(&model.model, d);
        settled = next.iter().zip(&mult).all(|(a, b)| {
            (a.surfaced - b.surfaced).abs() < 1e-4 * b.surfaced.max(1e-9)
                && (a.win - b.win).abs() < 1e-4 * b.win.max(1e-9)
                && (a.delay_months - b.delay_months).abs() < 1e-6
        });
        last = Some(Calibration {
            fit,
            toml,
            accounts_csv,
            written,
        });
        if settled {
            break;
        }
        // Damped: the geometric mean of the old and new multipliers, so that a rate that
        // raises the hours needed (and so lowers the response) does not overshoot.
        mult = mult
            .iter()
            .zip(&next)
            .map(|(a, b)| Multipliers {
                surfaced: (a.surfaced * b.surfaced).sqrt(),
                win: (a.win * b.win).sqrt(),
                delay_months: b.delay_months,
            })
            .collect();
    }
    let mut cal =
        last.ok_or_else(|| input_error(scenario_name, "nothing calibrated".into(), ""))?;
    if !settled {
        cal.fit.traps.push(format!(
            "the calibration did not settle in {ROUNDS} rounds: the baseline design's response to effort keeps changing with the fitted rates (its heads have too few hours for the work at the observed rates, or too many). Check `headcount`, `hours_per_opportunity` and `coverage_hours_per_account_per_year` of design `{}`; the keys written are those of the last round",
            cal.fit.design
        ));
        cal.fit.settled = false;
    }
    Ok(cal)
}

/// Rounds of fitting against the calibrated scenario's own multipliers.
const ROUNDS: usize = 25;

/// Loads a calibrated scenario text with its account file from memory.
pub fn load_calibrated(
    toml: &str,
    name: &str,
    accounts_csv: &[u8],
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut read = |p: &str| -> Result<Vec<u8>, String> {
        if p == ACCOUNTS_FILE {
            Ok(accounts_csv.to_vec())
        } else {
            Err(format!("{p} is not written by calibrate"))
        }
    };
    Scenario::load(toml, &format!("calibrated {name}"), &mut read)
}

/// The scenario text with `changes`, failing with a diagnostic on the scenario.
pub fn edit_text(text: &str, name: &str, changes: &[SetKey]) -> Result<String, Vec<Diagnostic>> {
    edit::set_keys(text, changes)
        .map_err(|e| input_error(name, e, "a scenario whose keys can be edited"))
}
