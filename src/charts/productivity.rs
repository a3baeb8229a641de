//! Chart 5, productivity by role: revenue closed per productive head-year and cost per unit of
//! revenue closed of each role (channel) in each design, as grouped bars. Both are ratios of
//! means (docs/MODEL.md §6), so they carry no whiskers.

use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::results::{Results, RoleResult};
use crate::stats::Stats;

/// One panel: a per-role figure (`None`: no bar), and how to label values.
struct Panel<'a> {
    title: String,
    figure: &'a dyn Fn(&RoleResult) -> Option<f64>,
    format: fn(f64) -> String,
    tick: fn(f64) -> String,
}

fn ratio(x: f64) -> String {
    format!("{x:.2}")
}

pub fn draw<DB: DrawingBackend>(c: &Canvas<DB>, r: &Results) -> Result<(), ChartError> {
    let n = r.designs.len();
    let body = c.frame(
        r,
        &format!(
            "Productivity by role and design, {} trials",
            group_thousands(r.trials)
        ),
        "Revenue a role closes per productive head-year, and what it costs per unit of that revenue. Ratios of means over all trials.",
    )?;
    let legend_h = c.legend(r, body.x0, body.y0)?;
    let revenue = |d: usize, role: &str| {
        r.stat(d, &format!("role.{role}.revenue"))
            .map_or(0.0, |s| s.mean)
    };
    let channels = &r.scenario.channels;
    let roles: Vec<usize> = (0..channels.len())
        .filter(|&k| (0..n).any(|d| revenue(d, &channels[k].name) > 0.0))
        .collect();
    let left_out: Vec<&str> = (0..channels.len())
        .filter(|k| !roles.contains(k))
        .map(|k| channels[k].name.as_str())
        .collect();
    if roles.is_empty() {
        return c.empty(body, "No role closed any revenue in these results.");
    }
    let panels = [
        Panel {
            title: format!(
                "Revenue closed per productive head-year, {}",
                r.scenario.currency
            ),
            figure: &|x: &RoleResult| x.revenue_per_head_year,
            format: value,
            tick: money,
        },
        Panel {
            title: format!("Cost per {} of revenue closed", r.scenario.currency),
            figure: &|x: &RoleResult| x.cost_per_revenue,
            format: ratio,
            tick: ratio,
        },
    ];

    let top = body.y0 + legend_h + 30;
    let bottom = body.y1 - if left_out.is_empty() { 60 } else { 100 };
    let gap = 120;
    let panel_w = (body.width() - gap) / 2;
    for (p, panel) in panels.iter().enumerate() {
        let x0 = body.x0 + p as i32 * (panel_w + gap);
        c.text(&panel.title, (x0, top), LABEL_BOLD, LEFT_TOP)?;
        let plot = Rect {
            x0: x0 + 110,
            y0: top + 80,
            x1: x0 + panel_w,
            y1: bottom,
        };
        let points: Vec<Vec<(usize, Stats)>> = roles
            .iter()
            .map(|&k| {
                (0..n)
                    .filter_map(|d| {
                        let role = r.designs[d].roles.get(k)?;
                        (panel.figure)(role).map(|x| (d, Stats::point(x)))
                    })
                    .collect()
            })
            .collect();
        let groups: Vec<Group> = roles
            .iter()
            .zip(&points)
            .map(|(&k, bars)| Group {
                label: channels[k].name.clone(),
                bars: bars.iter().map(|(d, s)| (*d, s)).collect(),
            })
            .collect();
        c.grouped_bars(
            r,
            &GroupedBars {
                plot,
                groups: &groups,
                tick: panel.tick,
                value: panel.format,
                whiskers: false,
            },
        )?;
    }
    if !left_out.is_empty() {
        c.text(
            &format!(
                "Not shown: {} — no revenue closed in any design; their cost is in cost of sales.",
                left_out.join(", ")
            ),
            (body.x0, body.y1 - 20),
            LABEL.with_colour(MUTED).sized(24.0),
            LEFT_BOTTOM,
        )?;
    }
    Ok(())
}
