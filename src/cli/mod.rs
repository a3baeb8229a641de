//! Commands and exit codes: 0 success, 1 the user's input is wrong, 2 usage or I/O error,
//! 130 interrupted (Ctrl-C) with the earlier results left as they were.

mod calibrate;
mod checkpoint;
mod deck;
mod driver;
mod files;
mod memory;
mod merge;
mod optimize;
mod outdir;
mod plot;
mod run;
mod study;
mod table;
mod values;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "covsim", version, about = "Compare sales coverage designs by Monte Carlo simulation", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Simulate a scenario (the built-in example if none is given) and write its results.
    Run(run::RunArgs),
    /// Merge the part files of a run split with `run --shard` into the results of the whole run.
    Merge(merge::MergeArgs),
    /// Redraw the charts of a results file (summary.json) without simulating again.
    Plot(plot::PlotArgs),
    /// Write the slide deck (deck.pptx) of a results file (summary.json) without simulating again.
    Deck(deck::DeckArgs),
    /// Run a scenario at several values of one input and find the break-even points.
    Sweep(study::SweepArgs),
    /// Swing each input from low to high and rank how much it moves the answer (tornado).
    Sensitivity(study::SensitivityArgs),
    /// Search the designs reachable from one design for the best under constraints, and select
    /// it with a stated probability of being right.
    Optimize(optimize::OptimizeArgs),
    /// Fit the baseline design of a scenario to a CRM export, with intervals (and a back-test).
    Calibrate(Box<calibrate::CalibrateArgs>),
    /// Check a scenario and report every problem, without simulating.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Write an annotated starter scenario to edit.
    Init {
        /// Where to write it, e.g. my-scenario.toml.
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print every scenario key (meaning, unit, range, default) as the Markdown tables of
    /// docs/SCENARIO.md, or write them into that file.
    Keys {
        /// Replace the key tables of this Markdown file (its `<!-- keys: … -->` sections),
        /// docs/SCENARIO.md when no file is named.
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "docs/SCENARIO.md")]
        write_docs: Option<PathBuf>,
    },
}

/// How a command failed.
pub enum Failure {
    /// The user's input is wrong (exit 1); the message is already complete.
    Input(String),
    /// Usage or I/O trouble (exit 2).
    Io(String),
    /// A malformed command-line value (exit 2); the message is already complete.
    Usage(String),
    /// Stopped by Ctrl-C or SIGTERM before anything was changed (exit 130).
    Interrupted(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    outdir::handle_interrupts();
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Plot(args) => plot::plot(args),
        Command::Deck(args) => deck::deck(args),
        Command::Merge(args) => merge::merge(args),
        Command::Sweep(args) => study::sweep(args),
        Command::Sensitivity(args) => study::sensitivity(args),
        Command::Optimize(args) => optimize::optimize(args),
        Command::Calibrate(args) => calibrate::calibrate(*args),
        Command::Validate { scenario } => validate(&scenario),
        Command::Init { path, force } => init(&path, force),
        Command::Keys { write_docs } => keys(write_docs.as_deref()),
    };
    match outcome {
        Ok(()) => match STDOUT_ERROR.get() {
            Some(e) => {
                eprintln!("error: cannot write to standard output: {e}");
                ExitCode::from(2)
            }
            None => ExitCode::SUCCESS,
        },
        Err(Failure::Input(msg)) => {
            eprint!("{msg}");
            ExitCode::from(1)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(msg)) => {
            eprint!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Interrupted(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(outdir::INTERRUPTED_EXIT)
        }
    }
}

/// The first error writing to stdout other than a closed pipe, reported when the command ends.
static STDOUT_ERROR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Writes to stdout; a closed pipe (`covsim run | head`) is not an error, any other failure
/// (a full disk behind `> file`) makes the command fail with exit status 2 once it is done.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = STDOUT_ERROR.set(e.to_string());
        }
    }
}

/// The worker threads of a command: `threads`, or one per core.
pub fn pool(threads: Option<u32>) -> Result<rayon::ThreadPool, Failure> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n as usize);
    }
    pool.build()
        .map_err(|e| Failure::Io(format!("cannot start worker threads: {e}")))
}

fn validate(path: &std::path::Path) -> Result<(), Failure> {
    let sc = files::load_study(Some(path))?;
    // The `[optimize]` section is checked as `covsim optimize` reads it (the simulation
    // ignores it).
    let section = covsim::optimize::space::section(&sc, None)
        .map_err(|d| Failure::Input(covsim::diag::render_all(&d)))?;
    let model = &sc.model;
    let designs: Vec<&str> = model.designs.iter().map(|d| d.name.as_str()).collect();
    out(&format!(
        "{}: ok — {} accounts in {} tiers, {} channels, {} stages, {} designs ({}), baseline {}\n",
        path.display(),
        model.accounts.len(),
        model.tiers.len(),
        model.channels.len(),
        model.stages.len(),
        model.designs.len(),
        designs.join(", "),
        model.designs[model.baseline].name
    ));
    if sc.optimize.is_some() {
        let from = section.from.unwrap_or(model.baseline);
        out(&format!(
            "[optimize]: from {}, {} decision variable{}, {} constraint{}\n",
            model.designs[from].name,
            section.variables.len(),
            if section.variables.len() == 1 {
                ""
            } else {
                "s"
            },
            section.constraints.len(),
            if section.constraints.len() == 1 {
                ""
            } else {
                "s"
            },
        ));
    }
    Ok(())
}

fn keys(write_docs: Option<&std::path::Path>) -> Result<(), Failure> {
    let Some(path) = write_docs else {
        out(&covsim::export::keys::all());
        return Ok(());
    };
    let doc = std::fs::read_to_string(path)
        .map_err(|e| Failure::Io(format!("cannot read {}: {e}", path.display())))?;
    let new = covsim::export::keys::update(&doc)
        .map_err(|e| Failure::Io(format!("{}: {e}", path.display())))?;
    if new == doc {
        out(&format!("{}: key tables up to date\n", path.display()));
        return Ok(());
    }
    files::write_atomic(path, new.as_bytes())
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))?;
    out(&format!("{}: key tables written\n", path.display()));
    Ok(())
}

fn init(path: &std::path::Path, force: bool) -> Result<(), Failure> {
    if path.exists() && !force {
        return Err(Failure::Io(format!(
            "{} already exists; use --force to overwrite it",
            path.display()
        )));
    }
    // Named after the file, as a scenario without a name would be (docs/SCENARIO.md).
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let text = covsim::scenario::starter(&name, &path.display().to_string());
    files::write_atomic(path, text.as_bytes())
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))?;
    out(&format!(
        "wrote {} — an annotated example to edit; check it with `covsim validate {}` and run it with `covsim run {}`\n",
        path.display(),
        path.display(),
        path.display()
    ));
    Ok(())
}
