//! `covsim plot`: redraw every chart from a saved summary.json, without simulating.

use std::path::PathBuf;

use clap::Args;

use covsim::charts;
use covsim::diag::render_all;
use covsim::export::{json, workbook};
use covsim::results::Results;

use super::{Failure, files, out};

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A results file written by `covsim run`, e.g. outputs/leverage/summary.json.
    results: PathBuf,
    /// Folder for the charts (default: charts/ beside the results file).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Reads and checks a results file; its name for messages.
pub fn read_results(path: &std::path::Path) -> Result<(Results, String), Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Io(format!("cannot read results file {}: {e}", path.display())))?;
    let name = path.display().to_string();
    let results = json::parse(&bytes, &name).map_err(|d| Failure::Input(render_all(&d)))?;
    Ok((results, name))
}

pub fn plot(args: PlotArgs) -> Result<(), Failure> {
    let (results, name) = read_results(&args.results)?;
    let beside = args
        .results
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| beside.join(charts::FOLDER));
    // The workbook goes beside the results file, or into --out with the charts.
    let book_dir = args.out.clone().unwrap_or(beside);
    let book = workbook::render(&results, None).map_err(Failure::Io)?;
    let rendered = charts::render_all(&results)
        .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
    // The charts render as charts/<name>; here the folder is chosen by --out.
    let rendered: Vec<(String, Vec<u8>)> = rendered
        .into_iter()
        .map(|(path, bytes)| {
            let file = path.rsplit('/').next().unwrap_or(&path).to_string();
            (file, bytes)
        })
        .collect();
    files::write_all(&out_dir, &rendered)?;
    files::write_all(&book_dir, &[(workbook::FILE_NAME.to_string(), book)])?;
    out(&format!(
        "drew {} charts ({} files) from {} in {}, and {} in {}\n",
        charts::Chart::ALL.len(),
        rendered.len(),
        name,
        out_dir.display(),
        workbook::FILE_NAME,
        book_dir.display()
    ));
    Ok(())
}
