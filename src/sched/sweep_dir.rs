//! The trials of a planned sweep, read back from `results/<sweep>/` (plan.csv and each
//! job.pbs), so `submit`, `status` and `cancel` work on a sweep directory alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::JobRequest;
use crate::plan::walltime;
use crate::plan::write::QUEUE_MAX_JOBS;
use crate::results::names;

/// Why a planned sweep directory cannot be read, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum SweepDirError {
    #[error("{}: {source} (not a planned sweep? run `xvr plan` first)", path.display())]
    NotPlanned { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{}: no column {column}", path.display())]
    NoColumn { path: PathBuf, column: &'static str },
    #[error("{}: nodes: {source}", path.display())]
    Nodes { path: PathBuf, source: std::num::ParseIntError },
    #[error("{}: {source}", path.display())]
    Walltime { path: PathBuf, source: walltime::BadWalltime },
    /// A trial's directory or job script.
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
    #[error("{}: no #PBS -N line", path.display())]
    NoJobName { path: PathBuf },
}

/// Reads every trial of the sweep in `sweep_dir`, in plan order.
pub fn load(sweep_dir: &Path) -> Result<Vec<JobRequest>, SweepDirError> {
    let csv_path = sweep_dir.join(names::PLAN_CSV);
    let mut reader = csv::Reader::from_path(&csv_path)
        .map_err(|source| SweepDirError::NotPlanned { path: csv_path.clone(), source })?;
    let csv_error = |source| SweepDirError::Csv { path: csv_path.clone(), source };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let col = |column: &'static str| {
        headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| SweepDirError::NoColumn { path: csv_path.clone(), column })
    };
    let (id_col, queue_col, nodes_col, wall_col) = (
        col("trial_id")?,
        col("queue")?,
        col("nodes")?,
        col("walltime")?,
    );
    let mut jobs = Vec::new();
    for record in reader.records() {
        let r = record.map_err(csv_error)?;
        let trial_id = r[id_col].to_string();
        let relative = sweep_dir.join(names::TRIALS_DIR).join(&trial_id);
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
            queue: r[queue_col].to_string(),
            nodes: r[nodes_col]
                .parse()
                .map_err(|source| SweepDirError::Nodes { path: csv_path.clone(), source })?,
            walltime_s: walltime::parse(&r[wall_col])
                .map_err(|source| SweepDirError::Walltime { path: csv_path.clone(), source })?,
            trial_id,
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
    let (headers, rows) = read_plan(sweep_dir)?;
    let (Some(queue), Some(max)) = (
        headers.iter().position(|h| h == "queue"),
        headers.iter().position(|h| h == QUEUE_MAX_JOBS),
    ) else {
        return Ok(HashMap::new());
    };
    let mut limits = HashMap::new();
    for row in rows {
        if let Ok(n) = row[max].parse::<usize>() {
            limits.insert(row[queue].clone(), n);
        }
    }
    Ok(limits)
}

/// The swept axes (plan.csv columns that are dotted paths, and `variant` when used) and
/// each trial's values, for `xvr status`.
pub fn axes(sweep_dir: &Path) -> Result<Axes, SweepDirError> {
    let (headers, rows) = read_plan(sweep_dir)?;
    let has_variants = headers
        .iter()
        .position(|h| h == "variant")
        .is_some_and(|v| rows.iter().any(|r| !r[v].is_empty()));
    let columns: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.contains('.') || (has_variants && *h == "variant"))
        .map(|(i, _)| i)
        .collect();
    let id = headers.iter().position(|h| h == "trial_id").unwrap_or(0);
    let names = columns.iter().map(|&i| headers[i].clone()).collect();
    let values = rows
        .iter()
        .map(|r| {
            (
                r[id].clone(),
                columns.iter().map(|&i| r[i].clone()).collect(),
            )
        })
        .collect();
    Ok((names, values))
}

type Rows = (Vec<String>, Vec<Vec<String>>);

/// Axis names, and each trial id's values in that order.
pub type Axes = (Vec<String>, HashMap<String, Vec<String>>);

fn read_plan(sweep_dir: &Path) -> Result<Rows, SweepDirError> {
    let csv_path = sweep_dir.join(names::PLAN_CSV);
    let csv_error = |source| SweepDirError::Csv { path: csv_path.clone(), source };
    let mut reader = csv::Reader::from_path(&csv_path).map_err(csv_error)?;
    let headers = reader.headers().map_err(csv_error)?.iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(String::from).collect()).map_err(csv_error))
        .collect::<Result<_, _>>()?;
    Ok((headers, rows))
}
