//! Line and scatter charts over numeric (linear, log or categorical) axes, with optional
//! error bars and labelled guide lines.

use super::PlotError;
use super::axis::Axis;
use super::canvas::{self, fail, Coords};
use super::Figure;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    Line,
    Dashed,
    Points,
    LinePoints,
    /// A large hollow ring: marks one chosen point.
    Ring,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// Data values (not coordinates).
    pub points: Vec<(f64, f64)>,
    pub mark: Mark,
    pub color: RGBColor,
    /// (x, low, high) whiskers, e.g. min and max over repeats.
    pub error_bars: Vec<(f64, f64, f64)>,
}

impl Series {
    pub fn new(name: &str, points: Vec<(f64, f64)>, mark: Mark, color: RGBColor) -> Self {
        Self {
            name: name.into(),
            points,
            mark,
            color,
            error_bars: Vec::new(),
        }
    }

    pub fn with_error_bars(mut self, bars: Vec<(f64, f64, f64)>) -> Self {
        self.error_bars = bars;
        self
    }
}

/// A straight reference line across the chart (ideal efficiency, a time budget, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    pub name: String,
    pub value: f64,
    pub color: RGBColor,
}

#[derive(Debug, Clone, PartialEq)]
pub struct XyChart {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    /// Horizontal guides at y values.
    pub h_guides: Vec<Guide>,
    /// Vertical guides at x values.
    pub v_guides: Vec<Guide>,
    /// Text next to points (data x, data y, text), e.g. configuration names.
    pub point_labels: Vec<(f64, f64, String)>,
    pub legend: SeriesLabelPosition,
}

impl XyChart {
    pub fn new(title: &str, x: Axis, y: Axis) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series: Vec::new(),
            h_guides: Vec::new(),
            v_guides: Vec::new(),
            point_labels: Vec::new(),
            legend: SeriesLabelPosition::UpperRight,
        }
    }
}

impl Figure for XyChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let x = self
            .x
            .resolve(xs.chain(self.v_guides.iter().map(|g| g.value)));
        let ys = self.series.iter().flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.1)
                .chain(s.error_bars.iter().flat_map(|e| [e.1, e.2]))
        });
        let ys: Vec<f64> = ys.chain(self.h_guides.iter().map(|g| g.value)).collect();
        let mut y = self.y.resolve(ys.iter().copied());
        if let Some(top) = self.legend_headroom(&y) {
            y = self.y.resolve(ys.iter().copied().chain([top]));
        }
        let area = canvas::frame(root, &self.title, &self.y.label)?;
        let mut chart = canvas::chart(&area, &x, &y, &self.x.label)?;
        for guide in &self.h_guides {
            if let Some(c) = self.y.to_coord(guide.value) {
                dashed(
                    &mut chart,
                    vec![(x.lo, c), (x.hi, c)],
                    guide.color,
                    &guide.name,
                )?;
            }
        }
        for guide in &self.v_guides {
            if let Some(c) = self.x.to_coord(guide.value) {
                dashed(
                    &mut chart,
                    vec![(c, y.lo), (c, y.hi)],
                    guide.color,
                    &guide.name,
                )?;
            }
        }
        for s in &self.series {
            self.draw_series(&mut chart, s)?;
        }
        // Labels sit right of their point, or left of it when they would run past the
        // right margin (DejaVu Sans 13 px averages under 8 px per character).
        let right_edge = chart.plotting_area().get_pixel_range().0.end;
        for (px, py, text) in &self.point_labels {
            if let (Some(cx), Some(cy)) = (self.x.to_coord(*px), self.y.to_coord(*py)) {
                let at = chart.backend_coord(&(cx, cy));
                let width = 8 * text.chars().count() as i32;
                let (hpos, dx) = if at.0 + 8 + width > right_edge + 40 {
                    (HPos::Right, -8)
                } else {
                    (HPos::Left, 8)
                };
                let style =
                    TextStyle::from((canvas::FONT, 13).into_font()).pos(Pos::new(hpos, VPos::Top));
                area.draw(&Text::new(text.clone(), (at.0 + dx, at.1 - 20), style))
                    .map_err(fail)?;
            }
        }
        if self.legend_entries() > 0 {
            canvas::legend(&mut chart, self.legend.clone())?;
        }
        Ok(())
    }
}

impl XyChart {
    fn legend_entries(&self) -> usize {
        self.series.iter().filter(|s| !s.name.is_empty()).count()
            + self
                .h_guides
                .iter()
                .chain(&self.v_guides)
                .filter(|g| !g.name.is_empty())
                .count()
    }

    /// A legend at the top would cover data near the top: stretch an automatic y range
    /// upwards (about one legend line per entry) and return the new top as a data value.
    fn legend_headroom(&self, y: &super::axis::Resolved) -> Option<f64> {
        let at_top = matches!(
            self.legend,
            SeriesLabelPosition::UpperLeft
                | SeriesLabelPosition::UpperMiddle
                | SeriesLabelPosition::UpperRight
        );
        let entries = self.legend_entries();
        if !at_top || entries == 0 || self.y.range.is_some() {
            return None;
        }
        let top = y.hi + (0.05 + 0.065 * entries as f64) * (y.hi - y.lo);
        Some(match self.y.scale {
            super::axis::Scale::Linear => top,
            super::axis::Scale::Log => 10f64.powf(top),
        })
    }

    fn coords(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points
            .iter()
            .filter_map(|&(a, b)| Some((self.x.to_coord(a)?, self.y.to_coord(b)?)))
            .collect()
    }

    fn draw_series<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Coords>,
        s: &Series,
    ) -> Result<(), PlotError> {
        let pts = self.coords(&s.points);
        let color = s.color;
        let line = color.stroke_width(2);
        for &(bx, lo, hi) in &s.error_bars {
            if let (Some(cx), Some(clo), Some(chi)) = (
                self.x.to_coord(bx),
                self.y.to_coord(lo),
                self.y.to_coord(hi),
            ) {
                // Whisker with caps; the caps' width is in x coordinates (1 % of the axis).
                let cap = 0.01 * (chart.x_range().end - chart.x_range().start);
                let whisker = [
                    vec![(cx, clo), (cx, chi)],
                    vec![(cx - cap, clo), (cx + cap, clo)],
                    vec![(cx - cap, chi), (cx + cap, chi)],
                ];
                chart
                    .draw_series(
                        whisker
                            .into_iter()
                            .map(|p| PathElement::new(p, color.stroke_width(1))),
                    )
                    .map_err(fail)?;
            }
        }
        let legend_line =
            move |(px, py): (i32, i32)| PathElement::new(vec![(px, py), (px + 22, py)], line);
        let annotation = match s.mark {
            Mark::Line => chart
                .draw_series(LineSeries::new(pts, line))
                .map_err(fail)?,
            Mark::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 8, 5, line))
                .map_err(fail)?,
            Mark::Points => chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 5, color.filled())))
                .map_err(fail)?,
            Mark::LinePoints => {
                chart
                    .draw_series(LineSeries::new(pts.clone(), line))
                    .map_err(fail)?;
                chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, 5, color.filled())))
                    .map_err(fail)?
            }
            Mark::Ring => chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| Circle::new(p, 11, color.stroke_width(3))),
                )
                .map_err(fail)?,
        };
        if !s.name.is_empty() {
            annotation.label(s.name.clone());
            match s.mark {
                Mark::Points => {
                    annotation
                        .legend(move |(px, py)| Circle::new((px + 11, py), 5, color.filled()));
                }
                Mark::Ring => {
                    annotation.legend(move |(px, py)| {
                        Circle::new((px + 11, py), 7, color.stroke_width(3))
                    });
                }
                Mark::Dashed => {
                    annotation.legend(move |p| dashed_legend(p, line));
                }
                Mark::Line | Mark::LinePoints => {
                    annotation.legend(legend_line);
                }
            }
        }
        Ok(())
    }
}

fn dashed<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Coords>,
    pts: Vec<(f64, f64)>,
    color: RGBColor,
    name: &str,
) -> Result<(), PlotError> {
    let style = color.stroke_width(2);
    let annotation = chart
        .draw_series(DashedLineSeries::new(pts, 8, 5, style))
        .map_err(fail)?;
    if !name.is_empty() {
        annotation
            .label(name.to_string())
            .legend(move |p| dashed_legend(p, style));
    }
    Ok(())
}

/// A short dashed stroke for legend entries of dashed series.
pub(super) fn dashed_legend(
    (px, py): (i32, i32),
    style: ShapeStyle,
) -> plotters::element::DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    plotters::element::DashedPathElement::new(vec![(px, py), (px + 22, py)], 5, 3, style)
}
