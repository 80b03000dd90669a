//! NCCL collectives on device buffers (feature `cuda`), bootstrapped over MPI.
//!
//! cudarc loads libcuda and libnccl at the first call and panics when one is missing; every
//! entry here checks that the libraries load first and turns a panic inside cudarc into a
//! [`NcclError`], so a machine without a GPU stack gets a message, not a crash.

use std::fmt::Debug;
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

/// Why the CUDA/NCCL side of [`NcclCollectives`] failed. cudarc's errors carry no message of
/// their own, so they are kept as their Debug text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NcclError {
    #[error("NCCL collectives need the CUDA driver (libcuda.so), which cannot be loaded here")]
    NoDriver,
    #[error(
        "NCCL collectives need libnccl.so, which cannot be loaded: add its directory to LD_LIBRARY_PATH \
         (on Polaris: module load the NCCL/conda environment)"
    )]
    NoNccl,
    #[error("CUDA device set-up: no CUDA device visible (CUDA_VISIBLE_DEVICES?)")]
    NoDevice,
    /// The CUDA context of device `ordinal` cannot be created.
    #[error("CUDA device set-up: device {ordinal}: {detail}")]
    Device { ordinal: usize, detail: String },
    /// A cudarc call (`call`: the CUDA/NCCL operation) returned an error.
    #[error("{call}: {detail}")]
    Call { call: &'static str, detail: String },
    /// cudarc panicked during `call` (e.g. a library that loads but lacks a symbol).
    #[error("{call}: {message}")]
    Panicked { call: &'static str, message: String },
}

/// Joins the job like [`super::init`], picks this rank's GPU (local rank modulo the visible
/// devices: with an affinity wrapper exposing one GPU per rank that is device 0), and
/// creates the NCCL communicator; rank 0's NCCL unique id travels over MPI.
pub fn init_nccl(expected_size: usize) -> Result<NcclCollectives, CommError> {
    let mpi = join(expected_size)?;
    let world_info = mpi.as_ref().map_or(WorldInfo::SOLO, Collectives::world);
    check_libraries()?;
    let stream = guarded("CUDA device set-up", |call| {
        let count = CudaContext::device_count().map_err(|e| call.failed(e))?;
        if count < 1 {
            return Err(NcclError::NoDevice);
        }
        let ordinal = local_device(world_info, count as usize);
        let ctx = CudaContext::new(ordinal).map_err(|e| NcclError::Device {
            ordinal,
            detail: format!("{e:?}"),
        })?;
        ctx.new_stream().map_err(|e| call.failed(e))
    })?;
    let mut id_bytes = [0u8; 128];
    if world_info.rank == 0 {
        let id = guarded("ncclGetUniqueId", |call| {
            Id::new().map_err(|e| call.failed(e))
        })?;
        for (b, c) in id_bytes.iter_mut().zip(id.internal()) {
            *b = *c as u8;
        }
    }
    if let Some(mpi) = &mpi {
        mpi.broadcast_bytes(&mut id_bytes, 0)?;
    }
    let id = Id::uninit(id_bytes.map(|b| b as core::ffi::c_char));
    let comm = guarded("ncclCommInitRank", |call| {
        Comm::from_rank(stream.clone(), world_info.rank, world_info.size, id)
            .map_err(|e| call.failed(e))
    })?;
    Ok(NcclCollectives {
        world_info,
        comm,
        stream,
        mpi,
    })
}

/// Fails clearly when libcuda or libnccl cannot be loaded.
fn check_libraries() -> Result<(), NcclError> {
    // SAFETY: these only try to dlopen the libraries.
    let driver = guarded("loading libcuda", |_| {
        Ok(unsafe { cudarc::driver::sys::is_culib_present() })
    })?;
    if !driver {
        return Err(NcclError::NoDriver);
    }
    let nccl = guarded("loading libnccl", |_| {
        Ok(unsafe { cudarc::nccl::sys::is_culib_present() })
    })?;
    if !nccl {
        return Err(NcclError::NoNccl);
    }
    Ok(())
}

/// The CUDA/NCCL operation a [`guarded`] closure performs, which names its failures.
#[derive(Debug, Clone, Copy)]
struct Call(&'static str);

impl Call {
    /// cudarc's error `e` from this call.
    fn failed(self, e: impl Debug) -> NcclError {
        NcclError::Call {
            call: self.0,
            detail: format!("{e:?}"),
        }
    }
}

/// Runs `f` (the operation `call`), turning a panic inside cudarc into an [`NcclError`].
fn guarded<T>(
    call: &'static str,
    f: impl FnOnce(Call) -> Result<T, NcclError>,
) -> Result<T, NcclError> {
    match catch_unwind(AssertUnwindSafe(|| f(Call(call)))) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("panic without message");
            Err(NcclError::Panicked {
                call,
                message: message.to_string(),
            })
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
        Ok(guarded("ncclAllReduce", |call| {
            self.comm
                .all_reduce_in_place(buf, &ReduceOp::Sum)
                .map(drop)
                .map_err(|e| call.failed(e))
        })?)
    }

    /// Replaces a device buffer by `root`'s, enqueued on [`Self::stream`].
    pub fn broadcast_device(&self, buf: &mut CudaSlice<f32>, root: usize) -> Result<(), CommError> {
        Ok(guarded("ncclBroadcast", |call| {
            self.comm
                .broadcast_in_place(buf, root as i32)
                .map(drop)
                .map_err(|e| call.failed(e))
        })?)
    }

    /// Copies `buf` to the device, runs `op` on it, copies it back and waits.
    fn staged(
        &self,
        buf: &mut [f32],
        op: impl FnOnce(&mut CudaSlice<f32>) -> Result<(), CommError>,
    ) -> Result<(), CommError> {
        let mut dev = guarded("host→device copy", |call| {
            self.stream.clone_htod(buf).map_err(|e| call.failed(e))
        })?;
        op(&mut dev)?;
        Ok(guarded("device→host copy", |call| {
            self.stream
                .memcpy_dtoh(&dev, buf)
                .map_err(|e| call.failed(e))?;
            self.stream.synchronize().map_err(|e| call.failed(e))
        })?)
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
