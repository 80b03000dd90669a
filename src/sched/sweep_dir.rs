//! The trials of a planned sweep, read back from `results/<sweep>/` (plan.csv and each
//! job.pbs), so `submit`, `status` and `cancel` work on a sweep directory alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::JobRequest;
use crate::results::{names, PlanTable, PlanTableError};

/// Why a planned sweep directory cannot be read, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum SweepDirError {
    #[error(transparent)]
    Plan(#[from] PlanTableError),
    /// A trial's directory or job script.
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
    #[error("{}: no #PBS -N line", path.display())]
    NoJobName { path: PathBuf },
}

fn read_plan(sweep_dir: &Path) -> Result<PlanTable, SweepDirError> {
    Ok(PlanTable::read(&sweep_dir.join(names::PLAN_CSV))?)
}

/// Reads every trial of the sweep in `sweep_dir`, in plan order.
pub fn load(sweep_dir: &Path) -> Result<Vec<JobRequest>, SweepDirError> {
    let mut jobs = Vec::new();
    for row in read_plan(sweep_dir)?.rows {
        let relative = sweep_dir.join(names::TRIALS_DIR).join(&row.trial_id);
        let trial_dir: PathBuf = std::path::absolute(&relative)
            .map_err(|source| SweepDirError::File { path: relative, source })?;
        let script = trial_dir.join(names::JOB_SCRIPT);
        let text = std::fs::read_to_string(&script)
            .map_err(|source| SweepDirError::File { path: script.clone(), source })?;
        let job_name = text
            .lines()
            .find_map(|l| l.strip_prefix("#PBS -N "))
            .ok_or_else(|| SweepDirError::NoJobName { path: script.clone() })?
            .trim()
            .to_string();
        let account = text
            .lines()
            .find_map(|l| l.strip_prefix("#PBS -A "))
            .map(|a| a.trim().to_string());
        jobs.push(JobRequest {
            account,
            queue: row.queue,
            nodes: row.nodes,
            walltime_s: row.walltime_s,
            trial_id: row.trial_id,
            trial_dir,
            script,
            job_name,
            after: Vec::new(),
        });
    }
    Ok(jobs)
}

/// Per-queue job limits recorded in plan.csv (`queue_max_jobs`); a plan written before
/// the column existed has none.
pub fn queue_limits(sweep_dir: &Path) -> Result<HashMap<String, usize>, SweepDirError> {
    Ok(read_plan(sweep_dir)?
        .rows
        .into_iter()
        .filter_map(|r| Some((r.queue, r.queue_max_jobs? as usize)))
        .collect())
}

/// The swept axes (plan.csv's axis columns, and `variant` when used) and each trial's
/// values, for `xvr status`.
pub fn axes(sweep_dir: &Path) -> Result<Axes, SweepDirError> {
    let plan = read_plan(sweep_dir)?;
    let has_variants = plan.rows.iter().any(|r| r.variant.is_some());
    let mut names: Vec<String> = Vec::new();
    if has_variants {
        names.push("variant".into());
    }
    names.extend(plan.axes.iter().cloned());
    let values = plan
        .rows
        .into_iter()
        .map(|mut r| {
            let mut values: Vec<String> = Vec::new();
            if has_variants {
                values.push(r.variant.take().unwrap_or_default());
            }
            values.extend(plan.axes.iter().map(|a| r.axes.remove(a).unwrap_or_default()));
            (r.trial_id, values)
        })
        .collect();
    Ok((names, values))
}

/// Axis names, and each trial id's values in that order.
pub type Axes = (Vec<String>, HashMap<String, Vec<String>>);
