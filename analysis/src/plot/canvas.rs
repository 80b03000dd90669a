//! The frame every chart shares: title, the y-axis label written horizontally above the
//! axis (ab_glyph cannot rotate text), mesh with our own ticks, and a right margin wide
//! enough that the last x tick label is not clipped (docs/stack.md#plotters).

use super::PlotError;
use super::axis::Resolved;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;

pub type Coords = Cartesian2d<Ticked, Ticked>;

/// A linear f64 coordinate whose grid lines and labels sit exactly at our ticks.
/// (plotters' `WithKeyPoints` has no value formatter, so the mesh cannot label it.)
#[derive(Debug, Clone)]
pub struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.0 + limit.1) / 2;
        }
        let frac = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (frac * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Bold grid lines only, at the ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

pub const FONT: &str = "sans-serif";

/// A plotters error, as a [`PlotError`].
pub fn fail<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// Draws the title and the y-axis label; returns the area left for the chart.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let area = root.titled(title, (FONT, 22).into_font()).map_err(fail)?;
    area.draw(&Text::new(
        y_label.to_string(),
        (12, 6),
        (FONT, 15).into_font(),
    ))
    .map_err(fail)?;
    Ok(area)
}

/// Cartesian chart over resolved axes, mesh drawn, x label below.
pub fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: &Resolved,
    y: &Resolved,
    x_label: &str,
) -> Result<ChartContext<'a, DB, Coords>, PlotError> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(30)
        .margin_left(12)
        .margin_right(45)
        .margin_bottom(8)
        .x_label_area_size(55)
        .y_label_area_size(72)
        .build_cartesian_2d(
            Ticked {
                lo: x.lo,
                hi: x.hi,
                ticks: x.key_points(),
            },
            Ticked {
                lo: y.lo,
                hi: y.hi,
                ticks: y.key_points(),
            },
        )
        .map_err(fail)?;
    let x_fmt = |v: &f64| x.label_at(*v);
    let y_fmt = |v: &f64| y.label_at(*v);
    chart
        .configure_mesh()
        .x_desc(x_label)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FONT, 14).into_font())
        .axis_desc_style((FONT, 15).into_font())
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

/// Legend box in the corner least likely to cover data (chosen per chart).
pub fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Coords>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 14).into_font())
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(150, 150, 150))
        .draw()
        .map_err(fail)
}
