//! The path over months: on the left, monthly contribution per design (mean line, band of the
//! middle 90% of trials); on the right, each design's cumulative contribution minus the
//! baseline's, paired by trial, with the payback month and its 90% interval.

use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::metrics::monthly;
use crate::results::{Band, Results};

pub fn draw<DB: DrawingBackend>(c: &Canvas<DB>, r: &Results) -> Result<(), ChartError> {
    let months = r.scenario.months as usize;
    let subtitle = payback_subtitle(r);
    let title = if r.designs.iter().any(|d| d.transition_from.is_some()) {
        "The path over months: what the transition costs and when it pays back"
    } else {
        "The path over months: contribution each month, and the lead it builds"
    };
    let body = c.frame(r, title, &subtitle)?;
    if r.monthly.is_empty() {
        return c.empty(
            body,
            "These results have no monthly figures: run the scenario again.",
        );
    }
    let legend_h = c.legend(r, body.x0, body.y0)?;
    let top = body.y0 + legend_h + 30;
    let mid = (body.x0 + body.x1) / 2;
    let left = Rect {
        x0: body.x0 + 120,
        y0: top + 56,
        x1: mid - 60,
        y1: body.y1 - 80,
    };
    let right = Rect {
        x0: mid + 120,
        y0: top + 56,
        x1: body.x1 - 20,
        y1: body.y1 - 80,
    };
    let cur = &r.scenario.currency;
    c.text(
        &format!("Contribution each month, {cur}"),
        (body.x0, top),
        LABEL.with_colour(MUTED),
        LEFT_TOP,
    )?;
    c.text(
        &format!("Cumulative contribution minus {}'s, {cur}", r.baseline),
        (mid + 60, top),
        LABEL.with_colour(MUTED),
        LEFT_TOP,
    )?;

    // Left: monthly contribution.
    let series: Vec<(usize, &[Band])> = (0..r.designs.len())
        .filter_map(|d| {
            let m = r.monthly_of(d)?;
            Some((d, m.metrics.get(monthly::CONTRIBUTION)?.months.as_slice()))
        })
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, b)| b.iter().flat_map(|x| [x.p5, x.p95]))
        .collect();
    draw_panel(c, r, left, &ys, months, &series)?;

    // Right: cumulative difference against the baseline, with the payback months.
    let series: Vec<(usize, &[Band])> = (0..r.designs.len())
        .filter_map(|d| {
            let m = r.monthly_of(d)?;
            (!m.cumulative_vs_baseline.is_empty())
                .then_some((d, m.cumulative_vs_baseline.as_slice()))
        })
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, b)| b.iter().flat_map(|x| [x.p5, x.p95]))
        .chain([0.0])
        .collect();
    let (x, y) = draw_panel(c, r, right, &ys, months, &series)?;
    c.line((right.x0, y.at(0.0)), (right.x1, y.at(0.0)), INK, 2)?;
    c.text(
        &format!("{} (baseline)", r.baseline),
        (right.x0 + 8, y.at(0.0) - 6),
        TICK,
        LEFT_BOTTOM,
    )?;
    for (i, (d, _)) in series.iter().enumerate() {
        let Some(p) = r.monthly_of(*d).and_then(|m| m.payback.as_ref()) else {
            continue;
        };
        let colour = design_colour(r, *d);
        let Some(p50) = p.p50 else {
            continue;
        };
        let at = |m: u32| x.at(m as f64);
        let py = y.at(0.0) + 22 + 26 * i as i32;
        let lo = p.p5.map_or(at(p50), at);
        let hi = p.p95.map_or(right.x1, at);
        c.h_whisker(lo, hi, py, 8, colour, 3)?;
        c.diamond((at(p50), y.at(0.0)), 11, colour)?;
        c.dot((at(p50), py), 6, colour, true)?;
    }
    Ok(())
}

/// Axes, bands and mean lines of one panel; months 1..=`months` across.
fn draw_panel<DB: DrawingBackend>(
    c: &Canvas<DB>,
    r: &Results,
    plot: Rect,
    ys: &[f64],
    months: usize,
    series: &[(usize, &[Band])],
) -> Result<(Scale, Scale), ChartError> {
    let y = Scale::covering(ys, true, plot.y1, plot.y0);
    let mut x = Scale::covering(&[1.0, months as f64], false, plot.x0, plot.x1);
    (x.lo, x.hi) = (1.0, months.max(2) as f64);
    for t in y.ticks() {
        let py = y.at(t);
        c.line((plot.x0, py), (plot.x1, py), RULE, 1)?;
        c.text(&money(t), (plot.x0 - 14, py), TICK, RIGHT_MID)?;
    }
    let every = months.div_ceil(12).max(1);
    for m in (1..=months).filter(|m| (m - 1) % every == 0 || *m == months) {
        let px = x.at(m as f64);
        c.line((px, plot.y1), (px, plot.y1 + 8), FAINT, 2)?;
        c.text(&m.to_string(), (px, plot.y1 + 14), TICK, CENTRE_TOP)?;
    }
    c.line((plot.x0, plot.y1), (plot.x1, plot.y1), FAINT, 2)?;
    c.text(
        "month",
        ((plot.x0 + plot.x1) / 2, plot.y1 + 46),
        LABEL.with_colour(MUTED),
        CENTRE_TOP,
    )?;
    let points = |bands: &[Band]| -> Vec<(i32, i32, i32, i32)> {
        bands
            .iter()
            .enumerate()
            .map(|(m, b)| (x.at(m as f64 + 1.0), y.at(b.mean), y.at(b.p5), y.at(b.p95)))
            .collect()
    };
    for (d, bands) in series {
        c.band(&points(bands), design_colour(r, *d))?;
    }
    for (d, bands) in series {
        let line: Vec<(i32, i32)> = points(bands).iter().map(|p| (p.0, p.1)).collect();
        c.polyline(&line, design_colour(r, *d), 4)?;
    }
    Ok((x, y))
}

/// The payback of the design the decision rests on, in words.
fn payback_subtitle(r: &Results) -> String {
    let Some((d, _)) = r.deciding_pair() else {
        return "Lines: mean. Bands: the middle 90% of trials.".into();
    };
    let name = &r.designs[d].name;
    let lead = "Lines: mean; bands: middle 90% of trials.";
    let p = r.monthly_of(d).and_then(|m| m.payback.as_ref());
    match p.map(|p| (p.p50, p.p5, p.p95)) {
        Some((Some(m), lo, hi)) => format!(
            "{lead} Diamonds: payback month (median), whiskers: 90% interval. {name}: month {m} ({}–{}).",
            lo.unwrap_or(m),
            hi.map_or("later".to_string(), |x| x.to_string())
        ),
        Some((None, _, _)) => {
            format!("{lead} {}.", crate::words::no_payback(name))
        }
        None => lead.to_string(),
    }
}
