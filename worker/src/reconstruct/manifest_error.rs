//! Why manifest.csv or reconstruct.json could not be written: each error names the file.

use std::io;
use std::path::PathBuf;

/// A record of the reconstruction that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}
