//! `covsim optimize`: the flags read into a `Problem`, the search run, its outputs written to
//! `outputs/<scenario>/optimize/` as a unit.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use covsim::charts;
use covsim::export::optimize as export;
use covsim::optimize::{self, Monitor, Options, space};

use super::{Failure, files, out, outdir};

/// The flags of `covsim optimize`. The problem can also be written in the scenario's
/// `[optimize]` section (docs/SCENARIO.md): a flag wins over the section's key of the same
/// meaning, and a list flag (`--vary`, `--constraint`) given at least once replaces the
/// section's whole list.
#[derive(Args, Debug)]
pub struct OptimizeArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// The design the candidates are made from (default: `optimize.from`, else the baseline).
    #[arg(long)]
    from: Option<String>,
    /// A decision variable, `key=levels`: `headcount.field=10..80`,
    /// `coverage.core.owner=field|inside`, `coverage.key.owners.close=field|inside`,
    /// `coverage.key.specialists.propose=none|solutions`, `clarity=0.5|0.8`,
    /// `credit=single|double`, or a real-valued key of the design (`territory_overlap=0.5|1`).
    /// Replaces the scenario's `optimize.vary` when given.
    #[arg(long)]
    vary: Vec<String>,
    /// A constraint, `measure <= limit` or `measure >= limit`: `cost_of_sales <= 15M`,
    /// `p5(contribution) >= 8M`, `heads <= 90`, `conflicts <= 300`. Replaces the scenario's
    /// `optimize.constraints` when given.
    #[arg(long)]
    constraint: Vec<String>,
    /// What to maximise (or minimise, for costs and losses): a metric's mean (`contribution`)
    /// or a percentile (`p5(contribution)`) [default: `optimize.objective`, else contribution].
    #[arg(long)]
    objective: Option<String>,
    /// Indifference zone: the chosen design is within this much of the best finalist
    /// (`100k`, `250000`) [default: `optimize.delta`, else 100k].
    #[arg(long, allow_hyphen_values = true)]
    delta: Option<String>,
    /// Probability that the guarantee holds; also the confidence of the constraint checks
    /// [default: `optimize.confidence`, else 0.95].
    #[arg(long, allow_negative_numbers = true)]
    confidence: Option<f64>,
    /// Design-trials budget: every design-trial so far (search, report, selection) is compared with it before each search step and selection block, so it can be exceeded (the reproducible limit)
    /// [default: `optimize.max_trials`, else 300000].
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole(1000, u64::MAX))]
    max_trials: Option<u64>,
    /// Wall-clock budget: stops between stages when spent (reported; not reproducible)
    /// [default: `optimize.budget_seconds`, else none].
    #[arg(long, allow_negative_numbers = true)]
    budget_seconds: Option<f64>,
    /// Trials of the reported figures (overrides `simulation.trials`), as `covsim run --trials`.
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole(30, 10_000_000))]
    trials: Option<u64>,
    /// Random seed (overrides `simulation.seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole(0, u64::MAX))]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole32(1, 1024))]
    threads: Option<u32>,
    /// Output folder (default: outputs/<scenario>/optimize).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the tables only.
    #[arg(long)]
    no_charts: bool,
    /// No stage messages on stderr.
    #[arg(long)]
    quiet: bool,
}

/// Defaults of the settings neither a flag nor the `[optimize]` section gives.
const DEFAULT_DELTA: f64 = 100_000.0;
const DEFAULT_CONFIDENCE: f64 = 0.95;
const DEFAULT_MAX_TRIALS: u64 = 300_000;

struct Clock {
    start: Instant,
    budget: Option<f64>,
    quiet: bool,
}

impl Monitor for Clock {
    fn stage(&self, name: &str, design_trials: u64) -> bool {
        let secs = self.start.elapsed().as_secs_f64();
        if !self.quiet {
            eprintln!(
                "optimize: {secs:6.1} s, {} design-trials so far; {name}",
                covsim::export::thousands(design_trials as f64)
            );
        }
        self.budget.is_none_or(|b| secs < b)
    }
}

fn usage(flag: &str, text: &str, e: String) -> String {
    format!("error: {flag} '{text}': {e}\n")
}

/// The problem and settings of a search: the flags over the scenario's `[optimize]` section.
/// Every problem of both is reported at once: the section's with file, line, column and key
/// path (exit 1), the flags' as usage errors (exit 2 when only flags are wrong).
fn settings(sc: &covsim::scenario::Scenario, args: &OptimizeArgs) -> Result<Settings, Failure> {
    let m = &sc.model;
    let mut errors: Vec<String> = Vec::new();
    let from_flag = args.from.as_ref().and_then(|name| {
        let found = m.designs.iter().position(|d| &d.name == name);
        if found.is_none() {
            let names: Vec<&str> = m.designs.iter().map(|d| d.name.as_str()).collect();
            errors.push(format!(
                "error: --from '{name}': no such design\n   = allowed: {}\n",
                names.join(", ")
            ));
        }
        found
    });
    let (section, diags) = match space::section(sc, from_flag) {
        Ok(s) => (s, Vec::new()),
        Err(d) => (space::Section::default(), d),
    };
    let from = from_flag.or(section.from).unwrap_or(m.baseline);
    let variables = if args.vary.is_empty() {
        section.variables
    } else {
        let mut variables: Vec<space::Variable> = Vec::new();
        for v in &args.vary {
            match space::parse_variable(sc, from, v) {
                Ok(x) if variables.iter().any(|y| y.knob == x.knob) => {
                    errors.push(usage("--vary", v, "this variable is varied twice".into()))
                }
                Ok(x) => variables.push(x),
                Err(e) => errors.push(usage("--vary", v, e)),
            }
        }
        variables
    };
    if variables.is_empty() && errors.is_empty() && diags.is_empty() {
        errors.push(
            "error: nothing to vary\n   = allowed: one or more `--vary key=levels`, or `vary = [...]` in the scenario's [optimize] section\n"
                .into(),
        );
    }
    let constraints = if args.constraint.is_empty() {
        section.constraints
    } else {
        let mut constraints = Vec::new();
        for c in &args.constraint {
            match space::parse_constraint(m, c) {
                Ok(x) => constraints.push(x),
                Err(e) => errors.push(usage("--constraint", c, e)),
            }
        }
        constraints
    };
    let objective = match &args.objective {
        Some(text) => space::parse_measure(m, text)
            .map_err(|e| errors.push(usage("--objective", text, e)))
            .ok(),
        None => Some(section.objective.unwrap_or_else(|| {
            space::parse_measure(m, covsim::metrics::Metric::Contribution.key())
                .expect("contribution is a metric")
        })),
    };
    let delta = match &args.delta {
        Some(text) => {
            let d = space::parse_amount(text).filter(|d| *d > 0.0);
            if d.is_none() {
                errors.push(usage(
                    "--delta",
                    text,
                    "not a positive amount\n   = allowed: e.g. `100k`, `250000`".into(),
                ));
            }
            d
        }
        None => Some(section.delta.unwrap_or(DEFAULT_DELTA)),
    };
    let confidence = args
        .confidence
        .or(section.confidence)
        .unwrap_or(DEFAULT_CONFIDENCE);
    if args.confidence.is_some_and(|c| !(c > 0.5 && c < 1.0)) {
        errors.push(usage(
            "--confidence",
            &confidence.to_string(),
            "out of range: a probability more than 0.5 and less than 1 is allowed\n   = allowed: more than 0.5 and less than 1 (e.g. 0.95)".into(),
        ));
    }
    if args.budget_seconds.is_some_and(|b| b.is_nan() || b <= 0.0) {
        errors.push(usage(
            "--budget-seconds",
            "",
            "not a positive number of seconds".into(),
        ));
    }
    let problem = match (objective, delta) {
        (Some(objective), Some(_)) => Some(space::Problem {
            from,
            variables,
            constraints,
            objective,
        }),
        _ => None,
    };
    if let Some(p) = &problem {
        if let Err(e) = optimize::check(p) {
            errors.push(format!("error: --vary: {e}\n"));
        }
    }
    if !diags.is_empty() {
        let text: String = errors.concat() + &covsim::diag::render_all(&diags);
        return Err(Failure::Input(text));
    }
    match (problem, delta, errors.is_empty()) {
        (Some(problem), Some(delta), true) => Ok(Settings {
            problem,
            delta,
            confidence,
            max_trials: args
                .max_trials
                .or(section.max_trials)
                .unwrap_or(DEFAULT_MAX_TRIALS),
            budget_seconds: args.budget_seconds.or(section.budget_seconds),
        }),
        _ => Err(Failure::Usage(errors.concat())),
    }
}

struct Settings {
    problem: space::Problem,
    delta: f64,
    confidence: f64,
    max_trials: u64,
    budget_seconds: Option<f64>,
}

pub fn optimize(args: OptimizeArgs) -> Result<(), Failure> {
    let mut sc = files::load_unchecked(Some(&args.scenario))?;
    if let Some(t) = args.trials {
        sc.settings.trials = t;
    }
    if let Some(s) = args.seed {
        sc.set_seed(s)
            .map_err(|d| Failure::Input(covsim::diag::render_all(&d)))?;
    }
    let Settings {
        problem,
        delta,
        confidence,
        max_trials,
        budget_seconds,
    } = settings(&sc, &args)?;
    let pool = super::pool(args.threads)?;
    let out_dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs")
            .join(files::folder_name(&sc.model.name))
            .join("optimize")
    });
    let lock = outdir::lock(&out_dir)?;
    let clock = Clock {
        start: Instant::now(),
        budget: budget_seconds,
        quiet: args.quiet,
    };
    let opts = Options {
        delta,
        confidence,
        report_trials: sc.settings.trials,
        max_design_trials: max_trials,
    };
    let answer = pool.install(|| optimize::optimize(&sc, &problem, &opts, &clock));
    let seconds = clock.start.elapsed().as_secs_f64();
    let o = &answer.outcome;
    let mut files_out = vec![
        ("optimize.json".to_string(), export::json(o).into_bytes()),
        ("optimize.md".to_string(), export::markdown(o).into_bytes()),
        ("optimize.csv".to_string(), export::csv(o).into_bytes()),
        (
            "timing.json".to_string(),
            format!(
                "{{\n  \"seconds\": {seconds},\n  \"threads\": {}\n}}\n",
                pool.current_num_threads()
            )
            .into_bytes(),
        ),
    ];
    if let Some(d) = &answer.design {
        let mut name = "optimized".to_string();
        let mut k = 2;
        while sc.model.designs.iter().any(|x| x.name == name) {
            name = format!("optimized_{k}");
            k += 1;
        }
        files_out.push((
            "best.toml".to_string(),
            export::best_toml(&sc.model, d, &name, o).into_bytes(),
        ));
    }
    if !args.no_charts {
        let drawn = charts::frontier::render(o)
            .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
        files_out.extend(drawn);
    }
    outdir::write_unit(&out_dir, &files_out, &lock)?;
    out(&export::markdown(o));
    out(&format!(
        "\nwrote {} to {} in {seconds:.1} s\n",
        files_out
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.ends_with(".png"))
            .collect::<Vec<_>>()
            .join(", "),
        out_dir.display()
    ));
    Ok(())
}
