//! Collectives over MPI on host buffers: the CPU path, and the bootstrap/fallback for NCCL.

use std::cell::RefCell;

use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};

use super::{Collectives, CommError, WorldInfo};

/// MPI_COMM_WORLD and the MPI environment, alive as long as this value.
///
/// Dropping it finalises MPI, so keep it until the process is about to exit (return from
/// `main` rather than calling `std::process::exit`, which skips the drop and makes the
/// launcher report an abnormal termination). MPI's default error handler aborts the whole
/// job when a collective fails, which is what a synchronous data-parallel job needs (a rank
/// carrying on alone would deadlock the others); the `Result`s are therefore always `Ok` here.
pub struct MpiCollectives {
    world_info: WorldInfo,
    world: SimpleCommunicator,
    /// Send buffer for all-reduce: rsmpi has no `MPI_IN_PLACE`, so the input is copied here
    /// (one memcpy per bucket, reused across calls).
    send_scratch: RefCell<Vec<f32>>,
    /// Declared last so that it drops (MPI_Finalize) after the communicator.
    _universe: Universe,
}

impl MpiCollectives {
    /// Initialises MPI (once per process) and reads rank, size, and the rank and size among
    /// the processes sharing this node's memory.
    pub fn init() -> Result<Self, CommError> {
        let universe = mpi::initialize().ok_or(CommError::AlreadyInitialised)?;
        let world = universe.world();
        let node = world.split_shared(world.rank());
        let world_info = WorldInfo {
            rank: to_usize(world.rank()),
            size: to_usize(world.size()),
            local_rank: to_usize(node.rank()),
            local_size: to_usize(node.size()),
        };
        Ok(Self {
            world_info,
            world,
            send_scratch: RefCell::new(Vec::new()),
            _universe: universe,
        })
    }

    /// Replaces `buf` on every rank by `root`'s bytes (e.g. the NCCL unique id).
    pub fn broadcast_bytes(&self, buf: &mut [u8], root: usize) -> Result<(), CommError> {
        self.root(root)?.broadcast_into(buf);
        Ok(())
    }

    /// `recv` = element-wise sum over ranks of `send` (same length): one `MPI_Allreduce`
    /// without the staging copy of [`Collectives::all_reduce_sum`].
    pub fn all_reduce_sum_into(&self, send: &[f32], recv: &mut [f32]) -> Result<(), CommError> {
        if send.len() != recv.len() {
            return Err(CommError::Lengths {
                send: send.len(),
                recv: recv.len(),
            });
        }
        self.world
            .all_reduce_into(send, recv, SystemOperation::sum());
        Ok(())
    }

    fn root(&self, root: usize) -> Result<mpi::topology::Process<'_>, CommError> {
        if root >= self.world_info.size {
            return Err(CommError::RootOutsideWorld {
                root,
                size: self.world_info.size,
            });
        }
        Ok(self.world.process_at_rank(root as i32))
    }
}

fn to_usize(v: i32) -> usize {
    usize::try_from(v).expect("MPI ranks and sizes are non-negative")
}

impl Collectives for MpiCollectives {
    fn world(&self) -> WorldInfo {
        self.world_info
    }

    fn all_reduce_sum(&self, buf: &mut [f32]) -> Result<(), CommError> {
        let mut send = self.send_scratch.borrow_mut();
        send.clear();
        send.extend_from_slice(buf);
        self.all_reduce_sum_into(&send, buf)
    }

    fn broadcast(&self, buf: &mut [f32], root: usize) -> Result<(), CommError> {
        self.root(root)?.broadcast_into(buf);
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "mpi"
    }

    fn barrier(&self) -> Result<(), CommError> {
        self.world.barrier();
        Ok(())
    }

    fn gather_f64(&self, values: &[f64], root: usize) -> Result<Option<Vec<f64>>, CommError> {
        let root_process = self.root(root)?;
        if self.world_info.rank == root {
            let mut all = vec![0.0; values.len() * self.world_info.size];
            root_process.gather_into_root(values, &mut all[..]);
            Ok(Some(all))
        } else {
            root_process.gather_into(values);
            Ok(None)
        }
    }
}
