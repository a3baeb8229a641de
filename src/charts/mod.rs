//! Deck-ready charts, drawn from a [`Results`] alone (what `summary.json` holds), never from the
//! engine. Each chart is one function; each is rendered as SVG and as a 1920×1080 PNG. Text uses
//! DejaVu Sans compiled into the binary (ab_glyph), so nothing is read from the system, and the
//! same results always give the same SVG bytes.

pub mod backtest;
pub mod bridge;
pub mod canvas;
mod certainty;
mod designs;
pub mod frontier;
mod productivity;
mod spread;
pub mod sweep;
mod timeline;
pub mod tornado;

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::results::Results;
use canvas::{Canvas, HEIGHT, WIDTH};

/// Folder, inside a run's output folder, that holds the charts.
pub const FOLDER: &str = "charts";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

/// The charts every run draws, in the order a deck would show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Revenue, gross margin, cost of sales and contribution per design.
    Designs,
    /// Paired contribution difference against the baseline (forest plot).
    Certainty,
    /// Bridge from potential revenue to contribution, per design.
    Bridge,
    /// Distribution of contribution per design (box plots).
    Spread,
    /// Revenue per head and cost per unit of revenue by role.
    Productivity,
    /// Monthly contribution and cumulative contribution against the baseline, with payback.
    Timeline,
}

impl Chart {
    pub const ALL: [Chart; 6] = [
        Chart::Designs,
        Chart::Certainty,
        Chart::Bridge,
        Chart::Spread,
        Chart::Productivity,
        Chart::Timeline,
    ];

    /// File name without extension.
    pub fn stem(self) -> &'static str {
        match self {
            Chart::Designs => "1_designs_side_by_side",
            Chart::Certainty => "2_how_sure_are_we",
            Chart::Bridge => "3_where_the_money_goes",
            Chart::Spread => "4_spread_of_outcomes",
            Chart::Productivity => "5_productivity_by_role",
            Chart::Timeline => "6_path_over_months",
        }
    }

    /// The chart's name, as a slide title.
    pub fn title(self) -> &'static str {
        match self {
            Chart::Designs => "Designs side by side",
            Chart::Certainty => "How sure are we",
            Chart::Bridge => "Where the money goes",
            Chart::Spread => "Spread of outcomes",
            Chart::Productivity => "Productivity by role",
            Chart::Timeline => "The path over months",
        }
    }

    /// Draws the chart on a 1920×1080 area.
    pub fn draw<DB: DrawingBackend>(
        self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        r: &Results,
    ) -> Result<(), ChartError> {
        register_fonts();
        let c = Canvas { area };
        match self {
            Chart::Designs => designs::draw(&c, r),
            Chart::Certainty => certainty::draw(&c, r),
            Chart::Bridge => bridge::draw(&c, r),
            Chart::Spread => spread::draw(&c, r),
            Chart::Productivity => productivity::draw(&c, r),
            Chart::Timeline => timeline::draw(&c, r),
        }?;
        area.present()
            .map_err(|e| ChartError(format!("{}: {e}", self.stem())))
    }

    pub fn svg(self, r: &Results) -> Result<String, ChartError> {
        svg(&(self, r))
    }

    pub fn png(self, r: &Results) -> Result<Vec<u8>, ChartError> {
        png(&(self, r))
    }
}

/// Anything drawn on a 1920×1080 canvas, whatever the backend.
pub trait Drawing: Sync {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError>;
}

impl Drawing for (Chart, &Results) {
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError> {
        self.0.draw(area, self.1)
    }
}

pub fn svg<D: Drawing>(d: &D) -> Result<String, ChartError> {
    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT));
        let area = backend.into_drawing_area();
        register_fonts();
        d.draw_on(&area)?;
        area.present().map_err(|e| ChartError(e.to_string()))?;
    }
    out.push('\n');
    Ok(out)
}

pub fn png<D: Drawing>(d: &D) -> Result<Vec<u8>, ChartError> {
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let backend = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT));
        let area = backend.into_drawing_area();
        register_fonts();
        d.draw_on(&area)?;
        area.present().map_err(|e| ChartError(e.to_string()))?;
    }
    encode_png(&rgb, WIDTH, HEIGHT)
}

/// `<stem>.svg` and `<stem>.png` of a drawing, under `folder/`.
pub fn pair<D: Drawing>(folder: &str, stem: &str, d: &D) -> Result<[File; 2], ChartError> {
    Ok([
        (format!("{folder}/{stem}.svg"), svg(d)?.into_bytes()),
        (format!("{folder}/{stem}.png"), png(d)?),
    ])
}

/// A rendered file: path relative to the output folder, and its bytes.
pub type File = (String, Vec<u8>);

/// Every chart as `(relative path, bytes)`: `charts/<stem>.svg` and `charts/<stem>.png`.
pub fn render_all(r: &Results) -> Result<Vec<File>, ChartError> {
    use rayon::prelude::*;
    let rendered: Vec<Result<[File; 2], ChartError>> = Chart::ALL
        .par_iter()
        .map(|&chart| pair(FOLDER, chart.stem(), &(chart, r)))
        .collect();
    let mut out = Vec::with_capacity(2 * Chart::ALL.len());
    for pair in rendered {
        out.extend(pair?);
    }
    Ok(out)
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc
            .write_header()
            .map_err(|e| ChartError(format!("PNG: {e}")))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| ChartError(format!("PNG: {e}")))?;
    }
    Ok(out)
}

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Makes the embedded DejaVu Sans the charts' font. Idempotent.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The fonts are compiled in and known to parse; a failure here is a build defect.
        let ok = plotters::style::register_font(canvas::FAMILY, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(canvas::FAMILY, FontStyle::Bold, BOLD).is_ok();
        assert!(ok, "embedded fonts must parse");
    });
}
