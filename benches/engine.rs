//! Engine throughput in account-month-designs per second (accounts × months × designs × trials
//! ÷ seconds) on scenarios/bench.toml, on one thread and on all threads; the summaries of a
//! batch of the built-in example's trials (trials per second); and the time to load a
//! 1,000,000-row account CSV. Run: cargo bench --bench engine

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use covsim::engine::{self, NoProgress};
use covsim::results::Results;
use covsim::scenario::{self, Scenario};
use covsim::summary::Summary;

const BENCH: &str = include_str!("../scenarios/bench.toml");

fn load(text: &str, csv: Option<&[u8]>) -> Scenario {
    Scenario::load(text, "bench.toml", &mut |_| {
        csv.map(<[u8]>::to_vec).ok_or_else(|| "no file".to_string())
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)))
}

/// The thread counts to measure: `COVSIM_BENCH_THREADS` (comma-separated, as scripts/scaling
/// sets it), or one thread and all of them.
fn thread_counts() -> Vec<usize> {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    match std::env::var("COVSIM_BENCH_THREADS") {
        Ok(list) => list
            .split(',')
            .map(|t| {
                t.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("COVSIM_BENCH_THREADS: {t:?} is not a count"))
            })
            .collect(),
        Err(_) if all > 1 => vec![1, all],
        Err(_) => vec![1],
    }
}

fn throughput(c: &mut Criterion) {
    let sc = load(BENCH, None);
    let (model, seed) = (&sc.model, sc.settings.seed);
    // Trials per thread per iteration: several of the engine's chunks
    // (`engine::CHUNK_TRIALS`) each, so that rayon balances them between the threads as in a
    // run, instead of each thread's one chunk waiting for the slowest.
    let trials = 4 * engine::CHUNK_TRIALS as u64;
    let work =
        model.accounts.len() as u64 * u64::from(model.months) * model.designs.len() as u64 * trials;
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(work));
    group.sample_size(20);
    for threads in thread_counts() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        // Enough trials per iteration to keep every thread busy.
        let n = trials * threads as u64;
        group.throughput(Throughput::Elements(work / trials * n));
        group.bench_function(format!("bench.toml/{threads}_threads"), |b| {
            b.iter(|| pool.install(|| engine::simulate(model, seed, 0..n, &NoProgress)))
        });
    }
    group.finish();
}

/// What a run does with a batch once it is simulated: its moments (`Summary`), then the
/// percentiles of the kept trials and the rest of `Results` (one batch: every trial is kept).
fn summaries(c: &mut Criterion) {
    let sc = Scenario::load(scenario::BUILTIN, scenario::BUILTIN_NAME, &mut |_| {
        Err("no file".to_string())
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    let (model, seed) = (&sc.model, sc.settings.seed);
    let trials = 4_000;
    let rows = engine::simulate(model, seed, 0..trials, &NoProgress);
    let mut group = c.benchmark_group("summary");
    group.sample_size(10);
    group.throughput(Throughput::Elements(trials));
    for threads in thread_counts() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_function(format!("leverage.toml/{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let s = Summary::of(model, &rows, trials);
                    Results::from_summary(model, seed, &s, &rows)
                })
            })
        });
    }
    group.finish();
}

fn csv_loading(c: &mut Criterion) {
    let rows = 1_000_000;
    let csv = common::account_csv(rows);
    let start = BENCH.find("[accounts]").unwrap();
    let end = BENCH.find("# Tiers by potential").unwrap();
    let text = format!(
        "{}[accounts]\ncsv = \"accounts.csv\"\n\n{}",
        &BENCH[..start],
        &BENCH[end..]
    );
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("csv_1M_rows", |b| {
        b.iter(|| load(&text, Some(csv.as_bytes())).model.accounts.len())
    });
    group.finish();
}

criterion_group!(benches, throughput, summaries, csv_loading);
criterion_main!(benches);
