//! Rank discovery and collectives for synchronous data-parallel training.
//!
//! The training loop only sees [`Collectives`]; which library moves the bytes (nothing for a
//! world of one, MPI on host buffers, NCCL on device buffers with `cuda`) is decided at
//! start-up.

mod comm_error;
mod device;
mod grad_sync;
mod launcher;
mod mpi_comm;
#[cfg(feature = "cuda")]
pub mod nccl;
mod solo;
mod threads;

pub use comm_error::CommError;
pub use device::local_device;
pub use grad_sync::{all_reduce_mean, ALL_REDUCE_ACTIVITY, DEFAULT_BUCKET_ELEMS};
pub use launcher::{check_world_size, LauncherEnv, WorldSizeError};
pub use mpi_comm::MpiCollectives;
pub use solo::Solo;
pub use threads::{compute_threads, threads_for};

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
    pub const SOLO: Self = Self {
        rank: 0,
        size: 1,
        local_rank: 0,
        local_size: 1,
    };
}

/// The collectives data parallelism needs, on flat f32 host buffers.
pub trait Collectives {
    fn world(&self) -> WorldInfo;
    /// Element-wise sum over ranks, in place; every rank ends with the sum.
    fn all_reduce_sum(&self, buf: &mut [f32]) -> Result<(), CommError>;
    /// Replaces `buf` on every rank by `root`'s `buf`.
    fn broadcast(&self, buf: &mut [f32], root: usize) -> Result<(), CommError>;
    /// Waits until every rank has arrived.
    fn barrier(&self) -> Result<(), CommError>;
    /// The library moving the bytes (`mpi`, `nccl`, `none`), for trace metadata.
    fn backend(&self) -> &'static str {
        "none"
    }
    /// Concatenates every rank's `values` (same length on all ranks) in rank order on `root`
    /// (`Some`); the other ranks get `None`. Used for per-rank reports (profile rows).
    fn gather_f64(&self, values: &[f64], root: usize) -> Result<Option<Vec<f64>>, CommError> {
        let world = self.world();
        if world.size == 1 && root == 0 {
            Ok(Some(values.to_vec()))
        } else {
            Err(CommError::GatherUnsupported { size: world.size })
        }
    }
}

/// Joins the job this process was started in and checks that it has `expected_size` ranks.
///
/// Without any launcher variable and with one rank expected, MPI is not touched at all (a
/// world of one: tests and single-process runs need no MPI). Otherwise MPI is initialised
/// and its world size must equal `expected_size`; a launcher that started N > 1 processes
/// while MPI sees a world of one (an `mpiexec` from another MPI) is refused. The returned
/// object owns the MPI environment: drop it just before exiting.
pub fn init(expected_size: usize) -> Result<Box<dyn Collectives>, CommError> {
    Ok(match join(expected_size)? {
        None => Box::new(Solo),
        Some(mpi) => Box::new(mpi),
    })
}

/// [`init`] without the boxing: `None` for a world of one started without a launcher.
pub fn join(expected_size: usize) -> Result<Option<MpiCollectives>, CommError> {
    if expected_size == 0 {
        return Err(CommError::NoRanks);
    }
    let launcher = LauncherEnv::from_process_env();
    if !launcher.launched && expected_size == 1 {
        return Ok(None);
    }
    let mpi = MpiCollectives::init()?;
    let library = mpi::environment::library_version().unwrap_or_else(|_| "unknown MPI".into());
    let library = library
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    check_world_size(expected_size, mpi.world().size, &launcher, &library)?;
    Ok(Some(mpi))
}
