//! The trials of a planned sweep, read back from `results/<sweep>/` (plan.csv and each
//! job.pbs), so `submit`, `status` and `cancel` work on a sweep directory alone.

use std::path::{Path, PathBuf};

use super::JobRequest;
use crate::plan::walltime;
use crate::results::names;

/// Reads every trial of the sweep in `sweep_dir`, in plan order.
pub fn load(sweep_dir: &Path) -> Result<Vec<JobRequest>, String> {
    let csv_path = sweep_dir.join(names::PLAN_CSV);
    let mut reader = csv::Reader::from_path(&csv_path).map_err(|e| {
        format!(
            "{}: {e} (not a planned sweep? run `xvr plan` first)",
            csv_path.display()
        )
    })?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", csv_path.display()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column {name}", csv_path.display()))
    };
    let (id_col, queue_col, nodes_col, wall_col) = (
        col("trial_id")?,
        col("queue")?,
        col("nodes")?,
        col("walltime")?,
    );
    let mut jobs = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| format!("{}: {e}", csv_path.display()))?;
        let trial_id = r[id_col].to_string();
        let trial_dir: PathBuf =
            std::path::absolute(sweep_dir.join(names::TRIALS_DIR).join(&trial_id))
                .map_err(|e| e.to_string())?;
        let script = trial_dir.join(names::JOB_SCRIPT);
        let text =
            std::fs::read_to_string(&script).map_err(|e| format!("{}: {e}", script.display()))?;
        let job_name = text
            .lines()
            .find_map(|l| l.strip_prefix("#PBS -N "))
            .ok_or_else(|| format!("{}: no #PBS -N line", script.display()))?
            .trim()
            .to_string();
        jobs.push(JobRequest {
            queue: r[queue_col].to_string(),
            nodes: r[nodes_col]
                .parse()
                .map_err(|e| format!("{}: nodes: {e}", csv_path.display()))?,
            walltime_s: walltime::parse(&r[wall_col])
                .map_err(|e| format!("{}: {e}", csv_path.display()))?,
            trial_id,
            trial_dir,
            script,
            job_name,
        });
    }
    Ok(jobs)
}
