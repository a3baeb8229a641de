//! `covsim plot`: redraw every chart from a saved summary.json, without simulating.

use std::path::PathBuf;

use clap::Args;

use covsim::charts;
use covsim::diag::render_all;
use covsim::export::{json, per_trial, workbook};
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
    let book_dir = args.out.clone().unwrap_or_else(|| beside.clone());
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
    let per_trial = write_book(&results, &book_dir, &beside)?;
    if args.out.is_none() {
        // Charts drawn into a run's folder are that run's (see `outdir::note_outputs`).
        super::outdir::note_outputs(&beside, &[charts::FOLDER, workbook::FILE_NAME])?;
    }
    out(&format!(
        "drew {} charts ({} files) from {} in {}, and {}{} in {}\n",
        charts::Chart::ALL.len(),
        rendered.len(),
        name,
        out_dir.display(),
        workbook::FILE_NAME,
        if per_trial {
            " (with its per-trial sheet, from per_trial.csv)"
        } else {
            ""
        },
        book_dir.display()
    ));
    Ok(())
}

/// Writes summary.xlsx into `book_dir`, with its per-trial sheet when the run's per_trial.csv
/// lies beside the results file (as `covsim run --per-trial` wrote it), streamed from that file
/// as the run does, so redrawing never drops the sheet. Whether it had one.
fn write_book(
    results: &Results,
    book_dir: &std::path::Path,
    beside: &std::path::Path,
) -> Result<bool, Failure> {
    let source = beside.join(per_trial::FILE_NAME);
    let path = book_dir.join(workbook::FILE_NAME);
    if !source.is_file() {
        let book = workbook::render(results, None).map_err(Failure::Io)?;
        files::write_all(book_dir, &[(workbook::FILE_NAME.to_string(), book)])?;
        return Ok(false);
    }
    std::fs::create_dir_all(book_dir)
        .map_err(|e| Failure::Io(format!("cannot create {}: {e}", book_dir.display())))?;
    let cannot = |e: String| Failure::Io(format!("cannot write {}: {e}", path.display()));
    let tmp = book_dir.join(format!(
        ".{}.{}.tmp",
        workbook::FILE_NAME,
        std::process::id()
    ));
    let written = (|| -> Result<(), Failure> {
        let csv = std::fs::File::open(&source)
            .map_err(|e| Failure::Io(format!("cannot read {}: {e}", source.display())))?;
        let rows = per_trial::Rows::new(std::io::BufReader::new(csv), results.designs.len());
        let file = std::fs::File::create(&tmp).map_err(|e| cannot(e.to_string()))?;
        let mut out = std::io::BufWriter::new(file);
        workbook::write(
            results,
            Some(workbook::PerTrial {
                total: results.trials * results.designs.len() as u64,
                rows: Box::new(rows),
                tempdir: Some(book_dir.to_path_buf()),
            }),
            &mut out,
        )
        .map_err(|e| {
            Failure::Input(format!(
                "error: {} does not hold the per-trial rows of {}: {e}",
                source.display(),
                beside.join("summary.json").display()
            ))
        })?;
        out.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .map_err(|e| cannot(e.to_string()))?;
        std::fs::rename(&tmp, &path).map_err(|e| cannot(e.to_string()))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| true)
}
