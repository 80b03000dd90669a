//! Submitting a whole planned sweep and waiting for it: what `xvr submit`, `xvr resubmit`
//! and `xvr run` share. Reads the trials and the queue limits from the sweep directory,
//! resolves `--after` dependencies, prints and checks the node-hours against the budget,
//! then runs the submit loop ([`run_sweep`]) or says what it would do ([`dry_run`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::adapter::{self, SchedulerKind, SchedulerSettings};
use super::submit::{status_name, submit, SubmitOptions, SubmitReport};
use super::{budget, depend, state, sweep_dir, JobRequest};
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
        }
    }
}

/// Submits the trials of the planned sweep in `sweep` and waits for them.
pub fn run_sweep(
    sweep: &Path,
    request: &SweepRequest,
    out: &mut dyn Write,
) -> Result<SubmitReport, String> {
    let (jobs, opts) = prepare(sweep, request, out)?;
    let mut sched = adapter::build(request.scheduler, &request.settings);
    submit(jobs, sched.as_mut(), &opts, out)
}

/// Says what [`run_sweep`] would submit — the same checks (trials, `--after`, budget),
/// then one line per trial: the qsub it would run, or why it is left — and submits nothing.
pub fn dry_run(sweep: &Path, request: &SweepRequest, out: &mut dyn Write) -> Result<(), String> {
    let (jobs, opts) = prepare(sweep, request, out)?;
    for job in &jobs {
        let s = state::read(&job.trial_dir)?;
        let line = if budget::will_submit(s.status, &opts.rerun) {
            let depend = if job.after.is_empty() {
                String::new()
            } else {
                format!("-W depend=afterok:{} ", job.after.join(":"))
            };
            format!(
                "would run: (cd {} && qsub {depend}{})  # queue {}, {} node(s), walltime {}, {:.2} node-h",
                job.trial_dir.display(),
                job.script.display(),
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

/// The trials to hand to the submit loop and its options, after the checks both the
/// real and the dry run make.
fn prepare(
    sweep: &Path,
    request: &SweepRequest,
    out: &mut dyn Write,
) -> Result<(Vec<JobRequest>, SubmitOptions), String> {
    let mut jobs = sweep_dir::load(sweep)?;
    if let Some(unknown) = request
        .only
        .iter()
        .find(|id| !jobs.iter().any(|j| &j.trial_id == *id))
    {
        return Err(format!(
            "--trial {unknown}: no such trial in {}",
            sweep.display()
        ));
    }
    if !request.only.is_empty() {
        jobs.retain(|j| request.only.contains(&j.trial_id));
    }
    let pbs = request.scheduler == SchedulerKind::Pbs;
    let name = if pbs { "pbs" } else { "local" };
    let after = depend::afterok_ids(&request.after, name)?;
    for job in &mut jobs {
        job.after = after.clone();
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
    let opts = SubmitOptions {
        max_parallel: request
            .max_parallel
            .unwrap_or(if pbs { usize::MAX } else { 1 }),
        rerun: request.rerun.clone(),
        max_attempts: request.max_attempts.unwrap_or(if pbs { 3 } else { 1 }),
        queue_limits: sweep_dir::queue_limits(sweep)?,
        budget_node_hours: request.budget_node_hours,
        pack: request.pack,
    };
    Ok((jobs, opts))
}
