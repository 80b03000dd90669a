//! Box plots over categories, one box per series side by side in each category (the
//! paper's per-frame distributions, Figs. 8 and 9), stacked as panels that share the
//! categories (PSNR, SSIM, AAD).

use super::axis::Axis;
use super::canvas::{self, fail};
use super::error::PlotError;
use super::Figure;
use crate::stats::BoxStats;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One series: a sample per category (an empty sample draws no box).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxSeries {
    pub name: String,
    pub samples: Vec<Vec<f64>>,
    pub color: RGBColor,
}

/// One panel: a quantity over the shared categories.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxPanel {
    /// Quantity and unit, e.g. "PSNR (dB)".
    pub y_label: String,
    pub series: Vec<BoxSeries>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoxChart {
    pub title: String,
    pub x_label: String,
    pub categories: Vec<String>,
    /// Drawn top to bottom.
    pub panels: Vec<BoxPanel>,
}

/// Width of a category's boxes together (1 = the distance between categories).
const WIDTH: f64 = 0.7;
/// Share of the data's range added above it for the legend.
const LEGEND_ROOM: f64 = 0.35;
/// Height of one panel (pixels).
const PANEL_HEIGHT: u32 = 360;

impl Figure for BoxChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn size(&self) -> (u32, u32) {
        (960, PANEL_HEIGHT * self.panels.len().max(1) as u32 + 40)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = root
            .titled(&self.title, (canvas::FONT, 22).into_font())
            .map_err(fail)?;
        let areas = body.split_evenly((self.panels.len().max(1), 1));
        for (panel, area) in self.panels.iter().zip(&areas) {
            draw_panel(self, panel, area)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    chart: &BoxChart,
    panel: &BoxPanel,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let stats: Vec<Vec<Option<BoxStats>>> = panel
        .series
        .iter()
        .map(|s| s.samples.iter().map(|v| BoxStats::of(v)).collect())
        .collect();
    let values = stats.iter().flatten().flatten().flat_map(|b| {
        [b.whisker_lo, b.whisker_hi]
            .into_iter()
            .chain(b.outliers.iter().copied())
    });
    let x = Axis::categories(&chart.x_label, &chart.categories).resolve([]);
    // Head room above the highest whisker or dot for the legend, which sits top right.
    let values: Vec<f64> = values.collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let room = if hi > lo {
        hi + LEGEND_ROOM * (hi - lo)
    } else {
        hi
    };
    let y = Axis::linear(&panel.y_label).resolve(values.iter().copied().chain([room]));
    area.draw(&Text::new(
        panel.y_label.clone(),
        (12, 6),
        (canvas::FONT, 15).into_font(),
    ))
    .map_err(fail)?;
    let mut plot = canvas::chart(area, &x, &y, &chart.x_label)?;
    let n = panel.series.len().max(1) as f64;
    let half = 0.4 * WIDTH / n;
    for (k, (series, boxes)) in panel.series.iter().zip(&stats).enumerate() {
        let color = series.color;
        let mut shapes: Vec<PathElement<(f64, f64)>> = Vec::new();
        let mut fills = Vec::new();
        let mut dots = Vec::new();
        for (i, b) in boxes.iter().enumerate() {
            let Some(b) = b else { continue };
            let centre = i as f64 - WIDTH / 2.0 + WIDTH * (k as f64 + 0.5) / n;
            let (l, r) = (centre - half, centre + half);
            fills.push(Rectangle::new(
                [(l, b.q1), (r, b.q3)],
                color.mix(0.35).filled(),
            ));
            let line = |points: Vec<(f64, f64)>, width: u32, c: RGBColor| {
                PathElement::new(points, c.stroke_width(width))
            };
            shapes.push(line(
                vec![(l, b.q1), (r, b.q1), (r, b.q3), (l, b.q3), (l, b.q1)],
                1,
                color,
            ));
            shapes.push(line(vec![(l, b.median), (r, b.median)], 3, color));
            shapes.push(line(vec![(centre, b.q3), (centre, b.whisker_hi)], 1, color));
            shapes.push(line(vec![(centre, b.q1), (centre, b.whisker_lo)], 1, color));
            for end in [b.whisker_lo, b.whisker_hi] {
                shapes.push(line(
                    vec![(centre - half / 2.0, end), (centre + half / 2.0, end)],
                    1,
                    color,
                ));
            }
            dots.extend(
                b.outliers
                    .iter()
                    .map(|&v| Circle::new((centre, v), 2, color.stroke_width(1))),
            );
        }
        plot.draw_series(fills)
            .map_err(fail)?
            .label(series.name.clone())
            .legend(move |(px, py)| {
                Rectangle::new([(px, py - 6), (px + 14, py + 6)], color.mix(0.6).filled())
            });
        plot.draw_series(shapes).map_err(fail)?;
        plot.draw_series(dots).map_err(fail)?;
    }
    if panel.series.iter().any(|s| !s.name.is_empty()) {
        canvas::legend(&mut plot, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}
