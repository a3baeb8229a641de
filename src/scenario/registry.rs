//! The parameter registry: the real-valued keys one scenario reads, each with its key paths
//! (positional, `channels[1].cost_per_head_per_year`, and by name,
//! `channels.inside.cost_per_head_per_year`), its bound, its default (a constant, or another
//! parameter it falls back to; both as `scenario::keys` declares them), where the file writes
//! it, and whether it shapes the account base. A variant of a scenario — a sweep point, a
//! tornado swing, one trial's draws of the uncertain inputs — is a set of value edits checked
//! here against the bounds; the parsed document is never read from text again.

use std::collections::HashMap;

use super::reader::{Bound, Span, show};
use crate::diag::{Diagnostic, Source, near_matches};

/// What a parameter is when the file does not write it.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    /// Required (or optional without a value, such as a channel's capacity).
    None,
    Const(f64),
    /// Takes the value of another parameter (a hand-off pair's `failure` falls back to
    /// `handoffs.default_failure`): editing that one moves this one too.
    Param(String),
}

/// One real-valued key of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Positional key path, as the reader reads it (`designs[0].headcount.field`).
    pub path: String,
    /// The same key by name (`designs.leveraged.headcount.field`), where the table has a name.
    pub name_path: Option<String>,
    pub bound: Bound,
    pub default: Default,
    /// Whether the file writes the key (else it takes its default).
    pub written: bool,
    /// The value the nominal scenario uses (an uncertain input's median).
    pub value: f64,
    /// Where the key is written, or the table it would be written in.
    pub span: Option<Span>,
    /// Whether changing it means building the account base again (segment distributions).
    pub shapes_accounts: bool,
}

impl Param {
    pub fn new(path: &str, bound: Bound, span: Option<Span>, written: bool) -> Param {
        Param {
            path: path.to_string(),
            name_path: None,
            bound,
            default: Default::None,
            written,
            value: f64::NAN,
            span,
            shapes_accounts: super::keys::shapes_accounts(path),
        }
    }
}

/// `channels[1].ramp[0]` → `channels[].ramp[]`.
pub fn pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            c => out.push(c),
        }
    }
    out
}

/// Every real-valued key of one scenario, in reading order, found by either path.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub params: Vec<Param>,
    index: HashMap<String, usize>,
}

/// The arrays of named tables: a key inside one may be written with the table's name instead
/// of its position.
const NAMED: &[&str] = &[
    "accounts.segments",
    "tiers",
    "channels",
    "stages",
    "designs",
];

impl Registry {
    /// Builds the registry from the parameters the reader met (first reading of a path wins)
    /// and the names of the named tables (`names[k][i]`: the name of table `i` of `NAMED[k]`).
    pub fn new(read: Vec<Param>, names: &[Vec<String>]) -> Registry {
        let mut reg = Registry::default();
        for mut p in read {
            // A correlation is a setting of the draws, not a parameter of the model.
            if reg.index.contains_key(&p.path) || p.path.starts_with("correlations") {
                continue;
            }
            let pat = pattern(&p.path);
            if let Some(to) = super::keys::fallback(&pat) {
                p.default = Default::Param(to.to_string());
            }
            p.name_path = name_path(&p.path, names);
            let id = reg.params.len();
            reg.index.insert(p.path.clone(), id);
            if let Some(n) = &p.name_path {
                reg.index.entry(n.clone()).or_insert(id);
            }
            reg.params.push(p);
        }
        reg
    }

    /// The parameter a key path (positional or by name) names.
    pub fn find(&self, path: &str) -> Option<&Param> {
        self.index.get(path).map(|&i| &self.params[i])
    }

    /// Checks that `path` names a real-valued key; the error lists the nearest ones.
    pub fn check_path(&self, path: &str) -> Result<&Param, String> {
        if let Some(p) = self.find(path) {
            return Ok(p);
        }
        use super::keys::Kind;
        let what =
            super::keys::declared(&super::keys::pattern_of(path)).and_then(|k| match k.kind {
                Kind::Whole(..) => Some("a whole number (a count, a month or a trial count)"),
                Kind::Text | Kind::Texts => Some("a text"),
                Kind::Choice(..) => Some("a choice of words"),
                Kind::Bool => Some("true or false"),
                Kind::Table | Kind::ByName | Kind::Tables => Some("a table"),
                Kind::Real(..) | Kind::PerTier(..) | Kind::Numbers(..) | Kind::Heads(..) => None,
            });
        if let Some(what) = what {
            return Err(format!(
                "`{path}` is a key of the scenario but cannot be varied: it is {what}, and only real-valued keys (rates, costs, shares, heads) can be swept, swung or varied, because they change values and not the shape of the model; edit it in the scenario instead"
            ));
        }
        let near = near_matches(path, self.index.keys().map(String::as_str));
        Err(if near.is_empty() {
            format!(
                "unknown key path `{path}`; the real-valued keys are listed in docs/SCENARIO.md (e.g. `{}`)",
                self.params.first().map_or("", |p| p.path.as_str())
            )
        } else {
            format!(
                "unknown key path `{path}`; did you mean {}?",
                near.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// Checks value edits (key path → value) against the registry: every unknown path and
    /// every value outside its bound is reported, at the key's place in the file. Returns the
    /// edits by positional path.
    pub fn check_edits(
        &self,
        src: &Source,
        edits: &HashMap<String, f64>,
    ) -> Result<HashMap<String, f64>, Vec<Diagnostic>> {
        let mut out = HashMap::with_capacity(edits.len());
        let mut diags = Vec::new();
        // In path order, so the diagnostics come out in the same order every time.
        let mut sorted: Vec<(&String, &f64)> = edits.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (path, &x) in sorted {
            match self.check_path(path) {
                Err(message) => diags.push(src.diag(
                    None,
                    path,
                    message,
                    "a real-valued key of the scenario (docs/SCENARIO.md)",
                )),
                Ok(p) if !p.bound.admits(x) => diags.push(src.diag(
                    p.span.clone(),
                    &p.path,
                    format!(
                        "{} is out of range for `{}` (value set from the command line)",
                        show(x),
                        p.path
                    ),
                    p.bound.describe(),
                )),
                Ok(p) => {
                    out.insert(p.path.clone(), x);
                }
            }
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    /// Whether any of these (positional) paths shapes the account base.
    pub fn shapes_accounts<'a>(&self, mut paths: impl Iterator<Item = &'a String>) -> bool {
        paths.any(|p| self.find(p).is_none_or(|p| p.shapes_accounts))
    }

    /// Every key path (positional, then by name where there is one), for messages and docs.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|p| p.path.as_str())
    }
}

/// `channels[1].cost_per_head_per_year` → `channels.inside.cost_per_head_per_year` when
/// channel 1 is named `inside` (and the name can stand in a key path).
fn name_path(path: &str, names: &[Vec<String>]) -> Option<String> {
    for (k, array) in NAMED.iter().enumerate() {
        let Some(rest) = path.strip_prefix(array).and_then(|r| r.strip_prefix('[')) else {
            continue;
        };
        let (index, tail) = rest.split_once(']')?;
        let name = names.get(k)?.get(index.parse::<usize>().ok()?)?;
        let plain = !name.is_empty()
            && !name.contains(['.', '[', ']', ' '])
            && name.parse::<f64>().is_err();
        return plain.then(|| format!("{array}.{name}{tail}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_drop_indices() {
        assert_eq!(pattern("channels[12].ramp[3]"), "channels[].ramp[]");
        assert_eq!(
            pattern("handoffs.default_failure"),
            "handoffs.default_failure"
        );
    }

    #[test]
    fn names_stand_for_positions() {
        let names = vec![
            vec![],
            vec![],
            vec!["field".to_string(), "inside".to_string()],
            vec![],
            vec!["a b".to_string()],
        ];
        assert_eq!(
            name_path("channels[1].cost_per_head_per_year", &names).as_deref(),
            Some("channels.inside.cost_per_head_per_year")
        );
        // A name that cannot stand in a key path keeps only the positional path.
        assert_eq!(name_path("designs[0].clarity", &names), None);
        assert_eq!(name_path("handoffs.default_failure", &names), None);
    }
}
