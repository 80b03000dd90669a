//! A grid of pie charts sharing one legend: one pie per GPU count (paper Fig. 4).

use super::PlotError;
use super::canvas::{fail, FONT};
use super::Figure;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Debug, Clone, PartialEq)]
pub struct PieGrid {
    pub title: String,
    /// Category names and colours, shared by every pie.
    pub categories: Vec<(String, RGBColor)>,
    /// (pie title, one value per category).
    pub pies: Vec<(String, Vec<f64>)>,
}

impl PieGrid {
    fn columns(&self) -> usize {
        self.pies.len().clamp(1, 4)
    }
}

impl Figure for PieGrid {
    fn title(&self) -> &str {
        &self.title
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.pies.len().div_ceil(self.columns()).max(1) as u32;
        // Wide enough for the title (22 px font, ~12 px a character) and the one-line legend.
        let title = 12 * self.title.chars().count() as u32 + 40;
        let legend: u32 = self
            .categories
            .iter()
            .map(|(n, _)| 30 + 9 * n.chars().count() as u32)
            .sum::<u32>()
            + 40;
        let width = (self.columns() as u32 * 300 + 40).max(title).max(legend);
        (width, rows * 300 + 110)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let area = root
            .titled(&self.title, (FONT, 22).into_font())
            .map_err(fail)?;
        let height = area.dim_in_pixel().1;
        let (grid, legend) = area.split_vertically(height.saturating_sub(50));
        let cols = self.columns();
        let rows = self.pies.len().div_ceil(cols).max(1);
        let cells = grid.margin(0, 0, 20, 20).split_evenly((rows, cols));
        let colors: Vec<RGBColor> = self.categories.iter().map(|c| c.1).collect();
        for ((name, values), cell) in self.pies.iter().zip(&cells) {
            let (w, h) = cell.dim_in_pixel();
            let centred = |size| {
                TextStyle::from((FONT, size).into_font()).pos(Pos::new(HPos::Center, VPos::Top))
            };
            cell.draw(&Text::new(name.clone(), (w as i32 / 2, 4), centred(17)))
                .map_err(fail)?;
            let total: f64 = values.iter().sum();
            if total <= 0.0 {
                cell.draw(&Text::new(
                    "no data",
                    (w as i32 / 2, h as i32 / 2),
                    centred(15),
                ))
                .map_err(fail)?;
                continue;
            }
            // Pie ignores the drawing area's offset: its centre is in backend pixels.
            let (bx, by) = cell.get_base_pixel();
            let center = (bx + w as i32 / 2, by + h as i32 / 2 + 12);
            let radius = (w.min(h) as f64) * 0.30;
            // Shares written outside the wedges, where small neighbouring slices have room.
            // An empty wedge gets no label (it would sit on its neighbour's).
            let labels: Vec<String> = values
                .iter()
                .map(|v| 100.0 * v / total)
                .map(|p| {
                    if p >= 0.05 {
                        format!("{p:.1} %")
                    } else {
                        String::new()
                    }
                })
                .collect();
            let mut pie = Pie::new(&center, &radius, values, &colors, &labels);
            pie.start_angle(-90.0);
            pie.label_style((FONT, 13).into_font().color(&BLACK));
            pie.label_offset(12.0);
            cell.draw(&pie).map_err(fail)?;
        }
        let mut x = 20;
        for (name, color) in &self.categories {
            legend
                .draw(&Rectangle::new([(x, 14), (x + 16, 30)], color.filled()))
                .map_err(fail)?;
            legend
                .draw(&Text::new(
                    name.clone(),
                    (x + 22, 14),
                    (FONT, 16).into_font(),
                ))
                .map_err(fail)?;
            x += 30 + 9 * name.len() as i32;
        }
        Ok(())
    }
}
