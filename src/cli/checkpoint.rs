//! `covsim run --checkpoint FILE`: a long run saves its state every so often and a later
//! `covsim run` with the same scenario, seed and trials continues from it (the format and the
//! exactness are `covsim::checkpoint`'s). The file is replaced whole (written beside it, then
//! renamed), so a run killed while saving leaves the previous checkpoint intact.

use std::io::{BufReader, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use covsim::checkpoint::{self, Header};
use covsim::driver::{Stream, Variant};
use covsim::scenario::Scenario;
use covsim::summary::Summary;

use super::Failure;

/// The header of a checkpoint of `sc`'s plain run in batches of `batch`, `done` trials in.
pub fn header(sc: &Scenario, batch: u64, done: u64, every: u64, seconds: f64) -> Header {
    let model = &sc.model;
    Header {
        covsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_name: model.name.clone(),
        scenario_hash: model.hash.clone(),
        seed: sc.settings.seed,
        trials: sc.settings.trials,
        batch,
        designs: model.designs.len(),
        width: covsim::metrics::Layout::of(model).width(),
        inputs: sc.uncertain.iter().map(|u| u.path.clone()).collect(),
        done,
        every,
        simulate_seconds: seconds,
    }
}

/// Where a resumed run starts: the stream its checkpoint saved, and the seconds spent
/// simulating it so far.
pub struct Resumed {
    pub stream: Stream,
    pub done: u64,
    pub seconds: f64,
}

/// The run saved in `path`, if the file exists; refused (exit 1, nothing written) when it is
/// not a checkpoint of this run.
pub fn resume(path: &Path, sc: &Scenario, batch: u64) -> Result<Option<Resumed>, Failure> {
    if path.is_dir() {
        return Err(Failure::Io(format!(
            "--checkpoint {} is a folder: name a file, e.g. {}",
            path.display(),
            path.join("run.ckpt").display()
        )));
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::Io(format!(
                "cannot read checkpoint {}: {e}",
                path.display()
            )));
        }
    };
    let refuse = |why: String| {
        Failure::Input(format!(
            "error: cannot resume from checkpoint {}: {why}\n  = help: delete the file to start the run afresh, or give another --checkpoint file\n",
            path.display()
        ))
    };
    let (found, reader) = checkpoint::read_header(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| refuse(e.to_string()))?;
    let ours = header(sc, batch, 0, 1, 0.0);
    let differences = found.differences(&ours);
    if !differences.is_empty() {
        return Err(refuse(format!(
            "it belongs to another run\n{}",
            differences
                .iter()
                .map(|d| format!("  - {d}\n"))
                .collect::<String>()
                .trim_end()
        )));
    }
    if found.done == 0 || found.done >= found.trials || found.done % batch != 0 {
        return Err(refuse(format!(
            "damaged header: {} trials done is not a whole number of batches of {batch} short of {}",
            found.done, found.trials
        )));
    }
    let inputs = covsim::study::inputs_of(sc, &Variant::new());
    let state = reader
        .state(&found, Summary::new(&sc.model, batch), inputs)
        .map_err(refuse)?;
    Ok(Some(Resumed {
        stream: Stream::resumed(&sc.model, sc.settings.trials, batch, state),
        done: found.done,
        seconds: found.simulate_seconds,
    }))
}

/// Saves a run's stream to `path` at the end of a batch once `every` has passed since the last
/// save (or the start).
pub struct Saver<'s> {
    sc: &'s Scenario,
    batch: u64,
    path: PathBuf,
    every: Duration,
    last: Instant,
    started: Instant,
    /// Seconds spent simulating the run before this process.
    before: f64,
    pub error: Option<Failure>,
}

impl<'s> Saver<'s> {
    pub fn new(sc: &'s Scenario, batch: u64, path: &Path, every: Duration, before: f64) -> Self {
        Saver {
            sc,
            batch,
            path: path.to_path_buf(),
            every,
            last: Instant::now(),
            started: Instant::now(),
            before,
            error: None,
        }
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// After a whole batch: saves `stream` if it is time (`Continue(true)` when it saved);
    /// stops the run if the save fails.
    pub fn at_batch(&mut self, stream: &Stream) -> ControlFlow<(), bool> {
        if self.last.elapsed() < self.every {
            return ControlFlow::Continue(false);
        }
        let Some(kept) = stream.kept() else {
            return ControlFlow::Continue(false);
        };
        let header = header(
            self.sc,
            self.batch,
            stream.trials(),
            stream.kept_every(),
            self.before + self.started.elapsed().as_secs_f64(),
        );
        match self.save(&header, stream.summary(), kept) {
            Ok(()) => {
                self.last = Instant::now();
                ControlFlow::Continue(true)
            }
            Err(e) => {
                self.error = Some(Failure::Io(format!(
                    "cannot write checkpoint {}: {e}",
                    self.path.display()
                )));
                ControlFlow::Break(())
            }
        }
    }

    fn save(
        &self,
        header: &Header,
        summary: &Summary,
        kept: &covsim::study::Run,
    ) -> std::io::Result<()> {
        let name = self
            .path
            .file_name()
            .ok_or_else(|| std::io::Error::other("it names no file"))?
            .to_string_lossy()
            .into_owned();
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = std::fs::File::create(&tmp)?;
        let mut out = checkpoint::write(
            BufWriter::with_capacity(1 << 20, file),
            header,
            summary,
            kept,
        )?;
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}
