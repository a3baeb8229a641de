//! Splitting a run across machines and merging it exactly. Shard *i* of *N* simulates trials
//! `[⌊i·T/N⌋, ⌊(i+1)·T/N⌋)`; its part file carries those rows of the trial matrix and the draws
//! of the uncertain inputs, with everything needed to check and merge it: covsim version,
//! scenario (text, account files and hash), seed, total trials, its range. Merging orders the
//! rows by trial, so the merged statistics are those of one unsplit run, bit for bit.
//!
//! Layout of a part file: the line `covsim-part 1\n`, the header's length as 8 bytes
//! (little-endian), the header as JSON, then the account files, the matrix values and the draws
//! as little-endian `f64`, in the order and sizes the header gives. A plain run's shard writes
//! its part as it simulates ([`PartWriter`]): the header JSON is then padded with spaces to the
//! length it gives. No file is opened here: the CLI reads and writes the files.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::driver::Study;
use crate::engine::TrialMatrix;
use crate::study::Run;

pub const MAGIC: &[u8] = b"covsim-part 1\n";
/// File name extension of part files.
pub const EXTENSION: &str = "covpart";

/// Trials of shard `i` of `n` out of `total`: `[⌊i·T/N⌋, ⌊(i+1)·T/N⌋)`.
pub fn range(i: u64, n: u64, total: u64) -> Range<u64> {
    let at = |k: u64| ((k as u128 * total as u128) / n as u128) as u64;
    at(i)..at(i + 1)
}

/// What a part says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub covsim_version: String,
    pub scenario_name: String,
    /// SHA-256 of the scenario text and any account file.
    pub scenario_hash: String,
    pub seed: u64,
    pub total_trials: u64,
    pub shard: u64,
    pub shards: u64,
    pub first_trial: u64,
    pub trials: u64,
    pub designs: usize,
    /// Values per (trial, design).
    pub width: usize,
    /// Uncertain inputs drawn per trial, by key path.
    pub inputs: Vec<String>,
    /// The scenario as written, so `merge` needs nothing but the parts.
    pub scenario_file: String,
    pub scenario_text: String,
    /// Account files the scenario names, with their sizes in bytes (stored after the header).
    pub files: BTreeMap<String, u64>,
    /// SHA-256 of the header's other fields that describe results (all but the timing fields,
    /// as canonical JSON) followed by everything after the header: an edited header fails it too.
    pub payload_sha256: String,
    /// How long the shard took and on how many threads (not part of any result).
    pub simulate_seconds: f64,
    pub threads: usize,
    /// The study the shard belongs to (`sweep`, `sensitivity`); absent for a plain run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study: Option<Study>,
    /// The uncertain inputs drawn per trial by each variant of the study after the first
    /// (whose inputs are `inputs`); their rows and draws follow the first variant's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variant_inputs: Vec<Vec<String>>,
}

/// A part file's content.
#[derive(Debug, Clone)]
pub struct Part {
    pub header: Header,
    pub files: BTreeMap<String, Vec<u8>>,
    pub values: Vec<f64>,
    pub draws: Vec<f64>,
}

/// The first 12 characters of a hash, for messages (whatever a damaged header holds).
pub fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksum of a part: SHA-256 over the header's describing fields (canonical JSON with
/// the checksum and timing fields blanked; strings and integers only, so it reads back to the
/// same bytes) and the payload.
fn checksum(header: &Header, payload: &[u8]) -> String {
    let mut hash = PayloadHash::new(header);
    hash.update(payload);
    hash.hex()
}

impl Part {
    /// The part of a run of shard `shard` of `shards`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        run: &Run,
        shard: u64,
        shards: u64,
        total_trials: u64,
        seed: u64,
        scenario_name: &str,
        scenario_hash: &str,
        scenario_file: &str,
        scenario_text: &str,
        files: BTreeMap<String, Vec<u8>>,
    ) -> Part {
        let m = &run.matrix;
        Part {
            header: Header {
                covsim_version: env!("CARGO_PKG_VERSION").to_string(),
                scenario_name: scenario_name.to_string(),
                scenario_hash: scenario_hash.to_string(),
                seed,
                total_trials,
                shard,
                shards,
                first_trial: m.first_trial,
                trials: m.trials,
                designs: m.designs,
                width: m.width,
                inputs: run.inputs.iter().map(|u| u.path.clone()).collect(),
                scenario_file: scenario_file.to_string(),
                scenario_text: scenario_text.to_string(),
                files: files
                    .iter()
                    .map(|(k, v)| (k.clone(), v.len() as u64))
                    .collect(),
                payload_sha256: String::new(),
                simulate_seconds: 0.0,
                threads: 0,
                study: None,
                variant_inputs: Vec::new(),
            },
            files,
            values: m.values.clone(),
            draws: run.draws.clone(),
        }
    }

    /// This part as a shard of `study`, whose first variant's run made the part and whose
    /// other variants made `more` (over the same trials).
    pub fn of_study(mut self, study: Study, more: &[Run]) -> Part {
        for run in more {
            debug_assert_eq!(run.matrix.first_trial, self.header.first_trial);
            self.values.extend_from_slice(&run.matrix.values);
            self.draws.extend_from_slice(&run.draws);
            self.header
                .variant_inputs
                .push(run.inputs.iter().map(|u| u.path.clone()).collect());
        }
        self.header.study = Some(study);
        self
    }

    /// How many variants the part holds (1 for a plain run).
    pub fn variants(&self) -> usize {
        1 + self.header.variant_inputs.len()
    }

    fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 * (self.values.len() + self.draws.len()));
        for bytes in self.files.values() {
            out.extend_from_slice(bytes);
        }
        for x in self.values.iter().chain(&self.draws) {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = self.payload();
        let mut header = self.header.clone();
        header.payload_sha256 = checksum(&header, &payload);
        let json = serde_json::to_vec(&header).expect("a header serialises");
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + json.len() + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&payload);
        out
    }

    /// Reads a part file, checking its structure and checksum.
    pub fn from_bytes(bytes: &[u8]) -> Result<Part, String> {
        let len = header_len(bytes)?;
        let start = MAGIC.len() + 8;
        if bytes.len() - start < len {
            return Err(ENDS_EARLY.into());
        }
        let header = Header::from_json(&bytes[start..start + len])?;
        let payload = &bytes[start + len..];
        let sizes = header.sizes()?;
        sizes.check_length(payload.len() as u64)?;
        let mut hash = PayloadHash::new(&header);
        hash.update(payload);
        hash.check(&header)?;
        let mut at = 0usize;
        let mut files = BTreeMap::new();
        for (name, &size) in &header.files {
            files.insert(name.clone(), payload[at..at + size as usize].to_vec());
            at += size as usize;
        }
        let floats = |n: u64, at: &mut usize| -> Vec<f64> {
            let n = n as usize;
            let out = floats_of(&payload[*at..*at + 8 * n]);
            *at += 8 * n;
            out
        };
        let values = floats(sizes.values, &mut at);
        let draws = floats(sizes.draws, &mut at);
        Ok(Part {
            header,
            files,
            values,
            draws,
        })
    }
}

const ENDS_EARLY: &str = "the file ends early (was it cut off?)";

/// Little-endian `f64`s from their bytes.
pub fn floats_of(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// Bytes before a part's header: the magic line and the header's length.
pub const PREFIX: usize = MAGIC.len() + 8;

/// The length of the header of a part file that starts with `prefix` (at least [`PREFIX`]
/// bytes of it).
pub fn header_len(prefix: &[u8]) -> Result<usize, String> {
    let rest = prefix
        .strip_prefix(MAGIC)
        .ok_or("not a covsim part file (it does not start with `covsim-part 1`)")?;
    if rest.len() < 8 {
        return Err(ENDS_EARLY.into());
    }
    usize::try_from(u64::from_le_bytes(rest[..8].try_into().expect("8 bytes")))
        .map_err(|_| "damaged part header: its length is impossible".into())
}

/// What follows a part's header, in values: the account files' bytes, then `values` and
/// `draws` little-endian `f64`s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    pub file_bytes: u64,
    pub values: u64,
    pub draws: u64,
}

impl Sizes {
    /// Bytes of the payload.
    pub fn payload(&self) -> u64 {
        self.file_bytes + 8 * (self.values + self.draws)
    }

    /// Checks that a payload of `len` bytes has this size.
    pub fn check_length(&self, len: u64) -> Result<(), String> {
        let expected = self.payload();
        match len.cmp(&expected) {
            std::cmp::Ordering::Less => Err(ENDS_EARLY.into()),
            std::cmp::Ordering::Greater => Err(format!(
                "the file is {} bytes longer than its header says",
                len - expected
            )),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }
}

impl Header {
    pub fn from_json(json: &[u8]) -> Result<Header, String> {
        serde_json::from_slice(json).map_err(|e| format!("damaged part header: {e}"))
    }

    /// The sizes of the payload this header describes.
    pub fn sizes(&self) -> Result<Sizes, String> {
        (|| {
            let variants = 1 + self.variant_inputs.len() as u64;
            let values = self
                .trials
                .checked_mul(self.designs as u64)?
                .checked_mul(self.width as u64)?
                .checked_mul(variants)?;
            let inputs = self
                .variant_inputs
                .iter()
                .try_fold(self.inputs.len() as u64, |a, v| {
                    a.checked_add(v.len() as u64)
                })?;
            let draws = self.trials.checked_mul(inputs)?;
            let file_bytes = self
                .files
                .values()
                .try_fold(0u64, |a, &b| a.checked_add(b))?;
            values
                .checked_add(draws)?
                .checked_mul(8)?
                .checked_add(file_bytes)?;
            Some(Sizes {
                file_bytes,
                values,
                draws,
            })
        })()
        .ok_or_else(|| "damaged part header: its sizes are impossible".into())
    }
}

/// The checksum of a part's payload, taken as it is read.
pub struct PayloadHash(Sha256);

impl PayloadHash {
    pub fn new(header: &Header) -> PayloadHash {
        let mut canonical = header.clone();
        canonical.payload_sha256 = String::new();
        canonical.simulate_seconds = 0.0;
        canonical.threads = 0;
        let mut sha = Sha256::new();
        sha.update(serde_json::to_vec(&canonical).expect("a header serialises"));
        PayloadHash(sha)
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn hex(self) -> String {
        hex(&self.0.finalize())
    }

    /// Whether the payload read matches the header's checksum.
    pub fn check(self, header: &Header) -> Result<(), String> {
        if self.hex() != header.payload_sha256 {
            return Err("damaged part: its checksum does not match its content".into());
        }
        Ok(())
    }
}

/// A plain run's part file written as its trials are simulated, so a shard never holds its
/// rows: the magic line, the header's length and a header with room to spare (its checksum and
/// timing are known only at the end; the JSON is padded with spaces, which JSON ignores), the
/// account files, each batch of rows as it comes, then the draws; at the end the header is
/// written again over the first one. The same content as [`Part::to_bytes`] gives, read by the
/// same reader.
pub struct PartWriter<W: Write + Seek> {
    out: W,
    header: Header,
    room: usize,
    hash: PayloadHash,
    values: u64,
}

impl<W: Write + Seek> PartWriter<W> {
    /// Starts the part whose header is `header` (its sizes: `trials` of `designs` × `width`
    /// values, `inputs` draws a trial, the account files `files`), before any row.
    pub fn new(
        mut out: W,
        header: Header,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> std::io::Result<PartWriter<W>> {
        let mut header = header;
        header.payload_sha256 = "0".repeat(64);
        header.simulate_seconds = 0.0;
        header.threads = 0;
        // Room for the checksum, the seconds (up to 24 characters) and the threads.
        let room = serde_json::to_vec(&header)
            .expect("a header serialises")
            .len()
            + 64;
        out.write_all(MAGIC)?;
        out.write_all(&(room as u64).to_le_bytes())?;
        out.write_all(&vec![b' '; room])?;
        header.payload_sha256 = String::new();
        let mut hash = PayloadHash::new(&header);
        for (name, bytes) in files {
            debug_assert_eq!(header.files.get(name), Some(&(bytes.len() as u64)));
            out.write_all(bytes)?;
            hash.update(bytes);
        }
        Ok(PartWriter {
            out,
            header,
            room,
            hash,
            values: 0,
        })
    }

    /// Appends the rows of the next trials.
    pub fn rows(&mut self, m: &TrialMatrix) -> std::io::Result<()> {
        // A megabyte at a time, so a batch's bytes are never held beside its numbers.
        const PIECE: usize = 1 << 17;
        let mut bytes = Vec::with_capacity(8 * PIECE.min(m.values.len()));
        for piece in m.values.chunks(PIECE) {
            bytes.clear();
            for x in piece {
                bytes.extend_from_slice(&x.to_le_bytes());
            }
            self.out.write_all(&bytes)?;
            self.hash.update(&bytes);
        }
        self.values += m.values.len() as u64;
        Ok(())
    }

    /// Appends the draws, writes the final header and gives the destination back.
    pub fn finish(
        mut self,
        draws: &[f64],
        simulate_seconds: f64,
        threads: usize,
    ) -> std::io::Result<W> {
        let sizes = self.header.sizes().map_err(std::io::Error::other)?;
        if self.values != sizes.values || draws.len() as u64 != sizes.draws {
            return Err(std::io::Error::other(format!(
                "a part of {} values and {} draws was given {} and {}",
                sizes.values,
                sizes.draws,
                self.values,
                draws.len()
            )));
        }
        let mut bytes = Vec::with_capacity(8 * draws.len());
        for x in draws {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        self.out.write_all(&bytes)?;
        self.hash.update(&bytes);
        let mut header = self.header;
        header.payload_sha256 = self.hash.hex();
        header.simulate_seconds = simulate_seconds;
        header.threads = threads;
        let mut json = serde_json::to_vec(&header).expect("a header serialises");
        if json.len() > self.room {
            return Err(std::io::Error::other("the part header outgrew its room"));
        }
        json.resize(self.room, b' ');
        self.out.seek(SeekFrom::Start(PREFIX as u64))?;
        self.out.write_all(&json)?;
        self.out.seek(SeekFrom::End(0))?;
        Ok(self.out)
    }
}

/// Checks the headers of a run's parts (named by where they came from) and gives the order
/// of the parts by trial. Every problem is reported: parts from another scenario, seed, trial
/// count or covsim version (foreign), trials covered twice (duplicated) or by no part
/// (missing).
pub fn check(parts: &[(String, &Header)]) -> Result<Vec<usize>, Vec<String>> {
    if parts.is_empty() {
        return Err(vec!["no part files to merge".into()]);
    }
    // The reference is what most parts agree on; the others are foreign.
    let key = |h: &Header| {
        (
            h.scenario_hash.clone(),
            h.seed,
            h.total_trials,
            h.covsim_version.clone(),
            h.designs,
            h.width,
            h.inputs.clone(),
            serde_json::to_string(&h.study).unwrap_or_default(),
            h.variant_inputs.clone(),
        )
    };
    let mut counts: BTreeMap<_, usize> = BTreeMap::new();
    for (_, h) in parts {
        *counts.entry(key(h)).or_default() += 1;
    }
    let reference = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
        .expect("at least one part");
    let mut errors = Vec::new();
    let mut ours: Vec<(usize, &str, &Header)> = Vec::new();
    for (i, (name, h)) in parts.iter().enumerate() {
        if key(h) == reference {
            ours.push((i, name, h));
            continue;
        }
        let mut why = Vec::new();
        if h.scenario_hash != reference.0 {
            why.push(format!(
                "scenario \"{}\" with hash {} (the others: {})",
                h.scenario_name,
                short(&h.scenario_hash),
                short(&reference.0)
            ));
        }
        if h.seed != reference.1 {
            why.push(format!("seed {} (the others: {})", h.seed, reference.1));
        }
        if h.total_trials != reference.2 {
            why.push(format!(
                "{} trials in all (the others: {})",
                h.total_trials, reference.2
            ));
        }
        if h.covsim_version != reference.3 {
            why.push(format!(
                "covsim {} (the others: {})",
                h.covsim_version, reference.3
            ));
        }
        if why.is_empty() && (h.study != ours_study(&reference.7)) {
            why.push("another study (run, sweep or sensitivity)".into());
        }
        if why.is_empty() {
            why.push("a different layout of results".into());
        }
        errors.push(format!("{name}: foreign part: {}", why.join(", ")));
    }
    ours.sort_by_key(|(_, _, h)| (h.first_trial, h.trials));
    let total = reference.2;
    let mut next = 0u64;
    let mut last: Option<&str> = None;
    for item in &ours {
        let h = item.2;
        let end = h.first_trial + h.trials;
        if h.first_trial > next {
            errors.push(format!(
                "missing part: no part covers trials {}..{}",
                next, h.first_trial
            ));
        } else if h.first_trial < next {
            let other = last.unwrap_or("another part");
            errors.push(format!(
                "duplicated part: {} covers trials {}..{}, already covered by {other}",
                item.1,
                h.first_trial,
                end.min(next)
            ));
        }
        if end > next {
            next = end;
            last = Some(item.1);
        }
    }
    if next < total {
        errors.push(format!(
            "missing part: no part covers trials {next}..{total} (of {total})"
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ours.iter().map(|(i, _, _)| *i).collect())
}

/// The study a merge key names (for the message on a foreign part).
fn ours_study(json: &str) -> Option<Study> {
    serde_json::from_str(json).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ranges_cover_every_trial_once() {
        for total in [0u64, 1, 7, 100, 2000, 1_000_003] {
            for n in [1u64, 2, 3, 8, 16, 17] {
                let mut next = 0;
                for i in 0..n {
                    let r = range(i, n, total);
                    assert_eq!(r.start, next);
                    assert!(r.end >= r.start);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(range(3, 16, 2000), 375..500);
    }

    /// A part written batch by batch reads back as the part written at once: the same header
    /// (checksum included; only the JSON's padding differs), rows and draws.
    #[test]
    fn a_part_written_batch_by_batch_is_the_part_written_at_once() {
        let (designs, width, trials) = (2usize, 3usize, 5u64);
        let values: Vec<f64> = (0..trials as usize * designs * width)
            .map(|i| i as f64 * 0.37 - 2.0)
            .collect();
        let draws: Vec<f64> = (0..trials).map(|t| t as f64 / 7.0).collect();
        let run = Run {
            matrix: TrialMatrix {
                first_trial: 10,
                trials,
                designs,
                width,
                values: values.clone(),
            },
            inputs: Vec::new(),
            draws: draws.clone(),
            summary: None,
        };
        let files = BTreeMap::from([("accounts.csv".to_string(), b"id,potential\nA,1\n".to_vec())]);
        let mut whole = Part::new(&run, 1, 3, 15, 42, "s", "h", "s.toml", "[x]", files.clone());
        whole.header.inputs = vec!["a.b".into()];
        whole.header.simulate_seconds = 12.345678901234567;
        whole.header.threads = 16;
        let at_once = Part::from_bytes(&whole.to_bytes()).expect("reads");

        let mut w = PartWriter::new(
            std::io::Cursor::new(Vec::new()),
            whole.header.clone(),
            &files,
        )
        .expect("starts");
        let row = designs * width;
        for (first, n) in [(0usize, 2usize), (2, 3)] {
            w.rows(&TrialMatrix {
                first_trial: 10 + first as u64,
                trials: n as u64,
                designs,
                width,
                values: values[first * row..(first + n) * row].to_vec(),
            })
            .expect("rows");
        }
        let bytes = w
            .finish(&draws, 12.345678901234567, 16)
            .expect("finishes")
            .into_inner();
        let streamed = Part::from_bytes(&bytes).expect("reads");
        assert_eq!(streamed.header, at_once.header);
        assert_eq!(streamed.files, at_once.files);
        assert!(streamed.values == values && streamed.draws == draws);
        // Too few rows is an error, not a part.
        let w = PartWriter::new(
            std::io::Cursor::new(Vec::new()),
            whole.header.clone(),
            &files,
        )
        .expect("starts");
        assert!(w.finish(&draws, 0.0, 1).is_err());
    }
}
