//! The back-test of a calibration: three panels (opportunities, wins, revenue per month), each
//! with the predicted 90% band and mean, and the export's actuals as dots — filled inside the
//! band, hollow outside it.

use plotters::prelude::{DrawingArea, DrawingBackend, RGBColor};

use super::canvas::*;
use super::{ChartError, Drawing};
use crate::calibrate::backtest::{Backtest, Series};
use crate::metrics::Metric;

/// Colour of the prediction (Okabe–Ito blue) and of the actuals (ink).
const PREDICTED: RGBColor = RGBColor(0x00, 0x72, 0xb2);

/// Stem of the chart's files.
pub const STEM: &str = "backtest";

impl Drawing for Backtest {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError> {
        draw(&Canvas { area }, self)
    }
}

fn draw<DB: DrawingBackend>(c: &Canvas<DB>, b: &Backtest) -> Result<(), ChartError> {
    c.area
        .fill(&WHITE_BG)
        .map_err(|e| ChartError(e.to_string()))?;
    let inner = WIDTH as i32 - 2 * MARGIN;
    let coverage: Vec<String> = b
        .series
        .iter()
        .map(|s| format!("{} {}/{}", s.name, s.inside, s.months.len()))
        .collect();
    c.text(
        &c.fit(
            &format!(
                "Back-test: the calibrated baseline predicts the months after {}",
                b.date
            ),
            TITLE,
            inner,
        ),
        (MARGIN, 36),
        TITLE,
        LEFT_TOP,
    )?;
    c.text(
        &c.fit(
            &format!(
                "Band: middle 90% of {} trials; line: mean; dots: actuals (hollow: outside the band). Months inside: {}.",
                group_thousands(b.trials),
                coverage.join(", ")
            ),
            SUBTITLE,
            inner,
        ),
        (MARGIN, 104),
        SUBTITLE,
        LEFT_TOP,
    )?;
    let f = &b.calibration.fit;
    c.text(
        &c.fit(
            &format!(
                "covsim {} · design {} · fitted on cohorts {}..{} · win rate {:.3} [{:.3}, {:.3}]",
                env!("CARGO_PKG_VERSION"),
                f.design,
                f.fit_from,
                f.fit_to,
                f.win_rate.value,
                f.win_rate.low,
                f.win_rate.high
            ),
            FOOTER,
            inner,
        ),
        (MARGIN, HEIGHT as i32 - 24),
        FOOTER,
        LEFT_BOTTOM,
    )?;
    let n = b.series.len().max(1) as i32;
    let gap = 150;
    let width = (inner - gap * (n - 1) - 110) / n;
    for (i, s) in b.series.iter().enumerate() {
        let x0 = MARGIN + 110 + i as i32 * (width + gap);
        let plot = Rect {
            x0,
            y0: 240,
            x1: x0 + width,
            y1: HEIGHT as i32 - 150,
        };
        let title = if s.name == Metric::Revenue.key() {
            format!("Revenue per month, {}", b.currency)
        } else {
            format!("{} per month", capitalise(&s.name))
        };
        c.text(&title, (x0 - 100, 180), LABEL_BOLD, LEFT_TOP)?;
        panel(c, plot, s)?;
    }
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut ch = s.chars();
    ch.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(ch).collect())
}

fn panel<DB: DrawingBackend>(c: &Canvas<DB>, plot: Rect, s: &Series) -> Result<(), ChartError> {
    let months = s.months.len();
    let ys: Vec<f64> =
        s.p5.iter()
            .chain(&s.p95)
            .chain(&s.actual)
            .copied()
            .collect();
    let y = Scale::covering(&ys, true, plot.y1, plot.y0);
    let x = |m: usize| {
        if months <= 1 {
            (plot.x0 + plot.x1) / 2
        } else {
            plot.x0 + ((plot.x1 - plot.x0) as f64 * m as f64 / (months - 1) as f64).round() as i32
        }
    };
    for t in y.ticks() {
        let py = y.at(t);
        c.line((plot.x0, py), (plot.x1, py), RULE, 1)?;
        c.text(&money(t), (plot.x0 - 14, py), TICK, RIGHT_MID)?;
    }
    c.line((plot.x0, plot.y1), (plot.x1, plot.y1), FAINT, 2)?;
    for (m, label) in s.months.iter().enumerate() {
        c.text(label, (x(m), plot.y1 + 14), TICK, CENTRE_TOP)?;
    }
    let pts: Vec<(i32, i32, i32, i32)> = (0..months)
        .map(|m| (x(m), y.at(s.mean[m]), y.at(s.p5[m]), y.at(s.p95[m])))
        .collect();
    c.band(&pts, PREDICTED, 0.16)?;
    let line: Vec<(i32, i32)> = pts.iter().map(|p| (p.0, p.1)).collect();
    c.polyline(&line, PREDICTED, 4)?;
    for m in 0..months {
        let inside = s.p5[m] <= s.actual[m] && s.actual[m] <= s.p95[m];
        c.dot((x(m), y.at(s.actual[m])), 9, INK, inside)?;
    }
    Ok(())
}
