//! `xvr-worker`: the SWIN-XVR worker binary.
//!
//! - `run <TRIAL_DIR>`: train, checkpoint/resume, evaluate and write the trial's results
//!   (started by the job script, under `mpiexec` for more than one rank).
//! - `model-info`: parameters and FLOPs per sample as JSON.
//! - `reconstruct`: a trained trial's model applied to an experiment's videos.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use burn::backend::{Autodiff, Flex};
use clap::{Args, Parser, Subcommand};
use xvr_contract::trial::{DataConfig, TrialConfig};
use xvr_worker::model::{ModelConfig, ModelInfo};
use xvr_worker::train::{run, RunError, RunOptions, SetupError};

#[derive(Parser)]
#[command(
    name = "xvr-worker",
    about = "SWIN-XVR training / profiling / inference worker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the trial in TRIAL_DIR (its trial.yaml), resuming from TRIAL_DIR/checkpoint if
    /// present, then evaluate and write train.csv, validation.csv and summary.json.
    Run(RunArgs),
    /// Print the model's parameter count and FLOPs per sample as JSON.
    ModelInfo(ModelInfoArgs),
    /// Reconstruct every HR frame of an experiment at the LR frame rate with a trained trial
    /// (see `xvr-worker reconstruct --help`).
    Reconstruct(xvr_worker::reconstruct::ReconstructArgs),
}

#[derive(Args)]
struct RunArgs {
    /// The trial directory (holds trial.yaml; results are written next to it).
    trial_dir: PathBuf,
    /// Compute backend: `cpu` (Flex) or `cuda` (needs a build with `--features cuda`).
    #[arg(long, value_enum, default_value = "cpu")]
    backend: Backend,
    /// Checkpoint after this iteration and stop as if SIGTERM had arrived (rehearses a
    /// walltime kill; the next run resumes).
    #[arg(long)]
    stop_after: Option<u64>,
    /// CPU only: use burn's composed ops instead of the fused kernels (model::fused), to rule
    /// the kernels out when a result looks wrong; several times slower (docs/benchmarks.md).
    #[arg(long)]
    composed_ops: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Backend {
    Cpu,
    Cuda,
}

#[derive(Args)]
struct ModelInfoArgs {
    /// A trial.yaml: its model section and data.crop_lr are used (flags below are ignored).
    #[arg(long)]
    trial: Option<PathBuf>,
    #[arg(long, default_value_t = ModelConfig::default().lr_frames)]
    lr_frames: usize,
    #[arg(long, default_value_t = ModelConfig::default().window)]
    window: usize,
    #[arg(long, default_value_t = ModelConfig::default().heads)]
    heads: usize,
    #[arg(long, default_value_t = ModelConfig::default().channels)]
    channels: usize,
    /// Blocks per stage, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = ModelConfig::default().depths)]
    depths: Vec<usize>,
    #[arg(long, default_value_t = ModelConfig::default().mlp_ratio)]
    mlp_ratio: f64,
    #[arg(long, default_value_t = ModelConfig::default().recon_channels)]
    recon_channels: usize,
    /// LR crop edge the FLOPs are counted for (HR = 4×).
    #[arg(long, default_value_t = DataConfig::default().crop_lr)]
    crop_lr: usize,
}

fn model_info(args: &ModelInfoArgs) -> Result<ModelInfo, SetupError> {
    let (config, crop) = match &args.trial {
        Some(path) => {
            let trial = TrialConfig::from_yaml_file(path)?;
            (trial.model, trial.data.crop_lr)
        }
        None => {
            let config = ModelConfig::default()
                .with_lr_frames(args.lr_frames)
                .with_window(args.window)
                .with_heads(args.heads)
                .with_channels(args.channels)
                .with_depths(args.depths.clone())
                .with_mlp_ratio(args.mlp_ratio)
                .with_recon_channels(args.recon_channels);
            (config, args.crop_lr)
        }
    };
    Ok(ModelInfo::new::<Flex>(&config, [crop, crop], &Default::default())?)
}

fn run_trial(args: &RunArgs) -> Result<(), RunError> {
    let options = RunOptions {
        stop_after: args.stop_after,
    };
    match args.backend {
        Backend::Cpu => {
            let train = || run::<Autodiff<Flex>>(&args.trial_dir, &Default::default(), options);
            let result = if args.composed_ops {
                xvr_worker::model::fused::with_composed_ops(train)
            } else {
                train()
            };
            result.map(drop)
        }
        Backend::Cuda => run_cuda(args, options),
    }
}

#[cfg(feature = "cuda")]
fn run_cuda(args: &RunArgs, options: RunOptions) -> Result<(), RunError> {
    // burn's CUDA runtime panics deep inside when the driver is missing; check first.
    // SAFETY: only tries to dlopen libcuda.
    let driver = std::panic::catch_unwind(|| unsafe { cudarc::driver::sys::is_culib_present() });
    if !matches!(driver, Ok(true)) {
        let error = RunError::Setup(SetupError::NoCudaDriver);
        eprintln!("xvr-worker run: {error}");
        return Err(error);
    }
    run::<Autodiff<burn::backend::Cuda>>(&args.trial_dir, &Default::default(), options).map(drop)
}

#[cfg(not(feature = "cuda"))]
fn run_cuda(_: &RunArgs, _: RunOptions) -> Result<(), RunError> {
    let error = RunError::Setup(SetupError::NoCudaBuild);
    eprintln!("xvr-worker run: {error}");
    Err(error)
}

fn main() -> ExitCode {
    xvr_worker::process_memory::keep_freed_memory_for_reuse();
    match Cli::parse().command {
        // `run` prints its own error line (with the rank) before returning it.
        Command::Run(args) => match run_trial(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => ExitCode::from(e.exit_code()),
        },
        // Prints its own error line (with the rank) before returning it.
        Command::Reconstruct(args) => {
            match xvr_worker::reconstruct::reconstruct::<Flex>(&args, &Default::default()) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => ExitCode::from(e.exit_code()),
            }
        }
        Command::ModelInfo(args) => match model_info(&args) {
            Ok(info) => {
                let json = serde_json::to_string_pretty(&info).expect("model info serialises");
                // A closed pipe (`| head`) is not an error worth a panic.
                let _ = writeln!(std::io::stdout(), "{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("xvr-worker model-info: {e}");
                // Unusable settings, as for a run whose trial is unusable.
                ExitCode::from(RunError::Setup(e).exit_code())
            }
        },
    }
}
