//! Resuming a long run where it stopped (`covsim run --checkpoint FILE`). A plain run is
//! summarised batch by batch ([`crate::driver::Stream`]); after whole batches its state is the
//! summary of those batches, the rows and draws of the trials kept for percentiles, and which
//! trials those are (`every`). Written out and read back, that state continues the run to the
//! same results, bit for bit, as a run that never stopped: batches, their statistics and the
//! kept trials depend only on the trials (docs/MODEL.md §9). No file is opened here: the CLI
//! reads and writes the files.
//!
//! Layout of a checkpoint file: the line `covsim-checkpoint 1\n`, the header's length as 8 bytes
//! (little-endian), the header as JSON, the payload, then the SHA-256 of everything before it
//! (32 bytes). The payload is little-endian 8-byte words: the moments `n, sum, m2, min, max` of
//! the summary's `values`, `diffs`, `cumulative` and `pairs`, in that order, then its `better`
//! and `paid_back` counts, then the kept trials' rows and their draws.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::TrialMatrix;
use crate::stats::Moments;
use crate::study::Run;
use crate::summary::Summary;
use crate::uncertain::Uncertain;

pub const MAGIC: &[u8] = b"covsim-checkpoint 1\n";

/// What a checkpoint says of itself: the run it belongs to and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub covsim_version: String,
    pub scenario_name: String,
    /// SHA-256 of the scenario text and any account file.
    pub scenario_hash: String,
    pub seed: u64,
    /// The run's trials.
    pub trials: u64,
    /// Trials per batch.
    pub batch: u64,
    pub designs: usize,
    /// Values per (trial, design).
    pub width: usize,
    /// The uncertain inputs drawn per trial, by key path.
    pub inputs: Vec<String>,
    /// Trials simulated and summarised so far: whole batches from trial 0.
    pub done: u64,
    /// The kept trials are those divisible by `every`, of the first `done`.
    pub every: u64,
    /// Seconds spent simulating so far, over every process that worked on the run (not part of
    /// any result).
    pub simulate_seconds: f64,
}

impl Header {
    /// What differs between the run this checkpoint belongs to and `run` (whose `done`,
    /// `every` and `simulate_seconds` are ignored), one line each; empty when it is the same run.
    pub fn differences(&self, run: &Header) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, found: String, here: String| {
            if found != here {
                out.push(format!(
                    "{what}: the checkpoint's is {found}, this run's {here}"
                ));
            }
        };
        differ(
            "covsim version",
            self.covsim_version.clone(),
            run.covsim_version.clone(),
        );
        differ(
            "scenario (SHA-256 of its text and account files)",
            crate::shard::short(&self.scenario_hash).to_string(),
            crate::shard::short(&run.scenario_hash).to_string(),
        );
        differ("seed", self.seed.to_string(), run.seed.to_string());
        differ("trials", self.trials.to_string(), run.trials.to_string());
        differ(
            "trials per batch",
            self.batch.to_string(),
            run.batch.to_string(),
        );
        differ(
            "designs × values per design",
            format!("{} × {}", self.designs, self.width),
            format!("{} × {}", run.designs, run.width),
        );
        differ(
            "uncertain inputs",
            format!("[{}]", self.inputs.join(", ")),
            format!("[{}]", run.inputs.join(", ")),
        );
        out
    }
}

/// A run's state after whole batches: what [`crate::driver::Stream::resumed`] continues from.
#[derive(Debug)]
pub struct State {
    pub summary: Summary,
    /// The kept trials' rows and draws (`inputs` those of the run).
    pub kept: Run,
    pub every: u64,
}

/// A writer that hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn moments_words(m: &Moments) -> [u64; 5] {
    [
        m.n,
        m.sum.to_bits(),
        m.m2.to_bits(),
        m.min.to_bits(),
        m.max.to_bits(),
    ]
}

/// Writes the checkpoint of a run whose first `header.done` trials are summarised in `summary`
/// and kept in `kept` (every `header.every`-th), and returns `out`.
pub fn write<W: Write>(out: W, header: &Header, summary: &Summary, kept: &Run) -> io::Result<W> {
    let json = serde_json::to_vec(header).map_err(io::Error::other)?;
    let mut w = Hashing {
        inner: out,
        hash: Sha256::new(),
    };
    w.write_all(MAGIC)?;
    w.write_all(&(json.len() as u64).to_le_bytes())?;
    w.write_all(&json)?;
    let mut words = |ws: &mut dyn Iterator<Item = u64>| -> io::Result<()> {
        // In blocks, not a call per word.
        let mut buf = Vec::with_capacity(1 << 16);
        for x in ws {
            buf.extend_from_slice(&x.to_le_bytes());
            if buf.len() >= 1 << 16 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)
    };
    for ms in [
        &summary.values,
        &summary.diffs,
        &summary.cumulative,
        &summary.pairs,
    ] {
        words(&mut ms.iter().flat_map(moments_words))?;
    }
    words(&mut summary.better.iter().chain(&summary.paid_back).copied())?;
    words(
        &mut kept
            .matrix
            .values
            .iter()
            .chain(&kept.draws)
            .map(|x| x.to_bits()),
    )?;
    let digest = w.hash.finalize();
    let mut out = w.inner;
    out.write_all(&digest)?;
    Ok(out)
}

/// A reader that hashes what comes through it.
pub struct Reader<R> {
    inner: R,
    hash: Sha256,
}

const ENDS_EARLY: &str = "the file ends early (was it cut off?)";

impl<R: Read> Reader<R> {
    fn bytes(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => ENDS_EARLY.to_string(),
            _ => e.to_string(),
        })?;
        self.hash.update(&*buf);
        Ok(())
    }

    /// `n` words, in blocks.
    fn words(&mut self, n: usize, mut each: impl FnMut(u64)) -> Result<(), String> {
        let mut buf = vec![0u8; 1 << 16];
        let mut left = n * 8;
        while left > 0 {
            let take = left.min(buf.len());
            self.bytes(&mut buf[..take])?;
            for c in buf[..take].chunks_exact(8) {
                each(u64::from_le_bytes(c.try_into().expect("8 bytes")));
            }
            left -= take;
        }
        Ok(())
    }

    fn moments(&mut self, into: &mut [Moments]) -> Result<(), String> {
        let mut words = Vec::with_capacity(into.len() * 5);
        self.words(into.len() * 5, |w| words.push(w))?;
        for (m, w) in into.iter_mut().zip(words.chunks_exact(5)) {
            *m = Moments {
                n: w[0],
                sum: f64::from_bits(w[1]),
                m2: f64::from_bits(w[2]),
                min: f64::from_bits(w[3]),
                max: f64::from_bits(w[4]),
            };
        }
        Ok(())
    }

    /// The rest of the checkpoint whose header [`read_header`] gave: `summary` is the empty
    /// summary of the run's model ([`Summary::new`]), filled here; `inputs` the run's uncertain
    /// inputs. Checks the file's checksum and that nothing follows it.
    pub fn state(
        mut self,
        header: &Header,
        mut summary: Summary,
        inputs: Vec<Uncertain>,
    ) -> Result<State, String> {
        for ms in [
            &mut summary.values,
            &mut summary.diffs,
            &mut summary.cumulative,
            &mut summary.pairs,
        ] {
            self.moments(ms)?;
        }
        for counts in [&mut summary.better, &mut summary.paid_back] {
            let mut at = 0;
            self.words(counts.len(), |w| {
                counts[at] = w;
                at += 1;
            })?;
        }
        summary.trials = header.done;
        if header.every == 0 || !header.every.is_power_of_two() {
            return Err(format!(
                "damaged header: every = {} is not a power of two",
                header.every
            ));
        }
        let kept_trials = header.done.div_ceil(header.every);
        let row = header.designs * header.width;
        let mut values = Vec::with_capacity(kept_trials as usize * row);
        self.words(kept_trials as usize * row, |w| {
            values.push(f64::from_bits(w))
        })?;
        let mut draws = Vec::with_capacity(kept_trials as usize * inputs.len());
        self.words(kept_trials as usize * inputs.len(), |w| {
            draws.push(f64::from_bits(w))
        })?;
        let digest = self.hash.finalize();
        let mut stored = [0u8; 32];
        self.inner
            .read_exact(&mut stored)
            .map_err(|_| ENDS_EARLY.to_string())?;
        if stored[..] != digest[..] {
            return Err("its checksum does not match: the file is damaged".into());
        }
        let mut rest = [0u8; 1];
        if self.inner.read(&mut rest).map_err(|e| e.to_string())? != 0 {
            return Err("bytes follow its end: the file is damaged".into());
        }
        Ok(State {
            summary,
            kept: Run {
                matrix: TrialMatrix {
                    first_trial: 0,
                    trials: kept_trials,
                    designs: header.designs,
                    width: header.width,
                    values,
                },
                inputs,
                draws,
                summary: None,
            },
            every: header.every,
        })
    }
}

/// Reads a checkpoint's header; the returned reader reads the rest ([`Reader::state`]).
pub fn read_header<R: Read>(input: R) -> Result<(Header, Reader<R>), String> {
    let mut r = Reader {
        inner: input,
        hash: Sha256::new(),
    };
    let mut magic = vec![0u8; MAGIC.len()];
    r.bytes(&mut magic)
        .map_err(|_| "not a covsim checkpoint (it is shorter than the first line)".to_string())?;
    if magic != MAGIC {
        return Err(
            "not a covsim checkpoint (it does not start with `covsim-checkpoint 1`)".into(),
        );
    }
    let mut len = [0u8; 8];
    r.bytes(&mut len)?;
    let len = u64::from_le_bytes(len);
    if len > 1 << 30 {
        return Err("damaged header: its length is impossible".into());
    }
    let mut json = vec![0u8; len as usize];
    r.bytes(&mut json)?;
    let header: Header =
        serde_json::from_slice(&json).map_err(|e| format!("damaged header: {e}"))?;
    Ok((header, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            covsim_version: "1".into(),
            scenario_name: "x".into(),
            scenario_hash: "ab".repeat(32),
            seed: 42,
            trials: 1000,
            batch: 100,
            designs: 2,
            width: 3,
            inputs: vec!["a.b".into()],
            done: 300,
            every: 4,
            simulate_seconds: 1.5,
        }
    }

    #[test]
    fn the_same_run_has_no_differences_and_another_names_each() {
        let h = header();
        let mut later = h.clone();
        later.done = 700;
        later.every = 8;
        later.simulate_seconds = 9.0;
        assert!(h.differences(&later).is_empty());
        let mut other = h.clone();
        other.seed = 7;
        other.trials = 2000;
        let d = h.differences(&other);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0], "seed: the checkpoint's is 42, this run's 7");
        assert!(d[1].starts_with("trials:"), "{d:?}");
    }

    #[test]
    fn a_cut_or_edited_file_is_refused() {
        let h = header();
        let bytes = {
            let mut out = Vec::new();
            out.extend_from_slice(MAGIC);
            let json = serde_json::to_vec(&h).unwrap();
            out.extend_from_slice(&(json.len() as u64).to_le_bytes());
            out.extend_from_slice(&json);
            out
        };
        // The header reads; the payload is missing.
        let (read, r) = read_header(&bytes[..]).expect("a header");
        assert_eq!(read, h);
        let m = crate::scenario::load(
            crate::scenario::BUILTIN,
            crate::scenario::BUILTIN_NAME,
            &mut |p| Err(format!("no file {p}")),
        )
        .expect("the example loads");
        let empty = Summary::new(&m, h.batch);
        assert_eq!(r.state(&h, empty, Vec::new()).unwrap_err(), ENDS_EARLY);
        let Err(e) = read_header(&b"covsim-part 1\n"[..]) else {
            panic!("a part file is not a checkpoint")
        };
        assert!(e.starts_with("not a covsim checkpoint"), "{e}");
    }
}
