//! Running `xvr-analysis` on a finished (or partly finished) sweep.
//!
//! The analysis is its own binary (it must build without burn or MPI, and run on a login
//! node), so the driver starts it as a process: the one installed beside this `xvr` first,
//! then whatever `PATH` holds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Name of the analysis binary.
pub const ANALYSIS_BIN: &str = "xvr-analysis";

/// `xvr-analysis` beside the running executable if it is there, else the bare name for `PATH`.
pub fn analysis_binary() -> PathBuf {
    super::sibling::sibling_binary(ANALYSIS_BIN)
}

/// Runs the analysis on `sweep_dir` with `extra_args`, its output going to ours; returns
/// the report's `index.html`.
pub fn run_analysis(binary: &Path, sweep_dir: &Path, extra_args: &[String]) -> Result<PathBuf, String> {
    let status = Command::new(binary)
        .arg(sweep_dir)
        .args(extra_args)
        .status()
        .map_err(|e| cannot_start(binary, &e))?;
    if !status.success() {
        return Err(format!("{} {} failed ({status})", binary.display(), sweep_dir.display()));
    }
    Ok(sweep_dir.join(crate::results::names::REPORT_DIR).join("index.html"))
}

fn cannot_start(binary: &Path, e: &std::io::Error) -> String {
    format!(
        "cannot start {}: {e}; build it with `cargo build --release -p xvr-analysis` \
         (it is expected beside xvr or on PATH)",
        binary.display()
    )
}

/// Runs `xvr-analysis predict SPEC --from MEASURED OPTIONS`, its output going to ours.
pub fn run_predict(binary: &Path, spec: &Path, measured: &Path, options: &[String]) -> Result<(), String> {
    let status = Command::new(binary)
        .arg("predict")
        .arg(spec)
        .arg("--from")
        .arg(measured)
        .args(options)
        .status()
        .map_err(|e| cannot_start(binary, &e))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} predict {} failed ({status})", binary.display(), spec.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let err = run_analysis(Path::new("/nonexistent/xvr-analysis"), Path::new("/tmp"), &[]).unwrap_err();
        assert!(err.contains("cannot start /nonexistent/xvr-analysis"), "{err}");
        assert!(err.contains("cargo build --release -p xvr-analysis"), "{err}");
    }

    #[test]
    fn a_failing_prediction_is_an_error_naming_the_spec() {
        let err = run_predict(Path::new("false"), Path::new("sweeps/scaling.yaml"), Path::new("results/u"), &[])
            .unwrap_err();
        assert!(err.contains("false predict sweeps/scaling.yaml failed"), "{err}");
    }

    #[test]
    fn a_failing_analysis_is_an_error_naming_the_sweep() {
        // `false` exits 1 whatever its arguments: a stand-in for an analysis that refused.
        let err = run_analysis(Path::new("false"), Path::new("results/x"), &[]).unwrap_err();
        assert!(err.contains("false results/x failed"), "{err}");
    }
}
