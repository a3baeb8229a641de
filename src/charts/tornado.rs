//! The tornado chart: how far each input, swung from its low to its high value, moves the
//! figure the decision rests on, widest first.

use plotters::prelude::{DrawingArea, DrawingBackend, RGBColor};

use super::canvas::*;
use super::{ChartError, Drawing};
use crate::format::param as fmt;
use crate::sensitivity::Tornado;

/// Colours of the low and high swing (Okabe–Ito sky blue and vermillion).
const LOW: RGBColor = RGBColor(0x56, 0xb4, 0xe9);
const HIGH: RGBColor = RGBColor(0xd5, 0x5e, 0x00);

pub struct TornadoChart<'a>(pub &'a Tornado);

impl Drawing for TornadoChart<'_> {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError> {
        draw(&Canvas { area }, self.0)
    }
}

fn draw<DB: DrawingBackend>(c: &Canvas<DB>, t: &Tornado) -> Result<(), ChartError> {
    let r = &t.results;
    let body = c.frame(
        r,
        &format!(
            "What the answer hinges on, {} trials per run",
            group_thousands(r.trials)
        ),
        &format!(
            "The {}, with each input swung from its low to its high value and every other input at its median.",
            t.figure
        ),
    )?;
    if t.swings.is_empty() {
        return c.empty(body, "No inputs to swing: give distributions or --inputs.");
    }
    // Legend: low and high.
    c.fill(
        Rect {
            x0: body.x0,
            y0: body.y0 + 4,
            x1: body.x0 + 28,
            y1: body.y0 + 30,
        },
        LOW,
    )?;
    c.text(
        "input at its low value",
        (body.x0 + 40, body.y0 + 17),
        LABEL,
        LEFT_MID,
    )?;
    let x2 = body.x0 + 40 + c.measure("input at its low value", LABEL).0 + 48;
    c.fill(
        Rect {
            x0: x2,
            y0: body.y0 + 4,
            x1: x2 + 28,
            y1: body.y0 + 30,
        },
        HIGH,
    )?;
    c.text(
        "input at its high value",
        (x2 + 40, body.y0 + 17),
        LABEL,
        LEFT_MID,
    )?;
    let inner = Rect {
        y0: body.y0 + 50,
        ..body
    };
    let labels: Vec<String> = t.swings.iter().map(|s| s.path.clone()).collect();
    let mut values = vec![t.base];
    for s in &t.swings {
        values.extend([s.at_low, s.at_high]);
    }
    let layout = c.rows(
        inner,
        &RowsSpec {
            labels: &labels,
            values: &values,
            with_zero: false,
            tick: signed_money,
            axis_title: &format!(
                "{}, {} over {} months",
                t.figure, r.scenario.currency, r.scenario.months
            ),
            text_title: "Low → high value of the input",
            text_width: 420,
        },
    )?;
    let x = layout.x;
    let base = x.at(t.base);
    c.line((base, layout.plot.y0 - 10), (base, layout.plot.y1), INK, 3)?;
    c.text(
        &format!("all at median: {}", signed_value(t.base)),
        (base, layout.plot.y0 - 16),
        LABEL.with_colour(MUTED),
        CENTRE_BOTTOM,
    )?;
    let bar_h = (layout.row_h as f64 * 0.5).clamp(8.0, 70.0) as i32;
    for (i, s) in t.swings.iter().enumerate() {
        let cy = layout.centre(i);
        for (v, colour) in [(s.at_low, LOW), (s.at_high, HIGH)] {
            c.fill(
                Rect {
                    x0: base,
                    y0: cy - bar_h / 2,
                    x1: x.at(v),
                    y1: cy + bar_h / 2,
                },
                colour,
            )?;
        }
        layout.text(
            c,
            i,
            &format!("{} → {}", fmt(s.low), fmt(s.high)),
            &values_apart(&[s.at_low, s.at_high], true).join(" to "),
        )?;
    }
    Ok(())
}
