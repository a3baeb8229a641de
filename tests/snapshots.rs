//! Snapshot tests (insta) of every text exporter, from a small hand-built results value: a
//! two-design scenario whose trial matrix is filled by hand (no simulation), so each snapshot
//! changes only when an exporter's output changes. Review a change with `cargo insta review`
//! (or `INSTA_UPDATE=always cargo test --test snapshots`) and commit `tests/snapshots/`.

mod common;
use common::*;

use covsim::engine::TrialMatrix;
use covsim::export::{self, study, timing};
use covsim::metrics::{Layout, Metric};
use covsim::model::Model;
use covsim::results::Results;

const DESIGNS: &str = r#"
[[designs]]
name = "field"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "leveraged, \"v2\" – Zürich"
headcount = { inside = 2 }
[designs.coverage.all]
owner = "inside"
"#;

fn small_model() -> Model {
    model(&simple(DESIGNS, "")).model
}

/// Four trials of two designs; every value a small whole number set by hand: column `k` of
/// design `d` in trial `t` is `(k + 1) · 1000 · (1 + d) + 100 · t`, with contribution shifted so
/// the second design leads by exactly 500 in every trial.
fn hand_built(model: &Model, shift: f64) -> Results {
    let width = Layout::of(model).width();
    let (trials, designs) = (4u64, 2usize);
    let mut values = Vec::with_capacity(trials as usize * designs * width);
    for t in 0..trials {
        for d in 0..designs {
            for k in 0..width {
                let mut v = (k as f64 + 1.0) * 1000.0 * (1.0 + d as f64) + 100.0 * t as f64;
                if k == Metric::Contribution.index() {
                    v = 10_000.0 + 100.0 * t as f64 + if d == 1 { 500.0 + shift } else { 0.0 };
                }
                values.push(v);
            }
        }
    }
    let m = TrialMatrix {
        first_trial: 0,
        trials,
        designs,
        width,
        values,
    };
    let mut r = Results::from_trials(model, 3, &m);
    // Version-independent snapshots.
    r.covsim_version = "test".into();
    r
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn run_exporters() {
    let model = small_model();
    let r = hand_built(&model, 0.0);
    for e in export::all() {
        insta::assert_snapshot!(e.file_name(), text(e.render(&r)));
    }
}

#[test]
fn sweep_exporters() {
    let model = small_model();
    // The second design leads by 500 at the first point and trails by 500 at the second: one
    // break-even, halfway.
    let results = vec![hand_built(&model, 0.0), hand_built(&model, -1000.0)];
    // Each point's summary from 4 trials whose rows hold only the contribution.
    let width = covsim::metrics::Layout::of(&model).width();
    let summaries: Vec<covsim::summary::Summary> = [0.0, -1000.0]
        .iter()
        .map(|shift| {
            let mut values = vec![0.0; 4 * 2 * width];
            for t in 0..4 {
                for d in 0..2 {
                    values[(t * 2 + d) * width + covsim::metrics::g::CONTRIBUTION] =
                        10_000.0 + 100.0 * t as f64 + if d == 1 { 500.0 + shift } else { 0.0 };
                }
            }
            let m = covsim::engine::TrialMatrix {
                first_trial: 0,
                trials: 4,
                designs: 2,
                width,
                values,
            };
            covsim::summary::Summary::of(&model, &m, 1024)
        })
        .collect();
    let s = covsim::sweep::assemble(
        "channels[0].price_discount",
        &[0.1, 0.2],
        results,
        &summaries,
    );
    assert_eq!(s.break_evens.len(), 1);
    assert!((s.break_evens[0].at - 0.15).abs() < 1e-12, "halfway");
    insta::assert_snapshot!("sweep.csv", text(study::sweep_csv(&s)));
    insta::assert_snapshot!("sweep.md", study::sweep_md(&s));
}

#[test]
fn tornado_exporters() {
    let model = small_model();
    // Medians, then the input at low and at high: the figure moves from +500 to +300 and +900.
    let results = vec![
        hand_built(&model, 0.0),
        hand_built(&model, -200.0),
        hand_built(&model, 400.0),
    ];
    let inputs = vec![("handoffs.default_failure".to_string(), 0.02, 0.2)];
    let t = covsim::sensitivity::assemble(&inputs, Metric::Contribution.key(), Some(1), results);
    assert_eq!(t.swings[0].width(), 600.0);
    insta::assert_snapshot!("tornado.csv", text(study::tornado_csv(&t)));
    insta::assert_snapshot!("tornado.md", study::tornado_md(&t));
}

#[test]
fn timing_exporter() {
    let t = timing::Timing {
        account_month_designs_per_second: Some(1.5e6),
        accounts: 200,
        covsim_version: "test".into(),
        designs: 2,
        earlier_simulate_seconds: None,
        months: 12,
        parts: None,
        resumed_at_trial: None,
        simulate_seconds: Some(0.25),
        threads: Some(2),
        trials: 4,
        variants: Some(3),
    };
    insta::assert_snapshot!("timing.json", text(timing::render(&t)));
    // A resumed run's fields take their places in the alphabetical order.
    let resumed = timing::Timing {
        earlier_simulate_seconds: Some(100.0),
        resumed_at_trial: Some(2),
        ..t
    };
    let json = String::from_utf8(timing::render(&resumed)).expect("utf-8");
    let keys: Vec<&str> = json
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    assert!(keys.contains(&"resumed_at_trial") && keys.contains(&"earlier_simulate_seconds"));
}
