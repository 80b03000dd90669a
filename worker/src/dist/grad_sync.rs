//! Gradient averaging over ranks on one flat buffer, in fixed-size buckets.
//!
//! One collective per bucket (not one per tensor): a few large messages reach the link's
//! bandwidth, hundreds of small ones pay its latency each time.

use super::{Collectives, CommError};
use crate::profile::{ActivityKind, Recorder};

/// Default bucket size in f32 elements (25 MiB, PyTorch DDP's default `bucket_cap_mb`).
pub const DEFAULT_BUCKET_ELEMS: usize = 25 * 1024 * 1024 / 4;

/// Name of the recorded communication interval of one bucket. Trace readers (HTA, our `hta`
/// and `paper` presets) know communication only by NCCL's kernel names (`^nccl.*Kernel`), so
/// the host MPI all-reduce is named like one; the `MPI_Allreduce` part says what it really is.
pub const ALL_REDUCE_ACTIVITY: &str = "ncclKernel_MPI_Allreduce_Sum_f32";

/// Replaces `flat` by its element-wise mean over ranks, one all-reduce per bucket of at most
/// `bucket_elems` elements, each recorded on stream 1 of `rec`.
pub fn all_reduce_mean(
    coll: &dyn Collectives,
    flat: &mut [f32],
    bucket_elems: usize,
    rec: &mut Recorder,
) -> Result<(), CommError> {
    let size = coll.world().size;
    if size == 1 {
        return Ok(());
    }
    for bucket in flat.chunks_mut(bucket_elems.max(1)) {
        rec.record(ALL_REDUCE_ACTIVITY, ActivityKind::Kernel, 1, || {
            coll.all_reduce_sum(bucket)
        })?;
    }
    let scale = 1.0 / size as f32;
    flat.iter_mut().for_each(|g| *g *= scale);
    Ok(())
}
