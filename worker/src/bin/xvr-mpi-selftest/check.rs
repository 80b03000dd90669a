//! `check`: the collectives' results against closed forms, one JSON line per rank.

use std::error::Error;
use std::time::Duration;

use serde_json::json;
use xvr_worker::dist::{self, all_reduce_mean, Collectives};
use xvr_worker::profile::{monotonic_ns, Recorder};

pub fn check(coll: &dyn Collectives) -> Result<(), Box<dyn Error>> {
    let w = coll.world();
    let (rank, size) = (w.rank as f32, w.size as f32);
    let mut failures = Vec::new();
    let mut expect = |what: &str, ok: bool| {
        if !ok {
            failures.push(what.to_owned());
        }
    };

    // Sum: rank r contributes (r+1)(i+1) → (i+1)·n(n+1)/2 (small integers: exact in f32).
    let mut buf: Vec<f32> = (0..1000).map(|i| (rank + 1.0) * (i as f32 + 1.0)).collect();
    coll.all_reduce_sum(&mut buf)?;
    let tri = size * (size + 1.0) / 2.0;
    expect(
        "all_reduce_sum",
        buf.iter()
            .enumerate()
            .all(|(i, &v)| v == (i as f32 + 1.0) * tri),
    );

    // Bucketed mean with buckets of 7 over 100 elements: rank·1000 + i → i + 500·(n−1).
    let mut grads: Vec<f32> = (0..100).map(|i| rank * 1000.0 + i as f32).collect();
    let mut rec = Recorder::disabled();
    all_reduce_mean(coll, &mut grads, 7, &mut rec)?;
    expect(
        "all_reduce_mean",
        grads
            .iter()
            .enumerate()
            .all(|(i, &v)| (v - (i as f32 + 500.0 * (size - 1.0))).abs() < 1e-3),
    );

    // Broadcast from the last rank.
    let root = w.size - 1;
    let mut b: Vec<f32> = (0..33).map(|i| rank * 100.0 + i as f32).collect();
    coll.broadcast(&mut b, root)?;
    expect(
        "broadcast",
        b.iter()
            .enumerate()
            .all(|(i, &v)| v == root as f32 * 100.0 + i as f32),
    );

    // Barrier: rank 0 arrives 300 ms late; nobody may leave before it arrived (one node:
    // CLOCK_MONOTONIC is shared).
    let mut arrive = monotonic_ns();
    if w.rank == 0 {
        std::thread::sleep(Duration::from_millis(300));
        arrive = monotonic_ns();
    }
    coll.barrier()?;
    let leave = monotonic_ns();
    let times = coll
        .gather_f64(&[arrive as f64, leave as f64], 0)?;
    if let Some(t) = &times {
        let rank0_arrival = t[0];
        expect("barrier", t.chunks(2).all(|p| p[1] >= rank0_arrival));
        expect("gather_f64 length", t.len() == 2 * w.size);
    }

    // Gather in rank order.
    let g = coll
        .gather_f64(&[w.rank as f64, 2.0 * w.rank as f64 + 0.5], 0)?;
    match g {
        Some(all) => expect(
            "gather_f64",
            all == (0..w.size)
                .flat_map(|r| [r as f64, 2.0 * r as f64 + 0.5])
                .collect::<Vec<_>>(),
        ),
        None => expect("gather_f64 root", w.rank != 0),
    }

    println!(
        "{}",
        json!({ "rank": w.rank, "size": w.size, "local_rank": w.local_rank, "local_size": w.local_size,
                "backend": coll.backend(), "threads": dist::compute_threads(w, 0), "failures": failures })
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failures.join(", ")).into())
    }
}
