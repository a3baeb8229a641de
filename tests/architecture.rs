//! Architecture invariants kept true by cheap checks of the source text (docs/ARCHITECTURE.md):
//! the library outside `src/cli` does no file, environment, terminal or clock I/O; charts know
//! only results and their own modules; only `export` knows output formats; metric keys are
//! written once, in the metric table, and each is defined in docs/MODEL.md §6.

mod common;

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Library files: `src/` without the binary (`src/cli/`, `src/main.rs`).
fn library() -> Vec<(String, String)> {
    all()
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with("cli/") && rel != "main.rs")
        .collect()
}

/// Every source file, by its path under `src/`.
fn all() -> Vec<(String, String)> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The code of a file without its comments (`//` to the end of a line), so that prose may
/// name what the code must not use.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_library_does_no_file_environment_terminal_or_clock_io() {
    const FORBIDDEN: &[&str] = &[
        "std::fs",
        "std::env",
        "File::",
        "OpenOptions",
        "std::io::stdout",
        "std::io::stderr",
        "std::io::stdin",
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "dbg!(",
        "std::process",
        "Instant::now",
        "SystemTime",
        "clap::",
        "indicatif",
    ];
    let mut found = Vec::new();
    for (rel, text) in library() {
        let code = code(&text);
        for f in FORBIDDEN {
            if code.contains(f) {
                found.push(format!("src/{rel}: {f}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O outside src/cli: {found:#?}\nread through a callback or report through a trait instead"
    );
}

#[test]
fn charts_import_only_results_and_their_own_modules() {
    let allowed = [
        "crate::charts",
        "crate::results",
        "crate::sweep",
        "crate::sensitivity",
        "crate::metrics",
        "crate::stats",
        "crate::format",
        "crate::words",
        // The results structures of `covsim calibrate --backtest` and `covsim optimize`.
        "crate::calibrate::backtest::{Backtest, Series}",
        "crate::optimize::{Entry, Outcome, Profile}",
        "super",
    ];
    let mut found = Vec::new();
    for (rel, text) in library() {
        if !rel.starts_with("charts/") {
            continue;
        }
        for (n, line) in code(&text).lines().enumerate() {
            for at in line.match_indices("crate::").map(|(i, _)| i) {
                let path = &line[at..];
                if !allowed.iter().any(|a| path.starts_with(a)) {
                    found.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "charts read results structures only (Results, Sweep, Tornado and the metric table): {found:#?}"
    );
}

#[test]
fn only_export_and_charts_know_output_formats() {
    // The crates that write formats; the scenario reader's TOML, shard's own part format and
    // checkpoint's own checkpoint format are not output formats.
    const WRITERS: &[&str] = &["csv::Writer", "rust_xlsxwriter", "zip::", "serde_json::to_"];
    let mut found = Vec::new();
    for (rel, text) in library() {
        if rel.starts_with("export/")
            || rel.starts_with("charts/")
            || rel == "shard.rs"
            || rel == "checkpoint.rs"
        {
            continue;
        }
        let code = code(&text);
        for w in WRITERS {
            if code.contains(w) {
                found.push(format!("src/{rel}: {w}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "output formats outside export/: {found:#?}"
    );
}

#[test]
fn metric_keys_are_written_only_in_the_metric_table() {
    // The scenario's own keys (`gross_margin` of a channel, `partner_margin`) are TOML keys,
    // not metrics: `scenario/` is left out.
    let keys: Vec<String> = covsim::metrics::Metric::ALL
        .iter()
        .map(|m| format!("\"{}\"", m.key()))
        .collect();
    assert_eq!(keys.len(), covsim::metrics::g::COUNT);
    let mut found = Vec::new();
    for (rel, text) in all() {
        if rel == "metrics.rs" || rel.starts_with("scenario/") {
            continue;
        }
        for (n, line) in code(&text).lines().enumerate() {
            for k in &keys {
                if line.contains(k.as_str()) {
                    found.push(format!("src/{rel}:{}: {k}", n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "metric keys written outside src/metrics.rs (use `Metric::X.key()`): {found:#?}"
    );
}

/// docs/MODEL.md from `heading` to the end of its section.
fn model_md_after(heading: &str) -> String {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/MODEL.md"))
        .expect("docs/MODEL.md");
    let after = doc
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("MODEL.md has {heading}"));
    after.split("\n## ").next().unwrap().to_string()
}

#[test]
fn model_md_defines_every_metric_of_a_row() {
    // docs/MODEL.md §6 ("Every metric of a design's row") has one table row per metric, a tier's
    // or role's name written `<t>` or `<r>`; an independent check found metrics that the
    // document named nowhere. The table and the catalogue must hold the same keys.
    let table = model_md_after("**Every metric of a design's row**");
    let documented: std::collections::BTreeSet<String> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    let loaded = common::model(covsim::scenario::BUILTIN);
    let model = &loaded.model;
    let generic = |key: &str| -> String {
        let parts: Vec<&str> = key.split('.').collect();
        match parts[..] {
            ["tier", t, m] if model.tiers.iter().any(|x| x.name == t) => format!("tier.<t>.{m}"),
            ["role", r, m] if model.channels.iter().any(|x| x.name == r) => format!("role.<r>.{m}"),
            _ => key.to_string(),
        }
    };
    let catalogue: std::collections::BTreeSet<String> = covsim::metrics::catalogue(model)
        .iter()
        .map(|m| generic(&m.key))
        .collect();
    assert!(
        catalogue.len() > covsim::metrics::g::COUNT,
        "tier and role metrics are in the catalogue"
    );
    let missing: Vec<_> = catalogue.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&catalogue).collect();
    assert!(
        missing.is_empty(),
        "metrics MODEL.md §6 does not define: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "MODEL.md §6 defines metrics the code has not: {extra:?}"
    );
}

#[test]
fn model_md_defines_every_figure_of_a_design_in_summary_json() {
    // docs/MODEL.md §6 ("A design's chance-free figures") names every key of a design's object
    // in summary.json besides its metrics, its tiers' and its roles'; an independent check
    // found them defined nowhere. The transition scenario has them all (steps included).
    let section = model_md_after("**A design's chance-free figures**");
    let text = std::fs::read_to_string(common::scenarios().join("transition.toml")).unwrap();
    let mut loaded = common::model(&text);
    loaded.trials = 4;
    let (_, results) = common::simulate(&loaded);
    let json = serde_json::to_value(&results).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    for design in json["designs"].as_array().unwrap() {
        let object = design.as_object().unwrap();
        keys.extend(object.keys().cloned());
        for part in ["tiers", "roles"] {
            for item in object[part].as_array().unwrap() {
                keys.extend(item.as_object().unwrap().keys().cloned());
            }
        }
    }
    assert!(keys.contains("steps") && keys.contains("transition_from"));
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !["metrics", "vs_baseline", "tiers", "roles"].contains(&k.as_str()))
        .filter(|k| !section.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "MODEL.md §6 does not define: {missing:?}"
    );
}
