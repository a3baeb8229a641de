//! What `run`, `sweep` and `sensitivity` share: one argument group, and one way to run a study
//! (load, plan, memory check, lock, progress bar, simulate through `covsim::driver`, and for a
//! shard write its part file).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use covsim::diag::render_all;
use covsim::driver::{Finished, Outcome, Plan, Study};
use covsim::engine::Progress;
use covsim::engine::TrialMatrix;
use covsim::export::per_trial::{self, Columns};
use covsim::export::timing::Timing;
use covsim::format;
use covsim::scenario::Scenario;
use covsim::shard;
use covsim::summary;

use super::{Failure, files, memory, out, outdir};

/// What a study simulated in this process: a shard's runs, or a whole study's results.
enum Simulated {
    Parts(Outcome),
    Whole(covsim::driver::Ran),
}

/// The arguments every simulating command takes.
#[derive(Args, Debug)]
pub struct Common {
    /// Scenario file (TOML); the built-in example when left out.
    pub scenario: Option<PathBuf>,
    /// Number of trials (overrides `simulation.trials`).
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole(2, 100_000_000))]
    pub trials: Option<u64>,
    /// Random seed (overrides `simulation.seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole(0, u64::MAX))]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole32(1, 1024))]
    pub threads: Option<u32>,
    /// Output folder (default: outputs/<scenario name>, and a subfolder for sweeps and
    /// sensitivity).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run batches of trials until every 95% interval of mean contribution and of each paired
    /// difference is within ± this share of the baseline's mean contribution (e.g. 0.01); for
    /// a sweep or a tornado, at every point, all points running the same trials.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_share)]
    pub precision: Option<f64>,
    /// With --precision: the most trials to run.
    #[arg(long, default_value_t = 1_000_000, allow_negative_numbers = true, value_parser = super::values::whole(2, 100_000_000))]
    pub max_trials: u64,
    /// With --precision: trials per batch; stopping is checked only after whole batches.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::values::whole(2, 10_000_000))]
    pub batch: u64,
    /// Run only shard I of N (0-based), trials [⌊I·T/N⌋, ⌊(I+1)·T/N⌋), and write a part file for
    /// `covsim merge` to --out (default: the output folder's parts/). `auto` takes I and N from
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or I from JOB_COMPLETION_INDEX with `auto/N`.
    #[arg(long, value_name = "I/N|auto|auto/N")]
    pub shard: Option<String>,
    /// Skip the charts (tables only).
    #[arg(long)]
    pub no_charts: bool,
    /// No progress bar and no throughput line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a share; allowed: more than 0 and less than 1 (e.g. 0.01 for ±1%)"
        )),
    }
}

/// A run's progress: a bar on a terminal; where stderr is not a terminal (a batch job's log)
/// and the run is not quiet, a line after the first minute and then every ten minutes, so a
/// run of hours says how far it is and how long it has left.
struct Bar {
    bar: ProgressBar,
    quiet: bool,
    lines: Option<Mutex<Lines>>,
}

/// When the first progress line of a run without a terminal is printed, and then how often.
const FIRST_LINE_SECONDS: f64 = 60.0;
const LINE_EVERY_SECONDS: f64 = 600.0;

struct Lines {
    started: Instant,
    /// Seconds after `started` at which the next line is due.
    next: f64,
    /// Trials done before this process (a resumed run's), then done so far.
    from: u64,
    done: u64,
    total: u64,
    /// Whether `total` is only a ceiling (a `--precision` run stops once precise enough).
    at_most: bool,
}

impl Lines {
    fn line(&self, seconds: f64) -> String {
        let rate = (self.done - self.from) as f64 / seconds.max(1e-9);
        let left = (self.total - self.done.min(self.total)) as f64 / rate.max(1e-9);
        let (of, about) = match self.at_most {
            true => ("of at most", "at most"),
            false => ("of", "about"),
        };
        format!(
            "progress: {} {of} {} trials ({:.1}%), {} trials/s, {about} {} left",
            format::group_thousands(self.done),
            format::group_thousands(self.total),
            100.0 * self.done as f64 / self.total.max(1) as f64,
            format::group_thousands(rate.round() as u64),
            format::duration(left)
        )
    }
}

impl Bar {
    /// A message between the bar's updates: above the bar on a terminal, a line otherwise.
    fn say(&self, text: &str) {
        if self.lines.is_some() {
            eprintln!("{text}");
        } else if !self.quiet {
            self.bar.println(text);
        }
    }
}

impl Progress for Bar {
    fn advance(&self, trials: u64) {
        self.bar.inc(trials);
        if let Some(lines) = &self.lines {
            let mut l = lines.lock().unwrap_or_else(|e| e.into_inner());
            l.done += trials;
            let t = l.started.elapsed().as_secs_f64();
            if t >= l.next {
                eprintln!("{}", l.line(t));
                while l.next <= t {
                    l.next += LINE_EVERY_SECONDS;
                }
            }
        }
    }
}

/// A study run in this process, ready to be written.
pub struct Done {
    pub finished: Finished,
    /// The run of a plain study (the rows it kept); `None` for a sweep or a tornado.
    pub run: Option<covsim::study::Run>,
    /// The new outputs being written, where the run wrote some while it simulated
    /// (per_trial.csv of a streamed run).
    pub staging: Option<outdir::Staging>,
    pub out_dir: PathBuf,
    pub lock: outdir::Lock,
    pub timing: Timing,
}

/// The output folder of a study: `outputs/<scenario>` for a run, a subfolder for the others.
pub fn default_out(name: &str, study: &Study) -> PathBuf {
    let base = PathBuf::from("outputs").join(files::folder_name(name));
    match study {
        Study::Run => base,
        Study::Sweep { param, .. } => base.join(format!("sweep_{}", files::folder_name(param))),
        Study::Sensitivity { .. } => base.join("sensitivity"),
    }
}

impl Common {
    /// The scenario with --trials and --seed applied.
    pub fn load(&self) -> Result<Scenario, Failure> {
        let mut sc = files::load_study(self.scenario.as_deref())?;
        if let Some(t) = self.trials {
            sc.settings.trials = t;
        }
        if let Some(s) = self.seed {
            sc.set_seed(s).map_err(|d| Failure::Input(render_all(&d)))?;
        }
        Ok(sc)
    }

    /// Runs `study` of `sc`. A shard writes its part file and returns `None`; a whole run
    /// returns its results with its output folder locked. `refused_with_shard` names the
    /// command's own flags that a shard cannot take (they belong to `covsim merge`).
    /// `checkpoint` (a plain run only): the file a run resumes from if it exists and saves
    /// itself to, and how often.
    pub fn execute(
        &self,
        sc: &Scenario,
        study: &Study,
        per_trial_csv: bool,
        refused_with_shard: &[(&str, bool)],
        checkpoint: Option<(&std::path::Path, std::time::Duration)>,
    ) -> Result<Option<Done>, Failure> {
        let model = &sc.model;
        if checkpoint.is_some() {
            let refused: Vec<&str> = [
                ("--shard", self.shard.is_some()),
                ("--precision", self.precision.is_some()),
                ("--per-trial", per_trial_csv),
            ]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
            if !refused.is_empty() {
                return Err(Failure::Usage(format!(
                    "error: --checkpoint cannot be combined with {} (a checkpoint resumes a plain run of a fixed number of trials)\n",
                    refused.join(", ")
                )));
            }
        }
        let shard = match &self.shard {
            Some(spec) => {
                let mut refused: Vec<&str> = refused_with_shard
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(name, _)| *name)
                    .collect();
                if self.precision.is_some() {
                    refused.insert(0, "--precision");
                }
                if !refused.is_empty() {
                    return Err(Failure::Usage(format!(
                        "error: --shard cannot be combined with {} (give --per-trial and --deck to `covsim merge`)\n",
                        refused.join(", ")
                    )));
                }
                Some(parse_shard(spec, &|k| std::env::var(k).ok())?)
            }
            None => None,
        };
        let default = default_out(&model.name, study);
        let out_dir = self.out.clone().unwrap_or_else(|| match shard {
            Some(_) => default.join("parts"),
            None => default,
        });
        let plan = match (self.precision, shard) {
            (Some(target), _) => Plan::Precision {
                target,
                batch: self.batch,
                max_trials: self.max_trials,
                summary_batch: summary::batch_trials(model),
            },
            // A shard writes its part file batch by batch as it simulates, variant after
            // variant.
            (None, Some((i, n))) => Plan::Rows {
                trials: shard::range(i, n, sc.settings.trials),
                batch: summary::batch_trials(model),
            },
            // A study is summarised as it goes (a run's per_trial.csv written as it goes): its
            // memory stays flat however many trials it has.
            (None, None) => Plan::all_trials(sc),
        };
        let variants = study.variants(sc);
        // A run resumed from its checkpoint: read (and refused if it is another run's) before
        // anything is written.
        let resumed = match checkpoint {
            Some((path, _)) => super::checkpoint::resume(path, sc, summary::batch_trials(model))?,
            None => None,
        };
        memory::check(
            memory::held_trials(&plan, variants.len() as u64, summary::batch_trials(model)),
            memory::per_trial(model, sc.uncertain.len()),
            "Lower --trials (or `simulation.trials`, or --max-trials with --precision), split the run with `--shard I/N` over more machines, or run fewer sweep points at once; memory grows with designs × months × sweep points, and with trials up to a batch of them (docs/PERFORMANCE.md).",
        )?;
        // A shard writes one part file into a folder shared with the other shards; a whole run
        // owns its folder while it works.
        let lock = match shard {
            Some(_) => None,
            None => Some(outdir::lock(&out_dir)?),
        };
        // per_trial.csv of a streamed or precision run, written into the new outputs batch by
        // batch.
        let (staging, mut rows_out) = match (&lock, per_trial_csv, &plan) {
            (Some(lock), true, Plan::Streamed { .. } | Plan::Precision { .. }) => {
                let trials = match plan {
                    Plan::Streamed { trials, .. } => Some(trials),
                    _ => None, // a precision run's length is known only when it stops
                };
                let (st, f) = PerTrialFile::staged(&out_dir, lock, model, trials)?;
                (Some(st), Some(f))
            }
            _ => (None, None),
        };
        // A shard's part file: its name, what it says of itself, and for a plain run the file
        // being written as the batches come.
        let part_of = |run: &covsim::study::Run, i: u64, n: u64| {
            let (file, text, named) = sc.source();
            shard::Part::new(
                run,
                i,
                n,
                sc.settings.trials,
                sc.settings.seed,
                &model.name,
                &model.hash,
                file,
                text,
                named.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            )
        };
        let part_name = |i: u64, n: u64| {
            format!(
                "{}.part-{i:04}-of-{n:04}.{}",
                files::folder_name(&model.name),
                shard::EXTENSION
            )
        };
        let mut part_out = match (&plan, shard) {
            (Plan::Rows { trials, .. }, Some((i, n))) => {
                // The part's header from the shape of each variant's rows, before any row.
                let shapes: Vec<covsim::study::Run> = variants
                    .iter()
                    .map(|v| covsim::study::Run {
                        matrix: TrialMatrix {
                            first_trial: trials.start,
                            trials: trials.end - trials.start,
                            designs: model.designs.len(),
                            width: covsim::metrics::Layout::of(model).width(),
                            values: Vec::new(),
                        },
                        inputs: covsim::study::inputs_of(sc, v),
                        draws: Vec::new(),
                        summary: None,
                    })
                    .collect();
                let (first, more) = shapes.split_first().expect("a study has a variant");
                let mut part = part_of(first, i, n);
                if *study != Study::Run {
                    part = part.of_study(study.clone(), more);
                }
                // Its size is known now: refused here rather than when the disk fills.
                let sizes = part.header.sizes().map_err(Failure::Io)?;
                let range = trials.end - trials.start;
                let per_trial = 8 * (sizes.values + sizes.draws) / range.max(1);
                memory::check_part_disk(sizes.payload(), per_trial, &out_dir)?;
                Some(PartFile::new(&out_dir, &part_name(i, n), part)?)
            }
            _ => None,
        };
        let pool = super::pool(self.threads)?;
        let threads = pool.current_num_threads();

        let total = plan.most_trials() * variants.len() as u64;
        let bar = ProgressBar::new(total);
        let terminal = std::io::stderr().is_terminal();
        if self.quiet || !terminal {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} trials, {eta} left")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(format!("simulating {} designs", model.designs.len()));
        }
        let resumed_at = resumed.as_ref().map(|r| (r.done, r.seconds));
        if let Some((done, _)) = resumed_at {
            bar.set_position(done);
            if !self.quiet {
                eprintln!(
                    "resuming from checkpoint {}: {} of {} trials done",
                    checkpoint.expect("resumed from a checkpoint").0.display(),
                    done,
                    sc.settings.trials
                );
            }
        }
        let from = resumed_at.map_or(0, |(done, _)| done);
        let progress = Bar {
            bar,
            quiet: self.quiet,
            lines: (!self.quiet && !terminal).then(|| {
                Mutex::new(Lines {
                    started: Instant::now(),
                    next: FIRST_LINE_SECONDS,
                    from,
                    done: from,
                    total,
                    at_most: matches!(plan, Plan::Precision { .. }),
                })
            }),
        };
        let started = Instant::now();
        let mut rows = |_: usize, m: &TrialMatrix| match (&mut rows_out, &mut part_out) {
            (Some(f), _) => f.add(m),
            (_, Some(p)) => p.add(m),
            _ => ControlFlow::Continue(()),
        };
        // A shard keeps its variants' runs for its part file; a whole study reduces each
        // variant's run to its results as soon as it is complete.
        let mut saver = checkpoint.map(|(path, every)| {
            let before = resumed_at.map_or(0.0, |(_, s)| s);
            super::checkpoint::Saver::new(sc, summary::batch_trials(model), path, every, before)
        });
        let simulated = pool.install(|| match (shard, &mut saver) {
            (Some(_), _) => {
                covsim::driver::run_with_rows(sc, &variants, &plan, &progress, &mut rows)
                    .map(Simulated::Parts)
            }
            (None, Some(saver)) => covsim::driver::run_resumable(
                sc,
                summary::batch_trials(model),
                resumed.map(|r| r.stream),
                &progress,
                &mut |s| match saver.at_batch(s) {
                    ControlFlow::Continue(saved) => {
                        if saved {
                            progress.say(&format!(
                                "saved checkpoint {}: {} of {} trials",
                                saver.path().display(),
                                format::group_thousands(s.trials()),
                                format::group_thousands(sc.settings.trials)
                            ));
                        }
                        ControlFlow::Continue(())
                    }
                    ControlFlow::Break(()) => ControlFlow::Break(()),
                },
            )
            .map(Simulated::Whole),
            (None, None) => study
                .run_with_rows(sc, &plan, &progress, &mut rows)
                .map(Simulated::Whole),
        });
        let seconds = started.elapsed().as_secs_f64();
        progress.bar.finish_and_clear();
        if let Some(e) = saver.as_mut().and_then(|s| s.error.take()) {
            return Err(e);
        }
        if let (Some(f), Some(st)) = (rows_out, &staging) {
            f.finish()
                .map_err(|e| st.cannot_write(per_trial::FILE_NAME, e))?;
        }
        let part_error = part_out.as_mut().and_then(|p| p.error.take());
        if let (Some(p), Some(e)) = (&part_out, part_error) {
            return Err(p.cannot_write(e));
        }
        let simulated = simulated.map_err(|d| Failure::Input(render_all(&d)))?;

        let ran = match simulated {
            Simulated::Whole(ran) => ran,
            Simulated::Parts(outcome) => {
                let (i, n) = shard.expect("parts come from a shard");
                let range = shard::range(i, n, sc.settings.trials);
                let name = part_name(i, n);
                // The draws of every variant, in the order of their rows.
                let draws: Vec<f64> = outcome
                    .runs
                    .iter()
                    .flat_map(|r| r.draws.iter().copied())
                    .collect();
                part_out
                    .expect("a shard writes its part as it goes")
                    .finish(&draws, seconds, threads)?;
                out(&format!(
                    "wrote {} (shard {i} of {n}: trials {}..{} of {}); merge the parts with `covsim merge {}`\n",
                    out_dir.join(&name).display(),
                    range.start,
                    range.end,
                    sc.settings.trials,
                    out_dir.display()
                ));
                return Ok(None);
            }
        };
        let trials = ran.trials;
        // What this process simulated: a resumed run's trials after its checkpoint.
        let simulated_here = trials - resumed_at.map_or(0, |(done, _)| done);
        let work = model.accounts.len() as f64
            * model.months as f64
            * model.designs.len() as f64
            * simulated_here as f64
            * variants.len() as f64;
        let throughput = work / seconds.max(1e-9);
        if !self.quiet {
            eprintln!(
                "simulated {}{} trials × {} designs × {} accounts × {} months in {:.2} s on {} thread{}: {:.1} million account-month-designs per second",
                if variants.len() > 1 {
                    format!("{} variants × ", variants.len())
                } else {
                    String::new()
                },
                match resumed_at {
                    Some((done, _)) => format!("{simulated_here} (of {trials}, resumed at {done})"),
                    None => trials.to_string(),
                },
                model.designs.len(),
                model.accounts.len(),
                model.months,
                seconds,
                threads,
                if threads == 1 { "" } else { "s" },
                throughput / 1e6
            );
        }
        Ok(Some(Done {
            finished: ran.finished,
            run: ran.run,
            staging,
            out_dir,
            lock: lock.expect("a whole run holds its lock"),
            timing: Timing {
                account_month_designs_per_second: Some(throughput),
                accounts: model.accounts.len(),
                covsim_version: env!("CARGO_PKG_VERSION").to_string(),
                designs: model.designs.len(),
                months: model.months,
                parts: None,
                simulate_seconds: Some(seconds),
                threads: Some(threads),
                trials,
                variants: (variants.len() > 1).then_some(variants.len()),
                resumed_at_trial: resumed_at.map(|(done, _)| done),
                earlier_simulate_seconds: resumed_at.map(|(_, s)| s),
            },
        }))
    }
}

/// `I/N`, `auto` (Slurm array) or `auto/N` (Kubernetes Indexed Job, or Slurm with N given).
pub fn parse_shard(
    spec: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(u64, u64), Failure> {
    let bad = |why: String| {
        Failure::Usage(format!(
            "error: --shard {spec}: {why}; expected I/N with 0 ≤ I < N (e.g. 3/16), `auto` or `auto/N`\n"
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

/// per_trial.csv being written into the new outputs as the batches of trials come.
pub struct PerTrialFile {
    w: per_trial::Writer<Counted<BufWriter<std::fs::File>>>,
    error: Option<std::io::Error>,
    /// Bytes written so far.
    bytes: Arc<AtomicU64>,
    /// For a run of known length: its trials, the trials written so far, and the folder the
    /// file is written in (for the room left on its disk).
    room: Option<(u64, u64, PathBuf)>,
}

/// A writer that counts the bytes written through it.
struct Counted<W> {
    inner: W,
    bytes: Arc<AtomicU64>,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes.fetch_add(n as u64, AtomicOrdering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl PerTrialFile {
    /// per_trial.csv begun in `staging`; `trials`, where the run's length is known, lets it
    /// stop the run as soon as the rows written so far say the rest cannot fit on the disk.
    pub fn new(
        staging: &mut outdir::Staging,
        columns: Columns,
        trials: Option<u64>,
    ) -> Result<PerTrialFile, Failure> {
        let file = staging.create(per_trial::FILE_NAME)?;
        let bytes = Arc::new(AtomicU64::new(0));
        let out = Counted {
            inner: BufWriter::with_capacity(1 << 20, file),
            bytes: Arc::clone(&bytes),
        };
        let w = per_trial::Writer::new(out, columns)
            .map_err(|e| staging.cannot_write(per_trial::FILE_NAME, e))?;
        Ok(PerTrialFile {
            w,
            error: None,
            bytes,
            room: trials.map(|t| (t, 0, staging.folder().to_path_buf())),
        })
    }

    /// A fresh staging folder of `out_dir` with per_trial.csv of `model`'s rows begun in it,
    /// for a run of `trials` trials where that is known.
    pub fn staged(
        out_dir: &std::path::Path,
        lock: &outdir::Lock,
        model: &covsim::model::Model,
        trials: Option<u64>,
    ) -> Result<(outdir::Staging, PerTrialFile), Failure> {
        let mut staging = outdir::Staging::new(out_dir, lock)?;
        let f = PerTrialFile::new(&mut staging, Columns::of_model(model), trials)?;
        Ok((staging, f))
    }

    /// Appends the rows of `m`; stops the run at the first failed write (a full disk), or when
    /// the rest of the file, at the bytes per trial written so far, cannot fit on the disk.
    pub fn add(&mut self, m: &TrialMatrix) -> ControlFlow<()> {
        let (w, bytes, room) = (&mut self.w, &self.bytes, &mut self.room);
        guarded(&mut self.error, || {
            w.rows(m)?;
            let Some((total, done, dir)) = room else {
                return Ok(());
            };
            *done += m.trials;
            let written = bytes.load(AtomicOrdering::Relaxed);
            match memory::shortfall(written, *done, *total, memory::disk_available(dir)) {
                Some(why) => Err(std::io::Error::other(format!(
                    "{why} on its disk; run without --per-trial, with fewer trials, or with --out on a larger disk"
                ))),
                None => Ok(()),
            }
        })
    }

    /// Flushes the file to disk, or gives the first error.
    pub fn finish(self) -> std::io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut out = self.w.finish()?;
        out.flush()?;
        out.inner
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()
    }
}

/// A plain run's part file being written batch by batch: to a temporary name in the parts
/// folder, renamed into place when whole, removed if the shard fails.
pub struct PartFile {
    w: Option<shard::PartWriter<BufWriter<std::fs::File>>>,
    error: Option<std::io::Error>,
    tmp: PathBuf,
    path: PathBuf,
}

impl PartFile {
    fn new(dir: &std::path::Path, name: &str, part: shard::Part) -> Result<PartFile, Failure> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(name);
        // An earlier try of this shard that was killed (Ctrl-C, a job's time limit) left its
        // unfinished part under its process id: this try replaces it.
        let earlier = format!(".{name}.");
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.filter_map(Result::ok) {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(&earlier) && n.ends_with(".tmp") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut f = PartFile {
            w: None,
            error: None,
            tmp,
            path,
        };
        let file = std::fs::File::create(&f.tmp).map_err(|e| f.cannot_write(e))?;
        let w = shard::PartWriter::new(
            BufWriter::with_capacity(1 << 20, file),
            part.header,
            &part.files,
        )
        .map_err(|e| f.cannot_write(e))?;
        f.w = Some(w);
        Ok(f)
    }

    fn cannot_write(&self, e: std::io::Error) -> Failure {
        Failure::Io(format!("cannot write {}: {e}", self.path.display()))
    }

    /// Appends the rows of `m`; stops the shard at the first failed write.
    fn add(&mut self, m: &TrialMatrix) -> ControlFlow<()> {
        let w = self.w.as_mut().expect("open until finished");
        guarded(&mut self.error, || w.rows(m))
    }

    /// Appends the draws and the final header, and puts the file in place.
    fn finish(mut self, draws: &[f64], seconds: f64, threads: usize) -> Result<(), Failure> {
        let w = self.w.take().expect("open until finished");
        let done = w
            .finish(draws, seconds, threads)
            .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
            .and_then(|file| file.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.path));
        done.map_err(|e| self.cannot_write(e))
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        // Not renamed into place (a failure, or a finish that failed): no half part is left.
        if self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// One write of a file written batch by batch: after a failed write nothing more is written,
/// the first error is kept in `error` and the run is told to stop.
fn guarded(
    error: &mut Option<std::io::Error>,
    write: impl FnOnce() -> std::io::Result<()>,
) -> ControlFlow<()> {
    if error.is_some() {
        return ControlFlow::Break(());
    }
    match write() {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            *error = Some(e);
            ControlFlow::Break(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_gives_the_share_done_the_rate_and_the_time_left() {
        // A resumed run: 16,736,512 trials before this process, 5,000 a second since.
        let lines = Lines {
            started: Instant::now(),
            next: FIRST_LINE_SECONDS,
            from: 16_736_512,
            done: 16_736_512 + 3_000_000,
            total: 100_000_000,
            at_most: false,
        };
        assert_eq!(
            lines.line(600.0),
            "progress: 19,736,512 of 100,000,000 trials (19.7%), 5,000 trials/s, about 4 h 27 min left"
        );
        // A precision run stops when precise enough: its trials are a ceiling.
        let lines = Lines {
            from: 0,
            done: 60_000,
            total: 1_000_000,
            at_most: true,
            ..lines
        };
        assert_eq!(
            lines.line(120.0),
            "progress: 60,000 of at most 1,000,000 trials (6.0%), 500 trials/s, at most 31 min 20 s left"
        );
    }
}
