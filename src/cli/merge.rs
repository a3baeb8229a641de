//! `covsim merge PARTS_DIR`: check the part files of a sharded run and write the tables and
//! charts of the whole run, exactly as one unsplit run writes them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use clap::Args;

use covsim::diag::render_all;
use covsim::driver::{Finished, Stream, Study};
use covsim::engine::TrialMatrix;
use covsim::export::per_trial;
use covsim::export::timing::Timing;
use covsim::scenario::Scenario;
use covsim::shard::{self, Header, PayloadHash, Sizes};
use covsim::study::Run;
use covsim::summary;
use covsim::uncertain::Uncertain;

use super::driver::PerTrialFile;
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
    /// Accepted as by the other commands; merge shows no progress bar or throughput line.
    #[arg(long, short)]
    quiet: bool,
}

/// A part file whose header and checksum have been checked, read again batch by batch.
struct PartFile {
    name: String,
    path: PathBuf,
    header: Header,
    /// Where the payload starts in the file.
    payload_at: u64,
    sizes: Sizes,
}

/// Bytes read at a time while checking a part's checksum.
const CHUNK: usize = 8 << 20;

/// Reads a part's header and checks its length and checksum, reading its payload through once
/// without holding it. `Ok(Err(problem))` for a part that is not a sound part file.
fn open_part(path: &Path) -> Result<Result<PartFile, String>, Failure> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| Failure::Io(format!("cannot read {name}: {e}"));
    let mut f = BufReader::with_capacity(CHUNK, File::open(path).map_err(io)?);
    let file_len = f.get_ref().metadata().map_err(io)?.len();
    let mut prefix = vec![0u8; shard::PREFIX.min(file_len as usize)];
    f.read_exact(&mut prefix).map_err(io)?;
    let checked = (|| -> Result<Result<PartFile, String>, Failure> {
        let len = match shard::header_len(&prefix) {
            Ok(len) => len,
            Err(e) => return Ok(Err(e)),
        };
        let payload_at = shard::PREFIX as u64 + len as u64;
        if file_len < payload_at {
            return Ok(Err("the file ends early (was it cut off?)".into()));
        }
        let mut json = vec![0u8; len];
        f.read_exact(&mut json).map_err(io)?;
        let header = match Header::from_json(&json) {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        let sizes = match header
            .sizes()
            .and_then(|s| s.check_length(file_len - payload_at).map(|()| s))
        {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let mut hash = PayloadHash::new(&header);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
        }
        Ok(hash.check(&header).map(|()| PartFile {
            name: name.clone(),
            path: path.to_path_buf(),
            header,
            payload_at,
            sizes,
        }))
    })()?;
    Ok(checked.map_err(|e| format!("{name}: {e}")))
}

impl PartFile {
    fn io(&self, e: std::io::Error) -> Failure {
        Failure::Io(format!("cannot read {}: {e}", self.name))
    }

    /// A reader of the file from `offset` bytes into the payload.
    fn at(&self, offset: u64) -> Result<BufReader<File>, Failure> {
        let mut f = File::open(&self.path).map_err(|e| self.io(e))?;
        f.seek(SeekFrom::Start(self.payload_at + offset))
            .map_err(|e| self.io(e))?;
        Ok(BufReader::with_capacity(CHUNK, f))
    }

    /// The account files stored in the part.
    fn files(&self) -> Result<BTreeMap<String, Vec<u8>>, Failure> {
        let mut f = self.at(0)?;
        let mut out = BTreeMap::new();
        for (name, &size) in &self.header.files {
            let mut bytes = vec![0u8; size as usize];
            f.read_exact(&mut bytes).map_err(|e| self.io(e))?;
            out.insert(name.clone(), bytes);
        }
        Ok(out)
    }
}

/// The rows and draws of one variant of a study, read in trial order across the parts.
struct Trials<'p> {
    parts: &'p [PartFile],
    /// The part being read, its readers of values and draws, and trials read of it.
    at: usize,
    readers: Option<(BufReader<File>, BufReader<File>)>,
    done: u64,
    /// Values per trial.
    row: usize,
    /// The variant read: in each part its rows follow those of the `variant` variants before
    /// it, and its draws those of the earlier variants' `draws_before` draws a trial.
    variant: u64,
    draws_before: u64,
    /// Its draws per trial.
    inputs: usize,
}

impl Trials<'_> {
    /// The next `n` trials: their rows and their draws.
    fn take(&mut self, n: u64) -> Result<(Vec<f64>, Vec<f64>), Failure> {
        let (mut values, mut draws) = (
            Vec::with_capacity(n as usize * self.row),
            Vec::with_capacity(n as usize * self.inputs),
        );
        let mut left = n;
        while left > 0 {
            let part = &self.parts[self.at];
            if self.readers.is_none() {
                let trials = part.header.trials;
                let values_at = part.sizes.file_bytes + 8 * self.variant * trials * self.row as u64;
                let draws_at =
                    part.sizes.file_bytes + 8 * part.sizes.values + 8 * trials * self.draws_before;
                self.readers = Some((part.at(values_at)?, part.at(draws_at)?));
                self.done = 0;
            }
            let m = left.min(part.header.trials - self.done);
            let (v, d) = self.readers.as_mut().expect("opened above");
            // Piece by piece, so a batch is held once, as numbers.
            let read = |r: &mut BufReader<File>, count: usize, out: &mut Vec<f64>| {
                out.reserve(count);
                let mut left = 8 * count;
                let mut bytes = vec![0u8; left.min(CHUNK)];
                while left > 0 {
                    let piece = left.min(CHUNK);
                    r.read_exact(&mut bytes[..piece]).map_err(|e| part.io(e))?;
                    out.extend(shard::floats_of(&bytes[..piece]));
                    left -= piece;
                }
                Ok::<(), Failure>(())
            };
            read(v, m as usize * self.row, &mut values)?;
            read(d, m as usize * self.inputs, &mut draws)?;
            self.done += m;
            left -= m;
            if self.done == part.header.trials {
                self.at += 1;
                self.readers = None;
            }
        }
        Ok((values, draws))
    }
}

pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    let entries = std::fs::read_dir(&args.parts)
        .map_err(|e| Failure::Io(format!("cannot read {}: {e}", args.parts.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == shard::EXTENSION))
        .collect();
    paths.sort();
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    for p in &paths {
        match open_part(p)? {
            Ok(part) => parts.push(part),
            Err(e) => problems.push(e),
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
    let order = if problems.is_empty() {
        let headers: Vec<(String, &Header)> =
            parts.iter().map(|p| (p.name.clone(), &p.header)).collect();
        shard::check(&headers).map_err(|e| problems.extend(e)).ok()
    } else {
        None
    };
    let Some(order) = order else {
        return Err(refuse(&problems));
    };
    let mut parts: Vec<Option<PartFile>> = parts.into_iter().map(Some).collect();
    let parts: Vec<PartFile> = order
        .iter()
        .map(|&i| parts[i].take().expect("each part once"))
        .collect();
    let header = parts[0].header.clone();
    let stored = parts[0].files()?;

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
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| super::driver::default_out(&model.name, &what));
    let total = header.total_trials;
    // Every study is summarised batch by batch as its rows are read, variant after variant,
    // as the unsplit study was: one batch and the kept trials of one variant at a time,
    // whatever the number of trials and variants.
    let batch = summary::batch_trials(model);
    memory::check(
        memory::held_trials(
            &covsim::driver::Plan::Streamed {
                trials: total,
                batch,
            },
            variants.len() as u64,
            batch,
        ),
        memory::per_trial(model, inputs.iter().map(Vec::len).max().unwrap_or(0)),
        "Merge on a machine with more memory.",
    )?;
    let lock = outdir::lock(&out_dir)?;
    // per_trial.csv is a plain run's.
    let (staging, mut rows_out) = match args.per_trial && header.study.is_none() {
        true => {
            let (st, f) = PerTrialFile::staged(&out_dir, &lock, model, Some(total))?;
            (Some(st), Some(f))
        }
        false => (None, None),
    };
    let mut finishing = what.finishing(&study);
    let mut kept = None;
    let mut trials = 0;
    let mut draws_before = 0;
    'variants: for (v, variant_inputs) in inputs.iter().enumerate() {
        let mut reader = Trials {
            parts: &parts,
            at: 0,
            readers: None,
            done: 0,
            row: header.designs * header.width,
            variant: v as u64,
            draws_before,
            inputs: variant_inputs.len(),
        };
        draws_before += variant_inputs.len() as u64;
        let mut stream = Stream::of_length(model, total, batch);
        for range in covsim::driver::batches(total, batch) {
            let (values, draws) = reader.take(range.end - range.start)?;
            let run = Run {
                matrix: TrialMatrix {
                    first_trial: range.start,
                    trials: range.end - range.start,
                    designs: header.designs,
                    width: header.width,
                    values,
                },
                inputs: variant_inputs.clone(),
                draws,
                summary: None,
            };
            covsim::study::check_finite(&study, &run)
                .map_err(|d| Failure::Input(render_all(&d)))?;
            let stop = rows_out
                .as_mut()
                .is_some_and(|f| f.add(&run.matrix).is_break());
            stream.push(run);
            if stop {
                break 'variants;
            }
        }
        let run = stream.finish();
        trials = run.trials();
        finishing
            .add(&run)
            .map_err(|d| Failure::Input(render_all(&d)))?;
        if header.study.is_none() {
            kept = Some(run);
        }
    }
    // A failed write of per_trial.csv stopped the reading: its error, before the study is
    // finished.
    if let (Some(f), Some(st)) = (rows_out, &staging) {
        f.finish()
            .map_err(|e| st.cannot_write(per_trial::FILE_NAME, e))?;
    }
    let finished = finishing.finish(None);
    let charts = !args.no_charts;
    let timing = Timing {
        account_month_designs_per_second: None,
        accounts: model.accounts.len(),
        covsim_version: env!("CARGO_PKG_VERSION").to_string(),
        designs: model.designs.len(),
        months: model.months,
        earlier_simulate_seconds: None,
        resumed_at_trial: None,
        parts: Some(paths.len()),
        simulate_seconds: None,
        threads: None,
        trials,
        variants: (variants.len() > 1).then_some(variants.len()),
    };
    match finished {
        Finished::Run(results) => Written {
            results: &results,
            matrix: &kept.as_ref().expect("a plain run keeps its run").matrix,
            staging,
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

#[cfg(test)]
mod tests {
    use super::*;
    use covsim::driver::{self, Plan};
    use covsim::engine::NoProgress;
    use covsim::results::Results;

    /// Parts of 67, 66 and 67 trials of a two-point sweep read in batches of 48 (batches that
    /// straddle the parts), each point summarised as it is read: the rows and draws of each
    /// point held whole, and its results, bit for bit.
    #[test]
    fn parts_read_batch_by_batch_give_the_run_held_whole() {
        const TRIALS: u64 = 200;
        const BATCH: u64 = 48;
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/transition.toml"
        ))
        .unwrap()
        .replacen(
            "default_failure = 0.05",
            "default_failure = { dist = \"uniform\", min = 0.02, max = 0.1 }",
            1,
        );
        let mut sc = Scenario::load(&text, "transition.toml", &mut |p: &str| {
            Err(format!("no file {p}"))
        })
        .unwrap_or_else(|d| panic!("{}", render_all(&d)));
        sc.settings.trials = TRIALS;
        let study = Study::Sweep {
            param: "channels[0].cost_per_head_per_year".into(),
            values: vec![90_000.0, 300_000.0],
        };
        let variants = study.variants(&sc);
        let simulate = |plan: Plan| {
            driver::run(&sc, &variants, &plan, &NoProgress)
                .unwrap_or_else(|d| panic!("{}", render_all(&d)))
                .runs
        };
        let held = simulate(Plan::Trials(0..TRIALS));
        assert!(held.iter().all(|r| r.inputs.len() == 1));
        assert_ne!(held[0].matrix.values, held[1].matrix.values);

        let dir = tempfile::tempdir().unwrap();
        for i in 0..3 {
            let runs = simulate(Plan::Trials(shard::range(i, 3, TRIALS)));
            let part = covsim::shard::Part::new(
                &runs[0],
                i,
                3,
                TRIALS,
                sc.settings.seed,
                &sc.model.name,
                &sc.model.hash,
                "transition.toml",
                &text,
                BTreeMap::new(),
            )
            .of_study(study.clone(), &runs[1..]);
            // Written in reverse order: the merge orders them by trial.
            std::fs::write(
                dir.path().join(format!("{}.covpart", 9 - i)),
                part.to_bytes(),
            )
            .unwrap();
        }
        let mut parts: Vec<PartFile> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| open_part(&e.unwrap().path()).ok().unwrap().unwrap())
            .collect();
        let headers: Vec<(String, &Header)> =
            parts.iter().map(|p| (p.name.clone(), &p.header)).collect();
        let order = shard::check(&headers).unwrap();
        let mut by_trial: Vec<Option<PartFile>> = parts.drain(..).map(Some).collect();
        let parts: Vec<PartFile> = order.iter().map(|&i| by_trial[i].take().unwrap()).collect();
        assert_eq!(
            parts.iter().map(|p| p.header.trials).collect::<Vec<_>>(),
            [66, 67, 67]
        );

        for (v, held) in held.iter().enumerate() {
            let model = &sc.with(&variants[v]).unwrap();
            let mut reader = Trials {
                parts: &parts,
                at: 0,
                readers: None,
                done: 0,
                row: model.designs.len() * covsim::metrics::Layout::of(model).width(),
                variant: v as u64,
                draws_before: v as u64,
                inputs: 1,
            };
            let mut stream = Stream::new(model, BATCH);
            let (mut values, mut draws) = (Vec::new(), Vec::new());
            for range in covsim::driver::batches(TRIALS, BATCH) {
                let (x, d) = reader.take(range.end - range.start).ok().unwrap();
                values.extend_from_slice(&x);
                draws.extend_from_slice(&d);
                stream.push(Run {
                    matrix: TrialMatrix {
                        first_trial: range.start,
                        trials: range.end - range.start,
                        designs: held.matrix.designs,
                        width: held.matrix.width,
                        values: x,
                    },
                    inputs: held.inputs.clone(),
                    draws: d,
                    summary: None,
                });
            }
            assert!(
                values == held.matrix.values,
                "point {v}: the rows, in trial order"
            );
            assert!(draws == held.draws, "point {v}: the draws, in trial order");
            let merged = stream.finish();
            let json = |run: &Run| {
                serde_json::to_string(&Results::from_run_in(model, &sc.settings, run, BATCH))
                    .unwrap()
            };
            assert_eq!(json(&merged), json(held));
        }
    }
}
