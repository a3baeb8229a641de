//! Scenario files: the only module that knows TOML. Two steps, two types: `raw::read` turns the
//! document into `RawScenario` (values checked where they stand), `resolve::resolve` checks how
//! the parts refer to each other and builds the `Model` the engine runs on. Every problem of both
//! steps is collected and returned together.

pub mod accounts_csv;
pub mod edit;
pub mod keys;
pub mod raw;
pub mod reader;
pub mod registry;
pub mod resolve;

use std::collections::HashMap;
use std::sync::Arc;

use toml::Spanned;
use toml::de::DeTable;

use crate::diag::{Diagnostic, Source};
use crate::model::Model;
use crate::settings::{RunSettings, Sampling};
use crate::uncertain::{Correlation, Uncertain};
pub use registry::{Param, Registry};

/// The example scenario built into the binary (`covsim run` with no file, `covsim init`).
pub const BUILTIN_NAME: &str = "scenarios/leverage.toml";
pub const BUILTIN: &str = include_str!("../../scenarios/leverage.toml");

/// The starter scenario `covsim init` writes to `file_name`: the built-in example named after
/// the file (so its results go to `outputs/<name>/`, not over the example's), its run line
/// naming the file, and its sources cited by title, without this repository's paths.
pub fn starter(name: &str, file_name: &str) -> String {
    let quoted = toml::Value::String(name.to_string()).to_string();
    BUILTIN
        .replacen(
            "name = \"leverage\"",
            &format!("name = {}", quoted.trim()),
            1,
        )
        .replacen(
            "Run:  covsim run   (this file is built in)  or  covsim run scenarios/leverage.toml",
            &format!("Run:  covsim run {file_name}"),
            1,
        )
        .replacen(
            "(seed article \"leveraged sales force\", shared/seeds/000)",
            "(article \"leveraged sales force\")",
            1,
        )
}

/// Reads and resolves a scenario into the model the engine runs on (uncertain inputs at their
/// medians). See [`Scenario`] for variants of it.
pub fn load(
    text: &str,
    file_name: &str,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Model, Vec<Diagnostic>> {
    Scenario::load(text, file_name, read_file).map(|s| s.model)
}

/// Every key the reader accepts in this text, as patterns (`channels[].ramp`,
/// `designs[].headcount.*`): the known keys of each table it reads, whether or not the text is
/// a valid scenario (a table the text does not write is not read). For tests/registry.rs,
/// which checks them against `keys::KEYS`.
pub fn accepted_keys(text: &str) -> std::collections::BTreeSet<String> {
    let (root, _) = DeTable::parse_recoverable(text);
    let mut ctx = reader::Ctx::new(Source::new("keys.toml", text));
    ctx.accepted = Some(Default::default());
    let _ = raw::read(&mut ctx, &root);
    ctx.accepted.unwrap_or_default()
}

type Tree<'a> = Spanned<DeTable<'a>>;

self_cell::self_cell!(
    /// The scenario text with its TOML tree, parsed once and kept for every variant.
    struct Document {
        owner: String,
        #[covariant]
        dependent: Tree,
    }
    impl {Debug}
);

/// A scenario parsed once, from which variants are built by value edits: a sweep point, a
/// tornado swing, one trial's draws of its uncertain inputs, another seed. A variant walks the
/// parsed tree again with the edited values (never the text), and reuses the account base
/// unless an edited parameter shapes it.
#[derive(Debug, Clone)]
pub struct Scenario {
    doc: Arc<Document>,
    file_name: String,
    /// Files the scenario named (an account CSV), kept to read it again without I/O.
    files: HashMap<String, Vec<u8>>,
    /// The seed given instead of the file's (`--seed`), if any.
    seed: Option<u64>,
    /// The nominal model: every uncertain input at its median.
    pub model: Model,
    /// Trials, seed and sampling: how the model is run (`[simulation]`, `--trials`, `--seed`).
    pub settings: RunSettings,
    pub uncertain: Vec<Uncertain>,
    /// Rank correlations between uncertain inputs (indices into `uncertain`).
    pub correlations: Vec<Correlation>,
    /// Every real-valued key of the scenario, including those left to their default.
    pub registry: Arc<Registry>,
    /// The `[optimize]` section, if written: read by `covsim optimize`, checked by
    /// `covsim validate` (`optimize::space::section`), ignored by the simulation.
    pub optimize: Option<raw::RawOptimize>,
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
        let src = Source::new(file_name, text);
        let mut errors = Vec::new();
        let doc = Document::new(text.to_string(), |t| {
            let (root, e) = DeTable::parse_recoverable(t);
            errors = e;
            root
        });
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .map(|e| {
                    let message = e.message().lines().next().unwrap_or("invalid TOML");
                    src.diag(
                        e.span(),
                        "",
                        format!("TOML syntax: {message}"),
                        "valid TOML (https://toml.io)",
                    )
                })
                .collect());
        }
        let mut ctx = reader::Ctx::new(src);
        let built = build(&mut ctx, doc.borrow_dependent(), &mut keep);
        let registry = Registry::new(std::mem::take(&mut ctx.params), &ctx.names);
        // Problems of the correlations are reported with those of the rest, all at once.
        let checked = correlations(&src, &registry, &ctx.uncertain, &ctx.correlations);
        let ((model, settings), correlations) = match (built, checked) {
            (Ok(m), Ok(c)) => (m, c),
            (built, checked) => {
                // With the `[optimize]` section's own problems, all at once.
                let mut all = built.err().unwrap_or_default();
                all.extend(checked.err().unwrap_or_default());
                all.extend(ctx.optimize.take().map(|o| o.problems).unwrap_or_default());
                return Err(all);
            }
        };
        let scenario = Scenario {
            correlations,
            doc: Arc::new(doc),
            file_name: file_name.to_string(),
            files,
            seed: None,
            model,
            settings,
            uncertain: ctx.uncertain,
            registry: Arc::new(registry),
            optimize: ctx.optimize,
        };
        scenario.check_extremes(&ctx.uncertain_spans)?;
        Ok(scenario)
    }

    fn text(&self) -> &str {
        self.doc.borrow_owner()
    }

    /// Checks the rules between keys over the whole range of every uncertain input, not only at
    /// its median: each input alone at its lowest and highest possible value, then all inputs
    /// at their lowest together and at their highest together. A failure points at the input.
    fn check_extremes(&self, spans: &[reader::Span]) -> Result<(), Vec<Diagnostic>> {
        let src = Source::new(&self.file_name, self.text());
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

    /// The scenario with `overrides` (key path, positional or by name → value) in place of
    /// what the file says: value edits checked against the registry's bounds. It runs under
    /// `self.settings`, like every variant.
    pub fn with(&self, overrides: &HashMap<String, f64>) -> Result<Model, Vec<Diagnostic>> {
        let src = Source::new(&self.file_name, self.text());
        let edits = self.registry.check_edits(&src, overrides)?;
        let mut m = self.variant(edits, self.seed)?;
        m.hash = self.model.hash.clone();
        Ok(m)
    }

    /// Runs with `seed` in place of the file's `simulation.seed`: like the file's seed, it
    /// generates the account base (when the file has segments, not a CSV) and the trials.
    pub fn set_seed(&mut self, seed: u64) -> Result<(), Vec<Diagnostic>> {
        self.model = self.variant(HashMap::new(), Some(seed))?;
        self.settings.seed = seed;
        self.seed = Some(seed);
        Ok(())
    }

    /// Builds the model from the parsed tree with `edits` (positional path → value, already
    /// checked), reusing the nominal account base unless the seed or an edit shapes it.
    fn variant(
        &self,
        edits: HashMap<String, f64>,
        seed: Option<u64>,
    ) -> Result<Model, Vec<Diagnostic>> {
        let src = Source::new(&self.file_name, self.text());
        let mut ctx = reader::Ctx::new(src);
        ctx.record = false;
        ctx.seed = seed;
        if seed == self.seed && !self.registry.shapes_accounts(edits.keys()) {
            ctx.reuse = Some(reader::Reuse {
                accounts: Arc::clone(&self.model.accounts),
                hash: self.model.hash.clone(),
                tiers: (self.model.tiers.iter())
                    .map(|t| (t.min_potential, t.min_fit, t.accounts))
                    .collect(),
            });
        }
        ctx.overrides = edits;
        let files = &self.files;
        let mut read_file = |p: &str| -> Result<Vec<u8>, String> {
            files
                .get(p)
                .cloned()
                .ok_or_else(|| format!("{p} was not read when the scenario was loaded"))
        };
        build(&mut ctx, self.doc.borrow_dependent(), &mut read_file).map(|(m, _)| m)
    }

    /// The scenario as written: file name, text, and the files it named (an account CSV).
    pub fn source(&self) -> (&str, &str, &HashMap<String, Vec<u8>>) {
        (&self.file_name, self.text(), &self.files)
    }

    /// The seed the results depend on: `--seed` if given, else the file's.
    pub fn seed(&self) -> u64 {
        self.settings.seed
    }

    /// Checks that `path` (positional or by name) names a real-valued key and gives its
    /// positional path, the one uncertain inputs are known by; the error lists the nearest ones.
    pub fn check_path(&self, path: &str) -> Result<&str, String> {
        self.registry.check_path(path).map(|p| p.path.as_str())
    }
}

/// The `[[correlations]]` as pairs of uncertain inputs, each named by either key path; every
/// problem is reported, and the whole set must be one a joint distribution can have.
fn correlations(
    src: &Source,
    registry: &Registry,
    uncertain: &[Uncertain],
    raw: &[raw::RawCorrelation],
) -> Result<Vec<Correlation>, Vec<Diagnostic>> {
    const ALLOWED: &str = "the key path of an input given as a distribution (`{ dist = ... }`)";
    let mut diags = Vec::new();
    let mut out: Vec<Correlation> = Vec::new();
    let input = |name: &reader::Sp<String>, diags: &mut Vec<Diagnostic>| {
        match registry.check_path(&name.value) {
            Err(message) => {
                diags.push(src.diag(Some(name.span.clone()), &name.path, message, ALLOWED))
            }
            Ok(p) => match uncertain.iter().position(|u| u.path == p.path) {
                Some(j) => return Some(j),
                // An input whose distribution is wrong is reported where it is written.
                None if p.value.is_nan() => {}
                None => diags.push(src.diag(
                    Some(name.span.clone()),
                    &name.path,
                    format!(
                        "`{}` is not an uncertain input: it is a plain number",
                        name.value
                    ),
                    ALLOWED,
                )),
            },
        }
        None
    };
    for c in raw {
        let (a, b) = (input(&c.a, &mut diags), input(&c.b, &mut diags));
        let (Some(a), Some(b)) = (a, b) else {
            continue;
        };
        let pair = |x: &Correlation| (x.a.min(x.b), x.a.max(x.b));
        let here = Correlation { a, b, rank: c.rank };
        if a == b || out.iter().any(|x| pair(x) == pair(&here)) {
            diags.push(src.diag(
                Some(c.at.span.clone()),
                &c.at.path,
                if a == b {
                    "an input is correlated with itself".to_string()
                } else {
                    "this pair of inputs is correlated twice".to_string()
                },
                "one correlation per pair of two different uncertain inputs",
            ));
            continue;
        }
        out.push(here);
    }
    if diags.is_empty() && !crate::uncertain::check_correlations(uncertain.len(), &out) {
        let first = &raw[0].at;
        diags.push(src.diag(
            Some(first.span.clone()),
            "correlations",
            "the correlations contradict each other: no joint distribution has them (their matrix is not positive semi-definite)",
            "correlations that can hold together (if a–b and b–c are strongly positive, a–c cannot be strongly negative)",
        ));
    }
    for u in uncertain
        .iter()
        .filter(|u| u.path.starts_with("correlations"))
    {
        diags.push(src.diag(
            None,
            &u.path,
            "a correlation is a plain number, not a distribution",
            "a number from -1 to 1",
        ));
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Reads the parsed tree into the model (step one, `raw`, then step two, `resolve`).
fn build(
    ctx: &mut reader::Ctx,
    root: &Tree<'_>,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<(Model, RunSettings), Vec<Diagnostic>> {
    let raw = raw::read(ctx, root);
    let settings = RunSettings {
        trials: raw.trials,
        seed: raw.seed,
        sampling: if raw.lhs {
            Sampling::Lhs
        } else {
            Sampling::Random
        },
    };
    if ctx.record {
        ctx.names = vec![
            raw.accounts
                .segments
                .iter()
                .map(|s| s.name.value.clone())
                .collect(),
            raw.tiers.iter().map(|t| t.name.value.clone()).collect(),
            raw.channels.iter().map(|c| c.name.value.clone()).collect(),
            raw.stages.iter().map(|s| s.name.value.clone()).collect(),
            raw.designs.iter().map(|d| d.name.value.clone()).collect(),
        ];
    }
    resolve::resolve(ctx, raw, read_file).map(|m| (m, settings))
}
