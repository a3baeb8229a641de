//! Scenario files: the only module that knows TOML. Two steps, two types: `raw::read` turns the
//! document into `RawScenario` (values checked where they stand), `resolve::resolve` checks how
//! the parts refer to each other and builds the `Model` the engine runs on. Every problem of both
//! steps is collected and returned together.

pub mod accounts_csv;
pub mod edit;
pub mod raw;
pub mod reader;
pub mod resolve;

use std::collections::HashMap;
use std::sync::Arc;

use toml::de::DeTable;

use crate::diag::{Diagnostic, Source, near_matches};
use crate::model::Model;
use crate::uncertain::Uncertain;

/// The example scenario built into the binary (`covsim run` with no file, `covsim init`).
pub const BUILTIN_NAME: &str = "scenarios/leverage.toml";
pub const BUILTIN: &str = include_str!("../../scenarios/leverage.toml");

/// Reads and resolves a scenario into the model the engine runs on (uncertain inputs at their
/// medians). See [`Scenario`] for variants of it.
pub fn load(
    text: &str,
    file_name: &str,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Model, Vec<Diagnostic>> {
    Scenario::load(text, file_name, read_file).map(|s| s.model)
}

/// A scenario that can be read again with some values replaced: at a sweep point, at a
/// tornado swing, or with one trial's draws of its uncertain inputs.
#[derive(Debug, Clone)]
pub struct Scenario {
    text: String,
    file_name: String,
    /// Files the scenario named (an account CSV), kept to read it again without I/O.
    files: HashMap<String, Vec<u8>>,
    /// The nominal model: every uncertain input at its median.
    pub model: Model,
    pub uncertain: Vec<Uncertain>,
    /// Every real-valued key path of the scenario, including those left to their default.
    pub numeric_paths: Vec<String>,
}

impl Scenario {
    pub fn load(
        text: &str,
        file_name: &str,
        read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Scenario, Vec<Diagnostic>> {
        let mut files = HashMap::new();
        let mut keep = |p: &str| -> Result<Vec<u8>, String> {
            let bytes = read_file(p)?;
            files.insert(p.to_string(), bytes.clone());
            Ok(bytes)
        };
        let (model, ctx) = read(text, file_name, &HashMap::new(), None, &mut keep)?;
        let mut numeric_paths = ctx.numeric_paths;
        let mut seen = std::collections::HashSet::new();
        numeric_paths.retain(|p| seen.insert(p.clone()));
        let scenario = Scenario {
            text: text.to_string(),
            file_name: file_name.to_string(),
            files,
            model,
            uncertain: ctx.uncertain,
            numeric_paths,
        };
        scenario.check_extremes(&ctx.uncertain_spans)?;
        Ok(scenario)
    }

    /// Checks the rules between keys over the whole range of every uncertain input, not only at
    /// its median: each input alone at its lowest and highest possible value, then all inputs
    /// at their lowest together and at their highest together. A failure points at the input.
    fn check_extremes(&self, spans: &[reader::Span]) -> Result<(), Vec<Diagnostic>> {
        let src = Source::new(&self.file_name, &self.text);
        let ends = |u: &Uncertain| match u.spec.support() {
            Some((lo, hi)) => (
                lo.clamp(u.clamp.0, u.clamp.1),
                hi.clamp(u.clamp.0, u.clamp.1),
            ),
            None => (u.at(0.0), u.at(1.0)),
        };
        let mut cases: Vec<(Vec<usize>, &str, HashMap<String, f64>)> = Vec::new();
        for (j, u) in self.uncertain.iter().enumerate() {
            let (lo, hi) = ends(u);
            for (which, v) in [("lowest", lo), ("highest", hi)] {
                cases.push((vec![j], which, HashMap::from([(u.path.clone(), v)])));
            }
        }
        if self.uncertain.len() > 1 {
            let all: Vec<usize> = (0..self.uncertain.len()).collect();
            for (which, pick) in [("lowest", 0), ("highest", 1)] {
                let o = self
                    .uncertain
                    .iter()
                    .map(|u| {
                        let (lo, hi) = ends(u);
                        (u.path.clone(), if pick == 0 { lo } else { hi })
                    })
                    .collect();
                cases.push((all.clone(), which, o));
            }
        }
        let mut diags = Vec::new();
        let mut failed = vec![false; self.uncertain.len()];
        for (inputs, which, overrides) in cases {
            if inputs.iter().any(|&j| failed[j]) {
                continue;
            }
            let Err(found) = self.with(&overrides) else {
                continue;
            };
            let Some(first) = found.first() else {
                continue;
            };
            let at = if first.line > 0 {
                format!(" (line {})", first.line)
            } else {
                String::new()
            };
            let values: Vec<String> = inputs
                .iter()
                .map(|&j| {
                    let u = &self.uncertain[j];
                    format!("`{}` = {}", u.path, reader::show(overrides[&u.path]))
                })
                .collect();
            let j = inputs[0];
            failed[j] = true;
            diags.push(src.diag(
                spans.get(j).cloned(),
                &self.uncertain[j].path,
                format!(
                    "at {} {} value{}, {}, the scenario is invalid: {} — `{}`{at}",
                    if inputs.len() == 1 { "its" } else { "their" },
                    which,
                    if inputs.len() == 1 { "" } else { "s" },
                    values.join(", "),
                    first.message,
                    first.key_path
                ),
                format!(
                    "a distribution whose every value keeps the scenario valid ({})",
                    first.allowed
                ),
            ));
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }

    /// The scenario with `overrides` (key path → value) in place of what the file says. The
    /// seed and trial count are those of `self.model` (which the caller may have changed).
    pub fn with(&self, overrides: &HashMap<String, f64>) -> Result<Model, Vec<Diagnostic>> {
        let reuse = if overrides.keys().any(|p| p.starts_with("accounts.")) {
            None
        } else {
            Some((Arc::clone(&self.model.accounts), self.model.hash.clone()))
        };
        let files = &self.files;
        let mut read_file = |p: &str| -> Result<Vec<u8>, String> {
            files
                .get(p)
                .cloned()
                .ok_or_else(|| format!("{p} was not read when the scenario was loaded"))
        };
        let (mut m, _) = read(
            &self.text,
            &self.file_name,
            overrides,
            reuse,
            &mut read_file,
        )?;
        m.seed = self.model.seed;
        m.trials = self.model.trials;
        m.hash = self.model.hash.clone();
        Ok(m)
    }

    /// The scenario as written: file name, text, and the files it named (an account CSV).
    pub fn source(&self) -> (&str, &str, &HashMap<String, Vec<u8>>) {
        (&self.file_name, &self.text, &self.files)
    }

    /// Checks that `path` names a real-valued key; the error lists the nearest ones.
    pub fn check_path(&self, path: &str) -> Result<(), String> {
        if self.numeric_paths.iter().any(|p| p == path) {
            return Ok(());
        }
        let near = near_matches(path, self.numeric_paths.iter().map(String::as_str));
        Err(if near.is_empty() {
            format!(
                "unknown key path `{path}`; the real-valued keys are listed in docs/SCENARIO.md (e.g. `{}`)",
                self.numeric_paths.first().map_or("", String::as_str)
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
}

fn read<'s>(
    text: &'s str,
    file_name: &'s str,
    overrides: &HashMap<String, f64>,
    reuse: Option<(Arc<crate::model::Accounts>, String)>,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<(Model, reader::Ctx<'s>), Vec<Diagnostic>> {
    let src = Source::new(file_name, text);
    let (root, errors) = DeTable::parse_recoverable(text);
    let mut ctx = reader::Ctx::new(src);
    ctx.overrides = overrides.clone();
    ctx.reuse = reuse;
    if !errors.is_empty() {
        for e in errors {
            let message = e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string();
            ctx.error(
                e.span(),
                "",
                format!("TOML syntax: {message}"),
                "valid TOML (https://toml.io)",
            );
        }
        return Err(ctx.diags);
    }
    let raw = raw::read(&mut ctx, &root);
    let model = resolve::resolve(&mut ctx, raw, read_file)?;
    Ok((model, ctx))
}
