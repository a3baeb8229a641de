//! `covsim merge PARTS_DIR`: check the part files of a sharded run and write the tables and
//! charts of the whole run, exactly as one unsplit run writes them.

use std::path::PathBuf;

use clap::Args;

use covsim::diag::render_all;
use covsim::driver::{Finished, Outcome, Study};
use covsim::export::timing::Timing;
use covsim::scenario::Scenario;
use covsim::shard::{self, Part};
use covsim::study::Run;
use covsim::uncertain::Uncertain;

use super::run::Written;
use super::{Failure, memory, outdir};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Folder holding the part files (`*.covpart`) written by `covsim run --shard`.
    parts: PathBuf,
    /// Output folder (default: outputs/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write per_trial.csv, one row per trial and design.
    #[arg(long)]
    per_trial: bool,
    /// Skip the charts (tables only).
    #[arg(long)]
    no_charts: bool,
    /// Also write deck.pptx: title, the answer, one slide per chart, key assumptions.
    #[arg(long)]
    deck: bool,
}

pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    let entries = std::fs::read_dir(&args.parts)
        .map_err(|e| Failure::Io(format!("cannot read {}: {e}", args.parts.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == shard::EXTENSION))
        .collect();
    paths.sort();
    memory::check_merge(
        paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum(),
    )?;
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    for p in &paths {
        let name = p.display().to_string();
        match std::fs::read(p) {
            Ok(bytes) => match Part::from_bytes(&bytes) {
                Ok(part) => parts.push((name, part)),
                Err(e) => problems.push(format!("{name}: {e}")),
            },
            Err(e) => return Err(Failure::Io(format!("cannot read {name}: {e}"))),
        }
    }
    if paths.is_empty() {
        problems.push(format!(
            "{}: no part files (*.{}) to merge; write them with `covsim run SCENARIO --shard I/N --out {}`",
            args.parts.display(),
            shard::EXTENSION,
            args.parts.display()
        ));
    }
    let merged = if problems.is_empty() {
        shard::merge(parts).map_err(|e| problems.extend(e)).ok()
    } else {
        None
    };
    let Some(shard::Merged {
        header,
        runs,
        files: stored,
    }) = merged
    else {
        return Err(refuse(&problems));
    };

    // The scenario travels in the parts: read it again, and check it is the one they ran.
    let mut from_parts = |p: &str| -> Result<Vec<u8>, String> {
        stored
            .get(p)
            .cloned()
            .ok_or_else(|| format!("{p} is not stored in the parts"))
    };
    let mut study = Scenario::load(
        &header.scenario_text,
        &header.scenario_file,
        &mut from_parts,
    )
    .map_err(|d| Failure::Input(render_all(&d)))?;
    if study.model.hash != header.scenario_hash {
        return Err(refuse(&[format!(
            "the scenario stored in the parts hashes to {}, not {} as they say: a damaged or edited part",
            &study.model.hash[..12],
            shard::short(&header.scenario_hash)
        )]));
    }
    study.settings.trials = header.total_trials;
    study
        .set_seed(header.seed)
        .map_err(|d| Failure::Input(render_all(&d)))?;
    let what = header.study.clone().unwrap_or(Study::Run);
    let variants = what.variants(&study);
    // Each variant draws the uncertain inputs it does not fix, as `study::simulate` does.
    let inputs: Vec<Vec<Uncertain>> = variants
        .iter()
        .map(|v| {
            study
                .uncertain
                .iter()
                .filter(|u| !v.contains_key(&u.path))
                .cloned()
                .collect()
        })
        .collect();
    let stored_inputs: Vec<&Vec<String>> = std::iter::once(&header.inputs)
        .chain(&header.variant_inputs)
        .collect();
    let same_inputs = inputs.len() == stored_inputs.len()
        && inputs
            .iter()
            .zip(&stored_inputs)
            .all(|(a, b)| a.iter().map(|u| &u.path).eq(b.iter()));
    if !same_inputs {
        return Err(refuse(&[
            "the parts' uncertain inputs differ from their scenario's".into(),
        ]));
    }
    let model = &study.model;
    // The layout of the rows must be the one this scenario gives (a part is checked against its
    // own header; here the header is checked against the scenario), or the rows cannot be read.
    let width = covsim::metrics::Layout::of(model).width();
    if header.designs != model.designs.len() || header.width != width {
        return Err(refuse(&[format!(
            "the parts hold {} design{} × {} values per trial, but their scenario gives {} × {}: a damaged or foreign part",
            header.designs,
            if header.designs == 1 { "" } else { "s" },
            header.width,
            model.designs.len(),
            width
        )]));
    }
    let runs: Vec<Run> = runs
        .into_iter()
        .zip(inputs)
        .map(|((matrix, draws), inputs)| Run {
            matrix,
            inputs,
            draws,
            summary: None,
        })
        .collect();
    for run in &runs {
        covsim::study::check_finite(&study, run).map_err(|d| Failure::Input(render_all(&d)))?;
    }
    let trials = runs[0].matrix.trials;
    let outcome = Outcome {
        runs,
        precision: None,
    };
    let finished = what
        .finish(&study, &outcome)
        .map_err(|d| Failure::Input(render_all(&d)))?;
    let out_dir = args
        .out
        .unwrap_or_else(|| super::driver::default_out(&model.name, &what));
    let lock = outdir::lock(&out_dir)?;
    let charts = !args.no_charts;
    let timing = Timing {
        account_month_designs_per_second: None,
        accounts: model.accounts.len(),
        covsim_version: env!("CARGO_PKG_VERSION").to_string(),
        designs: model.designs.len(),
        months: model.months,
        parts: Some(paths.len()),
        simulate_seconds: None,
        threads: None,
        trials,
        variants: (outcome.runs.len() > 1).then_some(outcome.runs.len()),
    };
    match finished {
        Finished::Run(results) => Written {
            results: &results,
            matrix: &outcome.runs[0].matrix,
            staging: None,
            per_trial: args.per_trial,
            charts,
            deck: args.deck,
            timing,
        }
        .write(&out_dir, &lock)?,
        Finished::Sweep(s) => super::study::write_sweep(&s, charts, &timing, &out_dir, &lock)?,
        Finished::Tornado(t) => super::study::write_tornado(&t, charts, &timing, &out_dir, &lock)?,
    }
    super::out(&format!(
        "merged {} parts: trials 0..{} of scenario {} (seed {})\n",
        paths.len(),
        header.total_trials,
        header.scenario_name,
        header.seed
    ));
    Ok(())
}

fn refuse(problems: &[String]) -> Failure {
    let mut msg = String::new();
    for p in problems {
        msg.push_str(&format!("error: {p}\n"));
    }
    msg.push_str(&format!(
        "{} problem{} found; nothing was written.\n",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    ));
    Failure::Input(msg)
}
