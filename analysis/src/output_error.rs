//! Why the report or a prediction could not be written: each error names the file.

use std::io;
use std::path::PathBuf;

use crate::plot::PlotError;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: cannot create: {source}", dir.display())]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("{}: cannot remove stale file: {source}", path.display())]
    RemoveStale { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("selected.yaml: cannot serialise {what}: {source}")]
    Serialise { what: &'static str, source: serde_yaml::Error },
    #[error(transparent)]
    Plot(#[from] PlotError),
}
