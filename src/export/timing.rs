//! `timing.json`: how long a run took, on how many threads. Kept apart from `summary.json`,
//! whose bytes never depend on the machine.

use serde::Serialize;

pub const FILE_NAME: &str = "timing.json";

/// What a run or a merge measured. Fields in alphabetical order, as earlier versions wrote them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_month_designs_per_second: Option<f64>,
    pub accounts: usize,
    pub covsim_version: String,
    pub designs: usize,
    /// Seconds spent simulating a resumed run before its checkpoint, in earlier processes
    /// (`simulate_seconds` and the throughput are this process's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_simulate_seconds: Option<f64>,
    pub months: u32,
    /// Part files merged (`covsim merge` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<usize>,
    /// Where a run resumed from its checkpoint (`covsim run --checkpoint`) started: the trials
    /// simulated before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at_trial: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulate_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    pub trials: u64,
    /// Variants of a study (sweep points, tornado runs); absent for a plain run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variants: Option<usize>,
}

pub fn render(t: &Timing) -> Vec<u8> {
    format!(
        "{}\n",
        serde_json::to_string_pretty(t).expect("timing serialises")
    )
    .into_bytes()
}
