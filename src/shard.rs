//! Splitting a run across machines and merging it exactly. Shard *i* of *N* simulates trials
//! `[⌊i·T/N⌋, ⌊(i+1)·T/N⌋)`; its part file carries those rows of the trial matrix and the draws
//! of the uncertain inputs, with everything needed to check and merge it: covsim version,
//! scenario (text, account files and hash), seed, total trials, its range. Merging orders the
//! rows by trial, so the merged statistics are those of one unsplit run, bit for bit. No I/O
//! here: the CLI reads and writes the bytes.
//!
//! Layout of a part file: the line `covsim-part 1\n`, the header's length as 8 bytes
//! (little-endian), the header as JSON, then the account files, the matrix values and the draws
//! as little-endian `f64`, in the order and sizes the header gives.

use std::collections::BTreeMap;
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
    let mut canonical = header.clone();
    canonical.payload_sha256 = String::new();
    canonical.simulate_seconds = 0.0;
    canonical.threads = 0;
    let mut sha = Sha256::new();
    sha.update(serde_json::to_vec(&canonical).expect("a header serialises"));
    sha.update(payload);
    hex(&sha.finalize())
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
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or("not a covsim part file (it does not start with `covsim-part 1`)")?;
        if rest.len() < 8 {
            return Err("the file ends early (was it cut off?)".into());
        }
        let len = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes")) as usize;
        let rest = &rest[8..];
        if rest.len() < len {
            return Err("the file ends early (was it cut off?)".into());
        }
        let header: Header = serde_json::from_slice(&rest[..len])
            .map_err(|e| format!("damaged part header: {e}"))?;
        let payload = &rest[len..];
        let sizes = (|| {
            let variants = 1 + header.variant_inputs.len();
            let values = (header.trials as usize)
                .checked_mul(header.designs)?
                .checked_mul(header.width)?
                .checked_mul(variants)?;
            let inputs = header
                .variant_inputs
                .iter()
                .try_fold(header.inputs.len(), |a, v| a.checked_add(v.len()))?;
            let draws = (header.trials as usize).checked_mul(inputs)?;
            let file_bytes = header
                .files
                .values()
                .try_fold(0usize, |a, &b| a.checked_add(usize::try_from(b).ok()?))?;
            let expected = values
                .checked_add(draws)?
                .checked_mul(8)?
                .checked_add(file_bytes)?;
            Some((values, draws, expected))
        })();
        let Some((values, draws, expected)) = sizes else {
            return Err("damaged part header: its sizes are impossible".into());
        };
        if payload.len() != expected {
            return Err(if payload.len() < expected {
                "the file ends early (was it cut off?)".into()
            } else {
                format!(
                    "the file is {} bytes longer than its header says",
                    payload.len() - expected
                )
            });
        }
        if checksum(&header, payload) != header.payload_sha256 {
            return Err("damaged part: its checksum does not match its content".into());
        }
        let mut at = 0usize;
        let mut files = BTreeMap::new();
        for (name, &size) in &header.files {
            files.insert(name.clone(), payload[at..at + size as usize].to_vec());
            at += size as usize;
        }
        let floats = |n: usize, at: &mut usize| -> Vec<f64> {
            let out = payload[*at..*at + 8 * n]
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            *at += 8 * n;
            out
        };
        let values = floats(values, &mut at);
        let draws = floats(draws, &mut at);
        Ok(Part {
            header,
            files,
            values,
            draws,
        })
    }
}

/// The rows of a whole run, merged from its parts.
#[derive(Debug, Clone)]
pub struct Merged {
    pub header: Header,
    /// Per variant of the study (one for a plain run): its rows and its draws, in trial order.
    pub runs: Vec<(TrialMatrix, Vec<f64>)>,
    /// The account files the scenario names, as the parts stored them.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Merges parts (named by where they came from) into the rows of one run, in trial order.
/// Every problem is reported: parts from another scenario, seed, trial count or covsim version
/// (foreign), trials covered twice (duplicated) or by no part (missing).
pub fn merge(parts: Vec<(String, Part)>) -> Result<Merged, Vec<String>> {
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
    for (_, p) in &parts {
        *counts.entry(key(&p.header)).or_default() += 1;
    }
    let reference = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
        .expect("at least one part");
    let mut errors = Vec::new();
    let mut ours: Vec<(String, Part)> = Vec::new();
    for (name, p) in parts {
        let h = &p.header;
        if key(h) == reference {
            ours.push((name, p));
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
    ours.sort_by_key(|(_, p)| (p.header.first_trial, p.header.trials));
    let total = reference.2;
    let mut next = 0u64;
    let mut last: Option<&(String, Part)> = None;
    for item in &ours {
        let h = &item.1.header;
        let end = h.first_trial + h.trials;
        if h.first_trial > next {
            errors.push(format!(
                "missing part: no part covers trials {}..{}",
                next, h.first_trial
            ));
        } else if h.first_trial < next {
            let other = last.map_or("another part", |l| l.0.as_str());
            errors.push(format!(
                "duplicated part: {} covers trials {}..{}, already covered by {other}",
                item.0,
                h.first_trial,
                end.min(next)
            ));
        }
        if end > next {
            next = end;
            last = Some(item);
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
    let header = ours[0].1.header.clone();
    let files = ours[0].1.files.clone();
    let rows = header.designs * header.width;
    let widths: Vec<usize> = std::iter::once(header.inputs.len())
        .chain(header.variant_inputs.iter().map(Vec::len))
        .collect();
    let mut runs: Vec<(TrialMatrix, Vec<f64>)> = widths
        .iter()
        .map(|&k| {
            (
                TrialMatrix {
                    first_trial: 0,
                    trials: total,
                    designs: header.designs,
                    width: header.width,
                    values: Vec::with_capacity(total as usize * rows),
                },
                Vec::with_capacity(total as usize * k),
            )
        })
        .collect();
    for (_, p) in ours {
        let n = p.header.trials as usize;
        let (mut at_value, mut at_draw) = (0, 0);
        for ((matrix, draws), &k) in runs.iter_mut().zip(&widths) {
            matrix
                .values
                .extend_from_slice(&p.values[at_value..at_value + n * rows]);
            draws.extend_from_slice(&p.draws[at_draw..at_draw + n * k]);
            at_value += n * rows;
            at_draw += n * k;
        }
    }
    Ok(Merged {
        header,
        runs,
        files,
    })
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
}
