//! The trial's result files after evaluation (rank 0): `validation.csv`, then `summary.json`
//! — last, because its presence tells the driver and the analysis that every other file of
//! the trial is final.

use std::path::{Path, PathBuf};

use xvr_contract::results::{names, write_atomic, Summary, ValidationRow};
use xvr_contract::trial::TrialConfig;

use super::evaluate::summarise;

/// Why the result files could not be written, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum OutputsError {
    #[error("no validation frame was evaluated")]
    NothingEvaluated,
    #[error("{}: {source}", path.display())]
    Row { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
}

/// The error for a failed write of `path`.
fn cannot_write(path: &Path) -> impl FnOnce(std::io::Error) -> OutputsError + '_ {
    move |source| OutputsError::File { path: path.to_path_buf(), source }
}

/// Numbers of the finished run that the trial file does not hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunFacts {
    pub world_size: usize,
    pub iterations: u64,
    /// Sum of the iteration times over all attempts (s).
    pub train_wall_s: f64,
    pub params: u64,
    pub flops_per_sample: u64,
}

/// Writes `validation.csv` from `rows` and then `summary.json`; returns the summary.
pub fn write_results(
    trial_dir: &Path,
    trial: &TrialConfig,
    rows: &[ValidationRow],
    facts: RunFacts,
) -> Result<Summary, OutputsError> {
    let s = summarise(rows).ok_or(OutputsError::NothingEvaluated)?;
    let path = trial_dir.join(names::VALIDATION_CSV);
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|source| OutputsError::Row { path: path.clone(), source })?;
    }
    let bytes = writer.into_inner().map_err(|e| cannot_write(&path)(e.into_error()))?;
    write_atomic(&path, &bytes).map_err(cannot_write(&path))?;

    let axes = trial
        .meta
        .axes
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    let summary = Summary {
        trial_id: trial.meta.id.clone(),
        axes,
        gpus: trial.resources.gpus,
        world_size: facts.world_size,
        batch_per_gpu: trial.train.batch_per_gpu,
        iterations: facts.iterations,
        train_wall_s: facts.train_wall_s,
        psnr_db: s.psnr_db,
        ssim: s.ssim,
        aad: s.aad,
        bicubic_psnr_db: s.bicubic_psnr_db,
        infer_s_per_frame: s.infer_s_per_frame,
        params: facts.params,
        flops_per_sample: facts.flops_per_sample,
        status: "succeeded".into(),
    };
    let summary_path = trial_dir.join(names::SUMMARY_JSON);
    serde_json::to_vec_pretty(&summary)
        .map_err(std::io::Error::from)
        .and_then(|json| write_atomic(&summary_path, &json))
        .map_err(cannot_write(&summary_path))?;
    Ok(summary)
}
