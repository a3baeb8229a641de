//! `covsim plot`: redraw every chart from a saved summary.json, without simulating.

use std::path::PathBuf;

use clap::Args;

use covsim::charts;
use covsim::diag::render_all;
use covsim::export::json;

use super::{Failure, files, out};

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A results file written by `covsim run`, e.g. outputs/leverage/summary.json.
    results: PathBuf,
    /// Folder for the charts (default: charts/ beside the results file).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn plot(args: PlotArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.results).map_err(|e| {
        Failure::Io(format!(
            "cannot read results file {}: {e}",
            args.results.display()
        ))
    })?;
    let name = args.results.display().to_string();
    let results = json::parse(&bytes, &name).map_err(|d| Failure::Input(render_all(&d)))?;
    let out_dir = args.out.clone().unwrap_or_else(|| {
        args.results
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(charts::FOLDER)
    });
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
    out(&format!(
        "drew {} charts ({} files) from {} in {}\n",
        charts::Chart::ALL.len(),
        rendered.len(),
        name,
        out_dir.display()
    ));
    Ok(())
}
