//! `profile-demo`: a synthetic data-parallel loop (compute, staging copies, all-reduce)
//! under the profiler, then [`xvr_worker::profile::write_outputs`] into `--out`.

use std::error::Error;
use std::time::{Duration, Instant};

use xvr_worker::dist::{all_reduce_mean, Collectives, DEFAULT_BUCKET_ELEMS};
use xvr_worker::profile::{
    self, monotonic_ns, Activity, ActivityKind, CopyKind, ProfileWindow, Recorder,
};

/// Busy work for about `ms` milliseconds of this thread.
fn compute(ms: u64) -> f64 {
    let until = Instant::now() + Duration::from_millis(ms);
    let mut x = 1.0f64;
    while Instant::now() < until {
        for _ in 0..1000 {
            x = (x * 1.000_000_1).sqrt() + 0.5;
        }
    }
    x
}

pub fn profile_demo(
    coll: &dyn Collectives,
    out: &std::path::Path,
    window: ProfileWindow,
    params: usize,
    overlap: bool,
) -> Result<(), Box<dyn Error>> {
    let mut rec = Recorder::new(Some(window));
    let tensors = vec![0.25f32; params];
    let mut flat = vec![0.0f32; params];
    let mut model = vec![0.0f32; params];
    for iter in 1..=window.warmup + window.iterations {
        rec.begin_iteration(iter);
        std::hint::black_box(
            rec.record("forward_backward", ActivityKind::Kernel, 0, || compute(30)),
        );
        rec.record(
            "grad_gather",
            ActivityKind::Memcpy(CopyKind::DtoH),
            0,
            || flat.copy_from_slice(&tensors),
        );
        // Only this thread calls MPI; the overlapped compute phase runs beside it.
        let beside = overlap.then(|| {
            std::thread::spawn(|| {
                let start_ns = monotonic_ns();
                std::hint::black_box(compute(10));
                (start_ns, monotonic_ns())
            })
        });
        all_reduce_mean(coll, &mut flat, DEFAULT_BUCKET_ELEMS, &mut rec)?;
        if let Some(handle) = beside {
            let (start_ns, end_ns) = handle.join().map_err(|_| "compute thread panicked")?;
            let name = "overlapped_compute".into();
            rec.push(Activity {
                name,
                kind: ActivityKind::Kernel,
                start_ns,
                end_ns,
                stream: 2,
                iteration: iter,
            });
        }
        rec.record(
            "grad_scatter",
            ActivityKind::Memcpy(CopyKind::HtoD),
            0,
            || model.copy_from_slice(&flat),
        );
        std::thread::sleep(Duration::from_millis(5)); // host-side gap: idle device time
        std::hint::black_box(rec.record("optimizer_step", ActivityKind::Kernel, 0, || compute(5)));
        rec.end_iteration();
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(profile::write_outputs(out, &rec, coll)?)
}
