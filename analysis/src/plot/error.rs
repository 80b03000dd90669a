//! Why a figure could not be drawn or written.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("plot: the embedded DejaVu Sans font could not be loaded")]
    Font,
    /// plotters could not draw; its backends' error types differ, so their text is kept.
    #[error("plot: {0}")]
    Draw(String),
    /// Drawing or rendering one figure file failed.
    #[error("{}: {source}", path.display())]
    Figure { path: PathBuf, source: Box<PlotError> },
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
}
