//! The submit loop: hands trials to a scheduler, polls every job in flight with one call,
//! records every transition in state.json and prints progress. `xvr submit`, `xvr
//! resubmit` and `xvr run` all go through [`submit`].
//!
//! - Never twice: each trial is claimed under its lock and its state re-read first, so a
//!   second `xvr submit` (another login shell) skips what the first one holds; finished
//!   trials are skipped; a trial whose recorded job died with its submitter is run again
//!   (local), or its job is adopted and tracked to its end (PBS jobs outlive submitters).
//! - Limits: at most `max_parallel` jobs in flight, and at most the site's `max_jobs` per
//!   queue; trials over a limit are held back until a job of theirs ends, never flooded
//!   into qsub. `budget_node_hours` stops submissions that would exceed it.
//! - Ends: as the adapter classifies them ([`super::Outcome`]): exit 0 counts only with the
//!   trial's summary.json (which, once written, is never failed); a walltime kill or preemption is
//!   resubmitted at once to resume from the checkpoint, up to `max_attempts` submissions
//!   per trial in one run; a user's qdel is cancelled and never resubmitted; a refused qsub
//!   leaves the trial planned with PBS's message.
//! - Packing (`pack` > 1): one-node trials of one queue are submitted together, up to
//!   `pack` per job ([`crate::plan::pack`]); each member is still its own trial, judged
//!   by its own exit status (`.pack.exit`) and summary.json.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::lock::TrialLock;
use super::{signals, state, EndKind, JobRequest, JobState, Outcome, Scheduler};
use crate::plan::pack;
use crate::results::{names, write_atomic, TrialState, TrialStatus};

/// Options of `xvr submit`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOptions {
    /// Jobs in flight at once.
    pub max_parallel: usize,
    /// Finished states to run again (resuming from checkpoints): `--retry` gives failed,
    /// timed_out and cancelled; `xvr resubmit --failed` failed and timed_out.
    pub rerun: Vec<TrialStatus>,
    /// Submissions of one trial in one run, automatic resubmissions after walltime
    /// kills included; 1 turns automatic resubmission off.
    pub max_attempts: u32,
    /// Jobs in flight per queue (the site profile's `max_jobs`); unlisted queues: no limit.
    pub queue_limits: HashMap<String, usize>,
    /// Node-hours (nodes × walltime) this run may request in all, resubmissions included.
    pub budget_node_hours: Option<f64>,
    /// One-node trials per allocation (packing); 0 or 1: one job per trial.
    pub pack: usize,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            max_parallel: 1,
            rerun: Vec::new(),
            max_attempts: 3,
            queue_limits: HashMap::new(),
            budget_node_hours: None,
            pack: 1,
        }
    }
}

/// `--retry`: every unsuccessful end.
pub const RETRY_ALL: [TrialStatus; 3] = [
    TrialStatus::Failed,
    TrialStatus::TimedOut,
    TrialStatus::Cancelled,
];

/// How a submit run ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubmitReport {
    pub started: usize,
    pub skipped: usize,
    pub succeeded: usize,
    pub unsuccessful: usize,
    /// Submissions that continue from a checkpoint (after a walltime kill, Ctrl-C, a
    /// cancel or a failure), automatic resubmissions included; counted in `started` too.
    pub resumed: usize,
    /// Jobs of earlier submitters tracked by this one.
    pub adopted: usize,
    /// Node-hours requested by this run's submissions.
    pub node_hours: f64,
    /// Stopped by SIGINT/SIGTERM: local jobs were killed and put back to planned; PBS
    /// jobs were left in the queue for the next `xvr submit` to track.
    pub interrupted: bool,
}

/// Whether a trial's job will continue from a checkpoint (the worker's `checkpoint/`, or
/// `checkpoint.prev/` while one is being replaced) rather than start over.
fn resumes(trial_dir: &std::path::Path) -> bool {
    let dir = crate::results::names::CHECKPOINT_DIR;
    trial_dir.join(dir).is_dir() || trial_dir.join(format!("{dir}.prev")).is_dir()
}

/// How often the loop reports the jobs in flight when nothing else happens.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// "it 120/300 loss 0.0213 ETA 3m05s" for a trial that has written training rows.
fn training_progress(trial_dir: &std::path::Path) -> Option<String> {
    let row = crate::results::last_train_row(trial_dir)?;
    let trial = crate::spec::TrialConfig::from_yaml_file(&trial_dir.join(crate::results::names::TRIAL_YAML)).ok()?;
    let total = trial.train.effective_iterations(trial.resources.gpus);
    Some(crate::results::describe_progress(&row, total))
}

/// A trial waiting to be submitted; `claimed` once this submitter holds its lock.
struct Pending {
    job: JobRequest,
    claimed: Option<(TrialLock, TrialState)>,
}

struct Active {
    job: JobRequest,
    id: String,
    since: Instant,
    lock: TrialLock,
    /// Run inside a pack job: its own exit status is in `.pack.exit`.
    packed: bool,
}

/// How a job ended, as the loop records it.
enum End {
    Ended(Outcome),
    Lost(String),
}

struct Run<'a> {
    sched: &'a mut dyn Scheduler,
    opts: &'a SubmitOptions,
    out: &'a mut dyn Write,
    total: usize,
    done: usize,
    pending: VecDeque<Pending>,
    active: Vec<Active>,
    report: SubmitReport,
    /// Submissions per trial in this run.
    submissions: HashMap<String, u32>,
    /// Trials whose hold-back was already announced.
    held: HashSet<String>,
    /// Jobs whose "Can Never Run" comment was already announced.
    warned: HashSet<String>,
    stopping: bool,
}

/// Runs `jobs` to completion (or until a stop is requested).
pub fn submit(
    jobs: Vec<JobRequest>,
    sched: &mut dyn Scheduler,
    opts: &SubmitOptions,
    out: &mut dyn Write,
) -> Result<SubmitReport, String> {
    let mut run = Run {
        total: jobs.len(),
        pending: jobs
            .into_iter()
            .map(|job| Pending { job, claimed: None })
            .collect(),
        sched,
        opts,
        out,
        done: 0,
        active: Vec::new(),
        report: SubmitReport::default(),
        submissions: HashMap::new(),
        held: HashSet::new(),
        warned: HashSet::new(),
        stopping: false,
    };
    run.run()?;
    Ok(run.report)
}

impl Run<'_> {
    fn run(&mut self) -> Result<(), String> {
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
    fn start_ready(&mut self) -> Result<(), String> {
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
                    Claim::Run(lock, prev) if self.wanted(&prev) => {
                        self.pending[i].claimed = Some((lock, prev));
                    }
                    Claim::Run(_, prev) => {
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

    /// Moves claimed one-node trials of the first member's queue from `pending[from..]`
    /// into `members`, up to the pack size.
    fn gather_pack(&mut self, from: usize, members: &mut Vec<Pending>) -> Result<(), String> {
        let queue = members[0].job.queue.clone();
        let mut j = from;
        while members.len() < self.opts.pack && j < self.pending.len() {
            let fits = self.pending[j].job.nodes == 1 && self.pending[j].job.queue == queue;
            if !fits {
                j += 1;
                continue;
            }
            if self.pending[j].claimed.is_none() {
                match claim(&self.pending[j].job, self.sched)? {
                    Claim::Run(lock, prev) if self.wanted(&prev) => {
                        self.pending[j].claimed = Some((lock, prev));
                    }
                    // Anything else is settled by start_ready's own pass.
                    _ => {
                        j += 1;
                        continue;
                    }
                }
            }
            members.push(self.pending.remove(j).expect("index in range"));
        }
        Ok(())
    }

    /// Submits several one-node trials as one pack job.
    fn submit_pack(&mut self, members: Vec<Pending>) -> Result<(), String> {
        let first = &members[0].job;
        let name = format!("pk-{}", first.trial_id);
        let sweep_dir = first
            .trial_dir
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| format!("{}: not inside a sweep", first.trial_dir.display()))?;
        let dir = pack::pack_dir(sweep_dir, &name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let header = std::fs::read_to_string(&first.script)
            .map_err(|e| format!("{}: {e}", first.script.display()))?;
        let walltime_s = members.iter().map(|m| m.job.walltime_s).max().unwrap_or(0);
        let list: Vec<pack::PackMember> = members
            .iter()
            .map(|m| pack::PackMember {
                trial_id: &m.job.trial_id,
                trial_dir: &m.job.trial_dir,
            })
            .collect();
        let script = pack::render(&name, &dir, &list, walltime_s, &header)?;
        let script_path = dir.join(pack::PACK_SCRIPT);
        write_atomic(&script_path, script.as_bytes())
            .map_err(|e| format!("{}: {e}", script_path.display()))?;
        let request = JobRequest {
            trial_id: name.clone(),
            trial_dir: dir,
            script: script_path,
            job_name: name.clone(),
            queue: first.queue.clone(),
            nodes: members.len() as u32,
            walltime_s,
            after: first.after.clone(),
            account: first.account.clone(),
        };
        let ids: Vec<String> = members.iter().map(|m| m.job.trial_id.clone()).collect();
        let cost = request.node_hours();
        if let Some(budget) = self.opts.budget_node_hours {
            if self.report.node_hours + cost > budget + 1e-9 {
                // Too big together: submit them one by one (each checked on its own).
                for m in members {
                    self.submit_one(m)?;
                }
                return Ok(());
            }
        }
        let result = self.sched.submit(&request);
        for m in members {
            let Pending { job, claimed } = m;
            let (lock, prev) = claimed.expect("claimed before submission");
            match &result {
                Ok(id) => {
                    let _ = std::fs::remove_file(job.trial_dir.join(pack::PACK_EXIT));
                    let started = self.sched.starts_at_once();
                    let mut next = state::submitted(
                        &prev,
                        self.sched.name(),
                        id,
                        &job.queue,
                        started,
                        Utc::now(),
                    );
                    next.reason = Some(format!("{PACKED} {name} with {}", ids.join(", ")));
                    state::write(&job.trial_dir, &next)?;
                    *self.submissions.entry(job.trial_id.clone()).or_default() += 1;
                    self.report.started += 1;
                    if resumes(&job.trial_dir) {
                        self.report.resumed += 1;
                    }
                    self.active.push(Active {
                        job,
                        id: id.clone(),
                        since: Instant::now(),
                        lock,
                        packed: true,
                    });
                }
                Err(e) => {
                    state::write(&job.trial_dir, &state::submission_failed(&prev, e))?;
                    self.report.unsuccessful += 1;
                    self.done += 1;
                }
            }
        }
        match result {
            Ok(id) => {
                self.report.node_hours += cost;
                self.say(&format!(
                    "trials {}: started together as job {id} (pack {name}, {} nodes, queue {}, walltime {walltime_s} s, {cost:.2} node-h)",
                    ids.join(", "),
                    ids.len(),
                    request.queue
                ));
            }
            Err(e) => self.say(&format!(
                "trials {}: submission of pack {name} failed: {e}; they stay planned",
                ids.join(", ")
            )),
        }
        Ok(())
    }

    /// Whether a claimed trial in state `prev` should run: planned ones always, finished
    /// ones only when asked for (or when this run resubmits them itself).
    fn wanted(&self, prev: &TrialState) -> bool {
        prev.status == TrialStatus::Planned
            || self.opts.rerun.contains(&prev.status)
            || matches!(prev.status, TrialStatus::Submitted | TrialStatus::Running)
    }

    fn submit_one(&mut self, p: Pending) -> Result<(), String> {
        let Pending { job, claimed } = p;
        let (lock, prev) = claimed.expect("claimed before submission");
        let cost = job.node_hours();
        if let Some(budget) = self.opts.budget_node_hours {
            if self.report.node_hours + cost > budget + 1e-9 {
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
        }
        match self.sched.submit(&job) {
            Ok(id) => {
                // Recorded first: a submitter killed from here on leaves a trial whose
                // job the next submit finds and tracks.
                let started = self.sched.starts_at_once();
                let next = state::submitted(
                    &prev,
                    self.sched.name(),
                    &id,
                    &job.queue,
                    started,
                    Utc::now(),
                );
                state::write(&job.trial_dir, &next)?;
                *self.submissions.entry(job.trial_id.clone()).or_default() += 1;
                self.report.started += 1;
                self.report.node_hours += cost;
                let resuming = resumes(&job.trial_dir);
                if resuming {
                    self.report.resumed += 1;
                }
                self.say(&format!(
                    "trial {}: started as job {id} (queue {}, walltime {} s, {cost:.2} node-h, attempt {}){}",
                    job.trial_id,
                    job.queue,
                    job.walltime_s,
                    next.attempts,
                    if resuming { ", resuming from its checkpoint" } else { "" }
                ));
                self.active.push(Active {
                    job,
                    id,
                    since: Instant::now(),
                    lock,
                    packed: false,
                });
            }
            Err(e) => {
                state::write(&job.trial_dir, &state::submission_failed(&prev, &e))?;
                self.report.unsuccessful += 1;
                self.finish_one(&format!(
                    "trial {}: submission failed: {e}; it stays planned, submit again once fixed",
                    job.trial_id
                ));
            }
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<(), String> {
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
    fn apply(&mut self, i: usize, id: &str, job_state: &JobState) -> Result<(), String> {
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
    fn end(&mut self, i: usize, how: End) -> Result<(), String> {
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
    fn finish_one(&mut self, message: &str) {
        self.done += 1;
        self.say(message);
    }

    fn say(&mut self, message: &str) {
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

/// Start of the reason recorded for a trial submitted in a pack.
const PACKED: &str = "packed in";

/// The exit status the pack script wrote for a trial.
fn pack_exit(trial_dir: &Path) -> Option<i64> {
    std::fs::read_to_string(trial_dir.join(pack::PACK_EXIT))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn has_summary(trial_dir: &Path) -> bool {
    trial_dir.join(names::SUMMARY_JSON).is_file()
}

enum Claim {
    Run(TrialLock, TrialState),
    Adopt(TrialLock, TrialState),
    Skip(String),
}

/// Decides under the trial's lock whether this submitter runs it, tracks its job, or
/// leaves it.
fn claim(job: &JobRequest, sched: &mut dyn Scheduler) -> Result<Claim, String> {
    let Some(lock) = TrialLock::try_acquire(&job.trial_dir).map_err(|e| e.to_string())? else {
        return Ok(Claim::Skip("another xvr submit is running it".into()));
    };
    let prev = state::read(&job.trial_dir)?;
    if prev.status != TrialStatus::Succeeded && has_summary(&job.trial_dir) {
        return Ok(Claim::Skip(format!(
            "{} is written, so the trial finished its work ({} in state.json); move it away to run the trial again",
            names::SUMMARY_JSON,
            status_name(prev.status)
        )));
    }
    match prev.status {
        TrialStatus::Succeeded => Ok(Claim::Skip("succeeded already".into())),
        TrialStatus::Planned
        | TrialStatus::Failed
        | TrialStatus::TimedOut
        | TrialStatus::Cancelled => Ok(Claim::Run(lock, prev)),
        TrialStatus::Submitted | TrialStatus::Running => {
            let job_id = prev.job_id.clone().unwrap_or_default();
            let ours = prev.scheduler.as_deref() == Some(sched.name());
            if ours && sched.adopts_jobs() && !job_id.is_empty() {
                Ok(Claim::Adopt(lock, prev))
            } else if !ours || sched.is_alive(&job_id) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A scheduler whose polls answer from a script, one answer per call, the same
    /// answer for every job in flight; it records submissions and polls.
    struct Scripted {
        answers: VecDeque<Result<JobState, String>>,
        submitted: Vec<String>,
        /// Jobs in flight when each submission happened.
        in_flight_at_submit: Vec<usize>,
        in_flight: HashSet<String>,
        polls: usize,
        /// Each submitted job writes its trial's summary.json (the worker finishing).
        writes_summary: bool,
        /// A directory the first poll creates (what the job wrote).
        on_first_poll: Option<std::path::PathBuf>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<JobState, String>>) -> Self {
            Scripted {
                answers: answers.into(),
                submitted: Vec::new(),
                in_flight_at_submit: Vec::new(),
                in_flight: HashSet::new(),
                polls: 0,
                writes_summary: false,
                on_first_poll: None,
            }
        }
    }

    impl Scheduler for Scripted {
        fn name(&self) -> &'static str {
            "pbs"
        }
        fn submit(&mut self, job: &JobRequest) -> Result<String, String> {
            if self.writes_summary {
                std::fs::write(job.trial_dir.join(names::SUMMARY_JSON), "{}").unwrap();
            }
            self.in_flight_at_submit.push(self.in_flight.len());
            let id = format!("{}.server", self.submitted.len() + 1);
            self.submitted.push(id.clone());
            self.in_flight.insert(id.clone());
            Ok(id)
        }
        fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, String> {
            self.polls += 1;
            if let Some(dir) = self.on_first_poll.take() {
                std::fs::create_dir_all(dir).unwrap();
            }
            let answer = self
                .answers
                .pop_front()
                .expect("polled after the script ended")?;
            if matches!(answer, JobState::Ended(_)) {
                for id in ids {
                    self.in_flight.remove(id);
                }
            }
            Ok(ids.iter().map(|id| (id.clone(), answer.clone())).collect())
        }
        fn cancel(&mut self, _id: &str) -> Result<(), String> {
            Ok(())
        }
        fn describe_submission(&self, job: &JobRequest) -> String {
            job.trial_id.clone()
        }
        fn poll_interval(&self) -> Duration {
            Duration::ZERO
        }
        fn is_alive(&mut self, _id: &str) -> bool {
            false
        }
        fn loop_defaults(&self) -> crate::sched::LoopDefaults {
            crate::sched::LoopDefaults {
                max_parallel: 1,
                max_attempts: 3,
            }
        }
    }

    fn trials(root: &Path, n: usize) -> Vec<JobRequest> {
        (0..n)
            .map(|k| {
                let dir = root.join(format!("t{k}"));
                std::fs::create_dir_all(&dir).unwrap();
                JobRequest {
                    trial_id: format!("t{k}"),
                    script: dir.join(names::JOB_SCRIPT),
                    trial_dir: dir,
                    job_name: format!("t{k}"),
                    queue: "debug".into(),
                    nodes: 1,
                    walltime_s: 60,
                    after: vec![],
                    account: None,
                }
            })
            .collect()
    }

    fn run(jobs: Vec<JobRequest>, sched: &mut Scripted, opts: &SubmitOptions) -> SubmitReport {
        submit(jobs, sched, opts, &mut Vec::new()).unwrap()
    }

    #[test]
    fn failed_and_empty_polls_never_end_a_trial_and_exit_0_needs_the_summary() {
        let root = tempfile::tempdir().unwrap();
        let script = || {
            vec![
                Err("qstat: cannot connect to server".to_string()),
                Ok(JobState::Unknown("missing from qstat -x".into())),
                Ok(JobState::Queued),
                Ok(JobState::Running),
                Ok(JobState::Ended(Outcome::exited(0))),
            ]
        };
        let jobs = trials(root.path(), 1);
        let mut sched = Scripted::new(script());
        run(jobs.clone(), &mut sched, &SubmitOptions::default());
        assert_eq!(sched.polls, 5, "the loop waited through every non-answer");
        let s = state::read(&jobs[0].trial_dir).unwrap();
        assert_eq!((s.status, s.exit_status), (TrialStatus::Failed, Some(0)));
        assert!(s.reason.unwrap().contains("no summary.json"));

        // The same with the trial's summary written by the job: a success.
        let mut sched = Scripted::new(script());
        sched.writes_summary = true;
        let opts = SubmitOptions {
            rerun: vec![TrialStatus::Failed],
            ..SubmitOptions::default()
        };
        let report = run(jobs.clone(), &mut sched, &opts);
        assert_eq!((report.started, report.succeeded), (1, 1));
        let s = state::read(&jobs[0].trial_dir).unwrap();
        assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 2));
    }

    #[test]
    fn walltime_kills_are_resubmitted_up_to_max_attempts() {
        let root = tempfile::tempdir().unwrap();
        let jobs = trials(root.path(), 1);
        let checkpoint = jobs[0].trial_dir.join(names::CHECKPOINT_DIR);
        let walltime = |exit| Ok(JobState::Ended(Outcome::new(EndKind::Walltime, Some(exit), "walltime")));
        let mut sched = Scripted::new(vec![walltime(-29), walltime(-29)]);
        // The first job leaves a checkpoint (as the worker does when SIGTERM arrives); the
        // resubmission resumes from it.
        sched.on_first_poll = Some(checkpoint);
        let opts = SubmitOptions {
            max_attempts: 2,
            ..SubmitOptions::default()
        };
        let report = run(jobs.clone(), &mut sched, &opts);
        assert_eq!(
            (report.started, report.resumed, report.unsuccessful),
            (2, 1, 1)
        );
        let s = state::read(&jobs[0].trial_dir).unwrap();
        assert_eq!(
            (s.status, s.attempts, s.exit_status),
            (TrialStatus::TimedOut, 2, Some(-29))
        );
        assert_eq!(s.job_id.as_deref(), Some("2.server"));
    }

    #[test]
    fn a_cancelled_job_is_never_resubmitted_and_a_trial_with_its_summary_never_fails() {
        let root = tempfile::tempdir().unwrap();
        let jobs = trials(root.path(), 1);
        let qdel = Outcome::new(EndKind::CancelledByUser, Some(271), "PBS: terminated by u@h");
        let mut sched = Scripted::new(vec![Ok(JobState::Ended(qdel))]);
        let report = run(jobs.clone(), &mut sched, &SubmitOptions::default());
        assert_eq!((sched.submitted.len(), report.resumed), (1, 0));
        let s = state::read(&jobs[0].trial_dir).unwrap();
        assert_eq!(s.status, TrialStatus::Cancelled);
        assert!(s.reason.unwrap().contains("terminated by u@h"));

        // Lost, but its summary.json is there: it finished, and `--retry` leaves it.
        let jobs = trials(&root.path().join("b"), 1);
        let mut sched = Scripted::new(vec![Ok(JobState::Lost("gone".into()))]);
        sched.writes_summary = true;
        let report = run(jobs.clone(), &mut sched, &SubmitOptions::default());
        assert_eq!(report.succeeded, 1);
        assert_eq!(state::read(&jobs[0].trial_dir).unwrap().status, TrialStatus::Succeeded);
        let mut failed = state::read(&jobs[0].trial_dir).unwrap();
        failed.status = TrialStatus::Failed;
        state::write(&jobs[0].trial_dir, &failed).unwrap();
        let opts = SubmitOptions {
            rerun: RETRY_ALL.to_vec(),
            ..SubmitOptions::default()
        };
        let mut sched = Scripted::new(vec![]);
        let report = run(jobs, &mut sched, &opts);
        assert_eq!((sched.submitted.len(), report.skipped), (0, 1));
    }

    #[test]
    fn a_queue_limit_holds_trials_back_instead_of_submitting_them() {
        let root = tempfile::tempdir().unwrap();
        let jobs = trials(root.path(), 3);
        let mut sched = Scripted::new(vec![Ok(JobState::Ended(Outcome::exited(0))); 3]);
        sched.writes_summary = true;
        let opts = SubmitOptions {
            max_parallel: usize::MAX,
            queue_limits: HashMap::from([("debug".to_string(), 1)]),
            ..SubmitOptions::default()
        };
        let report = run(jobs, &mut sched, &opts);
        assert_eq!(report.succeeded, 3);
        assert_eq!(sched.in_flight_at_submit, [0, 0, 0]);
    }

    #[test]
    fn the_budget_stops_submissions_that_would_exceed_it() {
        let root = tempfile::tempdir().unwrap();
        let jobs = trials(root.path(), 3);
        // Each trial: 1 node x 60 s = 1/60 node-hour; two fit in 0.04.
        let mut sched = Scripted::new(vec![Ok(JobState::Ended(Outcome::exited(3)))]);
        let opts = SubmitOptions {
            max_parallel: usize::MAX,
            budget_node_hours: Some(0.04),
            ..SubmitOptions::default()
        };
        let report = run(jobs.clone(), &mut sched, &opts);
        assert_eq!((sched.submitted.len(), report.unsuccessful), (2, 3));
        let held = state::read(&jobs[2].trial_dir).unwrap();
        assert_eq!(held.status, TrialStatus::Planned);
        assert!(held.reason.unwrap().contains("exceed the budget"));
    }
}
