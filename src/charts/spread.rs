//! Chart 4, spread of outcomes: the distribution of contribution per design across trials, as
//! box plots, so that a design with a wide or low tail looks risky.

use crate::metrics::Metric;
use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::results::Results;

pub fn draw<DB: DrawingBackend>(c: &Canvas<DB>, r: &Results) -> Result<(), ChartError> {
    let body = c.frame(
        r,
        &format!(
            "Spread of contribution by design, {} trials",
            group_thousands(r.trials)
        ),
        "Box: the middle 50% of trials, line at the median. Whiskers: the middle 90%. Diamond: mean. Circles: the worst and best trial.",
    )?;
    let rows: Vec<(usize, &crate::stats::Stats)> = (0..r.designs.len())
        .filter_map(|d| r.stat(d, Metric::Contribution.key()).map(|s| (d, s)))
        .collect();
    if rows.is_empty() {
        return c.empty(body, "No designs in these results.");
    }
    let labels: Vec<String> = rows.iter().map(|&(d, _)| design_label(r, d)).collect();
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|(_, s)| [s.min, s.max, s.p5, s.p95])
        .collect();
    let layout = c.rows(
        body,
        &RowsSpec {
            labels: &labels,
            values: &values,
            with_zero: false,
            tick: money,
            axis_title: &format!(
                "Contribution per trial, {} over {} months",
                r.scenario.currency, r.scenario.months
            ),
            text_title: "Middle 90% of trials; median",
            text_width: 420,
        },
    )?;
    let x = layout.x;
    let box_h = (layout.row_h as f64 * 0.42).round() as i32;
    for (i, &(d, s)) in rows.iter().enumerate() {
        let cy = layout.centre(i);
        let colour = design_colour(r, d);
        c.h_whisker(x.at(s.p5), x.at(s.p95), cy, box_h / 3, colour, 4)?;
        let boxed = Rect {
            x0: x.at(s.p25),
            y0: cy - box_h / 2,
            x1: x.at(s.p75),
            y1: cy + box_h / 2,
        };
        c.fill(boxed, WHITE_BG)?;
        c.fill(boxed, tint(colour, 0.4))?;
        c.outline(boxed, colour, 3)?;
        let med = x.at(s.p50);
        c.line((med, cy - box_h / 2), (med, cy + box_h / 2), INK, 4)?;
        c.diamond((x.at(s.mean), cy), 11, INK)?;
        c.dot((x.at(s.min), cy), 7, FAINT, false)?;
        c.dot((x.at(s.max), cy), 7, FAINT, false)?;
        layout.text(
            c,
            i,
            &format!("{} to {}", value(s.p5), value(s.p95)),
            &format!("median {}", value(s.p50)),
        )?;
    }
    Ok(())
}
