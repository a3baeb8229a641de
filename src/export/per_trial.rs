//! `per_trial.csv` (with `--per-trial`): one row per trial and design, one column per metric.
//!
//! Written batch by batch as the trials are simulated ([`Writer`]), so a run of any number of
//! trials never holds its text; read back row by row ([`Rows`]) for the workbook's sheet. The
//! values are Rust's shortest round-trip decimal form, so reading them back gives the same
//! numbers.

use std::io::{Read, Write};

use crate::engine::TrialMatrix;
use crate::metrics::catalogue;
use crate::model::Model;
use crate::results::Results;

pub const FILE_NAME: &str = "per_trial.csv";

/// What names the columns and the rows: the metric keys and the design names, in order.
#[derive(Debug, Clone)]
pub struct Columns {
    pub metrics: Vec<String>,
    pub designs: Vec<String>,
}

impl Columns {
    pub fn of_model(model: &Model) -> Columns {
        Columns {
            metrics: catalogue(model).into_iter().map(|d| d.key).collect(),
            designs: model.designs.iter().map(|d| d.name.clone()).collect(),
        }
    }

    pub fn of_results(r: &Results) -> Columns {
        Columns {
            metrics: r.metrics.iter().map(|d| d.key.clone()).collect(),
            designs: r.designs.iter().map(|d| d.name.clone()).collect(),
        }
    }
}

/// per_trial.csv being written: the header at once, then the rows of each batch of trials in
/// trial order.
pub struct Writer<W: Write> {
    w: csv::Writer<W>,
    columns: Columns,
    rows: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, columns: Columns) -> std::io::Result<Writer<W>> {
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec!["trial".to_string(), "design".to_string()];
        header.extend(columns.metrics.iter().cloned());
        w.write_record(&header)?;
        Ok(Writer {
            w,
            columns,
            rows: 0,
        })
    }

    /// Appends the rows of `m` (every trial of it, every design).
    pub fn rows(&mut self, m: &TrialMatrix) -> std::io::Result<()> {
        let k = self.columns.metrics.len();
        let mut row: Vec<String> = Vec::with_capacity(k + 2);
        for t in 0..m.trials as usize {
            for (d, design) in self.columns.designs.iter().enumerate() {
                row.clear();
                row.push((m.first_trial + t as u64).to_string());
                row.push(design.clone());
                row.extend(m.row(t, d)[..k].iter().map(|x| x.to_string()));
                self.w.write_record(&row)?;
                self.rows += 1;
            }
        }
        Ok(())
    }

    /// Rows written so far (trials × designs).
    pub fn written(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the destination.
    pub fn finish(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

/// One row of per_trial.csv read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub trial: u64,
    /// The design's index (its row's place among the designs of its trial).
    pub design: usize,
    pub values: Vec<f64>,
}

/// The rows of a per_trial.csv, in file order, for `designs` designs.
pub struct Rows<R: Read> {
    records: csv::StringRecordsIntoIter<R>,
    designs: usize,
    next: u64,
}

impl<R: Read> Rows<R> {
    pub fn new(source: R, designs: usize) -> Rows<R> {
        Rows {
            records: csv::Reader::from_reader(source).into_records(),
            designs: designs.max(1),
            next: 0,
        }
    }
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Result<Row, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.next()?;
        let at = self.next;
        self.next += 1;
        let bad = |why: String| format!("{FILE_NAME} row {}: {why}", at + 2);
        Some(record.map_err(|e| bad(e.to_string())).and_then(|r| {
            let number = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(format!("`{s}` is not a number")))
            };
            let trial = r
                .get(0)
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| bad("no trial number".into()))?;
            let values = r
                .iter()
                .skip(2)
                .map(number)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Row {
                trial,
                design: (at % self.designs as u64) as usize,
                values,
            })
        }))
    }
}
