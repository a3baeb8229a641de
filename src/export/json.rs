//! `summary.json`: the full results, the file charts and later comparisons are made from, and
//! the reader that takes it back with a clear diagnosis of a damaged or foreign file.

use super::Exporter;
use crate::diag::{Diagnostic, Source};
use crate::results::{FORMAT_VERSION, Results};

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

const ALLOWED: &str = "a summary.json written by `covsim run` of this version";

/// Reads a `summary.json` back, checking that it is whole, of this results format, and
/// consistent (every design has every metric). `file` names it in diagnostics.
pub fn parse(bytes: &[u8], file: &str) -> Result<Results, Vec<Diagnostic>> {
    let whole = |message: String| Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        key_path: String::new(),
        message,
        allowed: ALLOWED.to_string(),
        snippet: None,
        more: 0,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![whole(
            "not a covsim results file: the file is not UTF-8 text".into(),
        )]);
    };
    let src = Source::new(file, text);
    let at = |line: usize, column: usize| -> Option<std::ops::Range<usize>> {
        if line == 0 {
            return None;
        }
        let start: usize = text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum::<usize>();
        let line_text = text[start..].lines().next().unwrap_or("");
        let offset = line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
        Some(start + offset..start + offset + 1)
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let what = if e.is_eof() {
                "the file ends early (was it cut off?)".to_string()
            } else {
                strip_position(&e.to_string())
            };
            return Err(vec![src.diag(
                at(e.line(), e.column()),
                "",
                format!("damaged results file: {what}"),
                ALLOWED,
            )]);
        }
    };
    let version_span = text
        .find("\"format_version\"")
        .map(|i| i..i + "\"format_version\"".len());
    match value.get("format_version").and_then(|v| v.as_u64()) {
        None => {
            return Err(vec![whole(
                "not a covsim results file: it has no `format_version`".into(),
            )]);
        }
        Some(v) if v != FORMAT_VERSION as u64 => {
            let writer = value
                .get("covsim_version")
                .and_then(|v| v.as_str())
                .unwrap_or("an unknown version");
            return Err(vec![src.diag(
                version_span,
                "format_version",
                format!(
                    "results format {v}, written by covsim {writer}; this covsim ({}) reads results format {FORMAT_VERSION}",
                    env!("CARGO_PKG_VERSION")
                ),
                format!(
                    "format_version = {FORMAT_VERSION}; run the scenario again with this covsim to redraw its charts"
                ),
            )]);
        }
        Some(_) => {}
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let results: Results = match serde_path_to_error::deserialize(&mut de) {
        Ok(r) => r,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(vec![src.diag(
                at(inner.line(), inner.column()),
                &path,
                format!(
                    "damaged results file: {}",
                    strip_position(&inner.to_string())
                ),
                ALLOWED,
            )]);
        }
    };
    let problems = check(&results, file);
    if problems.is_empty() {
        Ok(results)
    } else {
        Err(problems)
    }
}

/// serde_json appends " at line L column C"; diagnostics carry the place themselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Consistency a chart relies on: one baseline, every design with every metric in order.
fn check(r: &Results, file: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut problem = |key_path: String, message: String| {
        out.push(Diagnostic {
            file: file.to_string(),
            line: 0,
            column: 0,
            key_path,
            message: format!("damaged results file: {message}"),
            allowed: ALLOWED.to_string(),
            snippet: None,
            more: 0,
        })
    };
    if r.designs.is_empty() {
        problem("designs".into(), "no designs".into());
    }
    let baselines: Vec<&str> = r
        .designs
        .iter()
        .filter(|d| d.is_baseline)
        .map(|d| d.name.as_str())
        .collect();
    if baselines != [r.baseline.as_str()] {
        problem(
            "baseline".into(),
            format!(
                "baseline is `{}` but the designs marked as baseline are [{}]",
                r.baseline,
                baselines.join(", ")
            ),
        );
    }
    for (d, design) in r.designs.iter().enumerate() {
        let keys = design.metrics.iter().map(|m| m.key.as_str());
        if !keys.eq(r.metrics.iter().map(|m| m.key.as_str())) {
            problem(
                format!("designs[{d}].metrics"),
                format!(
                    "design `{}` does not list the {} metrics of `metrics` in order",
                    design.name,
                    r.metrics.len()
                ),
            );
        }
        let expected = if design.is_baseline {
            0
        } else {
            r.metrics.len()
        };
        if design.vs_baseline.len() != expected {
            problem(
                format!("designs[{d}].vs_baseline"),
                format!(
                    "design `{}` has {} paired differences, expected {expected}",
                    design.name,
                    design.vs_baseline.len()
                ),
            );
        }
        let channels = r.scenario.channels.len();
        for (key, len) in [
            ("hours_available", design.hours_available.len()),
            ("hours_needed", design.hours_needed.len()),
            ("roles", design.roles.len()),
        ] {
            if len != channels {
                problem(
                    format!("designs[{d}].{key}"),
                    format!(
                        "design `{}` has {len} entries in `{key}` for {channels} channels",
                        design.name
                    ),
                );
            }
        }
        let tiers = design.tiers.iter().map(|t| t.tier.as_str());
        if !tiers.eq(r.scenario.tiers.iter().map(|t| t.name.as_str())) {
            problem(
                format!("designs[{d}].tiers"),
                format!(
                    "design `{}` does not list the {} tiers of `scenario.tiers` in order",
                    design.name,
                    r.scenario.tiers.len()
                ),
            );
        }
        if design.headcount.len() != r.scenario.channels.len() {
            problem(
                format!("designs[{d}].headcount"),
                format!(
                    "design `{}` has {} headcounts for {} channels",
                    design.name,
                    design.headcount.len(),
                    r.scenario.channels.len()
                ),
            );
        }
    }
    for (what, names) in [
        (
            "designs",
            r.designs
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            "metrics",
            r.metrics.iter().map(|m| m.key.as_str()).collect(),
        ),
        (
            "scenario.tiers",
            r.scenario.tiers.iter().map(|t| t.name.as_str()).collect(),
        ),
        (
            "scenario.channels",
            r.scenario
                .channels
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
        ),
        (
            "scenario.stages",
            r.scenario.stages.iter().map(String::as_str).collect(),
        ),
        (
            "monthly",
            r.monthly.iter().map(|m| m.design.as_str()).collect(),
        ),
    ] {
        if let Some(dup) = first_duplicate(&names) {
            problem(what.into(), format!("`{dup}` appears twice in `{what}`"));
        }
    }
    let months = r.scenario.months as usize;
    for (i, m) in r.monthly.iter().enumerate() {
        let Some(design) = r.designs.iter().find(|d| d.name == m.design) else {
            problem(
                format!("monthly[{i}].design"),
                format!("`{}` is not one of the designs", m.design),
            );
            continue;
        };
        let keys: Vec<&str> = m.metrics.iter().map(|k| k.key.as_str()).collect();
        if let Some(dup) = first_duplicate(&keys) {
            problem(
                format!("monthly[{i}].metrics"),
                format!("`{dup}` appears twice"),
            );
        }
        for (k, metric) in m.metrics.iter().enumerate() {
            if metric.months.len() != months {
                problem(
                    format!("monthly[{i}].metrics[{k}].months"),
                    format!(
                        "`{}` of design `{}` has {} months, but the scenario has {months}",
                        metric.key,
                        m.design,
                        metric.months.len()
                    ),
                );
            }
        }
        let expected = if design.is_baseline { 0 } else { months };
        if m.cumulative_vs_baseline.len() != expected {
            problem(
                format!("monthly[{i}].cumulative_vs_baseline"),
                format!(
                    "design `{}` has {} months of cumulative difference, expected {expected}",
                    m.design,
                    m.cumulative_vs_baseline.len()
                ),
            );
        }
        if let Some(p) = &m.payback {
            let late = [p.p5, p.p50, p.p95, p.of_mean]
                .into_iter()
                .flatten()
                .any(|x| x as usize > months);
            if late || !(0.0..=1.0).contains(&p.share_paid_back) {
                problem(
                    format!("monthly[{i}].payback"),
                    format!(
                        "design `{}` pays back after the horizon or in an impossible share of trials",
                        m.design
                    ),
                );
            }
        }
    }
    out
}

fn first_duplicate<'a>(names: &[&'a str]) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    names.iter().copied().find(|n| !seen.insert(*n))
}
