//! The one study driver through the binary: `sweep` and `sensitivity` split into shards merge to
//! the unsplit bytes, stop at a precision target, and write well-formed CSV whatever a design is
//! called.

mod common;
use common::*;

use std::path::Path;

const ODD_NAME: &str = "leveraged, \"v2\" – Zürich";

/// The built-in example with an uncertain hand-off failure (so a tornado has an input and a
/// sweep point draws it per trial) and, optionally, the leveraged design renamed.
fn scenario(dir: &Path, odd_name: bool) -> &'static str {
    let mut text = covsim::scenario::BUILTIN.replace(
        "default_failure = 0.05",
        "default_failure = { dist = \"triangular\", min = 0.02, mode = 0.05, max = 0.2 }",
    );
    if odd_name {
        // The design's name, and where the `[optimize]` section refers to it.
        for key in ["name", "from"] {
            text = text.replace(
                &format!("{key} = \"leveraged\""),
                &format!("{key} = \"leveraged, \\\"v2\\\" – Zürich\""),
            );
        }
    }
    write(dir, "s.toml", &text);
    "s.toml"
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run_in(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn read(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

const SWEEP: &[&str] = &[
    "sweep",
    "s.toml",
    "--param",
    "channels[0].price_discount",
    "--values",
    "0,0.1,0.2",
    "--trials",
    "60",
    "-q",
];

const TORNADO: &[&str] = &[
    "sensitivity",
    "s.toml",
    "--inputs",
    "handoffs.default_failure,channels[1].price_discount=0.05:0.2",
    "--trials",
    "60",
    "-q",
];

/// Runs `study` whole into `whole/`, as `n` shards into `parts/` and merged into `merged/`, and
/// compares every file but timing.json.
fn split_equals_whole(study: &[&str], files: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, false);
    let with = |extra: &[&str]| -> Vec<String> {
        study.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let args = with(&["--out", "whole"]);
    ok(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    for n in [2u64, 3] {
        let parts = format!("parts{n}");
        for i in 0..n {
            let spec = format!("{i}/{n}");
            let args = with(&["--shard", &spec, "--out", &parts]);
            ok(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
        }
        let merged = format!("merged{n}");
        ok(d, &["merge", &parts, "--out", &merged]);
        for f in files {
            assert!(
                read(d, &format!("{merged}/{f}")) == read(d, &format!("whole/{f}")),
                "{n} shards of {}: {f} differs from the unsplit run",
                study[0]
            );
        }
        // Each study folder has its timing.json, as a run's: the merged one counts its parts.
        let timing = |dir: &str| -> serde_json::Value {
            serde_json::from_slice(&read(d, &format!("{dir}/timing.json")))
                .unwrap_or_else(|e| panic!("{dir}/timing.json of {}: {e}", study[0]))
        };
        let (whole, merged) = (timing("whole"), timing(&merged));
        for t in [&whole, &merged] {
            assert_eq!(t["trials"], 60, "{t}");
            assert!(t["variants"].as_u64().is_some_and(|v| v >= 2), "{t}");
            assert_eq!(t["variants"], whole["variants"]);
        }
        assert!(whole["simulate_seconds"].as_f64().is_some_and(|s| s >= 0.0));
        assert_eq!(merged["parts"], n);
    }
}

#[test]
fn a_sweep_split_into_shards_merges_to_the_unsplit_bytes() {
    split_equals_whole(
        SWEEP,
        &[
            "sweep.json",
            "sweep.csv",
            "sweep.md",
            "summary.xlsx",
            "charts/sweep_contribution.svg",
        ],
    );
}

#[test]
fn a_tornado_split_into_shards_merges_to_the_unsplit_bytes() {
    split_equals_whole(
        TORNADO,
        &[
            "tornado.csv",
            "tornado.md",
            "summary.xlsx",
            "charts/tornado.svg",
        ],
    );
}

/// Every point's relative 95% half-width, from sweep.json: the largest over the designs' mean
/// contribution and their paired differences, relative to the baseline's mean contribution.
fn worst_half_width(r: &serde_json::Value) -> f64 {
    let designs = r["designs"].as_array().unwrap();
    let k = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["key"] == "contribution")
        .unwrap();
    let base = designs.iter().find(|d| d["is_baseline"] == true).unwrap()["metrics"][k]["mean"]
        .as_f64()
        .unwrap();
    let mut worst = 0.0f64;
    for d in designs {
        let s = &d["metrics"][k];
        worst = worst.max(s["ci95_high"].as_f64().unwrap() - s["mean"].as_f64().unwrap());
        if let Some(x) = d["vs_baseline"].as_array().and_then(|v| v.get(k)) {
            worst = worst.max(x["ci95_high"].as_f64().unwrap() - x["mean"].as_f64().unwrap());
        }
    }
    worst / base.abs()
}

#[test]
fn a_sweep_with_precision_stops_at_the_target_at_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, false);
    let target = 0.015;
    let t = target.to_string();
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend([
        "--precision",
        &t,
        "--batch",
        "20",
        "--max-trials",
        "4000",
        "--out",
        "p",
    ]);
    ok(d, &args);
    let sweep: serde_json::Value = serde_json::from_slice(&read(d, "p/sweep.json")).unwrap();
    let points = sweep["points"].as_array().unwrap();
    let trials = points[0]["results"]["trials"].as_u64().unwrap();
    assert!(trials > 20, "one batch met so tight a target: {trials}");
    assert_eq!(trials % 20, 0, "stopping is checked after whole batches");
    let mut worst = 0.0f64;
    for p in points {
        let r = &p["results"];
        assert_eq!(
            r["trials"].as_u64(),
            Some(trials),
            "every point runs the same trials"
        );
        assert_eq!(r["precision"]["met"], true);
        worst = worst.max(worst_half_width(r));
    }
    // Every point met the target, and it is the last batch that brought the worst one there.
    assert!(worst <= target, "{worst} > {target}");
    let reached = points[0]["results"]["precision"]["reached"]
        .as_f64()
        .unwrap();
    assert!(
        (reached - worst).abs() <= 1e-9 * worst.max(1.0),
        "{reached} vs {worst}"
    );
    // The same sweep with one batch fewer has not met it: the run stopped at the first batch
    // that met the target.
    let fewer = (trials - 20).to_string();
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.retain(|a| *a != "60");
    args.retain(|a| *a != "--trials");
    args.extend(["--trials", &fewer, "--out", "fewer"]);
    ok(d, &args);
    let s: serde_json::Value = serde_json::from_slice(&read(d, "fewer/sweep.json")).unwrap();
    let worst_fewer = s["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| worst_half_width(&p["results"]))
        .fold(0.0, f64::max);
    // A precision run's batches draw their Latin hypercube per batch; this scenario samples at
    // random, so the first trials are the same trials either way.
    assert!(
        worst_fewer > target,
        "{worst_fewer} ≤ {target} one batch earlier"
    );
}

#[test]
fn a_tornado_with_precision_stops_at_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, false);
    let mut args: Vec<&str> = TORNADO.to_vec();
    args.extend([
        "--precision",
        "0.015",
        "--batch",
        "20",
        "--max-trials",
        "4000",
        "--out",
        "p",
    ]);
    ok(d, &args);
    let book = read(d, "p/tornado.md");
    let text = String::from_utf8(book).unwrap();
    let trials: u64 = text
        .split(" trials per run")
        .next()
        .and_then(|s| s.rsplit(", ").next())
        .and_then(|s| s.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no trial count in {text}"));
    assert!(trials > 20 && trials % 20 == 0, "{trials}");
}

fn csv_rows(bytes: &[u8]) -> Vec<csv::StringRecord> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let width = r.headers().unwrap().len();
    r.records()
        .map(|x| {
            let x = x.expect("well-formed CSV");
            assert_eq!(x.len(), width, "every row has the header's width");
            x
        })
        .collect()
}

fn names_in(bytes: &[u8], column: usize) -> Vec<String> {
    csv_rows(bytes)
        .iter()
        .map(|r| r[column].to_string())
        .collect()
}

#[test]
fn a_design_name_with_comma_quote_and_accents_round_trips_through_every_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, true);
    ok(
        d,
        &["run", "s.toml", "--trials", "20", "--out", "run", "-q"],
    );
    assert!(names_in(&read(d, "run/summary.csv"), 0).contains(&ODD_NAME.to_string()));
    assert!(names_in(&read(d, "run/monthly.csv"), 0).contains(&ODD_NAME.to_string()));
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend(["--out", "sweep"]);
    ok(d, &args);
    let rows = csv_rows(&read(d, "sweep/sweep.csv"));
    assert!(rows.iter().any(|r| &r[2] == ODD_NAME), "sweep.csv");
    // Numbers stay numbers: the value column parses in every row.
    assert!(rows.iter().all(|r| r[1].parse::<f64>().is_ok()));
    let mut args: Vec<&str> = TORNADO.to_vec();
    args.extend(["--design", ODD_NAME, "--out", "tornado"]);
    ok(d, &args);
    let rows = csv_rows(&read(d, "tornado/tornado.csv"));
    assert_eq!(rows.len(), 2);
    let md = String::from_utf8(read(d, "tornado/tornado.md")).unwrap();
    assert!(md.contains(ODD_NAME), "tornado.md names the design");
}

#[test]
fn sweep_and_sensitivity_share_the_run_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, false);
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend(["--no-charts", "--threads", "1", "--seed", "3", "--out", "s"]);
    ok(d, &args);
    assert!(!d.join("s/charts").exists(), "--no-charts draws no chart");
    let sweep: serde_json::Value = serde_json::from_slice(&read(d, "s/sweep.json")).unwrap();
    assert_eq!(sweep["points"][0]["results"]["seed"], 3);
    // A malformed flag value is a usage error, 2, in every command.
    for cmd in [
        &["run", "s.toml", "--shard", "x/2"][..],
        &[
            "sweep",
            "s.toml",
            "--param",
            "channels[0].price_discount",
            "--values",
            "0,1",
            "--shard",
            "2/2",
        ],
        &["sensitivity", "s.toml", "--precision", "2"],
        &["sensitivity", "s.toml", "--inputs", "nope=1:2"],
    ] {
        let o = run_in(d, cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", stderr(&o));
    }
}

/// Output that cannot be written (a full disk behind `> file`) is an error, exit 2; a closed
/// pipe is not.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stdout_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, false);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("covsim"))
        .current_dir(d)
        .args(["validate", "s.toml"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write to standard output"));
}
