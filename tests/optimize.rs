//! `covsim optimize` (docs/MODEL.md §17): candidates evaluated on common random numbers, an
//! optimum headcount known in closed form found, the Kim–Nelson guarantee holding in a repeated
//! experiment, a binding constraint moving the answer to its boundary, best.toml reproducing
//! the reported figures through `covsim run`, and outputs independent of the thread count.

mod common;

use common::*;
use covsim::engine::{self, NoProgress};
use covsim::model::Response;
use covsim::optimize::{self, NoMonitor, Options, space};
use covsim::scenario::Scenario;

/// One tier of 200 identical accounts (potential 120,000 a year, 3 opportunities a year, 20
/// coverage hours each: 4,000 hours of work), one inside channel (100 hours a head, 80,000 a
/// head, no variable pay) that owns the one stage (conversion 0.5), a digital channel for the
/// hand-made alternative. Volatility 0.
fn sizing(seed: u64) -> String {
    format!(
        r#"
[simulation]
name = "sizing"
trials = 200
seed = {seed}
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
[[channels]]
name = "inside"
kind = "inside"
capacity_hours_per_head_per_year = 100
cost_per_head_per_year = 80000
response = {{ shape = 2, half_saturation = 0.5 }}
[[stages]]
name = "close"
conversion = 0.5
[[designs]]
name = "digital"
headcount = {{}}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "inside"
headcount = {{ inside = 20 }}
[designs.coverage.all]
owner = "inside"
"#
    )
}

const RESPONSE: Response = Response {
    shape: 2.0,
    half_saturation: 0.5,
};

/// Expected contribution with `h` inside heads (docs/MODEL.md §2, §3, §7): ρ = 100h/4000,
/// surfacing min(1, M(ρ)), conversion min(1, 0.5·M(ρ)), revenue = 24M · both, contribution =
/// half of it less the heads' cost.
fn expected(h: f64) -> f64 {
    let m = RESPONSE.at(h * 100.0 / 4000.0);
    0.5 * 200.0 * 120_000.0 * m.min(1.0) * (0.5 * m).min(1.0) - 80_000.0 * h
}

const RANGE: (u32, u32) = (1, 120);

/// The best headcount of the closed form, by enumeration.
fn closed_form_best() -> u32 {
    (RANGE.0..=RANGE.1)
        .max_by(|&a, &b| expected(a as f64).total_cmp(&expected(b as f64)))
        .unwrap()
}

fn load(text: &str) -> Scenario {
    Scenario::load(text, "sizing.toml", &mut |p: &str| {
        Err(format!("no file {p}"))
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)))
}

fn problem(sc: &Scenario, constraints: &[&str]) -> space::Problem {
    space::Problem {
        from: 1,
        variables: vec![
            space::parse_variable(sc, 1, &format!("headcount.inside={}..{}", RANGE.0, RANGE.1))
                .unwrap(),
        ],
        constraints: constraints
            .iter()
            .map(|c| space::parse_constraint(&sc.model, c).unwrap())
            .collect(),
        objective: space::parse_measure(&sc.model, "contribution").unwrap(),
    }
}

/// δ: half the smallest gap between the best and any other headcount, so that "within δ of
/// the best" means "the best" (the gaps come from the closed form).
fn delta() -> f64 {
    let best = closed_form_best();
    let top = expected(best as f64);
    (RANGE.0..=RANGE.1)
        .filter(|&h| h != best)
        .map(|h| top - expected(h as f64))
        .fold(f64::INFINITY, f64::min)
        / 2.0
}

fn chosen_heads(sc: &Scenario, p: &space::Problem, confidence: f64) -> f64 {
    let opts = Options {
        delta: delta(),
        confidence,
        report_trials: sc.settings.trials,
        max_design_trials: 200_000,
    };
    let a = optimize::optimize(sc, p, &opts, &NoMonitor);
    assert!(a.outcome.selection.finished, "{}", a.outcome.guarantee);
    a.design.expect("a feasible design").headcount[1]
}

#[test]
fn a_candidate_has_the_same_rows_alone_and_in_a_batch() {
    let sc = load(&sizing(5));
    let m = &sc.model;
    let mut a = m.designs[1].clone();
    a.headcount[1] = 37.0;
    let mut b = a.clone();
    b.headcount[1] = 90.0;
    let other = m.designs[0].clone();
    let alone = engine::simulate(
        &optimize::model_of(m, 1, &[&a]),
        sc.settings.seed,
        10..40,
        &NoProgress,
    );
    let batch = engine::simulate(
        &optimize::model_of(m, 1, &[&b, &other, &a]),
        sc.settings.seed,
        10..40,
        &NoProgress,
    );
    for t in 0..30 {
        assert_eq!(alone.row(t, 0), batch.row(t, 2), "trial {t}");
    }
    // On the built-in example too, whose designs differ in every respect.
    let lev = load(covsim::scenario::BUILTIN);
    let d: Vec<&covsim::model::Design> = lev.model.designs.iter().collect();
    let alone = engine::simulate(
        &optimize::model_of(&lev.model, 1, &[d[1]]),
        lev.settings.seed,
        0..8,
        &NoProgress,
    );
    let batch = engine::simulate(
        &optimize::model_of(&lev.model, 1, &[d[2], d[0], d[1]]),
        lev.settings.seed,
        0..8,
        &NoProgress,
    );
    for t in 0..8 {
        assert_eq!(alone.row(t, 0), batch.row(t, 2), "built-in, trial {t}");
    }
}

#[test]
fn the_optimum_headcount_of_the_closed_form_is_found() {
    let best = closed_form_best();
    assert!(
        best > RANGE.0 && best < RANGE.1,
        "optimum {best} inside the range"
    );
    let sc = load(&sizing(7));
    let h = chosen_heads(&sc, &problem(&sc, &[]), 0.95);
    assert!(
        (h - best as f64).abs() <= 1.0,
        "chose {h} heads, the closed form's optimum is {best}"
    );
}

#[test]
fn the_guarantee_holds_in_a_repeated_experiment() {
    // δ is half the smallest gap, so a correct selection is exactly the closed form's best.
    let best = closed_form_best() as f64;
    let confidence = 0.9;
    let runs = 30;
    let correct = (0..runs)
        .filter(|&s| {
            let sc = load(&sizing(1000 + s));
            chosen_heads(&sc, &problem(&sc, &[]), confidence) == best
        })
        .count();
    let share = correct as f64 / runs as f64;
    let sampling_error = 2.0 * (confidence * (1.0 - confidence) / runs as f64).sqrt();
    assert!(
        share >= confidence - sampling_error,
        "{correct} of {runs} correct selections; the guarantee is {confidence}"
    );
}

#[test]
fn a_binding_constraint_moves_the_answer_to_its_boundary() {
    let best = closed_form_best();
    let limit = best - 5;
    // Cost of sales is the heads' cost (no variable pay): 80,000 a head.
    let cap = format!("cost_of_sales <= {}", limit as f64 * 80_000.0 + 1000.0);
    let sc = load(&sizing(9));
    assert_eq!(
        chosen_heads(&sc, &problem(&sc, &[&cap]), 0.95),
        limit as f64
    );
    let heads = format!("heads <= {limit}");
    assert_eq!(
        chosen_heads(&sc, &problem(&sc, &[&heads]), 0.95),
        limit as f64
    );
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn outputs_are_byte_identical_at_1_and_2_threads_and_best_toml_reproduces_them() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "sizing.toml", &sizing(3));
    let run = |threads: &str, out: &str| {
        let o = run_in(
            dir.path(),
            &[
                "optimize",
                "sizing.toml",
                "--from",
                "inside",
                "--vary",
                "headcount.inside=1..120",
                "--constraint",
                "p5(contribution) >= 0",
                "--delta",
                "20k",
                "--threads",
                threads,
                "--quiet",
                "--out",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run("1", "one");
    run("2", "two");
    let mut names: Vec<String> = Vec::new();
    for e in walk(&dir.path().join("one")) {
        let rel = e
            .strip_prefix(dir.path().join("one"))
            .unwrap()
            .to_path_buf();
        let name = rel.display().to_string();
        if name == "timing.json" || name.starts_with('.') {
            continue;
        }
        let a = std::fs::read(dir.path().join("one").join(&rel)).unwrap();
        let b = std::fs::read(dir.path().join("two").join(&rel)).unwrap();
        assert!(a == b, "{name} differs between 1 and 2 threads");
        names.push(name);
    }
    for f in [
        "best.toml",
        "optimize.json",
        "optimize.md",
        "optimize.csv",
        "charts/frontier.png",
        "charts/frontier.svg",
        "charts/sizing_headcount_inside.svg",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} written: {names:?}");
    }
    // best.toml pasted into the scenario: `covsim run` gives the reported figures exactly.
    let o = json(&dir.path().join("one/optimize.json"));
    let c = o["chosen"].as_u64().unwrap() as usize;
    let reported = o["finalists"][c]["contribution"]["mean"].as_f64().unwrap();
    let cost = o["finalists"][c]["cost_of_sales"]["mean"].as_f64().unwrap();
    let best = std::fs::read_to_string(dir.path().join("one/best.toml")).unwrap();
    let text = std::fs::read_to_string(&scenario).unwrap() + &best;
    write(dir.path(), "with_best.toml", &text);
    let r = run_in(
        dir.path(),
        &[
            "run",
            "with_best.toml",
            "--out",
            "run",
            "--quiet",
            "--no-charts",
        ],
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let s = json(&dir.path().join("run/summary.json"));
    let design = s["designs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "optimized")
        .expect("the pasted design");
    let metric = |key: &str| {
        design["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .unwrap()["mean"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(metric("contribution"), reported);
    assert_eq!(metric("cost_of_sales"), cost);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn bad_flags_are_all_reported_with_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sizing.toml", &sizing(3));
    let o = run_in(
        dir.path(),
        &[
            "optimize",
            "sizing.toml",
            "--vary",
            "headcount.insde=1..10",
            "--vary",
            "coverage.all.owner=inside|nobody",
            "--constraint",
            "cost_of_sale <= 1M",
            "--objective",
            "p500(contribution)",
            "--delta=-3",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    for needle in [
        "unknown channel \"insde\"; did you mean \"inside\"?",
        "unknown channel \"nobody\"",
        "unknown metric `cost_of_sale`; did you mean `cost_of_sales`?",
        "percentile 500 is out of range",
        "--delta '-3'",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in:\n{e}");
    }
    assert!(!dir.path().join("outputs").exists(), "nothing written");
}
