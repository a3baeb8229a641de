//! The path over months: on the left, monthly contribution per design (mean line, the middle
//! 90% of trials as thin P5 and P95 lines over a faint wash); on the right, each design's cumulative contribution minus the
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
    // What the chart draws, as boxes the baseline's label must keep clear of: each band, month
    // to month, and the payback whiskers under the zero line.
    let mut taken: Vec<Rect> = Vec::new();
    for (_, bands) in &series {
        for (m, pair) in bands.windows(2).enumerate() {
            let ys = [pair[0].p5, pair[0].p95, pair[1].p5, pair[1].p95].map(|v| y.at(v));
            taken.push(Rect {
                x0: x.at(m as f64 + 1.0),
                y0: ys.iter().copied().min().unwrap_or(0) - 12,
                x1: x.at(m as f64 + 2.0),
                y1: ys.iter().copied().max().unwrap_or(0) + 12,
            });
        }
    }
    if series
        .iter()
        .any(|(d, _)| r.monthly_of(*d).is_some_and(|m| m.payback.is_some()))
    {
        taken.push(Rect {
            x0: right.x0,
            y0: y.at(0.0) - 12,
            x1: right.x1,
            y1: y.at(0.0) + 22 + 26 * series.len() as i32,
        });
    }
    let label = format!("{} (baseline)", r.baseline);
    let size = c.measure(&label, TICK);
    let spot = free_spot(right, y.at(0.0), size, &taken);
    c.text(&label, (spot.x0, spot.y0), TICK, LEFT_TOP)?;
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
    let label_w = c.measure(&months.to_string(), TICK).0;
    for m in month_ticks(months, x.at(2.0) - x.at(1.0), label_w) {
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
    // Bands overlap: each is a faint wash with its P5 and P95 drawn as thin lines in the
    // design's colour, so every band reads by its own colour where the washes mix.
    for (d, bands) in series {
        c.band(&points(bands), design_colour(r, *d), 0.05)?;
    }
    for (d, bands) in series {
        let pts = points(bands);
        let colour = design_colour(r, *d);
        c.polyline(
            &pts.iter().map(|p| (p.0, p.2)).collect::<Vec<_>>(),
            colour,
            1,
        )?;
        c.polyline(
            &pts.iter().map(|p| (p.0, p.3)).collect::<Vec<_>>(),
            colour,
            1,
        )?;
    }
    for (d, bands) in series {
        let line: Vec<(i32, i32)> = points(bands).iter().map(|p| (p.0, p.1)).collect();
        c.polyline(&line, design_colour(r, *d), 4)?;
    }
    Ok((x, y))
}

/// The months that get a tick: steps of 1, 2, 3, 6, 12, … months, the smallest whose ticks lie
/// at least a label's width and a gap apart (and no more than 12 of them), on the multiples of
/// the step; month 1 too where it keeps that distance from the next tick.
fn month_ticks(months: usize, px_per_month: i32, label_w: i32) -> Vec<usize> {
    let months = months.max(1);
    let room = label_w + 24;
    let px = px_per_month.max(1) as usize;
    let step = [1, 2, 3, 6, 12, 24, 60, 120, 240, 600]
        .into_iter()
        .find(|&s| s * px >= room as usize && months / s <= 12)
        .unwrap_or(months);
    let mut ticks: Vec<usize> = (1..=months / step).map(|k| k * step).collect();
    match ticks.first() {
        Some(1) => {}
        Some(&f) if (f - 1) * px < room as usize => {}
        _ => ticks.insert(0, 1),
    }
    ticks
}

/// Where a label of `size` goes on the zero line of `plot`: just above or just below it, at the
/// first place from the left that overlaps none of the `taken` boxes; where every place overlaps
/// one, the place that overlaps least. Returns the label's box.
fn free_spot(plot: Rect, zero: i32, size: (i32, i32), taken: &[Rect]) -> Rect {
    let (w, h) = size;
    let overlap = |a: &Rect| -> i64 {
        taken
            .iter()
            .map(|b| {
                let dx = (a.x1.min(b.x1) - a.x0.max(b.x0)).max(0) as i64;
                let dy = (a.y1.min(b.y1) - a.y0.max(b.y0)).max(0) as i64;
                dx * dy
            })
            .sum()
    };
    let mut best: Option<(i64, Rect)> = None;
    let last = (plot.x1 - 8 - w).max(plot.x0 + 8);
    for y0 in [zero - 14 - h, zero + 8] {
        if y0 < plot.y0 || y0 + h > plot.y1 {
            continue;
        }
        let mut x0 = plot.x0 + 8;
        while x0 <= last {
            let spot = Rect {
                x0,
                y0,
                x1: x0 + w,
                y1: y0 + h,
            };
            let o = overlap(&spot);
            if o == 0 {
                return spot;
            }
            if best.is_none_or(|(b, _)| o < b) {
                best = Some((o, spot));
            }
            x0 += 16;
        }
    }
    best.map_or(
        Rect {
            x0: plot.x0 + 8,
            y0: zero - 14 - h,
            x1: plot.x0 + 8 + w,
            y1: zero - 14,
        },
        |(_, spot)| spot,
    )
}

/// The payback of the design the decision rests on, in words.
fn payback_subtitle(r: &Results) -> String {
    let Some((d, _)) = r.deciding_pair() else {
        return "Thick lines: mean. Thin lines: P5 and P95, the middle 90% of trials.".into();
    };
    let name = &r.designs[d].name;
    let lead = "Thick lines: mean; thin lines: P5 and P95 (middle 90% of trials).";
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ticks_never_crowd() {
        // A panel about 716 px wide, labels about 28 px wide (two digits at 24 px).
        for months in [1, 6, 12, 18, 24, 36, 48, 60, 120] {
            let px = 716 / (months as i32 - 1).max(1);
            let ticks = month_ticks(months, px, 28);
            assert!(
                !ticks.is_empty() && ticks.len() <= 13,
                "{months}: {ticks:?}"
            );
            assert!(
                ticks.iter().all(|&m| (1..=months).contains(&m)),
                "{ticks:?}"
            );
            for w in ticks.windows(2) {
                assert!(
                    (w[1] - w[0]) as i32 * px >= 28 + 24,
                    "{months} months: ticks {} and {} crowd",
                    w[0],
                    w[1]
                );
            }
        }
        assert_eq!(month_ticks(12, 65, 28), (1..=12).collect::<Vec<_>>());
        assert_eq!(
            month_ticks(24, 31, 28),
            (1..=12).map(|k| 2 * k).collect::<Vec<_>>()
        );
        assert_eq!(
            month_ticks(60, 12, 28),
            [1, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60]
        );
    }

    #[test]
    fn the_baseline_label_keeps_clear_of_the_bands() {
        let plot = Rect {
            x0: 0,
            y0: 0,
            x1: 800,
            y1: 600,
        };
        // Bands cover the zero line (y 500) on the left half, from above and below.
        let taken = [Rect {
            x0: 0,
            y0: 300,
            x1: 400,
            y1: 560,
        }];
        let spot = free_spot(plot, 500, (260, 24), &taken);
        assert!(spot.x0 >= 400, "{spot:?}");
        assert!(spot.y1 <= 500 || spot.y0 >= 500, "{spot:?}");
        // Nothing free: the least overlap, still inside the plot.
        let all = [Rect {
            x0: 0,
            y0: 0,
            x1: 800,
            y1: 600,
        }];
        let spot = free_spot(plot, 500, (260, 24), &all);
        assert!(spot.x0 >= 0 && spot.x1 <= 800 && spot.y0 >= 0 && spot.y1 <= 600);
    }
}
