//! What an uncertain input costs against the plain number (issue 12): per-trial variants of a
//! scenario are value edits on the document parsed once, and the account base is shared unless
//! an edit shapes it. Two pairs, on one thread, through `study::simulate` (the path `covsim run`
//! takes):
//! - `leverage/plain` vs `leverage/uncertain_handoff`: the built-in example, and the same with
//!   `handoffs.default_failure` drawn per trial (target ≤ 1.3×);
//! - `csv_100k/plain` vs `csv_100k/uncertain_volatility`: a generated 100,000-row account CSV with
//!   `potential_volatility = 0.6`, and with `{ dist = "uniform", min = 0.5, max = 0.7 }`
//!   (target ≤ 1.5×).
//!
//! Run: cargo bench --bench variants; the ratios are in docs/PERFORMANCE.md.

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};

use covsim::engine::NoProgress;
use covsim::scenario::Scenario;
use covsim::study;

mod common;

const LEVERAGE: &str = include_str!("../scenarios/leverage.toml");

fn scenario(text: &str, csv: Option<&[u8]>) -> Scenario {
    Scenario::load(text, "bench.toml", &mut |_| {
        csv.map(<[u8]>::to_vec).ok_or_else(|| "no file".to_string())
    })
    .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)))
}

fn pair(c: &mut Criterion, group: &str, trials: u64, cases: [(&str, Scenario); 2]) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for (name, sc) in &cases {
        g.bench_function(*name, |b| {
            b.iter(|| {
                pool.install(|| {
                    study::simulate(sc, &HashMap::new(), 0..trials, trials, &NoProgress)
                        .unwrap()
                        .matrix
                        .values
                        .len()
                })
            })
        });
    }
    g.finish();
}

fn leverage(c: &mut Criterion) {
    let uncertain = LEVERAGE.replacen(
        "default_failure = 0.05",
        "default_failure = { dist = \"uniform\", min = 0.03, max = 0.07 }",
        1,
    );
    assert_ne!(uncertain, LEVERAGE);
    let cases = [
        ("plain", scenario(LEVERAGE, None)),
        ("uncertain_handoff", scenario(&uncertain, None)),
    ];
    assert_eq!(cases[1].1.uncertain.len(), 1);
    pair(c, "leverage", 40, cases);
}

fn csv_100k(c: &mut Criterion) {
    let csv = common::account_csv(100_000);
    // The file goes through a temporary folder, as a user's would, then is held in memory.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.csv");
    std::fs::write(&path, &csv).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let start = LEVERAGE.find("[accounts]").unwrap();
    let end = LEVERAGE.find("[[tiers]]").unwrap();
    let text = |volatility: &str| {
        format!(
            "{}[accounts]\ncsv = \"accounts.csv\"\npotential_volatility = {volatility}\n\n{}",
            &LEVERAGE[..start],
            &LEVERAGE[end..]
        )
    };
    let cases = [
        ("plain", scenario(&text("0.6"), Some(&bytes))),
        (
            "uncertain_volatility",
            scenario(
                &text("{ dist = \"uniform\", min = 0.5, max = 0.7 }"),
                Some(&bytes),
            ),
        ),
    ];
    assert_eq!(cases[1].1.uncertain.len(), 1);
    pair(c, "csv_100k", 4, cases);
}

criterion_group!(benches, leverage, csv_100k);
criterion_main!(benches);
