//! A walker over the spanned TOML tree that reads typed values and *collects* every problem
//! (wrong type, out of range, unknown key with a suggestion) instead of stopping at the first.
//! Only the scenario module uses it; nothing else in covsim knows TOML.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keys;
use super::registry::Param;
use crate::diag::{Diagnostic, Source, near_matches, one_of};
use crate::dist::{DIST_KINDS, DistSpec};
use crate::model::Accounts;
use crate::uncertain::Uncertain;

pub type Span = Range<usize>;

/// A value with the place it came from, for checks made after reading (names, references).
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
    pub path: String,
}

/// The largest magnitude any number in a scenario may have (amounts, counts, hours,
/// distribution parameters): far above any real figure, far below where sums over accounts,
/// months and trials stop being finite.
pub const MAX_MAGNITUDE: f64 = 1e12;
/// The smallest value of a key that must be positive: below it a value is a typo, not a figure.
pub const MIN_POSITIVE: f64 = 1e-6;

/// The allowed range of a number. Every bound also keeps numbers within `MAX_MAGNITUDE`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Any,
    NonNegative,
    Positive,
    Probability,
    /// Inclusive range.
    Between(f64, f64),
    /// Greater than the value, less than or equal to the second.
    AboveUpTo(f64, f64),
    /// Zero, or from the first value to the second (a headcount: none, or at least a fraction
    /// of a head).
    ZeroOr(f64, f64),
}

impl Bound {
    pub fn admits(self, v: f64) -> bool {
        v.is_finite()
            && v.abs() <= MAX_MAGNITUDE
            && match self {
                Bound::Any => true,
                Bound::NonNegative => v >= 0.0,
                Bound::Positive => v >= MIN_POSITIVE,
                Bound::Probability => (0.0..=1.0).contains(&v),
                Bound::Between(lo, hi) => v >= lo && v <= hi,
                Bound::AboveUpTo(lo, hi) => v > lo && v <= hi,
                Bound::ZeroOr(lo, hi) => v == 0.0 || (v >= lo && v <= hi),
            }
    }

    /// The closed range draws of an uncertain input are clamped into.
    pub fn clamp_range(self) -> (f64, f64) {
        match self {
            Bound::Any => (-MAX_MAGNITUDE, MAX_MAGNITUDE),
            Bound::NonNegative => (0.0, MAX_MAGNITUDE),
            Bound::Positive => (MIN_POSITIVE, MAX_MAGNITUDE),
            Bound::Probability => (0.0, 1.0),
            Bound::Between(lo, hi) => (lo, hi),
            Bound::AboveUpTo(lo, hi) => (lo + f64::EPSILON * lo.abs().max(1.0), hi),
            Bound::ZeroOr(_, hi) => (0.0, hi),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Bound::Any => "a finite number from -1e12 to 1e12".into(),
            Bound::NonNegative => "a number ≥ 0, at most 1e12".into(),
            Bound::Positive => "a number > 0, from 0.000001 to 1e12".into(),
            Bound::Probability => "a probability between 0 and 1".into(),
            Bound::Between(lo, hi) => format!("a number from {lo} to {hi}"),
            Bound::AboveUpTo(lo, hi) => format!("a number above {lo} and at most {hi}"),
            Bound::ZeroOr(lo, hi) => format!("0, or a number from {lo} to {hi}"),
        }
    }
}

/// Where diagnostics go while a scenario is read, and what the reading learns on the way.
pub struct Ctx<'s> {
    pub src: Source<'s>,
    pub diags: Vec<Diagnostic>,
    /// Values that replace whatever the file says (or leaves to its default) at these key
    /// paths: a sweep point, a tornado swing, one trial's draws of the uncertain inputs.
    pub overrides: HashMap<String, f64>,
    /// Whether to record the parameters met (the first reading of a scenario, not its variants).
    pub record: bool,
    /// Every real-valued key read, in reading order: the registry's entries.
    pub params: Vec<Param>,
    /// A seed that replaces the file's `simulation.seed` (`--seed`): run settings are not
    /// part of the document.
    pub seed: Option<u64>,
    /// Where the run settings (`simulation.seed`, `simulation.trials`) are written: left out
    /// of the scenario hash, which identifies the model, not the run.
    pub run_setting_spans: Vec<Span>,
    /// The names of the named tables (segments, tiers, channels, stages, designs), in order.
    pub names: Vec<Vec<String>>,
    /// The `[[correlations]]` between uncertain inputs, checked once the inputs are known.
    pub correlations: Vec<super::raw::RawCorrelation>,
    /// Inputs given as a distribution instead of a number.
    pub uncertain: Vec<Uncertain>,
    /// Where each of `uncertain` is written (same order).
    pub uncertain_spans: Vec<Span>,
    /// Accounts (and the hash they went into) to reuse instead of generating or reading them
    /// again, when nothing that shapes them is overridden.
    pub reuse: Option<Reuse>,
    /// When set, every key the reader accepts in a table (its known keys), as a pattern
    /// (`scenario::keys::pattern_of`): what tests/registry.rs checks against the declarations.
    pub accepted: Option<std::collections::BTreeSet<String>>,
    /// The `[optimize]` section as written (first reading only), checked by `covsim optimize`
    /// and `covsim validate` against the model's names.
    pub optimize: Option<super::raw::RawOptimize>,
}

impl<'s> Ctx<'s> {
    pub fn new(src: Source<'s>) -> Self {
        Ctx {
            src,
            diags: Vec::new(),
            overrides: HashMap::new(),
            record: true,
            params: Vec::new(),
            seed: None,
            run_setting_spans: Vec::new(),
            names: Vec::new(),
            correlations: Vec::new(),
            uncertain: Vec::new(),
            uncertain_spans: Vec::new(),
            reuse: None,
            accepted: None,
            optimize: None,
        }
    }

    /// An overriding value for `path`, checked against its bound; records the path.
    fn overridden(
        &mut self,
        span: Option<Span>,
        path: &str,
        bound: Bound,
        written: bool,
    ) -> Option<Option<f64>> {
        if self.record {
            self.params
                .push(Param::new(path, bound, span.clone(), written));
        }
        let x = *self.overrides.get(path)?;
        if bound.admits(x) {
            Some(Some(x))
        } else {
            self.error(
                span,
                path,
                format!(
                    "{} is out of range for `{path}` (value set from the command line)",
                    show(x)
                ),
                bound.describe(),
            );
            Some(None)
        }
    }

    /// Completes the record of parameter `id` (pushed by `overridden`) with its default and
    /// the value read.
    fn settle(&mut self, id: usize, default: Option<f64>, value: Option<f64>) {
        if let Some(p) = self.params.get_mut(id).filter(|_| self.record) {
            if let Some(d) = default {
                p.default = super::registry::Default::Const(d);
            }
            if let Some(v) = value.or(default).filter(|_| p.value.is_nan()) {
                p.value = v;
            }
        }
    }

    pub fn error(
        &mut self,
        span: Option<Span>,
        path: &str,
        message: impl Into<String>,
        allowed: impl Into<String>,
    ) {
        let d = self.src.diag(span, path, message, allowed);
        self.diags.push(d);
    }
}

/// The nominal scenario's account base, for a variant that does not change it: the accounts
/// with their tiers, the hash they went into, and each tier's bounds (`min_potential`,
/// `min_fit`) and number of accounts, so that a variant with the same bounds keeps the tiers.
#[derive(Debug, Clone)]
pub struct Reuse {
    pub accounts: Arc<Accounts>,
    pub hash: String,
    pub tiers: Vec<(f64, f64, usize)>,
}

pub fn declared_real(path: &str) -> (Bound, keys::Dflt) {
    match keys::key(path).kind {
        keys::Kind::Real(b, d) | keys::Kind::PerTier(b, d) => (b, d),
        other => panic!("`{path}` is not a number ({other:?})"),
    }
}

fn declared_whole(path: &str) -> (u64, u64, Option<u64>) {
    match keys::key(path).kind {
        keys::Kind::Whole(min, max, default) => (min, max, default),
        other => panic!("`{path}` is not a whole number ({other:?})"),
    }
}

/// A number for a message: plain when of ordinary size, `1e308` when huge or tiny.
pub fn show(x: f64) -> String {
    if x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// The number a TOML integer or float holds (`None` when its text does not parse), or `Err`
/// with the value when it is not a number at all.
pub fn number_of<'v, 'a>(v: &'v DeValue<'a>) -> Result<Option<f64>, &'v DeValue<'a>> {
    match v {
        DeValue::Integer(i) => Ok(i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|x| x as f64)),
        DeValue::Float(f) => Ok(f.as_str().parse::<f64>().ok()),
        other => Err(other),
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        return key.to_string();
    }
    // Built by hand: every variant of a scenario builds each key's path again.
    let mut out = String::with_capacity(path.len() + 1 + key.len());
    out.push_str(path);
    out.push('.');
    out.push_str(key);
    out
}

/// The path of item `i` of the list at `path`: `path[i]`.
pub fn item(path: &str, i: usize) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    out.push_str(path);
    out.push('[');
    // Digits by hand, like `join`: no formatting machinery per key of every variant.
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[k..] {
        out.push(char::from(d));
    }
    out.push(']');
    out
}

pub fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reads a number (integer or float) and checks its bound. A value overridden by the caller
/// wins; a `{ dist = ... }` table makes the key an uncertain input, read as its median.
pub fn number(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str, bound: Bound) -> Option<f64> {
    let id = ctx.params.len();
    let x = number_at(ctx, v, path, bound);
    ctx.settle(id, None, x);
    x
}

fn number_at(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str, bound: Bound) -> Option<f64> {
    if let Some(x) = ctx.overridden(Some(v.span()), path, bound, true) {
        return x;
    }
    if let DeValue::Table(t) = v.get_ref() {
        if t.get("dist").is_some() {
            return uncertain(ctx, v, path, bound);
        }
    }
    literal(ctx, v, path, bound)
}

/// A number written as such (not overridden, not a distribution), checked against `bound`;
/// a value that is not a number, not valid or out of range is reported at its place.
pub fn literal(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str, bound: Bound) -> Option<f64> {
    let parsed = match number_of(v.get_ref()) {
        Ok(x) => x,
        Err(other) => {
            ctx.error(
                Some(v.span()),
                path,
                format!("expected a number, found {}", type_name(other)),
                bound.describe(),
            );
            return None;
        }
    };
    match parsed {
        Some(x) if bound.admits(x) => Some(x),
        Some(x) => {
            ctx.error(
                Some(v.span()),
                path,
                format!("{} is out of range for `{path}`", show(x)),
                bound.describe(),
            );
            None
        }
        None => {
            ctx.error(Some(v.span()), path, "not a valid number", bound.describe());
            None
        }
    }
}

/// Reads `{ dist = "kind", params... }`: the distribution's kind and natural parameters.
pub fn dist_table(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str) -> Option<DistSpec> {
    let mut d = Table::from_value(ctx, v, path)?;
    d.distribution = true;
    let kinds: Vec<&str> = DIST_KINDS.iter().map(|(k, _)| *k).collect();
    let kind = d.str_req(ctx, "dist", &one_of(kinds.iter().copied()))?;
    let Some((_, params)) = DIST_KINDS.iter().find(|(k, _)| *k == kind.value) else {
        ctx.error(
            Some(kind.span),
            &kind.path,
            format!("unknown distribution \"{}\"", kind.value),
            one_of(kinds.iter().copied()),
        );
        return None;
    };
    let mut vals = Vec::new();
    for p in *params {
        vals.push(d.f64_req(ctx, p, Bound::Any));
    }
    d.finish(ctx);
    let vals: Vec<f64> = vals.into_iter().collect::<Option<_>>()?;
    let spec = DistSpec::from_params(&kind.value, &vals);
    if let Err(e) = spec.build() {
        ctx.error(
            Some(v.span()),
            path,
            format!("invalid {} distribution: {e}", kind.value),
            format!("parameters {} ({e})", params.join(", ")),
        );
        return None;
    }
    Some(spec)
}

/// An uncertain input: recorded with its distribution, read as its median.
fn uncertain(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str, bound: Bound) -> Option<f64> {
    let spec = dist_table(ctx, v, path)?;
    let (lo, hi) = bound.clamp_range();
    if let Some((min, max)) = spec.support() {
        if min < lo || max > hi {
            ctx.error(
                Some(v.span()),
                path,
                format!("the distribution of `{path}` reaches outside the allowed range ({min} to {max})"),
                bound.describe(),
            );
            return None;
        }
    }
    let median = spec.quantile(0.5);
    if !bound.admits(median) {
        ctx.error(
            Some(v.span()),
            path,
            format!("the median of `{path}`, {}, is out of range", show(median)),
            bound.describe(),
        );
        return None;
    }
    ctx.uncertain_spans.push(v.span());
    ctx.uncertain.push(Uncertain {
        path: path.to_string(),
        spec,
        clamp: (lo, hi),
        median,
    });
    Some(median)
}

/// Reads a string.
pub fn string(ctx: &mut Ctx, v: &Spanned<DeValue<'_>>, path: &str) -> Option<Sp<String>> {
    match v.get_ref() {
        DeValue::String(s) => Some(Sp {
            value: s.to_string(),
            span: v.span(),
            path: path.to_string(),
        }),
        other => {
            ctx.error(
                Some(v.span()),
                path,
                format!("expected a string, found {}", type_name(other)),
                "a quoted string",
            );
            None
        }
    }
}

/// A TOML table being read: remembers which keys were asked for, so that leftovers can be
/// reported as unknown with the closest known key.
pub struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    pub span: Span,
    pub path: String,
    known: Vec<&'static str>,
    /// A `{ dist = … }` table: its keys are a distribution's parameters, not scenario keys.
    distribution: bool,
}

impl<'t, 'i> Table<'t, 'i> {
    pub fn new(table: &'t DeTable<'i>, span: Span, path: String) -> Self {
        Table {
            table,
            span,
            path,
            known: Vec::new(),
            distribution: false,
        }
    }

    /// Wraps a value that must be a table.
    pub fn from_value(ctx: &mut Ctx, v: &'t Spanned<DeValue<'i>>, path: &str) -> Option<Self> {
        match v.get_ref() {
            DeValue::Table(t) => Some(Table::new(t, v.span(), path.to_string())),
            other => {
                ctx.error(
                    Some(v.span()),
                    path,
                    format!("expected a table, found {}", type_name(other)),
                    "a table: `[section]` or `{ key = value, ... }`",
                );
                None
            }
        }
    }

    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The raw value of `key`, marking the key as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.known.push(key);
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    pub fn missing(&self, ctx: &mut Ctx, key: &str, allowed: &str) {
        ctx.error(
            Some(self.span.clone()),
            &self.path_of(key),
            format!("missing required key `{key}`"),
            allowed,
        );
    }

    /// An override of an absent key (a default the user did not write but sweeps).
    fn absent_override(&mut self, ctx: &mut Ctx, key: &str, bound: Bound) -> Option<Option<f64>> {
        if self.table.get(key).is_some() {
            return None;
        }
        ctx.overridden(Some(self.span.clone()), &self.path_of(key), bound, false)
    }

    /// Where the value of `key` is written, if it is.
    pub fn value_span(&self, key: &str) -> Option<Span> {
        self.table.get(key).map(|v| v.span())
    }

    pub fn f64_req(&mut self, ctx: &mut Ctx, key: &'static str, bound: Bound) -> Option<f64> {
        if let Some(x) = self.absent_override(ctx, key, bound) {
            self.known.push(key);
            return x;
        }
        match self.get(key) {
            Some(v) => number(ctx, v, &self.path_of(key), bound),
            None => {
                self.missing(ctx, key, &bound.describe());
                None
            }
        }
    }

    /// A number with a default; a bad value is reported and the default returned so reading
    /// can go on and find further problems.
    pub fn f64_or(&mut self, ctx: &mut Ctx, key: &'static str, bound: Bound, default: f64) -> f64 {
        let id = ctx.params.len();
        let x = if let Some(x) = self.absent_override(ctx, key, bound) {
            self.known.push(key);
            x.unwrap_or(default)
        } else {
            match self.get(key) {
                Some(v) => number(ctx, v, &self.path_of(key), bound).unwrap_or(default),
                None => default,
            }
        };
        ctx.settle(id, Some(default), Some(x));
        x
    }

    pub fn f64_opt(&mut self, ctx: &mut Ctx, key: &'static str, bound: Bound) -> Option<f64> {
        if let Some(x) = self.absent_override(ctx, key, bound) {
            self.known.push(key);
            return x;
        }
        let v = self.get(key)?;
        number(ctx, v, &self.path_of(key), bound)
    }

    /// A real-valued key with the bound and default of its declaration (`scenario::keys`).
    pub fn real(&mut self, ctx: &mut Ctx, key: &'static str) -> f64 {
        let (bound, default) = declared_real(&self.path_of(key));
        match default {
            keys::Dflt::Const(d) => self.f64_or(ctx, key, bound, d),
            other => panic!(
                "`{}` has no constant default ({other:?})",
                self.path_of(key)
            ),
        }
    }

    /// A real-valued key that falls back to another key's value (`keys::Dflt::Key`), with the
    /// bound of its declaration.
    pub fn real_or(&mut self, ctx: &mut Ctx, key: &'static str, fallback: f64) -> f64 {
        let (bound, _) = declared_real(&self.path_of(key));
        self.f64_or(ctx, key, bound, fallback)
    }

    /// A required real-valued key, with the bound of its declaration.
    pub fn real_req(&mut self, ctx: &mut Ctx, key: &'static str) -> Option<f64> {
        let (bound, _) = declared_real(&self.path_of(key));
        self.f64_req(ctx, key, bound)
    }

    /// An optional real-valued key (no default, or a fallback applied later), with the bound
    /// of its declaration.
    pub fn real_opt(&mut self, ctx: &mut Ctx, key: &'static str) -> Option<f64> {
        let (bound, _) = declared_real(&self.path_of(key));
        self.f64_opt(ctx, key, bound)
    }

    /// A whole number with the range and default of its declaration.
    pub fn whole(&mut self, ctx: &mut Ctx, key: &'static str) -> u64 {
        let (min, max, default) = declared_whole(&self.path_of(key));
        self.u64_or(ctx, key, min, max, default.unwrap_or(min))
    }

    /// A whole number with the range of its declaration and a default worked out by the
    /// reader (another key's value).
    pub fn whole_or(&mut self, ctx: &mut Ctx, key: &'static str, default: u64) -> u64 {
        let (min, max, _) = declared_whole(&self.path_of(key));
        self.u64_or(ctx, key, min, max, default)
    }

    /// A whole number with the range of its declaration, if given.
    pub fn whole_opt(&mut self, ctx: &mut Ctx, key: &'static str) -> Option<u64> {
        let (min, max, _) = declared_whole(&self.path_of(key));
        self.u64_opt(ctx, key, min, max)
    }

    /// One of the words of its declaration, or its default.
    pub fn choice(&mut self, ctx: &mut Ctx, key: &'static str) -> &'static str {
        match keys::key(&self.path_of(key)).kind {
            keys::Kind::Choice(choices, default) => {
                self.choice_or(ctx, key, choices, default.unwrap_or(choices[0]))
            }
            other => panic!("`{}` is not a choice ({other:?})", self.path_of(key)),
        }
    }

    /// A whole number in `[min, max]`.
    pub fn u64_or(
        &mut self,
        ctx: &mut Ctx,
        key: &'static str,
        min: u64,
        max: u64,
        default: u64,
    ) -> u64 {
        let Some(v) = self.get(key) else {
            return default;
        };
        let path = self.path_of(key);
        let allowed = format!("a whole number from {min} to {max}");
        match v.get_ref() {
            DeValue::Integer(i) => match u64::from_str_radix(i.as_str(), i.radix()) {
                Ok(x) if x >= min && x <= max => x,
                _ => {
                    ctx.error(
                        Some(v.span()),
                        &path,
                        format!("{} is out of range for `{path}`", i.as_str()),
                        allowed,
                    );
                    default
                }
            },
            other => {
                ctx.error(
                    Some(v.span()),
                    &path,
                    format!("expected a whole number, found {}", type_name(other)),
                    allowed,
                );
                default
            }
        }
    }

    /// A whole number in `[min, max]`, if given.
    pub fn u64_opt(&mut self, ctx: &mut Ctx, key: &'static str, min: u64, max: u64) -> Option<u64> {
        if !self.has(key) {
            // Known though absent: a misspelling of it is suggested and it is listed as allowed.
            self.known.push(key);
            return None;
        }
        Some(self.u64_or(ctx, key, min, max, min))
    }

    pub fn str_opt(&mut self, ctx: &mut Ctx, key: &'static str) -> Option<Sp<String>> {
        let v = self.get(key)?;
        string(ctx, v, &self.path_of(key))
    }

    pub fn str_req(
        &mut self,
        ctx: &mut Ctx,
        key: &'static str,
        allowed: &str,
    ) -> Option<Sp<String>> {
        if !self.has(key) {
            self.known.push(key);
            self.missing(ctx, key, allowed);
            return None;
        }
        self.str_opt(ctx, key)
    }

    /// A string that must be one of `choices`.
    pub fn choice_or(
        &mut self,
        ctx: &mut Ctx,
        key: &'static str,
        choices: &[&'static str],
        default: &'static str,
    ) -> &'static str {
        let Some(s) = self.str_opt(ctx, key) else {
            return default;
        };
        match choices.iter().find(|c| **c == s.value) {
            Some(c) => c,
            None => {
                ctx.error(
                    Some(s.span),
                    &s.path,
                    format!("unknown value \"{}\"", s.value),
                    one_of(choices.iter().copied()),
                );
                default
            }
        }
    }

    pub fn table_opt(&mut self, ctx: &mut Ctx, key: &'static str) -> Option<Table<'t, 'i>> {
        let v = self.get(key)?;
        Table::from_value(ctx, v, &self.path_of(key))
    }

    /// An optional section read as an empty table when it is absent, so that its keys take
    /// their defaults through the same reading (and are registered: a default can be swept
    /// or made uncertain by its key path although the section is not written). `None` only
    /// when the key holds something other than a table (reported).
    pub fn table_or_empty(&mut self, ctx: &mut Ctx, key: &'static str) -> Option<Table<'t, 'i>> {
        static EMPTY: std::sync::LazyLock<DeTable<'static>> =
            std::sync::LazyLock::new(DeTable::new);
        match self.get(key) {
            Some(v) => Table::from_value(ctx, v, &self.path_of(key)),
            None => Some(Table::new(&EMPTY, self.span.clone(), self.path_of(key))),
        }
    }

    /// An array of tables (`[[key]]`), each wrapped with its indexed path.
    pub fn tables(&mut self, ctx: &mut Ctx, key: &'static str) -> Vec<Table<'t, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let path = self.path_of(key);
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| Table::from_value(ctx, item, &self::item(&path, i)))
                .collect(),
            other => {
                ctx.error(
                    Some(v.span()),
                    &path,
                    format!("expected an array of tables, found {}", type_name(other)),
                    format!("one or more `[[{path}]]` sections"),
                );
                Vec::new()
            }
        }
    }

    /// All entries of this table, for tables keyed by user-chosen names (`headcount = {...}`).
    pub fn entries(&mut self) -> Vec<(Sp<String>, &'t Spanned<DeValue<'i>>)> {
        let path = self.path.clone();
        let out = self
            .table
            .iter()
            .map(|(k, v)| {
                (
                    Sp {
                        value: k.get_ref().to_string(),
                        span: k.span(),
                        path: join(&path, k.get_ref()),
                    },
                    v,
                )
            })
            .collect();
        self.known.clear();
        self.known.push("\u{0}all");
        out
    }

    /// Reports every key that was never asked for, with the nearest known key.
    pub fn finish(self, ctx: &mut Ctx) {
        if let Some(accepted) = ctx.accepted.as_mut().filter(|_| !self.distribution) {
            for k in &self.known {
                let key = if *k == "\u{0}all" { "*" } else { k };
                accepted.insert(keys::pattern_of(&join(&self.path, key)));
            }
        }
        if self.known.contains(&"\u{0}all") {
            return;
        }
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if self.known.contains(&key) {
                continue;
            }
            let near = near_matches(key, self.known.iter().copied());
            let message = if near.is_empty() {
                format!("unknown key `{key}`")
            } else {
                format!("unknown key `{key}`; did you mean `{}`?", near[0])
            };
            let mut known = self.known.clone();
            known.sort_unstable();
            known.dedup();
            ctx.error(
                Some(k.span()),
                &join(&self.path, key),
                message,
                one_of(known),
            );
        }
    }
}
