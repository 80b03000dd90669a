//! Writes a plan to `results/<sweep>/` as the results contract lays it out. Every file is
//! written with `write_atomic_new`: re-planning an unchanged spec rewrites nothing, and a
//! changed spec under the same sweep name is refused instead of mixing two sweeps.

use std::io;
use std::path::{Path, PathBuf};

use crate::results::{
    names, sync_filesystem, write_atomic_as, write_atomic_new_as, Durability, PlanRow, PlanTable,
    TrialState, TrialStatus,
};
use xvr_contract::trial::value_text;

use super::Plan;

/// Why a plan could not be written; each names the file or directory.
#[derive(Debug, thiserror::Error)]
pub enum PlanWriteError {
    #[error("{}: cannot create: {source}", dir.display())]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error(
        "{} was planned from a different spec; give the changed sweep a new `name` (or move the old results away)",
        sweep_dir.display()
    )]
    ChangedSpec { sweep_dir: PathBuf },
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{}: cannot read: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Serialise { path: PathBuf, source: Box<dyn std::error::Error + Send + Sync> },
    /// The worker the job scripts run was not found at plan time.
    #[error(transparent)]
    NoWorker(#[from] super::site::NoWorker),
    #[error(
        "{}: the job script of {} would change, but its job is in flight (PBS keeps the copy it was given); let it end or `xvr cancel` it, then plan again. Re-rendered meanwhile: {}",
        sweep_dir.display(),
        in_flight.join(", "),
        if rerendered.is_empty() { "none".to_string() } else { rerendered.join(", ") }
    )]
    InFlight { sweep_dir: PathBuf, in_flight: Vec<String>, rerendered: Vec<String> },
}

/// What [`write_plan`] changed in an existing sweep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteReport {
    /// Trials whose job.pbs was rendered anew (a changed site profile, `--account`,
    /// `--queue`, or a sweep directory planned elsewhere).
    pub rerendered: Vec<String>,
}

/// Creates `sweep.yaml`, `plan.csv` and each `trials/<id>/{trial.yaml, job.pbs, state.json}`
/// (`state.json` only when absent: a trial that already ran keeps its state).
///
/// A job script that differs from the new rendering is replaced when its trial has no
/// job in flight (planned, failed, cancelled, timed out, succeeded: the results stay);
/// a trial whose job is queued or running keeps its script and the plan is refused with
/// its name, after the other trials were written. `plan.csv` follows the new placement.
/// Every file is replaced atomically; the file system is synced once at the end rather
/// than per file.
pub fn write_plan(plan: &Plan) -> Result<WriteReport, PlanWriteError> {
    // Every job script needs the worker: refuse before anything is written.
    plan.worker.as_ref().map_err(Clone::clone)?;
    write_planned_trials(plan)?;
    let mut report = WriteReport::default();
    let mut in_flight = Vec::new();
    for t in &plan.trials {
        let dir = plan.trial_dir(t.id());
        let state_path = dir.join(names::STATE_JSON);
        let script = dir.join(names::JOB_SCRIPT);
        let rendered = plan.job_script(t)?;
        match std::fs::read(&script) {
            Ok(old) if old == rendered.as_bytes() => {}
            Ok(_) => match job_in_flight(&state_path)? {
                Some(what) => in_flight.push(format!("trial {} ({what})", t.id())),
                None => {
                    write(&script, rendered.as_bytes())?;
                    report.rerendered.push(t.id().to_string());
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => write(&script, rendered.as_bytes())?,
            Err(source) => return Err(PlanWriteError::Read { path: script, source }),
        }
        if !state_path.exists() {
            let json = serde_json::to_vec_pretty(&TrialState::planned()).map_err(|e| {
                PlanWriteError::Serialise { path: state_path.clone(), source: e.into() }
            })?;
            write(&state_path, &json)?;
        }
    }
    sync_filesystem(&plan.sweep_dir).map_err(|source| PlanWriteError::Write {
        path: plan.sweep_dir.clone(),
        source,
    })?;
    if !in_flight.is_empty() {
        return Err(PlanWriteError::InFlight {
            sweep_dir: plan.sweep_dir.clone(),
            in_flight,
            rerendered: report.rerendered,
        });
    }
    Ok(report)
}

/// What the analysis needs of a planned sweep, without job scripts or states: `sweep.yaml`,
/// `plan.csv`, `site.json` and each `trials/<id>/trial.yaml` (`xvr predict` writes these to
/// a scratch directory; [`write_plan`] writes them and the rest). Not synced.
pub fn write_planned_trials(plan: &Plan) -> Result<(), PlanWriteError> {
    create_dir(&plan.sweep_dir.join(names::TRIALS_DIR))?;
    let sweep_spec = plan.sweep_dir.join(names::SWEEP_SPEC);
    write_atomic_new_as(&sweep_spec, plan.spec.text.as_bytes(), Durability::Batched).map_err(
        |source| match source.kind() {
            io::ErrorKind::AlreadyExists => PlanWriteError::ChangedSpec {
                sweep_dir: plan.sweep_dir.clone(),
            },
            _ => PlanWriteError::Write { path: sweep_spec.clone(), source },
        },
    )?;
    let plan_csv = plan.sweep_dir.join(names::PLAN_CSV);
    let table = plan_table(plan).to_csv().map_err(|e| PlanWriteError::Serialise {
        path: plan_csv.clone(),
        source: e.into(),
    })?;
    write_atomic_if_changed(&plan_csv, &table)?;
    let site_json = plan.sweep_dir.join(names::SITE_JSON);
    let site = serde_json::to_vec_pretty(&plan.site.facts())
        .map_err(|e| PlanWriteError::Serialise { path: site_json.clone(), source: e.into() })?;
    write_atomic_if_changed(&site_json, &site)?;
    for t in &plan.trials {
        let dir = plan.trial_dir(t.id());
        create_dir(&dir)?;
        let path = dir.join(names::TRIAL_YAML);
        let yaml = serde_yaml::to_string(&t.config)
            .map_err(|e| PlanWriteError::Serialise { path: path.clone(), source: e.into() })?;
        write_atomic_new_as(&path, yaml.as_bytes(), Durability::Batched)
            .map_err(|source| PlanWriteError::Write { path, source })?;
    }
    Ok(())
}

/// `Some("running as job 12.pbs")` when the trial's state says its job is queued or
/// running; an unreadable state counts as in flight (nothing is replaced blindly).
fn job_in_flight(state_path: &Path) -> Result<Option<String>, PlanWriteError> {
    let bytes = match std::fs::read(state_path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(PlanWriteError::Read { path: state_path.to_path_buf(), source }),
    };
    let Ok(state) = serde_json::from_slice::<TrialState>(&bytes) else {
        return Ok(Some(format!("{} unreadable", state_path.display())));
    };
    Ok(match state.status {
        TrialStatus::Submitted | TrialStatus::Running => Some(format!(
            "{} as job {}",
            if state.status == TrialStatus::Running { "running" } else { "queued" },
            state.job_id.unwrap_or_default()
        )),
        _ => None,
    })
}

/// Replaces `path` with `bytes` (synced with the batch).
fn write(path: &Path, bytes: &[u8]) -> Result<(), PlanWriteError> {
    write_atomic_as(path, bytes, Durability::Batched)
        .map_err(|source| PlanWriteError::Write { path: path.to_path_buf(), source })
}

/// [`write`] unless the file already holds `bytes`.
fn write_atomic_if_changed(path: &Path, bytes: &[u8]) -> Result<(), PlanWriteError> {
    match std::fs::read(path) {
        Ok(old) if old == bytes => Ok(()),
        _ => write(path, bytes),
    }
}

/// `create_dir_all` with the path in the error (the OS message alone names none).
fn create_dir(dir: &Path) -> Result<(), PlanWriteError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| PlanWriteError::CreateDir { dir: dir.to_path_buf(), source })
}

/// `plan.csv` ([`PlanTable`]): each trial's axis values and placement, and its queue's
/// `max_jobs`, so that `xvr submit` on the sweep directory alone knows the limits.
pub fn plan_table(plan: &Plan) -> PlanTable {
    let rows = plan
        .trials
        .iter()
        .map(|t| {
            let meta = &t.config.meta;
            PlanRow {
                trial_id: t.id().to_string(),
                variant: meta.variant.clone(),
                repeat: Some(meta.repeat),
                axes: plan
                    .axes
                    .iter()
                    .map(|a| (a.clone(), meta.axes.get(a).map(value_text).unwrap_or_default()))
                    .collect(),
                gpus: t.config.resources.gpus,
                nodes: t.nodes,
                queue: t.queue.clone(),
                walltime_s: t.walltime_s,
                node_hours: t.node_hours(),
                queue_max_jobs: plan.site.max_jobs(&t.queue),
            }
        })
        .collect();
    PlanTable { axes: plan.axes.clone(), rows }
}
