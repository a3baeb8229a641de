//! `covsim sweep` and `covsim sensitivity`: the scenario run at several values of its inputs,
//! with the same random numbers everywhere.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use covsim::charts::{self, sweep::SweepChart, tornado::TornadoChart};
use covsim::diag::render_all;
use covsim::engine::NoProgress;
use covsim::export::{compact, markdown, signed, workbook};
use covsim::metrics::g;
use covsim::scenario::Scenario;
use covsim::sensitivity;
use covsim::sweep::{self, fmt};

use super::{Failure, files, memory, out, outdir};

/// What every study command shares.
#[derive(Args, Debug)]
pub struct Common {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Trials per run (overrides `simulation.trials`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    trials: Option<u64>,
    /// Random seed (overrides `simulation.seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Output folder.
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Common {
    fn load(&self) -> Result<(Scenario, rayon::ThreadPool), Failure> {
        let mut sc = files::load_study(Some(&self.scenario))?;
        if let Some(t) = self.trials {
            sc.model.trials = t;
        }
        if let Some(s) = self.seed {
            sc.set_seed(s).map_err(|d| Failure::Input(render_all(&d)))?;
        }
        memory::check(
            sc.model.trials,
            memory::per_trial(&sc.model, sc.uncertain.len(), false),
            "Lower --trials (or `simulation.trials`); memory grows with trials × designs × months (docs/PERFORMANCE.md).",
        )?;
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(n) = self.threads {
            pool = pool.num_threads(n as usize);
        }
        let pool = pool
            .build()
            .map_err(|e| Failure::Io(format!("cannot start worker threads: {e}")))?;
        Ok((sc, pool))
    }

    fn out_dir(&self, sc: &Scenario, leaf: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            PathBuf::from("outputs")
                .join(files::folder_name(&sc.model.name))
                .join(leaf)
        })
    }
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    common: Common,
    /// The key path to vary, as in docs/SCENARIO.md (e.g. `handoffs.default_failure`).
    #[arg(long)]
    param: String,
    /// The values, comma-separated: `0,0.05,0.1`.
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "range",
        required_unless_present = "range"
    )]
    values: Vec<f64>,
    /// `from:to:points`, evenly spaced and inclusive: `0:0.3:7`.
    #[arg(long)]
    range: Option<String>,
}

/// The most points a sweep runs: each is a whole simulation.
const MAX_SWEEP_POINTS: usize = 1000;

fn parse_range(s: &str) -> Result<Vec<f64>, Failure> {
    let parts: Vec<&str> = s.split(':').collect();
    let bad = || {
        Failure::Usage(format!(
            "error: --range `{s}` is not `from:to:points` (e.g. `0:0.3:7`, with at least 2 points)\n"
        ))
    };
    if parts.len() != 3 {
        return Err(bad());
    }
    let from: f64 = parts[0].trim().parse().map_err(|_| bad())?;
    let to: f64 = parts[1].trim().parse().map_err(|_| bad())?;
    let n: usize = parts[2].trim().parse().map_err(|_| bad())?;
    if n < 2 || !from.is_finite() || !to.is_finite() || from == to {
        return Err(bad());
    }
    Ok((0..n)
        .map(|i| from + (to - from) * i as f64 / (n - 1) as f64)
        .collect())
}

pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let (sc, pool) = args.common.load()?;
    sc.check_path(&args.param)
        .map_err(|e| Failure::Usage(format!("error: {e}\n  --> --param\n")))?;
    let values = match &args.range {
        Some(r) => parse_range(r)?,
        None => args.values.clone(),
    };
    if values.len() < 2 {
        return Err(Failure::Usage(
            "error: a sweep needs at least two values\n".into(),
        ));
    }
    if values.len() > MAX_SWEEP_POINTS {
        return Err(Failure::Usage(format!(
            "error: a sweep of {} points would run {} simulations of {} trials each\n   = allowed: at most {MAX_SWEEP_POINTS} points; sweep a coarse range first, then a fine one around the break-even\n",
            values.len(),
            values.len(),
            sc.model.trials
        )));
    }
    // Every point must be a valid scenario: a value the key does not allow is a bad flag.
    let mut bad_points = Vec::new();
    for v in &values {
        if let Err(d) = sc.with(&HashMap::from([(args.param.clone(), *v)])) {
            bad_points.extend(d);
        }
    }
    if !bad_points.is_empty() {
        return Err(Failure::Usage(render_all(&bad_points)));
    }
    let leaf = format!("sweep_{}", files::folder_name(&args.param));
    let out_dir = args.common.out_dir(&sc, &leaf);
    let lock = outdir::lock(&out_dir)?;
    let result = pool
        .install(|| sweep::run(&sc, &args.param, &values, &NoProgress))
        .map_err(|d| Failure::Input(render_all(&d)))?;

    let mut files_out = vec![
        ("sweep.csv".to_string(), sweep_csv(&result).into_bytes()),
        (
            "sweep.json".to_string(),
            format!(
                "{}\n",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            )
            .into_bytes(),
        ),
        ("sweep.md".to_string(), sweep_md(&result).into_bytes()),
    ];
    for (metric, label) in charts::sweep::METRICS {
        let chart = SweepChart {
            sweep: &result,
            metric,
            label,
        };
        let pair = charts::pair(charts::FOLDER, &format!("sweep_{metric}"), &chart)
            .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
        files_out.extend(pair);
    }
    files_out.push((
        workbook::FILE_NAME.to_string(),
        workbook::sweep(&result, &sentences(&result)).map_err(Failure::Io)?,
    ));
    outdir::write_unit(&out_dir, &files_out, &lock)?;
    out(&sweep_md(&result));
    out(&format!(
        "\nwrote sweep.csv, sweep.json, sweep.md, summary.xlsx and charts/ to {}\n",
        out_dir.display()
    ));
    Ok(())
}

fn sentences(s: &sweep::Sweep) -> Vec<String> {
    s.break_evens.iter().map(|b| b.sentence(&s.param)).collect()
}

fn sweep_md(s: &sweep::Sweep) -> String {
    let mut o = String::new();
    let Some(first) = s.points.first() else {
        return o;
    };
    let r = &first.results;
    let _ = writeln!(o, "# {}: sweep of `{}`\n", r.scenario.name, s.param);
    let _ = writeln!(
        o,
        "{} trials per point · seed {} · the same random events at every point · {} over {} months\n",
        covsim::export::thousands(r.trials as f64),
        r.seed,
        r.scenario.currency,
        r.scenario.months
    );
    if s.break_evens.is_empty() {
        let leader = r
            .deciding_pair()
            .map(|_| {
                let mean = |d: usize| r.stat(d, "contribution").map_or(0.0, |x| x.mean);
                (0..r.designs.len())
                    .max_by(|&a, &b| mean(a).total_cmp(&mean(b)))
                    .map_or(String::new(), |d| r.designs[d].name.clone())
            })
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "No break-even in the swept range: **{leader}** has the highest mean contribution at every value from {} to {}.\n",
            fmt(s.points[0].value),
            fmt(s.points[s.points.len() - 1].value)
        );
    } else {
        for line in sentences(s) {
            let _ = writeln!(o, "- **Break-even:** {line}.");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "| `{}` | Design | Contribution (95% interval) | Δ vs baseline | Trials beating baseline |",
        s.param
    );
    let _ = writeln!(o, "|---:|---|---:|---:|---:|");
    for p in &s.points {
        for (d, design) in p.results.designs.iter().enumerate() {
            let c = p.results.stat(d, "contribution");
            let x = p.results.diff(d, "contribution");
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                fmt(p.value),
                design.name,
                c.map_or(String::new(), |c| format!(
                    "{} ({} – {})",
                    compact(c.mean),
                    compact(c.ci95_low),
                    compact(c.ci95_high)
                )),
                x.map_or("baseline".into(), |x| signed(x.diff.mean)),
                x.map_or("–".into(), |x| covsim::export::percent(x.share_better)),
            );
        }
    }
    o
}

fn sweep_csv(s: &sweep::Sweep) -> String {
    let mut o = String::from(
        "param,value,design,is_baseline,metric,mean,ci95_low,ci95_high,p5,p95,diff_mean,diff_ci95_low,diff_ci95_high,share_better_than_baseline\n",
    );
    for p in &s.points {
        let r = &p.results;
        for (d, design) in r.designs.iter().enumerate() {
            for def in r.metrics.iter().take(g::COUNT) {
                let Some(st) = r.stat(d, &def.key) else {
                    continue;
                };
                let x = r.diff(d, &def.key);
                let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
                let _ = writeln!(
                    o,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    s.param,
                    p.value,
                    design.name,
                    design.is_baseline,
                    def.key,
                    st.mean,
                    st.ci95_low,
                    st.ci95_high,
                    st.p5,
                    st.p95,
                    cell(x.map(|x| x.diff.mean)),
                    cell(x.map(|x| x.diff.ci95_low)),
                    cell(x.map(|x| x.diff.ci95_high)),
                    cell(x.map(|x| x.share_better)),
                );
            }
        }
    }
    o
}

#[derive(Args, Debug)]
pub struct SensitivityArgs {
    #[command(flatten)]
    common: Common,
    /// Inputs to swing, comma-separated: a key path (an uncertain input, swung from its P10 to
    /// its P90) or `path=low:high`. Default: every uncertain input.
    #[arg(long, value_delimiter = ',')]
    inputs: Vec<String>,
    /// The metric whose difference (design minus baseline) is measured.
    #[arg(long, default_value = "contribution")]
    metric: String,
    /// The design compared with the baseline (default: the best by contribution).
    #[arg(long)]
    design: Option<String>,
}

pub fn sensitivity(args: SensitivityArgs) -> Result<(), Failure> {
    let (sc, pool) = args.common.load()?;
    let mut problems = Vec::new();
    let mut inputs = Vec::new();
    let specs: Vec<String> = if args.inputs.is_empty() {
        sc.uncertain.iter().map(|u| u.path.clone()).collect()
    } else {
        args.inputs.clone()
    };
    if specs.is_empty() {
        return Err(Failure::Usage(
            "error: nothing to swing: the scenario has no uncertain inputs\n   = allowed: give inputs as distributions in the scenario, or --inputs path=low:high\n".into(),
        ));
    }
    for spec in &specs {
        let (path, bounds) = match spec.split_once('=') {
            Some((p, b)) => (p.trim().to_string(), Some(b)),
            None => (spec.trim().to_string(), None),
        };
        if let Err(e) = sc.check_path(&path) {
            problems.push(format!("error: {e}\n  --> --inputs\n"));
            continue;
        }
        match bounds {
            Some(b) => {
                let parsed = b
                    .split_once(':')
                    .and_then(|(l, h)| Some((l.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?)));
                match parsed {
                    Some((l, h)) => inputs.push((path, l, h)),
                    None => problems.push(format!(
                        "error: `{spec}`: bounds must be `low:high`, e.g. `{path}=0.05:0.2`\n  --> --inputs\n"
                    )),
                }
            }
            None => match sc.uncertain.iter().find(|u| u.path == path) {
                Some(u) => inputs.push((path, u.at(0.1), u.at(0.9))),
                None => problems.push(format!(
                    "error: `{path}` is a plain number in the scenario: give its bounds as `{path}=low:high`\n  --> --inputs\n"
                )),
            },
        }
    }
    let metric_ok = sc.model.designs.len() > 1
        && covsim::metrics::catalogue(&sc.model)
            .iter()
            .any(|m| m.key == args.metric);
    if !metric_ok {
        problems.push(format!(
            "error: unknown metric `{}`\n   = allowed: a metric key of summary.csv, e.g. `contribution`, `revenue`, `cost_of_sales`\n",
            args.metric
        ));
    }
    let design = match &args.design {
        Some(name) => match sc.model.designs.iter().position(|d| &d.name == name) {
            Some(d) => Some(d),
            None => {
                problems.push(format!("error: unknown design `{name}`\n"));
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        let n = problems.len();
        return Err(Failure::Usage(format!(
            "{}{n} problem{} found; nothing was written.\n",
            problems.join("\n"),
            if n == 1 { "" } else { "s" }
        )));
    }
    let out_dir = args.common.out_dir(&sc, "sensitivity");
    let lock = outdir::lock(&out_dir)?;
    let t = pool
        .install(|| sensitivity::tornado(&sc, &inputs, &args.metric, design, &NoProgress))
        .map_err(|d| Failure::Input(render_all(&d)))?;
    let mut text = format!(
        "# {}: what the answer hinges on\n\n{} with every input at its median: {}. Each input swung from low to high, the others at their medians, {} trials per run with the same random events.\n\n| Rank | Input | Low → high | {} at low | at high | Swing |\n|---:|---|---|---:|---:|---:|\n",
        t.results.scenario.name,
        t.figure,
        signed(t.base),
        covsim::export::thousands(t.results.trials as f64),
        t.figure
    );
    let mut csv = String::from("rank,input,low,high,at_low,at_high,swing\n");
    for (i, s) in t.swings.iter().enumerate() {
        let _ = writeln!(
            text,
            "| {} | `{}` | {} → {} | {} | {} | {} |",
            i + 1,
            s.path,
            fmt(s.low),
            fmt(s.high),
            signed(s.at_low),
            signed(s.at_high),
            compact(s.width())
        );
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{}",
            i + 1,
            s.path,
            s.low,
            s.high,
            s.at_low,
            s.at_high,
            s.width()
        );
    }
    let _ = writeln!(text, "\n{}", markdown::decision(&t.results, &[]));
    let mut files_out = vec![
        ("tornado.csv".to_string(), csv.into_bytes()),
        ("tornado.md".to_string(), text.clone().into_bytes()),
    ];
    files_out.extend(
        charts::pair(charts::FOLDER, "tornado", &TornadoChart(&t))
            .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?,
    );
    files_out.push((
        workbook::FILE_NAME.to_string(),
        workbook::tornado(&t, &covsim::export::answer(&t.results)).map_err(Failure::Io)?,
    ));
    outdir::write_unit(&out_dir, &files_out, &lock)?;
    out(&text);
    out(&format!(
        "\nwrote tornado.csv, tornado.md, summary.xlsx and charts/tornado.(svg|png) to {}\n",
        out_dir.display()
    ));
    Ok(())
}
