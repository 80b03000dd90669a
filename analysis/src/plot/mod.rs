//! Charts, each rendered twice from the same drawing code: PNG (embedded in index.html,
//! and what we look at) and SVG (for talks and papers).

mod axis;
mod bars;
mod boxes;
mod canvas;
mod error;
pub mod palette;
mod pies;
mod xy;

pub use axis::{Axis, Scale};
pub use bars::{BarChart, Layout, Stack};
pub use boxes::{BoxChart, BoxPanel, BoxSeries};
pub use error::PlotError;
pub use pies::PieGrid;
pub use plotters::chart::SeriesLabelPosition as LegendAt;
pub use xy::{Guide, Mark, Series, XyChart};

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Something that can draw itself on any plotters backend.
pub trait Figure {
    fn title(&self) -> &str;

    /// Pixels (PNG) or user units (SVG).
    fn size(&self) -> (u32, u32) {
        (960, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// The files one figure was written to.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureFiles {
    pub stem: String,
    pub title: String,
    pub png: PathBuf,
    pub svg: PathBuf,
}

/// ab_glyph has no system fonts: the embedded DejaVu Sans must be registered before any
/// text is drawn.
fn register_fonts() -> Result<(), PlotError> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        )
        .map_err(|_| PlotError::Font);
    });
    result
}

/// Renders `figure` to `<dir>/<stem>.png` and `<dir>/<stem>.svg`, each written atomically
/// (rendered under a temporary name, then renamed).
pub fn save(figure: &impl Figure, dir: &Path, stem: &str) -> Result<FigureFiles, PlotError> {
    register_fonts()?;
    let in_file = |path: &Path| {
        let path = path.to_path_buf();
        move |e: PlotError| PlotError::Figure { path, source: Box::new(e) }
    };
    let size = figure.size();
    let png = dir.join(format!("{stem}.png"));
    // The bitmap backend picks the encoder from the extension: keep `.png` last.
    let png_tmp = dir.join(format!(".tmp-{}-{stem}.png", std::process::id()));
    {
        let root = BitMapBackend::new(&png_tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(canvas::fail)?;
        figure.draw(&root).map_err(in_file(&png))?;
        root.present().map_err(canvas::fail).map_err(in_file(&png))?;
    }
    std::fs::rename(&png_tmp, &png).map_err(|source| PlotError::File { path: png.clone(), source })?;
    let svg = dir.join(format!("{stem}.svg"));
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(canvas::fail)?;
        figure.draw(&root).map_err(in_file(&svg))?;
        root.present().map_err(canvas::fail).map_err(in_file(&svg))?;
    }
    xvr_contract::results::write_atomic(&svg, text.as_bytes())
        .map_err(|source| PlotError::File { path: svg.clone(), source })?;
    Ok(FigureFiles {
        stem: stem.into(),
        title: figure.title().into(),
        png,
        svg,
    })
}
