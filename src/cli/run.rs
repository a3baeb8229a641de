//! `covsim run`: load, simulate, summarise, write every output file, print the summary.

use clap::Args;

use covsim::charts;
use covsim::driver::{Finished, Study};
use covsim::export::per_trial::{self, Columns};
use covsim::export::timing::{self, Timing};
use covsim::export::{self, deck, workbook};
use covsim::results::Results;

use super::driver::{Common, PerTrialFile};
use super::{Failure, out, outdir, table};

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Also write per_trial.csv, one row per trial and design.
    #[arg(long)]
    per_trial: bool,
    /// Also write deck.pptx: title, the answer, one slide per chart, key assumptions.
    #[arg(long)]
    deck: bool,
    /// Save the run's progress to FILE every --checkpoint-every seconds, and if FILE exists,
    /// resume from it (it must be a checkpoint of the same scenario, seed and trials): the
    /// results are those of a run that never stopped. FILE is removed once the outputs are
    /// written. Not with --shard, --precision or --per-trial.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<std::path::PathBuf>,
    /// With --checkpoint: seconds between saves (taken at the end of a batch of trials).
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        value_parser = super::values::whole(0, u64::MAX),
        default_value_t = 600,
        requires = "checkpoint"
    )]
    checkpoint_every: u64,
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let c = &args.common;
    let sc = c.load()?;
    let refused = [("--per-trial", args.per_trial), ("--deck", args.deck)];
    let checkpoint = args
        .checkpoint
        .as_deref()
        .map(|p| (p, std::time::Duration::from_secs(args.checkpoint_every)));
    let Some(done) = c.execute(&sc, &Study::Run, args.per_trial, &refused, checkpoint)? else {
        return Ok(());
    };
    let Finished::Run(results) = done.finished else {
        unreachable!("a run finishes as a run")
    };
    Written {
        results: &results,
        matrix: &done
            .run
            .as_ref()
            .expect("a plain study keeps its run")
            .matrix,
        staging: done.staging,
        per_trial: args.per_trial,
        charts: !c.no_charts,
        deck: args.deck,
        timing: done.timing,
    }
    .write(&done.out_dir, &done.lock)?;
    // The outputs are whole: the checkpoint has done its work.
    if let Some(path) = &args.checkpoint {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Failure::Io(format!(
                    "the outputs are written, but the checkpoint {} cannot be removed: {e}",
                    path.display()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Everything a run (or a merge) writes: rendered, or written into the run's staging folder,
/// before anything appears in the output folder (all of it then, or none).
pub struct Written<'a> {
    pub results: &'a Results,
    /// Every trial's rows, for per_trial.csv when it is not in `staging` already.
    pub matrix: &'a covsim::engine::TrialMatrix,
    /// The new outputs, where the run wrote some as it simulated (per_trial.csv).
    pub staging: Option<outdir::Staging>,
    pub per_trial: bool,
    pub charts: bool,
    /// Also deck.pptx (its charts are drawn even with `charts` off).
    pub deck: bool,
    pub timing: Timing,
}

impl Written<'_> {
    /// Renders every output, writes them as the content of `out_dir` (whose lock the caller
    /// holds) and prints the summary.
    pub fn write(self, out_dir: &std::path::Path, lock: &outdir::Lock) -> Result<(), Failure> {
        let results = self.results;
        let mut staging = match self.staging {
            Some(s) => s,
            None => outdir::Staging::new(out_dir, lock)?,
        };
        let mut files_out: Vec<(String, Vec<u8>)> = export::all()
            .iter()
            .map(|e| (e.file_name().to_string(), e.render(results)))
            .collect();
        let exporters = files_out.len();
        let mut staged: Vec<String> = Vec::new();
        if self.per_trial {
            // per_trial.csv and the workbook with its per-trial sheet go to disk as they are
            // written: neither is held in memory.
            if !staging.has(per_trial::FILE_NAME) {
                let mut f = PerTrialFile::new(&mut staging, Columns::of_results(results), None)?;
                let _ = f.add(self.matrix);
                f.finish()
                    .map_err(|e| staging.cannot_write(per_trial::FILE_NAME, e))?;
            }
            let rows = per_trial::Rows::new(
                std::io::BufReader::new(staging.open(per_trial::FILE_NAME)?),
                results.designs.len(),
            );
            let total = results.trials * results.designs.len() as u64;
            let file = staging.create(workbook::FILE_NAME)?;
            let mut out = std::io::BufWriter::new(file);
            workbook::write(
                results,
                Some(workbook::PerTrial {
                    total,
                    rows: Box::new(rows),
                    tempdir: Some(staging.folder().to_path_buf()),
                }),
                &mut out,
            )
            .map_err(Failure::Io)?;
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .map_err(|e| staging.cannot_write(workbook::FILE_NAME, e))?;
            staged.extend([
                per_trial::FILE_NAME.to_string(),
                workbook::FILE_NAME.to_string(),
            ]);
        } else {
            files_out.push((
                workbook::FILE_NAME.to_string(),
                workbook::render(results, None).map_err(Failure::Io)?,
            ));
        }
        files_out.push((timing::FILE_NAME.to_string(), timing::render(&self.timing)));
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
        // In the order of before: the exporters', per_trial.csv, the workbook, the rest.
        let names: Vec<String> = files_out[..exporters]
            .iter()
            .map(|(n, _)| n.clone())
            .chain(staged)
            .chain(files_out[exporters..].iter().map(|(n, _)| n.clone()))
            .filter(|n| !n.starts_with(charts::FOLDER))
            .collect();
        staging.finish(&files_out)?;

        out(&table::summary(results));
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
