//! `deck.pptx`: a ready slide deck of a run — a title slide (scenario, trials, seed), the answer
//! in plain words, one full-bleed slide per chart (the 1920×1080 PNGs, each titled), and the
//! key assumptions. 16:9, one font. The package is minimal Office Open XML written here and
//! zipped with fixed timestamps and ids, so the same results give the same bytes.

use std::fmt::Write as _;
use std::io::Write as _;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::tables;
use crate::results::Results;

pub const FILE_NAME: &str = "deck.pptx";

/// The one typeface of the deck, present wherever Office is.
const FONT: &str = "Arial";
/// 16:9 in EMU (13.333 in × 7.5 in).
const W: i64 = 12_192_000;
const H: i64 = 6_858_000;
const INK: &str = "222222";
const MUTED: &str = "5F5F5F";
const ACCENT: &str = "0072B2";

/// A chart for its slide: the title and the PNG.
pub struct ChartSlide<'a> {
    pub title: &'a str,
    pub png: &'a [u8],
}

/// Renders the deck of `r` with its charts, in the order given.
pub fn render(r: &Results, charts: &[ChartSlide]) -> Result<Vec<u8>, String> {
    package(r, charts).map_err(|e| format!("cannot build deck.pptx: {e}"))
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => o.push(c),
        }
    }
    o
}

const NS: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// One paragraph of a text box.
struct Para {
    text: String,
    size: u32,
    bold: bool,
    colour: &'static str,
    bullet: bool,
}

fn para(text: impl Into<String>, size: u32) -> Para {
    Para {
        text: text.into(),
        size,
        bold: false,
        colour: INK,
        bullet: false,
    }
}

/// A text box at (x, y) of size (w, h) in EMU; `title` makes it the slide's title placeholder.
fn text_box(
    id: u32,
    name: &str,
    (x, y, w, h): (i64, i64, i64, i64),
    paras: &[Para],
    title: bool,
) -> String {
    let mut o = String::new();
    let ph = if title {
        "<p:nvPr><p:ph type=\"title\"/></p:nvPr>"
    } else {
        "<p:nvPr/>"
    };
    let _ = write!(
        o,
        "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{}\"/><p:cNvSpPr{}/>{ph}</p:nvSpPr><p:spPr><a:xfrm><a:off x=\"{x}\" y=\"{y}\"/><a:ext cx=\"{w}\" cy=\"{h}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:noFill/></p:spPr><p:txBody><a:bodyPr wrap=\"square\" lIns=\"0\" tIns=\"0\" rIns=\"0\" bIns=\"0\" anchor=\"t\"><a:noAutofit/></a:bodyPr><a:lstStyle/>",
        esc(name),
        if title { "" } else { " txBox=\"1\"" }
    );
    for (i, p) in paras.iter().enumerate() {
        // A heading inside a text box stands apart from what precedes it.
        let before = if p.bold && i > 0 {
            p.size * 90
        } else {
            p.size * 30
        };
        let bullet = if p.bullet {
            format!(
                "<a:pPr marL=\"342900\" indent=\"-342900\"><a:spcBef><a:spcPts val=\"{}\"/></a:spcBef><a:buFont typeface=\"{FONT}\"/><a:buChar char=\"•\"/></a:pPr>",
                before
            )
        } else {
            format!(
                "<a:pPr><a:spcBef><a:spcPts val=\"{}\"/></a:spcBef><a:buNone/></a:pPr>",
                before
            )
        };
        let _ = write!(
            o,
            "<a:p>{bullet}<a:r><a:rPr lang=\"en-US\" sz=\"{}\" b=\"{}\" dirty=\"0\"><a:solidFill><a:srgbClr val=\"{}\"/></a:solidFill><a:latin typeface=\"{FONT}\"/><a:cs typeface=\"{FONT}\"/></a:rPr><a:t>{}</a:t></a:r></a:p>",
            p.size * 100,
            u8::from(p.bold),
            p.colour,
            esc(&p.text)
        );
    }
    o.push_str("</p:txBody></p:sp>");
    o
}

fn slide_xml(shapes: &str) -> String {
    format!(
        "{XML}<p:sld {NS}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>{shapes}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
    )
}

/// Margins of text slides.
const M: i64 = 640_080;

/// A slide with a title and body text in one or two columns.
fn text_slide(title: &str, columns: &[Vec<Para>]) -> String {
    let mut shapes = text_box(
        2,
        "Title",
        (M, 420_000, W - 2 * M, 800_000),
        &[Para {
            bold: true,
            ..para(title, 32)
        }],
        true,
    );
    let gap = 400_000;
    let n = columns.len().max(1) as i64;
    let cw = (W - 2 * M - (n - 1) * gap) / n;
    for (i, paras) in columns.iter().enumerate() {
        shapes.push_str(&text_box(
            3 + i as u32,
            &format!("Text {}", i + 1),
            (
                M + i as i64 * (cw + gap),
                1_350_000,
                cw,
                H - 1_350_000 - 500_000,
            ),
            paras,
            false,
        ));
    }
    slide_xml(&shapes)
}

/// A chart slide: the title placeholder (for the outline and screen readers) under the
/// full-bleed picture, whose own title shows.
fn chart_slide(title: &str) -> String {
    let mut shapes = text_box(
        2,
        "Title",
        (M, 200_000, W - 2 * M, 600_000),
        &[Para {
            bold: true,
            ..para(title, 28)
        }],
        true,
    );
    let _ = write!(
        shapes,
        "<p:pic><p:nvPicPr><p:cNvPr id=\"3\" name=\"Chart\" descr=\"{}\"/><p:cNvPicPr><a:picLocks noChangeAspect=\"1\"/></p:cNvPicPr><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed=\"rId2\"/><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{W}\" cy=\"{H}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr></p:pic>",
        esc(title)
    );
    slide_xml(&shapes)
}

/// Size of body text so that `lines` lines (about) fit the body box.
fn body_size(lines: usize) -> u32 {
    match lines {
        0..=9 => 20,
        10..=12 => 18,
        13..=15 => 16,
        16..=18 => 14,
        19..=22 => 12,
        _ => 10,
    }
}

fn heading(text: &str) -> Para {
    Para {
        bold: true,
        colour: ACCENT,
        ..para(text, 20)
    }
}

fn bullet(text: String) -> Para {
    Para {
        bullet: true,
        ..para(text, 20)
    }
}

fn title_slide(r: &Results) -> String {
    let s = &r.scenario;
    let facts = super::facts(r);
    let designs: Vec<&str> = r.designs.iter().map(|d| d.name.as_str()).collect();
    let mut shapes = format!(
        "<p:sp><p:nvSpPr><p:cNvPr id=\"4\" name=\"Band\"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{W}\" cy=\"180000\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val=\"{ACCENT}\"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr></p:sp>"
    );
    shapes.push_str(&text_box(
        2,
        "Title",
        (M, 2_000_000, W - 2 * M, 1_300_000),
        &[Para {
            bold: true,
            ..para(crate::words::run_title(&s.name), 40)
        }],
        true,
    ));
    shapes.push_str(&text_box(
        3,
        "Subtitle",
        (M, 3_400_000, W - 2 * M, 2_000_000),
        &[
            para(facts, 22),
            Para {
                colour: MUTED,
                ..para(
                    format!("Designs: {} · baseline: {}", designs.join(", "), r.baseline),
                    18,
                )
            },
            Para {
                colour: MUTED,
                ..para(
                    format!(
                        "covsim {} · scenario hash {}",
                        r.covsim_version,
                        &s.hash[..s.hash.len().min(16)]
                    ),
                    14,
                )
            },
        ],
        false,
    ));
    slide_xml(&shapes)
}

fn answer_slide(r: &Results) -> String {
    let mut paras = vec![para(super::answer(r), 22)];
    paras.push(Para {
        bold: true,
        colour: ACCENT,
        ..para(
            format!(
                "Contribution over {} months, {} (mean and 95% interval) · Δ vs {}, paired · share of trials ahead",
                r.scenario.months, r.scenario.currency, r.baseline
            ),
            16,
        )
    });
    let t = tables::headline(r);
    let (contribution, delta, share) = (4, 5, 6);
    for (d, row) in t.rows.iter().enumerate() {
        let cell = |c: usize| row[c].text(("[", ", ", "]"));
        paras.push(bullet(if d == r.baseline_index() {
            format!("{}: {} (the baseline)", cell(0), cell(contribution))
        } else {
            format!(
                "{}: {} · {} · {} of trials ahead",
                cell(0),
                cell(contribution),
                cell(delta),
                cell(share)
            )
        }));
    }
    for p in paras.iter_mut().skip(2) {
        p.size = 18;
    }
    text_slide("The answer", &[paras])
}

fn assumptions_slide(r: &Results) -> String {
    let s = &r.scenario;
    let mut left = vec![heading("Scenario")];
    left.push(bullet(format!(
        "{} accounts over a {}-month horizon, amounts in {}",
        super::thousands(s.accounts as f64),
        s.months,
        s.currency
    )));
    let tiers: Vec<String> = s
        .tiers
        .iter()
        .map(|t| {
            format!(
                "{} ({} accounts, {} potential a year)",
                t.name,
                super::thousands(t.accounts as f64),
                super::compact(t.potential_per_year)
            )
        })
        .collect();
    left.push(bullet(format!("Tiers: {}", tiers.join("; "))));
    let channels: Vec<String> = s
        .channels
        .iter()
        .map(|c| format!("{} ({})", c.name, c.kind))
        .collect();
    left.push(bullet(format!(
        "Channels and roles: {}",
        channels.join(", ")
    )));
    left.push(bullet(format!("Sales stages: {}", s.stages.join(" → "))));
    left.push(heading("Designs (heads per role)"));
    for d in &r.designs {
        let heads: Vec<String> = s
            .channels
            .iter()
            .zip(&d.headcount)
            .filter(|(_, h)| **h > 0.0)
            .map(|(c, h)| format!("{} {h}", c.name))
            .collect();
        let mut line = format!("{}: {}", d.name, heads.join(", "));
        if d.is_baseline {
            line.push_str(" (baseline)");
        }
        if let Some(from) = &d.transition_from {
            let _ = write!(line, " — {}", crate::words::transition_from(from, &d.steps));
        }
        left.push(bullet(line));
    }
    let mut right = vec![heading("Uncertain inputs")];
    if r.inputs.is_empty() {
        right.push(bullet(format!(
            "None: every input is a fixed number; the spread comes from the {}s alone.",
            crate::words::one_trial(r.scenario.months)
        )));
    } else {
        for i in &r.inputs {
            right.push(bullet(format!(
                "{}: {}, P10 {} · median {} · P90 {} (correlation with the deciding difference {:+.2})",
                i.path,
                i.distribution,
                crate::format::param(i.p10),
                crate::format::param(i.median),
                crate::format::param(i.p90),
                i.correlation
            )));
        }
    }
    right.push(heading("How it was run"));
    right.push(bullet(format!(
        "{} (trials), seed {}; every design meets the same accounts and random events in each trial",
        crate::words::simulated(r.trials, r.scenario.months),
        r.seed
    )));
    if let Some(p) = &r.precision {
        right.push(bullet(format!(
            "Run to a precision of ±{:.2}% of the baseline's contribution (reached ±{:.2}%)",
            100.0 * p.target,
            100.0 * p.reached
        )));
    }
    // Long bullets wrap: count about two lines each in the narrow columns.
    let lines = |ps: &[Para]| -> usize { ps.iter().map(|p| 1 + p.text.chars().count() / 60).sum() };
    let (l, rr) = (lines(&left), lines(&right));
    let size = body_size(l.max(rr));
    let fit = |ps: Vec<Para>| -> Vec<Para> {
        ps.into_iter()
            .map(|p| Para {
                size: if p.bold { size + 2 } else { size },
                ..p
            })
            .collect()
    };
    let (left, right) = (fit(left), fit(right));
    text_slide("Key assumptions", &[left, right])
}

fn rels(items: &[(String, &str, String)]) -> String {
    let mut o = format!(
        "{XML}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    );
    for (id, kind, target) in items {
        let _ = write!(
            o,
            "<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{}\"/>",
            esc(target)
        );
    }
    o.push_str("</Relationships>");
    o
}

const THEME: &str = r#"<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="covsim"><a:themeElements><a:clrScheme name="covsim"><a:dk1><a:srgbClr val="222222"/></a:dk1><a:lt1><a:srgbClr val="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="5F5F5F"/></a:dk2><a:lt2><a:srgbClr val="E4E4E4"/></a:lt2><a:accent1><a:srgbClr val="0072B2"/></a:accent1><a:accent2><a:srgbClr val="E69F00"/></a:accent2><a:accent3><a:srgbClr val="009E73"/></a:accent3><a:accent4><a:srgbClr val="D55E00"/></a:accent4><a:accent5><a:srgbClr val="CC79A7"/></a:accent5><a:accent6><a:srgbClr val="56B4E9"/></a:accent6><a:hlink><a:srgbClr val="0072B2"/></a:hlink><a:folHlink><a:srgbClr val="CC79A7"/></a:folHlink></a:clrScheme><a:fontScheme name="covsim"><a:majorFont><a:latin typeface="Arial"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Arial"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="covsim"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst><a:lnStyleLst><a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="25400"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="38100"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln></a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"#;

fn master() -> String {
    let title = text_box(
        2,
        "Title Placeholder",
        (M, 420_000, W - 2 * M, 800_000),
        &[para("Title", 32)],
        true,
    );
    format!(
        "{XML}<p:sldMaster {NS}><p:cSld><p:bg><p:bgPr><a:solidFill><a:srgbClr val=\"FFFFFF\"/></a:solidFill><a:effectLst/></p:bgPr></p:bg><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>{title}</p:spTree></p:cSld><p:clrMap bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\" accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\" folHlink=\"folHlink\"/><p:sldLayoutIdLst><p:sldLayoutId id=\"2147483649\" r:id=\"rId1\"/></p:sldLayoutIdLst><p:txStyles><p:titleStyle><a:lvl1pPr><a:defRPr sz=\"3200\" b=\"1\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill><a:latin typeface=\"+mj-lt\"/></a:defRPr></a:lvl1pPr></p:titleStyle><p:bodyStyle><a:lvl1pPr><a:defRPr sz=\"2000\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill><a:latin typeface=\"+mn-lt\"/></a:defRPr></a:lvl1pPr></p:bodyStyle><p:otherStyle><a:lvl1pPr><a:defRPr sz=\"1800\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill><a:latin typeface=\"+mn-lt\"/></a:defRPr></a:lvl1pPr></p:otherStyle></p:txStyles></p:sldMaster>"
    )
}

fn layout() -> String {
    let title = text_box(
        2,
        "Title 1",
        (M, 420_000, W - 2 * M, 800_000),
        &[para("Title", 32)],
        true,
    );
    format!(
        "{XML}<p:sldLayout {NS} type=\"titleOnly\" preserve=\"1\"><p:cSld name=\"Title Only\"><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>{title}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"
    )
}

fn package(r: &Results, charts: &[ChartSlide]) -> zip::result::ZipResult<Vec<u8>> {
    // Slides in order: title, answer, one per chart, assumptions.
    let mut slides: Vec<(String, Option<&[u8]>)> =
        vec![(title_slide(r), None), (answer_slide(r), None)];
    for c in charts {
        slides.push((chart_slide(c.title), Some(c.png)));
    }
    slides.push((assumptions_slide(r), None));

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut types = format!(
        "{XML}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Default Extension=\"png\" ContentType=\"image/png\"/><Override PartName=\"/ppt/presentation.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml\"/><Override PartName=\"/ppt/slideMasters/slideMaster1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml\"/><Override PartName=\"/ppt/slideLayouts/slideLayout1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml\"/><Override PartName=\"/ppt/theme/theme1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.theme+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/><Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
    );
    for i in 1..=slides.len() {
        let _ = write!(
            types,
            "<Override PartName=\"/ppt/slides/slide{i}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slide+xml\"/>"
        );
    }
    types.push_str("</Types>");
    files.push(("[Content_Types].xml".into(), types.into_bytes()));
    files.push((
        "_rels/.rels".into(),
        rels(&[
            ("rId1".into(), &format!("{REL}/officeDocument"), "ppt/presentation.xml".into()),
            (
                "rId2".into(),
                "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                "docProps/core.xml".into(),
            ),
            ("rId3".into(), &format!("{REL}/extended-properties"), "docProps/app.xml".into()),
        ])
        .into_bytes(),
    ));
    // Fixed dates: the same results give the same bytes.
    files.push((
        "docProps/core.xml".into(),
        format!(
            "{XML}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>covsim</dc:creator><dcterms:created xsi:type=\"dcterms:W3CDTF\">2000-01-01T00:00:00Z</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">2000-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>",
            esc(&crate::words::run_title(&r.scenario.name))
        )
        .into_bytes(),
    ));
    files.push((
        "docProps/app.xml".into(),
        format!(
            "{XML}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>covsim {}</Application><Slides>{}</Slides><PresentationFormat>Widescreen</PresentationFormat></Properties>",
            esc(&r.covsim_version),
            slides.len()
        )
        .into_bytes(),
    ));
    let mut pres_rels = vec![
        (
            "rId1".to_string(),
            "",
            "slideMasters/slideMaster1.xml".to_string(),
        ),
        ("rId2".to_string(), "", "theme/theme1.xml".to_string()),
    ];
    let mut ids = String::new();
    for i in 1..=slides.len() {
        pres_rels.push((format!("rId{}", i + 2), "", format!("slides/slide{i}.xml")));
        let _ = write!(ids, "<p:sldId id=\"{}\" r:id=\"rId{}\"/>", 255 + i, i + 2);
    }
    let master_type = format!("{REL}/slideMaster");
    let theme_type = format!("{REL}/theme");
    let slide_type = format!("{REL}/slide");
    let pres_rels: Vec<(String, &str, String)> = pres_rels
        .into_iter()
        .enumerate()
        .map(|(k, (id, _, target))| {
            let kind = match k {
                0 => master_type.as_str(),
                1 => theme_type.as_str(),
                _ => slide_type.as_str(),
            };
            (id, kind, target)
        })
        .collect();
    files.push((
        "ppt/presentation.xml".into(),
        format!(
            "{XML}<p:presentation {NS} saveSubsetFonts=\"1\"><p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx=\"{W}\" cy=\"{H}\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/></p:presentation>"
        )
        .into_bytes(),
    ));
    files.push((
        "ppt/_rels/presentation.xml.rels".into(),
        rels(&pres_rels).into_bytes(),
    ));
    files.push((
        "ppt/theme/theme1.xml".into(),
        format!("{XML}{THEME}").into_bytes(),
    ));
    files.push((
        "ppt/slideMasters/slideMaster1.xml".into(),
        master().into_bytes(),
    ));
    files.push((
        "ppt/slideMasters/_rels/slideMaster1.xml.rels".into(),
        rels(&[
            (
                "rId1".into(),
                &format!("{REL}/slideLayout"),
                "../slideLayouts/slideLayout1.xml".into(),
            ),
            ("rId2".into(), &theme_type, "../theme/theme1.xml".into()),
        ])
        .into_bytes(),
    ));
    files.push((
        "ppt/slideLayouts/slideLayout1.xml".into(),
        layout().into_bytes(),
    ));
    files.push((
        "ppt/slideLayouts/_rels/slideLayout1.xml.rels".into(),
        rels(&[(
            "rId1".into(),
            &master_type,
            "../slideMasters/slideMaster1.xml".into(),
        )])
        .into_bytes(),
    ));
    let layout_type = format!("{REL}/slideLayout");
    let image_type = format!("{REL}/image");
    let mut media = 0;
    let mut images = Vec::new();
    for (i, (xml, png)) in slides.into_iter().enumerate() {
        let n = i + 1;
        let mut items = vec![(
            "rId1".to_string(),
            layout_type.as_str(),
            "../slideLayouts/slideLayout1.xml".to_string(),
        )];
        if let Some(png) = png {
            media += 1;
            let name = format!("image{media}.png");
            items.push((
                "rId2".to_string(),
                image_type.as_str(),
                format!("../media/{name}"),
            ));
            images.push((format!("ppt/media/{name}"), png.to_vec()));
        }
        files.push((format!("ppt/slides/slide{n}.xml"), xml.into_bytes()));
        files.push((
            format!("ppt/slides/_rels/slide{n}.xml.rels"),
            rels(&items).into_bytes(),
        ));
    }
    files.extend(images);

    let mut z = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let fixed = DateTime::default();
    for (name, bytes) in &files {
        // PNGs are compressed already: store them.
        let method = if name.ends_with(".png") {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(fixed)
            .unix_permissions(0o644);
        z.start_file(name.as_str(), opts)?;
        z.write_all(bytes)?;
    }
    Ok(z.finish()?.into_inner())
}
