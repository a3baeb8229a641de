//! A run summarised batch by batch as it is simulated (memory flat in trials, docs/MODEL.md §9)
//! against the same trials held all at once: the same results, bit for bit, at any thread count;
//! and against one batch of all trials: the same counts, extremes and means, and percentiles
//! that are exactly those of the kept subsample.

use covsim::driver::{self, Plan, Variant};
use covsim::engine::NoProgress;
use covsim::results::Results;
use covsim::scenario::Scenario;
use covsim::stats::{Moments, percentile_sorted, sorted};
use covsim::summary;

const TRIALS: u64 = 200;
/// Batches of 48 trials: 200 trials are 4 whole batches and one of 8; percentiles from every
/// ⌈200 ÷ 48⌉ = 5th trial.
const BATCH: u64 = 48;

/// The transition scenario (three transitions, so paybacks) with an uncertain hand-off failure
/// rate (so input correlations).
fn scenario() -> Scenario {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/transition.toml"
    ))
    .expect("scenarios/transition.toml");
    let text = text.replacen(
        "default_failure = 0.05",
        "default_failure = { dist = \"uniform\", min = 0.02, max = 0.1 }",
        1,
    );
    let mut sc = Scenario::load(&text, "transition.toml", &mut |p: &str| {
        Err(format!("no file {p}"))
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    sc.settings.trials = TRIALS;
    assert_eq!(sc.uncertain.len(), 1);
    sc
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
        // Only the kept trials' rows and draws are held: 0, 5, …, 195.
        assert_eq!(streamed.matrix.trials, 40);
        assert_eq!(streamed.draws.len(), 40);
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
    assert_eq!((from.every, from.trials), (5, 40));
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

    let kept_trials: Vec<usize> = (0..TRIALS as usize).step_by(5).collect();
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
            // Percentiles: type 7 over trials 0, 5, 10, …
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
    assert_eq!(summary::every(100_000_000, b), 100_000_000u64.div_ceil(b));
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
