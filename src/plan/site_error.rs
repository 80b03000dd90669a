//! Why a site profile cannot be found or used, and why the worker its job scripts run was
//! not found; each names the file or setting to change.

use std::path::PathBuf;

use super::shell::UnsafeValue;
use super::walltime::BadWalltime;

/// A site profile that cannot be found, read or used.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("site profile {} not found", path.display())]
    FileNotFound { path: PathBuf },
    #[error(
        "site profile `{site}` not found: looked for pbs/{site}.yaml above the spec and the working directory"
    )]
    NameNotFound { site: String },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}{}: {source}", path.display(), line_column(source))]
    Parse {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    #[error("{}: queue {queue}: {source}", path.display())]
    Walltime {
        path: PathBuf,
        queue: String,
        source: BadWalltime,
    },
    #[error("{}: {source}", path.display())]
    Unsafe { path: PathBuf, source: UnsafeValue },
    #[error("{}: links.{link}: bandwidth_gb_s must be > 0 and latency_us >= 0", path.display())]
    BadLink { path: PathBuf, link: &'static str },
    #[error("{}: gpus_per_node must be >= 1 and at least one queue given", path.display())]
    Empty { path: PathBuf },
}

/// `:line:column` of a YAML error, when it has a place.
fn line_column(e: &serde_yaml::Error) -> String {
    e.location()
        .map(|l| format!(":{}:{}", l.line(), l.column()))
        .unwrap_or_default()
}

/// The worker a job script must run was not found at plan time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkerNotFound {
    #[error(
        "worker: {} (site profile {site}) is not an executable file; build it (`cargo build --release --workspace`) or correct `worker:`",
        path.display()
    )]
    NotExecutable { path: PathBuf, site: String },
    #[error(
        "worker: `{worker}` (site profile {site}) is neither beside this xvr nor on PATH; a batch job needs its absolute path: build it (`cargo build --release --workspace`, which puts it beside xvr) or set `worker:` in {} to its path",
        profile.display()
    )]
    Nowhere {
        worker: String,
        site: String,
        profile: PathBuf,
    },
}

/// [`WorkerNotFound`] for a spec: what `xvr plan` says when it cannot write job scripts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: site: {reason}", spec.display())]
pub struct NoWorker {
    pub spec: PathBuf,
    pub reason: WorkerNotFound,
}
