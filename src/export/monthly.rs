//! `monthly.csv`: one row per design, month and monthly metric, with the mean and the band of
//! the middle 90% of trials; the cumulative contribution against the baseline as metric
//! `cumulative_contribution_vs_baseline`.

use super::Exporter;
use crate::results::{Band, Results};

pub struct Monthly;

impl Exporter for Monthly {
    fn file_name(&self) -> &'static str {
        "monthly.csv"
    }

    fn render(&self, r: &Results) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["design", "month", "metric", "mean", "p5", "p50", "p95"])
            .expect("write to memory");
        let mut row = |design: &str, month: usize, key: &str, b: &Band| {
            w.write_record([
                design.to_string(),
                (month + 1).to_string(),
                key.to_string(),
                b.mean.to_string(),
                b.p5.to_string(),
                b.p50.to_string(),
                b.p95.to_string(),
            ])
            .expect("write to memory");
        };
        for m in &r.monthly {
            for metric in &m.metrics {
                for (month, b) in metric.months.iter().enumerate() {
                    row(&m.design, month, &metric.key, b);
                }
            }
            for (month, b) in m.cumulative_vs_baseline.iter().enumerate() {
                row(&m.design, month, "cumulative_contribution_vs_baseline", b);
            }
        }
        w.into_inner().expect("flush to memory")
    }
}
