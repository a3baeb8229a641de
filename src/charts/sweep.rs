//! Sweep charts: one metric per chart, one line per design (mean) with its band (the middle
//! 90% of trials) across the swept values, and the break-even points found.

use crate::metrics::Metric;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::canvas::*;
use super::{ChartError, Drawing};
use crate::format::param as fmt;
use crate::sweep::Sweep;

/// The metrics a sweep draws, with their titles.
pub const METRICS: [(&str, &str); 4] = [
    (Metric::Contribution.key(), "Contribution"),
    (Metric::Revenue.key(), "Revenue"),
    (Metric::GrossMargin.key(), "Gross margin"),
    (Metric::CostOfSales.key(), "Cost of sales"),
];

pub struct SweepChart<'a> {
    pub sweep: &'a Sweep,
    pub metric: &'a str,
    pub label: &'a str,
}

impl Drawing for SweepChart<'_> {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError> {
        draw(&Canvas { area }, self)
    }
}

fn draw<DB: DrawingBackend>(c: &Canvas<DB>, s: &SweepChart) -> Result<(), ChartError> {
    let sweep = s.sweep;
    let Some(first) = sweep.points.first() else {
        return Err(ChartError("a sweep without points".into()));
    };
    let r = &first.results;
    let body = c.frame(
        r,
        &format!(
            "{} as `{}` varies, {} trials per point",
            s.label,
            sweep.param,
            group_thousands(r.trials)
        ),
        "Lines: mean. Bands: the middle 90% of trials. The same random events at every point. Dashed: break-even, shaded: its 95% interval.",
    )?;
    let legend_h = c.legend(r, body.x0, body.y0)?;
    let axis_title_y = body.y0 + legend_h + 30;
    c.text(
        &format!(
            "{}, {} over {} months",
            s.label, r.scenario.currency, r.scenario.months
        ),
        (body.x0, axis_title_y),
        LABEL.with_colour(MUTED),
        LEFT_TOP,
    )?;
    let plot = Rect {
        x0: body.x0 + 130,
        y0: axis_title_y + 56,
        x1: body.x1 - 20,
        y1: body.y1 - 90,
    };
    let xs: Vec<f64> = sweep.points.iter().map(|p| p.value).collect();
    let mut ys = Vec::new();
    for p in &sweep.points {
        for d in 0..p.results.designs.len() {
            if let Some(st) = p.results.stat(d, s.metric) {
                ys.extend([st.p5, st.p95, st.mean]);
            }
        }
    }
    let y = Scale::covering(&ys, false, plot.y1, plot.y0);
    let x = {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sc = Scale::covering(&[lo, hi], false, plot.x0, plot.x1);
        if hi > lo {
            (sc.lo, sc.hi) = (lo, hi);
        }
        sc
    };
    for t in y.ticks() {
        let py = y.at(t);
        c.line((plot.x0, py), (plot.x1, py), RULE, 1)?;
        c.text(&money(t), (plot.x0 - 14, py), TICK, RIGHT_MID)?;
    }
    for t in x.ticks() {
        if t < x.lo - 1e-12 || t > x.hi + 1e-12 {
            continue;
        }
        let px = x.at(t);
        c.line((px, plot.y1), (px, plot.y1 + 8), FAINT, 2)?;
        c.text(&fmt(t), (px, plot.y1 + 14), TICK, CENTRE_TOP)?;
    }
    c.line((plot.x0, plot.y1), (plot.x1, plot.y1), FAINT, 2)?;
    c.text(
        &format!("`{}`", sweep.param),
        ((plot.x0 + plot.x1) / 2, plot.y1 + 50),
        LABEL.with_colour(MUTED),
        CENTRE_TOP,
    )?;
    for be in &sweep.break_evens {
        if let (Some(lo), Some(hi)) = (be.low, be.high) {
            c.fill(
                Rect {
                    x0: x.at(lo),
                    y0: plot.y0,
                    x1: x.at(hi),
                    y1: plot.y1,
                },
                tint(FAINT, 0.15),
            )?;
        }
        let px = x.at(be.at);
        c.v_dashed(px, plot.y0, plot.y1, INK)?;
        c.text(
            &format!("break-even {}", fmt(be.at)),
            (px + 8, plot.y0 + 4),
            VALUE,
            LEFT_TOP,
        )?;
    }
    let n = r.designs.len();
    for d in 0..n {
        let colour = design_colour(r, d);
        let pts: Vec<(i32, i32, i32, i32)> = sweep
            .points
            .iter()
            .filter_map(|p| {
                p.results
                    .stat(d, s.metric)
                    .map(|st| (x.at(p.value), y.at(st.mean), y.at(st.p5), y.at(st.p95)))
            })
            .collect();
        c.band(&pts, colour, 0.16)?;
    }
    for d in 0..n {
        let colour = design_colour(r, d);
        let line: Vec<(i32, i32)> = sweep
            .points
            .iter()
            .filter_map(|p| {
                p.results
                    .stat(d, s.metric)
                    .map(|st| (x.at(p.value), y.at(st.mean)))
            })
            .collect();
        c.polyline(&line, colour, 5)?;
        for pt in line {
            c.dot(pt, 7, colour, true)?;
        }
    }
    Ok(())
}
