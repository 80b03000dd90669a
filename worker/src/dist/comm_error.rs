//! Why joining the job or a collective failed.

use super::launcher::WorldSizeError;
#[cfg(feature = "cuda")]
use super::nccl::NcclError;

/// A failed join or collective: what was asked and why it cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommError {
    #[error("the trial asks for 0 ranks; at least 1 is needed")]
    NoRanks,
    /// MPI's world is not the job the trial and the launcher describe.
    #[error(transparent)]
    WorldSize(#[from] WorldSizeError),
    #[error("MPI is already initialised in this process (one MPI job per process)")]
    AlreadyInitialised,
    /// An all-reduce whose send and receive buffers differ in length.
    #[error("all-reduce of {send} elements into {recv}")]
    Lengths { send: usize, recv: usize },
    #[error("root rank {root} outside a world of {size}")]
    RootOutsideWorld { root: usize, size: usize },
    /// A gather on collectives that only gather in a world of one.
    #[error("gather is not implemented for this world of {size} ranks")]
    GatherUnsupported { size: usize },
    /// The CUDA/NCCL side of NCCL collectives.
    #[cfg(feature = "cuda")]
    #[error(transparent)]
    Nccl(#[from] NcclError),
}
