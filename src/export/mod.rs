//! Exporters: one per output format, behind one small trait. They share nothing but the
//! `Results` struct (and, for the per-trial table, the trial matrix). They render bytes; the
//! CLI decides where the bytes go.

pub mod csv;
pub mod deck;
pub mod json;
pub mod markdown;
pub mod monthly;
pub mod optimize;
pub mod per_trial;
pub mod tables;
pub mod workbook;

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

/// `1234567.8` → `1,234,568`.
pub fn thousands(x: f64) -> String {
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// Compact money for tables read on a slide: `12.3M`, `450k`, `980`.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "" };
    if a >= 1e9 {
        format!("{sign}{:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}{:.2}M", a / 1e6)
    } else if a >= 1e4 {
        format!("{sign}{:.0}k", a / 1e3)
    } else if a >= 1e3 {
        format!("{sign}{:.1}k", a / 1e3)
    } else {
        format!("{sign}{a:.0}")
    }
}

/// A signed compact figure: `+1.20M`.
pub fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", compact(x))
    } else {
        compact(x)
    }
}

pub fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(1234567.8), "1,234,568");
        assert_eq!(thousands(-999.0), "-999");
        assert_eq!(compact(12_345_678.0), "12.35M");
        assert_eq!(compact(-45_600.0), "-46k");
        assert_eq!(signed(1500.0), "+1.5k");
        assert_eq!(percent(0.1234), "12.3%");
    }
}
