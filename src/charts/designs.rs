//! Chart 1, designs side by side: revenue, gross margin, cost of sales and contribution per
//! design, as grouped bars of the mean with the 5th–95th percentile of trials as whiskers.

use crate::metrics::Metric;
use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::results::Results;

const GROUPS: [(&str, &str); 4] = [
    (Metric::Revenue.key(), "Revenue"),
    (Metric::GrossMargin.key(), "Gross margin"),
    (Metric::CostOfSales.key(), "Cost of sales"),
    (Metric::Contribution.key(), "Contribution"),
];

pub fn draw<DB: DrawingBackend>(c: &Canvas<DB>, r: &Results) -> Result<(), ChartError> {
    let n = r.designs.len();
    let body = c.frame(
        r,
        &format!(
            "Revenue, margin, cost of sales and contribution by design, {} trials",
            group_thousands(r.trials)
        ),
        "Bars: mean per trial. Whiskers: the middle 90% of trials (5th to 95th percentile).",
    )?;
    let legend_h = c.legend(r, body.x0, body.y0)?;
    if n == 0 {
        return c.empty(body, "No designs in these results.");
    }

    let axis_title_y = body.y0 + legend_h + 30;
    c.text(
        &format!("{} over {} months", r.scenario.currency, r.scenario.months),
        (body.x0, axis_title_y),
        LABEL.with_colour(MUTED),
        LEFT_TOP,
    )?;
    let groups: Vec<Group> = GROUPS
        .iter()
        .map(|(key, label)| Group {
            label: label.to_string(),
            bars: (0..n)
                .filter_map(|d| r.stat(d, key).map(|s| (d, s)))
                .collect(),
        })
        .collect();
    c.grouped_bars(
        r,
        &GroupedBars {
            plot: Rect {
                x0: body.x0 + 130,
                y0: axis_title_y + 56,
                x1: body.x1,
                y1: body.y1 - 60,
            },
            groups: &groups,
            tick: money,
            value,
            whiskers: true,
        },
    )
}
