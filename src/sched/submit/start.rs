//! Handing claimed trials to the scheduler: one job per trial, or a pack of one-node
//! trials, within the limits (jobs in flight, each queue's `max_jobs`, the budget).

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use chrono::Utc;

use super::claim::{claim, Claim};
use super::pack::PACKED;
use super::{status_name, Active, Pending, Submitter};
use crate::results::TrialState;
use crate::sched::lock::TrialLock;
use crate::sched::{budget, state, JobRequest, SchedError};

/// Whether a trial's job will continue from a checkpoint (the worker's `checkpoint/`, or
/// `checkpoint.prev/` while one is being replaced) rather than start over.
fn resumes(trial_dir: &Path) -> bool {
    let dir = crate::results::names::CHECKPOINT_DIR;
    trial_dir.join(dir).is_dir() || trial_dir.join(format!("{dir}.prev")).is_dir()
}

impl Submitter<'_> {
    /// Jobs (not trials: a pack is one job) in flight in `queue`.
    fn in_flight(&self, queue: &str) -> usize {
        let ids: HashSet<&str> = self
            .active
            .iter()
            .filter(|a| a.job.queue == queue)
            .map(|a| a.id.as_str())
            .collect();
        ids.len()
    }

    fn jobs_in_flight(&self) -> usize {
        self.active
            .iter()
            .map(|a| a.id.as_str())
            .collect::<HashSet<_>>()
            .len()
    }

    /// Claims, adopts and submits pending trials while the limits allow.
    pub(super) fn start_ready(&mut self) -> Result<(), SchedError> {
        let mut i = 0;
        while i < self.pending.len() && self.jobs_in_flight() < self.opts.max_parallel.max(1) {
            if self.pending[i].claimed.is_none() {
                match claim(&self.pending[i].job, self.sched)? {
                    Claim::Skip(why) => {
                        let p = self.pending.remove(i).expect("index in range");
                        self.report.skipped += 1;
                        self.finish_one(&format!("trial {}: skipped: {why}", p.job.trial_id));
                        continue;
                    }
                    Claim::Adopt(lock, prev) => {
                        let p = self.pending.remove(i).expect("index in range");
                        let id = prev.job_id.clone().unwrap_or_default();
                        self.report.adopted += 1;
                        self.say(&format!(
                            "trial {}: tracking job {id} submitted earlier ({})",
                            p.job.trial_id,
                            status_name(prev.status)
                        ));
                        // A trial of a pack job has a pack exit file to read at its end.
                        let packed = prev
                            .reason
                            .as_deref()
                            .is_some_and(|r| r.starts_with(PACKED));
                        self.active.push(Active {
                            job: p.job,
                            id,
                            since: Instant::now(),
                            lock,
                            packed,
                        });
                        continue;
                    }
                    Claim::Start(lock, prev) if self.wanted(&prev) => {
                        self.pending[i].claimed = Some((lock, prev));
                    }
                    Claim::Start(_, prev) => {
                        let p = self.pending.remove(i).expect("index in range");
                        self.report.skipped += 1;
                        self.finish_one(&format!(
                            "trial {}: skipped: {} already ({}); --retry or `xvr resubmit` runs it again",
                            p.job.trial_id,
                            status_name(prev.status),
                            prev.reason.unwrap_or_default()
                        ));
                        continue;
                    }
                }
            }
            let queue = self.pending[i].job.queue.clone();
            let limit = self.opts.queue_limits.get(&queue).copied();
            if limit.is_some_and(|l| self.in_flight(&queue) >= l.max(1)) {
                let trial = self.pending[i].job.trial_id.clone();
                if self.held.insert(trial.clone()) {
                    self.say(&format!(
                        "trial {trial}: held back: queue {queue} has {} job(s) of this sweep in flight, its limit",
                        limit.unwrap_or(0)
                    ));
                }
                i += 1;
                continue;
            }
            let p = self.pending.remove(i).expect("index in range");
            if self.opts.pack > 1 && p.job.nodes == 1 {
                let mut members = vec![p];
                self.gather_pack(i, &mut members)?;
                if members.len() > 1 {
                    self.submit_pack(members)?;
                    continue;
                }
                self.submit_one(members.pop().expect("one member"))?;
            } else {
                self.submit_one(p)?;
            }
        }
        Ok(())
    }

    /// Submits one claimed trial as its own job, unless it would exceed the budget.
    pub(super) fn submit_one(&mut self, p: Pending) -> Result<(), SchedError> {
        let Pending { job, claimed } = p;
        let (lock, prev) = claimed.expect("claimed before submission");
        let cost = job.node_hours();
        if let Some(budget) = budget::exceeded(self.opts.budget_node_hours, self.report.node_hours + cost) {
            let mut kept = prev.clone();
            kept.reason = Some(format!(
                "not submitted: {cost:.2} more node-hours would exceed the budget of {budget:.2} (--budget)"
            ));
            state::write(&job.trial_dir, &kept)?;
            self.report.unsuccessful += 1;
            self.finish_one(&format!(
                "trial {}: {}",
                job.trial_id,
                kept.reason.unwrap_or_default()
            ));
            return Ok(());
        }
        match self.sched.submit(&job) {
            Ok(id) => {
                self.report.node_hours += cost;
                let started = format!(
                    "trial {}: started as job {id} (queue {}, walltime {} s, {cost:.2} node-h",
                    job.trial_id, job.queue, job.walltime_s,
                );
                let (next, resuming) = self.record_start(job, lock, &prev, &id, None)?;
                self.say(&format!(
                    "{started}, attempt {}){}",
                    next.attempts,
                    if resuming { ", resuming from its checkpoint" } else { "" }
                ));
            }
            Err(e) => {
                state::write(&job.trial_dir, &state::submission_failed(&prev, &e.to_string()))?;
                self.report.unsuccessful += 1;
                self.finish_one(&format!(
                    "trial {}: submission failed: {e}; it stays planned, submit again once fixed",
                    job.trial_id
                ));
            }
        }
        Ok(())
    }

    /// Records that `job` was submitted as scheduler job `id` (first thing: a submitter
    /// killed from here on leaves a trial whose job the next submit finds and tracks),
    /// counts it and follows it; `pack_reason` says which pack job it runs in. Returns its
    /// new state and whether it resumes from a checkpoint.
    pub(super) fn record_start(
        &mut self,
        job: JobRequest,
        lock: TrialLock,
        prev: &TrialState,
        id: &str,
        pack_reason: Option<String>,
    ) -> Result<(TrialState, bool), SchedError> {
        let started = self.sched.starts_at_once();
        let mut next = state::submitted(prev, self.sched.name(), id, &job.queue, started, Utc::now());
        let packed = pack_reason.is_some();
        if packed {
            next.reason = pack_reason;
        }
        state::write(&job.trial_dir, &next)?;
        *self.submissions.entry(job.trial_id.clone()).or_default() += 1;
        self.report.started += 1;
        let resuming = resumes(&job.trial_dir);
        if resuming {
            self.report.resumed += 1;
        }
        self.active.push(Active {
            job,
            id: id.to_string(),
            since: Instant::now(),
            lock,
            packed,
        });
        Ok((next, resuming))
    }
}
