//! Step one of two: the scenario document as written, read from the spanned TOML tree.
//! Numbers are range-checked here (the reader knows each key path); names that refer to other
//! parts of the scenario are kept with their place, and checked in `resolve`.

use toml::Spanned;
use toml::de::DeValue;

use super::keys::{self, Dflt};
use super::reader::{
    self, Bound, Ctx, Sp, Table, declared_real, dist_table, number, string, type_name,
};
use crate::diag::one_of;
use crate::dist::DistSpec;
use crate::model::{CreditRule, HandOff, Onboarding, OnboardingPlan, Response, Settling};

#[derive(Debug, Default)]
pub struct RawScenario {
    pub name: Option<Sp<String>>,
    pub trials: u64,
    pub lhs: bool,
    pub seed: u64,
    pub months: u32,
    pub currency: String,
    pub baseline: Option<Sp<String>>,
    pub gross_margin: f64,
    pub accounts: RawAccounts,
    pub tiers: Vec<RawTier>,
    pub channels: Vec<RawChannel>,
    pub stages: Vec<RawStage>,
    pub handoff_default: HandOff,
    pub handoff_pairs: Vec<RawHandOff>,
    pub conflict: RawConflict,
    pub designs: Vec<RawDesign>,
    pub settling: Settling,
    pub coasting: f64,
    pub churn_uncovered_multiplier: f64,
    pub churn_after_failed_post_sale: f64,
}

#[derive(Debug, Default)]
pub struct RawAccounts {
    pub segments: Vec<RawSegment>,
    pub csv: Option<Sp<String>>,
    pub potential_volatility: f64,
    pub span: Option<std::ops::Range<usize>>,
}

#[derive(Debug)]
pub struct RawSegment {
    pub name: Sp<String>,
    pub count: u64,
    pub potential: Option<(DistSpec, Sp<()>)>,
    pub fit: Option<(DistSpec, Sp<()>)>,
}

#[derive(Debug)]
pub struct RawTier {
    pub name: Sp<String>,
    pub min_potential: f64,
    pub min_fit: f64,
    pub opportunities_per_year: f64,
    pub inbound_per_year: f64,
    pub coverage_hours_per_account_per_year: f64,
    pub churn_per_year: f64,
}

/// A number, or a table of numbers by tier name with an optional `default`.
#[derive(Debug, Clone)]
pub enum PerTier {
    All(f64),
    ByTier {
        /// The table's `default`, if given: a tier the table leaves out takes it; without it,
        /// every tier must be named.
        default: Option<f64>,
        values: Vec<(Sp<String>, f64)>,
        /// The table itself, to point at when a tier is missing.
        at: Sp<()>,
    },
}

#[derive(Debug)]
pub struct RawChannel {
    pub name: Sp<String>,
    pub kind: Sp<String>,
    pub cost_per_head_per_year: f64,
    pub capacity_hours_per_head_per_year: Option<f64>,
    pub fixed_cost_per_year: f64,
    pub effectiveness: PerTier,
    pub price_discount: f64,
    pub partner_margin: f64,
    pub variable_pay_rate: f64,
    pub response: Response,
    pub lift: f64,
    pub ramp: Vec<f64>,
    pub attrition_per_month: f64,
    pub replacement_delay_months: u32,
    pub off_profile_share: f64,
    pub exit_cost_per_head: f64,
    pub hiring_lead_months: u32,
    pub recruiting_fee_per_hire: f64,
}

#[derive(Debug)]
pub struct RawStage {
    pub name: Sp<String>,
    pub conversion: PerTier,
    pub months: f64,
    pub close: Option<Sp<bool>>,
    pub hours_per_opportunity: PerTier,
    pub demand_generation: Option<bool>,
}

#[derive(Debug)]
pub struct RawHandOff {
    pub from: Sp<String>,
    pub to: Sp<String>,
    pub handoff: HandOff,
}

#[derive(Debug, Default)]
pub struct RawConflict {
    pub default_overlap: f64,
    pub discount: f64,
    pub loss_probability: f64,
    pub duplicate_cost: f64,
    pub clarity_effect: f64,
    pub double_credit_factor: f64,
    pub double_credit_share: f64,
    pub pressure_half_hours: f64,
    pub chase_hours: f64,
    pub customer_loss_probability: f64,
    pub pairs: Vec<RawConflictPair>,
}

#[derive(Debug)]
pub struct RawConflictPair {
    pub owner: Sp<String>,
    pub intruder: Sp<String>,
    pub overlap: Option<f64>,
    pub discount: Option<f64>,
    pub loss_probability: Option<f64>,
    pub duplicate_cost: Option<f64>,
    pub customer_loss_probability: Option<f64>,
}

#[derive(Debug)]
pub struct RawDesign {
    pub name: Sp<String>,
    pub clarity: f64,
    pub credit: CreditRule,
    pub territory_overlap: f64,
    pub headcount: Vec<(Sp<String>, f64)>,
    pub coverage: Vec<RawCoverage>,
    pub coverage_span: Sp<()>,
    /// Later steps of a transition (`[[designs.steps]]`), in file order.
    pub steps: Vec<RawStep>,
    pub transition_from: Option<Sp<String>>,
    pub quarterback: bool,
    pub off_profile_cap: f64,
    pub onboarding: Onboarding,
}

/// `[[designs.steps]]`: from `month` (1-based) on, the tiers listed in its coverage take it.
#[derive(Debug)]
pub struct RawStep {
    pub month: Option<Sp<u64>>,
    /// Heads per channel that change at the step.
    pub headcount: Vec<(Sp<String>, f64)>,
    pub coverage: Vec<RawCoverage>,
    pub span: Sp<()>,
}

/// A requested rank correlation between two uncertain inputs (`[[correlations]]`).
#[derive(Debug, Clone)]
pub struct RawCorrelation {
    pub a: Sp<String>,
    pub b: Sp<String>,
    pub rank: f64,
    pub at: Sp<()>,
}

/// `[optimize]`: the problem of `covsim optimize` as written — texts with their places, in the
/// syntax of the command's flags. Types, unknown keys and plain ranges are checked here; names
/// (designs, channels, tiers, metrics) and the syntax of each text by `optimize::space::section`.
#[derive(Debug, Clone)]
pub struct RawOptimize {
    pub from: Option<Sp<String>>,
    pub vary: Vec<Sp<String>>,
    pub constraints: Vec<Sp<String>>,
    pub objective: Option<Sp<String>>,
    /// A number, or an amount text (`"100k"`), as text.
    pub delta: Option<Sp<String>>,
    pub confidence: Option<f64>,
    pub max_trials: Option<u64>,
    pub budget_seconds: Option<f64>,
    /// The section itself.
    pub at: Sp<()>,
    /// What is wrong in the section's form (types, unknown keys, ranges): kept apart from the
    /// rest of the scenario's problems so that they are reported together with those found
    /// against the model (`optimize::space::section`).
    pub problems: Vec<crate::diag::Diagnostic>,
}

#[derive(Debug)]
pub struct RawCoverage {
    pub tier: Sp<String>,
    pub owner: Option<Sp<String>>,
    pub owners: Vec<(Sp<String>, Sp<String>)>,
    pub specialists: Vec<(Sp<String>, Vec<Sp<String>>)>,
}

/// Defaults of the keys (`scenario::keys` declares them; docs/SCENARIO.md is generated from it),
/// also used for a section the file leaves out.
pub mod defaults {
    pub const TRIALS: u64 = 10_000;
    pub const SEED: u64 = 1;
    pub const MONTHS: u64 = 12;
    pub const GROSS_MARGIN: f64 = 0.6;
    pub const OPPORTUNITIES_PER_YEAR: f64 = 2.0;
    pub const RESPONSE_SHAPE: f64 = 1.0;
    pub const RESPONSE_HALF_SATURATION: f64 = 0.3;
    pub const HANDOFF_FAILURE: f64 = 0.05;
    pub const HANDOFF_DELAY_MONTHS: f64 = 0.0;
    pub const CONFLICT_DISCOUNT: f64 = 0.08;
    pub const CONFLICT_LOSS: f64 = 0.05;
    pub const CONFLICT_DUPLICATE_COST: f64 = 0.0;
    pub const CLARITY_EFFECT: f64 = 0.8;
    pub const DOUBLE_CREDIT_FACTOR: f64 = 0.5;
    pub const DOUBLE_CREDIT_SHARE: f64 = 1.0;
    pub const PRESSURE_HALF_HOURS: f64 = 10.0;
    pub const CHASE_HOURS: f64 = 0.0;
    pub const REPLACEMENT_DELAY_MONTHS: u64 = 2;
    pub const ONBOARDING_MONTHS: u64 = 3;
    pub const BASE_PAY_SAVED: f64 = 0.5;
}

fn sp_unit(t: &Table) -> Sp<()> {
    Sp {
        value: (),
        span: t.span.clone(),
        path: t.path.clone(),
    }
}

/// Reads the whole document; problems go to `ctx`.
pub fn read(ctx: &mut Ctx, root: &Spanned<toml::de::DeTable<'_>>) -> RawScenario {
    let mut doc = Table::new(root.get_ref(), root.span(), String::new());
    let mut raw = RawScenario {
        trials: defaults::TRIALS,
        seed: defaults::SEED,
        months: defaults::MONTHS as u32,
        currency: "EUR".into(),
        gross_margin: defaults::GROSS_MARGIN,
        churn_uncovered_multiplier: 1.0,
        ..Default::default()
    };

    match doc.table_opt(ctx, "simulation") {
        Some(mut t) => {
            raw.name = t.str_opt(ctx, "name");
            raw.trials = t.whole(ctx, "trials");
            raw.seed = t.whole(ctx, "seed");
            ctx.run_setting_spans
                .extend(["seed", "trials"].iter().filter_map(|k| t.value_span(k)));
            raw.months = t.whole(ctx, "months") as u32;
            if let Some(c) = t.str_opt(ctx, "currency") {
                raw.currency = c.value;
            }
            raw.baseline = t.str_opt(ctx, "baseline");
            raw.lhs = t.choice(ctx, "sampling") == "lhs";
            t.finish(ctx);
        }
        None if !doc.has("simulation") => {}
        None => {}
    }

    if let Some(seed) = ctx.seed {
        raw.seed = seed;
    }

    if let Some(mut t) = doc.table_or_empty(ctx, "economics") {
        raw.gross_margin = t.real(ctx, "gross_margin");
        t.finish(ctx);
    }

    match doc.table_opt(ctx, "accounts") {
        Some(t) => raw.accounts = read_accounts(ctx, t),
        None => doc.missing(
            ctx,
            "accounts",
            "an `[accounts]` section with `csv = \"file\"` or `[[accounts.segments]]`",
        ),
    }

    raw.tiers = doc
        .tables(ctx, "tiers")
        .into_iter()
        .map(|t| read_tier(ctx, t))
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    if raw.tiers.is_empty() {
        doc.missing(
            ctx,
            "tiers",
            "one or more `[[tiers]]` sections, the last a catch-all",
        );
    }

    let mut global_response = Response {
        shape: defaults::RESPONSE_SHAPE,
        half_saturation: defaults::RESPONSE_HALF_SATURATION,
    };
    if let Some(t) = doc.table_or_empty(ctx, "response") {
        global_response = read_response(ctx, t, None);
    }

    raw.channels = doc
        .tables(ctx, "channels")
        .into_iter()
        .filter_map(|t| read_channel(ctx, t, global_response))
        .collect();
    if raw.channels.is_empty() && !doc.has("channels") {
        doc.missing(ctx, "channels", "one or more `[[channels]]` sections");
    }

    raw.stages = doc
        .tables(ctx, "stages")
        .into_iter()
        .filter_map(|t| read_stage(ctx, t))
        .collect();
    if raw.stages.is_empty() && !doc.has("stages") {
        doc.missing(
            ctx,
            "stages",
            "one or more `[[stages]]` sections, in selling order",
        );
    }

    raw.handoff_default = HandOff {
        failure: defaults::HANDOFF_FAILURE,
        delay_months: defaults::HANDOFF_DELAY_MONTHS,
    };
    if let Some(mut t) = doc.table_or_empty(ctx, "handoffs") {
        raw.handoff_default = HandOff {
            failure: t.real(ctx, "default_failure"),
            delay_months: t.real(ctx, "default_delay_months"),
        };
        let default = raw.handoff_default;
        for mut p in t.tables(ctx, "pairs") {
            let from = p.str_req(ctx, "from", "a channel name");
            let to = p.str_req(ctx, "to", "a channel name");
            let handoff = HandOff {
                failure: p.real_or(ctx, "failure", default.failure),
                delay_months: p.real_or(ctx, "delay_months", default.delay_months),
            };
            p.finish(ctx);
            if let (Some(from), Some(to)) = (from, to) {
                raw.handoff_pairs.push(RawHandOff { from, to, handoff });
            }
        }
        t.finish(ctx);
    }

    raw.conflict = RawConflict {
        default_overlap: 0.0,
        discount: defaults::CONFLICT_DISCOUNT,
        loss_probability: defaults::CONFLICT_LOSS,
        duplicate_cost: defaults::CONFLICT_DUPLICATE_COST,
        clarity_effect: defaults::CLARITY_EFFECT,
        double_credit_factor: defaults::DOUBLE_CREDIT_FACTOR,
        double_credit_share: defaults::DOUBLE_CREDIT_SHARE,
        pressure_half_hours: defaults::PRESSURE_HALF_HOURS,
        chase_hours: defaults::CHASE_HOURS,
        customer_loss_probability: 0.0,
        pairs: Vec::new(),
    };
    if let Some(t) = doc.table_or_empty(ctx, "conflict") {
        raw.conflict = read_conflict(ctx, t);
    }

    raw.settling = Settling::default();
    if let Some(mut t) = doc.table_or_empty(ctx, "transition") {
        raw.settling = Settling {
            half_life_months: t.real(ctx, "settling_half_life_months"),
            conflict_multiplier: t.real(ctx, "conflict_multiplier_at_start"),
            handoff_failure_multiplier: t.real(ctx, "handoff_failure_multiplier_at_start"),
            clarity_shortening: t.real(ctx, "clarity_shortens_half_life_by"),
            quarterback_shortening: t.real(ctx, "quarterback_shortens_half_life_by"),
        };
        t.finish(ctx);
    }
    if let Some(mut t) = doc.table_or_empty(ctx, "behaviour") {
        raw.coasting = t.real(ctx, "coasting");
        raw.churn_uncovered_multiplier = t.real(ctx, "churn_uncovered_multiplier");
        raw.churn_after_failed_post_sale = t.real(ctx, "churn_after_failed_post_sale");
        t.finish(ctx);
    }

    raw.designs = doc
        .tables(ctx, "designs")
        .into_iter()
        .filter_map(|t| read_design(ctx, t))
        .collect();
    if !doc.has("designs") {
        doc.missing(ctx, "designs", "two or more `[[designs]]` sections");
    }

    for mut t in doc.tables(ctx, "correlations") {
        let a = t.str_req(ctx, "a", "the key path of an uncertain input");
        let b = t.str_req(ctx, "b", "the key path of an uncertain input");
        let rank = t.real_req(ctx, "rank");
        let at = sp_unit(&t);
        t.finish(ctx);
        if let (Some(a), Some(b), Some(rank), true) = (a, b, rank, ctx.record) {
            ctx.correlations.push(RawCorrelation { a, b, rank, at });
        }
    }
    if let Some(t) = doc.table_opt(ctx, "optimize") {
        let o = read_optimize(ctx, t);
        if ctx.record {
            ctx.optimize = Some(o);
        }
    }
    doc.finish(ctx);
    raw
}

/// The most design-trials `optimize.max_trials` may ask for, and the least (as `--max-trials`).
pub const OPTIMIZE_MAX_TRIALS: (u64, u64) = (1000, 1_000_000_000_000);

fn read_optimize(ctx: &mut Ctx, mut t: Table) -> RawOptimize {
    let mut o = RawOptimize {
        from: None,
        vary: Vec::new(),
        constraints: Vec::new(),
        objective: None,
        delta: None,
        confidence: None,
        max_trials: None,
        budget_seconds: None,
        at: sp_unit(&t),
        problems: Vec::new(),
    };
    let first_problem = ctx.diags.len();
    o.from = t.str_opt(ctx, "from");
    o.objective = t.str_opt(ctx, "objective");
    for (key, list) in [("vary", &mut o.vary), ("constraints", &mut o.constraints)] {
        let Some(v) = t.get(key) else { continue };
        let path = t.path_of(key);
        match v.get_ref() {
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = string(ctx, item, &reader::item(&path, i)) {
                        list.push(s);
                    }
                }
            }
            other => ctx.error(
                Some(v.span()),
                &path,
                format!("expected an array of strings, found {}", type_name(other)),
                if key == "vary" {
                    "a list of `key=levels` texts, e.g. `[\"headcount.inside=0..120\", \"coverage.core.owner=field|inside\"]`"
                } else {
                    "a list of `measure <= limit` texts, e.g. `[\"cost_of_sales <= 15M\"]`"
                },
            ),
        }
    }
    if let Some(v) = t.get("delta") {
        let path = t.path_of("delta");
        let text = match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Integer(_) | DeValue::Float(_) => {
                plain_number(ctx, v, &path).map(|x| x.to_string())
            }
            other => {
                ctx.error(
                    Some(v.span()),
                    &path,
                    format!("expected a number or an amount, found {}", type_name(other)),
                    "a positive amount: a number (`100000`) or a text with k, M or B (`\"100k\"`)",
                );
                None
            }
        };
        o.delta = text.map(|value| Sp {
            value,
            span: v.span(),
            path,
        });
    }
    if let Some(v) = t.get("confidence") {
        let path = t.path_of("confidence");
        o.confidence = setting_number(
            ctx,
            v,
            &path,
            |x| x > 0.5 && x < 1.0,
            "more than 0.5 and less than 1 (e.g. 0.95)",
        );
    }
    if let Some(v) = t.get("budget_seconds") {
        let path = t.path_of("budget_seconds");
        o.budget_seconds =
            setting_number(ctx, v, &path, |x| x > 0.0, "a positive number of seconds");
    }
    if t.get("max_trials").is_some() {
        let (lo, hi) = OPTIMIZE_MAX_TRIALS;
        o.max_trials = Some(t.u64_or(ctx, "max_trials", lo, hi, lo));
    }
    t.finish(ctx);
    o.problems = ctx.diags.split_off(first_problem);
    o
}

/// A number that is a setting, not a parameter of the model: neither recorded in the registry
/// nor open to overrides or distributions.
fn plain_number(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str) -> Option<f64> {
    super::reader::literal(ctx, v, path, Bound::Any)
}

/// A setting's number that `admits` accepts; any other value (a text, a number out of range)
/// is an error that says what `allowed` is.
fn setting_number(
    ctx: &mut Ctx,
    v: &Spanned<DeValue<'_>>,
    path: &str,
    admits: fn(f64) -> bool,
    allowed: &str,
) -> Option<f64> {
    let problem = match super::reader::number_of(v.get_ref()) {
        Ok(Some(x)) if x.is_finite() && admits(x) => return Some(x),
        Ok(Some(x)) => format!("{} is out of range for `{path}`", super::reader::show(x)),
        Ok(None) => "not a valid number".to_string(),
        Err(other) => format!(
            "expected a number, found {}",
            super::reader::type_name(other)
        ),
    };
    ctx.error(Some(v.span()), path, problem, allowed);
    None
}

fn read_accounts(ctx: &mut Ctx, mut t: Table) -> RawAccounts {
    let mut acc = RawAccounts {
        span: Some(t.span.clone()),
        ..Default::default()
    };
    acc.csv = t.str_opt(ctx, "csv");
    acc.potential_volatility = t.real(ctx, "potential_volatility");
    // A variant that reuses the nominal account base does not read the segments again: they
    // were read and checked when the scenario was loaded, and nothing else uses them.
    let segments = if ctx.reuse.is_some() {
        t.get("segments");
        Vec::new()
    } else {
        t.tables(ctx, "segments")
    };
    for mut s in segments {
        let name = s.str_req(ctx, "name", "a segment name");
        let count = s.whole(ctx, "count");
        if !s.has("count") {
            s.missing(ctx, "count", "a whole number of accounts");
        }
        let potential = dist_field(ctx, &mut s, "potential");
        let fit = dist_field(ctx, &mut s, "fit");
        if potential.is_none() && !s.has("potential") {
            s.missing(ctx, "potential", "annual potential: a number or `{ dist = \"lognormal\", median = ..., sigma = ... }`");
        }
        s.finish(ctx);
        if let Some(name) = name {
            acc.segments.push(RawSegment {
                name,
                count,
                potential,
                fit,
            });
        }
    }
    if acc.csv.is_some() && !acc.segments.is_empty() {
        ctx.error(
            Some(t.span.clone()),
            "accounts",
            "both `csv` and `segments` are given",
            "either `csv = \"file\"` or `[[accounts.segments]]`, not both",
        );
    }
    if acc.csv.is_none() && acc.segments.is_empty() && !t.has("segments") {
        ctx.error(
            Some(t.span.clone()),
            "accounts",
            "no accounts: neither `csv` nor `segments` is given",
            "`csv = \"accounts.csv\"` or one or more `[[accounts.segments]]`",
        );
    }
    t.finish(ctx);
    acc
}

/// A number, or `{ dist = "...", params }`; `bound` applies to a plain number and to the
/// location parameters of a distribution.
fn dist_field(ctx: &mut Ctx, t: &mut Table, key: &'static str) -> Option<(DistSpec, Sp<()>)> {
    let v = t.get(key)?;
    let path = t.path_of(key);
    let (bound, _) = declared_real(&path);
    let here = Sp {
        value: (),
        span: v.span(),
        path: path.clone(),
    };
    if let DeValue::Table(_) = v.get_ref() {
        dist_table(ctx, v, &path).map(|spec| (spec, here))
    } else {
        number(ctx, v, &path, bound).map(|x| (DistSpec::Fixed(x), here))
    }
}

fn read_tier(ctx: &mut Ctx, mut t: Table) -> Option<RawTier> {
    let name = t.str_req(ctx, "name", "a tier name such as \"key\"");
    let tier = RawTier {
        name: name.clone().unwrap_or(Sp {
            value: String::new(),
            span: t.span.clone(),
            path: t.path.clone(),
        }),
        min_potential: t.real(ctx, "min_potential"),
        min_fit: t.real(ctx, "min_fit"),
        opportunities_per_year: t.real(ctx, "opportunities_per_year"),
        inbound_per_year: t.real(ctx, "inbound_per_year"),
        coverage_hours_per_account_per_year: t.real(ctx, "coverage_hours_per_account_per_year"),
        churn_per_year: t.real(ctx, "churn_per_year"),
    };
    let total = tier.opportunities_per_year + tier.inbound_per_year;
    if total <= 0.0 {
        ctx.error(
            Some(t.span.clone()),
            &t.path_of("opportunities_per_year"),
            "opportunities_per_year + inbound_per_year is 0: the tier's accounts bring no opportunity",
            "opportunities_per_year + inbound_per_year above 0",
        );
    }
    t.finish(ctx);
    name.map(|_| tier)
}

/// `[response]` (no `base`: the declared defaults) or a channel's `response` (falling back
/// to `base`, the `[response]` values).
fn read_response(ctx: &mut Ctx, mut t: Table, base: Option<Response>) -> Response {
    let r = match base {
        None => Response {
            shape: t.real(ctx, "shape"),
            half_saturation: t.real(ctx, "half_saturation"),
        },
        Some(base) => Response {
            shape: t.real_or(ctx, "shape", base.shape),
            half_saturation: t.real_or(ctx, "half_saturation", base.half_saturation),
        },
    };
    t.finish(ctx);
    r
}

/// A number or a table by tier (`keys::Kind::PerTier`) with a constant default, with the
/// bound and default of its declaration.
fn per_tier_key(ctx: &mut Ctx, t: &mut Table, key: &'static str) -> PerTier {
    let path = t.path_of(key);
    let (bound, default) = declared_real(&path);
    let Dflt::Const(fallback) = default else {
        panic!("`{path}` has no constant default");
    };
    match t.get(key) {
        Some(v) => per_tier(ctx, v, &path, bound, fallback),
        None => PerTier::All(fallback),
    }
}

fn per_tier(
    ctx: &mut Ctx,
    v: &Spanned<DeValue<'_>>,
    path: &str,
    bound: Bound,
    default: f64,
) -> PerTier {
    match v.get_ref() {
        // A table with `dist` is one distribution for every tier (an uncertain input at
        // `path`), not a table by tier.
        DeValue::Table(t) if t.get("dist").is_none() => {
            let Some(mut t) = Table::from_value(ctx, v, path) else {
                return PerTier::All(default);
            };
            let at = sp_unit(&t);
            let mut values = Vec::new();
            let mut tier_default = None;
            for (k, val) in t.entries() {
                if let Some(x) = number(ctx, val, &k.path, bound) {
                    if k.value == "default" {
                        tier_default = Some(x);
                    } else {
                        values.push((k, x));
                    }
                }
            }
            t.finish(ctx);
            PerTier::ByTier {
                default: tier_default,
                values,
                at,
            }
        }
        _ => PerTier::All(number(ctx, v, path, bound).unwrap_or(default)),
    }
}

/// What `kind` allows, worked out once (not on every variant of a scenario).
static CHANNEL_KINDS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| one_of(crate::model::ChannelKind::NAMES.iter().copied()));

fn read_channel(ctx: &mut Ctx, mut t: Table, global: Response) -> Option<RawChannel> {
    let name = t.str_req(ctx, "name", "a channel name such as \"field\"");
    let kind = t.str_req(ctx, "kind", &CHANNEL_KINDS);
    let cost = t.real(ctx, "cost_per_head_per_year");
    let capacity = t.real_opt(ctx, "capacity_hours_per_head_per_year");
    let fixed = t.real(ctx, "fixed_cost_per_year");
    let effectiveness = per_tier_key(ctx, &mut t, "effectiveness");
    let price_discount = t.real(ctx, "price_discount");
    let partner_margin = t.real(ctx, "partner_margin");
    let variable_pay_rate = t.real(ctx, "variable_pay_rate");
    let response = match t.table_opt(ctx, "response") {
        Some(r) => read_response(ctx, r, Some(global)),
        None => global,
    };
    let lift = t.real(ctx, "lift");
    let ramp_months = t.real_opt(ctx, "ramp_months");
    let ramp_list = t.get("ramp").map(|v| numbers(ctx, v, &t.path_of("ramp")));
    let ramp = match (ramp_months, ramp_list) {
        (Some(_), Some(_)) => {
            ctx.error(
                Some(t.span.clone()),
                &t.path_of("ramp"),
                "both `ramp` and `ramp_months` are given",
                "one of them: `ramp_months = 6` (a linear ramp) or `ramp = [0.2, 0.5, 0.8]`",
            );
            Vec::new()
        }
        (Some(n), None) => linear_ramp(n),
        (None, Some(list)) => list,
        (None, None) => Vec::new(),
    };
    let attrition_per_month = t.real(ctx, "attrition_per_month");
    let hiring_lead = t.whole_opt(ctx, "hiring_lead_months");
    // Replacements of leavers use the hiring lead time, where it is above 0, unless told
    // otherwise; so writing the lead's default, 0, is the same as leaving it out.
    let replacement_delay_months = t.whole_or(
        ctx,
        "replacement_delay_months",
        hiring_lead
            .filter(|&l| l > 0)
            .unwrap_or(defaults::REPLACEMENT_DELAY_MONTHS),
    ) as u32;
    let recruiting_fee_per_hire = t.real(ctx, "recruiting_fee_per_hire");
    let off_profile_share = t.real(ctx, "off_profile_share");
    let exit_cost_per_head = t.real(ctx, "exit_cost_per_head");
    t.finish(ctx);
    Some(RawChannel {
        name: name?,
        kind: kind?,
        cost_per_head_per_year: cost,
        capacity_hours_per_head_per_year: capacity,
        fixed_cost_per_year: fixed,
        effectiveness,
        price_discount,
        partner_margin,
        variable_pay_rate,
        response,
        lift,
        ramp,
        attrition_per_month,
        replacement_delay_months,
        off_profile_share,
        exit_cost_per_head,
        hiring_lead_months: hiring_lead.unwrap_or(0) as u32,
        recruiting_fee_per_hire,
    })
}

/// The monthly productivity of a head whose productivity rises linearly from 0 on joining to 1
/// after `n` months: month `k` averages `min(1, t/n)` over `t ∈ [k, k+1]`. The head-months lost
/// over the ramp are exactly `n/2`.
pub fn linear_ramp(n: f64) -> Vec<f64> {
    (0..n.ceil() as usize)
        .map(|k| {
            let k = k as f64;
            if k + 1.0 <= n {
                (k + 0.5) / n
            } else {
                (n * n - k * k) / (2.0 * n) + (k + 1.0 - n)
            }
        })
        .collect()
}

/// An array of at most `max` numbers within `bound`.
/// A list of numbers (`keys::Kind::Numbers`), with the bound and length of its declaration.
fn numbers(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str) -> Vec<f64> {
    let keys::Kind::Numbers(bound, max) = keys::key(path).kind else {
        panic!("`{path}` is not a list of numbers");
    };
    match v.get_ref() {
        DeValue::Array(items) if items.len() <= max => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| number(ctx, item, &reader::item(path, i), bound))
            .collect(),
        other => {
            let found = match other {
                DeValue::Array(items) => format!("{} numbers", items.len()),
                other => super::reader::type_name(other).to_string(),
            };
            ctx.error(
                Some(v.span()),
                path,
                format!("expected a list of numbers, found {found}"),
                format!("a list of at most {max} numbers, each {}", bound.describe()),
            );
            Vec::new()
        }
    }
}

fn boolean(ctx: &mut Ctx, t: &mut Table, key: &'static str) -> Option<Sp<bool>> {
    let path = t.path_of(key);
    let v = t.get(key)?;
    match v.get_ref() {
        DeValue::Boolean(b) => Some(Sp {
            value: *b,
            span: v.span(),
            path,
        }),
        other => {
            ctx.error(
                Some(v.span()),
                &path,
                format!(
                    "expected true or false, found {}",
                    super::reader::type_name(other)
                ),
                "true or false",
            );
            None
        }
    }
}

fn read_onboarding(ctx: &mut Ctx, mut t: Table) -> Onboarding {
    let plan = t.choice(ctx, "plan");
    let months = t.whole(ctx, "months") as u32;
    let effort = t.real(ctx, "effort");
    // Each plan's own parameters; another plan's parameter is an error, not silently unused.
    let own: &[&'static str] = match plan {
        "guarantee" => &["guarantee_per_month"],
        "full_commission" => &["commission_rate", "base_pay_saved"],
        "reduced_target" => &["target_share"],
        _ => &[],
    };
    for key in [
        "guarantee_per_month",
        "commission_rate",
        "base_pay_saved",
        "target_share",
    ] {
        if t.has(key) && !own.contains(&key) {
            let _ = t.get(key);
            ctx.error(
                Some(t.span.clone()),
                &t.path_of(key),
                format!("`{key}` does not apply to plan = \"{plan}\""),
                match key {
                    "guarantee_per_month" => "`guarantee_per_month` only with plan = \"guarantee\"",
                    "target_share" => "`target_share` only with plan = \"reduced_target\"",
                    _ => "`commission_rate` and `base_pay_saved` only with plan = \"full_commission\"",
                },
            );
        }
    }
    let plan = match plan {
        "guarantee" => OnboardingPlan::Guarantee {
            per_month: t.real_req(ctx, "guarantee_per_month").unwrap_or(0.0),
        },
        "full_commission" => OnboardingPlan::FullCommission {
            commission_rate: t.real_req(ctx, "commission_rate").unwrap_or(0.0),
            base_pay_saved: t.real(ctx, "base_pay_saved"),
        },
        "reduced_target" => OnboardingPlan::ReducedTarget {
            target_share: t.real_req(ctx, "target_share").unwrap_or(1.0),
        },
        _ => OnboardingPlan::None,
    };
    t.finish(ctx);
    Onboarding {
        plan,
        months,
        effort,
    }
}

fn read_stage(ctx: &mut Ctx, mut t: Table) -> Option<RawStage> {
    let name = t.str_req(ctx, "name", "a stage name such as \"qualify\"");
    let (conversion_bound, _) = declared_real(&t.path_of("conversion"));
    let conversion = match t.get("conversion") {
        Some(v) => per_tier(ctx, v, &t.path_of("conversion"), conversion_bound, 1.0),
        None => {
            t.missing(
                ctx,
                "conversion",
                "a probability, or a table of probabilities by tier",
            );
            PerTier::All(1.0)
        }
    };
    let months = t.real(ctx, "months");
    let hours_per_opportunity = per_tier_key(ctx, &mut t, "hours_per_opportunity");
    let demand_generation = boolean(ctx, &mut t, "demand_generation").map(|b| b.value);
    let close = t.get("close").and_then(|v| match v.get_ref() {
        DeValue::Boolean(b) => Some(Sp {
            value: *b,
            span: v.span(),
            path: t.path_of("close"),
        }),
        other => {
            ctx.error(
                Some(v.span()),
                &t.path_of("close"),
                format!(
                    "expected true or false, found {}",
                    super::reader::type_name(other)
                ),
                "true or false",
            );
            None
        }
    });
    t.finish(ctx);
    Some(RawStage {
        name: name?,
        conversion,
        months,
        close,
        hours_per_opportunity,
        demand_generation,
    })
}

fn read_conflict(ctx: &mut Ctx, mut t: Table) -> RawConflict {
    let mut c = RawConflict {
        default_overlap: t.real(ctx, "default_overlap"),
        discount: t.real(ctx, "discount"),
        loss_probability: t.real(ctx, "loss_probability"),
        duplicate_cost: t.real(ctx, "duplicate_cost"),
        clarity_effect: t.real(ctx, "clarity_effect"),
        double_credit_factor: t.real(ctx, "double_credit_factor"),
        double_credit_share: t.real(ctx, "double_credit_share"),
        pressure_half_hours: t.real(ctx, "pressure_half_hours"),
        chase_hours: t.real(ctx, "chase_hours"),
        customer_loss_probability: t.real(ctx, "customer_loss_probability"),
        pairs: Vec::new(),
    };
    for mut p in t.tables(ctx, "pairs") {
        let owner = p.str_req(ctx, "owner", "the channel that owns the deal");
        let intruder = p.str_req(ctx, "intruder", "the channel that also pursues it");
        let pair = (
            p.real_opt(ctx, "overlap"),
            p.real_opt(ctx, "discount"),
            p.real_opt(ctx, "loss_probability"),
            p.real_opt(ctx, "duplicate_cost"),
            p.real_opt(ctx, "customer_loss_probability"),
        );
        p.finish(ctx);
        if let (Some(owner), Some(intruder)) = (owner, intruder) {
            c.pairs.push(RawConflictPair {
                owner,
                intruder,
                overlap: pair.0,
                discount: pair.1,
                loss_probability: pair.2,
                duplicate_cost: pair.3,
                customer_loss_probability: pair.4,
            });
        }
    }
    t.finish(ctx);
    c
}

/// `headcount = { channel = heads, ... }` of a design or a step (empty when absent).
fn read_headcount(ctx: &mut Ctx, t: &mut Table) -> Vec<(Sp<String>, f64)> {
    let mut headcount = Vec::new();
    if let Some(mut h) = t.table_opt(ctx, "headcount") {
        let keys::Kind::Heads(bound) = keys::key(&h.path).kind else {
            panic!("`{}` is not a table of heads", h.path);
        };
        for (k, v) in h.entries() {
            if let Some(x) = number(ctx, v, &k.path, bound) {
                headcount.push((k, x));
            }
        }
        h.finish(ctx);
    }
    headcount
}

/// `coverage` of a design or a step: one `[…coverage.<tier>]` table per tier.
fn read_coverage(ctx: &mut Ctx, t: &mut Table, allowed: &str) -> (Vec<RawCoverage>, Sp<()>) {
    let mut coverage = Vec::new();
    let coverage_span;
    match t.table_opt(ctx, "coverage") {
        Some(mut c) => {
            coverage_span = sp_unit(&c);
            for (tier, v) in c.entries() {
                let Some(mut ct) = Table::from_value(ctx, v, &tier.path) else {
                    continue;
                };
                let owner = ct.str_opt(ctx, "owner");
                let mut owners = Vec::new();
                if let Some(mut o) = ct.table_opt(ctx, "owners") {
                    for (stage, v) in o.entries() {
                        if let Some(ch) = string(ctx, v, &stage.path) {
                            owners.push((stage, ch));
                        }
                    }
                    o.finish(ctx);
                }
                let mut specialists = Vec::new();
                if let Some(mut s) = ct.table_opt(ctx, "specialists") {
                    for (stage, v) in s.entries() {
                        let path = stage.path.clone();
                        specialists.push((stage, names_or_list(ctx, v, &path)));
                    }
                    s.finish(ctx);
                }
                ct.finish(ctx);
                coverage.push(RawCoverage {
                    tier,
                    owner,
                    owners,
                    specialists,
                });
            }
            c.finish(ctx);
        }
        None => {
            coverage_span = sp_unit(t);
            if !t.has("coverage") {
                t.missing(ctx, "coverage", allowed);
            }
        }
    }
    (coverage, coverage_span)
}

fn names_or_list(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str) -> Vec<Sp<String>> {
    match v.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| string(ctx, item, &reader::item(path, i)))
            .collect(),
        _ => string(ctx, v, path).into_iter().collect(),
    }
}

fn read_design(ctx: &mut Ctx, mut t: Table) -> Option<RawDesign> {
    let name = t.str_req(ctx, "name", "a design name such as \"leveraged\"");
    let clarity = t.real(ctx, "clarity");
    let credit = match t.choice(ctx, "credit") {
        "double" => CreditRule::Double,
        _ => CreditRule::Single,
    };
    let territory_overlap = t.real(ctx, "territory_overlap");
    let transition_from = t.str_opt(ctx, "transition_from");
    let quarterback = boolean(ctx, &mut t, "quarterback").is_some_and(|b| b.value);
    let off_profile_cap = t.real(ctx, "off_profile_cap");
    let onboarding = t
        .table_opt(ctx, "onboarding")
        .map(|o| read_onboarding(ctx, o))
        .unwrap_or_default();
    let headcount = read_headcount(ctx, &mut t);
    if !t.has("headcount") {
        t.missing(
            ctx,
            "headcount",
            "a table of heads per channel, e.g. `headcount = { field = 40, inside = 20 }`",
        );
    }
    let (coverage, coverage_span) = read_coverage(
        ctx,
        &mut t,
        "`[designs.coverage.<tier>]` sections naming the owner of each stage",
    );
    let steps = t
        .tables(ctx, "steps")
        .into_iter()
        .map(|mut st| {
            let month = match st.get("month") {
                Some(v) => {
                    let span = v.span();
                    let path = st.path_of("month");
                    st.whole_opt(ctx, "month").map(|m| Sp {
                        value: m,
                        span,
                        path,
                    })
                }
                None => {
                    st.missing(ctx, "month", "the month the step starts, from 2 to the horizon");
                    None
                }
            };
            let headcount = read_headcount(ctx, &mut st);
            let span = sp_unit(&st);
            let (coverage, _) = read_coverage(
                ctx,
                &mut st,
                "`[designs.steps.coverage.<tier>]` sections naming the new owners of each tier the step moves",
            );
            st.finish(ctx);
            RawStep {
                month,
                headcount,
                coverage,
                span,
            }
        })
        .collect();
    t.finish(ctx);
    Some(RawDesign {
        name: name?,
        clarity,
        credit,
        territory_overlap,
        headcount,
        coverage,
        coverage_span,
        steps,
        transition_from,
        quarterback,
        off_profile_cap,
        onboarding,
    })
}
