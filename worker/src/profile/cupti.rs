//! CUPTI activity collection (feature `cuda`): concurrent kernels, memcpys with their copy
//! kind, and memsets, timestamped on `CLOCK_MONOTONIC` like the CPU recorder, fed into a
//! [`Recorder`].
//!
//! Use: [`CuptiCollector::start`] once before the first CUDA work, then at the end of every
//! profiled iteration (after synchronising the device) [`CuptiCollector::flush_into`] the
//! recorder, before [`Recorder::end_iteration`]. libcupti is loaded at run time; when it is
//! missing `start` returns an error instead of cudarc's panic.

use std::alloc::{alloc, dealloc, Layout};
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use cudarc::cupti::result::{activity, CuptiError};
use cudarc::cupti::sys::{self, CUpti_ActivityKind as Kind};

use super::{monotonic_ns, Activity, ActivityKind, CopyKind, Recorder};

const BUFFER_BYTES: usize = 8 * 1024 * 1024;
const BUFFER_ALIGN: usize = 8;
const KINDS: [Kind; 3] = [
    Kind::CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
    Kind::CUPTI_ACTIVITY_KIND_MEMCPY,
    Kind::CUPTI_ACTIVITY_KIND_MEMSET,
];

/// Records decoded by CUPTI's buffer-complete callback, waiting for [`CuptiCollector::flush_into`].
static COMPLETED: Mutex<Vec<Activity>> = Mutex::new(Vec::new());

/// Why CUPTI could not collect activities.
#[derive(Debug, thiserror::Error)]
pub enum CuptiFailure {
    #[error("libcupti cannot be loaded: add $CUDA_HOME/extras/CUPTI/lib64 to LD_LIBRARY_PATH")]
    NotLoadable,
    #[error("{what}: {code:?}")]
    Call { what: &'static str, code: CuptiError },
    #[error("CUPTI panicked while starting (library version mismatch?)")]
    Panicked,
    #[error("CUPTI record list poisoned")]
    Poisoned,
}

/// Handle on the process-wide CUPTI activity collection; disables it when dropped.
pub struct CuptiCollector(());

impl CuptiCollector {
    /// Loads libcupti, registers the buffer and timestamp callbacks and enables the three kinds.
    pub fn start() -> Result<Self, CuptiFailure> {
        let started = catch_unwind(AssertUnwindSafe(|| -> Result<(), CuptiFailure> {
            // SAFETY: only tries to dlopen libcupti.
            if !unsafe { sys::is_culib_present() } {
                return Err(CuptiFailure::NotLoadable);
            }
            let err = |what: &'static str, code: CuptiError| CuptiFailure::Call { what, code };
            activity::register_timestamp_callback(Some(timestamp))
                .map_err(|e| err("timestamp callback", e))?;
            activity::register_callbacks(Some(buffer_requested), Some(buffer_completed))
                .map_err(|e| err("buffer callbacks", e))?;
            for kind in KINDS {
                activity::enable(kind).map_err(|e| err("enabling activity kind", e))?;
            }
            Ok(())
        }));
        match started {
            Ok(result) => result.map(|()| Self(())),
            Err(_) => Err(CuptiFailure::Panicked),
        }
    }

    /// Flushes CUPTI's buffers and pushes the records that started inside the recorder's
    /// profiled span into `rec`, attributed to its current iteration.
    pub fn flush_into(&self, rec: &mut Recorder) -> Result<(), CuptiFailure> {
        activity::flush_all(sys::CUpti_ActivityFlag::CUPTI_ACTIVITY_FLAG_FLUSH_FORCED as u32)
            .map_err(|code| CuptiFailure::Call { what: "cuptiActivityFlushAll", code })?;
        let records =
            std::mem::take(&mut *COMPLETED.lock().map_err(|_| CuptiFailure::Poisoned)?);
        let (Some((window_start, _)), true) = (rec.span_ns(), rec.is_active()) else {
            return Ok(());
        };
        let iteration = rec.current_iteration();
        for a in records.into_iter().filter(|a| a.start_ns >= window_start) {
            rec.push(Activity { iteration, ..a });
        }
        Ok(())
    }
}

impl Drop for CuptiCollector {
    fn drop(&mut self) {
        for kind in KINDS {
            let _ = activity::disable(kind);
        }
    }
}

/// CUPTI's clock: the recorder's, so GPU and CPU intervals share one timeline.
extern "C" fn timestamp() -> u64 {
    monotonic_ns()
}

extern "C" fn buffer_requested(buffer: *mut *mut u8, size: *mut usize, max_records: *mut usize) {
    let layout = Layout::from_size_align(BUFFER_BYTES, BUFFER_ALIGN).expect("constant layout");
    // SAFETY: CUPTI passes valid out-pointers; the buffer is freed in `buffer_completed`.
    unsafe {
        *buffer = alloc(layout);
        *size = if (*buffer).is_null() { 0 } else { BUFFER_BYTES };
        *max_records = 0;
    }
}

extern "C" fn buffer_completed(
    _ctx: cudarc::driver::sys::CUcontext,
    _stream: u32,
    buffer: *mut u8,
    _size: usize,
    valid: usize,
) {
    if buffer.is_null() {
        return;
    }
    let mut decoded = Vec::new();
    let mut record: *mut sys::CUpti_Activity = std::ptr::null_mut();
    // SAFETY: `buffer` holds `valid` bytes of records CUPTI wrote; each record is read
    // through the struct of its kind's stable prefix (start/end/stream/name or copy kind).
    unsafe {
        // The end of the buffer is CUPTI_ERROR_MAX_LIMIT_REACHED; any other error ends it too.
        while activity::get_next_record(buffer, valid, &mut record).is_ok() {
            decoded.extend(decode(record));
        }
        dealloc(
            buffer,
            Layout::from_size_align(BUFFER_BYTES, BUFFER_ALIGN).expect("constant layout"),
        );
    }
    if let Ok(mut done) = COMPLETED.lock() {
        done.extend(decoded);
    }
}

/// One CUPTI record as an [`Activity`] (iteration filled in later); other kinds → `None`.
///
/// # Safety
/// `record` points to a complete CUPTI activity record.
unsafe fn decode(record: *const sys::CUpti_Activity) -> Option<Activity> {
    let activity = |name: String, kind, start, end, stream| Activity {
        name,
        kind,
        start_ns: start,
        end_ns: end,
        stream,
        iteration: 0,
    };
    match (*record).kind {
        Kind::CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL | Kind::CUPTI_ACTIVITY_KIND_KERNEL => {
            let k = &*(record as *const sys::CUpti_ActivityKernel4);
            let name = if k.name.is_null() {
                "unknown kernel".into()
            } else {
                CStr::from_ptr(k.name).to_string_lossy().into_owned()
            };
            Some(activity(
                name,
                ActivityKind::Kernel,
                k.start,
                k.end,
                k.streamId,
            ))
        }
        Kind::CUPTI_ACTIVITY_KIND_MEMCPY => {
            let m = &*(record as *const sys::CUpti_ActivityMemcpy);
            let kind = copy_kind(m.copyKind);
            let name = format!(
                "Memcpy {} ({} -> {})",
                kind.label(),
                memory_kind(m.srcKind),
                memory_kind(m.dstKind)
            );
            Some(activity(
                name,
                ActivityKind::Memcpy(kind),
                m.start,
                m.end,
                m.streamId,
            ))
        }
        Kind::CUPTI_ACTIVITY_KIND_MEMSET => {
            let m = &*(record as *const sys::CUpti_ActivityMemset);
            let name = format!("Memset ({})", memory_kind(m.memoryKind as u8));
            Some(activity(
                name,
                ActivityKind::Memset,
                m.start,
                m.end,
                m.streamId,
            ))
        }
        _ => None,
    }
}

/// `CUpti_ActivityMemcpyKind` → [`CopyKind`]; array copies count as their host/device side.
pub fn copy_kind(raw: u8) -> CopyKind {
    match raw {
        1 | 3 => CopyKind::HtoD, // HTOD, HTOA
        2 | 4 => CopyKind::DtoH, // DTOH, ATOH
        5..=8 => CopyKind::DtoD, // ATOA, ATOD, DTOA, DTOD
        9 => CopyKind::HtoH,
        10 => CopyKind::PtoP,
        _ => CopyKind::Other,
    }
}

/// `CUpti_ActivityMemoryKind` as Kineto names it.
pub fn memory_kind(raw: u8) -> &'static str {
    match raw {
        1 => "Pageable",
        2 => "Pinned",
        3 => "Device",
        4 => "Array",
        5 => "Managed",
        6 => "Device Static",
        7 => "Managed Static",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_kinds_follow_cupti_numbering() {
        assert_eq!(copy_kind(1), CopyKind::HtoD);
        assert_eq!(copy_kind(2), CopyKind::DtoH);
        assert_eq!(copy_kind(8), CopyKind::DtoD);
        assert_eq!(copy_kind(10), CopyKind::PtoP);
        assert_eq!(copy_kind(0), CopyKind::Other);
        assert_eq!(memory_kind(1), "Pageable");
    }
}
