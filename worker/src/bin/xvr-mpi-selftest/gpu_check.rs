//! NCCL and CUPTI on a real GPU: the staged all-reduce and broadcast give the closed-form
//! results, and CUPTI's records (NCCL kernels, copies, memsets) arrive on the recorder's
//! clock with the categories the presets promise.

use std::error::Error;
use std::path::Path;

use xvr_contract::trial::KernelPreset;
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
) -> Result<bool, Box<dyn Error>> {
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

pub fn gpu_check(expect: usize, out: &Path) -> Result<(), Box<dyn Error>> {
    let cupti = CuptiCollector::start()?;
    let coll = init_nccl(expect)?;
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
    coll.all_reduce_sum(&mut buf)?;
    let tri = (w.size * (w.size + 1) / 2) as f32;
    let sum_ok = buf
        .iter()
        .enumerate()
        .all(|(i, &v)| v == tri * (i % 1000) as f32);
    let mut b: Vec<f32> = vec![w.rank as f32; 4096];
    coll.broadcast(&mut b, 0)?;
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
        Err(format!("failed: {}", failed.join(", ")).into())
    }
}
