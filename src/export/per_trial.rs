//! `per_trial.csv` (with `--per-trial`): one row per trial and design, one column per metric.

use crate::engine::TrialMatrix;
use crate::results::Results;

pub const FILE_NAME: &str = "per_trial.csv";

pub fn render(results: &Results, m: &TrialMatrix) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["trial".to_string(), "design".to_string()];
    header.extend(results.metrics.iter().map(|d| d.key.clone()));
    w.write_record(&header).expect("write to memory");
    let mut row = Vec::with_capacity(header.len());
    for t in 0..m.trials as usize {
        for (d, design) in results.designs.iter().enumerate() {
            row.clear();
            row.push((m.first_trial + t as u64).to_string());
            row.push(design.name.clone());
            row.extend(
                m.row(t, d)[..results.metrics.len()]
                    .iter()
                    .map(|x| x.to_string()),
            );
            w.write_record(&row).expect("write to memory");
        }
    }
    w.into_inner().expect("flush to memory")
}
