//! `covsim optimize`: the flags read into a `Problem`, the search run, its outputs written to
//! `outputs/<scenario>/optimize/` as a unit.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use covsim::charts;
use covsim::export::optimize as export;
use covsim::optimize::{self, Monitor, Options, space};

use super::{Failure, files, out, outdir};

#[derive(Args, Debug)]
pub struct OptimizeArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// The design the candidates are made from (default: the baseline).
    #[arg(long)]
    from: Option<String>,
    /// A decision variable, `key=levels`: `headcount.field=10..80`,
    /// `coverage.core.owner=field|inside`, `coverage.key.owners.close=field|inside`,
    /// `coverage.key.specialists.propose=none|solutions`, `clarity=0.5|0.8`,
    /// `credit=single|double`, or a real-valued key of the design (`territory_overlap=0.5|1`).
    #[arg(long, required = true)]
    vary: Vec<String>,
    /// A constraint, `measure <= limit` or `measure >= limit`: `cost_of_sales <= 15M`,
    /// `p5(contribution) >= 8M`, `heads <= 90`, `conflicts <= 300`.
    #[arg(long)]
    constraint: Vec<String>,
    /// What to maximise (or minimise, for costs and losses): a metric's mean (`contribution`)
    /// or a percentile (`p5(contribution)`).
    #[arg(long, default_value = covsim::metrics::Metric::Contribution.key())]
    objective: String,
    /// Indifference zone: the chosen design is within this much of the best finalist
    /// (`100k`, `250000`).
    #[arg(long, default_value = "100k")]
    delta: String,
    /// Probability that the guarantee holds; also the confidence of the constraint checks.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Most design-trials the search and selection simulate (the reproducible limit).
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u64).range(1000..))]
    max_trials: u64,
    /// Wall-clock budget: stops between stages when spent (reported; not reproducible).
    #[arg(long)]
    budget_seconds: Option<f64>,
    /// Trials of the reported figures (overrides `simulation.trials`), as `covsim run --trials`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(30..=10_000_000))]
    trials: Option<u64>,
    /// Random seed (overrides `simulation.seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
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

fn usage(flag: &str, text: &str, e: String) -> Failure {
    Failure::Usage(format!("error: {flag} '{text}': {e}\n"))
}

pub fn optimize(args: OptimizeArgs) -> Result<(), Failure> {
    let mut sc = files::load_study(Some(&args.scenario))?;
    if let Some(t) = args.trials {
        sc.settings.trials = t;
    }
    if let Some(s) = args.seed {
        sc.set_seed(s)
            .map_err(|d| Failure::Input(covsim::diag::render_all(&d)))?;
    }
    let m = &sc.model;
    let from = match &args.from {
        None => m.baseline,
        Some(name) => m
            .designs
            .iter()
            .position(|d| &d.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = m.designs.iter().map(|d| d.name.as_str()).collect();
                Failure::Usage(format!(
                    "error: --from '{name}': no such design\n   = allowed: {}\n",
                    names.join(", ")
                ))
            })?,
    };
    // Every flag is checked and every problem reported at once.
    let mut errors = Vec::new();
    let mut variables = Vec::new();
    for v in &args.vary {
        match space::parse_variable(&sc, from, v) {
            Ok(x) => {
                if variables.iter().any(|y: &space::Variable| y.knob == x.knob) {
                    errors.push(usage("--vary", v, "this variable is varied twice".into()));
                } else {
                    variables.push(x);
                }
            }
            Err(e) => errors.push(usage("--vary", v, e)),
        }
    }
    let mut constraints = Vec::new();
    for c in &args.constraint {
        match space::parse_constraint(m, c) {
            Ok(x) => constraints.push(x),
            Err(e) => errors.push(usage("--constraint", c, e)),
        }
    }
    let objective = space::parse_measure(m, &args.objective)
        .map_err(|e| errors.push(usage("--objective", &args.objective, e)))
        .ok();
    let delta = space::parse_amount(&args.delta).filter(|d| *d > 0.0);
    if delta.is_none() {
        errors.push(usage(
            "--delta",
            &args.delta,
            "not a positive amount\n   = allowed: e.g. `100k`, `250000`".into(),
        ));
    }
    if !(args.confidence > 0.5 && args.confidence < 1.0) {
        errors.push(usage(
            "--confidence",
            &args.confidence.to_string(),
            "out of range\n   = allowed: more than 0.5 and less than 1 (e.g. 0.95)".into(),
        ));
    }
    if args.budget_seconds.is_some_and(|b| b.is_nan() || b <= 0.0) {
        errors.push(usage(
            "--budget-seconds",
            "",
            "not a positive number of seconds".into(),
        ));
    }
    let (Some(objective), Some(delta), true) = (objective, delta, errors.is_empty()) else {
        let text: String = errors
            .into_iter()
            .map(|e| match e {
                Failure::Usage(t) => t,
                _ => String::new(),
            })
            .collect();
        return Err(Failure::Usage(text));
    };
    let problem = space::Problem {
        from,
        variables,
        constraints,
        objective,
    };
    optimize::check(&problem).map_err(|e| Failure::Usage(format!("error: --vary: {e}\n")))?;
    let pool = super::pool(args.threads)?;
    let out_dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs")
            .join(files::folder_name(&sc.model.name))
            .join("optimize")
    });
    let lock = outdir::lock(&out_dir)?;
    let clock = Clock {
        start: Instant::now(),
        budget: args.budget_seconds,
        quiet: args.quiet,
    };
    let opts = Options {
        delta,
        confidence: args.confidence,
        report_trials: sc.settings.trials,
        max_design_trials: args.max_trials,
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
