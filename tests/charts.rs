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
