//! `summary.csv`: one row per design and metric, with the paired difference against the
//! baseline on the same row, for spreadsheets: numbers as they are (a plain `-`), labels in
//! ASCII.

use super::Exporter;
use crate::results::Results;

pub struct Csv;

const HEADER: &[&str] = &[
    "design",
    "is_baseline",
    "metric",
    "label",
    "unit",
    "mean",
    "sd",
    "se",
    "ci95_low",
    "ci95_high",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
    "min",
    "max",
    "diff_mean",
    "diff_se",
    "diff_ci95_low",
    "diff_ci95_high",
    "diff_p5",
    "diff_p95",
    "share_better_than_baseline",
    "diff_se_unpaired",
];

impl Exporter for Csv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }
    fn render(&self, r: &Results) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(HEADER).expect("write to memory");
        for d in &r.designs {
            for (k, m) in d.metrics.iter().enumerate() {
                let def = &r.metrics[k];
                let s = &m.stats;
                let mut row = vec![
                    d.name.clone(),
                    d.is_baseline.to_string(),
                    def.key.clone(),
                    // Plain ASCII: a spreadsheet opening the file as its local code page would
                    // misread a typographic minus or a dash.
                    crate::format::ascii(&def.label),
                    serde_json::to_value(def.unit)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                ];
                row.extend(
                    [
                        s.mean,
                        s.sd,
                        s.se,
                        s.ci95_low,
                        s.ci95_high,
                        s.p5,
                        s.p25,
                        s.p50,
                        s.p75,
                        s.p95,
                        s.min,
                        s.max,
                    ]
                    .map(|x| x.to_string()),
                );
                match d.vs_baseline.get(k) {
                    Some(diff) => {
                        let x = &diff.diff;
                        row.extend(
                            [
                                x.diff.mean,
                                x.diff.se,
                                x.diff.ci95_low,
                                x.diff.ci95_high,
                                x.diff.p5,
                                x.diff.p95,
                                x.share_better,
                                x.se_unpaired,
                            ]
                            .map(|v| v.to_string()),
                        );
                    }
                    None => row.extend(std::iter::repeat_n(String::new(), 8)),
                }
                w.write_record(&row).expect("write to memory");
            }
        }
        w.into_inner().expect("flush to memory")
    }
}
