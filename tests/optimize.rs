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

/// Two tiers: 4 big accounts (20M potential, so a won deal is worth 10M) and 400 small ones
/// (100k). The `hunter` channel wins big deals (effectiveness 1 there, 0.1 on small ones) and
/// costs 12M a year to run; the `farmer` channel the reverse, for nothing. With the hunter on
/// the big tier, contribution has the higher mean (about 0.5·(40M + 20M) − 12M = 18M against
/// 0.5·(4M + 20M) = 12M) but a Poisson(4) count of 10M deals makes its bad years far worse (P5
/// about 3M against 9M). `[optimize]` asks for the best P5.
fn risk(extra: &str) -> String {
    format!(
        r#"
[simulation]
name = "risk"
trials = 400
seed = 11
months = 12
[economics]
gross_margin = 0.5
[accounts]
[[accounts.segments]]
name = "big"
count = 4
potential = 20000000
fit = 0.9
[[accounts.segments]]
name = "small"
count = 400
potential = 100000
fit = 0.9
[[tiers]]
name = "big"
min_potential = 1000000
opportunities_per_year = 2
[[tiers]]
name = "small"
opportunities_per_year = 2
[[channels]]
name = "hunter"
kind = "digital"
fixed_cost_per_year = 12000000
effectiveness = {{ big = 1.0, small = 0.1 }}
[[channels]]
name = "farmer"
kind = "digital"
effectiveness = {{ big = 0.1, small = 1.0 }}
[[stages]]
name = "close"
conversion = 0.5
[[designs]]
name = "hunted"
headcount = {{}}
[designs.coverage.big]
owner = "hunter"
[designs.coverage.small]
owner = "farmer"
[[designs]]
name = "farmed"
headcount = {{}}
[designs.coverage.big]
owner = "farmer"
[designs.coverage.small]
owner = "farmer"

[optimize]
from = "hunted"
vary = ["coverage.big.owner=hunter|farmer"]
objective = "p5(contribution)"
delta = "500k"
{extra}"#
    )
}

/// The value of `coverage.big.owner` of the chosen finalist in `optimize.json`.
fn chosen_setting(o: &serde_json::Value) -> String {
    let c = o["chosen"].as_u64().expect("a chosen finalist") as usize;
    o["finalists"][c]["settings"][0][1]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_percentile_objective_picks_the_design_with_the_better_bad_years() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "risk.toml", &risk(""));
    // The answer from the trial rows of `covsim run` (a scenario with an [optimize] section
    // runs as if it had none), computed here: each design's mean, the paired mean difference
    // with its standard error, and the 5th percentile (nearest rank) of contribution.
    let r = run_in(
        dir.path(),
        &[
            "run",
            "risk.toml",
            "--per-trial",
            "--no-charts",
            "--quiet",
            "--out",
            "run",
        ],
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let rows = std::fs::read_to_string(dir.path().join("run/per_trial.csv")).unwrap();
    let mut lines = rows.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |k: &str| header.iter().position(|h| *h == k).unwrap();
    let (design, contribution) = (col("design"), col("contribution"));
    let mut by: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        by.entry(f[design].to_string())
            .or_default()
            .push(f[contribution].parse().unwrap());
    }
    let (h, f) = (&by["hunted"], &by["farmed"]);
    assert_eq!(h.len(), 400);
    let n = h.len() as f64;
    let d: Vec<f64> = h.iter().zip(f).map(|(a, b)| a - b).collect();
    let dm = d.iter().sum::<f64>() / n;
    let dse = (d.iter().map(|x| (x - dm).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    assert!(
        dm > 5.0 * dse,
        "the hunter's mean is higher: paired difference {dm} ± {dse}"
    );
    let p5 = |xs: &[f64]| {
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        v[(0.05 * n).ceil() as usize - 1]
    };
    assert!(
        p5(f) > p5(h) + 3e6,
        "the farmer's bad years are better: P5 {} against {}",
        p5(f),
        p5(h)
    );
    // The optimizer, from the section alone: the best P5 is the farmer's.
    let o = run_in(
        dir.path(),
        &[
            "optimize",
            "risk.toml",
            "--quiet",
            "--no-charts",
            "--out",
            "p5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = json(&dir.path().join("p5/optimize.json"));
    assert_eq!(p["objective"], "p5(contribution)");
    assert_eq!(chosen_setting(&p), "farmer");
    let c = p["chosen"].as_u64().unwrap() as usize;
    let mean_f = f.iter().sum::<f64>() / n;
    let reported = p["finalists"][c]["contribution"]["mean"].as_f64().unwrap();
    assert!(
        (reported - mean_f).abs() <= 1e-9 * mean_f.abs(),
        "{reported} vs {mean_f}"
    );
    // `--objective` wins over the section's: the best mean is the hunter's.
    let o = run_in(
        dir.path(),
        &[
            "optimize",
            "risk.toml",
            "--objective",
            "contribution",
            "--quiet",
            "--no-charts",
            "--out",
            "mean",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m = json(&dir.path().join("mean/optimize.json"));
    assert_eq!(m["objective"], "contribution");
    assert_eq!(chosen_setting(&m), "hunter");
}

/// `sizing` with an `[optimize]` section that varies the inside heads and caps them 5 below
/// the closed form's optimum.
fn sizing_with_section(seed: u64) -> (String, u32) {
    let best = closed_form_best();
    let text = sizing(seed)
        + &format!(
            r#"
[optimize]
from = "inside"
vary = ["headcount.inside={}..{}"]
constraints = ["heads <= {}"]
delta = {}
max_trials = 200000
"#,
            RANGE.0,
            RANGE.1,
            best - 5,
            delta()
        );
    (text, best)
}

fn optimize_heads(dir: &std::path::Path, out: &str, flags: &[&str]) -> f64 {
    let mut args = vec![
        "optimize",
        "sizing.toml",
        "--quiet",
        "--no-charts",
        "--out",
        out,
    ];
    args.extend_from_slice(flags);
    let o = run_in(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = json(&dir.join(out).join("optimize.json"));
    assert_eq!(
        j["guarantee"].as_str().map(|g| g.contains("NO guarantee")),
        Some(false)
    );
    chosen_setting(&j).parse().unwrap()
}

#[test]
fn the_optimize_section_means_what_the_flags_mean_and_a_list_flag_replaces_its_list() {
    let dir = tempfile::tempdir().unwrap();
    let (text, best) = sizing_with_section(9);
    write(dir.path(), "sizing.toml", &text);
    // The section alone: the cap binds.
    assert_eq!(optimize_heads(dir.path(), "a", &[]), (best - 5) as f64);
    // `--constraint` replaces the section's constraints (were it added, the cap would still
    // bind): the unconstrained optimum.
    let loose = format!("heads <= {}", best + 20);
    assert_eq!(
        optimize_heads(dir.path(), "b", &["--constraint", &loose]),
        best as f64
    );
    // `--vary` replaces the section's variables (were it added, the heads would be varied
    // twice, an error); the section's cap still applies, and the range now ends below it.
    let range = format!("headcount.inside=1..{}", best - 10);
    assert_eq!(
        optimize_heads(dir.path(), "c", &["--vary", &range]),
        (best - 10) as f64
    );
    // The same problem given by flags only gives the same bytes as the section.
    let flags = [
        "--from".to_string(),
        "inside".into(),
        "--vary".into(),
        format!("headcount.inside={}..{}", RANGE.0, RANGE.1),
        "--constraint".into(),
        format!("heads <= {}", best - 5),
        "--delta".into(),
        delta().to_string(),
        "--max-trials".into(),
        "200000".into(),
    ];
    write(dir.path(), "flags.toml", &sizing(9));
    let mut args = vec![
        "optimize",
        "flags.toml",
        "--quiet",
        "--no-charts",
        "--out",
        "d",
    ];
    args.extend(flags.iter().map(String::as_str));
    let o = run_in(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["optimize.json", "optimize.csv", "best.toml"] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("d").join(f)).unwrap();
        assert!(a == b, "{f}: the section and the flags differ");
    }
}

#[test]
fn a_bad_optimize_section_is_reported_in_full_with_places_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let section = r#"
[optimize]
from = "insid"
vary = [
  "headcount.inside=1..10",
  "headcount.insde=1..10",
  "coverage.all.owner=inside|nobody",
  "headcount.inside=10..1",
]
constraints = ["cost_of_sale <= 1M", "heads < 3"]
objective = "p500(contribution)"
delta = -3
confidence = 1.5
budget_seconds = 0
max_trial = 4
"#;
    let text = sizing(3) + section;
    write(dir.path(), "sizing.toml", &text);
    let line = |needle: &str| {
        let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
        text[..at].matches('\n').count() + 1
    };
    let expected = [
        (
            format!("sizing.toml:{}:8", line("from = \"insid\"")),
            "optimize.from",
            "unknown design \"insid\"; did you mean \"inside\"?",
        ),
        (
            format!("sizing.toml:{}:3", line("\"headcount.insde")),
            "optimize.vary[1]",
            "unknown channel \"insde\"; did you mean \"inside\"?",
        ),
        (
            format!("sizing.toml:{}:3", line("\"coverage.all.owner")),
            "optimize.vary[2]",
            "unknown channel \"nobody\"",
        ),
        (
            format!("sizing.toml:{}:3", line("\"headcount.inside=10..1")),
            "optimize.vary[3]",
            "`10..1` is not a range of whole numbers",
        ),
        (
            format!("sizing.toml:{}:16", line("constraints =")),
            "optimize.constraints[0]",
            "unknown metric `cost_of_sale`; did you mean `cost_of_sales`?",
        ),
        (
            String::new(),
            "optimize.constraints[1]",
            "`heads < 3` is not `measure <= limit` or `measure >= limit`",
        ),
        (
            format!("sizing.toml:{}:13", line("objective =")),
            "optimize.objective",
            "percentile 500 is out of range",
        ),
        (
            format!("sizing.toml:{}:9", line("delta = -3")),
            "optimize.delta",
            "`-3` is not a positive amount",
        ),
        (
            format!("sizing.toml:{}:14", line("confidence = 1.5")),
            "optimize.confidence",
            "1.5 is out of range for `optimize.confidence`",
        ),
        (
            format!("sizing.toml:{}:18", line("budget_seconds = 0")),
            "optimize.budget_seconds",
            "0 is out of range for `optimize.budget_seconds`",
        ),
        (
            format!("sizing.toml:{}:1", line("max_trial = 4")),
            "optimize.max_trial",
            "unknown key `max_trial`; did you mean `max_trials`?",
        ),
    ];
    for command in [
        vec!["validate", "sizing.toml"],
        vec!["optimize", "sizing.toml", "--quiet"],
        vec!["optimize", "sizing.toml", "--quiet", "--delta=-4"],
        vec!["run", "sizing.toml", "--quiet"],
    ] {
        let o = run_in(dir.path(), &command);
        assert_eq!(o.status.code(), Some(1), "{command:?}");
        let e = stderr(&o);
        for (place, key, message) in &expected {
            // Each diagnostic: message, place, then key.
            let at = e
                .find(message)
                .unwrap_or_else(|| panic!("{command:?}: missing {message:?} in:\n{e}"));
            let block = &e[at..e[at..].find("\n\n").map_or(e.len(), |i| at + i)];
            assert!(
                block.contains(place.as_str()),
                "{command:?}: {place} in:\n{block}"
            );
            assert!(
                block.contains(&format!("= key: {key}")),
                "{command:?}: {key} in:\n{block}"
            );
        }
        assert!(e.contains("11 problems found"), "{command:?}:\n{e}");
        if command.contains(&"--delta=-4") {
            assert!(e.contains("--delta '-4'"), "the flag's problem too:\n{e}");
        }
        assert!(!dir.path().join("outputs").exists(), "nothing written");
    }
}

#[test]
fn a_confidence_or_budget_of_the_wrong_type_says_what_each_allows() {
    let dir = tempfile::tempdir().unwrap();
    let text = sizing(3) + "\n[optimize]\nconfidence = \"high\"\nbudget_seconds = \"long\"\n";
    write(dir.path(), "sizing.toml", &text);
    let o = run_in(dir.path(), &["validate", "sizing.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    for (key, allowed) in [
        (
            "optimize.confidence",
            "more than 0.5 and less than 1 (e.g. 0.95)",
        ),
        ("optimize.budget_seconds", "a positive number of seconds"),
    ] {
        let at = e
            .find(&format!("= key: {key}"))
            .unwrap_or_else(|| panic!("{key}:\n{e}"));
        let block = &e[at..e[at..].find("\n\n").map_or(e.len(), |i| at + i)];
        assert!(
            block.contains(&format!("= allowed: {allowed}")),
            "{key}:\n{block}"
        );
        assert!(!block.contains("1e12"), "{key}:\n{block}");
    }
    assert!(e.contains("expected a number, found a string"), "{e}");
    assert!(e.contains("2 problems found"), "{e}");
}

#[test]
fn a_level_written_twice_is_one_level() {
    // Two identical candidates would split the selection between them: a repeated level is
    // kept once, where it is first written (categorical) or in its sorted place (ordered).
    let sc = load(&sizing(7));
    let credit = space::parse_variable(&sc, 1, "credit=single|double|single").unwrap();
    assert_eq!(credit.levels.len(), 2);
    assert_eq!(credit.label(&sc.model, 0), "single");
    let clarity = space::parse_variable(&sc, 1, "clarity=0.5|0.2|0.5|0.7").unwrap();
    let values: Vec<String> = (0..clarity.levels.len())
        .map(|i| clarity.label(&sc.model, i))
        .collect();
    assert_eq!(values, ["0.2", "0.5", "0.7"]);
    assert!(space::parse_variable(&sc, 1, "credit=double|double").is_err());
}
