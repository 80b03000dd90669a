//! `xvr-mpi-selftest`: checks and measures the collectives under a real `mpiexec`.
//!
//! - `check --expect N`: joins the job like `xvr-worker` does, then checks sum, bucketed mean,
//!   broadcast, barrier and gather against closed forms; prints one JSON line per rank.
//! - `bench`: MPI all-reduce bandwidth over buffer sizes, and the bucketed gradient
//!   all-reduce of a given parameter count; rank 0 writes JSON.
//! - `profile-demo`: a synthetic data-parallel loop (compute, staging copies, all-reduce)
//!   under the profiler, then [`xvr_worker::profile::write_outputs`] into `--out`.
//! - `train-bench`: the small config's training throughput with the profiler on.
//! - `train-equivalence`: `--steps` data-parallel steps of a tiny SWIN-XVR on a fixed global
//!   batch split over the ranks; each rank writes its final weights (`weights-rank<k>.bin`,
//!   f32 little-endian) and the step losses (`losses-rank<k>.json`) into `--out`, so that a
//!   1-rank and a 2-rank run can be compared.
//!
//! Used by `worker/tests/mpi_*.rs` and `profile_*.rs`; exits 1 when a check fails, 2 when the
//! job cannot be joined.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::json;
use xvr_worker::dist::{
    self, all_reduce_mean, Collectives, MpiCollectives, Solo, DEFAULT_BUCKET_ELEMS,
};
use xvr_worker::profile::{
    self, monotonic_ns, Activity, ActivityKind, CopyKind, ProfileWindow, Recorder,
};

#[derive(Parser)]
#[command(
    name = "xvr-mpi-selftest",
    about = "Collectives checks and benchmarks under mpiexec"
)]
struct Cli {
    /// Ranks the job must have (as a trial's resources.gpus).
    #[arg(long, global = true, default_value_t = 1)]
    expect: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Collective results against closed forms.
    Check,
    /// All-reduce bandwidth and the bucketed gradient all-reduce time.
    Bench {
        /// Buffer sizes in KiB of f32 (2457 KiB ≈ the small config's gradient).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "256,1024,2457,4096,16384,65536"
        )]
        kib: Vec<usize>,
        /// Gradient length for the bucketed all-reduce (small config: 628,993).
        #[arg(long, default_value_t = 628_993)]
        params: usize,
        #[arg(long, default_value_t = 20)]
        reps: usize,
        /// JSON written by rank 0.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Synthetic profiled training loop; writes profile.csv and traces into `--out`.
    ProfileDemo {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        #[arg(long, default_value_t = 4)]
        iterations: u64,
        /// Gradient length.
        #[arg(long, default_value_t = 628_993)]
        params: usize,
        /// Run a 10 ms compute phase on a second thread while the all-reduce runs, so
        /// that computation and communication overlap (for checking the overlap numbers).
        #[arg(long)]
        overlap: bool,
    },
    /// Small-config training throughput with the profiler on; writes profile.csv, traces
    /// and (rank 0) train-bench.json into `--out`.
    TrainBench {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        batch_per_rank: usize,
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        #[arg(long, default_value_t = 5)]
        iterations: u64,
    },
    /// (feature `cuda`) NCCL collectives on this rank's GPU with CUPTI collection on: checks
    /// results, prints the recorded device activities, writes profile outputs into `--out`.
    #[cfg(feature = "cuda")]
    GpuCheck {
        #[arg(long)]
        out: PathBuf,
    },
    /// Tiny-model training steps on a global batch split over the ranks.
    TrainEquivalence {
        #[arg(long)]
        out: PathBuf,
        /// Samples per step over all ranks (a multiple of the world size).
        #[arg(long, default_value_t = 2)]
        global_batch: usize,
        #[arg(long, default_value_t = 2)]
        steps: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(feature = "cuda")]
    if let Command::GpuCheck { out } = &cli.command {
        return match gpu_check::run(cli.expect, out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xvr-mpi-selftest gpu-check: {e}");
                ExitCode::from(1)
            }
        };
    }
    let mpi = match dist::join(cli.expect) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("xvr-mpi-selftest: {e}");
            return ExitCode::from(2);
        }
    };
    let coll: &dyn Collectives = match &mpi {
        Some(m) => m,
        None => &Solo,
    };
    let outcome = match cli.command {
        Command::Check => check(coll),
        Command::Bench {
            kib,
            params,
            reps,
            out,
        } => bench(coll, mpi.as_ref(), &kib, params, reps, out),
        Command::ProfileDemo {
            out,
            warmup,
            iterations,
            params,
            overlap,
        } => profile_demo(
            coll,
            &out,
            ProfileWindow { warmup, iterations },
            params,
            overlap,
        ),
        #[cfg(feature = "cuda")]
        Command::GpuCheck { .. } => unreachable!("handled before joining over MPI"),
        Command::TrainBench {
            out,
            batch_per_rank,
            warmup,
            iterations,
        } => synthetic_training::bench(
            coll,
            &out,
            batch_per_rank,
            ProfileWindow { warmup, iterations },
        ),
        Command::TrainEquivalence {
            out,
            global_batch,
            steps,
        } => synthetic_training::equivalence(coll, &out, global_batch, steps),
    };
    let rank = coll.world().rank;
    drop(mpi); // finalises MPI before exiting
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xvr-mpi-selftest rank {rank}: {e}");
            ExitCode::from(1)
        }
    }
}

fn check(coll: &dyn Collectives) -> Result<(), String> {
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
    coll.all_reduce_sum(&mut buf).map_err(|e| e.to_string())?;
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
    all_reduce_mean(coll, &mut grads, 7, &mut rec).map_err(|e| e.to_string())?;
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
    coll.broadcast(&mut b, root).map_err(|e| e.to_string())?;
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
    coll.barrier().map_err(|e| e.to_string())?;
    let leave = monotonic_ns();
    let times = coll
        .gather_f64(&[arrive as f64, leave as f64], 0)
        .map_err(|e| e.to_string())?;
    if let Some(t) = &times {
        let rank0_arrival = t[0];
        expect("barrier", t.chunks(2).all(|p| p[1] >= rank0_arrival));
        expect("gather_f64 length", t.len() == 2 * w.size);
    }

    // Gather in rank order.
    let g = coll
        .gather_f64(&[w.rank as f64, 2.0 * w.rank as f64 + 0.5], 0)
        .map_err(|e| e.to_string())?;
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
        Err(format!("failed: {}", failures.join(", ")))
    }
}

/// Median of `reps` timed runs of `f` (after two untimed ones), each started together.
fn timed(coll: &dyn Collectives, reps: usize, mut f: impl FnMut()) -> Result<f64, String> {
    for _ in 0..2 {
        f();
    }
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        coll.barrier().map_err(|e| e.to_string())?;
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn bench(
    coll: &dyn Collectives,
    mpi: Option<&MpiCollectives>,
    kib: &[usize],
    params: usize,
    reps: usize,
    out: Option<PathBuf>,
) -> Result<(), String> {
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
            xvr::results::write_atomic(&path, text.as_bytes()).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

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

fn profile_demo(
    coll: &dyn Collectives,
    out: &std::path::Path,
    window: ProfileWindow,
    params: usize,
    overlap: bool,
) -> Result<(), String> {
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
        all_reduce_mean(coll, &mut flat, DEFAULT_BUCKET_ELEMS, &mut rec)
            .map_err(|e| e.to_string())?;
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
    profile::write_outputs(out, &rec, coll)
}

mod synthetic_training {
    //! SWIN-XVR training steps on deterministic synthetic batches, split over the ranks.
    //!
    //! `equivalence`: the strong-scaling claim of data parallelism (n ranks × b samples give
    //! the update one rank computes on the n·b samples) on a tiny model. `bench`: the small
    //! config's throughput, with the profiler on, as the training loop runs it.

    use std::path::Path;
    use std::time::Instant;

    use burn::backend::{Autodiff, Flex};
    use burn::tensor::{Device, Tensor, TensorData};
    use serde_json::json;
    use xvr::spec::trial::KernelPreset;
    use xvr::spec::trial::TrainConfig;
    use xvr_worker::dist::{compute_threads, Collectives, ALL_REDUCE_ACTIVITY};
    use xvr_worker::model::config::{HR_FRAMES, SCALE};
    use xvr_worker::model::SwinXvrConfig;
    use xvr_worker::profile::{self, Breakdown, ProfileWindow, Recorder};
    use xvr_worker::train::flat_params::flatten_values;
    use xvr_worker::train::{Batch, Trainer};

    type B = Autodiff<Flex>;

    const LR_FRAMES: usize = 3;

    /// A smooth, sample-dependent image stack: `len` values for global sample `k`, part `part`.
    fn pattern(k: usize, part: usize, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| 0.5 + 0.4 * (0.37 * i as f32 + 1.3 * k as f32 + 0.7 * part as f32).sin())
            .collect()
    }

    /// Global samples `first..first + count` with LR crops of `crop`² as one batch.
    fn batch(first: usize, count: usize, crop: usize, device: &Device<B>) -> Batch<B> {
        let (lq_len, hr) = (LR_FRAMES * crop * crop, SCALE * crop);
        let ks = first..first + count;
        let lq: Vec<f32> = ks.clone().flat_map(|k| pattern(k, 0, lq_len)).collect();
        let hq: Vec<f32> = ks
            .clone()
            .flat_map(|k| pattern(k, 1, HR_FRAMES * hr * hr))
            .collect();
        let gt: Vec<f32> = ks.flat_map(|k| pattern(k, 2, hr * hr)).collect();
        Batch {
            lq: Tensor::from_data(
                TensorData::new(lq, [count, LR_FRAMES, 1, crop, crop]),
                device,
            ),
            hq: Tensor::from_data(TensorData::new(hq, [count, HR_FRAMES, 1, hr, hr]), device),
            gt: Tensor::from_data(TensorData::new(gt, [count, 1, hr, hr]), device),
        }
    }

    /// Sets this rank's compute threads (before burn's thread pool starts).
    fn set_threads(coll: &dyn Collectives) {
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            std::env::set_var(
                "RAYON_NUM_THREADS",
                compute_threads(coll.world(), 0).to_string(),
            );
        }
    }

    fn train_config(steps: u64) -> TrainConfig {
        TrainConfig {
            iterations: steps,
            warmup: -1,
            lr: 1e-3,
            seed: 7,
            ..TrainConfig::default()
        }
    }

    fn write(out: &Path, name: String, bytes: &[u8]) -> Result<(), String> {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        xvr::results::write_atomic(&out.join(name), bytes).map_err(|e| e.to_string())
    }

    pub fn equivalence(
        coll: &dyn Collectives,
        out: &Path,
        global_batch: usize,
        steps: u64,
    ) -> Result<(), String> {
        let world = coll.world();
        if global_batch == 0 || global_batch % world.size != 0 {
            return Err(format!(
                "--global-batch {global_batch}: must be a positive multiple of the {} ranks",
                world.size
            ));
        }
        set_threads(coll);
        let per_rank = global_batch / world.size;
        // No stochastic depth: its draws are per rank, which no split can reproduce.
        let config = SwinXvrConfig::small()
            .with_lr_frames(LR_FRAMES)
            .with_channels(8)
            .with_heads(1)
            .with_depths(vec![1])
            .with_recon_channels(8)
            .with_drop_path(0.0);
        let device = Default::default();
        let mut trainer = Trainer::<B>::new(&config, &train_config(steps), steps, &device, coll)?;
        let mut rec = Recorder::disabled();
        let mut losses = Vec::new();
        for step in 0..steps as usize {
            let first = step * global_batch + world.rank * per_rank;
            let report = trainer
                .step(&batch(first, per_rank, 8, &device), coll, &mut rec, false)
                .map_err(|e| e.to_string())?;
            losses.push(report.loss);
        }
        let weights: Vec<u8> = flatten_values(trainer.model())
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        write(out, format!("weights-rank{}.bin", world.rank), &weights)?;
        write(
            out,
            format!("losses-rank{}.json", world.rank),
            serde_json::to_string(&losses).expect("JSON").as_bytes(),
        )
    }

    /// Small config (628,993 parameters, LR crops 24², stochastic depth on), `batch_per_rank`
    /// samples per rank, `warmup` unprofiled then `iterations` profiled steps. Writes
    /// profile.csv and traces into `out`, and (rank 0) `train-bench.json`.
    pub fn bench(
        coll: &dyn Collectives,
        out: &Path,
        batch_per_rank: usize,
        window: ProfileWindow,
    ) -> Result<(), String> {
        set_threads(coll);
        let world = coll.world();
        let steps = window.warmup + window.iterations;
        let config = SwinXvrConfig::small();
        let device = Default::default();
        let mut trainer = Trainer::<B>::new(&config, &train_config(steps), steps, &device, coll)?;
        let mut rec = Recorder::new(Some(window));
        let mut step_s = Vec::new();
        for iter in 1..=steps {
            let first =
                (iter as usize - 1) * batch_per_rank * world.size + world.rank * batch_per_rank;
            let b = batch(first, batch_per_rank, 24, &device);
            coll.barrier().map_err(|e| e.to_string())?;
            let t = Instant::now();
            rec.begin_iteration(iter);
            trainer
                .step(&b, coll, &mut rec, false)
                .map_err(|e| e.to_string())?;
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
        let all = coll.gather_f64(&mine, 0).map_err(|e| e.to_string())?;
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
}

#[cfg(feature = "cuda")]
mod gpu_check {
    //! NCCL and CUPTI on a real GPU: the staged all-reduce and broadcast give the closed-form
    //! results, and CUPTI's records (NCCL kernels, copies, memsets) arrive on the recorder's
    //! clock with the categories the presets promise.

    use std::path::Path;

    use xvr::spec::trial::KernelPreset;
    use xvr_worker::dist::nccl::init_nccl;
    use xvr_worker::dist::Collectives;
    use xvr_worker::profile::cupti::CuptiCollector;
    use xvr_worker::profile::{
        self, classify, ActivityKind, Category, CopyKind, ProfileWindow, Recorder,
    };

    /// A compute kernel with a known name, compiled at run time.
    const SCALE_SRC: &str = r#"extern "C" __global__ void xvr_scale(float* x, int n, float a) {
        int i = blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n) x[i] *= a;
    }"#;

    /// Runs `xvr_scale` (×2) on 4096 values; whether the result is right.
    fn launch_scale_kernel(
        stream: &std::sync::Arc<cudarc::driver::CudaStream>,
    ) -> Result<bool, String> {
        use cudarc::driver::{LaunchConfig, PushKernelArg};
        let e = |e: &dyn std::fmt::Debug| format!("{e:?}");
        let ptx = cudarc::nvrtc::compile_ptx(SCALE_SRC).map_err(|x| e(&x))?;
        let module = stream.context().load_module(ptx).map_err(|x| e(&x))?;
        let f = module.load_function("xvr_scale").map_err(|x| e(&x))?;
        let host: Vec<f32> = (0..4096).map(|i| i as f32).collect();
        let mut dev = stream.clone_htod(&host).map_err(|x| e(&x))?;
        let (n, a) = (host.len() as i32, 2.0f32);
        let mut args = stream.launch_builder(&f);
        args.arg(&mut dev);
        args.arg(&n);
        args.arg(&a);
        // SAFETY: the argument list matches the kernel's signature; `dev` holds n floats.
        unsafe { args.launch(LaunchConfig::for_num_elems(n as u32)) }.map_err(|x| e(&x))?;
        let back = stream.clone_dtoh(&dev).map_err(|x| e(&x))?;
        Ok(back.iter().zip(&host).all(|(b, h)| *b == 2.0 * h))
    }

    pub fn run(expect: usize, out: &Path) -> Result<(), String> {
        let cupti = CuptiCollector::start()?;
        let coll = init_nccl(expect).map_err(|e| e.to_string())?;
        let w = coll.world();
        let mut rec = Recorder::new(Some(ProfileWindow {
            warmup: 0,
            iterations: 1,
        }));
        rec.begin_iteration(1);
        let n = 1 << 20;
        let mut buf: Vec<f32> = (0..n)
            .map(|i| (w.rank + 1) as f32 * (i % 1000) as f32)
            .collect();
        coll.all_reduce_sum(&mut buf).map_err(|e| e.to_string())?;
        let tri = (w.size * (w.size + 1) / 2) as f32;
        let sum_ok = buf
            .iter()
            .enumerate()
            .all(|(i, &v)| v == tri * (i % 1000) as f32);
        let mut b: Vec<f32> = vec![w.rank as f32; 4096];
        coll.broadcast(&mut b, 0).map_err(|e| e.to_string())?;
        let bcast_ok = b.iter().all(|&v| v == 0.0);
        let scale_ok = launch_scale_kernel(coll.stream())?;
        let zeros = coll
            .stream()
            .alloc_zeros::<f32>(n)
            .map_err(|e| format!("{e:?}"))?;
        coll.stream().synchronize().map_err(|e| format!("{e:?}"))?;
        drop(zeros);
        cupti.flush_into(&mut rec)?;
        let (start, _) = rec.span_ns().expect("window open");
        rec.end_iteration();
        let (_, end) = rec.span_ns().expect("window closed");

        let acts = rec.activities();
        for a in acts {
            println!(
                "{:>10.1} µs  {:?}  stream {}  hta={} paper={}  {}",
                (a.end_ns - a.start_ns) as f64 / 1e3,
                a.kind,
                a.stream,
                classify(KernelPreset::Hta, a).as_str(),
                classify(KernelPreset::Paper, a).as_str(),
                a.name
            );
        }
        let nccl = acts
            .iter()
            .filter(|a| a.name.starts_with("nccl"))
            .collect::<Vec<_>>();
        let checks = [
            ("all-reduce sum", sum_ok),
            ("broadcast", bcast_ok),
            ("nvrtc kernel doubled its input", scale_ok),
            (
                "the nvrtc kernel recorded as computation",
                acts.iter().any(|a| {
                    a.name == "xvr_scale"
                        && a.kind == ActivityKind::Kernel
                        && classify(KernelPreset::Paper, a) == Category::Computation
                }),
            ),
            // One rank: NCCL's in-place all-reduce launches no kernel at all.
            ("an NCCL kernel recorded", w.size == 1 || !nccl.is_empty()),
            (
                "NCCL kernels are communication under both presets",
                nccl.iter().all(|a| {
                    classify(KernelPreset::Hta, a) == Category::Communication
                        && classify(KernelPreset::Paper, a) == Category::Communication
                }),
            ),
            (
                "a HtoD copy",
                acts.iter()
                    .any(|a| a.kind == ActivityKind::Memcpy(CopyKind::HtoD)),
            ),
            (
                "a DtoH copy",
                acts.iter()
                    .any(|a| a.kind == ActivityKind::Memcpy(CopyKind::DtoH)),
            ),
            (
                "a memset",
                acts.iter().any(|a| a.kind == ActivityKind::Memset),
            ),
            (
                "records on the recorder's clock, inside the window",
                acts.iter()
                    .all(|a| a.start_ns >= start && a.end_ns <= end && a.start_ns <= a.end_ns),
            ),
        ];
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        profile::write_outputs(out, &rec, &coll)?;
        let failed: Vec<&str> = checks.iter().filter(|c| !c.1).map(|c| c.0).collect();
        println!(
            "rank {} of {}: {} activities; failed checks: {failed:?}",
            w.rank,
            w.size,
            acts.len()
        );
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("failed: {}", failed.join(", ")))
        }
    }
}
