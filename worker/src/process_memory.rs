//! How the worker process asks glibc's malloc to keep freed memory for reuse.
//!
//! A training step allocates and frees the same activation buffers (tens of KiB to tens of
//! MiB) every iteration. With glibc's defaults, blocks above the mmap threshold (128 KiB,
//! raised dynamically up to 32 MiB) get fresh mappings and freed memory above the trim
//! threshold (128 KiB) at the top of the heap goes back to the kernel, so each step
//! page-faults its buffers in again and the kernel zero-fills every page. On the small
//! configuration's training step that was 267 k page faults and a fifth of the CPU time of
//! four steps (docs/benchmarks.md). Fixing the mmap threshold at glibc's 64-bit maximum
//! (32 MiB; a fixed value also turns the dynamic adjustment off) and the trim threshold at
//! 1 GiB keeps freed buffers in the process for the next step (mallopt(3)). Peak memory is
//! unchanged: the buffers are reused, not added.

/// glibc's largest accepted M_MMAP_THRESHOLD on 64-bit targets (mallopt(3)).
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Freed memory kept at the top of the heap before glibc returns it to the kernel.
const TRIM_THRESHOLD: i32 = 1 << 30;

/// Applies the settings above; on non-glibc targets it does nothing. Call once, first thing
/// in `main`, before other threads allocate.
pub fn keep_freed_memory_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
