//! A run summarised batch by batch as it is simulated (memory flat in trials, docs/MODEL.md §9)
//! against the same trials held all at once: the same results, bit for bit, at any thread count;
//! and against one batch of all trials: the same counts, extremes and means, and percentiles
//! that are exactly those of the kept subsample.

mod common;

use covsim::driver::{self, Plan, Variant};
use covsim::engine::NoProgress;
use covsim::results::Results;
use covsim::scenario::Scenario;
use covsim::stats::{Moments, percentile_sorted, sorted};
use covsim::summary;

const TRIALS: u64 = 200;
/// Batches of 48 trials: 200 trials are 4 whole batches and one of 8; percentiles from every
/// 8th trial (the smallest power of two e with ⌈200 ÷ e⌉ ≤ 48: ⌈200 ÷ 4⌉ = 50 is too many).
const BATCH: u64 = 48;

/// The transition scenario (three transitions, so paybacks) with an uncertain hand-off failure
/// rate (so input correlations).
fn scenario() -> Scenario {
    common::transition_with_uncertain_failure(TRIALS)
}

fn run(sc: &Scenario, plan: &Plan, threads: usize) -> covsim::study::Run {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a pool");
    let outcome = pool
        .install(|| driver::run(sc, &[Variant::new()], plan, &NoProgress))
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    outcome.runs.into_iter().next().expect("one run")
}

fn json(r: &Results) -> String {
    serde_json::to_string(r).expect("results serialise")
}

#[test]
fn a_streamed_run_is_the_run_held_whole_summarised_in_the_same_batches() {
    let sc = scenario();
    let model = &sc.model;
    let held = run(&sc, &Plan::Trials(0..TRIALS), 2);
    assert!(held.summary.is_none());
    assert_eq!(held.matrix.trials, TRIALS);
    let whole = Results::from_run_in(model, &sc.settings, &held, BATCH);

    let streamed_plan = Plan::Streamed {
        trials: TRIALS,
        batch: BATCH,
    };
    for threads in [1, 2, 3] {
        let streamed = run(&sc, &streamed_plan, threads);
        assert_eq!(streamed.trials(), TRIALS);
        // Only the kept trials' rows and draws are held: 0, 8, …, 192.
        assert_eq!(streamed.matrix.trials, 25);
        assert_eq!(streamed.draws.len(), 25);
        let r = Results::from_run_in(model, &sc.settings, &streamed, BATCH);
        assert_eq!(
            json(&r),
            json(&whole),
            "streamed at {threads} threads differs"
        );
    }
    let from = whole
        .percentiles_from
        .expect("a run of 5 batches subsamples");
    assert_eq!((from.every, from.trials), (8, 25));
    assert_eq!(whole.trials, TRIALS);
    assert_eq!(whole.inputs.len(), 1);
}

#[test]
fn batches_keep_counts_extremes_and_means_and_take_percentiles_from_the_kept_trials() {
    let sc = scenario();
    let model = &sc.model;
    let held = run(&sc, &Plan::Trials(0..TRIALS), 2);
    let m = &held.matrix;
    // One batch of every trial: the plain two-pass statistics of all rows.
    let one = Results::from_run_in(model, &sc.settings, &held, TRIALS);
    assert!(one.percentiles_from.is_none());
    let five = Results::from_run_in(model, &sc.settings, &held, BATCH);

    let kept_trials: Vec<usize> = (0..TRIALS as usize).step_by(8).collect();
    let mut scratch = Vec::new();
    let mut compared = 0;
    for (d, (a, b)) in one.designs.iter().zip(&five.designs).enumerate() {
        for (k, (x, y)) in a.metrics.iter().zip(&b.metrics).enumerate() {
            let (x, y) = (&x.stats, &y.stats);
            let tol = 1e-12 * x.mean.abs().max(1.0);
            assert!((x.mean - y.mean).abs() <= tol, "{}: mean", b.name);
            assert!(
                (x.sd - y.sd).abs() <= 1e-9 * x.sd.max(1e-300) + 1e-12 * x.mean.abs(),
                "{} metric {k}: sd {} vs {}",
                b.name,
                x.sd,
                y.sd
            );
            assert_eq!((x.min, x.max), (y.min, y.max), "extremes are exact");
            // Percentiles: type 7 over trials 0, 8, 16, …
            let xs: Vec<f64> = kept_trials.iter().map(|&t| m.row(t, d)[k]).collect();
            let s = sorted(&xs, &mut scratch);
            assert_eq!(y.p5, percentile_sorted(s, 0.05));
            assert_eq!(y.p50, percentile_sorted(s, 0.5));
            assert_eq!(y.p95, percentile_sorted(s, 0.95));
            compared += 1;
        }
        for (x, y) in a.vs_baseline.iter().zip(&b.vs_baseline) {
            // Counted over every trial, not the subsample.
            assert_eq!(x.diff.share_better, y.diff.share_better);
            assert!((x.diff.diff.mean - y.diff.diff.mean).abs() <= 1e-9 * x.diff.diff.sd + 1e-6);
        }
    }
    assert!(compared > 100);
    // Paybacks are counted over every trial: identical.
    let paybacks =
        |r: &Results| -> Vec<_> { r.monthly.iter().map(|x| x.payback.clone()).collect() };
    assert_eq!(paybacks(&one), paybacks(&five));
    assert!(paybacks(&one).iter().filter(|p| p.is_some()).count() >= 3);
}

#[test]
fn merged_moments_are_the_two_pass_moments_of_the_union() {
    // Values with a large mean and a small spread, where a naive sum of squares loses digits.
    let xs: Vec<f64> = (0..1000)
        .map(|i| 1e9 + ((i * 7919) % 1000) as f64 * 0.37)
        .collect();
    let whole = Moments::of(&xs);
    for batch in [1, 7, 64, 999] {
        let mut m = Moments::default();
        for part in xs.chunks(batch) {
            m.merge(&Moments::of(part));
        }
        assert_eq!(m.n, whole.n);
        assert_eq!((m.min, m.max), (whole.min, whole.max));
        assert!((m.mean() - whole.mean()).abs() <= 1e-15 * whole.mean());
        assert!(
            (m.sd() - whole.sd()).abs() <= 1e-7 * whole.sd(),
            "batch {batch}: {} vs {}",
            m.sd(),
            whole.sd()
        );
    }
    // The sd of 0.37·(0…999 in some order) is 0.37·√(1000·1001/12) scaled to n − 1.
    let expected = 0.37 * ((1000.0f64 * 1000.0 - 1.0) / 12.0 * 1000.0 / 999.0).sqrt();
    assert!((whole.sd() - expected).abs() < 1e-6 * expected);
}

#[test]
fn the_batch_depends_on_the_layout_only_and_holds_a_few_hundred_megabytes() {
    let sc = scenario();
    let b = summary::batch_trials(&sc.model);
    assert_eq!(b % 8, 0);
    let row =
        sc.model.designs.len() as u64 * covsim::metrics::Layout::of(&sc.model).width() as u64 * 8;
    assert!(b * row <= summary::BATCH_BYTES || b == 1024);
    assert!((1024..=1 << 20).contains(&b));
    assert_eq!(summary::every(10, 48), 1);
    assert_eq!(summary::every(48, 48), 1);
    assert_eq!(summary::every(49, 48), 2);
    assert_eq!(summary::every(200, 48), 8);
    // The built-in example's 10⁸ trials: ⌈10⁸ ÷ 66,968⌉ = 1,494, so every 2,048th trial.
    assert_eq!(summary::every(100_000_000, 66_968), 2048);
    // A power of two, the smallest that keeps at most a batch, and never smaller for a longer
    // run (so a run of unknown length can drop trials as it goes).
    for batch in [1u64, 7, 48, 1024] {
        let mut last = 1;
        for trials in (0..5_000u64).chain([b, 10 * b + 3, 100_000_000]) {
            let e = summary::every(trials, batch);
            assert!(e.is_power_of_two());
            assert!(trials.div_ceil(e) <= batch);
            assert!(e == 1 || trials.div_ceil(e / 2) > batch);
            if trials < 5_000 {
                assert!(e >= last);
                last = e;
            }
        }
    }
}

#[test]
fn a_streamed_run_hands_over_every_row_once_in_trial_order() {
    // What `covsim run --per-trial` writes to per_trial.csv batch by batch: the batches handed
    // over, put end to end, are the rows of the run held whole, bit for bit, at any thread
    // count; and the workbook's reader gives back exactly those numbers from the CSV text.
    let sc = scenario();
    let held = run(&sc, &Plan::Trials(0..TRIALS), 2);
    let plan = Plan::Streamed {
        trials: TRIALS,
        batch: BATCH,
    };
    let columns = covsim::export::per_trial::Columns::of_model(&sc.model);
    let metrics = columns.metrics.len();
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool");
        let mut firsts = Vec::new();
        let mut values = Vec::new();
        let mut csv =
            covsim::export::per_trial::Writer::new(Vec::new(), columns.clone()).expect("header");
        pool.install(|| {
            driver::run_with_rows(&sc, &[Variant::new()], &plan, &NoProgress, &mut |v, m| {
                assert_eq!(v, 0);
                firsts.push((m.first_trial, m.trials));
                values.extend_from_slice(&m.values);
                csv.rows(m).expect("to memory");
                std::ops::ControlFlow::Continue(())
            })
        })
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
        assert_eq!(
            firsts,
            [(0, 48), (48, 48), (96, 48), (144, 48), (192, 8)],
            "batches of 48 from trial 0"
        );
        assert!(values == held.matrix.values, "rows at {threads} threads");
        let designs = sc.model.designs.len();
        assert_eq!(csv.written(), TRIALS * designs as u64);
        let text = csv.finish().expect("flush");
        let back: Vec<_> = covsim::export::per_trial::Rows::new(&text[..], designs)
            .collect::<Result<_, _>>()
            .expect("reads back");
        assert_eq!(back.len(), TRIALS as usize * designs);
        for (i, row) in back.iter().enumerate() {
            let (t, d) = (i / designs, i % designs);
            assert_eq!((row.trial, row.design), (t as u64, d));
            assert!(
                row.values[..] == held.matrix.row(t, d)[..metrics],
                "trial {t} design {d} read back"
            );
        }
    }
}

#[test]
fn a_streamed_run_stops_when_its_rows_cannot_be_written() {
    let sc = scenario();
    let plan = Plan::Streamed {
        trials: TRIALS,
        batch: BATCH,
    };
    let mut batches = 0;
    let stopped = driver::run_with_rows(&sc, &[Variant::new()], &plan, &NoProgress, &mut |_, _| {
        batches += 1;
        match batches {
            2 => std::ops::ControlFlow::Break(()),
            _ => std::ops::ControlFlow::Continue(()),
        }
    });
    assert!(matches!(stopped, Err(d) if d.is_empty()));
    assert_eq!(batches, 2, "no batch simulated after the one that failed");
}

#[test]
fn model_md_states_the_batch_size_the_code_uses() {
    // The batch rule of docs/MODEL.md §9, with its worked example, against the code's layout:
    // a re-implementation from the document must cut the same batches, or its merged moments
    // differ in their last bits (an independent check found the document saying 6 monthly
    // values per month where the rows hold 7).
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/MODEL.md"))
        .expect("docs/MODEL.md");
    let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = covsim::metrics::monthly::COUNT;
    assert!(
        doc.contains(&format!("plus {count} monthly values per month")),
        "MODEL.md §9 must say {count} monthly values per month"
    );
    for (key, _) in covsim::metrics::monthly::KEYS {
        assert!(
            doc.contains(&format!("`{key}`")),
            "MODEL.md §9 names the monthly value {key}"
        );
    }
    let sc = Scenario::load(
        covsim::scenario::BUILTIN,
        "leverage.toml",
        &mut |p: &str| Err(format!("no file {p}")),
    )
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    let layout = covsim::metrics::Layout::of(&sc.model);
    let designs = sc.model.designs.len();
    let bytes = designs * layout.width() * 8;
    let batch = summary::batch_trials(&sc.model);
    let sentence = format!(
        "The built-in example: {designs} designs × ({} + {count} × {}) values × 8 bytes = {} bytes a trial, so `B` = ⌊268,435,456 ÷ {}⌋ = {}, rounded down to {}.",
        layout.metrics(),
        sc.model.months,
        covsim::export::thousands(bytes as f64),
        covsim::export::thousands(bytes as f64),
        covsim::export::thousands(((256u64 << 20) / bytes as u64) as f64),
        covsim::export::thousands(batch as f64),
    );
    assert!(
        doc.contains(&sentence),
        "MODEL.md §9 should read: {sentence}"
    );
}

#[test]
fn a_precision_run_summarised_as_it_goes_is_its_trials_held_whole() {
    // A precision run does not know its length in advance: its batches of 30 trials (its own
    // step, and Latin hypercube block) are cut into the summary's batches of 48 as they come,
    // the kept trials thinned as the run grows. Run to its cap of 200 trials, it gives the
    // results of the same 200 trials held whole and summarised in batches of 48, and the
    // half-width it stopped on is the one its summary's moments give (docs/MODEL.md §12).
    let sc = scenario();
    let model = &sc.model;
    let plan = Plan::Precision {
        target: 1e-9,
        batch: 30,
        max_trials: TRIALS,
        summary_batch: BATCH,
    };
    let mut held: Option<covsim::study::Run> = None;
    for start in (0..TRIALS).step_by(30) {
        let piece = covsim::study::simulate(
            &sc,
            &Variant::new(),
            start..(start + 30).min(TRIALS),
            30,
            &NoProgress,
        )
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
        match &mut held {
            None => held = Some(piece),
            Some(h) => h.append(piece),
        }
    }
    let held = held.expect("trials");
    let whole = Results::from_run_in(model, &sc.settings, &held, BATCH);
    let (s, _, _) = summary::held(model, &held.matrix, &held.draws, 1, BATCH);
    let c = covsim::metrics::g::CONTRIBUTION;
    let b = model.baseline;
    let designs = model.designs.len();
    let contribution: Vec<Moments> = (0..designs).map(|d| *s.value(d, c)).collect();
    let paired: Vec<Moments> = (0..designs).map(|d| *s.diff(d, c).0).collect();
    let expected = covsim::study::relative_half_width(b, &contribution, &paired);
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool");
        // Every row handed over as it is simulated (how `--per-trial` writes per_trial.csv).
        let mut handed = Vec::new();
        let outcome = pool
            .install(|| {
                driver::run_with_rows(&sc, &[Variant::new()], &plan, &NoProgress, &mut |_, m| {
                    handed.extend_from_slice(&m.values);
                    std::ops::ControlFlow::Continue(())
                })
            })
            .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
        assert!(
            handed == held.matrix.values,
            "every row, once, in trial order"
        );
        let p = outcome.precision.expect("a precision plan reports");
        assert!(!p.met);
        assert_eq!(
            p.reached, expected,
            "the half-width of the summary's moments"
        );
        let run = &outcome.runs[0];
        assert_eq!(run.trials(), TRIALS);
        assert_eq!(run.matrix.trials, 25, "trials 0, 8, …, 192 kept");
        let r = Results::from_run_in(model, &sc.settings, run, BATCH);
        assert_eq!(json(&r), json(&whole), "at {threads} threads");
    }
    // The relative half-width by hand from the baseline's and one design's columns: §12's
    // formula over all trials (1.959963984540054 · sd/√n over |mean|).
    let col = |d: usize| held.matrix.column(d, c);
    let half = |xs: &[f64]| {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, covsim::stats::Z95 * (var / n).sqrt())
    };
    let (base_mean, mut worst) = half(&col(b));
    for d in (0..designs).filter(|&d| d != b) {
        let diff: Vec<f64> = col(d).iter().zip(col(b)).map(|(x, y)| x - y).collect();
        worst = worst.max(half(&col(d)).1).max(half(&diff).1);
    }
    let by_hand = worst / base_mean.abs();
    assert!(
        (expected - by_hand).abs() <= 1e-9 * by_hand,
        "{expected} vs {by_hand}"
    );
}

#[test]
fn a_sweep_summarised_as_it_goes_is_its_points_held_whole() {
    // Every point of a sweep runs batch by batch and keeps only its subsample; its results and
    // the break-even points (from the moments of the paired differences of contribution over
    // all trials) are those of the points held whole and summarised in the same batches.
    let sc = scenario();
    let param = "channels[1].cost_per_head_per_year";
    let values = [20_000.0, 200_000.0, 800_000.0, 2_000_000.0];
    let study = driver::Study::Sweep {
        param: param.into(),
        values: values.to_vec(),
    };
    let variants = study.variants(&sc);
    let held = driver::run(&sc, &variants, &Plan::Trials(0..TRIALS), &NoProgress)
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    let plan = Plan::Streamed {
        trials: TRIALS,
        batch: BATCH,
    };
    let streamed = driver::run(&sc, &variants, &plan, &NoProgress)
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    let assemble = |runs: &[covsim::study::Run], whole: bool| {
        let mut results = Vec::new();
        let mut summaries = Vec::new();
        for (v, run) in variants.iter().zip(runs) {
            let model = sc.with(v).expect("a valid point");
            if whole {
                assert!(run.summary.is_none());
                summaries.push(summary::Summary::of(&model, &run.matrix, BATCH));
            } else {
                assert_eq!(run.matrix.trials, 25);
                summaries.push((**run.summary.as_ref().expect("summarised")).clone());
            }
            results.push(Results::from_run_in(&model, &sc.settings, run, BATCH));
        }
        covsim::sweep::assemble(param, &values, results, &summaries)
    };
    let a = assemble(&held.runs, true);
    let b = assemble(&streamed.runs, false);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    // The study run in one process reduces each point to its results before the next point is
    // simulated (`Study::run`): the same sweep, and no point's rows are kept.
    let ran = study
        .run(&sc, &plan, &NoProgress)
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    assert!(ran.run.is_none());
    assert_eq!(ran.trials, TRIALS);
    let driver::Finished::Sweep(c) = ran.finished else {
        panic!("a sweep finishes as a sweep")
    };
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&c).unwrap()
    );
    // The sweep crosses over: the designs that lean on inside sales lead while its heads are
    // cheap, not when they are dear (a break-even is compared, not only empty lists).
    assert!(!a.break_evens.is_empty(), "{:?}", a.break_evens);
    // The pairs' moments are the two-pass moments of the paired column within one batch.
    let model = sc.with(&variants[0]).unwrap();
    let one = summary::Summary::of(&model, &held.runs[0].matrix, TRIALS);
    let c = covsim::metrics::g::CONTRIBUTION;
    let (x, y) = (
        held.runs[0].matrix.column(0, c),
        held.runs[0].matrix.column(1, c),
    );
    let d: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p - q).collect();
    assert_eq!(*one.pair(0, 1), Moments::of(&d));
}

#[test]
fn runs_that_end_on_a_batch_boundary_or_just_short_of_it_are_the_runs_held_whole() {
    // A full batch is summarised as soon as it is complete, so a run of exactly one batch is
    // summarised (its kept rows all of it) where a shorter one is kept whole: the same bytes.
    for trials in [47, 48, 49, 96] {
        let mut sc = scenario();
        sc.settings.trials = trials;
        let held = run(&sc, &Plan::Trials(0..trials), 2);
        let whole = Results::from_run_in(&sc.model, &sc.settings, &held, BATCH);
        let plan = Plan::Streamed {
            trials,
            batch: BATCH,
        };
        let streamed = run(&sc, &plan, 2);
        assert_eq!(streamed.trials(), trials);
        let r = Results::from_run_in(&sc.model, &sc.settings, &streamed, BATCH);
        assert_eq!(json(&r), json(&whole), "{trials} trials");
    }
}

#[test]
fn each_variant_is_handed_over_before_the_next_is_simulated() {
    // What keeps a sweep's memory flat in its points: `run_each` hands a variant's run over
    // once all its batches are simulated and before the first batch of the next variant.
    let sc = scenario();
    let study = driver::Study::Sweep {
        param: "channels[1].cost_per_head_per_year".into(),
        values: vec![20_000.0, 200_000.0, 800_000.0],
    };
    let variants = study.variants(&sc);
    let plan = Plan::Streamed {
        trials: TRIALS,
        batch: BATCH,
    };
    let events = std::cell::RefCell::new(Vec::new());
    driver::run_each(
        &sc,
        &variants,
        &plan,
        &NoProgress,
        &mut |i, m| {
            events.borrow_mut().push(("rows", i, m.first_trial));
            std::ops::ControlFlow::Continue(())
        },
        &mut |i, run| {
            assert_eq!(run.trials(), TRIALS);
            events.borrow_mut().push(("run", i, 0));
            Ok(())
        },
    )
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    let batches: Vec<u64> = driver::batches(TRIALS, BATCH).map(|r| r.start).collect();
    let mut expected = Vec::new();
    for i in 0..variants.len() {
        expected.extend(batches.iter().map(|&b| ("rows", i, b)));
        expected.push(("run", i, 0));
    }
    assert!(batches.len() > 1, "several batches per variant");
    assert_eq!(events.into_inner(), expected);
}

#[test]
fn rows_written_into_a_used_buffer_are_the_rows_written_into_fresh_memory() {
    // A streamed run writes each batch's rows into the previous batch's values: they are
    // cleared and zeroed first, whatever they held and however long they were.
    let sc = scenario();
    let seed = sc.settings.seed;
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let fresh = covsim::engine::simulate(&sc.model, seed, 40..80, &NoProgress);
    for spare in [
        vec![f64::NAN; 3 * fresh.values.len()],
        vec![1.0; 5],
        Vec::with_capacity(fresh.values.len()),
    ] {
        let reused = covsim::engine::simulate_into(&sc.model, seed, 40..80, &NoProgress, spare);
        assert_eq!((reused.first_trial, reused.trials), (40, 40));
        assert_eq!(bits(&reused.values), bits(&fresh.values));
    }
}
