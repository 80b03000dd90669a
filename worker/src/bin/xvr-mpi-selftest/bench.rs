//! `bench`: MPI all-reduce bandwidth over buffer sizes, and the bucketed gradient
//! all-reduce of a given parameter count; rank 0 writes JSON.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;
use xvr_worker::dist::{all_reduce_mean, Collectives, MpiCollectives, DEFAULT_BUCKET_ELEMS};
use xvr_worker::profile::Recorder;

/// Median of `reps` timed runs of `f` (after two untimed ones), each started together.
fn timed(coll: &dyn Collectives, reps: usize, mut f: impl FnMut()) -> Result<f64, Box<dyn Error>> {
    for _ in 0..2 {
        f();
    }
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        coll.barrier()?;
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

pub fn bench(
    coll: &dyn Collectives,
    mpi: Option<&MpiCollectives>,
    kib: &[usize],
    params: usize,
    reps: usize,
    out: Option<PathBuf>,
) -> Result<(), Box<dyn Error>> {
    let n = coll.world().size as f64;
    // Bus bandwidth as NCCL's tests define it for all-reduce: bytes · 2(n−1)/n / time.
    let bw = |bytes: usize, s: f64| json!({ "median_s": s, "algbw_gb_s": bytes as f64 / s / 1e9, "busbw_gb_s": bytes as f64 * 2.0 * (n - 1.0) / n / s / 1e9 });
    let mut sizes = Vec::new();
    for &k in kib {
        let mut buf = vec![1.0f32; k * 1024 / 4];
        let bytes = buf.len() * 4;
        let ours = timed(coll, reps, || {
            coll.all_reduce_sum(&mut buf).expect("all-reduce")
        })?;
        // The machine's MPI_Allreduce alone (separate send and receive buffers, no copy).
        let raw = match mpi {
            Some(m) => {
                let send = buf.clone();
                Some(timed(coll, reps, || {
                    m.all_reduce_sum_into(&send, &mut buf).expect("all-reduce")
                })?)
            }
            None => None,
        };
        sizes.push(json!({ "kib": k, "collectives_all_reduce_sum": bw(bytes, ours), "mpi_allreduce": raw.map(|s| bw(bytes, s)) }));
    }
    let mut grads = vec![0.5f32; params];
    let mut rec = Recorder::disabled();
    let s = timed(coll, reps, || {
        all_reduce_mean(coll, &mut grads, DEFAULT_BUCKET_ELEMS, &mut rec).expect("all-reduce mean")
    })?;
    let mut report = json!({
        "world_size": coll.world().size, "backend": coll.backend(), "reps": reps,
        "sizes": sizes,
        "gradient_all_reduce_mean": { "params": params, "bucket_elems": DEFAULT_BUCKET_ELEMS },
    });
    report["gradient_all_reduce_mean"]
        .as_object_mut()
        .expect("object")
        .extend(bw(params * 4, s).as_object().expect("object").clone());
    if coll.world().rank == 0 {
        let text = serde_json::to_string_pretty(&report).expect("JSON");
        println!("{text}");
        if let Some(path) = out {
            xvr_contract::results::write_atomic(&path, text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}
