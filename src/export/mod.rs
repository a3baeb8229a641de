//! Exporters: one per output format, behind one small trait. They share nothing but the
//! `Results` struct (and, for the per-trial table, the trial matrix). They render bytes; the
//! CLI decides where the bytes go.

pub mod calibrate;
pub mod csv;
pub mod deck;
pub mod json;
pub mod keys;
pub mod markdown;
pub mod monthly;
pub mod optimize;
pub mod per_trial;
pub mod study;
pub mod tables;
pub mod timing;
pub mod workbook;

pub use crate::format::{compact, percent, signed, thousands};
use crate::results::Results;

pub trait Exporter {
    /// File name inside the output folder.
    fn file_name(&self) -> &'static str;
    fn render(&self, results: &Results) -> Vec<u8>;
}

/// The exporters every run writes.
pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(json::Json),
        Box::new(csv::Csv),
        Box::new(markdown::Markdown),
        Box::new(monthly::Monthly),
    ]
}

/// The answer of `summary.md` in plain words, without Markdown marks: for the workbook's first
/// sheet and the deck's answer slide.
pub fn answer(r: &Results) -> String {
    markdown::decision(r, &[])
        .replace("**", "")
        .replace('`', "")
}

/// What a run was: `2,000 trials · seed 42 · 12-month horizon · 5,000 accounts · amounts in EUR
/// over the horizon`.
pub fn facts(r: &Results) -> String {
    format!(
        "{} trials · seed {} · {}-month horizon · {} accounts · amounts in {} over the horizon",
        thousands(r.trials as f64),
        r.seed,
        r.scenario.months,
        thousands(r.scenario.accounts as f64),
        r.scenario.currency
    )
}

/// The headline cells of design `d`: contribution with its interval, the paired difference of
/// contribution against the baseline with its interval, and the share of trials it beats the
/// baseline. `open`/`sep`/`close` shape the intervals (`[a, b]` on a terminal, `(a – b)` in
/// Markdown); `baseline` labels the baseline's row.
pub fn headline_cells(
    r: &Results,
    d: usize,
    shape: (&str, &str, &str),
    baseline: (&str, &str),
) -> [String; 3] {
    tables::headline_cells(r, d, baseline).map(|c| c.text(shape))
}
