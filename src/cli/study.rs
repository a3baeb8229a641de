//! `covsim sweep` and `covsim sensitivity`: the scenario run at several values of its inputs,
//! with the same random numbers everywhere.

use covsim::metrics::Metric;
use std::collections::HashMap;
use std::path::Path;

use clap::Args;

use covsim::charts::{self, sweep::SweepChart, tornado::TornadoChart};
use covsim::diag::render_all;
use covsim::driver::{Finished, Study};
use covsim::export::study as tables;
use covsim::export::timing::{self, Timing};
use covsim::export::workbook;
use covsim::sensitivity::Tornado;
use covsim::sweep::Sweep;

use super::driver::Common;
use super::{Failure, out, outdir};

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    common: Common,
    /// The key path to vary, as in docs/SCENARIO.md (e.g. `handoffs.default_failure`).
    #[arg(long)]
    param: String,
    /// The values, comma-separated: `0,0.05,0.1` (taken in increasing order; a repeated value once).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        conflicts_with = "range",
        required_unless_present = "range"
    )]
    values: Vec<f64>,
    /// `from:to:points`, evenly spaced and inclusive: `0:0.3:7`.
    #[arg(long, allow_hyphen_values = true)]
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
    // The last point is `to` itself, not `from + (to − from)·(n−1)/(n−1)` rounded past it.
    Ok((0..n)
        .map(|i| {
            if i == n - 1 {
                to
            } else {
                from + (to - from) * i as f64 / (n - 1) as f64
            }
        })
        .collect())
}

pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let sc = args.common.load()?;
    sc.check_path(&args.param)
        .map_err(|e| Failure::Usage(format!("error: {e}\n  --> --param\n")))?;
    let mut values = match &args.range {
        Some(r) => parse_range(r)?,
        None => args.values.clone(),
    };
    // Break-evens are found between neighbouring values, so the points run in increasing
    // order whatever order they are given in; a repeated value is one point.
    let given = values.len();
    values.sort_by(f64::total_cmp);
    values.dedup();
    if values.len() < 2 {
        let why = if given > 1 {
            format!(
                "the {given} values given are the same value, {}, once repeats are removed",
                covsim::format::param(values[0])
            )
        } else {
            "one value is given".to_string()
        };
        return Err(Failure::Usage(format!(
            "error: a sweep needs at least two values: {why}\n   = allowed: two or more different values, e.g. `--values 0,0.05,0.1` or `--range 0:0.3:7`\n"
        )));
    }
    if values.len() > MAX_SWEEP_POINTS {
        return Err(Failure::Usage(format!(
            "error: a sweep of {} points would run {} simulations of {} trials each\n   = allowed: at most {MAX_SWEEP_POINTS} points; sweep a coarse range first, then a fine one around the break-even\n",
            values.len(),
            values.len(),
            sc.settings.trials
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
    let study = Study::Sweep {
        param: args.param.clone(),
        values,
    };
    let Some(done) = args.common.execute(&sc, &study, false, &[], None)? else {
        return Ok(());
    };
    let Finished::Sweep(result) = done.finished else {
        unreachable!("a sweep finishes as a sweep")
    };
    write_sweep(
        &result,
        !args.common.no_charts,
        &done.timing,
        &done.out_dir,
        &done.lock,
    )
}

/// Renders every output of a sweep, writes them as the content of `out_dir` (whose lock the
/// caller holds) and prints the table.
pub fn write_sweep(
    result: &Sweep,
    with_charts: bool,
    timing: &Timing,
    out_dir: &Path,
    lock: &outdir::Lock,
) -> Result<(), Failure> {
    let mut files_out = vec![
        (tables::SWEEP_CSV.to_string(), tables::sweep_csv(result)),
        (tables::SWEEP_JSON.to_string(), tables::sweep_json(result)),
        (
            tables::SWEEP_MD.to_string(),
            tables::sweep_md(result).into_bytes(),
        ),
    ];
    if with_charts {
        for (metric, label) in charts::sweep::METRICS {
            let chart = SweepChart {
                sweep: result,
                metric,
                label,
            };
            let pair = charts::pair(charts::FOLDER, &format!("sweep_{metric}"), &chart)
                .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
            files_out.extend(pair);
        }
    }
    files_out.push((
        workbook::FILE_NAME.to_string(),
        workbook::sweep(result, &tables::sweep_sentences(result)).map_err(Failure::Io)?,
    ));
    files_out.push((timing::FILE_NAME.to_string(), timing::render(timing)));
    outdir::write_unit(out_dir, &files_out, lock)?;
    out(&tables::sweep_md(result));
    out(&format!(
        "\nwrote sweep.csv, sweep.json, sweep.md, summary.xlsx, timing.json{} to {}\n",
        if with_charts { " and charts/" } else { "" },
        out_dir.display()
    ));
    Ok(())
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
    #[arg(long, default_value = Metric::Contribution.key())]
    metric: String,
    /// The design compared with the baseline (default: the best by contribution).
    #[arg(long)]
    design: Option<String>,
}

pub fn sensitivity(args: SensitivityArgs) -> Result<(), Failure> {
    let sc = args.common.load()?;
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
        // Known by its positional path from here on, however it was named: an uncertain
        // input is held at its median under that path, and one swing must replace it.
        let path = match sc.check_path(&path) {
            Ok(p) => p.to_string(),
            Err(e) => {
                problems.push(format!("error: {e}\n  --> --inputs\n"));
                continue;
            }
        };
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
    // Both ends of every swing must be valid scenarios: a value the key does not allow is a bad
    // flag value (exit 2), as in `sweep --values`.
    for (path, low, high) in &inputs {
        for v in [low, high] {
            if let Err(d) = sc.with(&HashMap::from([(path.clone(), *v)])) {
                problems.extend(d.iter().map(|d| d.render()));
            }
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
            problems
                .iter()
                .map(|p| format!("{p}\n"))
                .collect::<String>(),
            if n == 1 { "" } else { "s" }
        )));
    }
    let study = Study::Sensitivity {
        inputs,
        metric: args.metric.clone(),
        design,
    };
    let Some(done) = args.common.execute(&sc, &study, false, &[], None)? else {
        return Ok(());
    };
    let Finished::Tornado(t) = done.finished else {
        unreachable!("a sensitivity study finishes as a tornado")
    };
    write_tornado(
        &t,
        !args.common.no_charts,
        &done.timing,
        &done.out_dir,
        &done.lock,
    )
}

/// Renders every output of a tornado, writes them as the content of `out_dir` (whose lock the
/// caller holds) and prints the table.
pub fn write_tornado(
    t: &Tornado,
    with_charts: bool,
    timing: &Timing,
    out_dir: &Path,
    lock: &outdir::Lock,
) -> Result<(), Failure> {
    let text = tables::tornado_md(t);
    let mut files_out = vec![
        (tables::TORNADO_CSV.to_string(), tables::tornado_csv(t)),
        (tables::TORNADO_MD.to_string(), text.clone().into_bytes()),
    ];
    if with_charts {
        files_out.extend(
            charts::pair(charts::FOLDER, "tornado", &TornadoChart(t))
                .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?,
        );
    }
    files_out.push((
        workbook::FILE_NAME.to_string(),
        workbook::tornado(t, &covsim::export::answer(&t.results)).map_err(Failure::Io)?,
    ));
    files_out.push((timing::FILE_NAME.to_string(), timing::render(timing)));
    outdir::write_unit(out_dir, &files_out, lock)?;
    out(&text);
    out(&format!(
        "\nwrote tornado.csv, tornado.md, summary.xlsx, timing.json{} to {}\n",
        if with_charts {
            " and charts/tornado.(svg|png)"
        } else {
            ""
        },
        out_dir.display()
    ));
    Ok(())
}
