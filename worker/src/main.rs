//! `xvr-worker`: the SWIN-XVR worker binary. Only `model-info` exists so far; the
//! training / evaluation subcommands belong to the CLI owner (this is a minimal stub).

use std::path::PathBuf;
use std::process::ExitCode;

use burn::backend::Flex;
use clap::{Args, Parser, Subcommand};
use xvr_worker::model::{ModelInfo, SwinXvrConfig};

#[derive(Parser)]
#[command(name = "xvr-worker", about = "SWIN-XVR training / profiling / inference worker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the model's parameter count and FLOPs per sample as JSON.
    ModelInfo(ModelInfoArgs),
}

#[derive(Args)]
struct ModelInfoArgs {
    /// A trial.yaml: its model section and data.crop_lr are used (flags below are ignored).
    #[arg(long)]
    trial: Option<PathBuf>,
    #[arg(long, default_value_t = 3)]
    lr_frames: usize,
    #[arg(long, default_value_t = 8)]
    window: usize,
    #[arg(long, default_value_t = 3)]
    heads: usize,
    #[arg(long, default_value_t = 192)]
    channels: usize,
    /// Blocks per stage, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "2,2,18,2")]
    depths: Vec<usize>,
    #[arg(long, default_value_t = 2.0)]
    mlp_ratio: f64,
    #[arg(long, default_value_t = 64)]
    recon_channels: usize,
    /// LR crop edge the FLOPs are counted for (HR = 4×).
    #[arg(long, default_value_t = 24)]
    crop_lr: usize,
}

fn model_info(args: &ModelInfoArgs) -> Result<ModelInfo, String> {
    let (config, crop) = match &args.trial {
        Some(path) => {
            let trial = xvr::spec::trial::TrialConfig::from_yaml_file(path)?;
            let config = SwinXvrConfig::from_trial(&trial.model).map_err(|e| format!("{}: {e}", path.display()))?;
            (config, trial.data.crop_lr)
        }
        None => {
            let config = SwinXvrConfig::new()
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
    ModelInfo::new::<Flex>(&config, [crop, crop], &Default::default())
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::ModelInfo(args) => match model_info(&args) {
            Ok(info) => {
                println!("{}", serde_json::to_string_pretty(&info).expect("model info serialises"));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("xvr-worker model-info: {e}");
                ExitCode::from(2)
            }
        },
    }
}
