//! `summary.json`: the full results, the file charts and later comparisons are made from.

use super::Exporter;
use crate::results::Results;

pub struct Json;

impl Exporter for Json {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }
    fn render(&self, results: &Results) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(results).expect("results serialise");
        out.push(b'\n');
        out
    }
}

/// Reads a `summary.json` back.
pub fn parse(bytes: &[u8]) -> Result<Results, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}
