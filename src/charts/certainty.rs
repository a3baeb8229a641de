//! Chart 2, how sure are we: each design's contribution minus the baseline's, trial by trial
//! (paired), as a forest plot: the mean difference, its 95% interval, the middle 90% of trials,
//! a zero line for the baseline, and the share of trials in which the design does better.

use crate::metrics::Metric;
use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::format::percent;
use crate::results::Results;

pub fn draw<DB: DrawingBackend>(c: &Canvas<DB>, r: &Results) -> Result<(), ChartError> {
    let b = r.baseline_index();
    let body = c.frame(
        r,
        &format!(
            "Contribution of each design minus {}, {} paired trials",
            r.baseline,
            group_thousands(r.trials)
        ),
        "Dot: mean difference. Thick bar: its 95% interval. Thin line: the middle 90% of trials. Same random events for every design.",
    )?;
    let rows: Vec<(usize, &crate::stats::DiffStats)> = (0..r.designs.len())
        .filter(|&d| d != b)
        .filter_map(|d| r.diff(d, Metric::Contribution.key()).map(|s| (d, s)))
        .collect();
    if rows.is_empty() {
        return c.empty(
            body,
            "Only the baseline is in these results: there is nothing to compare it with.",
        );
    }
    let labels: Vec<String> = rows
        .iter()
        .map(|&(d, _)| r.designs[d].name.clone())
        .collect();
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|(_, s)| [s.diff.p5, s.diff.p95, s.diff.ci95_low, s.diff.ci95_high])
        .collect();
    let layout = c.rows(
        body,
        &RowsSpec {
            labels: &labels,
            values: &values,
            with_zero: true,
            tick: signed_money,
            axis_title: &format!(
                "Contribution minus {}'s, {} over {} months",
                r.baseline, r.scenario.currency, r.scenario.months
            ),
            text_title: "Mean difference (95% interval)",
            text_width: 470,
        },
    )?;
    let (plot, x) = (layout.plot, layout.x);
    let zero = x.at(0.0);
    c.line((zero, plot.y0 - 10), (zero, plot.y1), INK, 3)?;
    c.text(
        &format!("{} = 0", r.baseline),
        (zero, plot.y0 - 16),
        LABEL.with_colour(MUTED),
        CENTRE_BOTTOM,
    )?;

    for (i, &(d, diff)) in rows.iter().enumerate() {
        let s = &diff.diff;
        let cy = layout.centre(i);
        let colour = design_colour(r, d);
        c.h_whisker(x.at(s.p5), x.at(s.p95), cy, 14, colour, 4)?;
        c.fill(
            Rect {
                x0: x.at(s.ci95_low),
                y0: cy - 11,
                x1: x.at(s.ci95_high).max(x.at(s.ci95_low) + 3),
                y1: cy + 11,
            },
            colour,
        )?;
        c.dot((x.at(s.mean), cy), 13, INK, true)?;
        c.dot((x.at(s.mean), cy), 9, colour, true)?;
        let [mean, low, high] = [s.mean, s.ci95_low, s.ci95_high];
        let v = values_apart(&[mean, low, high], true);
        layout.text(
            c,
            i,
            &format!("{} ({} to {})", v[0], v[1], v[2]),
            &format!("better in {} of trials", percent(diff.share_better)),
        )?;
    }
    Ok(())
}
