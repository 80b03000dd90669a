//! NCCL collectives on device buffers (feature `cuda`), bootstrapped over MPI.
//!
//! cudarc loads libcuda and libnccl at the first call and panics when one is missing; every
//! entry here checks that the libraries load first and turns a panic inside cudarc into a
//! [`CommError`], so a machine without a GPU stack gets a message, not a crash.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaSlice, CudaStream};
use cudarc::nccl::safe::{Comm, Id, ReduceOp};

use super::{join, local_device, Collectives, CommError, MpiCollectives, WorldInfo};

/// One NCCL communicator over all ranks, one GPU per rank.
///
/// The [`Collectives`] impl stages host buffers through the device (correct, with two
/// copies per call: the fallback for host-side values); training on CUDA should call the
/// `*_device` methods on its device gradient buffer instead.
pub struct NcclCollectives {
    world_info: WorldInfo,
    /// Declared before `mpi` so that NCCL is torn down before MPI finalises.
    comm: Comm,
    stream: Arc<CudaStream>,
    mpi: Option<MpiCollectives>,
}

/// Joins the job like [`super::init`], picks this rank's GPU (local rank modulo the visible
/// devices: with an affinity wrapper exposing one GPU per rank that is device 0), and
/// creates the NCCL communicator; rank 0's NCCL unique id travels over MPI.
pub fn init_nccl(expected_size: usize) -> Result<NcclCollectives, CommError> {
    let mpi = join(expected_size)?;
    let world_info = mpi.as_ref().map_or(WorldInfo::SOLO, Collectives::world);
    check_libraries()?;
    let stream = guarded("CUDA device set-up", || {
        let count = CudaContext::device_count().map_err(|e| format!("{e:?}"))?;
        if count < 1 {
            return Err("no CUDA device visible (CUDA_VISIBLE_DEVICES?)".into());
        }
        let ordinal = local_device(world_info, count as usize);
        let ctx = CudaContext::new(ordinal).map_err(|e| format!("device {ordinal}: {e:?}"))?;
        ctx.new_stream().map_err(|e| format!("{e:?}"))
    })?;
    let mut id_bytes = [0u8; 128];
    if world_info.rank == 0 {
        let id = guarded("ncclGetUniqueId", || {
            Id::new().map_err(|e| format!("{e:?}"))
        })?;
        for (b, c) in id_bytes.iter_mut().zip(id.internal()) {
            *b = *c as u8;
        }
    }
    if let Some(mpi) = &mpi {
        mpi.broadcast_bytes(&mut id_bytes, 0)?;
    }
    let id = Id::uninit(id_bytes.map(|b| b as core::ffi::c_char));
    let comm = guarded("ncclCommInitRank", || {
        Comm::from_rank(stream.clone(), world_info.rank, world_info.size, id)
            .map_err(|e| format!("{e:?}"))
    })?;
    Ok(NcclCollectives {
        world_info,
        comm,
        stream,
        mpi,
    })
}

/// Fails clearly when libcuda or libnccl cannot be loaded.
fn check_libraries() -> Result<(), CommError> {
    // SAFETY: these only try to dlopen the libraries.
    let driver = guarded("loading libcuda", || {
        Ok(unsafe { cudarc::driver::sys::is_culib_present() })
    })?;
    if !driver {
        return Err(CommError(
            "NCCL collectives need the CUDA driver (libcuda.so), which cannot be loaded here"
                .into(),
        ));
    }
    let nccl = guarded("loading libnccl", || {
        Ok(unsafe { cudarc::nccl::sys::is_culib_present() })
    })?;
    if !nccl {
        return Err(CommError(
            "NCCL collectives need libnccl.so, which cannot be loaded: add its directory to LD_LIBRARY_PATH \
             (on Polaris: module load the NCCL/conda environment)"
                .into(),
        ));
    }
    Ok(())
}

/// Runs `f`, turning both its error and a panic inside cudarc into a [`CommError`].
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, CommError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(CommError(format!("{what}: {e}"))),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("panic without message");
            Err(CommError(format!("{what}: {msg}")))
        }
    }
}

impl NcclCollectives {
    /// The stream NCCL operations are enqueued on.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// Element-wise sum over ranks of a device buffer, in place, enqueued on [`Self::stream`].
    pub fn all_reduce_sum_device(&self, buf: &mut CudaSlice<f32>) -> Result<(), CommError> {
        guarded("ncclAllReduce", || {
            self.comm
                .all_reduce_in_place(buf, &ReduceOp::Sum)
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        })
    }

    /// Replaces a device buffer by `root`'s, enqueued on [`Self::stream`].
    pub fn broadcast_device(&self, buf: &mut CudaSlice<f32>, root: usize) -> Result<(), CommError> {
        guarded("ncclBroadcast", || {
            self.comm
                .broadcast_in_place(buf, root as i32)
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        })
    }

    /// Copies `buf` to the device, runs `op` on it, copies it back and waits.
    fn staged(
        &self,
        buf: &mut [f32],
        op: impl FnOnce(&mut CudaSlice<f32>) -> Result<(), CommError>,
    ) -> Result<(), CommError> {
        let mut dev = guarded("host→device copy", || {
            self.stream.clone_htod(buf).map_err(|e| format!("{e:?}"))
        })?;
        op(&mut dev)?;
        guarded("device→host copy", || {
            self.stream
                .memcpy_dtoh(&dev, buf)
                .map_err(|e| format!("{e:?}"))?;
            self.stream.synchronize().map_err(|e| format!("{e:?}"))
        })
    }
}

impl Collectives for NcclCollectives {
    fn world(&self) -> WorldInfo {
        self.world_info
    }

    fn all_reduce_sum(&self, buf: &mut [f32]) -> Result<(), CommError> {
        self.staged(buf, |dev| self.all_reduce_sum_device(dev))
    }

    fn broadcast(&self, buf: &mut [f32], root: usize) -> Result<(), CommError> {
        self.staged(buf, |dev| self.broadcast_device(dev, root))
    }

    fn backend(&self) -> &'static str {
        "nccl"
    }

    fn barrier(&self) -> Result<(), CommError> {
        match &self.mpi {
            Some(mpi) => mpi.barrier(),
            None => Ok(()),
        }
    }

    fn gather_f64(&self, values: &[f64], root: usize) -> Result<Option<Vec<f64>>, CommError> {
        match &self.mpi {
            Some(mpi) => mpi.gather_f64(values, root),
            None => Ok((root == 0).then(|| values.to_vec())),
        }
    }
}
