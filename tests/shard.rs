//! Splitting a run into shards run as separate processes and merging them: the merged
//! summary.json is byte-identical to the unsplit run; missing, duplicated, foreign and damaged
//! parts are refused with exit status 1 and nothing written.

mod common;
use common::*;

use std::path::Path;

/// The built-in example with an uncertain input under Latin hypercube sampling, so the merge
/// must also carry the per-trial draws exactly.
fn scenario(dir: &Path, seed: u64) -> std::path::PathBuf {
    let text = covsim::scenario::BUILTIN
        .replace(
            "default_failure = 0.05",
            "default_failure = { dist = \"triangular\", min = 0.02, mode = 0.05, max = 0.2 }",
        )
        .replace("seed = 42", &format!("seed = {seed}\nsampling = \"lhs\""));
    write(dir, &format!("s{seed}.toml"), &text)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run_in(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn shards(dir: &Path, file: &str, parts: &str, n: u64) {
    for i in 0..n {
        let spec = format!("{i}/{n}");
        ok(
            dir,
            &[
                "run", file, "--trials", "90", "--shard", &spec, "--out", parts, "-q",
            ],
        );
    }
}

#[test]
fn one_two_three_and_eight_parts_merge_to_the_unsplit_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, 5);
    ok(
        d,
        &["run", "s5.toml", "--trials", "90", "--out", "whole", "-q"],
    );
    let whole = std::fs::read(d.join("whole/summary.json")).unwrap();
    for n in [1u64, 2, 3, 8] {
        let parts = format!("parts{n}");
        shards(d, "s5.toml", &parts, n);
        let out = format!("merged{n}");
        ok(d, &["merge", &parts, "--out", &out]);
        let merged = std::fs::read(d.join(&out).join("summary.json")).unwrap();
        assert!(
            merged == whole,
            "{n} parts: summary.json differs from the unsplit run"
        );
        for f in [
            "summary.csv",
            "summary.md",
            "monthly.csv",
            "charts/6_path_over_months.svg",
        ] {
            assert_eq!(
                std::fs::read(d.join(&out).join(f)).unwrap(),
                std::fs::read(d.join("whole").join(f)).unwrap(),
                "{n} parts: {f}"
            );
        }
    }
}

#[test]
fn the_shard_index_comes_from_slurm_or_kubernetes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, 6);
    ok(
        d,
        &[
            "run",
            "s6.toml",
            "--trials",
            "90",
            "--out",
            "whole",
            "-q",
            "--no-charts",
        ],
    );
    // Slurm: --array=1-3 gives task ids 1..3 with SLURM_ARRAY_TASK_MIN=1.
    for id in 1..=3 {
        let o = bin()
            .current_dir(d)
            .args([
                "run", "s6.toml", "--trials", "90", "--shard", "auto", "--out", "slurm", "-q",
            ])
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // Kubernetes Indexed Job: JOB_COMPLETION_INDEX, the count given as auto/N.
    for id in 0..2 {
        let o = bin()
            .current_dir(d)
            .args([
                "run", "s6.toml", "--trials", "90", "--shard", "auto/2", "--out", "k8s", "-q",
            ])
            .env("JOB_COMPLETION_INDEX", id.to_string())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let whole = std::fs::read(d.join("whole/summary.json")).unwrap();
    for parts in ["slurm", "k8s"] {
        ok(
            d,
            &[
                "merge",
                parts,
                "--out",
                &format!("m_{parts}"),
                "--no-charts",
            ],
        );
        assert!(std::fs::read(d.join(format!("m_{parts}/summary.json"))).unwrap() == whole);
    }
    // Without the variables, `auto` says what it needs.
    let o = bin()
        .current_dir(d)
        .args(["run", "s6.toml", "--shard", "auto", "--out", "x"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set"));
}

/// Runs `merge` expecting refusal: exit 1, each needle in stderr, nothing written.
fn refused(d: &Path, parts: &str, needles: &[&str]) {
    let o = run_in(d, &["merge", parts, "--out", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in:\n{err}");
    }
    assert!(err.contains("nothing was written"));
    assert!(!d.join("never").exists());
}

#[test]
fn missing_duplicated_foreign_and_damaged_parts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, 7);
    scenario(d, 8);
    shards(d, "s7.toml", "p", 4);
    let part = |i: u64| d.join(format!("p/leverage.part-{i:04}-of-0004.covpart"));

    // Missing: shard 2 of 4 (trials 45..67) removed.
    let two = std::fs::read(part(2)).unwrap();
    std::fs::remove_file(part(2)).unwrap();
    refused(d, "p", &["missing part: no part covers trials 45..67"]);

    // Duplicated: shard 1 copied under another name.
    std::fs::write(part(2), &two).unwrap();
    std::fs::copy(part(1), d.join("p/copy.covpart")).unwrap();
    refused(
        d,
        "p",
        &["duplicated part", "copy.covpart", "trials 22..45"],
    );
    std::fs::remove_file(d.join("p/copy.covpart")).unwrap();

    // Foreign: a part of another seed (and scenario) in its place.
    ok(
        d,
        &[
            "run", "s8.toml", "--trials", "90", "--shard", "3/4", "--out", "q", "-q",
        ],
    );
    std::fs::rename(part(3), d.join("p3.keep")).unwrap();
    std::fs::copy(d.join("q/leverage.part-0003-of-0004.covpart"), part(3)).unwrap();
    refused(
        d,
        "p",
        &[
            "foreign part",
            "seed 8 (the others: 7)",
            "missing part: no part covers trials 67..90",
        ],
    );
    std::fs::rename(d.join("p3.keep"), part(3)).unwrap();

    // Damaged: one byte flipped; cut off.
    let mut bytes = std::fs::read(part(0)).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 1;
    std::fs::write(part(0), &bytes).unwrap();
    refused(d, "p", &["damaged part: its checksum does not match"]);
    bytes[last] ^= 1;
    std::fs::write(part(0), &bytes[..bytes.len() - 100]).unwrap();
    refused(d, "p", &["the file ends early"]);
    std::fs::write(part(0), &bytes).unwrap();

    // Whole again: merges.
    ok(d, &["merge", "p", "--out", "fine", "--no-charts"]);

    // An empty folder.
    std::fs::create_dir(d.join("empty")).unwrap();
    refused(d, "empty", &["no part files"]);
}
