//! The trials of a planned sweep, read back from `results/<sweep>/` (plan.csv and each
//! job.pbs), so `submit`, `status` and `cancel` work on a sweep directory alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::JobRequest;
use crate::plan::walltime;
use crate::plan::write::QUEUE_MAX_JOBS;
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
        let account = text
            .lines()
            .find_map(|l| l.strip_prefix("#PBS -A "))
            .map(|a| a.trim().to_string());
        jobs.push(JobRequest {
            account,
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
            after: Vec::new(),
        });
    }
    Ok(jobs)
}

/// Per-queue job limits recorded in plan.csv (`queue_max_jobs`); a plan written before
/// the column existed has none.
pub fn queue_limits(sweep_dir: &Path) -> Result<HashMap<String, usize>, String> {
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
pub fn axes(sweep_dir: &Path) -> Result<Axes, String> {
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

fn read_plan(sweep_dir: &Path) -> Result<Rows, String> {
    let csv_path = sweep_dir.join(names::PLAN_CSV);
    let mut reader =
        csv::Reader::from_path(&csv_path).map_err(|e| format!("{}: {e}", csv_path.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", csv_path.display()))?
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.map(|r| r.iter().map(String::from).collect())
                .map_err(|e| format!("{}: {e}", csv_path.display()))
        })
        .collect::<Result<_, _>>()?;
    Ok((headers, rows))
}
