//! Bar charts over categories, optionally stacked, with labelled horizontal guides
//! (efficiency 100 % / 90 %) and the bar totals printed above the bars.

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

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub categories: Vec<String>,
    /// Linear value axis; bars start at zero.
    pub y: Axis,
    /// Drawn bottom to top.
    pub stacks: Vec<Stack>,
    pub guides: Vec<Guide>,
    /// Print each bar's total above it, followed by this unit (None: no labels).
    pub total_labels: Option<String>,
    pub legend: SeriesLabelPosition,
}

impl Figure for BarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let totals: Vec<f64> = (0..self.categories.len())
            .map(|i| {
                self.stacks
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                    .sum()
            })
            .collect();
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
            let rects = stack.values.iter().enumerate().map(|(i, v)| {
                let base: f64 = self.stacks[..k]
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                    .sum();
                let c = i as f64;
                Rectangle::new([(c - 0.32, base), (c + 0.32, base + v)], color.filled())
            });
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
            chart
                .draw_series(totals.iter().enumerate().map(|(i, t)| {
                    let text = format!("{}{unit}", tick_label(*t));
                    if self.stacks.len() == 1 && *t > 0.12 * span {
                        Text::new(text, (i as f64, *t - 0.01 * span), inside.clone())
                    } else {
                        Text::new(text, (i as f64, *t + 0.01 * span), above.clone())
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
