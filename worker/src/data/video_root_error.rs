//! Why a root of stored videos cannot be read: every error names the root or the entry.

use std::io;
use std::path::PathBuf;

use super::sequence_error::SequenceError;

/// An unreadable root of videos.
#[derive(Debug, thiserror::Error)]
pub enum VideoRootError {
    #[error("{}: cannot list video folders: {source}", root.display())]
    List { root: PathBuf, source: io::Error },
    /// No entry of the root is a video; `expected` describes the layout that would be.
    #[error("{}: no videos (expected {expected})", root.display())]
    NoVideos {
        root: PathBuf,
        expected: &'static str,
    },
    /// An entry that is not a readable sequence of the root's kind.
    #[error(transparent)]
    Video(#[from] SequenceError),
}
