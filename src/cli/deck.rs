//! `covsim deck`: the slide deck of a saved summary.json, without simulating; and the deck of a
//! run or merge (`--deck`), from the charts it has just drawn.

use std::path::PathBuf;

use clap::Args;

use covsim::charts::{self, Chart};
use covsim::export::deck::{self, ChartSlide};
use covsim::results::Results;

use super::{Failure, files, out};

#[derive(Args, Debug)]
pub struct DeckArgs {
    /// A results file written by `covsim run`, e.g. outputs/leverage/summary.json.
    results: PathBuf,
    /// Folder for deck.pptx (default: beside the results file).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// deck.pptx from the results and their rendered charts (`charts/<stem>.png` among `rendered`).
pub fn render(results: &Results, rendered: &[charts::File]) -> Result<Vec<u8>, Failure> {
    let mut slides = Vec::with_capacity(Chart::ALL.len());
    for chart in Chart::ALL {
        let path = format!("{}/{}.png", charts::FOLDER, chart.stem());
        let png = rendered
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, b)| b.as_slice())
            .ok_or_else(|| Failure::Io(format!("the chart {path} was not drawn")))?;
        slides.push(ChartSlide {
            title: chart.title(),
            png,
        });
    }
    deck::render(results, &slides).map_err(Failure::Io)
}

pub fn deck(args: DeckArgs) -> Result<(), Failure> {
    let (results, name) = super::plot::read_results(&args.results)?;
    let out_dir = args.out.clone().unwrap_or_else(|| {
        args.results
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf()
    });
    let rendered = charts::render_all(&results)
        .map_err(|e| Failure::Io(format!("cannot draw the charts: {e}")))?;
    let pptx = render(&results, &rendered)?;
    files::write_all(&out_dir, &[(deck::FILE_NAME.to_string(), pptx)])?;
    // Written into a run's folder, the deck is that run's: the next run replaces it.
    super::outdir::note_outputs(&out_dir, &[deck::FILE_NAME])?;
    out(&format!(
        "wrote {} ({} slides: title, answer, {} charts, assumptions) from {} to {}\n",
        deck::FILE_NAME,
        Chart::ALL.len() + 3,
        Chart::ALL.len(),
        name,
        out_dir.display()
    ));
    Ok(())
}
