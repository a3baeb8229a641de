//! A long run saved as it goes and resumed after it stopped (`covsim run --checkpoint`): the
//! results of the run that never stopped, bit for bit, from whichever batch it resumes; a
//! checkpoint of another run, or a damaged one, is refused before anything is written.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::*;

use covsim::checkpoint::{self, Header};
use covsim::driver::{self, Finished, Plan, Stream, Study, Variant};
use covsim::engine::NoProgress;
use covsim::scenario::Scenario;
use covsim::summary::Summary;

const TRIALS: u64 = 200;
/// Batches of 48 trials: 200 trials are 4 whole batches and one of 8.
const BATCH: u64 = 48;

fn scenario() -> Scenario {
    transition_with_uncertain_failure(TRIALS)
}

fn header(sc: &Scenario, done: u64, every: u64) -> Header {
    Header {
        covsim_version: "test".into(),
        scenario_name: sc.model.name.clone(),
        scenario_hash: sc.model.hash.clone(),
        seed: sc.settings.seed,
        trials: sc.settings.trials,
        batch: BATCH,
        designs: sc.model.designs.len(),
        width: covsim::metrics::Layout::of(&sc.model).width(),
        inputs: sc.uncertain.iter().map(|u| u.path.clone()).collect(),
        done,
        every,
        simulate_seconds: 0.0,
    }
}

fn results_json(finished: &Finished) -> String {
    let Finished::Run(r) = finished else {
        panic!("a plain run")
    };
    serde_json::to_string(r).expect("results serialise")
}

fn resumed(sc: &Scenario, bytes: &[u8]) -> Result<Stream, String> {
    let (found, reader) = checkpoint::read_header(bytes)?;
    let inputs = covsim::study::inputs_of(sc, &Variant::new());
    let state = reader.state(&found, Summary::new(&sc.model, BATCH), inputs)?;
    Ok(Stream::resumed(&sc.model, TRIALS, BATCH, state))
}

#[test]
fn a_run_resumed_from_any_of_its_checkpoints_is_the_run_that_never_stopped() {
    let sc = scenario();
    let plan = Plan::Streamed {
        trials: TRIALS,
        batch: BATCH,
    };
    let straight = Study::Run
        .run(&sc, &plan, &NoProgress)
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    let expected = results_json(&straight.finished);

    // Saved after every whole batch but the last.
    let mut saved: Vec<(Header, Vec<u8>)> = Vec::new();
    let ran = driver::run_resumable(&sc, BATCH, None, &NoProgress, &mut |s| {
        let h = header(&sc, s.trials(), s.kept_every());
        let kept = s.kept().expect("a whole batch keeps trial 0");
        let bytes = checkpoint::write(Vec::new(), &h, s.summary(), kept).expect("written");
        saved.push((h, bytes));
        ControlFlow::Continue(())
    })
    .expect("runs");
    assert_eq!(results_json(&ran.finished), expected);
    assert_eq!(ran.trials, TRIALS);
    assert_eq!(
        saved.iter().map(|(h, _)| h.done).collect::<Vec<_>>(),
        [48, 96, 144, 192]
    );
    // Percentiles of 200 trials in batches of 48 come from every 8th trial from the start.
    assert!(saved.iter().all(|(h, _)| h.every == 8));

    for (h, bytes) in &saved {
        let (read, _) = checkpoint::read_header(&bytes[..]).expect("a header");
        assert_eq!(read, *h);
        for threads in [1, 3] {
            let stream = resumed(&sc, bytes).expect("a checkpoint");
            assert_eq!(stream.trials(), h.done);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            let mut more = 0;
            let ran = pool
                .install(|| {
                    driver::run_resumable(&sc, BATCH, Some(stream), &NoProgress, &mut |_| {
                        more += 1;
                        ControlFlow::Continue(())
                    })
                })
                .expect("resumes");
            assert_eq!(
                results_json(&ran.finished),
                expected,
                "resumed at trial {} on {threads} threads",
                h.done
            );
            assert_eq!(ran.trials, TRIALS);
            // Only the batches after the checkpoint were simulated.
            assert_eq!(more, (192 - h.done) / BATCH);
        }
    }

    // A flipped bit anywhere after the header, or a cut file, is caught.
    let (_, bytes) = &saved[1];
    for at in [bytes.len() - 40, bytes.len() / 2 + 8, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 1;
        let e = resumed(&sc, &bad).expect_err("a damaged checkpoint");
        assert!(e.contains("checksum"), "{e}");
    }
    let e = resumed(&sc, &bytes[..bytes.len() - 33]).expect_err("a cut checkpoint");
    assert!(e.contains("ends early"), "{e}");
}

/// `covsim run wide.toml -q --no-charts --out OUT` and `extra` in `dir`, with `--trials 40000`
/// unless `extra` gives them.
fn run_wide(dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let trials: &[&str] = if extra.contains(&"--trials") {
        &[]
    } else {
        &["--trials", "40000"]
    };
    let args = ["run", "wide.toml", "-q", "--no-charts", "--out", out];
    run_in(dir, &[&args[..], trials, extra].concat())
}

/// The built-in example with 120 months and 63 accounts: rows wide enough for batches of
/// 9,816 trials, trials cheap enough for several batches in seconds.
fn wide(dir: &Path) {
    let text = include_str!("../scenarios/leverage.toml")
        .replacen("months = 12 ", "months = 120 ", 1)
        .replacen("count = 150\n", "count = 3\n", 1)
        .replacen("count = 1350\n", "count = 20\n", 1)
        .replacen("count = 3500\n", "count = 40\n", 1);
    write(dir, "wide.toml", &text);
}

const OUTPUTS: [&str; 5] = [
    "summary.json",
    "summary.csv",
    "summary.md",
    "monthly.csv",
    "summary.xlsx",
];

#[test]
fn a_killed_run_resumes_from_its_checkpoint_to_the_same_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    wide(d);
    let o = run_wide(d, "straight", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let straight: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.join("straight/summary.json")).expect("summary.json"),
    )
    .expect("json");
    // Several batches: percentiles from every 8th trial (40,000 ÷ 8 ≤ 9,816 < 40,000 ÷ 4).
    assert_eq!(straight["percentiles_from"]["every"], 8);

    // Saved after every batch; killed as soon as the first checkpoint is there.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_covsim"))
        .current_dir(d)
        .args(["run", "wide.toml", "--trials", "40000", "-q", "--no-charts"])
        .args(["--out", "resumed", "--checkpoint", "ck/run.ckpt"])
        .args(["--checkpoint-every", "0", "--threads", "1"])
        .spawn()
        .expect("starts");
    let ckpt = d.join("ck/run.ckpt");
    let t0 = Instant::now();
    loop {
        if ckpt.exists() {
            child.kill().expect("killed");
            child.wait().expect("ends");
            break;
        }
        if let Some(status) = child.try_wait().expect("waits") {
            panic!("the run ended ({status}) before its first checkpoint");
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!d.join("resumed").exists(), "a killed run wrote no outputs");
    let (h, _) = checkpoint::read_header(&std::fs::read(&ckpt).expect("read")[..]).expect("ok");
    assert!(
        h.done > 0 && h.done < 40_000 && h.done % 9_816 == 0,
        "{h:?}"
    );

    let o = run_wide(d, "resumed", &["--checkpoint", "ck/run.ckpt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in OUTPUTS {
        assert_eq!(
            std::fs::read(d.join("straight").join(f)).expect("straight"),
            std::fs::read(d.join("resumed").join(f)).expect("resumed"),
            "{f} differs"
        );
    }
    assert!(
        !ckpt.exists(),
        "the checkpoint is removed once the outputs are written"
    );
    let timing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("resumed/timing.json")).expect("timing"))
            .expect("json");
    assert_eq!(timing["resumed_at_trial"], h.done);
    assert_eq!(timing["trials"], 40_000);
}

#[test]
fn a_checkpoint_of_another_run_or_a_damaged_one_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    wide(d);
    // Not quiet: each save is a line on stderr (not a terminal here).
    let args = ["run", "wide.toml", "--no-charts", "--out", "first"];
    let more = ["--trials", "40000", "--checkpoint", "run.ckpt"];
    let o = run_in(
        d,
        &[&args[..], &more, &["--checkpoint-every", "0"]].concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!d.join("run.ckpt").exists());
    let said: Vec<String> = stderr(&o)
        .lines()
        .filter(|l| l.starts_with("saved checkpoint"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        said,
        [9_816, 19_632, 29_448, 39_264].map(|n| format!(
            "saved checkpoint run.ckpt: {} of 40,000 trials",
            covsim::format::group_thousands(n)
        ))
    );

    // A checkpoint as an earlier run of seed 42 would leave it: written by the library.
    let mut sc = Scenario::load(
        &std::fs::read_to_string(d.join("wide.toml")).expect("wide"),
        "wide.toml",
        &mut |p: &str| Err(format!("no file {p}")),
    )
    .expect("loads");
    sc.settings.trials = 40_000;
    let batch = covsim::summary::batch_trials(&sc.model);
    assert_eq!(batch, 9_816);
    let mut bytes = None;
    driver::run_resumable(&sc, batch, None, &NoProgress, &mut |s| {
        let mut h = header(&sc, s.trials(), s.kept_every());
        h.batch = batch;
        h.covsim_version = env!("CARGO_PKG_VERSION").into();
        bytes = Some(
            checkpoint::write(Vec::new(), &h, s.summary(), s.kept().expect("kept")).expect("w"),
        );
        ControlFlow::Break(())
    })
    .expect_err("stopped after its first batch");
    let bytes = bytes.expect("a checkpoint");
    write_bytes(d, "run.ckpt", &bytes);

    let refused = |extra: &[&str], needles: &[&str]| {
        let o = run_wide(
            d,
            "again",
            &[&["--checkpoint", "run.ckpt"][..], extra].concat(),
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        for n in needles {
            assert!(stderr(&o).contains(n), "{n:?} not in {}", stderr(&o));
        }
        assert!(!d.join("again").exists(), "nothing written");
        assert!(
            d.join("run.ckpt").exists(),
            "the checkpoint is left as it was"
        );
    };
    refused(
        &["--seed", "7"],
        &[
            "cannot resume from checkpoint run.ckpt: it belongs to another run",
            "seed: the checkpoint's is 42, this run's 7",
            "delete the file to start the run afresh",
        ],
    );
    refused(
        &["--trials", "50000"],
        &["trials: the checkpoint's is 40000, this run's 50000"],
    );
    // The same run resumes from it to the first run's files.
    let o = run_wide(d, "again", &["--checkpoint", "run.ckpt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in OUTPUTS {
        assert_eq!(
            std::fs::read(d.join("first").join(f)).expect("first"),
            std::fs::read(d.join("again").join(f)).expect("again"),
            "{f} differs"
        );
    }
    std::fs::remove_dir_all(d.join("again")).expect("removed");

    let mut bad = bytes.clone();
    let at = bad.len() - 100;
    bad[at] ^= 1;
    write_bytes(d, "run.ckpt", &bad);
    refused(&[], &["the file is damaged"]);
    write_bytes(d, "run.ckpt", b"not a checkpoint");
    refused(&[], &["not a covsim checkpoint"]);
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("written");
}

#[test]
fn a_checkpoint_is_refused_with_flags_it_cannot_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    for (flags, needle) in [
        (
            &["--per-trial"][..],
            "--checkpoint cannot be combined with --per-trial",
        ),
        (
            &["--shard", "0/2"],
            "--checkpoint cannot be combined with --shard",
        ),
        (
            &["--precision", "0.01"],
            "--checkpoint cannot be combined with --precision",
        ),
    ] {
        let o = run_in(
            d,
            &[
                &["run", "--trials", "100", "--checkpoint", "c.ckpt"][..],
                flags,
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
        assert!(!d.join("outputs").exists() && !d.join("c.ckpt").exists());
    }
    let o = run_in(d, &["run", "--trials", "100", "--checkpoint", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is a folder: name a file"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("outputs").exists());
    let o = run_in(d, &["run", "--trials", "100", "--checkpoint-every", "60"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--checkpoint"), "{}", stderr(&o));
}
