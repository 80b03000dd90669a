//! Why the local adapter could not start, follow or stop a job.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A file of the job (its nodefile, its output) could not be written.
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("{}: cannot start bash: {source}", script.display())]
    CannotStart { script: PathBuf, source: io::Error },
    #[error("starting the walltime watchdog of job {pgid}: {source}")]
    Watchdog { pgid: libc::pid_t, source: io::Error },
    #[error("starting the walltime watchdog of job {pgid}: bash exited with {status}")]
    WatchdogFailed { pgid: libc::pid_t, status: ExitStatus },
    /// Asking whether the job's shell exited failed.
    #[error("{id}: {source}")]
    Wait { id: String, source: io::Error },
    #[error("{id}: not a local job id")]
    NotAJobId { id: String },
}
