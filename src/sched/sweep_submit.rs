//! Submitting a whole planned sweep and waiting for it: what `xvr submit`, `xvr resubmit`
//! and `xvr run` share. Reads the trials and the queue limits from the sweep directory,
//! resolves `--after` dependencies, prints and checks the node-hours against the budget,
//! then runs the submit loop ([`submit_sweep`]) or says what it would do ([`dry_run`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::adapter::{self, SchedulerKind, SchedulerSettings};
use super::submit::{status_name, submit, SubmitOptions, SubmitReport};
use super::{budget, depend, state, sweep_dir, JobRequest, SchedError, Scheduler};
use crate::plan::walltime;
use crate::results::TrialStatus;

/// What to submit and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRequest {
    pub scheduler: SchedulerKind,
    pub settings: SchedulerSettings,
    /// Jobs in flight at once; default: 1 locally, unlimited on PBS (where the queues'
    /// `max_jobs` apply).
    pub max_parallel: Option<usize>,
    /// Submissions per trial in this run, walltime resumes included; default: 3 on PBS,
    /// 1 locally (a local walltime is usually a test limit).
    pub max_attempts: Option<u32>,
    /// Finished states to run again.
    pub rerun: Vec<TrialStatus>,
    /// Only these trial ids (empty: all).
    pub only: Vec<String>,
    pub budget_node_hours: Option<f64>,
    /// Sweep directories whose jobs must succeed first (PBS `afterok`).
    pub after: Vec<PathBuf>,
    /// One-node trials per job (packing); 1: one job per trial.
    pub pack: usize,
    /// `--account`: project charged, over the job scripts' `#PBS -A`.
    pub account: Option<String>,
    /// `--queue`: queue for every job, over the job scripts' `#PBS -q`.
    pub queue: Option<String>,
}

impl SweepRequest {
    pub fn new(scheduler: SchedulerKind) -> Self {
        SweepRequest {
            scheduler,
            settings: SchedulerSettings::default(),
            max_parallel: None,
            max_attempts: None,
            rerun: Vec::new(),
            only: Vec::new(),
            budget_node_hours: None,
            after: Vec::new(),
            pack: 1,
            account: None,
            queue: None,
        }
    }
}

/// Submits the trials of the planned sweep in `sweep` and waits for them.
pub fn submit_sweep(
    sweep: &Path,
    request: &SweepRequest,
    out: &mut dyn Write,
) -> Result<SubmitReport, SchedError> {
    let mut sched = adapter::build(request.scheduler, &request.settings);
    let (jobs, opts) = prepare(sweep, request, sched.as_ref(), out)?;
    submit(jobs, sched.as_mut(), &opts, out)
}

/// Says what [`submit_sweep`] would submit — the same checks (trials, `--after`, budget),
/// then one line per trial: the qsub it would run, or why it is left — and submits nothing.
pub fn dry_run(sweep: &Path, request: &SweepRequest, out: &mut dyn Write) -> Result<(), SchedError> {
    let sched = adapter::build(request.scheduler, &request.settings);
    let (jobs, opts) = prepare(sweep, request, sched.as_ref(), out)?;
    for job in &jobs {
        let s = state::read(&job.trial_dir)?;
        let line = if budget::will_submit(s.status, &opts.rerun) {
            format!(
                "would run: {}  # queue {}, {} node(s), walltime {}, {:.2} node-h",
                sched.describe_submission(job),
                job.queue,
                job.nodes,
                walltime::format(job.walltime_s),
                job.node_hours()
            )
        } else {
            format!(
                "left: {} ({})",
                status_name(s.status),
                s.job_id.unwrap_or_default()
            )
        };
        let _ = writeln!(out, "trial {}: {line}", job.trial_id);
    }
    let mut limits: Vec<_> = opts.queue_limits.iter().collect();
    limits.sort();
    for (queue, max) in limits {
        let _ = writeln!(
            out,
            "queue {queue}: at most {max} job(s) of this sweep at once"
        );
    }
    if opts.pack > 1 {
        let _ = writeln!(
            out,
            "packing: up to {} one-node trials of a queue per job",
            opts.pack
        );
    }
    let _ = writeln!(out, "dry run: nothing submitted");
    Ok(())
}

/// A scheduler that charges a project gets one for every job that will be submitted,
/// or nothing is submitted.
fn check_accounts(jobs: &[JobRequest], sweep: &Path, request: &SweepRequest) -> Result<(), SchedError> {
    let mut missing = Vec::new();
    for job in jobs {
        let s = state::read(&job.trial_dir)?;
        if job.account.is_none() && budget::will_submit(s.status, &request.rerun) {
            missing.push(job.trial_id.clone());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(SchedError::NoProject {
        sweep: sweep.to_path_buf(),
        trials: missing,
    })
}

/// The trials to hand to the submit loop and its options, after the checks both the
/// real and the dry run make.
fn prepare(
    sweep: &Path,
    request: &SweepRequest,
    sched: &dyn Scheduler,
    out: &mut dyn Write,
) -> Result<(Vec<JobRequest>, SubmitOptions), SchedError> {
    let mut jobs = sweep_dir::load(sweep)?;
    if let Some(unknown) = request
        .only
        .iter()
        .find(|id| !jobs.iter().any(|j| &j.trial_id == *id))
    {
        return Err(SchedError::NoSuchTrial {
            trial: unknown.clone(),
            sweep: sweep.to_path_buf(),
        });
    }
    if !request.only.is_empty() {
        jobs.retain(|j| request.only.contains(&j.trial_id));
    }
    let after = depend::afterok_ids(&request.after, sched)?;
    for job in &mut jobs {
        job.after = after.clone();
        if let Some(account) = &request.account {
            job.account = Some(account.clone());
        }
        if let Some(queue) = &request.queue {
            job.queue = queue.clone();
        }
    }
    if sched.charges_an_account() {
        check_accounts(&jobs, sweep, request)?;
    }
    let estimate = budget::estimate(&jobs, &request.rerun)?;
    let _ = writeln!(
        out,
        "{} of {} trial(s) to submit: {:.2} node-hours requested (nodes x walltime){}",
        estimate.trials,
        jobs.len(),
        estimate.node_hours,
        request
            .budget_node_hours
            .map(|b| format!(", budget {b:.2}"))
            .unwrap_or_default()
    );
    budget::check(&estimate, request.budget_node_hours)?;
    if !after.is_empty() {
        let _ = writeln!(out, "every job waits for (afterok): {}", after.join(" "));
    }
    let defaults = sched.loop_defaults();
    let opts = SubmitOptions {
        max_parallel: request.max_parallel.unwrap_or(defaults.max_parallel),
        rerun: request.rerun.clone(),
        max_attempts: request.max_attempts.unwrap_or(defaults.max_attempts),
        queue_limits: sweep_dir::queue_limits(sweep)?,
        budget_node_hours: request.budget_node_hours,
        pack: request.pack,
    };
    Ok((jobs, opts))
}
