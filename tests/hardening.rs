//! Issue #18: the binary against bad and borderline input — no hang, no abort, no silent
//! nonsense, and an output folder that is always one run's.

mod common;
use common::*;

use std::path::Path;
use std::time::{Duration, Instant};

const GOOD: &str = include_str!("../scenarios/leverage.toml");

/// The leverage scenario with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from} not in leverage.toml");
    GOOD.replacen(from, to, 1)
}

/// The 1-based line of leverage.toml on which `needle` starts.
fn line_of(needle: &str) -> usize {
    let at = GOOD
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in leverage.toml"));
    GOOD[..at].matches('\n').count() + 1
}

/// Runs the binary in `dir`, killing it after `limit`: a hang fails the test instead of the suite.
fn run_bounded(dir: &Path, args: &[&str], limit: Duration) -> std::process::Output {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("covsim"))
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("covsim {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_extreme_beta_input_is_refused_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let text = edited(
        "default_failure = 0.05 ",
        "default_failure = { dist = \"beta\", alpha = 1, beta = 1e7 }",
    );
    write(dir.path(), "s.toml", &text);
    let o = run_bounded(dir.path(), &["validate", "s.toml"], Duration::from_secs(20));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let place = format!("s.toml:{}:19", line_of("default_failure = 0.05 "));
    assert!(err.contains(&place), "{err}");
    assert!(err.contains("handoffs.default_failure"), "{err}");
    assert!(err.contains("alpha and beta from 0.001 to 10000"), "{err}");
}

/// Writes the two parts of a 40-trial run of the built-in example into `dir/p`.
fn two_parts(dir: &Path) -> [std::path::PathBuf; 2] {
    for spec in ["0/2", "1/2"] {
        let o = run_in(
            dir,
            &["run", "--trials", "40", "--shard", spec, "--out", "p", "-q"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    [0, 1].map(|i| dir.join(format!("p/leverage.part-{i:04}-of-0002.covpart")))
}

#[test]
fn merge_refuses_parts_whose_layout_does_not_match_their_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parts = two_parts(d);
    let originals: Vec<Vec<u8>> = parts.iter().map(|p| std::fs::read(p).unwrap()).collect();

    // An edited header (one design of three times the width: the same payload size) with the
    // checksum left alone: the checksum now covers the header.
    for p in &parts {
        let bytes = std::fs::read(p).unwrap();
        let part = covsim::shard::Part::from_bytes(&bytes).unwrap();
        let (designs, width) = (part.header.designs, part.header.width);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let from = format!("\"designs\":{designs},\"width\":{width}");
        let to = format!("\"designs\":1,\"width\":{}", designs * width);
        assert!(text.contains(&from));
        let edited = bytes_replace(&bytes, from.as_bytes(), to.as_bytes());
        // keep the header length field right
        let mut fixed = edited.clone();
        let len = u64::from_le_bytes(bytes[14..22].try_into().unwrap()) as i64 + to.len() as i64
            - from.len() as i64;
        fixed[14..22].copy_from_slice(&(len as u64).to_le_bytes());
        std::fs::write(p, fixed).unwrap();
    }
    let o = run_in(d, &["merge", "p", "--out", "m"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("checksum does not match"), "{err}");
    assert!(!d.join("m").exists());

    // A header rewritten with a valid checksum but a layout its scenario does not give.
    for (p, bytes) in parts.iter().zip(&originals) {
        let mut part = covsim::shard::Part::from_bytes(bytes).unwrap();
        part.header.width *= part.header.designs;
        part.header.designs = 1;
        std::fs::write(p, part.to_bytes()).unwrap();
    }
    let o = run_in(d, &["merge", "p", "--out", "m"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the parts hold 1 design × ") && err.contains("but their scenario gives 3 × "),
        "{err}"
    );
    assert!(!d.join("m").exists());
}

fn bytes_replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = hay
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    [&hay[..at], to, &hay[at + from.len()..]].concat()
}

#[test]
fn overflowing_figures_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "cost_per_head_per_year = 85_000",
            "cost_per_head_per_year = 1e308",
            "1e308 is out of range for `channels[1].cost_per_head_per_year`",
            26,
        ),
        (
            "median = 1_200_000, sigma = 0.7",
            "median = 1e300, sigma = 0.7",
            "1e300 is out of range for `accounts.segments[0].potential.median`",
            44,
        ),
        (
            "median = 1_200_000, sigma = 0.7",
            "median = 1_200_000, sigma = 150",
            "lognormal needs median > 0 and sigma from 0 to 3",
            13,
        ),
        (
            "headcount = { field = 35, inside = 55 }",
            "headcount = { field = 1e-300, inside = 55 }",
            "1e-300 is out of range for `designs[1].headcount.field`",
            23,
        ),
    ];
    for (from, to, message, column) in cases {
        let place = format!("a.toml:{}:{column}", line_of(from));
        write(dir.path(), "a.toml", &edited(from, to));
        for cmd in ["validate", "run"] {
            let o = run_in(
                dir.path(),
                &[cmd, "a.toml", "--trials", "20"][..if cmd == "run" { 4 } else { 2 }],
            );
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{to}: {err}");
            assert!(err.contains(message) && err.contains(&place), "{to}: {err}");
            assert!(!dir.path().join("outputs").exists());
        }
    }
}

#[test]
fn a_non_finite_result_is_refused_naming_the_inputs() {
    let text = edited(
        "default_failure = 0.05 ",
        "default_failure = { dist = \"uniform\", min = 0.01, max = 0.1 }",
    );
    let sc = covsim::scenario::Scenario::load(&text, "s.toml", &mut |p: &str| Err(p.to_string()))
        .unwrap();
    let none = std::collections::HashMap::new();
    let mut run = covsim::study::simulate(&sc, &none, 0..10, 10, &covsim::engine::NoProgress)
        .expect("a finite run");
    assert!(covsim::study::check_finite(&sc, &run).is_ok());
    let width = run.matrix.width;
    // trial 7, design 1, metric 2
    run.matrix.values[(7 * run.matrix.designs + 1) * width + 2] = f64::INFINITY;
    let d = covsim::study::check_finite(&sc, &run).unwrap_err();
    let msg = &d[0].message;
    assert!(
        msg.contains("design \"leveraged\"")
            && msg.contains("trial 7")
            && msg.contains("not a finite number (inf)")
            && msg.contains("handoffs.default_failure = 0.0"),
        "{msg}"
    );
    assert_eq!(d[0].file, "s.toml");
}

#[test]
fn uncertain_inputs_are_validated_over_their_whole_range() {
    let dir = tempfile::tempdir().unwrap();
    // A key tier with no inbound: at the low end of this input its accounts bring nothing.
    let text = edited(
        "opportunities_per_year = 4 ",
        "opportunities_per_year = { dist = \"uniform\", min = 0, max = 8 } ",
    );
    write(dir.path(), "s.toml", &text);
    let place = format!("--> s.toml:{}:26", line_of("opportunities_per_year = 4 "));
    for cmd in ["validate", "run"] {
        let o = run_in(dir.path(), &[cmd, "s.toml"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {err}");
        assert!(err.contains(&place), "{cmd}: {err}");
        assert!(
            err.contains(
                "at its lowest value, `tiers[0].opportunities_per_year` = 0, the scenario is invalid"
            ),
            "{cmd}: {err}"
        );
        assert!(!dir.path().join("outputs").exists());
    }
    // The same input kept above 0 is fine.
    let text = edited(
        "opportunities_per_year = 4 ",
        "opportunities_per_year = { dist = \"uniform\", min = 0.5, max = 8 } ",
    );
    write(dir.path(), "s.toml", &text);
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_output_folder_holds_one_run_and_what_the_user_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run_in(
        d,
        &["run", "--trials", "20", "--per-trial", "--out", "o", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("o/charts").is_dir() && d.join("o/per_trial.csv").is_file());
    // What the user keeps, and what interrupted runs left.
    std::fs::create_dir_all(d.join("o/parts")).unwrap();
    write(d, "o/parts/mine.covpart", "x");
    write(d, "o/notes.txt", "mine");
    write(d, "o/.summary.json.4242.tmp", "half");
    std::fs::create_dir_all(d.join(".o.new-999999/charts")).unwrap();
    write(d, ".o.new-999999/summary.json", "half");

    let o = run_in(
        d,
        &["run", "--trials", "20", "--no-charts", "--out", "o", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(&d.join("o")),
        [
            ".covsim-outputs",
            "monthly.csv",
            "notes.txt",
            "parts",
            "summary.csv",
            "summary.json",
            "summary.md",
            "summary.xlsx",
            "timing.json"
        ]
    );
    assert!(d.join("o/parts/mine.covpart").is_file());
    // Beside it: nothing (the lock went with the run).
    assert_eq!(names(d), ["o"]);

    // A run killed between its two renames left the old folder aside: the next run puts the
    // user's entries back.
    std::fs::rename(d.join("o"), d.join(".o.old-999998")).unwrap();
    let o = run_in(
        d,
        &["run", "--trials", "20", "--no-charts", "--out", "o", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("o/parts/mine.covpart").is_file() && d.join("o/notes.txt").is_file());
    assert_eq!(names(d), ["o"]);
}

#[test]
fn a_run_never_removes_or_replaces_what_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A folder covsim never wrote into: the user's charts/ and per_trial.csv.
    std::fs::create_dir_all(d.join("o/charts")).unwrap();
    write(d, "o/charts/mine.png", "mine");
    write(d, "o/per_trial.csv", "mine");
    // A run that writes neither keeps both.
    let o = run_in(
        d,
        &["run", "--trials", "20", "--no-charts", "--out", "o", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("o/charts/mine.png")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("o/per_trial.csv")).unwrap(),
        "mine"
    );
    let before = std::fs::read(d.join("o/summary.json")).unwrap();
    // One that would replace them stops, names them, and changes nothing.
    let o = run_in(
        d,
        &[
            "run",
            "--trials",
            "20",
            "--seed",
            "5",
            "--per-trial",
            "--out",
            "o",
            "-q",
        ],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("holds charts, per_trial.csv, which covsim did not write there"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("o/charts/mine.png")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read(d.join("o/summary.json")).unwrap(), before);
    assert_eq!(names(d), ["o"]);

    // An output folder that is a file, or lies under one: refused before simulating, and
    // nothing is left beside it.
    write(d, "afile", "mine");
    let o = run_in(d, &["run", "--trials", "100000000", "--out", "afile", "-q"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("afile exists and is not a folder"), "{err}");
    let o = run_in(d, &["run", "--trials", "20", "--out", "afile/sub", "-q"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot create the output folder afile/sub: afile is a file, not a folder"),
        "{err}"
    );
    assert_eq!(names(d), ["afile", "o"]);
}

#[test]
fn a_busy_folder_is_refused_and_ctrl_c_leaves_the_earlier_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run_in(d, &["run", "--trials", "20", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read(d.join("o/summary.json")).unwrap();
    let long = std::process::Command::new(assert_cmd::cargo::cargo_bin("covsim"))
        .current_dir(d)
        .args([
            "run",
            "--trials",
            "50000",
            "--per-trial",
            "--out",
            "o",
            "-q",
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let o = run_in(d, &["run", "--trials", "20", "--out", "o", "-q"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("o is in use by another covsim run"), "{err}");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &long.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = long.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert_eq!(std::fs::read(d.join("o/summary.json")).unwrap(), before);
    // The lock went with the process, its file too, and so did the staging folder its
    // per_trial.csv was being written into.
    assert_eq!(names(d), ["o"]);
    let o = run_in(d, &["run", "--trials", "20", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Runs covsim under `sh` with a file-size limit of `blocks` and SIGXFSZ ignored, so a write
/// past the limit fails with EFBIG as a write to a full disk fails with ENOSPC; or, with the
/// signal left at its default, the process is killed in the middle of writing.
fn run_limited(dir: &Path, blocks: u32, ignore_signal: bool, args: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("covsim");
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    std::process::Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!(
            "{trap}ulimit -f {blocks}; exec {} {args}",
            bin.display()
        ))
        .output()
        .unwrap()
}

#[test]
fn a_failed_or_killed_write_leaves_the_earlier_results_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run_in(d, &["run", "--trials", "20", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before: Vec<(String, Vec<u8>)> = names(&d.join("o"))
        .into_iter()
        .filter(|n| n.contains('.') && !n.starts_with('.'))
        .map(|n| (n.clone(), std::fs::read(d.join("o").join(&n)).unwrap()))
        .collect();
    let unchanged = || {
        for (n, bytes) in &before {
            assert_eq!(
                &std::fs::read(d.join("o").join(n)).unwrap(),
                bytes,
                "{n} changed"
            );
        }
    };
    // The disk fills while the new outputs are written (summary.json is far above 64 blocks):
    // a file-system error, exit 2, and the earlier results stay as they were.
    let o = run_limited(d, 64, true, "run --trials 30 --seed 9 --out o -q");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    unchanged();
    assert_eq!(names(d), ["o"], "no half-written folder left beside it");
    // Killed in the middle of writing (SIGXFSZ): the earlier results stay whole, and the next
    // run cleans up and writes its own.
    let o = run_limited(d, 64, false, "run --trials 30 --seed 9 --out o -q");
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    unchanged();
    let o = run_in(
        d,
        &["run", "--trials", "30", "--seed", "9", "--out", "o", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The killed run's lock file was taken over and removed.
    assert_eq!(names(d), ["o"]);
    assert_ne!(
        std::fs::read(d.join("o/summary.json")).unwrap(),
        before.iter().find(|(n, _)| n == "summary.json").unwrap().1
    );
}

/// Two points of the built-in example, 10⁸ trials each.
const SWEEP_OF_A_HUNDRED_MILLION: [&str; 7] = [
    "sweep",
    "--param",
    "channels[0].cost_per_head_per_year",
    "--values",
    "100000,200000",
    "--trials",
    "100000000",
];

/// A sweep of the built-in example's field cost at `points` values (`step` apart), with `more`.
fn sweep_of(points: u32, step: u32, more: &[&str]) -> Vec<String> {
    let values: Vec<String> = (1..=points).map(|i| (step * i).to_string()).collect();
    let mut args: Vec<String> = ["sweep", "--param", "channels[0].cost_per_head_per_year"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--values".to_string(), values.join(",")]);
    args.extend(more.iter().map(|s| s.to_string()));
    args.extend(["--out".to_string(), "o".to_string()]);
    args
}

/// Runs `args`, which must be refused with exit 2 before anything is written, with a message
/// holding every one of `needles`.
fn refused_before_simulating(args: &[String], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run_bounded(dir.path(), &args, Duration::from_secs(20));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    assert!(!dir.path().join("o").exists());
}

#[test]
fn a_run_too_large_for_memory_is_refused_before_simulating() {
    // A precision sweep runs its points in step, each holding its kept rows and its batch
    // being filled: 400 points of the example, each up to 2 batches of 66,968 trials and a
    // precision batch of 1,000, hold the rows of 53,974,400 trials (about 201 GiB) at once
    // (a run, a sweep, a tornado and their shards hold one batch of one point at a time).
    let precision = ["--precision", "0.00001", "--max-trials", "100000000"];
    refused_before_simulating(
        &sweep_of(400, 1_000, &precision),
        &[
            "this run holds the rows of 53,974,400 trials at once",
            "bytes per trial",
            "trials fit on this machine now",
        ],
    );
}

#[test]
fn a_shard_whose_part_cannot_fit_on_the_disk_is_refused_before_simulating() {
    // 50 points of 10⁸ trials of the example in one part: about 16 TiB.
    let shard = ["--trials", "100000000", "--shard", "0/1"];
    refused_before_simulating(
        &sweep_of(50, 10_000, &shard),
        &[
            "this shard's part file takes",
            "bytes per trial",
            "trials' part fits there now",
            "--shard I/N",
        ],
    );
}

#[test]
fn a_shard_tried_again_replaces_what_a_killed_try_left() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    let left = parts.join(".leverage.part-0000-of-0002.covpart.4242.tmp");
    std::fs::write(&left, b"half a part").unwrap();
    let other = parts.join(".leverage.part-0001-of-0002.covpart.4243.tmp");
    std::fs::write(&other, b"another shard's").unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run", "--trials", "20", "--shard", "0/2", "--out", "parts", "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!left.exists(), "the killed try's file is gone");
    assert!(other.exists(), "another shard's file is not touched");
    assert!(parts.join("leverage.part-0000-of-0002.covpart").exists());
}

#[test]
fn a_hundred_million_trials_are_not_refused() {
    // Summarised batch by batch, a run holds about half a gigabyte whatever its trials, with
    // --per-trial too (its rows go to per_trial.csv as they come); a sweep or a tornado holds
    // that for one point at a time, and so does its shard (its part file written as the rows
    // come); a precision run the same: each starts simulating (a refusal would exit with
    // status 2 at once). Stopped after a few seconds.
    // (A thousandth of the trials, 100,000 a point, more than a batch: its part file, about
    // 0.7 GB, must also fit on the disk, or the shard is refused for that.)
    let sweep_shard = [&SWEEP_OF_A_HUNDRED_MILLION[..], &["--shard", "0/1000"]].concat();
    let runs: [&[&str]; 5] = [
        &["run", "--trials", "100000000"],
        &["run", "--trials", "100000000", "--per-trial"],
        &SWEEP_OF_A_HUNDRED_MILLION,
        &sweep_shard,
        &["run", "--precision", "0.00001", "--max-trials", "100000000"],
    ];
    for args in runs {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("covsim"))
            .current_dir(dir.path())
            .args(args)
            .args(["-q", "--out", "o"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let mut exited = None;
        while start.elapsed() < Duration::from_secs(5) {
            if let Some(status) = child.try_wait().unwrap() {
                exited = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        match exited {
            None => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Some(status) => {
                let mut err = String::new();
                std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
                // A disk this full refuses the shard's part, or per_trial.csv once its first
                // batch says how large it will be; not the memory.
                let disk = (args.contains(&"--shard")
                    && err.contains("this shard's part file takes"))
                    || (args.contains(&"--per-trial")
                        && err.contains("per_trial.csv would take about"));
                assert!(disk, "{args:?} exited with {:?}: {err}", status.code());
            }
        }
        assert!(!dir.path().join("o/summary.json").exists());
        assert!(!dir.path().join("o/sweep.json").exists());
    }
}

#[test]
fn plot_refuses_results_whose_structure_contradicts_itself() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run_in(
        d,
        &["run", "--trials", "20", "--out", "o", "-q", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("o/summary.json")).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 5] = [
        (
            |v| {
                v["monthly"][1]["metrics"][0]["months"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
            "monthly[1].metrics[0].months",
        ),
        (
            |v| {
                v["monthly"][1]["cumulative_vs_baseline"]
                    .as_array_mut()
                    .unwrap()
                    .truncate(3);
            },
            "monthly[1].cumulative_vs_baseline",
        ),
        (
            |v| {
                v["designs"][2]["hours_needed"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
            "designs[2].hours_needed",
        ),
        (
            |v| {
                v["designs"][0]["tiers"].as_array_mut().unwrap().pop();
            },
            "designs[0].tiers",
        ),
        (
            |v| {
                let stages = v["scenario"]["stages"].as_array_mut().unwrap();
                let first = stages[0].clone();
                stages[1] = first;
            },
            "scenario.stages",
        ),
    ];
    for (edit, key) in cases {
        let mut v = good.clone();
        edit(&mut v);
        std::fs::write(d.join("bad.json"), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        let o = run_in(d, &["plot", "bad.json", "--out", "charts"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{key}: {err}");
        assert!(
            err.contains("damaged results file") && err.contains(&format!("key: {key}")),
            "{key}: {err}"
        );
        assert!(!d.join("charts").exists());
    }
}

/// The example reading its accounts from `accounts.csv`.
fn with_csv(dir: &Path, csv: &[u8]) {
    let text = edited(
        "potential_volatility = 0.25",
        "potential_volatility = 0.25\ncsv = \"accounts.csv\"",
    );
    // Segments and a CSV are alternatives: drop the segments.
    let start = text.find("[[accounts.segments]]").unwrap();
    let end = text.find("[[tiers]]").unwrap();
    let text = format!("{}{}", &text[..start], &text[end..]);
    write(dir, "s.toml", &text);
    std::fs::write(dir.join("accounts.csv"), csv).unwrap();
}

#[test]
fn silent_misconfigurations_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A catch-all tier first: the later tiers would never get an account.
    let text = edited(
        "[[tiers]]\nname = \"key\"",
        "[[tiers]]\nname = \"all\"\n\n[[tiers]]\nname = \"key\"",
    );
    write(d, "t.toml", &text);
    let o = run_in(d, &["validate", "t.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("tier \"key\" can never be reached: tier \"all\", listed before it")
            && err.contains(&format!(
                "t.toml:{}:8",
                line_of("[[tiers]]\nname = \"key\"") + 4
            ))
            && err.contains("tier \"tail\" can never be reached"),
        "{err}"
    );

    // A column named twice.
    with_csv(d, b"id,potential,fit,Potential\nA,1,0.5,2\nB,2,0.5,3\n");
    let o = run_in(d, &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("column `potential` appears 2 times in the header (columns 2, 4)")
            && err.contains("accounts.csv:1:18"),
        "{err}"
    );

    // More segment labels than fit in 16 bits.
    let mut csv = b"id,potential,fit,segment\n".to_vec();
    for i in 0..65_537 {
        csv.extend_from_slice(format!("a{i},100,0.5,s{i}\n").as_bytes());
    }
    with_csv(d, &csv);
    let o = run_in(d, &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("more than 65536 distinct segments: \"s65536\" is one too many")
            && err.contains("accounts.csv:65538:"),
        "{err}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_reported_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = GOOD
        .replacen("name = \"leverage\"", "name = \"lev\u{e9}rage\"", 1)
        .into_bytes();
    // é in Latin-1
    let at = text.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    text.splice(at..at + 2, [0xE9]);
    std::fs::write(d.join("s.toml"), &text).unwrap();
    let o = run_in(d, &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("byte 0xE9 is not UTF-8 text") && err.contains("s.toml:14:12"),
        "{err}"
    );

    // Two Latin-1 ids that lossy decoding would make equal.
    with_csv(
        d,
        b"id,potential,fit\nM\xfcller,100,0.5\nM\xf6ller,100,0.5\n",
    );
    let o = run_in(d, &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("byte 0xFC is not UTF-8 text")
            && err.contains("accounts.csv:2:2")
            && err.contains("byte 0xF6 is not UTF-8 text")
            && err.contains("accounts.csv:3:2")
            && !err.contains("duplicate"),
        "{err}"
    );
}

#[test]
fn malformed_flags_of_sweep_and_sensitivity_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "s.toml", GOOD);
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "sweep",
                "s.toml",
                "--param",
                "conflict.discount",
                "--range",
                "0:1",
            ],
            "is not `from:to:points`",
        ),
        (
            &[
                "sweep",
                "s.toml",
                "--param",
                "conflict.discont",
                "--values",
                "0,0.1",
            ],
            "did you mean `conflict.discount`",
        ),
        (
            &[
                "sweep",
                "s.toml",
                "--param",
                "conflict.discount",
                "--values",
                "0.1",
            ],
            "at least two values",
        ),
        (
            &[
                "sweep",
                "s.toml",
                "--param",
                "conflict.discount",
                "--values",
                "0.1,7",
            ],
            "7 is out of range for `conflict.discount` (value set from the command line)",
        ),
        (
            &[
                "sweep",
                "s.toml",
                "--param",
                "conflict.discount",
                "--range",
                "0:0.5:100000",
            ],
            "a sweep of 100000 points would run 100000 simulations",
        ),
        (
            &["sensitivity", "s.toml", "--inputs", "conflict.discount=0.1"],
            "bounds must be `low:high`",
        ),
        (
            &["sensitivity", "s.toml", "--inputs", "conflict.discount"],
            "give its bounds",
        ),
    ];
    for (args, needle) in cases {
        let o = run_bounded(d, args, Duration::from_secs(20));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!d.join("outputs").exists());
    }
}

#[test]
fn a_million_row_account_file_validates_and_finds_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = String::with_capacity(40_000_000);
    csv.push_str("segment,id,potential,fit\n");
    for i in 0..1_000_000u32 {
        let fit = (i % 1000) as f64 / 1000.0;
        csv.push_str(&format!(
            "s{},ACC-{i:07},{},{fit}\n",
            i % 7,
            1000 + (i % 977) * 1931
        ));
    }
    with_csv(d, csv.as_bytes());
    // Speed is measured in benches, never asserted here (shared machines are noisy).
    let o = run_in(d, &["validate", "s.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1000000 accounts"), "{}", stdout(&o));
    // Duplicate ids are still found, with the line of the first.
    csv.push_str("s1,ACC-0000005,10,0.5\n");
    with_csv(d, csv.as_bytes());
    let o = run_in(d, &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("duplicate account id \"ACC-0000005\" (first on line 7)")
            && err.contains("accounts.csv:1000002:4"),
        "{err}"
    );
}
