//! The trial state machine, above every scheduler adapter:
//!
//! ```text
//! planned ─submit─► submitted ─starts─► running ─► succeeded | failed | timed_out
//!    ▲                   └──────────── xvr cancel ──────────► cancelled
//!    └── interrupted (xvr submit stopped): back to planned, resumed by the next submit
//! ```
//!
//! State lives in `trials/<id>/state.json`, always written atomically.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{EndKind, Outcome};
use crate::results::{names, write_atomic, TrialState, TrialStatus};

/// Why a trial's `state.json` could not be read or written, naming it.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Reads a trial's state; a trial without `state.json` is planned.
pub fn read(trial_dir: &Path) -> Result<TrialState, StateError> {
    let path = trial_dir.join(names::STATE_JSON);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StateError::Parse { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TrialState::planned()),
        Err(source) => Err(StateError::Read { path, source }),
    }
}

/// Writes a trial's state atomically.
pub fn write(trial_dir: &Path, state: &TrialState) -> Result<(), StateError> {
    let path = trial_dir.join(names::STATE_JSON);
    serde_json::to_vec_pretty(state)
        .map_err(std::io::Error::from)
        .and_then(|json| write_atomic(&path, &json))
        .map_err(|source| StateError::Write { path, source })
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
        history: prev.history.clone(),
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

/// The job is over, as its adapter classified it. A trial that wrote its summary.json
/// finished its work, however the job then ended: it is never failed or resubmitted. A
/// trial cancelled meanwhile (`xvr cancel`) stays cancelled.
pub fn ended(
    prev: &TrialState,
    outcome: &Outcome,
    has_summary: bool,
    now: DateTime<Utc>,
) -> TrialState {
    let clean_exit = outcome.kind == EndKind::Exited && outcome.exit_status == Some(0);
    let (status, reason) = if has_summary {
        let reason = (!clean_exit).then(|| {
            format!(
                "{} was written; the job then ended: {}",
                names::SUMMARY_JSON,
                outcome.detail
            )
        });
        (TrialStatus::Succeeded, reason)
    } else if prev.status == TrialStatus::Cancelled {
        (TrialStatus::Cancelled, prev.reason.clone())
    } else {
        match outcome.kind {
            EndKind::Exited if clean_exit => (
                TrialStatus::Failed,
                Some(format!(
                    "the job exited 0 but the trial wrote no {}: the worker did not finish",
                    names::SUMMARY_JSON
                )),
            ),
            EndKind::Walltime | EndKind::Preempted => {
                (TrialStatus::TimedOut, Some(outcome.detail.clone()))
            }
            EndKind::CancelledByUser => (
                TrialStatus::Cancelled,
                Some(format!("cancelled: {}", outcome.detail)),
            ),
            EndKind::Exited
            | EndKind::Killed
            | EndKind::SchedulerFailure
            | EndKind::DependencyFailed
            | EndKind::NeverRan => (TrialStatus::Failed, Some(outcome.detail.clone())),
        }
    };
    let ran = outcome.exit_status.is_some();
    close_attempt(TrialState {
        status,
        exit_status: outcome.exit_status,
        reason,
        finished_at: Some(stamp(now)),
        elapsed_s: if ran { elapsed(prev, now) } else { prev.elapsed_s },
        ..prev.clone()
    })
}

/// The scheduler lost the job: failed, so `xvr resubmit --failed` runs it again —
/// unless the trial wrote its summary.json, which proves it finished.
pub fn lost(prev: &TrialState, why: &str, has_summary: bool, now: DateTime<Utc>) -> TrialState {
    let (status, reason) = if has_summary {
        (
            TrialStatus::Succeeded,
            format!("{} was written; then its job was lost: {why}", names::SUMMARY_JSON),
        )
    } else if prev.status == TrialStatus::Cancelled {
        (TrialStatus::Cancelled, format!("cancelled; then its job was lost: {why}"))
    } else {
        (TrialStatus::Failed, format!("lost: {why}"))
    };
    close_attempt(TrialState {
        status,
        exit_status: None,
        reason: Some(reason),
        finished_at: Some(stamp(now)),
        ..prev.clone()
    })
}

/// Appends the attempt that just ended to the history.
fn close_attempt(mut state: TrialState) -> TrialState {
    let ended = TrialState {
        history: Vec::new(),
        ..state.clone()
    };
    state.history.push(ended);
    state
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
    close_attempt(TrialState {
        status: TrialStatus::Planned,
        exit_status,
        reason: Some(format!("interrupted: {why}; `xvr submit` again to resume")),
        finished_at: Some(stamp(now)),
        elapsed_s: elapsed(prev, now),
        ..prev.clone()
    })
}

fn elapsed(prev: &TrialState, now: DateTime<Utc>) -> Option<f64> {
    let started = DateTime::parse_from_rfc3339(prev.started_at.as_deref()?).ok()?;
    Some((now - started.with_timezone(&Utc)).num_milliseconds() as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(kind: EndKind, exit: Option<i64>) -> Outcome {
        Outcome::new(kind, exit, "detail")
    }

    #[test]
    fn each_kind_of_end_gives_its_status() {
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let s = submitted(&TrialState::planned(), "pbs", "1.s", "debug", false, t0);
        let status = |kind, exit, summary| ended(&s, &outcome(kind, exit), summary, t0).status;
        assert_eq!(status(EndKind::Exited, Some(0), true), TrialStatus::Succeeded);
        assert_eq!(status(EndKind::Exited, Some(0), false), TrialStatus::Failed);
        assert_eq!(status(EndKind::Exited, Some(3), false), TrialStatus::Failed);
        assert_eq!(status(EndKind::Walltime, Some(-29), false), TrialStatus::TimedOut);
        assert_eq!(status(EndKind::Preempted, None, false), TrialStatus::TimedOut);
        assert_eq!(status(EndKind::CancelledByUser, Some(271), false), TrialStatus::Cancelled);
        assert_eq!(status(EndKind::SchedulerFailure, Some(-11), false), TrialStatus::Failed);
        assert_eq!(status(EndKind::DependencyFailed, None, false), TrialStatus::Failed);
        // A trial with its summary finished its work, however the job ended after.
        assert_eq!(status(EndKind::Walltime, Some(-29), true), TrialStatus::Succeeded);
        assert_eq!(lost(&s, "gone", true, t0).status, TrialStatus::Succeeded);
        assert_eq!(lost(&s, "gone", false, t0).status, TrialStatus::Failed);
    }

    #[test]
    fn every_ended_attempt_is_kept_in_the_history() {
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let s1 = submitted(&TrialState::planned(), "pbs", "1.s", "tiny", false, t0);
        let e1 = ended(&s1, &outcome(EndKind::Walltime, Some(-29)), false, t0);
        let s2 = submitted(&e1, "pbs", "2.s", "tiny", false, t0);
        let e2 = ended(&s2, &outcome(EndKind::Exited, Some(0)), true, t0);
        assert_eq!(e2.history.len(), 2);
        assert_eq!(
            (e2.history[0].job_id.as_deref(), e2.history[0].status, e2.history[0].exit_status),
            (Some("1.s"), TrialStatus::TimedOut, Some(-29))
        );
        assert_eq!(
            (e2.history[1].job_id.as_deref(), e2.history[1].attempts, e2.history[1].status),
            (Some("2.s"), 2, TrialStatus::Succeeded)
        );
    }

    #[test]
    fn a_cancelled_trial_stays_cancelled_when_its_job_ends() {
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let s = submitted(&TrialState::planned(), "local", "1.host", "debug", true, t0);
        assert_eq!((s.status, s.attempts), (TrialStatus::Running, 1));
        let c = cancelled(&s, "xvr cancel");
        let f = ended(
            &c,
            &outcome(EndKind::Killed, Some(271)),
            false,
            t0 + chrono::Duration::milliseconds(2500),
        );
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
