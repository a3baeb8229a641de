//! deck.pptx as a consultant meets it: a valid Office Open XML package with a title slide, the
//! answer, one full-bleed slide per chart and the key assumptions; `covsim deck` and `covsim
//! plot` from a saved summary.json give the same bytes as the run.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

const STEMS: [&str; 6] = [
    "1_designs_side_by_side",
    "2_how_sure_are_we",
    "3_where_the_money_goes",
    "4_spread_of_outcomes",
    "5_productivity_by_role",
    "6_path_over_months",
];

/// Every part of the package, by name.
fn unzip(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap();
    let mut z = zip::ZipArchive::new(file).expect("deck.pptx is a zip");
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.insert(f.name().to_string(), bytes);
    }
    out
}

fn text(parts: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(
        parts
            .get(name)
            .unwrap_or_else(|| panic!("no part {name}"))
            .clone(),
    )
    .unwrap()
}

/// The `<a:t>` runs of a slide, joined.
fn words(xml: &str) -> String {
    xml.split("<a:t>")
        .skip(1)
        .map(|s| &s[..s.find("</a:t>").unwrap()])
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&amp;", "&")
}

/// `Target` attributes of a relationships part.
fn targets(xml: &str) -> Vec<String> {
    xml.split("Target=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

fn run_with_deck(dir: &Path) -> std::path::PathBuf {
    let o = run_in(
        dir,
        &["run", "--trials", "50", "--quiet", "--deck", "--out", "out"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    dir.join("out")
}

#[test]
fn the_deck_is_a_valid_package_with_every_slide() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_deck(dir.path());
    let j: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let path = out.join("deck.pptx");
    let raw = std::fs::read(&path).unwrap();
    assert_eq!(&raw[..4], b"PK\x03\x04");
    let parts = unzip(&path);
    for p in [
        "[Content_Types].xml",
        "_rels/.rels",
        "ppt/presentation.xml",
        "ppt/_rels/presentation.xml.rels",
        "ppt/slideMasters/slideMaster1.xml",
        "ppt/slideLayouts/slideLayout1.xml",
        "ppt/theme/theme1.xml",
    ] {
        assert!(parts.contains_key(p), "no {p}");
    }
    // Title, answer, one per chart, assumptions.
    let slides = STEMS.len() + 3;
    let presentation = text(&parts, "ppt/presentation.xml");
    assert_eq!(presentation.matches("<p:sldId ").count(), slides);
    // 16:9.
    assert!(presentation.contains("<p:sldSz cx=\"12192000\" cy=\"6858000\"/>"));
    assert_eq!(12_192_000 * 9, 6_858_000 * 16);
    let types = text(&parts, "[Content_Types].xml");
    for i in 1..=slides {
        let name = format!("ppt/slides/slide{i}.xml");
        assert!(parts.contains_key(&name), "no {name}");
        assert!(
            types.contains(&format!("PartName=\"/{name}\"")),
            "{name} has no content type"
        );
    }
    assert!(!parts.contains_key(&format!("ppt/slides/slide{}.xml", slides + 1)));

    // Every relationship points at a part of the package.
    for (name, bytes) in &parts {
        if !name.ends_with(".rels") {
            continue;
        }
        let base = name
            .trim_end_matches(".rels")
            .replace("_rels/", "")
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string());
        for t in targets(std::str::from_utf8(bytes).unwrap()) {
            let mut segs: Vec<&str> = if base.is_empty() {
                Vec::new()
            } else {
                base.split('/').collect()
            };
            for s in t.split('/') {
                if s == ".." {
                    segs.pop();
                } else {
                    segs.push(s);
                }
            }
            let resolved = segs.join("/");
            assert!(parts.contains_key(&resolved), "{name} → {t}: no {resolved}");
        }
    }

    // The title slide names the scenario, trials and seed.
    let title = words(&text(&parts, "ppt/slides/slide1.xml"));
    let name = j["scenario"]["name"].as_str().unwrap();
    assert!(title.contains(name), "{title}");
    assert!(
        title.contains(&format!("{} trials", j["trials"].as_u64().unwrap())),
        "{title}"
    );
    assert!(
        title.contains(&format!("seed {}", j["seed"].as_u64().unwrap())),
        "{title}"
    );
    // The answer names every design and the baseline.
    let answer = words(&text(&parts, "ppt/slides/slide2.xml"));
    for d in j["designs"].as_array().unwrap() {
        assert!(answer.contains(d["name"].as_str().unwrap()), "{answer}");
    }
    assert!(answer.contains("The answer"));
    // One slide per chart, the chart's own PNG full-bleed.
    for (k, stem) in STEMS.iter().enumerate() {
        let n = k + 3;
        let slide = text(&parts, &format!("ppt/slides/slide{n}.xml"));
        assert!(slide.contains("<p:pic>"), "slide {n} has no picture");
        assert!(slide.contains("<a:off x=\"0\" y=\"0\"/><a:ext cx=\"12192000\" cy=\"6858000\"/>"));
        assert!(
            slide.contains("<p:ph type=\"title\"/>"),
            "slide {n} has no title"
        );
        let rels = text(&parts, &format!("ppt/slides/_rels/slide{n}.xml.rels"));
        let image = targets(&rels)
            .into_iter()
            .find(|t| t.starts_with("../media/"))
            .unwrap();
        let media = &parts[&format!("ppt/{}", image.trim_start_matches("../"))];
        let png = std::fs::read(out.join("charts").join(format!("{stem}.png"))).unwrap();
        assert!(*media == png, "slide {n} does not hold {stem}.png");
    }
    // The assumptions: the scenario's channels and every design's heads.
    let last = words(&text(&parts, &format!("ppt/slides/slide{slides}.xml")));
    assert!(last.contains("Key assumptions"));
    for c in j["scenario"]["channels"].as_array().unwrap() {
        assert!(last.contains(c["name"].as_str().unwrap()), "{last}");
    }
    for stage in j["scenario"]["stages"].as_array().unwrap() {
        assert!(last.contains(stage.as_str().unwrap()), "{last}");
    }
    // One font throughout.
    let fonts: std::collections::BTreeSet<String> = parts
        .iter()
        .filter(|(n, _)| n.ends_with(".xml"))
        .flat_map(|(_, b)| {
            let s = String::from_utf8_lossy(b).into_owned();
            s.split("typeface=\"")
                .skip(1)
                .map(|t| t[..t.find('"').unwrap()].to_string())
                .filter(|t| !t.is_empty() && !t.starts_with('+'))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(fonts.len(), 1, "{fonts:?}");
}

#[test]
fn deck_and_plot_from_summary_json_give_the_run_s_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_deck(dir.path());
    let deck = std::fs::read(out.join("deck.pptx")).unwrap();
    let book = std::fs::read(out.join("summary.xlsx")).unwrap();

    let o = run_in(dir.path(), &["deck", "out/summary.json", "--out", "again"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("deck.pptx"));
    assert!(
        std::fs::read(dir.path().join("again/deck.pptx")).unwrap() == deck,
        "covsim deck wrote other bytes than the run"
    );
    let o = run_in(dir.path(), &["plot", "out/summary.json", "--out", "again"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(dir.path().join("again/summary.xlsx")).unwrap() == book,
        "covsim plot wrote another workbook than the run"
    );
    // Beside the results file by default.
    let o = run_in(dir.path(), &["deck", "out/summary.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(out.join("deck.pptx")).unwrap() == deck);

    // Without --deck a run writes no deck; a damaged results file writes nothing.
    let o = run_in(
        dir.path(),
        &["run", "--trials", "20", "--quiet", "--out", "plain"],
    );
    assert!(o.status.success());
    assert!(!dir.path().join("plain/deck.pptx").exists());
    let bad = write(
        dir.path(),
        "bad.json",
        "{\"format_version\": 1, \"designs\": [",
    );
    let o = run_in(
        dir.path(),
        &["deck", bad.to_str().unwrap(), "--out", "nothing"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!dir.path().join("nothing").exists());
}

#[test]
fn a_merged_run_writes_the_unsplit_run_s_deck_and_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_deck(dir.path());
    for shard in ["0/2", "1/2"] {
        let o = run_in(
            dir.path(),
            &[
                "run", "--trials", "50", "--quiet", "--shard", shard, "--out", "parts",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run_in(dir.path(), &["merge", "parts", "--deck", "--out", "merged"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["deck.pptx", "summary.xlsx"] {
        assert!(
            std::fs::read(dir.path().join("merged").join(f)).unwrap()
                == std::fs::read(out.join(f)).unwrap(),
            "merged {f} differs from the unsplit run's"
        );
    }
}
