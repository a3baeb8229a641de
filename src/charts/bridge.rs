//! Chart 3, where the money goes: a bridge (waterfall) per design from potential revenue to
//! contribution, drawn from the mean of each component. Pipeline losses are hundreds of times
//! the money-side items, so the bridge has two parts on two scales: potential down to the deals
//! that reach the close, then from there down to contribution.

use crate::metrics::Metric;
use plotters::prelude::DrawingBackend;

use super::ChartError;
use super::canvas::*;
use crate::results::Results;

#[derive(Clone, Copy)]
enum Step {
    /// A bar from zero: the starting value of a part, the first metrics less the second.
    Start(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ),
    /// A deduction: the sum of the named metrics.
    Minus(&'static str, &'static [&'static str]),
    /// An addition: the sum of the named metrics.
    Plus(&'static str, &'static [&'static str]),
    /// A subtotal: the running value so far.
    Subtotal(&'static str),
}

use Step::{Minus, Plus, Start, Subtotal};

const TOP: [Step; 4] = [
    Start("Potential revenue", &[Metric::PotentialRevenue.key()], &[]),
    Minus(
        "Not surfaced by coverage",
        &[Metric::PotentialNotSurfaced.key()],
    ),
    Minus("Not won at a stage", &[Metric::RevenueNotWon.key()]),
    Subtotal("Reached the close"),
];

const BOTTOM: [Step; 14] = [
    Start(
        "Reached the close",
        &[
            Metric::WonListValue.key(),
            Metric::RevenueLostToFailedHandoffs.key(),
            Metric::RevenueLostToConflict.key(),
            Metric::RevenueDeferred.key(),
        ],
        &[Metric::InFlightBooked.key()],
    ),
    Minus(
        "Lost to failed hand-offs",
        &[Metric::RevenueLostToFailedHandoffs.key()],
    ),
    Minus(
        "Lost to channel conflict",
        &[Metric::RevenueLostToConflict.key()],
    ),
    Minus("Closes after the horizon", &[Metric::RevenueDeferred.key()]),
    Plus(
        "In flight at the start, booked",
        &[Metric::InFlightBooked.key()],
    ),
    Subtotal("Won, at list price"),
    Minus("Channel discounts", &[Metric::ChannelDiscounts.key()]),
    Minus(
        "Margin eroded by conflict",
        &[Metric::MarginErodedByConflict.key()],
    ),
    Subtotal("Revenue"),
    Minus("Cost of goods", &[Metric::CostOfGoods.key()]),
    Minus("Partner margin", &[Metric::PartnerMargin.key()]),
    Minus("Duplicated effort", &[Metric::DuplicatedEffort.key()]),
    Minus(
        "Heads, pay, fixed costs",
        &[
            Metric::CostHeads.key(),
            Metric::CostSpecialists.key(),
            Metric::CostChannelFixed.key(),
            Metric::VariablePay.key(),
        ],
    ),
    Subtotal("Contribution"),
];

/// One bar of a bridge: from `from` to `to`, and whether it is a total.
struct Bar {
    from: f64,
    to: f64,
    total: bool,
}

fn bars(r: &Results, d: usize, steps: &[Step]) -> Vec<Bar> {
    let sum = |keys: &[&str]| -> f64 {
        keys.iter()
            .map(|k| r.stat(d, k).map_or(0.0, |s| s.mean))
            .sum()
    };
    let mut running = 0.0;
    steps
        .iter()
        .map(|step| match *step {
            Start(_, plus, minus) => {
                running = sum(plus) - sum(minus);
                Bar {
                    from: 0.0,
                    to: running,
                    total: true,
                }
            }
            Minus(_, keys) => {
                let from = running;
                running -= sum(keys);
                Bar {
                    from,
                    to: running,
                    total: false,
                }
            }
            Plus(_, keys) => {
                let from = running;
                running += sum(keys);
                Bar {
                    from,
                    to: running,
                    total: false,
                }
            }
            Subtotal(_) => Bar {
                from: 0.0,
                to: running,
                total: true,
            },
        })
        .collect()
}

/// What the business won at list price becomes for design `d`: each deduction of the bridge's
/// lower part (discounts, erosion, cost of goods, cost of sales items) and, last, the
/// contribution left. The parts add up to the won list value.
pub fn won_split(r: &Results, d: usize) -> Vec<(&'static str, f64)> {
    let sum = |keys: &[&str]| -> f64 {
        keys.iter()
            .map(|k| r.stat(d, k).map_or(0.0, |s| s.mean))
            .sum()
    };
    let mut out: Vec<(&'static str, f64)> = BOTTOM
        .iter()
        .skip_while(|s| !matches!(s, Subtotal(_)))
        .filter_map(|s| match *s {
            Minus(l, keys) => Some((l, sum(keys))),
            _ => None,
        })
        .collect();
    out.push(("Contribution", sum(&[Metric::Contribution.key()])));
    out
}

fn label(step: &Step) -> &'static str {
    match step {
        Start(l, _, _) | Minus(l, _) | Plus(l, _) | Subtotal(l) => l,
    }
}

pub fn draw<DB: DrawingBackend>(c: &Canvas<DB>, r: &Results) -> Result<(), ChartError> {
    let n = r.designs.len();
    let body = c.frame(
        r,
        &format!(
            "From potential revenue to contribution, by design, {} trials",
            group_thousands(r.trials)
        ),
        &format!(
            "Mean per trial, {} over {} months. The lower part has its own scale: the money-side items are small next to the pipeline.",
            r.scenario.currency, r.scenario.months
        ),
    )?;
    if n == 0 {
        return c.empty(body, "No designs in these results.");
    }
    let row_font = LABEL.sized(24.0);
    let label_w = 360;
    let col_w = (body.width() - label_w) / n as i32;
    let heads: Vec<Vec<String>> = (0..n)
        .map(|d| c.wrap(&design_label(r, d), LABEL_BOLD, col_w - 24))
        .collect();
    let head_lines = heads.iter().map(Vec::len).max().unwrap_or(1) as i32;
    let header_h = 16 + 34 * head_lines;
    let gap_rows = 1.2;
    let rows = (TOP.len() + BOTTOM.len()) as f64 + gap_rows;
    let row_h = (body.height() - header_h) as f64 / rows;
    let bar_h = (row_h * 0.62).round() as i32;
    let row_y = |i: usize| -> i32 {
        let slot = if i < TOP.len() {
            i as f64
        } else {
            i as f64 + gap_rows
        };
        (body.y0 as f64 + header_h as f64 + (slot + 0.5) * row_h).round() as i32
    };

    let top: Vec<Vec<Bar>> = (0..n).map(|d| bars(r, d, &TOP)).collect();
    let bottom: Vec<Vec<Bar>> = (0..n).map(|d| bars(r, d, &BOTTOM)).collect();
    let extent = |parts: &[Vec<Bar>]| -> Vec<f64> {
        parts
            .iter()
            .flatten()
            .flat_map(|b| [b.from, b.to])
            .collect()
    };
    let top_values = extent(&top);
    let bottom_values = extent(&bottom);

    for (i, step) in TOP.iter().chain(BOTTOM.iter()).enumerate() {
        let font = if matches!(step, Minus(..) | Plus(..)) {
            row_font
        } else {
            row_font.with_colour(INK)
        };
        let font = Font {
            bold: !matches!(step, Minus(..) | Plus(..)),
            ..font
        };
        c.text(label(step), (body.x0, row_y(i)), font, LEFT_MID)?;
    }
    let divider = (row_y(TOP.len() - 1) + row_y(TOP.len())) / 2;
    c.line((body.x0, divider), (body.x1, divider), RULE, 2)?;

    for d in 0..n {
        let colour = design_colour(r, d);
        let x0 = body.x0 + label_w + d as i32 * col_w + 16;
        let px1 = x0 + ((col_w - 16) as f64 * 0.66) as i32;
        c.lines(
            &heads[d],
            (x0, body.y0 + header_h - 14),
            LABEL_BOLD.with_colour(if d == r.baseline_index() { MUTED } else { INK }),
            LEFT_BOTTOM,
        )?;
        c.fill(
            Rect {
                x0,
                y0: body.y0 + header_h - 10,
                x1: x0 + col_w - 40,
                y1: body.y0 + header_h - 6,
            },
            colour,
        )?;
        for (part, values, offset) in [
            (&top[d], &top_values, 0usize),
            (&bottom[d], &bottom_values, TOP.len()),
        ] {
            let x = Scale::covering(values, true, x0, px1);
            let zero = x.at(0.0);
            c.line(
                (zero, row_y(offset) - bar_h),
                (zero, row_y(offset + part.len() - 1) + bar_h),
                FAINT,
                1,
            )?;
            for (i, bar) in part.iter().enumerate() {
                let cy = row_y(offset + i);
                let (a, b) = (x.at(bar.from), x.at(bar.to));
                let rect = Rect {
                    x0: a.min(b),
                    y0: cy - bar_h / 2,
                    x1: a.max(b),
                    y1: cy + bar_h / 2,
                };
                if bar.total {
                    c.fill(rect, colour)?;
                } else if a != b {
                    c.fill(rect, tint(colour, 0.35))?;
                    c.outline(rect, colour, 2)?;
                }
                let text = if bar.total {
                    value(bar.to)
                } else {
                    let delta = bar.to - bar.from;
                    if delta == 0.0 {
                        "0".to_string()
                    } else if delta > 0.0 {
                        format!("+{}", value(delta))
                    } else {
                        value(delta)
                    }
                };
                let font = VALUE.with_colour(if bar.total { INK } else { MUTED });
                c.text(&text, (a.max(b) + 10, cy), font, LEFT_MID)?;
                if let Some(next) = part.get(i + 1) {
                    if !next.total || next.to == bar.to {
                        let xc = x.at(bar.to);
                        c.line(
                            (xc, cy + bar_h / 2),
                            (xc, row_y(offset + i + 1) - bar_h / 2),
                            FAINT,
                            1,
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}
