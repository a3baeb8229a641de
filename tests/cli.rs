//! The binary as a new user meets it: run, validate, init, and precise errors for bad input.

mod common;
use common::*;

const GOOD: &str = include_str!("../scenarios/leverage.toml");

fn assert_nothing_written(dir: &std::path::Path) {
    assert!(
        !dir.join("outputs").exists(),
        "outputs were written despite bad input"
    );
}

#[test]
fn run_writes_tables_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["run", "--trials", "100", "--per-trial"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("outputs/leverage");
    for f in [
        "summary.json",
        "summary.csv",
        "summary.md",
        "per_trial.csv",
        "timing.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let text = stdout(&o);
    assert!(
        text.contains("field_everything")
            && text.contains("leveraged")
            && text.contains("(baseline)"),
        "{text}"
    );
    // per_trial.csv: header + trials × designs rows
    let rows = std::fs::read_to_string(out.join("per_trial.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + 100 * 3);
    // summary.json records what is needed to compare later, and no thread count.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["trials"], 100);
    assert_eq!(json["seed"], 42);
    assert_eq!(json["covsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["scenario"]["hash"].as_str().unwrap().len(), 64);
    assert!(json.get("threads").is_none());
    let timing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("timing.json")).unwrap()).unwrap();
    assert!(timing["account_month_designs_per_second"].as_f64().unwrap() > 0.0);
    // no temporary files left behind
    assert!(
        std::fs::read_dir(&out).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
}

#[test]
fn every_example_scenario_validates_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(scenarios()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let p = path.to_str().unwrap();
        let o = run_in(dir.path(), &["validate", p]);
        assert!(o.status.success(), "{p}: {}", stderr(&o));
        let out = dir.path().join("o");
        let o = run_in(
            dir.path(),
            &[
                "run",
                p,
                "--trials",
                "20",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{p}: {}", stderr(&o));
    }
}

#[test]
fn init_writes_a_scenario_that_validates_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["init", "mine.toml"]);
    assert!(o.status.success());
    // The example, named after its file (its results go to outputs/mine, not over the
    // example's), with a run line for that file; nothing else changes.
    let text = std::fs::read_to_string(dir.path().join("mine.toml")).unwrap();
    assert!(text.contains("\nname = \"mine\"\n"), "{text}");
    assert!(text.contains("Run:  covsim run mine.toml\n"), "{text}");
    assert!(
        !text.contains("shared/") && !text.contains("built in"),
        "{text}"
    );
    let (changed, lines) = (
        text.lines()
            .zip(GOOD.lines())
            .filter(|(a, b)| a != b)
            .count(),
        text.lines().count(),
    );
    assert_eq!((changed, lines), (3, GOOD.lines().count()));
    let o = run_in(dir.path(), &["validate", "mine.toml"]);
    assert!(
        o.status.success() && stdout(&o).contains("ok"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["run", "mine.toml", "--trials", "20", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("outputs/mine/summary.json").is_file());
    assert!(!dir.path().join("outputs/leverage").exists());
    let o = run_in(dir.path(), &["init", "mine.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"));
}

/// Runs `run` and `validate` on a bad scenario; both exit 1, write nothing, and print `needles`.
fn assert_rejected(name: &str, text: &str, files: &[(&str, &str)], needles: &[&str]) {
    assert_ne!(text, GOOD, "the test's edit did not change the scenario");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, text);
    for (f, t) in files {
        write(dir.path(), f, t);
    }
    for cmd in ["run", "validate"] {
        let o = run_in(dir.path(), &[cmd, name]);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {}", stderr(&o));
        let err = stderr(&o);
        for n in needles {
            assert!(err.contains(n), "{cmd}: expected {n:?} in:\n{err}");
        }
        assert_nothing_written(dir.path());
    }
}

#[test]
fn probability_outside_0_1_names_file_line_column_and_key() {
    let bad = GOOD.replace("default_failure = 0.05", "default_failure = 1.5");
    let line = bad
        .lines()
        .position(|l| l.starts_with("default_failure = 1.5"))
        .unwrap()
        + 1;
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &[
            &format!("s.toml:{line}:19"),
            "key: handoffs.default_failure",
            "allowed: a probability between 0 and 1",
            "1 problem found; nothing was written",
        ],
    );
}

#[test]
fn negative_cost_is_refused() {
    let bad = GOOD.replace(
        "cost_per_head_per_year = 85_000",
        "cost_per_head_per_year = -85_000",
    );
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &["channels[1].cost_per_head_per_year", "a number ≥ 0"],
    );
}

#[test]
fn unknown_role_in_a_design_suggests_the_nearest() {
    let bad = GOOD.replace(
        "headcount = { field = 35, inside = 55 }",
        "headcount = { field = 35, insde = 55 }",
    );
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &[
            "unknown channel \"insde\"; did you mean \"inside\"?",
            "designs[1].headcount.insde",
            "allowed: one of `field`, `inside`, `solutions`, `digital`",
        ],
    );
}

#[test]
fn unknown_key_is_reported_with_a_suggestion() {
    let bad = GOOD.replace("clarity_effect = 0.8", "clarity_efect = 0.8");
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &[
            "unknown key `clarity_efect`; did you mean `clarity_effect`?",
            "key: conflict.clarity_efect",
        ],
    );
}

#[test]
fn tiers_that_leave_accounts_uncovered_are_refused() {
    let bad = GOOD.replace(
        "name = \"tail\"\nopportunities_per_year = 0.6",
        "name = \"tail\"\nmin_fit = 0.2\nopportunities_per_year = 0.6",
    );
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &["the tiers leave accounts uncovered", "catch-all"],
    );
}

#[test]
fn design_without_an_owner_for_a_stage_is_refused() {
    let bad = GOOD.replace("[designs.coverage.tail]\nowner = \"digital\"\nowners = { close = \"inside\", post_sale = \"inside\" }", "[designs.coverage.tail]\nowners = { close = \"inside\", post_sale = \"inside\" }");
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &[
            "design \"leveraged\" has no owner for stages prospect, qualify, propose of tier \"tail\"",
        ],
    );
}

#[test]
fn design_that_misses_a_tier_is_refused() {
    let cut = GOOD.rfind("[designs.coverage.tail]").unwrap();
    let bad = &GOOD[..cut];
    assert_rejected(
        "s.toml",
        bad,
        &[],
        &["design \"teamed\" does not cover tier tail"],
    );
}

#[test]
fn several_problems_are_reported_at_once() {
    let bad = GOOD
        .replace("default_failure = 0.05", "default_failure = 1.5")
        .replace(
            "cost_per_head_per_year = 85_000",
            "cost_per_head_per_year = -1",
        )
        .replacen(
            "[designs.coverage.core]\nowner = \"inside\"",
            "[designs.coverage.core]\nowner = \"insider\"",
            1,
        )
        .replace("trials = 2000", "trials = \"many\"");
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &[
            "4 problems found",
            "handoffs.default_failure",
            "channels[1].cost_per_head_per_year",
            "unknown channel \"insider\"",
            "simulation.trials",
        ],
    );
}

#[test]
fn toml_syntax_error_points_at_the_place() {
    let bad = GOOD.replace("months = 12 ", "months = = 12 ");
    assert_rejected("s.toml", &bad, &[], &["TOML syntax", "s.toml:"]);
}

const CSV_SCENARIO_HEAD: &str = "[accounts]\ncsv = \"accounts.csv\"\n";

fn csv_scenario() -> String {
    let start = GOOD.find("[accounts]").unwrap();
    let end = GOOD.find("# Tiers by potential").unwrap();
    format!("{}{}\n{}", &GOOD[..start], CSV_SCENARIO_HEAD, &GOOD[end..])
}

#[test]
fn csv_accounts_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.toml", &csv_scenario());
    write(
        dir.path(),
        "accounts.csv",
        "id,name,potential,fit,segment\nA,Acme,900000,0.8,enterprise\nB,Bolt,60000,0.4,mid\nC,Cog,5000,0.1,smb\n",
    );
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("3 accounts"), "{}", stdout(&o));
}

#[test]
fn csv_with_missing_non_numeric_and_duplicate_values_is_refused() {
    let csv = "id,potential,fit\nA,900000,0.8\nB,lots,0.4\nC,,0.1\nA,100,0.5\nD,100,1.7\n";
    assert_rejected(
        "s.toml",
        &csv_scenario(),
        &[("accounts.csv", csv)],
        &[
            "accounts.csv:3:3",
            "`potential` is not a number: \"lots\"",
            "accounts.csv:4:3",
            "empty value for `potential`",
            "duplicate account id \"A\" (first on line 2)",
            "accounts.csv:6:",
            "`fit` is 1.7, out of range",
            "4 problems found",
        ],
    );
}

#[test]
fn missing_account_file_is_an_input_error() {
    assert_rejected(
        "s.toml",
        &csv_scenario(),
        &[],
        &["cannot read account file \"accounts.csv\"", "accounts.csv"],
    );
}

#[test]
fn missing_scenario_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["run", "nope.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read scenario nope.toml"));
}

#[test]
fn too_many_stages_are_refused() {
    let extra: String = (0..14)
        .map(|i| format!("[[stages]]\nname = \"extra{i}\"\nconversion = 1\n"))
        .collect();
    let bad = GOOD.replace("[handoffs]\n", &format!("{extra}\n[handoffs]\n"));
    assert_rejected(
        "s.toml",
        &bad,
        &[],
        &[
            "19 stages given; covsim supports at most 16",
            "stages[16].name",
        ],
    );
}
