//! `train-bench`: the small config's throughput, with the profiler on, as the training
//! loop runs it.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use xvr_contract::trial::KernelPreset;
use xvr_worker::dist::{compute_threads, Collectives, ALL_REDUCE_ACTIVITY};
use xvr_worker::model::ModelConfig;
use xvr_worker::profile::{self, Breakdown, ProfileWindow, Recorder};
use xvr_worker::train::Trainer;

use crate::synthetic_training::{batch, set_threads, train_config, write, B};

/// Small config (628,993 parameters, LR crops 24², stochastic depth on), `batch_per_rank`
/// samples per rank, `warmup` unprofiled then `iterations` profiled steps. Writes
/// profile.csv and traces into `out`, and (rank 0) `train-bench.json`.
pub fn train_bench(
    coll: &dyn Collectives,
    out: &Path,
    batch_per_rank: usize,
    window: ProfileWindow,
) -> Result<(), Box<dyn Error>> {
    set_threads(coll);
    let world = coll.world();
    let steps = window.warmup + window.iterations;
    let config = ModelConfig::small();
    let device = Default::default();
    let mut trainer = Trainer::<B>::new(&config, &train_config(steps), steps, &device, coll)?;
    let mut rec = Recorder::new(Some(window));
    let mut step_s = Vec::new();
    for iter in 1..=steps {
        let first =
            (iter as usize - 1) * batch_per_rank * world.size + world.rank * batch_per_rank;
        let b = batch(first, batch_per_rank, 24, &device);
        coll.barrier()?;
        let t = Instant::now();
        rec.begin_iteration(iter);
        trainer
            .step(&b, coll, &mut rec, false)?;
        rec.end_iteration();
        if iter > window.warmup {
            step_s.push(t.elapsed().as_secs_f64());
        }
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    profile::write_outputs(out, &rec, coll)?;
    // All-reduce time per profiled iteration on this rank, and its share of the step.
    let all_reduce_s: f64 = rec
        .activities()
        .iter()
        .filter(|a| a.name == ALL_REDUCE_ACTIVITY)
        .map(|a| (a.end_ns - a.start_ns) as f64 / 1e9)
        .fold(0.0, |acc, s| acc + s)
        / window.iterations as f64;
    let mean_step = step_s.iter().sum::<f64>() / step_s.len() as f64;
    let util = Breakdown::of(rec.activities(), KernelPreset::Paper).utilization();
    let mine = [mean_step, all_reduce_s, util];
    let all = coll.gather_f64(&mine, 0)?;
    if let Some(all) = all {
        let per_rank: Vec<_> = all.chunks(3).enumerate()
            .map(|(r, v)| json!({ "rank": r, "mean_step_s": v[0], "all_reduce_s_per_iter": v[1], "utilization": v[2] }))
            .collect();
        let slowest = all.chunks(3).map(|v| v[0]).fold(0.0, f64::max);
        let report = json!({
            "world_size": world.size, "threads_per_rank": compute_threads(world, 0),
            "batch_per_rank": batch_per_rank, "profiled_steps": window.iterations,
            "samples_per_s": (batch_per_rank * world.size) as f64 / slowest,
            "ranks": per_rank,
        });
        let text = serde_json::to_string_pretty(&report).expect("JSON");
        println!("{text}");
        write(out, "train-bench.json".into(), text.as_bytes())?;
    }
    Ok(())
}
