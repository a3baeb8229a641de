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
use covsim::export::{self, deck, per_trial, workbook};
use covsim::results::Results;
use covsim::shard;
use covsim::study;

use super::{Failure, files, memory, out, outdir, table};

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
    /// Run only shard I of N (0-based), trials [⌊I·T/N⌋, ⌊(I+1)·T/N⌋), and write a part file for
    /// `covsim merge` to --out (default outputs/<name>/parts/). `auto` takes I and N from
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or I from JOB_COMPLETION_INDEX with `auto/N`.
    #[arg(long, value_name = "I/N|auto|auto/N")]
    shard: Option<String>,
    /// Skip the charts (tables only).
    #[arg(long)]
    no_charts: bool,
    /// Also write deck.pptx: title, the answer, one slide per chart, key assumptions.
    #[arg(long)]
    deck: bool,
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
        study
            .set_seed(s)
            .map_err(|d| Failure::Input(render_all(&d)))?;
    }
    let model = &study.model;
    let shard = match &args.shard {
        Some(spec) => {
            if args.precision.is_some() || args.per_trial || args.deck {
                return Err(Failure::Io(
                    "--shard cannot be combined with --precision, --per-trial or --deck (give --per-trial and --deck to `covsim merge`)".into(),
                ));
            }
            Some(parse_shard(spec, &|k| std::env::var(k).ok())?)
        }
        None => None,
    };
    let default_out = PathBuf::from("outputs").join(files::folder_name(&model.name));
    let out_dir = args.out.clone().unwrap_or_else(|| match shard {
        Some(_) => default_out.join("parts"),
        None => default_out,
    });
    let trials = match shard {
        Some((i, n)) => shard::range(i, n, model.trials),
        None => 0..model.trials,
    };
    memory::check(
        match args.precision {
            Some(_) => args.max_trials,
            None => trials.end - trials.start,
        },
        memory::per_trial(model, study.uncertain.len(), args.per_trial),
        "Lower --trials (or `simulation.trials`, or --max-trials with --precision), or split the run with `--shard I/N` over machines (`covsim merge` then needs the memory of the whole run); memory grows with trials × designs × months (docs/PERFORMANCE.md).",
    )?;
    // A shard writes one part file into a folder shared with the other shards; a whole run owns
    // its folder while it works.
    let lock = match shard {
        Some(_) => None,
        None => Some(outdir::lock(&out_dir)?),
    };

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
        trials.end - trials.start
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
        None => study::simulate(&study, &none, trials.clone(), model.trials, &progress)
            .map(|run| (run, None)),
    });
    let seconds = started.elapsed().as_secs_f64();
    progress.0.finish_and_clear();
    let (run, precision) = outcome.map_err(|d| Failure::Input(render_all(&d)))?;
    let matrix = &run.matrix;

    if let Some((i, n)) = shard {
        let (file, text, named) = study.source();
        let mut part = shard::Part::new(
            &run,
            i,
            n,
            model.trials,
            model.seed,
            &model.name,
            &model.hash,
            file,
            text,
            named.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        );
        part.header.simulate_seconds = seconds;
        part.header.threads = threads;
        let name = format!(
            "{}.part-{i:04}-of-{n:04}.{}",
            files::folder_name(&model.name),
            shard::EXTENSION
        );
        files::write_all(&out_dir, &[(name.clone(), part.to_bytes())])?;
        out(&format!(
            "wrote {} (shard {i} of {n}: trials {}..{} of {}); merge the parts with `covsim merge {}`\n",
            out_dir.join(&name).display(),
            trials.start,
            trials.end,
            model.trials,
            out_dir.display()
        ));
        return Ok(());
    }

    let mut results = Results::from_run(model, &run);
    results.precision = precision;
    let work = model.accounts.len() as f64
        * model.months as f64
        * model.designs.len() as f64
        * matrix.trials as f64;
    let throughput = work / seconds.max(1e-9);
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
    let written = Written {
        results: &results,
        matrix,
        per_trial: args.per_trial,
        charts: !args.no_charts,
        deck: args.deck,
        timing,
    };
    written.write(&out_dir, lock.as_ref().expect("a whole run holds its lock"))?;
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

/// `I/N`, `auto` (Slurm array) or `auto/N` (Kubernetes Indexed Job, or Slurm with N given).
pub fn parse_shard(
    spec: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(u64, u64), Failure> {
    let bad = |why: String| {
        Failure::Io(format!(
            "--shard {spec}: {why}; expected I/N with 0 ≤ I < N (e.g. 3/16), `auto` or `auto/N`"
        ))
    };
    let number = |what: &str, s: &str| -> Result<u64, Failure> {
        s.trim()
            .parse::<u64>()
            .map_err(|_| bad(format!("{what} `{s}` is not a whole number")))
    };
    let (index, count) = spec.split_once('/').unwrap_or((spec, ""));
    let i = if index == "auto" {
        if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
            let min = env("SLURM_ARRAY_TASK_MIN")
                .map_or(Ok(0), |m| number("SLURM_ARRAY_TASK_MIN", &m))?;
            number("SLURM_ARRAY_TASK_ID", &id)?
                .checked_sub(min)
                .ok_or_else(|| bad("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN".into()))?
        } else if let Some(id) = env("JOB_COMPLETION_INDEX") {
            number("JOB_COMPLETION_INDEX", &id)?
        } else {
            return Err(bad(
                "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set".into(),
            ));
        }
    } else {
        number("the index", index)?
    };
    let n = if count.is_empty() {
        if index != "auto" {
            return Err(bad("no shard count".into()));
        }
        let c = env("SLURM_ARRAY_TASK_COUNT").ok_or_else(|| {
            bad("SLURM_ARRAY_TASK_COUNT is not set; give the count as auto/N".into())
        })?;
        number("SLURM_ARRAY_TASK_COUNT", &c)?
    } else {
        number("the count", count)?
    };
    if n == 0 || i >= n {
        return Err(bad(format!("shard {i} of {n} does not exist")));
    }
    Ok((i, n))
}

/// Everything a run (or a merge) writes, rendered before the first file is written.
pub struct Written<'a> {
    pub results: &'a Results,
    pub matrix: &'a covsim::engine::TrialMatrix,
    pub per_trial: bool,
    pub charts: bool,
    /// Also deck.pptx (its charts are drawn even with `charts` off).
    pub deck: bool,
    pub timing: serde_json::Value,
}

impl Written<'_> {
    /// Renders every output, writes them as the content of `out_dir` (whose lock the caller
    /// holds) and prints the summary.
    pub fn write(self, out_dir: &std::path::Path, lock: &outdir::Lock) -> Result<(), Failure> {
        let results = self.results;
        let mut files_out: Vec<(String, Vec<u8>)> = export::all()
            .iter()
            .map(|e| (e.file_name().to_string(), e.render(results)))
            .collect();
        if self.per_trial {
            files_out.push((
                per_trial::FILE_NAME.to_string(),
                per_trial::render(results, self.matrix),
            ));
        }
        files_out.push((
            workbook::FILE_NAME.to_string(),
            workbook::render(results, self.per_trial.then_some(self.matrix))
                .map_err(Failure::Io)?,
        ));
        files_out.push((
            "timing.json".to_string(),
            format!("{:#}\n", self.timing).into_bytes(),
        ));
        let mut chart_count = 0;
        if self.charts || self.deck {
            let charts = charts::render_all(results)
                .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
            if self.deck {
                files_out.push((
                    deck::FILE_NAME.to_string(),
                    super::deck::render(results, &charts)?,
                ));
            }
            if self.charts {
                chart_count = charts.len();
                files_out.extend(charts);
            }
        }
        outdir::write_unit(out_dir, &files_out, lock)?;

        out(&table::summary(results));
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
        Ok(())
    }
}
