//! The submit loop: hands trials to a scheduler, at most `max_parallel` at a time, polls
//! them, records every transition in state.json and prints progress. Finished or running
//! trials are never run twice: each trial is claimed under its lock and its state re-read
//! first; a trial whose recorded job died with its submitter is run again.

use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::lock::TrialLock;
use super::{signals, state, JobRequest, JobState, Scheduler};
use crate::results::{TrialState, TrialStatus};

/// Options of `xvr submit`.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// Jobs in flight at once (the local machine has few cores; Polaris prod allows 10).
    pub max_parallel: usize,
    /// Also rerun failed, timed-out and cancelled trials (resuming from their checkpoints).
    pub retry: bool,
}

/// How a submit run ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubmitReport {
    pub started: usize,
    pub skipped: usize,
    pub succeeded: usize,
    pub unsuccessful: usize,
    /// Stopped by SIGINT/SIGTERM: running jobs were killed and put back to planned.
    pub interrupted: bool,
}

/// How often the loop reports the jobs in flight when nothing else happens.
const HEARTBEAT: Duration = Duration::from_secs(60);

struct Active {
    job: JobRequest,
    id: String,
    since: Instant,
    _lock: TrialLock,
}

/// Runs `jobs` to completion (or until a stop is requested).
pub fn submit(
    jobs: Vec<JobRequest>,
    sched: &mut dyn Scheduler,
    opts: &SubmitOptions,
    out: &mut dyn Write,
) -> Result<SubmitReport, String> {
    let total = jobs.len();
    let mut report = SubmitReport::default();
    let mut pending: VecDeque<JobRequest> = jobs.into();
    let mut active: Vec<Active> = Vec::new();
    let mut done = 0usize;
    let mut stopping = false;
    let max_parallel = opts.max_parallel.max(1);
    let mut last_heartbeat = Instant::now();
    loop {
        if signals::stop_requested() && !stopping {
            stopping = true;
            report.interrupted = true;
            progress(out, done, total, "stop requested: cancelling running jobs");
            for a in &active {
                if let Err(e) = sched.cancel(&a.id) {
                    progress(
                        out,
                        done,
                        total,
                        &format!("trial {}: cancel failed: {e}", a.job.trial_id),
                    );
                }
            }
        }
        while !stopping && active.len() < max_parallel {
            let Some(job) = pending.pop_front() else {
                break;
            };
            match claim(&job, sched, opts.retry)? {
                Claim::Skip(why) => {
                    report.skipped += 1;
                    done += 1;
                    progress(
                        out,
                        done,
                        total,
                        &format!("trial {}: skipped: {why}", job.trial_id),
                    );
                }
                Claim::Run(lock, prev) => match sched.submit(&job) {
                    Ok(id) => {
                        let started = sched.name() == "local";
                        let now = Utc::now();
                        state::write(
                            &job.trial_dir,
                            &state::submitted(&prev, sched.name(), &id, &job.queue, started, now),
                        )?;
                        report.started += 1;
                        progress(
                            out,
                            done,
                            total,
                            &format!(
                                "trial {}: started as job {id} (queue {}, walltime {} s)",
                                job.trial_id, job.queue, job.walltime_s
                            ),
                        );
                        active.push(Active {
                            job,
                            id,
                            since: Instant::now(),
                            _lock: lock,
                        });
                    }
                    Err(e) => {
                        let mut failed = prev.clone();
                        failed.status = TrialStatus::Failed;
                        failed.reason = Some(format!("submission failed: {e}"));
                        state::write(&job.trial_dir, &failed)?;
                        report.unsuccessful += 1;
                        done += 1;
                        progress(
                            out,
                            done,
                            total,
                            &format!("trial {}: submission failed: {e}", job.trial_id),
                        );
                    }
                },
            }
        }
        if active.is_empty() && (pending.is_empty() || stopping) {
            break;
        }
        std::thread::sleep(sched.poll_interval().min(Duration::from_secs(60)));
        if last_heartbeat.elapsed() >= HEARTBEAT {
            last_heartbeat = Instant::now();
            let names: Vec<String> = active
                .iter()
                .map(|a| format!("{} ({} s)", a.job.trial_id, a.since.elapsed().as_secs()))
                .collect();
            progress(
                out,
                done,
                total,
                &format!("in flight: {}; {} waiting", names.join(", "), pending.len()),
            );
        }
        let ids: Vec<String> = active.iter().map(|a| a.id.clone()).collect();
        let states = match sched.poll(&ids) {
            Ok(s) => s,
            Err(e) => {
                // A failed poll says nothing about the jobs; try again next round.
                progress(out, done, total, &format!("poll failed (will retry): {e}"));
                continue;
            }
        };
        for (id, job_state) in states {
            let Some(i) = active.iter().position(|a| a.id == id) else {
                continue;
            };
            let dir = active[i].job.trial_dir.clone();
            let prev = state::read(&dir)?;
            match job_state {
                JobState::Finished { exit_status } => {
                    let now = Utc::now();
                    let next = if stopping && prev.status != TrialStatus::Cancelled {
                        state::interrupted(&prev, Some(exit_status), "xvr submit was stopped", now)
                    } else {
                        state::finished(&prev, exit_status, now)
                    };
                    state::write(&dir, &next)?;
                    if next.status == TrialStatus::Succeeded {
                        report.succeeded += 1;
                    } else if next.status != TrialStatus::Planned {
                        report.unsuccessful += 1;
                    }
                    done += 1;
                    progress(
                        out,
                        done,
                        total,
                        &format!("trial {}: {}", active[i].job.trial_id, describe(&next)),
                    );
                    active.remove(i);
                }
                JobState::Running if prev.status == TrialStatus::Submitted => {
                    state::write(&dir, &state::running(&prev, Utc::now()))?;
                    progress(
                        out,
                        done,
                        total,
                        &format!("trial {}: running", active[i].job.trial_id),
                    );
                }
                JobState::Running | JobState::Queued | JobState::Unknown(_) => {}
            }
        }
    }
    Ok(report)
}

enum Claim {
    Run(TrialLock, TrialState),
    Skip(String),
}

/// Decides under the trial's lock whether this submitter runs it.
fn claim(job: &JobRequest, sched: &mut dyn Scheduler, retry: bool) -> Result<Claim, String> {
    let Some(lock) = TrialLock::try_acquire(&job.trial_dir).map_err(|e| e.to_string())? else {
        return Ok(Claim::Skip("another xvr submit is running it".into()));
    };
    let prev = state::read(&job.trial_dir)?;
    match prev.status {
        TrialStatus::Planned => Ok(Claim::Run(lock, prev)),
        TrialStatus::Succeeded => Ok(Claim::Skip("succeeded already".into())),
        TrialStatus::Failed | TrialStatus::TimedOut | TrialStatus::Cancelled if !retry => {
            Ok(Claim::Skip(format!(
                "{} already ({}); --retry runs it again",
                status_name(prev.status),
                prev.reason.clone().unwrap_or_default()
            )))
        }
        TrialStatus::Failed | TrialStatus::TimedOut | TrialStatus::Cancelled => {
            Ok(Claim::Run(lock, prev))
        }
        TrialStatus::Submitted | TrialStatus::Running => {
            let job_id = prev.job_id.clone().unwrap_or_default();
            let ours = prev.scheduler.as_deref() == Some(sched.name());
            if !ours || sched.is_alive(&job_id) {
                Ok(Claim::Skip(format!(
                    "{} as job {job_id} ({})",
                    status_name(prev.status),
                    prev.scheduler.clone().unwrap_or_default()
                )))
            } else {
                // Its submitter died without recording an end: run it again.
                Ok(Claim::Run(lock, prev))
            }
        }
    }
}

/// The snake_case name used in state.json.
pub fn status_name(status: TrialStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn describe(s: &TrialState) -> String {
    let mut text = status_name(s.status);
    if let Some(e) = s.exit_status {
        text.push_str(&format!(" (exit {e}"));
        if let Some(t) = s.elapsed_s {
            text.push_str(&format!(", {t:.1} s"));
        }
        text.push(')');
    }
    if let Some(r) = &s.reason {
        text.push_str(&format!(": {r}"));
    }
    text
}

fn progress(out: &mut dyn Write, done: usize, total: usize, message: &str) {
    let _ = writeln!(
        out,
        "[{}] [{done}/{total}] {message}",
        Utc::now().format("%H:%M:%S")
    );
    let _ = out.flush();
}
