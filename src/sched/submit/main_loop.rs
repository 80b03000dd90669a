//! The loop of a submit run: start what the limits allow, wait a poll interval, poll every
//! job in flight with one call, record what the scheduler says, until every trial is
//! settled or a stop is requested.

use std::time::{Duration, Instant};

use chrono::Utc;

use super::claim::has_summary;
use super::pack::pack_exit;
use super::{describe, Pending, Submitter};
use crate::sched::{signals, state, EndKind, JobState, Outcome, SchedError};
use crate::results::TrialStatus;

/// How often the loop reports the jobs in flight when nothing else happens.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// "it 120/300 loss 0.0213 ETA 3m05s" for a trial that has written training rows.
fn training_progress(trial_dir: &std::path::Path) -> Option<String> {
    let row = crate::results::last_train_row(trial_dir)?;
    let trial = crate::spec::TrialConfig::from_yaml_file(&trial_dir.join(crate::results::names::TRIAL_YAML)).ok()?;
    let total = trial.train.effective_iterations(trial.resources.gpus);
    Some(crate::results::describe_progress(&row, total))
}

/// How a job ended, as the loop records it.
enum End {
    Ended(Outcome),
    Lost(String),
}

impl Submitter<'_> {
    /// Runs until every trial is settled, or a stop is requested.
    pub(super) fn drive(&mut self) -> Result<(), SchedError> {
        let mut last_heartbeat = Instant::now();
        loop {
            if signals::stop_requested() && !self.stopping {
                self.stop();
                if self.sched.adopts_jobs() {
                    return Ok(());
                }
            }
            if !self.stopping {
                self.start_ready()?;
            }
            if self.active.is_empty() && (self.pending.is_empty() || self.stopping) {
                return Ok(());
            }
            self.wait_for_next_poll();
            if signals::stop_requested() && !self.stopping {
                continue;
            }
            if last_heartbeat.elapsed() >= HEARTBEAT {
                last_heartbeat = Instant::now();
                self.heartbeat();
            }
            self.poll()?;
        }
    }

    /// Sleeps one poll interval, waking early for a stop request.
    fn wait_for_next_poll(&self) {
        let until = Instant::now() + self.sched.poll_interval();
        while Instant::now() < until && !signals::stop_requested() {
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(100)));
        }
    }

    fn stop(&mut self) {
        self.stopping = true;
        self.report.interrupted = true;
        if self.sched.adopts_jobs() {
            let n = self.active.len();
            self.say(&format!(
                "stop requested: leaving {n} job(s) to the scheduler; `xvr submit` again tracks them, `xvr cancel` stops them"
            ));
            return;
        }
        self.say("stop requested: cancelling running jobs");
        for i in 0..self.active.len() {
            if let Err(e) = self.sched.cancel(&self.active[i].id) {
                let trial = self.active[i].job.trial_id.clone();
                self.say(&format!("trial {trial}: cancel failed: {e}"));
            }
        }
    }

    fn poll(&mut self) -> Result<(), SchedError> {
        let mut ids: Vec<String> = Vec::new();
        for a in &self.active {
            if !ids.contains(&a.id) {
                ids.push(a.id.clone());
            }
        }
        let states = match self.sched.poll(&ids) {
            Ok(s) => s,
            Err(e) => {
                // A failed poll says nothing about the jobs; try again next round.
                self.say(&format!("poll failed (will retry): {e}"));
                return Ok(());
            }
        };
        for (id, job_state) in states {
            // Every trial of the job (several for a pack), from the last so that ending
            // one does not shift the others.
            let trials: Vec<usize> = (0..self.active.len())
                .rev()
                .filter(|&i| self.active[i].id == id)
                .collect();
            for i in trials {
                self.apply(i, &id, &job_state)?;
            }
        }
        Ok(())
    }

    /// Records what the scheduler says of active trial `i`'s job.
    fn apply(&mut self, i: usize, id: &str, job_state: &JobState) -> Result<(), SchedError> {
        let dir = self.active[i].job.trial_dir.clone();
        match job_state.clone() {
            JobState::Ended(outcome) => self.end(i, End::Ended(outcome))?,
            JobState::Lost(why) => self.end(i, End::Lost(why))?,
            JobState::Running | JobState::Queued => {
                let prev = state::read(&dir)?;
                let mut next = if matches!(job_state, JobState::Running)
                    && prev.status == TrialStatus::Submitted
                {
                    let trial = self.active[i].job.trial_id.clone();
                    self.say(&format!("trial {trial}: running"));
                    state::running(&prev, Utc::now())
                } else {
                    prev.clone()
                };
                let note = self.sched.note(id);
                if let Some(why) = self.sched.cannot_start(id) {
                    if self.warned.insert(id.to_string()) {
                        let trial = self.active[i].job.trial_id.clone();
                        self.say(&format!(
                            "trial {trial}: WARNING: job {id} is queued but the scheduler says it can never run as it stands ({why}); it waits (a filesystem marked down comes back), or `xvr cancel` it and fix the site profile"
                        ));
                    }
                }
                if next.status != TrialStatus::Cancelled && !self.active[i].packed {
                    if let Some(note) = note {
                        next.reason = Some(note);
                    }
                }
                if next != prev {
                    state::write(&dir, &next)?;
                }
            }
            JobState::Unknown(why) => {
                let trial = self.active[i].job.trial_id.clone();
                self.say(&format!("trial {trial}: no news of job {id}: {why}"));
            }
        }
        Ok(())
    }

    /// Records the end of active job `i`, resubmitting it after a walltime kill.
    fn end(&mut self, i: usize, how: End) -> Result<(), SchedError> {
        let dir = self.active[i].job.trial_dir.clone();
        let prev = state::read(&dir)?;
        let now = Utc::now();
        let has_summary = has_summary(&dir);
        let mut next = match how {
            End::Ended(outcome) if self.stopping && prev.status != TrialStatus::Cancelled && !has_summary => {
                state::interrupted(&prev, outcome.exit_status, "xvr submit was stopped", now)
            }
            End::Ended(mut outcome) => {
                // A packed trial's own exit status, when the pack script got to record it.
                if self.active[i].packed && outcome.kind == EndKind::Exited {
                    if let Some(own) = pack_exit(&dir) {
                        outcome = Outcome::exited(own);
                    }
                }
                state::ended(&prev, &outcome, has_summary, now)
            }
            End::Lost(why) => state::lost(&prev, &why, has_summary, now),
        };
        let a = self.active.remove(i);
        if let Some(used) = self.sched.used_walltime_s(&a.id) {
            next.elapsed_s = Some(used);
        }
        let trial = a.job.trial_id.clone();
        let runs = self.submissions.get(&trial).copied().unwrap_or(1);
        if next.status == TrialStatus::TimedOut && !self.stopping && runs < self.opts.max_attempts {
            next.reason = Some(format!(
                "{}; resubmitting to resume from its checkpoint ({} of {} submissions)",
                next.reason.unwrap_or_default(),
                runs + 1,
                self.opts.max_attempts
            ));
            state::write(&dir, &next)?;
            self.say(&format!("trial {trial}: {}", describe(&next)));
            self.pending.push_front(Pending {
                job: a.job,
                claimed: Some((a.lock, next)),
            });
            return Ok(());
        }
        state::write(&dir, &next)?;
        if next.status == TrialStatus::Succeeded {
            self.report.succeeded += 1;
        } else if next.status != TrialStatus::Planned {
            self.report.unsuccessful += 1;
        }
        self.finish_one(&format!("trial {trial}: {}", describe(&next)));
        Ok(())
    }

    fn heartbeat(&mut self) {
        let names: Vec<String> = self
            .active
            .iter()
            .map(|a| {
                let progress = training_progress(&a.job.trial_dir)
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default();
                format!("{} ({} s{progress})", a.job.trial_id, a.since.elapsed().as_secs())
            })
            .collect();
        let waiting = self.pending.len();
        self.say(&format!(
            "in flight: {}; {waiting} waiting",
            names.join(", ")
        ));
    }

    /// One more trial is settled for this run.
    pub(super) fn finish_one(&mut self, message: &str) {
        self.done += 1;
        self.say(message);
    }

    pub(super) fn say(&mut self, message: &str) {
        let _ = writeln!(
            self.out,
            "[{}] [{}/{}] {message}",
            Utc::now().format("%H:%M:%S"),
            self.done,
            self.total
        );
        let _ = self.out.flush();
    }
}
