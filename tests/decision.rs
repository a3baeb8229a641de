//! Decision analysis against numbers known independently: a break-even a formula gives, the
//! number of trials a precision target needs, the ranking of inputs of known influence, and
//! uncertain inputs of zero width.

mod common;
use common::*;

use std::collections::HashMap;

use covsim::engine::NoProgress;
use covsim::results::Results;
use covsim::scenario::Scenario;
use covsim::{sensitivity, study, sweep};

/// Design a: digital (multiplier 1), design b: 2 inside heads with half the hours their work
/// needs (response M(½) = 0.625, on surfacing and, once, on conversion).
const TWO: &str = r#"
[[designs]]
name = "a"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
headcount = { inside = 2 }
[designs.coverage.all]
owner = "inside"
"#;

fn scenario(text: &str, trials: u64) -> Scenario {
    let mut sc = Scenario::load(text, "test.toml", &mut |p: &str| Err(format!("no {p}")))
        .unwrap_or_else(|d| panic!("{}", covsim::diag::render_all(&d)));
    sc.settings.trials = trials;
    sc
}

// Closed form of the simple scenario (tests/closed_forms.rs): 200 accounts × 120k, stages
// 0.6 × 0.5, gross margin 50% at list.
const WON_A: f64 = 200.0 * 120_000.0 * 0.6 * 0.5; // digital surfaces every opportunity
const M_HALF: f64 = 0.25 * 1.25 / 0.5; // ρ²·(1 + h²)/(h² + ρ²) at ρ = ½, h = ½
const WON_B: f64 = WON_A * M_HALF * M_HALF; // inside surfaces and converts at M(½)

#[test]
fn sweep_finds_the_break_even_the_formula_gives() {
    // contribution(a) = WON_A·(1 − d) − WON_A/2; contribution(b) = WON_B/2 − 2 × 50,000.
    // Equal at d* = 1/2 − (WON_B/2 − 100,000)/WON_A.
    let d_star = 0.5 - (WON_B / 2.0 - 100_000.0) / WON_A;
    let sc = scenario(&simple(TWO, ""), 1000);
    let values: Vec<f64> = (0..9).map(|i| 0.05 * i as f64).collect();
    let s = sweep::run(&sc, "channels[0].price_discount", &values, &NoProgress).unwrap();
    assert_eq!(s.break_evens.len(), 1, "{:?}", s.break_evens);
    let be = &s.break_evens[0];
    assert_eq!((be.below.as_str(), be.above.as_str()), ("a", "b"));
    let (low, high) = (be.low.unwrap(), be.high.unwrap());
    assert!(
        low <= d_star && d_star <= high,
        "break-even {} ({low}–{high}) does not contain the formula's {d_star}",
        be.at
    );
    assert!(
        high - low < 0.02,
        "interval too wide to mean much: {low}–{high}"
    );
    assert!((be.at - d_star).abs() < 0.01, "{} vs {d_star}", be.at);
    // The same random events at every point: design b, untouched by the swept key, has
    // identical results at every value.
    let b0 = &s.points[0].results.designs[1].metrics;
    for p in &s.points {
        assert_eq!(&p.results.designs[1].metrics, b0);
    }
}

#[test]
fn a_precision_run_stops_at_the_predicted_number_of_trials() {
    let text = simple(TWO, "");
    let pilot = scenario(&text, 4000);
    let run = study::simulate(&pilot, &HashMap::new(), 0..4000, 4000, &NoProgress).unwrap();
    let r = Results::from_run(&pilot.model, &pilot.settings, &run);
    // n = (1.96 σ / (p |μ_baseline|))², σ the largest sd among contributions and differences.
    let sd = r
        .stat(0, "contribution")
        .unwrap()
        .sd
        .max(r.stat(1, "contribution").unwrap().sd)
        .max(r.diff(1, "contribution").unwrap().diff.sd);
    let mu = r.stat(0, "contribution").unwrap().mean.abs();
    let target = 0.004;
    let predicted = (1.959_964 * sd / (target * mu)).powi(2);
    let batch = 200;
    let sc = scenario(&text, 4000);
    let (run, p) =
        study::simulate_to_precision(&sc, &HashMap::new(), target, batch, 100_000, &NoProgress)
            .unwrap();
    let used = run.matrix.trials as f64;
    assert!(p.met && p.reached <= target);
    assert!(
        used >= 0.7 * predicted && used <= 1.3 * predicted + batch as f64,
        "stopped after {used} trials; the formula predicts {predicted:.0}"
    );
    assert_eq!(
        run.matrix.trials % batch,
        0,
        "stops only at batch boundaries"
    );
}

#[test]
fn a_precision_run_is_byte_identical_at_1_and_2_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = run_in(
            dir.path(),
            &[
                "run",
                "--precision",
                "0.02",
                "--batch",
                "300",
                "--threads",
                threads,
                "--no-charts",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        outputs.push(std::fs::read(out.join("summary.json")).unwrap());
    }
    assert!(
        outputs[0] == outputs[1],
        "summary.json differs between 1 and 2 threads"
    );
    let json: serde_json::Value = serde_json::from_slice(&outputs[0]).unwrap();
    assert!(json["precision"]["met"].as_bool().unwrap());
    assert_eq!(json["trials"].as_u64().unwrap() % 300, 0);
    let md = std::fs::read_to_string(dir.path().join("t1/summary.md")).unwrap();
    assert!(md.contains("trials were run in batches of 300"), "{md}");
}

#[test]
fn tornado_ranks_inputs_by_their_known_influence() {
    // The figure is contribution(b) − contribution(a) (a, the baseline, is best). Its exact
    // change over each swing:
    //  price discount of a 0.05 → 0.15: a loses WON_A × 0.1           → +720,000
    //  gross margin 0.45 → 0.55: a gains WON_A × 0.1, b gains WON_B × 0.1 → −(WON_A − WON_B)/10
    //  inside cost per head 40k → 60k: b pays 2 × 20,000 more          → −40,000
    let sc = scenario(&simple(TWO, ""), 400);
    let inputs = vec![
        (
            "channels[1].cost_per_head_per_year".to_string(),
            40_000.0,
            60_000.0,
        ),
        ("economics.gross_margin".to_string(), 0.45, 0.55),
        ("channels[0].price_discount".to_string(), 0.05, 0.15),
    ];
    let t = sensitivity::tornado(&sc, &inputs, "contribution", None, &NoProgress).unwrap();
    let order: Vec<&str> = t.swings.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        order,
        [
            "channels[0].price_discount",
            "economics.gross_margin",
            "channels[1].cost_per_head_per_year"
        ]
    );
    let expected = [720_000.0, -(WON_A - WON_B) * 0.1, -40_000.0];
    for (s, e) in t.swings.iter().zip(expected) {
        let change = s.at_high - s.at_low;
        assert!(
            (change - e).abs() < 0.05 * e.abs(),
            "{}: swing {change} vs {e}",
            s.path
        );
    }
}

#[test]
fn uncertain_inputs_of_zero_width_equal_the_plain_number() {
    let plain = simple(TWO, "[handoffs]\ndefault_failure = 0.1\n");
    for (dist, sampling) in [
        ("{ dist = \"uniform\", min = 0.1, max = 0.1 }", "random"),
        (
            "{ dist = \"triangular\", min = 0.1, mode = 0.1, max = 0.1 }",
            "lhs",
        ),
        ("{ dist = \"normal\", mean = 0.1, sd = 0 }", "random"),
    ] {
        let text = plain
            .replace(
                "default_failure = 0.1",
                &format!("default_failure = {dist}"),
            )
            .replace("seed = 3", &format!("seed = 3\nsampling = \"{sampling}\""));
        let a = scenario(&plain, 300);
        let b = scenario(&text, 300);
        assert_eq!(b.uncertain.len(), 1, "{dist} not read as uncertain");
        let none = HashMap::new();
        let ra = Results::from_run(
            &a.model,
            &a.settings,
            &study::simulate(&a, &none, 0..300, 300, &NoProgress).unwrap(),
        );
        let rb = Results::from_run(
            &b.model,
            &b.settings,
            &study::simulate(&b, &none, 0..300, 300, &NoProgress).unwrap(),
        );
        assert_eq!(ra.designs, rb.designs, "{dist}");
    }
}

#[test]
fn uncertain_inputs_are_drawn_per_trial_and_move_the_result() {
    // A triangular hand-off failure rate for design b (inside owns stage two after direct).
    let designs = r#"
[[designs]]
name = "a"
headcount = {}
[designs.coverage.all]
owner = "direct"
[[designs]]
name = "b"
headcount = { inside = 1000 }
[designs.coverage.all]
owner = "direct"
owners = { two = "inside" }
"#;
    let text = simple(
        designs,
        "[handoffs]\ndefault_failure = { dist = \"triangular\", min = 0.0, mode = 0.2, max = 0.4 }\n",
    );
    let sc = scenario(&text, 2000);
    let run = study::simulate(&sc, &HashMap::new(), 0..2000, 2000, &NoProgress).unwrap();
    let r = Results::from_run(&sc.model, &sc.settings, &run);
    // Mean revenue of b = WON_A × (1 − E[p]) with E[p] = 0.2 (the triangle's mean).
    let s = r.stat(1, "revenue").unwrap();
    assert_close(
        "revenue with uncertain failure",
        s.mean,
        s.se,
        WON_A * (1.0 - 0.2),
        3.5,
    );
    // The draw drives b's loss: strongly negative correlation with b − a.
    assert_eq!(r.inputs.len(), 1);
    assert!(r.inputs[0].correlation < -0.5, "{:?}", r.inputs[0]);
    // A symmetric triangle: the median (the nominal value) is its mode.
    assert!((r.inputs[0].median - 0.2).abs() < 1e-9);
}

#[test]
fn sweep_and_sensitivity_commands_write_their_files_and_refuse_bad_paths() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", &simple(TWO, ""));
    let f = file.to_str().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            f,
            "--param",
            "channels[0].price_discount",
            "--range",
            "0:0.4:5",
            "--trials",
            "200",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir
        .path()
        .join("outputs/closed/sweep_channels_0_.price_discount");
    for name in [
        "sweep.csv",
        "sweep.md",
        "sweep.json",
        "charts/sweep_contribution.png",
        "charts/sweep_revenue.svg",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    assert!(stdout(&o).contains("Break-even:"), "{}", stdout(&o));

    let o = run_in(
        dir.path(),
        &[
            "sweep",
            f,
            "--param",
            "channels[0].price_discont",
            "--values",
            "0,0.1",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `channels[0].price_discount`"),
        "{}",
        stderr(&o)
    );

    let o = run_in(
        dir.path(),
        &[
            "sensitivity",
            f,
            "--inputs",
            "channels[0].price_discount=0.05:0.15,economics.gross_margin=0.45:0.55",
            "--trials",
            "100",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let tornado = dir.path().join("outputs/closed/sensitivity");
    assert!(tornado.join("charts/tornado.png").is_file());
    let md = std::fs::read_to_string(tornado.join("tornado.md")).unwrap();
    let first = md.find("price_discount").unwrap();
    let second = md.find("gross_margin").unwrap();
    assert!(first < second, "ranking wrong:\n{md}");

    // A plain number without bounds cannot be swung.
    let o = run_in(
        dir.path(),
        &["sensitivity", f, "--inputs", "economics.gross_margin"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give its bounds"), "{}", stderr(&o));
}

#[test]
fn sweep_values_in_any_order_and_inputs_named_by_name_mean_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", &simple(TWO, ""));
    let f = file.to_str().unwrap();
    let sweep = |values: &str, out: &str| {
        let o = run_in(
            dir.path(),
            &[
                "sweep",
                f,
                "--param",
                "channels.inside.cost_per_head_per_year",
                "--values",
                values,
                "--trials",
                "100",
                "--no-charts",
                "--out",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(dir.path().join(out).join("sweep.json")).unwrap()
    };
    // Break-evens are between neighbouring values: shuffled and repeated values give the
    // sweep of the sorted ones (in the order given, 90k → 10k → 50k would cross twice).
    assert_eq!(
        sweep("90000,10000,50000,30000,30000", "shuffled"),
        sweep("10000,30000,50000,90000", "sorted")
    );
    // An inclusive range ends at its `to` exactly, even where from + (to − from)·6/6 rounds
    // past it (0.0003 + 0.9997 is 1.0000000000000002, out of a share's range).
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            f,
            "--param",
            "handoffs.default_failure",
            "--range",
            "0.0003:1:7",
            "--trials",
            "20",
            "--no-charts",
            "--out",
            "range",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("range/sweep.json")).unwrap())
            .unwrap();
    let last = json["points"].as_array().unwrap().last().unwrap()["value"].clone();
    assert_eq!(last.as_f64(), Some(1.0), "{last}");

    // An uncertain input is swung by its positional path or by its name alike.
    let uncertain = simple(TWO, "").replace(
        "cost_per_head_per_year = 50000",
        "cost_per_head_per_year = { dist = \"triangular\", min = 40000, mode = 50000, max = 70000 }",
    );
    let file = write(dir.path(), "u.toml", &uncertain);
    let u = file.to_str().unwrap();
    let tornado = |path: &str, out: &str| {
        let o = run_in(
            dir.path(),
            &[
                "sensitivity",
                u,
                "--inputs",
                path,
                "--trials",
                "50",
                "--no-charts",
                "--out",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read_to_string(dir.path().join(out).join("tornado.csv")).unwrap()
    };
    // From P10 to P90, and between given bounds (a name once held the input at its median
    // under its positional path, so that the swing moved nothing).
    for bounds in ["", "=45000:60000"] {
        let by_position = tornado(
            &format!("channels[1].cost_per_head_per_year{bounds}"),
            "pos",
        );
        let by_name = tornado(
            &format!("channels.inside.cost_per_head_per_year{bounds}"),
            "name",
        );
        assert_eq!(by_position, by_name);
        let row: Vec<f64> = by_name
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .skip(2)
            .map(|x| x.parse().unwrap())
            .collect();
        // rank,input,low,high,at_low,at_high,swing: two heads of b cost 2·(high − low) more.
        assert!(
            (row[2] - row[3] - 2.0 * (row[1] - row[0])).abs() < 1e-6 * row[4],
            "{row:?}"
        );
    }
}

#[test]
fn a_per_tier_key_takes_one_distribution_for_every_tier() {
    // `conversion = { dist = … }` is one uncertain input at `stages[1].conversion`, the same
    // draws as writing it as the default of a table by tier.
    let pert = r#"{ dist = "pert", min = 0.4, mode = 0.5, max = 0.7 }"#;
    let bare = simple(TWO, "").replace("conversion = 0.5", &format!("conversion = {pert}"));
    let by_tier = simple(TWO, "").replace(
        "conversion = 0.5",
        &format!("conversion = {{ default = {pert} }}"),
    );
    let (a, b) = (scenario(&bare, 200), scenario(&by_tier, 200));
    assert_eq!(a.uncertain.len(), 1);
    assert_eq!(a.uncertain[0].path, "stages[1].conversion");
    let results = |sc: &Scenario| {
        let run = study::simulate(sc, &HashMap::new(), 0..200, 200, &NoProgress).unwrap();
        Results::from_run(&sc.model, &sc.settings, &run)
    };
    assert_eq!(results(&a).designs, results(&b).designs);
}

#[test]
fn an_absent_section_reads_as_its_defaults_and_its_keys_can_be_swept() {
    // An absent optional section is read as an empty one: the same model, and its keys are
    // there to sweep or to swing (`handoffs.default_failure` with no `[handoffs]`).
    let absent = scenario(&simple(TWO, ""), 10);
    let empty = scenario(
        &simple(
            TWO,
            "[response]\n[handoffs]\n[conflict]\n[transition]\n[behaviour]\n",
        ),
        10,
    );
    // The model as read, less the hash of the scenario's text.
    let read = |m: &covsim::model::Model| {
        let text = format!("{m:?}");
        text[..text.find("hash:").unwrap()].to_string()
    };
    assert!(
        read(&absent.model) == read(&empty.model),
        "different models"
    );
    for path in [
        "handoffs.default_failure",
        "conflict.discount",
        "transition.settling_half_life_months",
        "behaviour.coasting",
        "response.shape",
    ] {
        assert!(absent.check_path(path).is_ok(), "{path}");
        let moved = absent
            .with(&HashMap::from([(path.to_string(), 0.25)]))
            .unwrap_or_else(|d| panic!("{path}: {}", covsim::diag::render_all(&d)));
        assert!(read(&moved) != read(&absent.model), "{path} moved nothing");
    }
}
