//! Rank discovery and collectives for synchronous data-parallel training.
//!
//! The training loop only sees [`Collectives`]; which library moves the bytes (nothing for a
//! world of one, MPI on host buffers, NCCL on device buffers with `cuda`) is decided at
//! start-up.

mod solo;

pub use solo::Solo;

use std::fmt;

/// Where this process sits in the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldInfo {
    pub rank: usize,
    pub size: usize,
    /// Rank among the processes on this node (selects the GPU / CPU share).
    pub local_rank: usize,
    pub local_size: usize,
}

impl WorldInfo {
    pub const SOLO: Self = Self { rank: 0, size: 1, local_rank: 0, local_size: 1 };
}

/// A collective failed; carries the library's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommError(pub String);

impl fmt::Display for CommError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommError {}

/// The collectives data parallelism needs, on flat f32 host buffers.
pub trait Collectives {
    fn world(&self) -> WorldInfo;
    /// Element-wise sum over ranks, in place; every rank ends with the sum.
    fn all_reduce_sum(&self, buf: &mut [f32]) -> Result<(), CommError>;
    /// Replaces `buf` on every rank by `root`'s `buf`.
    fn broadcast(&self, buf: &mut [f32], root: usize) -> Result<(), CommError>;
    /// Waits until every rank has arrived.
    fn barrier(&self) -> Result<(), CommError>;
}
