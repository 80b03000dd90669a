//! `xvr`: the SWIN-XVR sweep driver. `--help` is the manual.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use xvr::plan::{table, write, Plan};

/// Runs the SWIN-XVR hyperparameter and scaling study: a YAML sweep spec becomes trials,
/// each with a Polaris PBS job script, run on Polaris or on this machine.
///
/// Typical use: `xvr validate sweeps/window.yaml`, `xvr plan sweeps/window.yaml`,
/// `xvr submit sweeps/smoke.yaml`, `xvr status results/smoke`. The spec format is in
/// docs/spec-format.md; results go to `<results>/<sweep name>/`.
#[derive(Parser)]
#[command(name = "xvr", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks a spec; prints `file:line:column: message` for each problem and exits 1 if any.
    ///
    /// Everything `plan` would refuse is checked: YAML syntax, unknown keys, value types,
    /// model rules (channels divisible by heads, odd lr_frames, window >= 1), data.fraction
    /// in (0, 1], GPU counts (1, 2 or a multiple of 4 up to 256), and whether some queue of
    /// the site accepts each trial's nodes and walltime.
    Validate {
        /// Sweep spec (YAML).
        spec: PathBuf,
    },
    /// Expands a spec into trials and writes `<results>/<sweep>/`: sweep.yaml, plan.csv,
    /// trials/<id>/{trial.yaml, job.pbs, state.json}; prints one row per trial and the total.
    ///
    /// Planning an unchanged spec again changes nothing; a changed spec under an existing
    /// sweep name is refused.
    Plan {
        spec: PathBuf,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Validate { spec } => {
            let plan = Plan::build(&spec, &PathBuf::from("results")).map_err(|e| e.to_string())?;
            println!("{}: ok: sweep {}, {} trials", spec.display(), plan.spec.name, plan.trials.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { spec, results } => {
            let plan = Plan::build(&spec, &results).map_err(|e| e.to_string())?;
            write::write_plan(&plan).map_err(|e| e.to_string())?;
            print!("{}", table::render(&plan));
            println!("written to {}", plan.sweep_dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
