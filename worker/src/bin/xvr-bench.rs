//! `xvr-bench`: CPU timings of SWIN-XVR on `Autodiff<Flex>` (not a test; run in --release).
//!
//! For the small and the baseline config at 96×96 HR crops (24×24 LR), batch 1 and 2:
//! forward time (training forward), training step (forward + L1 loss + backward + Adam
//! step) and samples/s, inference time per sample (inner backend, no autodiff), FLOPs per
//! sample and achieved GFLOP/s. Then forward+backward timings of the main parts of the
//! baseline (one block and its attention / MLP / norms, one stage conv, the HR branch,
//! the head) so that the step time can be attributed. Writes JSON (`--out`).
//!
//! `--case CONFIG --batch N --what train|infer --inputs FILE` instead times one case on
//! given inputs and prints one JSON line (timing and peak RSS of this process): the xvr
//! side of `worker/bench/side_by_side.py`. `--unfused` runs burn's composed ops instead of
//! the fused kernels of `model::fused` (the "before" of a before/after in the same run).

use std::path::PathBuf;
use std::time::Instant;

use burn::backend::{Autodiff, Flex};
use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Distribution, Tensor};
use clap::Parser;
use serde::Serialize;

use xvr_worker::model::attention::AttentionInputs;
use xvr_worker::model::block::{BlockShape, SwinBlock};
use xvr_worker::model::mask::shift_mask_tensor;
use xvr_worker::model::relative_position::{index_tensor, relative_position_index};
use xvr_worker::model::window::WindowGeometry;
use xvr_worker::model::{CountFlops, InitSwinXvr, ModelConfig};

type Ad = Autodiff<Flex>;

#[derive(Parser)]
#[command(about = "Time SWIN-XVR forward / training step / inference on the CPU backend")]
struct Args {
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench/model.json")]
    out: PathBuf,
    /// Timed repetitions per measurement (after one untimed warm-up).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Skip the baseline config (for a quick run).
    #[arg(long)]
    small_only: bool,
    /// Only time the parts of the baseline (no whole-model runs).
    #[arg(long)]
    parts_only: bool,
    /// Backend of the whole-model runs: `cpu` (Autodiff<Flex>) or `cuda` (needs the `cuda`
    /// feature and a GPU; the part timings are CPU only).
    #[arg(long, default_value = "cpu")]
    backend: BenchBackend,
    /// Time one case only (small, baseline or final) and print one JSON line.
    #[arg(long)]
    case: Option<CaseConfig>,
    /// Batch size of `--case`.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// What `--case` times.
    #[arg(long, default_value = "train")]
    what: CaseWhat,
    /// Inputs of `--case`: raw little-endian f32, lq (B,3,1,24,24) then hq (B,2,1,96,96)
    /// then gt (B,1,96,96); random when absent.
    #[arg(long)]
    inputs: Option<PathBuf>,
    /// Use burn's composed ops instead of the fused kernels (model::fused).
    #[arg(long)]
    unfused: bool,
    /// Keep glibc's default malloc settings instead of the worker's (process_memory).
    #[arg(long)]
    glibc_malloc_defaults: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CaseConfig {
    Small,
    Baseline,
    Final,
}

impl CaseConfig {
    fn config(self) -> ModelConfig {
        match self {
            CaseConfig::Small => ModelConfig::small(),
            CaseConfig::Baseline => ModelConfig::default(),
            CaseConfig::Final => ModelConfig::default().with_channels(384).with_heads(6).with_window(4),
        }
    }

    fn name(self) -> &'static str {
        match self {
            CaseConfig::Small => "small",
            CaseConfig::Baseline => "baseline",
            CaseConfig::Final => "final",
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CaseWhat {
    Train,
    Infer,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BenchBackend {
    Cpu,
    Cuda,
}

/// Wall-clock seconds of `reps` runs after one warm-up run.
#[derive(Serialize)]
struct Timing {
    median_s: f64,
    min_s: f64,
    runs: usize,
}

fn time(reps: usize, mut run: impl FnMut()) -> Timing {
    run();
    let mut runs: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64()
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    Timing { median_s: runs[runs.len() / 2], min_s: runs[0], runs: runs.len() }
}

#[derive(Serialize)]
struct ModelRun {
    config: &'static str,
    batch: usize,
    params: usize,
    hr_crop: usize,
    flops_per_sample_forward: u64,
    forward: Timing,
    train_step: Timing,
    train_samples_per_s: f64,
    /// 3 × forward FLOPs × batch / median step time.
    train_gflop_per_s: f64,
    inference: Timing,
    inference_s_per_sample: f64,
    inference_gflop_per_s: f64,
}

#[derive(Serialize)]
struct PartRun {
    part: String,
    /// Forward + backward of this part alone on `Autodiff<Flex>`, batch 1.
    forward_backward: Timing,
    /// How many times one baseline training step runs this part.
    per_step: usize,
}

#[derive(Serialize)]
struct Report {
    date_utc: String,
    machine: Machine,
    backend: &'static str,
    models: Vec<ModelRun>,
    baseline_parts: Vec<PartRun>,
}

#[derive(Serialize)]
struct Machine {
    nproc: usize,
    cpu_model: String,
    /// /proc/loadavg before and after the run: other processes share the cores.
    loadavg_start: String,
    loadavg_end: String,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        .unwrap_or_else(|| "unknown".into());
    Machine {
        nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model,
        loadavg_start: loadavg(),
        loadavg_end: String::new(),
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_string()
}

fn inputs<B: Backend>(batch: usize, config: &ModelConfig, lr: usize, device: &B::Device) -> (Tensor<B, 5>, Tensor<B, 5>, Tensor<B, 4>) {
    let u = Distribution::Uniform(0.0, 1.0);
    (
        Tensor::random([batch, config.lr_frames, 1, lr, lr], u, device),
        Tensor::random([batch, 2, 1, 4 * lr, 4 * lr], u, device),
        Tensor::random([batch, 1, 4 * lr, 4 * lr], u, device),
    )
}

fn bench_model<B: AutodiffBackend>(name: &'static str, config: &ModelConfig, batch: usize, reps: usize, device: &B::Device) -> ModelRun {
    let lr = 24;
    let mut model = config.init::<B>(device);
    let (lq, hq, gt) = inputs::<B>(batch, config, lr, device);
    let flops = config.flops_per_sample(lr, lr);

    let forward = time(reps, || {
        let _ = model.forward(lq.clone(), hq.clone()).into_data();
    });
    let mut optim = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.99).init::<B, _>();
    let train_step = time(reps, || {
        let loss = (model.forward(lq.clone(), hq.clone()) - gt.clone()).abs().mean();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(2e-4, model.clone(), grads);
        // Asynchronous backends (CUDA) return before the work is done.
        let _ = B::sync(device);
    });
    let eval = model.valid();
    let (lq_i, hq_i) = (lq.inner(), hq.inner());
    let inference = time(reps, || {
        let _ = eval.forward(lq_i.clone(), hq_i.clone()).into_data();
    });
    let work = (flops * batch as u64) as f64;
    ModelRun {
        config: name,
        batch,
        params: burn::module::Module::num_params(&eval),
        hr_crop: 4 * lr,
        flops_per_sample_forward: flops,
        train_samples_per_s: batch as f64 / train_step.median_s,
        train_gflop_per_s: 3.0 * work / train_step.median_s / 1e9,
        inference_s_per_sample: inference.median_s / batch as f64,
        inference_gflop_per_s: work / inference.median_s / 1e9,
        forward,
        train_step,
        inference,
    }
}

/// Forward+backward of one function of a random input tensor, on `Autodiff<Flex>`.
fn time_part<const D: usize>(reps: usize, shape: [usize; D], f: impl Fn(Tensor<Ad, D>) -> Tensor<Ad, D>) -> Timing {
    let x = Tensor::<Ad, D>::random(shape, Distribution::Normal(0.0, 1.0), &Default::default()).require_grad();
    time(reps, || {
        let _ = f(x.clone()).sum().backward();
    })
}

/// The head split of `WindowAttention::forward`, concatenated back so the part has one output.
fn split_heads(qkv: Tensor<Ad, 2>, windows: usize, n: usize, heads: usize) -> Tensor<Ad, 2> {
    let [rows, c3] = qkv.dims();
    let d = c3 / 3 / heads;
    let qkv = qkv.reshape([windows, n, 3, heads, d]).permute([2, 0, 3, 1, 4]);
    let part = |i: usize| qkv.clone().slice([i..i + 1]);
    let q = part(0).reshape([windows * heads * n, d]);
    let k_t = part(1).swap_dims(3, 4).reshape([windows * heads * d, n]).reshape([windows * heads * n, d]);
    let v = part(2).reshape([windows * heads * n, d]);
    Tensor::cat(vec![q, k_t, v], 1).reshape([rows, c3])
}

fn bench_baseline_parts(reps: usize) -> Vec<PartRun> {
    let config = ModelConfig::default();
    let device = Default::default();
    let model = config.init::<Ad>(&device);
    let (c, t, lr) = (config.channels, config.frames(), 24);
    let geometry = WindowGeometry::new([t, lr, lr], config.window_3d());
    let n = geometry.tokens_per_window();
    let inputs = AttentionInputs::<Ad> {
        windows: geometry.windows_per_sample(),
        tokens: n,
        index: index_tensor(&relative_position_index(geometry.configured, n), &device),
        mask: Some(shift_mask_tensor(&geometry, &device)),
    };
    let blocks: usize = config.depths.iter().sum();
    let shape = BlockShape { channels: c, heads: config.heads, mlp_hidden: config.mlp_hidden(), configured_window: config.window_3d() };
    // Rate 0 so that the timing does not depend on which branches happen to be dropped.
    let block = SwinBlock::<Ad>::new(shape, true, 0.0, &device);
    let tokens = t * lr * lr;
    let (heads, windows) = (config.heads, geometry.windows_per_sample());
    let head_dim = c / heads;
    let v = Tensor::<Ad, 3>::random([windows * heads, n, head_dim], Distribution::Normal(0.0, 1.0), &device).require_grad();
    let stage = &model.stages[0];
    let part = |name: &str, per_step: usize, forward_backward: Timing| PartRun { part: name.into(), forward_backward, per_step };
    vec![
        part("swin block (shifted), whole", blocks, time_part(reps, [1, t, lr, lr, c], |x| block.forward(x, &geometry, &inputs))),
        part("window attention incl. qkv/proj (shifted)", blocks, time_part(reps, [tokens, c], |x| block.attn.forward(x, &inputs, true))),
        part("window attention incl. qkv/proj (plain)", blocks, time_part(reps, [tokens, c], |x| block.attn.forward(x, &inputs, false))),
        part("  attention: qkv linear", blocks, time_part(reps, [tokens, c], |x| block.attn.qkv.forward(x))),
        part("  attention: split heads into q, kT, v batches", blocks, time_part(reps, [tokens, 3 * c], |x| split_heads(x, windows, n, heads))),
        part("  attention: q.kT", blocks, time_part(reps, [windows * heads, n, head_dim], |q| q.clone().matmul(q.swap_dims(1, 2).reshape([windows * heads, head_dim, n])))),
        part("  attention: + relative bias and mask", blocks, time_part(reps, [windows * heads, n, n], |x| {
            let bias = block.attn.bias.forward(inputs.index.clone()).reshape([1, heads, n, n]);
            let mask = inputs.mask.clone().unwrap();
            let row = windows * heads * n * n;
            (x.reshape([1, row]) + (bias + mask).reshape([1, row])).reshape([windows * heads, n, n])
        })),
        part("  attention: softmax", blocks, time_part(reps, [windows * heads, n, n], |x| softmax(x, 2))),
        part("  attention: attn.v", blocks, time_part(reps, [windows * heads, n, n], |a| a.matmul(v.clone()))),
        part("  attention: merge heads + proj", blocks, time_part(reps, [windows * heads, n, head_dim], |x| {
            let merged = x.reshape([windows, heads, n, head_dim]).swap_dims(1, 2).reshape([tokens, c]);
            block.attn.proj.forward(merged).reshape([windows * heads, n, head_dim])
        })),
        part("  mlp: gelu alone", blocks, time_part(reps, [tokens, config.mlp_hidden()], gelu)),
        part("mlp (fc1, gelu, fc2)", blocks, time_part(reps, [tokens, c], |x| block.mlp.forward(x))),
        part("layer norm", 2 * blocks, time_part(reps, [tokens, c], |x| block.norm1.forward(x))),
        part("window partition + reverse", blocks, time_part(reps, [1, t, lr, lr, c], |x| geometry.reverse(geometry.partition(x), 1))),
        part("stage conv (5 frames)", config.depths.len(), time_part(reps, [t, c, lr, lr], |x| stage.conv.forward(x))),
        part("hr branch (2 frames 96x96)", 1, time_part(reps, [2, 1, 4 * lr, 4 * lr], |x| model.hr.forward(x))),
        part("head (from 24x24 features)", 1, time_part(reps, [1, c, lr, lr], |x| model.head.forward(x))),
    ]
}

/// Peak resident set size of this process in MB: `VmHWM` of /proc/self/status (unlike
/// getrusage's maxrss it starts afresh at exec, so a large parent does not leak into it).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim();
    kb.parse::<f64>().ok().map(|kb| kb / 1024.0)
}

/// lq, hq, gt read from a raw f32 file (see `--inputs`).
fn read_inputs(path: &std::path::Path, batch: usize, config: &ModelConfig) -> Result<(Tensor<Flex, 5>, Tensor<Flex, 5>, Tensor<Flex, 4>), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let lr = 24;
    let sizes = [batch * config.lr_frames * lr * lr, batch * 2 * 16 * lr * lr, batch * 16 * lr * lr];
    let total: usize = sizes.iter().sum();
    if bytes.len() != 4 * total {
        return Err(format!("{}: {} bytes, expected {} (f32 inputs for batch {batch})", path.display(), bytes.len(), 4 * total).into());
    }
    let floats: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let (lq, rest) = floats.split_at(sizes[0]);
    let (hq, gt) = rest.split_at(sizes[1]);
    let device = Default::default();
    let data = |v: &[f32], shape: Vec<usize>| burn::tensor::TensorData::new(v.to_vec(), shape);
    Ok((
        Tensor::from_data(data(lq, vec![batch, config.lr_frames, 1, lr, lr]), &device),
        Tensor::from_data(data(hq, vec![batch, 2, 1, 4 * lr, 4 * lr]), &device),
        Tensor::from_data(data(gt, vec![batch, 1, 4 * lr, 4 * lr]), &device),
    ))
}

/// `--case`: one timed case, one JSON line on stdout.
fn run_case(args: &Args, case: CaseConfig) -> Result<(), Box<dyn std::error::Error>> {
    let config = case.config();
    let device = Default::default();
    let (lq, hq, gt) = match &args.inputs {
        Some(path) => read_inputs(path, args.batch, &config)?,
        None => inputs::<Flex>(args.batch, &config, 24, &device),
    };
    let timing = match args.what {
        CaseWhat::Train => {
            let mut model = config.init::<Ad>(&device);
            let (lq, hq, gt) = (Tensor::<Ad, 5>::from_inner(lq), Tensor::<Ad, 5>::from_inner(hq), Tensor::<Ad, 4>::from_inner(gt));
            let mut optim = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.99).init::<Ad, _>();
            time(args.reps, || {
                let loss = (model.forward(lq.clone(), hq.clone()) - gt.clone()).abs().mean();
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(2e-4, model.clone(), grads);
            })
        }
        CaseWhat::Infer => {
            let model = config.init::<Flex>(&device);
            time(args.reps, || {
                let _ = model.forward(lq.clone(), hq.clone()).into_data();
            })
        }
    };
    let line = serde_json::json!({
        "impl": "xvr",
        "backend": "Autodiff<Flex> (burn 0.21.0), f32",
        "fused": !args.unfused,
        "config": case.name(),
        "batch": args.batch,
        "what": match args.what { CaseWhat::Train => "train", CaseWhat::Infer => "infer" },
        "threads": rayon::current_num_threads(),
        "timing": timing,
        "peak_rss_mb": peak_rss_mb(),
    });
    println!("{line}");
    Ok(())
}

#[cfg(feature = "cuda")]
fn bench_cuda(name: &'static str, config: &ModelConfig, batch: usize, reps: usize) -> ModelRun {
    // burn's CUDA runtime panics when the driver or GPU is missing; say so and stop.
    let run = std::panic::catch_unwind(|| {
        bench_model::<Autodiff<burn::backend::Cuda>>(name, config, batch, reps, &Default::default())
    });
    run.unwrap_or_else(|_| {
        eprintln!("xvr-bench: the CUDA backend failed (no NVIDIA driver or GPU on this machine?); see the message above");
        std::process::exit(2);
    })
}

#[cfg(not(feature = "cuda"))]
fn bench_cuda(_: &'static str, _: &ModelConfig, _: usize, _: usize) -> ModelRun {
    eprintln!("xvr-bench: --backend cuda needs a build with `--features cuda`");
    std::process::exit(2);
}

fn main() {
    let args = Args::parse();
    if !args.glibc_malloc_defaults {
        xvr_worker::process_memory::keep_freed_memory_for_reuse();
    }
    if let Some(case) = args.case {
        let run = || run_case(&args, case);
        let result = if args.unfused { xvr_worker::model::fused::with_composed_ops(run) } else { run() };
        if let Err(e) = result {
            eprintln!("xvr-bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    let mut machine = machine();
    let mut configs = vec![("small", ModelConfig::small())];
    if args.parts_only {
        configs.clear();
    } else if !args.small_only {
        configs.push(("baseline", ModelConfig::default()));
    }
    let mut models = Vec::new();
    for (name, config) in &configs {
        for batch in [1, 2] {
            let run = match args.backend {
                BenchBackend::Cpu => bench_model::<Ad>(name, config, batch, args.reps, &Default::default()),
                BenchBackend::Cuda => bench_cuda(name, config, batch, args.reps),
            };
            eprintln!(
                "{name} batch {batch}: forward {:.3} s, step {:.3} s ({:.2} samples/s, {:.1} GFLOP/s), inference {:.3} s/sample",
                run.forward.median_s, run.train_step.median_s, run.train_samples_per_s, run.train_gflop_per_s, run.inference_s_per_sample
            );
            models.push(run);
        }
    }
    let baseline_parts = if args.small_only || matches!(args.backend, BenchBackend::Cuda) { Vec::new() } else { bench_baseline_parts(args.reps) };
    for p in &baseline_parts {
        eprintln!("part {}: {:.4} s fwd+bwd × {}", p.part, p.forward_backward.median_s, p.per_step);
    }
    machine.loadavg_end = loadavg();
    let report = Report {
        date_utc: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        machine,
        backend: match args.backend {
            BenchBackend::Cpu => "Autodiff<Flex> (burn 0.21.0), f32",
            BenchBackend::Cuda => "Autodiff<Cuda> (burn 0.21.0), f32",
        },
        models,
        baseline_parts,
    };
    let json = serde_json::to_string_pretty(&report).expect("report serialises");
    if let Some(dir) = args.out.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("xvr-bench: cannot create {}: {e}", dir.display());
            std::process::exit(1);
        }
    }
    if let Err(e) = xvr_contract::results::write_atomic(&args.out, json.as_bytes()) {
        eprintln!("xvr-bench: cannot write {}: {e}", args.out.display());
        std::process::exit(1);
    }
    eprintln!("wrote {}", args.out.display());
}
