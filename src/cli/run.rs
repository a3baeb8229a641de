//! `covsim run`: load, simulate, summarise, write every output file, print the summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use covsim::charts;
use std::collections::HashMap;

use covsim::diag::render_all;
use covsim::engine::Progress;
use covsim::export::{self, per_trial};
use covsim::results::Results;
use covsim::study;

use super::{Failure, files, out, table};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML); the built-in example when left out.
    scenario: Option<PathBuf>,
    /// Number of trials (overrides `simulation.trials`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    trials: Option<u64>,
    /// Random seed (overrides `simulation.seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Output folder (default: outputs/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write per_trial.csv, one row per trial and design.
    #[arg(long)]
    per_trial: bool,
    /// Run batches of trials until every 95% interval of mean contribution and of each paired
    /// difference is within ± this share of the baseline's mean contribution (e.g. 0.01).
    #[arg(long, value_parser = parse_share)]
    precision: Option<f64>,
    /// With --precision: the most trials to run.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    max_trials: u64,
    /// With --precision: trials per batch; stopping is checked only after whole batches.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    batch: u64,
    /// Skip the charts (tables only).
    #[arg(long)]
    no_charts: bool,
    /// No progress bar and no throughput line on stderr.
    #[arg(long, short)]
    quiet: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn advance(&self, trials: u64) {
        self.0.inc(trials);
    }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a share between 0 and 1 (e.g. 0.01 for ±1%)"
        )),
    }
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let mut study = files::load_study(args.scenario.as_deref())?;
    if let Some(t) = args.trials {
        study.model.trials = t;
    }
    if let Some(s) = args.seed {
        study.model.seed = s;
    }
    let model = &study.model;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(files::folder_name(&model.name)));

    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(n as usize);
    }
    let pool = pool
        .build()
        .map_err(|e| Failure::Io(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads();

    let bar = ProgressBar::new(if args.precision.is_some() {
        args.max_trials
    } else {
        model.trials
    });
    if args.quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} trials, {eta} left")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(format!("simulating {} designs", model.designs.len()));
    }
    let progress = Bar(bar);
    let started = Instant::now();
    let none = HashMap::new();
    let outcome = pool.install(|| match args.precision {
        Some(target) => study::simulate_to_precision(
            &study,
            &none,
            target,
            args.batch,
            args.max_trials,
            &progress,
        )
        .map(|(run, p)| (run, Some(p))),
        None => study::simulate(&study, &none, 0..model.trials, model.trials, &progress)
            .map(|run| (run, None)),
    });
    let seconds = started.elapsed().as_secs_f64();
    progress.0.finish_and_clear();
    let (run, precision) = outcome.map_err(|d| Failure::Input(render_all(&d)))?;
    let matrix = &run.matrix;

    let mut results = Results::from_run(model, &run);
    results.precision = precision;
    let work = model.accounts.len() as f64
        * model.months as f64
        * model.designs.len() as f64
        * matrix.trials as f64;
    let throughput = work / seconds.max(1e-9);

    // Render everything first; only then touch the disk.
    let mut files_out: Vec<(String, Vec<u8>)> = export::all()
        .iter()
        .map(|e| (e.file_name().to_string(), e.render(&results)))
        .collect();
    if args.per_trial {
        files_out.push((
            per_trial::FILE_NAME.to_string(),
            per_trial::render(&results, matrix),
        ));
    }
    let timing = serde_json::json!({
        "covsim_version": env!("CARGO_PKG_VERSION"),
        "threads": threads,
        "trials": matrix.trials,
        "accounts": model.accounts.len(),
        "months": model.months,
        "designs": model.designs.len(),
        "simulate_seconds": seconds,
        "account_month_designs_per_second": throughput,
    });
    files_out.push((
        "timing.json".to_string(),
        format!("{:#}\n", timing).into_bytes(),
    ));

    let mut chart_count = 0;
    if !args.no_charts {
        let charts = charts::render_all(&results)
            .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
        chart_count = charts.len();
        files_out.extend(charts);
    }
    files::write_all(&out_dir, &files_out)?;

    out(&table::summary(&results));
    let names: Vec<&str> = files_out
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !n.starts_with(charts::FOLDER))
        .collect();
    out(&format!(
        "\nwrote {}{} to {}\n",
        names.join(", "),
        if chart_count > 0 {
            format!(
                " and {}/ ({} charts, SVG and PNG)",
                charts::FOLDER,
                chart_count / 2
            )
        } else {
            String::new()
        },
        out_dir.display()
    ));
    if !args.quiet {
        eprintln!(
            "simulated {} trials × {} designs × {} accounts × {} months in {:.2} s on {} thread{}: {:.1} million account-month-designs per second",
            matrix.trials,
            model.designs.len(),
            model.accounts.len(),
            model.months,
            seconds,
            threads,
            if threads == 1 { "" } else { "s" },
            throughput / 1e6
        );
    }
    Ok(())
}
