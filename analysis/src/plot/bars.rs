//! Bar charts over categories, stacked or grouped side by side (one bar per series), with
//! labelled horizontal guides (efficiency 100 % / 90 %) and the bar values printed on them.

use super::PlotError;
use super::axis::{tick_label, Axis};
use super::canvas::{self, fail, FONT};
use super::xy::Guide;
use super::Figure;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: String,
    /// One value per category.
    pub values: Vec<f64>,
    pub color: RGBColor,
}

/// How several stacks share a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// On top of each other (parts of one whole: idle + non-idle time).
    Stacked,
    /// Side by side (series to compare: efficiency of two configurations).
    Grouped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub categories: Vec<String>,
    /// Linear value axis; bars start at zero.
    pub y: Axis,
    /// Drawn bottom to top (stacked) or left to right (grouped); a NaN value draws no bar.
    pub stacks: Vec<Stack>,
    pub layout: Layout,
    pub guides: Vec<Guide>,
    /// Print each bar's total above it, followed by this unit (None: no labels).
    pub total_labels: Option<String>,
    pub legend: SeriesLabelPosition,
}

/// Width of a category's bars together (1 = the distance between categories).
const WIDTH: f64 = 0.64;

impl BarChart {
    fn value(&self, k: usize, i: usize) -> f64 {
        self.stacks[k].values.get(i).copied().unwrap_or(f64::NAN)
    }

    /// Stack `k`'s rectangles (x0, x1, low, high), NaN values left out.
    fn segments(&self, k: usize) -> Vec<(f64, f64, f64, f64)> {
        let n = self.stacks.len().max(1) as f64;
        (0..self.categories.len())
            .filter(|&i| self.value(k, i).is_finite())
            .map(|i| {
                let c = i as f64;
                let v = self.value(k, i);
                match self.layout {
                    Layout::Stacked => {
                        let base: f64 = (0..k)
                            .map(|j| self.value(j, i))
                            .filter(|x| x.is_finite())
                            .sum();
                        (c - WIDTH / 2.0, c + WIDTH / 2.0, base, base + v)
                    }
                    Layout::Grouped => {
                        let x0 = c - WIDTH / 2.0 + WIDTH * k as f64 / n;
                        (x0, x0 + WIDTH / n, 0.0, v)
                    }
                }
            })
            .collect()
    }

    /// One labelled bar per category (stacked) or per drawn value (grouped):
    /// (centre x, x0, x1, top value).
    fn bars(&self) -> Vec<(f64, f64, f64, f64)> {
        match self.layout {
            Layout::Stacked => (0..self.categories.len())
                .map(|i| {
                    let total: f64 = (0..self.stacks.len())
                        .map(|k| self.value(k, i))
                        .filter(|x| x.is_finite())
                        .sum();
                    let c = i as f64;
                    (c, c - WIDTH / 2.0, c + WIDTH / 2.0, total)
                })
                .collect(),
            Layout::Grouped => (0..self.stacks.len())
                .flat_map(|k| self.segments(k))
                .map(|(x0, x1, _, hi)| (0.5 * (x0 + x1), x0, x1, hi))
                .collect(),
        }
    }
}

impl Figure for BarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let bars = self.bars();
        let totals: Vec<f64> = bars.iter().map(|b| b.3).collect();
        let x = Axis::categories(&self.x_label, &self.categories).resolve([]);
        // Head room above the tallest bar for its label and for the legend (a line per entry).
        let top = totals
            .iter()
            .chain(self.guides.iter().map(|g| &g.value))
            .copied()
            .fold(0.0, f64::max);
        let entries = self.stacks.iter().filter(|s| !s.name.is_empty()).count() + self.guides.len();
        let y = Axis {
            include_zero: true,
            ..self.y.clone()
        }
        .resolve([0.0, top * (1.1 + 0.065 * entries as f64)]);
        let area = canvas::frame(root, &self.title, &self.y.label)?;
        let mut chart = canvas::chart(&area, &x, &y, &self.x_label)?;
        for (k, stack) in self.stacks.iter().enumerate() {
            let color = stack.color;
            let rects = self
                .segments(k)
                .into_iter()
                .map(|(x0, x1, lo, hi)| Rectangle::new([(x0, lo), (x1, hi)], color.filled()));
            let annotation = chart.draw_series(rects).map_err(fail)?;
            if !stack.name.is_empty() {
                annotation
                    .label(stack.name.clone())
                    .legend(move |(px, py)| {
                        Rectangle::new([(px, py - 6), (px + 14, py + 6)], color.filled())
                    });
            }
        }
        for guide in &self.guides {
            let style = guide.color.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x.lo, guide.value), (x.hi, guide.value)],
                    8,
                    5,
                    style,
                ))
                .map_err(fail)?
                .label(guide.name.clone())
                .legend(move |p| super::xy::dashed_legend(p, style));
        }
        if let Some(unit) = &self.total_labels {
            // Inside the top of a tall single-colour bar (guide lines near 100 % would cross a
            // label above it); above short bars and stacks (white on a thin top segment is
            // unreadable).
            let span = y.hi - y.lo;
            let above =
                TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
            let inside = TextStyle::from((FONT, 13).into_font())
                .color(&WHITE)
                .pos(Pos::new(HPos::Center, VPos::Top));
            let one_colour = self.stacks.len() == 1 || self.layout == Layout::Grouped;
            chart
                .draw_series(bars.iter().map(|&(centre, _, _, t)| {
                    let text = format!("{}{unit}", tick_label(t));
                    if one_colour && t > 0.12 * span {
                        Text::new(text, (centre, t - 0.01 * span), inside.clone())
                    } else {
                        Text::new(text, (centre, t + 0.01 * span), above.clone())
                    }
                }))
                .map_err(fail)?;
        }
        if self.stacks.iter().any(|s| !s.name.is_empty()) || !self.guides.is_empty() {
            canvas::legend(&mut chart, self.legend.clone())?;
        }
        Ok(())
    }
}
