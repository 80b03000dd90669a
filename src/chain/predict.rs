//! `xvr predict SPEC --from DIR`: the scaling prediction of a sweep before it runs. The
//! analysis predicts from a planned sweep directory (plan.csv, site.json and each
//! trial.yaml), so a spec is planned into a scratch directory first, which is removed
//! afterwards; the results root is only read (to resolve a reconstruction's trained trial).

use std::path::{Path, PathBuf};

use super::analysis::{self, AnalysisError};
use crate::plan::write::{write_planned_trials, PlanWriteError};
use crate::plan::Plan;
use crate::spec::SpecErrors;

/// Why a spec could not be predicted.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    #[error(transparent)]
    Spec(#[from] SpecErrors),
    #[error(transparent)]
    Write(#[from] PlanWriteError),
    #[error("{}: cannot create a scratch directory for the planned sweep: {source}", dir.display())]
    Scratch {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
}

/// A directory removed with everything in it when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, PredictError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("xvr-predict-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|source| PredictError::Scratch {
            dir: dir.clone(),
            source,
        })?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Predicts `target` (a spec, or a sweep directory `xvr plan` wrote) from the measured sweep
/// with `xvr-analysis predict` (`binary`), passing `options` on.
pub fn predict(
    binary: &Path,
    target: &Path,
    results: &Path,
    measured: &Path,
    options: &[String],
) -> Result<(), PredictError> {
    if target.is_dir() {
        return Ok(analysis::predict(binary, target, measured, options)?);
    }
    let mut plan = Plan::build(target, results)?;
    let scratch = Scratch::new()?;
    plan.sweep_dir = scratch.0.join(&plan.spec.name);
    write_planned_trials(&plan)?;
    Ok(analysis::predict(
        binary,
        &plan.sweep_dir,
        measured,
        options,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_directory_is_removed_even_when_the_analysis_fails() {
        let results = tempfile::tempdir().unwrap();
        let before: Vec<_> = scratch_dirs();
        // `false` exits 1 whatever its arguments: a stand-in for an analysis that refused.
        let err = predict(
            Path::new("false"),
            Path::new("sweeps/example.yaml"),
            results.path(),
            Path::new("results/measured"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("false predict") && err.contains("failed"),
            "{err}"
        );
        assert_eq!(
            scratch_dirs(),
            before,
            "no scratch directory of this process is left"
        );
        assert_eq!(
            std::fs::read_dir(results.path()).unwrap().count(),
            0,
            "the results root is not written"
        );
    }

    fn scratch_dirs() -> Vec<PathBuf> {
        let prefix = format!("xvr-predict-{}-", std::process::id());
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        dirs
    }
}
