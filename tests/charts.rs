//! Charts through the binary: every run draws them at slide size, `covsim plot` redraws the
//! same SVG bytes from summary.json, and a damaged or foreign results file is refused.

mod common;
use common::*;

use std::path::Path;

const STEMS: [&str; 6] = [
    "1_designs_side_by_side",
    "2_how_sure_are_we",
    "3_where_the_money_goes",
    "4_spread_of_outcomes",
    "5_productivity_by_role",
    "6_path_over_months",
];

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

fn run_built_in(dir: &Path) -> std::path::PathBuf {
    let o = run_in(dir, &["run", "--trials", "60", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    dir.join("outputs/leverage")
}

#[test]
fn a_run_draws_every_chart_as_png_and_svg_at_slide_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path());
    let charts = out.join("charts");
    let mut files: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = STEMS
        .iter()
        .flat_map(|s| [format!("{s}.png"), format!("{s}.svg")])
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    for stem in STEMS {
        let png = std::fs::read(charts.join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), (1920, 1080), "{stem}.png");
        let svg = std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.contains(r#"width="1920""#) && svg.contains(r#"height="1080""#),
            "{stem}.svg is not 1920×1080"
        );
        // The footer names the scenario, trials and seed; every design appears by name.
        assert!(
            svg.contains("scenario leverage · 60 trials · seed 42"),
            "{stem}"
        );
        for design in ["leveraged", "teamed"] {
            assert!(svg.contains(design), "{stem}.svg does not name {design}");
        }
    }
    // The forest plot reports the same paired difference summary.json holds.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let leveraged = &json["designs"][1];
    let contribution = leveraged["vs_baseline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "contribution")
        .unwrap();
    let share = contribution["share_better"].as_f64().unwrap();
    let svg = std::fs::read_to_string(charts.join("2_how_sure_are_we.svg")).unwrap();
    let text = format!("better in {:.1}% of trials", 100.0 * share);
    assert!(svg.contains(&text), "forest plot lacks “{text}”");
}

#[test]
fn plot_redraws_the_same_svg_bytes_from_summary_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path());
    let redrawn = dir.path().join("redrawn");
    let o = run_in(
        dir.path(),
        &[
            "plot",
            out.join("summary.json").to_str().unwrap(),
            "--out",
            redrawn.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for stem in STEMS {
        let a = std::fs::read(out.join("charts").join(format!("{stem}.svg"))).unwrap();
        let b = std::fs::read(redrawn.join(format!("{stem}.svg"))).unwrap();
        assert!(a == b, "{stem}.svg differs after plot");
        let a = std::fs::read(out.join("charts").join(format!("{stem}.png"))).unwrap();
        let b = std::fs::read(redrawn.join(format!("{stem}.png"))).unwrap();
        assert!(a == b, "{stem}.png differs after plot");
    }
    // Without --out the charts go beside the results file.
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    let o = run_in(
        dir.path(),
        &["plot", out.join("summary.json").to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("charts/4_spread_of_outcomes.svg").is_file());
}

/// Runs `plot` on `bytes` saved as summary.json; returns (exit code, stderr) and checks that
/// no chart folder was made.
fn plot_bad(bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.json");
    std::fs::write(&file, bytes).unwrap();
    let o = run_in(dir.path(), &["plot", file.to_str().unwrap()]);
    assert!(
        !dir.path().join("charts").exists(),
        "charts were written from a bad results file"
    );
    (o.status.code().unwrap_or(-1), stderr(&o))
}

#[test]
fn damaged_or_foreign_results_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path());
    let good = std::fs::read_to_string(out.join("summary.json")).unwrap();

    // Cut off half-way, as by a full disk or an interrupted copy.
    let (code, err) = plot_bad(&good.as_bytes()[..good.len() / 2]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("damaged results file") && err.contains("ends early"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");

    // A later results format.
    let version = covsim::results::FORMAT_VERSION;
    let newer = good.replacen(
        &format!("\"format_version\": {version}"),
        "\"format_version\": 99",
        1,
    );
    assert_ne!(newer, good);
    let (code, err) = plot_bad(newer.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("results format 99")
            && err.contains(&format!("reads results format {version}")),
        "{err}"
    );
    assert!(err.contains("summary.json:3:"), "no line and column: {err}");

    // A field of the wrong type: named by its key path, with line and column.
    let wrong = good.replacen("\"trials\": 60", "\"trials\": \"sixty\"", 1);
    assert_ne!(wrong, good);
    let (code, err) = plot_bad(wrong.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("key: trials") && err.contains("invalid type"),
        "{err}"
    );

    // Valid JSON that is not covsim's.
    let (code, err) = plot_bad(br#"{"hello": "world"}"#);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a covsim results file"), "{err}");

    // Parts that do not fit together: a design missing its metrics.
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["designs"][2]["metrics"]
        .as_array_mut()
        .unwrap()
        .truncate(3);
    let (code, err) = plot_bad(serde_json::to_string(&v).unwrap().as_bytes());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("designs[2].metrics") && err.contains("teamed"),
        "{err}"
    );

    // A missing file is an I/O error (exit 2), not bad input.
    let o = run_in(dir.path(), &["plot", "no/such/summary.json"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Designs named `d0`, `d1`, … alternating digital and inside ownership.
fn designs(n: usize) -> String {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                format!("[[designs]]\nname = \"d{i}\"\nheadcount = {{}}\n[designs.coverage.all]\nowner = \"direct\"\n")
            } else {
                format!(
                    "[[designs]]\nname = \"d{i}\"\nheadcount = {{ inside = {i} }}\n[designs.coverage.all]\nowner = \"inside\"\n"
                )
            }
        })
        .collect()
}

#[test]
fn charts_draw_for_one_design_and_for_many() {
    for n in [1, 9] {
        // A scenario needs two designs; a results file cut down to its baseline has one.
        let mut m = model(&simple(&designs(n.max(2)), ""));
        m.trials = 40;
        let (_, mut r) = simulate(&m);
        r.designs.truncate(n);
        let files = covsim::charts::render_all(&r).expect("charts render");
        assert_eq!(files.len(), 2 * STEMS.len());
        let forest = files
            .iter()
            .find(|(name, _)| name == "charts/2_how_sure_are_we.svg")
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap();
        if n == 1 {
            assert!(forest.contains("nothing to compare"), "{forest}");
        } else {
            // Every non-baseline design has its row.
            for i in 1..n {
                assert!(forest.contains(&format!(">\nd{i}\n<")), "d{i} missing");
            }
        }
    }
}

/// Every `points="…"` of an SVG that draws nothing: a line from a point to the same point.
fn degenerate_lines(svg: &str) -> Vec<String> {
    svg.split("points=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|pts| {
            let p: Vec<&str> = pts.split_whitespace().collect();
            p.len() == 2 && p[0] == p[1]
        })
        .map(String::from)
        .collect()
}

/// The text of every `<text>` element of an SVG.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
        })
        .map(|(body, _)| body.trim().to_string())
        .collect()
}

fn run_scenario(dir: &Path, file: &str) -> std::path::PathBuf {
    let scenario = scenarios().join(file);
    let out = dir.join("out");
    let o = run_in(
        dir,
        &[
            "run",
            scenario.to_str().unwrap(),
            "--trials",
            "60",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn no_whisker_is_degenerate_and_every_productivity_bar_has_its_value() {
    for file in ["leverage.toml", "transition.toml"] {
        let dir = tempfile::tempdir().unwrap();
        let out = run_scenario(dir.path(), file);
        for stem in STEMS {
            let svg =
                std::fs::read_to_string(out.join("charts").join(format!("{stem}.svg"))).unwrap();
            let bad = degenerate_lines(&svg);
            assert!(bad.is_empty(), "{file} {stem}: zero-length lines {bad:?}");
        }
        // Productivity is a ratio of means: no whiskers, and every bar labelled, however many
        // designs share a group.
        let svg = std::fs::read_to_string(out.join("charts/5_productivity_by_role.svg")).unwrap();
        let labels = texts(&svg);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        let mut bars = 0;
        for d in json["designs"].as_array().unwrap() {
            for role in d["roles"].as_array().unwrap() {
                if let Some(x) = role["revenue_per_head_year"].as_f64() {
                    let v = covsim::format::value(x);
                    assert!(labels.contains(&v), "{file}: no label {v}");
                    bars += 1;
                }
            }
        }
        assert!(bars > 0, "{file}");
    }
}

#[test]
fn a_mean_and_its_interval_ends_read_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_built_in(dir.path());
    let svg = std::fs::read_to_string(out.join("charts/2_how_sure_are_we.svg")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let mut rows = 0;
    for label in texts(&svg)
        .iter()
        .filter(|t| t.contains(" to ") && t.ends_with(')'))
    {
        let (mean, rest) = label.split_once(" (").unwrap();
        let (low, high) = rest.trim_end_matches(')').split_once(" to ").unwrap();
        assert!(
            mean != low && mean != high && low != high,
            "interval reads as its own edge: {label}"
        );
        rows += 1;
    }
    assert_eq!(rows, json["designs"].as_array().unwrap().len() - 1);
}

#[test]
fn long_design_names_wrap_onto_two_lines_before_they_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_scenario(dir.path(), "partner_conflict.toml");
    for stem in ["2_how_sure_are_we", "3_where_the_money_goes"] {
        let svg = std::fs::read_to_string(out.join("charts").join(format!("{stem}.svg"))).unwrap();
        let labels = texts(&svg);
        assert!(
            !labels.iter().any(|t| t.contains('…')),
            "{stem}: a name is cut"
        );
        for name in [
            "partners_loose_rules",
            "partners_clear_rules",
            "direct_only (baseline)",
        ] {
            if stem == "2_how_sure_are_we" && name.starts_with("direct_only") {
                continue;
            }
            assert!(labels.iter().any(|t| t == name), "{stem}: {name} missing");
        }
        // The longest name is whole, on one line or on two split after a `_`.
        let whole = "partners_clear_rules_single_credit";
        let two = labels
            .windows(2)
            .any(|w| format!("{}{}", w[0], w[1]) == whole);
        assert!(
            labels.iter().any(|t| t == whole) || two,
            "{stem}: {whole} cut"
        );
    }
}

#[test]
fn reports_say_what_a_trial_is_and_format_as_the_console_does() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_scenario(dir.path(), "transition.toml");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("of the 60 simulated 24-month horizons"), "{md}");
    assert!(!md.contains("simulated years"));
    // Win rate as a percentage, account counts with separators, negatives with the minus sign.
    let win = md
        .lines()
        .find(|l| l.starts_with("| Win rate"))
        .expect("win rate row");
    assert!(win.matches('%').count() >= 5, "{win}");
    assert!(md.contains("| core | 1,562 |"), "{md}");
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(
            !line.contains(" -") && !line.contains("(-"),
            "hyphen for a minus: {line}"
        );
    }
    assert!(md.contains('−'));
    // summary.csv: labels in ASCII, negative numbers with a plain '-'.
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    for row in r.records() {
        let row = row.unwrap();
        assert!(row[3].is_ascii(), "label not ASCII: {}", &row[3]);
    }
    assert!(!csv.contains('−'));
    assert!(csv.contains(",-"), "no negative number in summary.csv");
}
