//! Rank discovery and collectives for synchronous data-parallel training.
//!
//! The training loop only sees [`Collectives`]; which library moves the bytes (nothing for a
//! world of one, MPI on host buffers, NCCL on device buffers with `cuda`) is decided at
//! start-up.

mod grad_sync;
mod solo;

pub use grad_sync::{all_reduce_mean, ALL_REDUCE_ACTIVITY, DEFAULT_BUCKET_ELEMS};
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

/// Joins the job this process was started in and checks that it has `expected_size` ranks.
///
/// Placeholder until the MPI adapter lands: a world of one.
pub fn init(expected_size: usize) -> Result<Box<dyn Collectives>, CommError> {
    if expected_size != 1 {
        return Err(CommError(format!("the trial asks for {expected_size} ranks but MPI support is not built yet")));
    }
    Ok(Box::new(Solo))
}
