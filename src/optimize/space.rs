//! Decision variables and the problem statement of `covsim optimize`, read from the text of
//! `--vary`, `--constraint` and `--objective` (the same syntax a scenario's `[optimize]` section
//! would use), and how a candidate — one level per variable — becomes a `Design`.

use std::collections::HashMap;

use crate::diag::{Diagnostic, Source, near_matches};
use crate::metrics::{self, Better};
use crate::model::{ChannelKind, CreditRule, Design, Model};
use crate::scenario::Scenario;
use crate::scenario::reader::Sp;

/// What a decision variable changes in the design.
#[derive(Debug, Clone, PartialEq)]
pub enum Knob {
    /// Heads of a channel (an integer range).
    Headcount {
        channel: usize,
    },
    /// The owner of every stage of a tier.
    TierOwner {
        tier: usize,
    },
    /// The owner of one stage of a tier.
    StageOwner {
        tier: usize,
        stage: usize,
    },
    /// The specialists deployed at one stage of a tier.
    Specialists {
        tier: usize,
        stage: usize,
    },
    Clarity,
    Credit,
    /// Any real-valued key path of the design (`designs[i].…`), set through `Scenario::with`.
    Path {
        path: String,
    },
}

/// One value a variable can take.
#[derive(Debug, Clone, PartialEq)]
pub enum Level {
    Number(f64),
    Channel(usize),
    Channels(Vec<usize>),
    Credit(CreditRule),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// As the user wrote it, e.g. `headcount.field`.
    pub key: String,
    pub knob: Knob,
    pub levels: Vec<Level>,
    /// Levels are numbers in increasing order: the search steps along them.
    pub ordered: bool,
}

impl Variable {
    /// The level as the user would write it.
    pub fn label(&self, model: &Model, i: usize) -> String {
        level_label(model, &self.levels[i])
    }
}

pub fn level_label(model: &Model, l: &Level) -> String {
    match l {
        Level::Number(x) => number_label(*x),
        Level::Channel(c) => model.channels[*c].name.clone(),
        Level::Channels(cs) if cs.is_empty() => "none".into(),
        Level::Channels(cs) => cs
            .iter()
            .map(|&c| model.channels[c].name.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        Level::Credit(CreditRule::Single) => "single".into(),
        Level::Credit(CreditRule::Double) => "double".into(),
    }
}

/// A number as the shortest text that reads back to it (`40`, `0.75`).
pub fn number_label(x: f64) -> String {
    format!("{x}")
}

/// Which figure of a candidate: a metric of the catalogue, or its total heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Index in a design's row.
    Metric(usize),
    /// Heads of the design over channels with limited capacity (chance-free).
    Heads,
}

/// What is measured over trials: the mean, or a percentile (0–100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    Mean,
    Percentile(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub figure: Figure,
    pub statistic: Statistic,
    /// As the user wrote it, normalised: `contribution`, `p5(contribution)`.
    pub text: String,
    /// Whether more is better (objective) — from the metric catalogue.
    pub higher_is_better: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    AtMost,
    AtLeast,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub measure: Measure,
    pub bound: Bound,
    pub limit: f64,
    /// As the user wrote it, normalised: `cost_of_sales <= 15M`.
    pub text: String,
}

impl Constraint {
    /// Whether `value` satisfies the constraint.
    pub fn holds(&self, value: f64) -> bool {
        match self.bound {
            Bound::AtMost => value <= self.limit,
            Bound::AtLeast => value >= self.limit,
        }
    }
}

/// The problem: where to start, what to vary, what must hold, what to maximise.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Index of the design the candidates are made from.
    pub from: usize,
    pub variables: Vec<Variable>,
    pub constraints: Vec<Constraint>,
    pub objective: Measure,
}

/// A candidate: one level index per variable.
pub type Candidate = Vec<u32>;

/// Reads `key=levels`. Levels: `lo..hi` (whole numbers, both ends included), or values
/// separated by `|` (channel names for owners, `none` or `a+b` for specialists, `single` /
/// `double` for credit, numbers for clarity and key paths).
pub fn parse_variable(sc: &Scenario, from: usize, text: &str) -> Result<Variable, String> {
    let m = &sc.model;
    let (key, values) = text
        .split_once('=')
        .map(|(k, v)| (k.trim(), v.trim()))
        .ok_or_else(|| {
            format!(
                "`{text}` is not `key=levels`\n   = allowed: e.g. `headcount.field=10..80`, `coverage.core.owner=field|inside`, `credit=single|double`"
            )
        })?;
    let parts: Vec<&str> = key.split('.').collect();
    let channel = |name: &str| -> Result<usize, String> {
        m.channels
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| unknown("channel", name, m.channels.iter().map(|c| c.name.as_str())))
    };
    let tier = |name: &str| -> Result<usize, String> {
        m.tiers
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| unknown("tier", name, m.tiers.iter().map(|t| t.name.as_str())))
    };
    let stage = |name: &str| -> Result<usize, String> {
        m.stages
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| unknown("stage", name, m.stages.iter().map(|s| s.name.as_str())))
    };
    let list: Vec<&str> = values.split('|').map(str::trim).collect();
    let owners = |list: &[&str]| -> Result<Vec<Level>, String> {
        list.iter()
            .map(|n| {
                let c = channel(n)?;
                if m.channels[c].kind == ChannelKind::Specialist {
                    Err(format!(
                        "\"{n}\" is a specialist channel and cannot own a stage"
                    ))
                } else {
                    Ok(Level::Channel(c))
                }
            })
            .collect()
    };
    let (knob, levels, ordered) = match parts.as_slice() {
        ["headcount", ch] => {
            let c = channel(ch)?;
            (
                Knob::Headcount { channel: c },
                numbers(values, true, 0.0, 1e6)?,
                true,
            )
        }
        ["coverage", t, "owner"] => (Knob::TierOwner { tier: tier(t)? }, owners(&list)?, false),
        ["coverage", t, "owners", s] => (
            Knob::StageOwner {
                tier: tier(t)?,
                stage: stage(s)?,
            },
            owners(&list)?,
            false,
        ),
        ["coverage", t, "specialists", s] => {
            let mut levels = Vec::new();
            for item in &list {
                let mut set = Vec::new();
                if *item != "none" {
                    for n in item.split('+').map(str::trim) {
                        let c = channel(n)?;
                        if m.channels[c].kind != ChannelKind::Specialist {
                            return Err(format!(
                                "\"{n}\" is not a specialist channel\n   = allowed: `none`, or channels of kind \"specialist\" joined with `+`"
                            ));
                        }
                        set.push(c);
                    }
                }
                levels.push(Level::Channels(set));
            }
            (
                Knob::Specialists {
                    tier: tier(t)?,
                    stage: stage(s)?,
                },
                levels,
                false,
            )
        }
        ["clarity"] => (Knob::Clarity, numbers(values, false, 0.0, 1.0)?, true),
        ["credit"] => {
            let levels = list
                .iter()
                .map(|v| match *v {
                    "single" => Ok(Level::Credit(CreditRule::Single)),
                    "double" => Ok(Level::Credit(CreditRule::Double)),
                    other => Err(format!(
                        "unknown credit rule \"{other}\"\n   = allowed: `single`, `double`"
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            (Knob::Credit, levels, false)
        }
        _ => {
            let prefix = format!("designs[{from}].");
            let path = if key.starts_with("designs[") {
                key.to_string()
            } else {
                format!("{prefix}{key}")
            };
            if !path.starts_with(&prefix) {
                return Err(format!(
                    "`{key}` is not a key of the design the search starts from\n   = allowed: `headcount.<channel>`, `coverage.<tier>.owner`, `coverage.<tier>.owners.<stage>`, `coverage.<tier>.specialists.<stage>`, `clarity`, `credit`, or a real-valued key of the design (`{prefix}…`)"
                ));
            }
            sc.check_path(&path).map_err(|e| {
                format!(
                    "{e}\n   = allowed: `headcount.<channel>`, `coverage.<tier>.owner`, `coverage.<tier>.owners.<stage>`, `coverage.<tier>.specialists.<stage>`, `clarity`, `credit`, or a real-valued key of the design"
                )
            })?;
            (
                Knob::Path { path },
                numbers(values, false, f64::MIN, f64::MAX)?,
                true,
            )
        }
    };
    let mut levels = levels;
    if ordered {
        levels.sort_by(|a, b| match (a, b) {
            (Level::Number(x), Level::Number(y)) => x.total_cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
    }
    // A level written twice is one level (the first place it is written, for a categorical
    // variable): two identical candidates would only split the selection between them.
    let mut once = Vec::with_capacity(levels.len());
    for l in levels {
        if !once.contains(&l) {
            once.push(l);
        }
    }
    let levels = once;
    if levels.len() < 2 {
        return Err(format!(
            "`{key}` takes a single value; a decision variable needs at least two\n   = allowed: `lo..hi` or values separated by `|`"
        ));
    }
    Ok(Variable {
        key: key.to_string(),
        knob,
        levels,
        ordered,
    })
}

fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    let near = near_matches(name, known.clone());
    let all: Vec<&str> = known.collect();
    if near.is_empty() {
        format!(
            "unknown {what} \"{name}\"\n   = allowed: {}",
            all.join(", ")
        )
    } else {
        format!(
            "unknown {what} \"{name}\"; did you mean \"{}\"?\n   = allowed: {}",
            near[0],
            all.join(", ")
        )
    }
}

/// The most levels one variable may have (a whole-number range of heads included).
pub const MAX_LEVELS: usize = 100_000;

/// `lo..hi` (whole numbers when `whole`) or `a|b|c`, each within `[min, max]`.
fn numbers(text: &str, whole: bool, min: f64, max: f64) -> Result<Vec<Level>, String> {
    let num = |s: &str| -> Result<f64, String> {
        let x = parse_amount(s.trim()).ok_or_else(|| format!("`{}` is not a number", s.trim()))?;
        if !(min..=max).contains(&x) {
            return Err(format!("{x} is out of range\n   = allowed: {min} to {max}"));
        }
        if whole && x.fract() != 0.0 {
            return Err(format!("{x} is not a whole number of heads"));
        }
        Ok(x)
    };
    if let Some((lo, hi)) = text.split_once("..") {
        let (lo, hi) = (num(lo)?, num(hi)?);
        if lo.fract() != 0.0 || hi.fract() != 0.0 || hi <= lo {
            return Err(format!(
                "`{text}` is not a range of whole numbers `lo..hi` with lo < hi"
            ));
        }
        if hi - lo + 1.0 > MAX_LEVELS as f64 {
            return Err(format!(
                "`{text}` has more than {MAX_LEVELS} values\n   = allowed: a narrower range"
            ));
        }
        return Ok((lo as i64..=hi as i64)
            .map(|v| Level::Number(v as f64))
            .collect());
    }
    text.split('|').map(|s| num(s).map(Level::Number)).collect()
}

/// A number with an optional `k`, `M` or `B` suffix: `15M`, `100k`, `2.5e6`, `-3`.
pub fn parse_amount(s: &str) -> Option<f64> {
    let s = s.trim().replace(['_', ','], "");
    let (body, scale) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1e3),
        'M' | 'm' => (&s[..s.len() - 1], 1e6),
        'B' | 'b' => (&s[..s.len() - 1], 1e9),
        _ => (&s[..], 1.0),
    };
    let x: f64 = body.trim().parse().ok()?;
    let v = x * scale;
    v.is_finite().then_some(v)
}

/// Reads `metric`, `mean(metric)` or `pN(metric)` (N in 0–100); `heads` is the design's total
/// heads over channels with limited capacity.
pub fn parse_measure(model: &Model, text: &str) -> Result<Measure, String> {
    let t = text.trim();
    let (statistic, name) =
        if let Some(inner) = t.strip_prefix("mean(").and_then(|r| r.strip_suffix(')')) {
            (Statistic::Mean, inner.trim())
        } else if let Some((p, rest)) =
            t.strip_prefix('p')
                .and_then(|r| r.split_once('('))
                .filter(|(p, r)| {
                    !p.is_empty()
                        && p.chars().all(|c| c.is_ascii_digit() || c == '.')
                        && r.ends_with(')')
                })
        {
            let p: f64 = p.parse().map_err(|_| format!("`{t}`: bad percentile"))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!(
                    "`{t}`: percentile {p} is out of range\n   = allowed: p0 to p100"
                ));
            }
            (Statistic::Percentile(p), rest[..rest.len() - 1].trim())
        } else {
            (Statistic::Mean, t)
        };
    let catalogue = metrics::catalogue(model);
    let (figure, higher) = if name == "heads" {
        (Figure::Heads, false)
    } else {
        let Some(i) = catalogue.iter().position(|d| d.key == name) else {
            let keys = catalogue.iter().map(|d| d.key.as_str()).chain(["heads"]);
            let near = near_matches(name, keys);
            return Err(format!(
                "unknown metric `{name}`{}\n   = allowed: a metric key of summary.json (e.g. contribution, cost_of_sales, conflicts, revenue) or `heads`, as `metric`, `mean(metric)` or `p5(metric)`",
                near.first()
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default()
            ));
        };
        (Figure::Metric(i), catalogue[i].better != Better::Lower)
    };
    let text = match statistic {
        Statistic::Mean => name.to_string(),
        Statistic::Percentile(p) => format!("p{}({name})", number_label(p)),
    };
    Ok(Measure {
        figure,
        statistic,
        text,
        higher_is_better: higher,
    })
}

/// Reads `measure <= limit` or `measure >= limit`.
pub fn parse_constraint(model: &Model, text: &str) -> Result<Constraint, String> {
    let (lhs, bound, rhs) = if let Some((l, r)) = text.split_once("<=") {
        (l, Bound::AtMost, r)
    } else if let Some((l, r)) = text.split_once(">=") {
        (l, Bound::AtLeast, r)
    } else {
        return Err(format!(
            "`{text}` is not `measure <= limit` or `measure >= limit`\n   = allowed: e.g. `cost_of_sales <= 15M`, `p5(contribution) >= 8M`, `heads <= 90`"
        ));
    };
    let measure = parse_measure(model, lhs)?;
    let limit = parse_amount(rhs).ok_or_else(|| {
        format!(
            "`{}` is not a number\n   = allowed: a number, optionally with k, M or B (`15M`)",
            rhs.trim()
        )
    })?;
    let op = if bound == Bound::AtMost { "<=" } else { ">=" };
    Ok(Constraint {
        text: format!("{} {op} {}", measure.text, rhs.trim()),
        measure,
        bound,
        limit,
    })
}

/// The design of candidate `c`: the `from` design with every variable set. `None` when the
/// design would be invalid (a channel with limited capacity that owns or joins a stage without
/// heads), or when a key path cannot take the value.
pub fn design_of(sc: &Scenario, base: &Model, p: &Problem, c: &[u32]) -> Option<Design> {
    let paths: HashMap<String, f64> = p
        .variables
        .iter()
        .zip(c)
        .filter_map(|(v, &i)| match (&v.knob, &v.levels[i as usize]) {
            (Knob::Path { path }, Level::Number(x)) => Some((path.clone(), *x)),
            _ => None,
        })
        .collect();
    let mut d = if paths.is_empty() {
        base.designs[p.from].clone()
    } else {
        sc.with(&paths).ok()?.designs[p.from].clone()
    };
    // Owners of whole tiers first, so that a stage's own owner wins over its tier's.
    let mut order: Vec<usize> = (0..p.variables.len()).collect();
    order.sort_by_key(|&k| !matches!(p.variables[k].knob, Knob::TierOwner { .. }));
    for k in order {
        let v = &p.variables[k];
        match (&v.knob, &v.levels[c[k] as usize]) {
            (Knob::Headcount { channel }, Level::Number(x)) => d.headcount[*channel] = *x,
            (Knob::TierOwner { tier }, Level::Channel(ch)) => {
                d.coverage[*tier].owners.iter_mut().for_each(|o| *o = *ch)
            }
            (Knob::StageOwner { tier, stage }, Level::Channel(ch)) => {
                d.coverage[*tier].owners[*stage] = *ch
            }
            (Knob::Specialists { tier, stage }, Level::Channels(set)) => {
                d.coverage[*tier].specialists[*stage] = set.clone()
            }
            (Knob::Clarity, Level::Number(x)) => d.clarity = *x,
            (Knob::Credit, Level::Credit(r)) => d.credit = *r,
            _ => {}
        }
    }
    let works = |ch: usize| {
        d.coverage
            .iter()
            .any(|cov| cov.owners.contains(&ch) || cov.specialists.iter().any(|s| s.contains(&ch)))
    };
    let valid = (0..base.channels.len()).all(|ch| {
        d.headcount[ch] > 0.0
            || base.channels[ch].capacity_hours_per_head_per_year.is_none()
            || !works(ch)
    });
    valid.then_some(d)
}

/// Heads of a design over channels with limited capacity.
pub fn heads(model: &Model, d: &Design) -> f64 {
    model
        .channels
        .iter()
        .zip(&d.headcount)
        .filter(|(c, _)| c.capacity_hours_per_head_per_year.is_some())
        .fold(0.0, |a, (_, h)| a + h)
}

/// The `[optimize]` section of a scenario read against its model: each text in the syntax of
/// the matching flag. A value the section leaves out is `None` (the command's default applies).
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub from: Option<usize>,
    pub variables: Vec<Variable>,
    pub constraints: Vec<Constraint>,
    pub objective: Option<Measure>,
    pub delta: Option<f64>,
    pub confidence: Option<f64>,
    pub max_trials: Option<u64>,
    pub budget_seconds: Option<f64>,
}

/// Splits a message of this module (`what is wrong\n   = allowed: what is allowed`).
fn split_allowed(e: &str, default: &str) -> (String, String) {
    match e.split_once("\n   = allowed: ") {
        Some((m, a)) => (m.to_string(), a.to_string()),
        None => (e.to_string(), default.to_string()),
    }
}

/// Reads the scenario's `[optimize]` section (an empty `Section` when it has none), checking
/// every name and text against the model; every problem is returned at once, each with the
/// file, line, column and key path (`optimize.vary[1]`). `from` is the design given on the
/// command line: it wins over the section's `from`, and the section's variables are read
/// against it (else against the section's `from`, else the baseline).
pub fn section(sc: &Scenario, from: Option<usize>) -> Result<Section, Vec<Diagnostic>> {
    let Some(raw) = &sc.optimize else {
        return Ok(Section::default());
    };
    let m = &sc.model;
    let (file, text, _) = sc.source();
    let src = Source::new(file, text);
    let mut diags = raw.problems.clone();
    let bad = |diags: &mut Vec<Diagnostic>, at: &Sp<String>, e: &str, default: &str| {
        let (message, allowed) = split_allowed(e, default);
        diags.push(src.diag(Some(at.span.clone()), &at.path, message, allowed));
    };
    let mut out = Section {
        confidence: raw.confidence,
        max_trials: raw.max_trials,
        budget_seconds: raw.budget_seconds,
        ..Section::default()
    };
    if let Some(name) = &raw.from {
        match m.designs.iter().position(|d| d.name == name.value) {
            Some(i) => out.from = Some(i),
            None => bad(
                &mut diags,
                name,
                &unknown(
                    "design",
                    &name.value,
                    m.designs.iter().map(|d| d.name.as_str()),
                ),
                "",
            ),
        }
    }
    let base = from.or(out.from).unwrap_or(m.baseline);
    for v in &raw.vary {
        match parse_variable(sc, base, &v.value) {
            Ok(x) if out.variables.iter().any(|y| y.knob == x.knob) => bad(
                &mut diags,
                v,
                "this variable is varied twice",
                "each decision variable once in `vary`",
            ),
            Ok(x) => out.variables.push(x),
            Err(e) => bad(
                &mut diags,
                v,
                &e,
                "`key=levels`, e.g. `headcount.inside=0..120`",
            ),
        }
    }
    let combos: usize = out
        .variables
        .iter()
        .filter(|v| !v.ordered)
        .map(|v| v.levels.len())
        .product();
    if combos > crate::optimize::MAX_COMBINATIONS {
        diags.push(src.diag(
            Some(raw.at.span.clone()),
            &format!("{}.vary", raw.at.path),
            format!(
                "the categorical variables (owners, specialists, credit) make {combos} combinations"
            ),
            format!(
                "at most {}; fix some owners, or optimise in two steps",
                crate::optimize::MAX_COMBINATIONS
            ),
        ));
    }
    for c in &raw.constraints {
        match parse_constraint(m, &c.value) {
            Ok(x) => out.constraints.push(x),
            Err(e) => bad(
                &mut diags,
                c,
                &e,
                "`measure <= limit` or `measure >= limit`",
            ),
        }
    }
    if let Some(o) = &raw.objective {
        match parse_measure(m, &o.value) {
            Ok(x) => out.objective = Some(x),
            Err(e) => bad(
                &mut diags,
                o,
                &e,
                "a metric key, `mean(metric)` or `p5(metric)`",
            ),
        }
    }
    if let Some(d) = &raw.delta {
        match parse_amount(&d.value) {
            Some(x) if x > 0.0 => out.delta = Some(x),
            _ => bad(
                &mut diags,
                d,
                &format!("`{}` is not a positive amount", d.value),
                "a positive amount: a number (`100000`) or a text with k, M or B (`\"100k\"`)",
            ),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        diags.sort_by_key(|d| (d.line, d.column));
        Err(diags)
    }
}
