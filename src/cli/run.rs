//! `covsim run`: load, simulate, summarise, write every output file, print the summary.

use clap::Args;

use covsim::charts;
use covsim::driver::{Finished, Study};
use covsim::export::timing::{self, Timing};
use covsim::export::{self, deck, per_trial, workbook};
use covsim::results::Results;

use super::driver::Common;
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
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let c = &args.common;
    let sc = c.load()?;
    let refused = [("--per-trial", args.per_trial), ("--deck", args.deck)];
    let Some(done) = c.execute(&sc, &Study::Run, args.per_trial, &refused)? else {
        return Ok(());
    };
    let Finished::Run(results) = done.finished else {
        unreachable!("a run finishes as a run")
    };
    Written {
        results: &results,
        matrix: &done.outcome.runs[0].matrix,
        per_trial: args.per_trial,
        charts: !c.no_charts,
        deck: args.deck,
        timing: done.timing,
    }
    .write(&done.out_dir, &done.lock)
}

/// Everything a run (or a merge) writes, rendered before the first file is written.
pub struct Written<'a> {
    pub results: &'a Results,
    pub matrix: &'a covsim::engine::TrialMatrix,
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
