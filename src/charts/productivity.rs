//! Chart 5, productivity by role: revenue per head and cost per unit of revenue of each role
//! (channel) in each design, as grouped bars with the middle 90% of trials as whiskers.

use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::results::Results;

/// One panel: a per-role metric, which bars to draw, and how to label values.
struct Panel<'a> {
    title: String,
    metric: &'a str,
    /// Whether design `d` gets a bar for role `role`.
    shown: &'a dyn Fn(usize, usize) -> bool,
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
        "Revenue a role closes per head, and what the role costs per unit of that revenue. Bars: mean. Whiskers: middle 90% of trials.",
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
    let per_head = |d: usize, k: usize| {
        r.designs[d].headcount.get(k).copied().unwrap_or(0.0) > 0.0
            && revenue(d, &channels[k].name) > 0.0
    };
    let closes = |d: usize, k: usize| revenue(d, &channels[k].name) > 0.0;
    let panels = [
        Panel {
            title: format!("Revenue per head, {}", r.scenario.currency),
            metric: "revenue_per_head",
            shown: &per_head,
            format: value,
            tick: money,
        },
        Panel {
            title: format!("Cost per {} of revenue closed", r.scenario.currency),
            metric: "cost_per_revenue",
            shown: &closes,
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
        let groups: Vec<Group> = roles
            .iter()
            .map(|&k| {
                let key = format!("role.{}.{}", channels[k].name, panel.metric);
                Group {
                    label: channels[k].name.clone(),
                    bars: (0..n)
                        .filter(|&d| (panel.shown)(d, k))
                        .filter_map(|d| r.stat(d, &key).map(|s| (d, s)))
                        .collect(),
                }
            })
            .collect();
        c.grouped_bars(
            r,
            &GroupedBars {
                plot,
                groups: &groups,
                tick: panel.tick,
                value: panel.format,
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
