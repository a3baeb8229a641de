#![allow(dead_code)]
//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

use covsim::engine::{self, NoProgress, TrialMatrix};
use covsim::model::Model;
use covsim::results::Results;

/// A scenario's model with the run settings its file gives (`[simulation]` trials and seed).
/// It derefs to the model, so a test reads `m.designs` and sets `m.trials = 50`.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub model: Model,
    pub trials: u64,
    pub seed: u64,
}

impl std::ops::Deref for Loaded {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl std::ops::DerefMut for Loaded {
    fn deref_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

/// Loads a scenario from text; panics with the rendered diagnostics if it is invalid.
pub fn model(text: &str) -> Loaded {
    let sc = covsim::scenario::Scenario::load(text, "test.toml", &mut |p: &str| {
        Err(format!("no file {p} in tests"))
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    Loaded {
        trials: sc.settings.trials,
        seed: sc.settings.seed,
        model: sc.model,
    }
}

/// Simulates every trial of `model` and summarises them.
pub fn simulate(model: &Loaded) -> (TrialMatrix, Results) {
    let m = engine::simulate(model, model.seed, 0..model.trials, &NoProgress);
    let r = Results::from_trials(model, model.seed, &m);
    (m, r)
}

/// A scenario simple enough for closed forms: 200 identical accounts, one tier needing 20
/// coverage hours a year, a digital channel (not limited by hours: multiplier 1), an inside
/// channel whose response is `M(ρ) = ρ²·1.25/(0.25 + ρ²)`, two stages that need no selling
/// hours, no volatility. `extra` is appended.
pub fn simple(designs: &str, extra: &str) -> String {
    format!(
        r#"
[simulation]
name = "closed"
trials = 4000
seed = 3
months = 12
[economics]
gross_margin = 0.5
[accounts]
[[accounts.segments]]
name = "s"
count = 200
potential = 120000
fit = 0.9
[[tiers]]
name = "all"
opportunities_per_year = 3
coverage_hours_per_account_per_year = 20
[[channels]]
name = "direct"
kind = "digital"
price_discount = 0.1
[[channels]]
name = "inside"
kind = "inside"
capacity_hours_per_head_per_year = 1000
cost_per_head_per_year = 50000
response = {{ shape = 2, half_saturation = 0.5 }}
[[stages]]
name = "one"
conversion = 0.6
[[stages]]
name = "two"
conversion = 0.5
{extra}
{designs}
"#
    )
}

/// Asserts `mean` lies within `z` standard errors of `expected`.
pub fn assert_close(what: &str, mean: f64, se: f64, expected: f64, z: f64) {
    assert!(
        (mean - expected).abs() <= z * se,
        "{what}: simulated {mean} ± {se} (se) vs closed form {expected}: off by {:.2} se",
        (mean - expected).abs() / se
    );
}

pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("covsim").expect("binary built")
}

/// Runs the binary in `dir` with `args`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// The repository's scenarios folder.
pub fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// scenarios/transition.toml (three transitions, so paybacks) with an uncertain hand-off
/// failure rate, `uniform(0.02, 0.1)` (so kept draws and input correlations), run for `trials`.
pub fn transition_with_uncertain_failure(trials: u64) -> covsim::scenario::Scenario {
    let text = std::fs::read_to_string(scenarios().join("transition.toml")).expect("transition");
    let text = text.replacen(
        "default_failure = 0.05",
        "default_failure = { dist = \"uniform\", min = 0.02, max = 0.1 }",
        1,
    );
    let mut sc = covsim::scenario::Scenario::load(&text, "transition.toml", &mut |p: &str| {
        Err(format!("no file {p}"))
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    sc.settings.trials = trials;
    assert_eq!(sc.uncertain.len(), 1);
    sc
}
