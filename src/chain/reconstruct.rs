//! `xvr reconstruct`: a trained trial's model applied to an experiment's videos, run as a
//! local job — `xvr-worker reconstruct` on this machine, under `mpiexec` when the frames are
//! split over more than one rank (docs/reconstruction.md). The worker owns the model, the
//! checks and the outputs; this module starts it and passes its exit status on.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use super::sibling::sibling_binary;

/// Name of the worker binary.
const WORKER_BIN: &str = "xvr-worker";

/// Arguments of `xvr reconstruct`.
#[derive(clap::Args, Debug)]
pub struct ReconstructCommand {
    /// Processes to split the frames over (round-robin); more than 1 starts them with
    /// `mpiexec -n RANKS`.
    #[arg(long, default_value_t = 1)]
    pub ranks: usize,
    /// TRIAL_DIR and the options of `xvr-worker reconstruct` (see its --help): --lr/--hr or
    /// --sequence, --hr-every, --hr-offset, --out, --weights, --lr-fps, --frames.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "WORKER_ARGS"
    )]
    pub worker_args: Vec<String>,
}

/// Why the reconstruction job did not start.
#[derive(Debug, thiserror::Error)]
pub enum ReconstructStartError {
    #[error("--ranks 0: expected at least 1 process")]
    NoRanks,
    #[error(
        "cannot start {}: {source}; build it with `cargo build --release --workspace` (it is expected beside xvr or on PATH){}",
        program.display(),
        if *mpiexec { "; more than one rank needs MPI's mpiexec (scripts/setup.sh installs MPICH)" } else { "" }
    )]
    CannotStart {
        program: PathBuf,
        mpiexec: bool,
        source: std::io::Error,
    },
}

/// Runs the reconstruction job and returns the worker's (or mpiexec's) exit status; the
/// worker has said why on stderr (2 refused, 1 failed).
pub fn reconstruct(cmd: &ReconstructCommand) -> Result<ExitStatus, ReconstructStartError> {
    if cmd.ranks == 0 {
        return Err(ReconstructStartError::NoRanks);
    }
    let worker = sibling_binary(WORKER_BIN);
    let mpiexec = cmd.ranks > 1;
    let program = if mpiexec {
        PathBuf::from("mpiexec")
    } else {
        worker.clone()
    };
    let mut command = Command::new(&program);
    if mpiexec {
        command.arg("-n").arg(cmd.ranks.to_string()).arg(&worker);
    }
    command
        .arg("reconstruct")
        .args(&cmd.worker_args)
        .arg("--ranks")
        .arg(cmd.ranks.to_string());
    command
        .status()
        .map_err(|source| ReconstructStartError::CannotStart {
            program,
            mpiexec,
            source,
        })
}
