//! Writes a plan to `results/<sweep>/` as the results contract lays it out. Every file is
//! written with `write_atomic_new`: re-planning an unchanged spec rewrites nothing, and a
//! changed spec under the same sweep name is refused instead of mixing two sweeps.

use std::io;

use crate::results::{
    names, sync_filesystem, write_atomic_as, write_atomic_new_as, Durability, TrialState,
    TrialStatus,
};

use super::Plan;

/// plan.csv column: the trial's queue's `max_jobs` (empty: no limit).
pub const QUEUE_MAX_JOBS: &str = "queue_max_jobs";

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
pub fn write_plan(plan: &Plan) -> io::Result<WriteReport> {
    let later = Durability::Batched;
    create_dir(&plan.sweep_dir.join(names::TRIALS_DIR))?;
    write_atomic_new_as(
        &plan.sweep_dir.join(names::SWEEP_SPEC),
        plan.spec.text.as_bytes(),
        later,
    )
    .map_err(|e| explain_changed_spec(e, plan))?;
    write_atomic_if_changed(&plan.sweep_dir.join(names::PLAN_CSV), &plan_csv(plan)?)?;
    let mut report = WriteReport::default();
    let mut in_flight = Vec::new();
    for t in &plan.trials {
        let dir = plan.trial_dir(t.id());
        create_dir(&dir)?;
        let yaml = serde_yaml::to_string(&t.config).map_err(io::Error::other)?;
        write_atomic_new_as(&dir.join(names::TRIAL_YAML), yaml.as_bytes(), later)?;
        let state_path = dir.join(names::STATE_JSON);
        let script = dir.join(names::JOB_SCRIPT);
        let rendered = plan.job_script(t).map_err(io::Error::other)?;
        match std::fs::read(&script) {
            Ok(old) if old == rendered.as_bytes() => {}
            Ok(_) => match job_in_flight(&state_path)? {
                Some(what) => in_flight.push(format!("trial {} ({what})", t.id())),
                None => {
                    write_atomic_as(&script, rendered.as_bytes(), later)?;
                    report.rerendered.push(t.id().to_string());
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                write_atomic_as(&script, rendered.as_bytes(), later)?;
            }
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", script.display()))),
        }
        if !state_path.exists() {
            let json =
                serde_json::to_vec_pretty(&TrialState::planned()).map_err(io::Error::other)?;
            write_atomic_as(&state_path, &json, later)?;
        }
    }
    sync_filesystem(&plan.sweep_dir)?;
    if !in_flight.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: the job script of {} would change, but its job is in flight (PBS keeps the copy it was given); let it end or `xvr cancel` it, then plan again. Re-rendered meanwhile: {}",
                plan.sweep_dir.display(),
                in_flight.join(", "),
                if report.rerendered.is_empty() { "none".to_string() } else { report.rerendered.join(", ") }
            ),
        ));
    }
    Ok(report)
}

/// `Some("running as job 12.pbs")` when the trial's state says its job is queued or
/// running; an unreadable state counts as in flight (nothing is replaced blindly).
fn job_in_flight(state_path: &std::path::Path) -> io::Result<Option<String>> {
    let bytes = match std::fs::read(state_path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", state_path.display()))),
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

/// Writes `bytes` unless the file already holds them.
fn write_atomic_if_changed(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    match std::fs::read(path) {
        Ok(old) if old == bytes => Ok(()),
        _ => write_atomic_as(path, bytes, Durability::Batched),
    }
}

/// `create_dir_all` with the path in the error (the OS message alone names none).
fn create_dir(dir: &std::path::Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: cannot create: {e}", dir.display())))
}

fn explain_changed_spec(e: io::Error, plan: &Plan) -> io::Error {
    if e.kind() != io::ErrorKind::AlreadyExists {
        return e;
    }
    io::Error::new(
        e.kind(),
        format!(
            "{} was planned from a different spec; give the changed sweep a new `name` (or move the old results away)",
            plan.sweep_dir.display()
        ),
    )
}

/// `plan.csv`: trial_id, variant, repeat, every axis value, gpus, nodes, queue, walltime,
/// node_hours, queue_max_jobs (the queue's `max_jobs`, empty when unlimited, so that
/// `xvr submit` on the sweep directory alone knows the limits).
pub fn plan_csv(plan: &Plan) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["trial_id".to_string(), "variant".into(), "repeat".into()];
    header.extend(plan.axes.iter().cloned());
    header.extend(
        [
            "gpus",
            "nodes",
            "queue",
            "walltime",
            "node_hours",
            QUEUE_MAX_JOBS,
        ]
        .map(String::from),
    );
    w.write_record(&header).map_err(io::Error::other)?;
    for t in &plan.trials {
        let c = &t.config;
        let mut row = vec![
            t.id().to_string(),
            c.meta.variant.clone().unwrap_or_default(),
            c.meta.repeat.to_string(),
        ];
        row.extend(plan.axes.iter().map(|a| {
            c.meta
                .axes
                .get(a)
                .map(crate::spec::marked::value_text)
                .unwrap_or_default()
        }));
        row.extend([
            c.resources.gpus.to_string(),
            t.nodes.to_string(),
            t.queue.clone(),
            super::walltime::format(t.walltime_s),
            format!("{:.3}", t.node_hours()),
            plan.site
                .max_jobs(&t.queue)
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ]);
        w.write_record(&row).map_err(io::Error::other)?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}
