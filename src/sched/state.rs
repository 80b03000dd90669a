//! The trial state machine, above every scheduler adapter:
//!
//! ```text
//! planned ─submit─► submitted ─starts─► running ─► succeeded | failed | timed_out
//!    ▲                   └──────────── xvr cancel ──────────► cancelled
//!    └── interrupted (xvr submit stopped): back to planned, resumed by the next submit
//! ```
//!
//! State lives in `trials/<id>/state.json`, always written atomically.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::results::{names, write_atomic, TrialState, TrialStatus};

/// Reads a trial's state; a trial without `state.json` is planned.
pub fn read(trial_dir: &Path) -> Result<TrialState, String> {
    let path = trial_dir.join(names::STATE_JSON);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TrialState::planned()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes a trial's state atomically.
pub fn write(trial_dir: &Path, state: &TrialState) -> Result<(), String> {
    let json = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    write_atomic(&trial_dir.join(names::STATE_JSON), &json).map_err(|e| e.to_string())
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new attempt has been handed to a scheduler. `started` is true for schedulers that
/// start jobs at once (local).
pub fn submitted(
    prev: &TrialState,
    scheduler: &str,
    job_id: &str,
    queue: &str,
    started: bool,
    now: DateTime<Utc>,
) -> TrialState {
    TrialState {
        status: if started {
            TrialStatus::Running
        } else {
            TrialStatus::Submitted
        },
        scheduler: Some(scheduler.to_string()),
        job_id: Some(job_id.to_string()),
        queue: Some(queue.to_string()),
        attempts: prev.attempts + 1,
        exit_status: None,
        reason: None,
        submitted_at: Some(stamp(now)),
        started_at: started.then(|| stamp(now)),
        finished_at: None,
        elapsed_s: None,
    }
}

/// The job has been seen running.
pub fn running(prev: &TrialState, now: DateTime<Utc>) -> TrialState {
    TrialState {
        status: TrialStatus::Running,
        started_at: prev.started_at.clone().or(Some(stamp(now))),
        ..prev.clone()
    }
}

/// PBS's names for its internal exit statuses (openpbs `src/include/job.h`).
fn pbs_exit_name(exit_status: i64) -> Option<&'static str> {
    const NAMES: [&str; 30] = [
        "JOB_EXEC_FAIL1",
        "JOB_EXEC_FAIL2",
        "JOB_EXEC_RETRY",
        "JOB_EXEC_INITABT",
        "JOB_EXEC_INITRST",
        "JOB_EXEC_INITRMG",
        "JOB_EXEC_BADRESRT",
        "",
        "",
        "JOB_EXEC_FAILUID",
        "JOB_EXEC_RERUN",
        "JOB_EXEC_CHKP",
        "JOB_EXEC_FAIL_PASSWORD",
        "JOB_EXEC_RERUN_ON_SIS_FAIL",
        "JOB_EXEC_QUERST",
        "JOB_EXEC_FAILHOOK_RERUN",
        "JOB_EXEC_FAILHOOK_DELETE",
        "JOB_EXEC_HOOK_RERUN",
        "JOB_EXEC_HOOK_DELETE",
        "JOB_EXEC_RERUN_MS_FAIL",
        "JOB_EXEC_FAIL_SECURITY",
        "JOB_EXEC_HOOKERROR",
        "JOB_EXEC_FAIL_KRB5",
        "JOB_EXEC_KILL_NCPUS_BURST",
        "JOB_EXEC_KILL_NCPUS_SUM",
        "JOB_EXEC_KILL_VMEM",
        "JOB_EXEC_KILL_MEM",
        "JOB_EXEC_KILL_CPUT",
        "JOB_EXEC_KILL_WALLTIME",
        "JOB_EXEC_JOINJOB",
    ];
    let index = usize::try_from(-exit_status).ok()?.checked_sub(1)?;
    NAMES.get(index).copied().filter(|n| !n.is_empty())
}

/// What a PBS exit status means for the trial: 0 success (if the trial also wrote its
/// summary, see [`without_summary`]); -29 (PBS's JOB_EXEC_KILL_WALLTIME) and 271 (the job
/// shell killed by SIGTERM, how walltime kills often show) a timeout to resume from the
/// checkpoint; other negatives a failure of PBS (rerunnable); 1-255 the job's own failure.
pub fn classify(exit_status: i64) -> (TrialStatus, Option<String>) {
    match exit_status {
        0 => (TrialStatus::Succeeded, None),
        -29 => (
            TrialStatus::TimedOut,
            Some("killed for exceeding its walltime (exit -29)".into()),
        ),
        271 => (
            TrialStatus::TimedOut,
            Some("job shell killed by SIGTERM (exit 271), as on a walltime kill".into()),
        ),
        s if s > 256 => (
            TrialStatus::Failed,
            Some(format!("job shell killed by signal {} (exit {s})", s - 256)),
        ),
        s if s < 0 => (
            TrialStatus::Failed,
            Some(format!(
                "PBS failure {}(exit {s}), not the job's; `xvr resubmit --failed` reruns it",
                pbs_exit_name(s)
                    .map(|n| format!("{n} "))
                    .unwrap_or_default()
            )),
        ),
        s => (
            TrialStatus::Failed,
            Some(format!(
                "job script exited with status {s} (the end of job.out is in `xvr status`)"
            )),
        ),
    }
}

/// The job is over. A trial cancelled meanwhile stays cancelled, with the exit recorded.
pub fn finished(prev: &TrialState, exit_status: i64, now: DateTime<Utc>) -> TrialState {
    let (status, reason) = if prev.status == TrialStatus::Cancelled {
        (TrialStatus::Cancelled, prev.reason.clone())
    } else {
        classify(exit_status)
    };
    TrialState {
        status,
        exit_status: Some(exit_status),
        reason,
        finished_at: Some(stamp(now)),
        elapsed_s: elapsed(prev, now),
        ..prev.clone()
    }
}

/// Exit status 0 without the trial's summary.json is not a success: PBS reports 0 for a
/// running job removed with qdel, and a worker may exit 0 before it finished.
pub fn without_summary(finished: TrialState) -> TrialState {
    TrialState {
        status: TrialStatus::Failed,
        reason: Some(format!(
            "the job exited 0 but the trial wrote no {}: the worker did not finish",
            crate::results::names::SUMMARY_JSON
        )),
        ..finished
    }
}

/// The job ended without running (deleted while queued, or a failed `afterok` parent).
/// A trial cancelled meanwhile stays cancelled.
pub fn ended_without_exit(prev: &TrialState, why: &str, now: DateTime<Utc>) -> TrialState {
    TrialState {
        status: if prev.status == TrialStatus::Cancelled {
            TrialStatus::Cancelled
        } else {
            TrialStatus::Failed
        },
        exit_status: None,
        reason: Some(format!("the job ended without running: {why}")),
        finished_at: Some(stamp(now)),
        ..prev.clone()
    }
}

/// The scheduler lost the job: failed, so `xvr resubmit --failed` runs it again.
pub fn lost(prev: &TrialState, why: &str, now: DateTime<Utc>) -> TrialState {
    TrialState {
        status: TrialStatus::Failed,
        exit_status: None,
        reason: Some(format!("lost: {why}")),
        finished_at: Some(stamp(now)),
        ..prev.clone()
    }
}

/// qsub refused the job: the trial stays planned (a later submit tries again) with PBS's
/// message as the reason.
pub fn submission_failed(prev: &TrialState, message: &str) -> TrialState {
    TrialState {
        status: TrialStatus::Planned,
        reason: Some(format!("submission failed: {message}")),
        ..prev.clone()
    }
}

/// `xvr cancel` asked for the job to stop.
pub fn cancelled(prev: &TrialState, who: &str) -> TrialState {
    TrialState {
        status: TrialStatus::Cancelled,
        reason: Some(format!("cancelled by {who}")),
        ..prev.clone()
    }
}

/// The submitter stopped (Ctrl-C) and killed the job: back to planned so the next
/// `xvr submit` runs it again (resuming from its checkpoint); the attempt is kept.
pub fn interrupted(
    prev: &TrialState,
    exit_status: Option<i64>,
    why: &str,
    now: DateTime<Utc>,
) -> TrialState {
    TrialState {
        status: TrialStatus::Planned,
        exit_status,
        reason: Some(format!("interrupted: {why}; `xvr submit` again to resume")),
        finished_at: Some(stamp(now)),
        elapsed_s: elapsed(prev, now),
        ..prev.clone()
    }
}

fn elapsed(prev: &TrialState, now: DateTime<Utc>) -> Option<f64> {
    let started = DateTime::parse_from_rfc3339(prev.started_at.as_deref()?).ok()?;
    Some((now - started.with_timezone(&Utc)).num_milliseconds() as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_map_like_pbs() {
        assert_eq!(classify(0).0, TrialStatus::Succeeded);
        assert_eq!(classify(3).0, TrialStatus::Failed);
        assert_eq!(classify(-29).0, TrialStatus::TimedOut);
        assert_eq!(classify(271).0, TrialStatus::TimedOut);
        assert_eq!(
            classify(265).1.unwrap(),
            "job shell killed by signal 9 (exit 265)"
        );
        let pbs = classify(-11).1.unwrap();
        assert!(
            pbs.starts_with("PBS failure JOB_EXEC_RERUN (exit -11)"),
            "{pbs}"
        );
        assert!(classify(-8).1.unwrap().starts_with("PBS failure (exit -8)"));
        assert!(classify(-1).1.unwrap().contains("JOB_EXEC_FAIL1"));
        assert!(classify(-30).1.unwrap().contains("JOB_EXEC_JOINJOB"));
    }

    #[test]
    fn a_cancelled_trial_stays_cancelled_when_its_job_ends() {
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let s = submitted(&TrialState::planned(), "local", "1.host", "debug", true, t0);
        assert_eq!((s.status, s.attempts), (TrialStatus::Running, 1));
        let c = cancelled(&s, "xvr cancel");
        let f = finished(&c, 271, t0 + chrono::Duration::milliseconds(2500));
        assert_eq!(
            (f.status, f.exit_status, f.elapsed_s),
            (TrialStatus::Cancelled, Some(271), Some(2.5))
        );
    }

    #[test]
    fn state_round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap().status, TrialStatus::Planned);
        let s = submitted(
            &TrialState::planned(),
            "local",
            "7.h",
            "debug",
            false,
            Utc::now(),
        );
        write(dir.path(), &s).unwrap();
        assert_eq!(read(dir.path()).unwrap(), s);
    }
}
