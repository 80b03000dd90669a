//! Running `xvr-analysis` on a finished (or partly finished) sweep.
//!
//! The analysis is its own binary (it must build without burn or MPI, and run on a login
//! node), so the driver starts it as a process: the one installed beside this `xvr` first,
//! then whatever `PATH` holds.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// Name of the analysis binary.
pub const ANALYSIS_BIN: &str = "xvr-analysis";

/// `xvr-analysis` beside the running executable if it is there, else the bare name for `PATH`.
pub fn analysis_binary() -> PathBuf {
    super::sibling::sibling_binary(ANALYSIS_BIN)
}

/// Why `xvr-analysis` did not do its work.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(
        "cannot start {}: {source}; build it with `cargo build --release -p xvr-analysis` \
         (it is expected beside xvr or on PATH)",
        binary.display()
    )]
    CannotStart { binary: PathBuf, source: std::io::Error },
    /// It ran and failed (its own message is on stderr).
    #[error("{command} failed ({status})")]
    Failed { command: String, status: ExitStatus },
}

/// Runs `binary` with `args`, its output going to ours; `command` names it in errors.
fn call(binary: &Path, args: &[&OsStr], command: String) -> Result<(), AnalysisError> {
    let status = Command::new(binary).args(args).status().map_err(|source| AnalysisError::CannotStart {
        binary: binary.to_path_buf(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(AnalysisError::Failed { command, status })
    }
}

/// Runs the analysis on `sweep_dir` with `extra_args`, its output going to ours; returns
/// the report's `index.html`.
pub fn analyse(binary: &Path, sweep_dir: &Path, extra_args: &[String]) -> Result<PathBuf, AnalysisError> {
    let mut args = vec![sweep_dir.as_os_str()];
    args.extend(extra_args.iter().map(OsStr::new));
    call(binary, &args, format!("{} {}", binary.display(), sweep_dir.display()))?;
    Ok(sweep_dir.join(crate::results::names::REPORT_DIR).join("index.html"))
}

/// Runs `xvr-analysis predict PLANNED --from MEASURED OPTIONS` on a planned sweep
/// directory, its output going to ours.
pub fn predict(binary: &Path, planned: &Path, measured: &Path, options: &[String]) -> Result<(), AnalysisError> {
    let mut args = vec![OsStr::new("predict"), planned.as_os_str(), OsStr::new("--from"), measured.as_os_str()];
    args.extend(options.iter().map(OsStr::new));
    call(binary, &args, format!("{} predict {}", binary.display(), planned.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let err = analyse(Path::new("/nonexistent/xvr-analysis"), Path::new("/tmp"), &[]).unwrap_err().to_string();
        assert!(err.contains("cannot start /nonexistent/xvr-analysis"), "{err}");
        assert!(err.contains("cargo build --release -p xvr-analysis"), "{err}");
    }

    #[test]
    fn a_failing_prediction_is_an_error_naming_the_planned_sweep() {
        let err = predict(Path::new("false"), Path::new("results/scaling"), Path::new("results/u"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("false predict results/scaling failed"), "{err}");
    }

    #[test]
    fn a_failing_analysis_is_an_error_naming_the_sweep() {
        // `false` exits 1 whatever its arguments: a stand-in for an analysis that refused.
        let err = analyse(Path::new("false"), Path::new("results/x"), &[]).unwrap_err().to_string();
        assert!(err.contains("false results/x failed"), "{err}");
    }
}
