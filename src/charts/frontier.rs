//! The charts of `covsim optimize`, drawn from its `Outcome` alone: the efficient frontier
//! (mean contribution against mean cost of sales of every design evaluated) and one sizing
//! curve per varied number (the objective along it, the other variables at the chosen values).

use plotters::prelude::{DrawingArea, DrawingBackend, RGBColor};

use super::canvas::*;
use super::{ChartError, Drawing, FOLDER, File, pair};
use crate::optimize::{Entry, Outcome, Profile};

const CHOSEN: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
const FINALIST: RGBColor = RGBColor(0x00, 0x72, 0xb2);
const HAND_MADE: RGBColor = RGBColor(0x00, 0x9e, 0x73);

fn footer(o: &Outcome) -> String {
    format!(
        "covsim {} · scenario {} · optimised from {} · seed {} · {} report trials · {} over {} months",
        o.covsim_version,
        o.scenario,
        o.from,
        o.seed,
        group_thousands(o.report_trials),
        o.currency,
        o.months
    )
}

/// Every chart of an outcome: `charts/frontier.*` and `charts/sizing_<key>.*`.
pub fn render(o: &Outcome) -> Result<Vec<File>, ChartError> {
    let mut files: Vec<File> = pair(FOLDER, "frontier", &Frontier(o))?.into();
    for p in &o.profiles {
        let stem = format!(
            "sizing_{}",
            p.key.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        files.extend(pair(FOLDER, &stem, &Sizing { o, p })?);
    }
    Ok(files)
}

pub struct Frontier<'a>(pub &'a Outcome);

impl Drawing for Frontier<'_> {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError> {
        frontier(&Canvas { area }, self.0)
    }
}

fn frontier<DB: DrawingBackend>(c: &Canvas<DB>, o: &Outcome) -> Result<(), ChartError> {
    let plot = page(
        c,
        &format!(
            "Contribution against cost of sales: {} designs searched from {}",
            o.candidates_evaluated, o.from
        ),
        "Grey: designs the search tried (hollow: fails a constraint); line: the frontier. Blue: finalists, 95% intervals. Diamond: chosen. Green: hand-made.",
        &format!("Contribution, {} over {} months", o.currency, o.months),
        o,
    )?;
    let entries: Vec<&Entry> = o.finalists.iter().chain(&o.hand_made).collect();
    let mut xs: Vec<f64> = o.explored.iter().map(|e| e.cost_of_sales).collect();
    let mut ys: Vec<f64> = o.explored.iter().map(|e| e.contribution).collect();
    xs.extend(
        entries
            .iter()
            .flat_map(|e| [e.cost_of_sales.ci95_low, e.cost_of_sales.ci95_high]),
    );
    ys.extend(
        entries
            .iter()
            .flat_map(|e| [e.contribution.ci95_low, e.contribution.ci95_high]),
    );
    let x = Scale::covering(&xs, false, plot.x0, plot.x1);
    let y = Scale::covering(&ys, false, plot.y1, plot.y0);
    axes(
        c,
        &plot,
        &x,
        &y,
        &format!("Cost of sales, {}", o.currency),
        &money,
    )?;
    for e in &o.explored {
        c.dot(
            (x.at(e.cost_of_sales), y.at(e.contribution)),
            4,
            FAINT,
            e.plausible,
        )?;
    }
    // The frontier: designs no cheaper design beats on contribution.
    let mut pts: Vec<(f64, f64)> = o
        .explored
        .iter()
        .filter(|e| e.plausible)
        .map(|e| (e.cost_of_sales, e.contribution))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut line = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for (cx, cy) in pts {
        if cy > best {
            best = cy;
            line.push((x.at(cx), y.at(cy)));
        }
    }
    c.polyline(&line, MUTED, 3)?;
    // What a label should not cover: every dot drawn, and the labels placed before it.
    let mut dots: Vec<Rect> = o
        .explored
        .iter()
        .map(|e| around((x.at(e.cost_of_sales), y.at(e.contribution)), 5))
        .collect();
    let mut labels = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let hand = e.selection == "hand-made";
        let chosen = o.chosen == Some(i) && !hand;
        let colour = if chosen {
            CHOSEN
        } else if hand {
            HAND_MADE
        } else {
            FINALIST
        };
        let at = (x.at(e.cost_of_sales.mean), y.at(e.contribution.mean));
        dots.push(around(at, if chosen { 15 } else { 9 }));
        c.h_whisker(
            x.at(e.cost_of_sales.ci95_low),
            x.at(e.cost_of_sales.ci95_high),
            at.1,
            6,
            colour,
            2,
        )?;
        c.v_whisker(
            at.0,
            y.at(e.contribution.ci95_high),
            y.at(e.contribution.ci95_low),
            6,
            colour,
            2,
        )?;
        if chosen {
            c.diamond(at, 14, colour)?;
        } else {
            c.dot(at, 8, colour, true)?;
        }
        if chosen || hand {
            // The chosen design's label is placed first.
            let label = format!("{} {}", e.name, value(e.contribution.mean));
            labels.push((!chosen, at, label, colour));
        }
    }
    labels.sort_by_key(|l| l.0);
    let mut placed: Vec<Rect> = Vec::new();
    for (_, at, label, colour) in labels {
        let font = VALUE.with_colour(colour);
        let (w, h) = c.measure(&label, font);
        let r = place(at, (w, h), &plot, &dots, &placed);
        if !touches(&around(at, 16), &r) {
            // A leader line from the mark to the nearest point of its label.
            let to = (at.0.clamp(r.x0, r.x1), at.1.clamp(r.y0, r.y1));
            c.line(at, to, colour, 1)?;
        }
        c.text(&label, (r.x0, (r.y0 + r.y1) / 2), font, LEFT_MID)?;
        placed.push(r);
    }
    Ok(())
}

/// The square of half-side `r` around a point.
fn around((x, y): (i32, i32), r: i32) -> Rect {
    Rect {
        x0: x - r,
        y0: y - r,
        x1: x + r,
        y1: y + r,
    }
}

fn touches(a: &Rect, b: &Rect) -> bool {
    a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

/// Where a label of size `(w, h)` for the mark at `at` goes: greedy, the first of rings of
/// places around the mark (right, left, above, below, then the diagonals; each ring 36 px
/// further out) that stays in the plot and covers no label already placed, preferring places
/// that cover few dots (a dot costs 2.5 rings). Deterministic: the same marks, the same places.
fn place(at: (i32, i32), (w, h): (i32, i32), plot: &Rect, dots: &[Rect], placed: &[Rect]) -> Rect {
    let mut best: Option<(i64, Rect)> = None;
    for ring in 0..8i32 {
        let d = 18 + 36 * ring;
        let e = d * 7 / 10;
        let spots = [
            (at.0 + d, at.1 - h / 2),
            (at.0 - d - w, at.1 - h / 2),
            (at.0 - w / 2, at.1 - d - h),
            (at.0 - w / 2, at.1 + d),
            (at.0 + e, at.1 - e - h),
            (at.0 + e, at.1 + e),
            (at.0 - e - w, at.1 - e - h),
            (at.0 - e - w, at.1 + e),
        ];
        for (k, (x0, y0)) in spots.into_iter().enumerate() {
            let r = Rect {
                x0,
                y0,
                x1: x0 + w,
                y1: y0 + h,
            };
            if r.x0 < plot.x0 || r.x1 > plot.x1 || r.y0 < plot.y0 || r.y1 > plot.y1 {
                continue;
            }
            if placed.iter().any(|p| touches(p, &r)) {
                continue;
            }
            let covered = dots.iter().filter(|d| touches(d, &r)).count() as i64;
            let cost = covered * 25 + (ring as i64) * 10 + k as i64;
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, r));
            }
        }
    }
    best.map(|(_, r)| r).unwrap_or(Rect {
        x0: at.0 + 18,
        y0: at.1 - h / 2,
        x1: at.0 + 18 + w,
        y1: at.1 + h / 2,
    })
}

/// Page, footer and the y axis title; returns the plot area.
fn page<DB: DrawingBackend>(
    c: &Canvas<DB>,
    title: &str,
    subtitle: &str,
    y_title: &str,
    o: &Outcome,
) -> Result<Rect, ChartError> {
    let body = c.page(title, subtitle, &footer(o))?;
    c.text(
        y_title,
        (body.x0, body.y0),
        LABEL.with_colour(MUTED),
        LEFT_TOP,
    )?;
    Ok(Rect {
        x0: body.x0 + 130,
        y0: body.y0 + 50,
        x1: body.x1 - 40,
        y1: body.y1 - 90,
    })
}

fn axes<DB: DrawingBackend>(
    c: &Canvas<DB>,
    plot: &Rect,
    x: &Scale,
    y: &Scale,
    x_title: &str,
    x_label: &dyn Fn(f64) -> String,
) -> Drawn {
    for t in y.ticks() {
        let py = y.at(t);
        c.line((plot.x0, py), (plot.x1, py), RULE, 1)?;
        c.text(&money(t), (plot.x0 - 14, py), TICK, RIGHT_MID)?;
    }
    for t in x.ticks() {
        if t < x.lo - 1e-9 || t > x.hi + 1e-9 {
            continue;
        }
        let px = x.at(t);
        c.line((px, plot.y1), (px, plot.y1 + 8), FAINT, 2)?;
        c.text(&x_label(t), (px, plot.y1 + 14), TICK, CENTRE_TOP)?;
    }
    c.line((plot.x0, plot.y1), (plot.x1, plot.y1), FAINT, 2)?;
    c.text(
        x_title,
        ((plot.x0 + plot.x1) / 2, plot.y1 + 50),
        LABEL.with_colour(MUTED),
        CENTRE_TOP,
    )
}

pub struct Sizing<'a> {
    pub o: &'a Outcome,
    pub p: &'a Profile,
}

impl Drawing for Sizing<'_> {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError> {
        sizing(&Canvas { area }, self.o, self.p)
    }
}

fn sizing<DB: DrawingBackend>(c: &Canvas<DB>, o: &Outcome, p: &Profile) -> Result<(), ChartError> {
    let plot = page(
        c,
        &format!(
            "Sizing: {} as `{}` varies, other choices as chosen",
            o.objective, p.key
        ),
        "Line: mean over the first report trials. Band: P5–P95 of trials. Dashed: the chosen value. Constraints not applied along the curve.",
        &format!("{}, {} over {} months", o.objective, o.currency, o.months),
        o,
    )?;
    let ys: Vec<f64> = p.points.iter().flat_map(|q| [q.2, q.3, q.1]).collect();
    let y = Scale::covering(&ys, false, plot.y1, plot.y0);
    let lo = p.points.first().map_or(0.0, |q| q.0);
    let hi = p.points.last().map_or(1.0, |q| q.0);
    let mut x = Scale::covering(&[lo, hi], false, plot.x0, plot.x1);
    if hi > lo {
        (x.lo, x.hi) = (lo, hi);
    }
    axes(c, &plot, &x, &y, &format!("`{}`", p.key), &|t| {
        format!("{t}")
    })?;
    let band: Vec<(i32, i32, i32, i32)> = p
        .points
        .iter()
        .map(|q| (x.at(q.0), y.at(q.1), y.at(q.2), y.at(q.3)))
        .collect();
    c.band(&band, FINALIST, 0.16)?;
    let line: Vec<(i32, i32)> = p.points.iter().map(|q| (x.at(q.0), y.at(q.1))).collect();
    c.polyline(&line, FINALIST, 5)?;
    let px = x.at(p.chosen);
    c.v_dashed(px, plot.y0, plot.y1, INK)?;
    if let Some(q) = p.points.iter().find(|q| q.0 == p.chosen) {
        c.diamond((px, y.at(q.1)), 14, CHOSEN)?;
        c.text(
            &format!("chosen {} → {}", q.0, value(q.1)),
            (px + 16, y.at(q.1) - 16),
            VALUE.with_colour(CHOSEN),
            LEFT_BOTTOM,
        )?;
    }
    Ok(())
}
