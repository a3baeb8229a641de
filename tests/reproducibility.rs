//! Same scenario and seed, same bytes: at any thread count and any split of the trials; and
//! designs share their random numbers, which makes paired differences far less noisy.

mod common;
use common::*;

use covsim::engine::{self, NoProgress};

#[test]
fn summary_json_is_byte_identical_at_1_2_and_5_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2", "5"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = run_in(
            dir.path(),
            &[
                "run",
                "--trials",
                "300",
                "--threads",
                threads,
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        outputs.push((
            std::fs::read(out.join("summary.json")).unwrap(),
            std::fs::read(out.join("summary.csv")).unwrap(),
        ));
    }
    assert!(outputs[0].0.len() > 1000);
    assert_eq!(outputs[0], outputs[1], "1 vs 2 threads");
    assert_eq!(outputs[0], outputs[2], "1 vs 5 threads");
}

#[test]
fn any_split_of_the_trials_gives_the_same_rows() {
    let mut model = model(covsim::scenario::BUILTIN);
    model.trials = 50;
    let whole = engine::simulate(&model, model.seed, 0..50, &NoProgress);
    let a = engine::simulate(&model, model.seed, 0..17, &NoProgress);
    let b = engine::simulate(&model, model.seed, 17..50, &NoProgress);
    let mut joined = a.values.clone();
    joined.extend_from_slice(&b.values);
    assert_eq!(whole.values, joined);
    // and trial 23 re-run alone
    let alone = engine::simulate(&model, model.seed, 23..24, &NoProgress);
    assert_eq!(alone.row(0, 1), whole.row(23, 1));
}

#[test]
fn a_design_does_not_shift_the_draws_of_another() {
    // Adding a third design leaves the first two designs' per-trial results untouched.
    let text = covsim::scenario::BUILTIN;
    let mut two = model(text);
    two.trials = 40;
    let mut three = two.clone();
    // A design with its own rates: 5,000 field heads saturate the field's response and so the
    // largest opportunity rate over the designs, and lower clarity raises conflict.
    let mut extra = three.designs[0].clone();
    extra.name = "extra".into();
    extra.headcount[0] = 5000.0;
    extra.clarity = 0.1;
    three.designs.push(extra);
    let m2 = engine::simulate(&two, two.seed, 0..40, &NoProgress);
    let m3 = engine::simulate(&three, three.seed, 0..40, &NoProgress);
    for t in 0..40 {
        for d in 0..two.designs.len() {
            assert_eq!(m2.row(t, d), m3.row(t, d));
        }
    }
}

#[test]
fn common_random_numbers_shrink_the_paired_standard_error() {
    let mut model = model(covsim::scenario::BUILTIN);
    model.trials = 400;
    // A typical question: the leveraged design with clearer rules of engagement.
    let mut clearer = model.designs[1].clone();
    clearer.name = "leveraged_clear_rules".into();
    clearer.clarity = 0.9;
    model.designs.push(clearer);
    model.baseline = 1;
    let (_, r) = simulate(&model);
    let ratio = |d: usize| {
        let diff = r.diff(d, "contribution").unwrap();
        diff.se_unpaired / diff.diff.se
    };
    let close = ratio(3);
    eprintln!(
        "se_unpaired / se_paired: field_everything {:.2}, teamed {:.2}, clear rules {close:.2}",
        ratio(0),
        ratio(2)
    );
    assert!(
        close > 5.0,
        "close designs: unpaired/paired se ratio only {close:.2}"
    );
    // Even very different designs gain from sharing draws.
    for d in [0, 2] {
        assert!(
            ratio(d) > 1.4,
            "design {d}: unpaired/paired se ratio only {:.2}",
            ratio(d)
        );
    }
}
