//! The `xvr` command line: subcommands and their shared argument groups. `--help` is the
//! manual; `main.rs` carries the commands out.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use xvr::plan::Overrides;
use xvr::results::TrialStatus;
use xvr::sched::adapter::{SchedulerKind, SchedulerSettings};
use xvr::sched::submit::RETRY_ALL;
use xvr::sched::sweep_submit::SweepRequest;

/// Runs the SWIN-XVR hyperparameter and scaling study: a YAML sweep spec becomes trials,
/// each with a Polaris PBS job script, run on Polaris or on this machine.
///
/// Typical use: `xvr validate sweeps/window.yaml`, `xvr plan sweeps/window.yaml`,
/// `xvr submit sweeps/smoke.yaml`, `xvr status results/smoke`. The spec format is in
/// docs/spec-format.md; results go to `<results>/<sweep name>/`.
#[derive(Parser)]
#[command(name = "xvr", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Checks a spec; prints `file:line:column: message` for each problem and exits 1 if any.
    ///
    /// Everything `plan` would refuse is checked: YAML syntax, unknown keys, value types,
    /// model rules (channels divisible by heads, odd lr_frames, window >= 1), data.fraction
    /// in (0, 1], GPU counts (1, 2 or a multiple of 4 up to 256), and whether some queue of
    /// the site accepts each trial's nodes and walltime. A reconstruction spec's
    /// `reconstruct.trained` is resolved against `--results` (its trained sweep must exist).
    Validate {
        #[command(flatten)]
        sweep: SpecArgs,
    },
    /// Expands a spec into trials and writes `<results>/<sweep>/`: sweep.yaml, plan.csv,
    /// trials/<id>/{trial.yaml, job.pbs, state.json}; prints one row per trial and the total.
    ///
    /// Planning an unchanged spec again changes nothing; a changed spec under an existing
    /// sweep name is refused.
    Plan {
        #[command(flatten)]
        sweep: SpecArgs,
        #[command(flatten)]
        placement: PlacementArgs,
    },
    /// The whole chain in one command: validate → plan → submit and wait (with progress) →
    /// xvr-analysis → prints where the report is.
    ///
    /// `xvr run sweeps/smoke.yaml` trains the smoke sweep on this machine (local scheduler,
    /// mpiexec for multi-rank trials) and writes results/smoke/report/index.html. Running the
    /// same command again after Ctrl-C or a failure resumes: finished trials are kept,
    /// interrupted ones restart from their checkpoints. With `--scheduler pbs --dry-run` it
    /// prints the Polaris submission (qsub lines, node-hours, the first job script) and
    /// submits nothing. The analysis runs also when some trials failed: the report names them.
    Run {
        #[command(flatten)]
        sweep: SpecArgs,
        #[command(flatten)]
        submit: SubmitArgs,
        /// An argument passed on to xvr-analysis (repeatable), e.g.
        /// `--analysis-arg=--preset --analysis-arg=hta`.
        #[arg(long = "analysis-arg", value_name = "ARG", allow_hyphen_values = true)]
        analysis_args: Vec<String>,
    },
    /// Runs a sweep's trials through a scheduler (planning the spec first if needed) and
    /// waits for them, printing progress.
    ///
    /// The local scheduler runs each trial's job.pbs with bash on this machine, with
    /// PBS_JOBID, PBS_O_WORKDIR (the trial directory), PBS_NODEFILE, PBS_JOBNAME and
    /// PBS_QUEUE set, output appended to the trial's job.out, and the trial's walltime
    /// enforced (SIGTERM to the job's process group, SIGKILL after --kill-grace; recorded
    /// as exit -29, timed_out). The script runs the worker by the absolute path `xvr plan`
    /// resolved, as it must on PBS, where a job's PATH is the login PATH.
    /// A trial succeeds when its job exits 0 and it wrote summary.json (with either
    /// scheduler). Succeeded and running trials are never rerun, and two submits on one sweep share
    /// the work (per-trial locks). Ctrl-C kills the running jobs and puts them back to
    /// planned: submit again to resume.
    ///
    /// With `--scheduler pbs` (Polaris) each trial is `qsub`bed from its directory, its job
    /// id recorded in state.json at once; one `qstat -x -f -F json` for all jobs per poll
    /// (every --poll-interval seconds, default 60; jobs a batched answer leaves out are
    /// asked for one by one) follows them; a walltime kill (exit -29, "exceeded resource walltime") is
    /// resubmitted to resume from the checkpoint (--max-attempts); a job removed with
    /// qdel (exit 271, "terminated by") is recorded cancelled and never resubmitted; a
    /// submission without a project to charge (--account) is refused before qsub; a qsub
    /// refusal is shown with PBS's message and leaves the trial planned; each queue's
    /// `max_jobs` (site profile) holds further trials back. Ctrl-C stops watching and
    /// leaves the PBS jobs queued: `xvr submit` again picks them up. docs/pbs.md has
    /// the details.
    Submit {
        #[command(flatten)]
        sweep: TargetArgs,
        #[command(flatten)]
        submit: SubmitArgs,
    },
    /// Runs a sweep's failed (and timed-out) trials again, resuming from their checkpoints,
    /// and waits for them like `submit`.
    Resubmit {
        #[command(flatten)]
        sweep: TargetArgs,
        /// Rerun failed and timed-out trials (lost jobs, PBS failures, the job's own errors).
        #[arg(long)]
        failed: bool,
        /// Rerun cancelled trials.
        #[arg(long)]
        cancelled: bool,
        /// Only these trial ids (repeatable).
        #[arg(long = "trial")]
        trials: Vec<String>,
        #[command(flatten)]
        submission: SubmissionArgs,
    },
    /// Prints a table of the trials: axes, job id, queue, state (planned, submitted,
    /// running, succeeded, failed, timed_out, cancelled), attempts, elapsed/walltime,
    /// last training loss, validation PSNR once done, exit status and reason; then the
    /// count per state and the end of job.out for trials whose job failed (exit 1-255).
    Status {
        #[command(flatten)]
        sweep: TargetArgs,
        /// Print the table again every --interval seconds until no trial is in flight.
        #[arg(long)]
        watch: bool,
        /// Seconds between two tables with --watch.
        #[arg(long, default_value_t = 60.0)]
        interval: f64,
    },
    /// Stops running trials (local: SIGTERM to the job's process group, SIGKILL after
    /// --kill-grace) and marks them cancelled.
    Cancel {
        #[command(flatten)]
        sweep: TargetArgs,
        /// Only these trial ids (repeatable); default: every running trial.
        #[arg(long = "trial")]
        trials: Vec<String>,
        #[command(flatten)]
        scheduler: SchedulerArgs,
    },
    /// Predicts a sweep's training wall time, efficiency and node-hours per GPU count from
    /// a measured sweep, before node-hours are spent: plans SPEC into a scratch directory
    /// (removed afterwards; nothing under --results is written) and runs `xvr-analysis
    /// predict` on it (`xvr-analysis predict --help` states the model and its assumptions).
    Predict {
        /// Sweep spec (YAML) to predict, e.g. sweeps/scaling.yaml, or a sweep directory
        /// `xvr plan` wrote.
        spec: PathBuf,
        /// Results root, where a reconstruction's trained trial is looked up.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Results of a measured sweep with the same model, e.g. results/utilisation.
        #[arg(long)]
        from: PathBuf,
        /// Further options of `xvr-analysis predict` (--out DIR, --intra-node, --inter-node).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        options: Vec<String>,
    },
    /// Reconstructs an experiment's HR frames at the LR frame rate with a trained trial's
    /// model: `xvr-worker reconstruct` on this machine, under mpiexec with --ranks > 1
    /// (docs/reconstruction.md; the options are `xvr-worker reconstruct --help`'s).
    Reconstruct(xvr::chain::reconstruct::ReconstructCommand),
}

/// A sweep spec and where its results go.
#[derive(Args)]
pub struct SpecArgs {
    /// Sweep spec (YAML).
    pub spec: PathBuf,
    /// Results root.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
}

/// A sweep to act on: a planned sweep directory, or a spec planned into the results root.
#[derive(Args)]
pub struct TargetArgs {
    /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
    pub target: PathBuf,
    /// Results root (when TARGET is a spec).
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
}

/// Where trials go: overrides of the spec's and the site profile's account and queue.
/// They are not part of a trial's config (trial ids stay), and re-plan the job scripts of
/// trials without a job in flight.
#[derive(Args, Clone, Default)]
pub struct PlacementArgs {
    /// PBS project charged (`#PBS -A`), over the spec's `account:` and the site
    /// profile's. A PBS submission without one is refused before qsub.
    #[arg(long, value_name = "PROJECT")]
    pub account: Option<String>,
    /// Queue for every trial (`#PBS -q`), over `resources.queue` and the site's
    /// preference order; it must accept each trial's nodes and walltime.
    #[arg(long)]
    pub queue: Option<String>,
}

impl PlacementArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            account: self.account.clone(),
            queue: self.queue.clone(),
        }
    }
}

/// Which scheduler, and its settings.
#[derive(Args)]
pub struct SchedulerArgs {
    #[arg(long, value_enum, default_value_t = SchedulerKind::Local)]
    pub scheduler: SchedulerKind,
    /// Local: seconds between SIGTERM and SIGKILL when a job is stopped (the worker writes
    /// its checkpoint within them).
    #[arg(long, default_value_t = 10)]
    pub kill_grace: u64,
    /// PBS: seconds between two qstat polls (default 60; keep it >= 60 on a real server).
    #[arg(long)]
    pub poll_interval: Option<f64>,
    /// PBS: seconds a job may be missing from `qstat -x` before it is reported lost
    /// (default 600).
    #[arg(long)]
    pub lost_after: Option<f64>,
}

impl SchedulerArgs {
    pub fn settings(&self) -> Result<SchedulerSettings, UsageError> {
        let seconds = |flag: &'static str, v: Option<f64>| match v {
            Some(value) if !(value.is_finite() && value >= 0.0) => {
                Err(UsageError::Seconds { flag, value })
            }
            other => Ok(other.map(Duration::from_secs_f64)),
        };
        Ok(SchedulerSettings {
            kill_grace: Duration::from_secs(self.kill_grace),
            poll_interval: seconds("poll-interval", self.poll_interval)?,
            lost_after: seconds("lost-after", self.lost_after)?,
        })
    }
}

/// What `submit` and `run` share: where trials go, how they are submitted, `--retry`.
#[derive(Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub placement: PlacementArgs,
    #[command(flatten)]
    pub submission: SubmissionArgs,
    /// Also rerun failed, timed-out and cancelled trials (they resume from checkpoints).
    #[arg(long)]
    pub retry: bool,
}

impl SubmitArgs {
    /// The finished states to run again.
    pub fn rerun(&self) -> Vec<TrialStatus> {
        if self.retry {
            RETRY_ALL.to_vec()
        } else {
            Vec::new()
        }
    }
}

/// Options of `submit` and `resubmit`.
#[derive(Args)]
pub struct SubmissionArgs {
    #[command(flatten)]
    pub scheduler: SchedulerArgs,
    /// Jobs in flight at once (default: 1 local; PBS: unlimited, the queues' max_jobs apply).
    #[arg(long)]
    pub max_parallel: Option<usize>,
    /// Submissions per trial in this run, automatic resubmissions after walltime kills
    /// included (default: 3 with pbs, 1 with local).
    #[arg(long)]
    pub max_attempts: Option<u32>,
    /// Refuse to submit more than this many node-hours (nodes x walltime, resubmissions
    /// included).
    #[arg(long, value_name = "NODE_HOURS")]
    pub budget: Option<f64>,
    /// A planned sweep directory whose jobs must succeed before these start (PBS
    /// `-W depend=afterok:`); repeatable.
    #[arg(long, value_name = "SWEEP_DIR")]
    pub after: Vec<PathBuf>,
    /// Pack up to N one-node trials of a queue into one job (one node each: the job
    /// splits $PBS_NODEFILE, runs one mpiexec per trial and waits for all).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub pack: usize,
    /// Check and print what would be submitted (qsub lines, node-hours), submit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl SubmissionArgs {
    pub fn request(
        &self,
        rerun: Vec<TrialStatus>,
        only: Vec<String>,
        placement: &PlacementArgs,
    ) -> Result<SweepRequest, UsageError> {
        if let Some(b) = self.budget.filter(|b| !(b.is_finite() && *b >= 0.0)) {
            return Err(UsageError::Budget(b));
        }
        if self.max_attempts == Some(0) {
            return Err(UsageError::NoAttempts);
        }
        if self.max_parallel == Some(0) {
            return Err(UsageError::NoParallel);
        }
        if self.pack == 0 {
            return Err(UsageError::NoPack);
        }
        Ok(SweepRequest {
            settings: self.scheduler.settings()?,
            max_parallel: self.max_parallel,
            max_attempts: self.max_attempts,
            rerun,
            only,
            budget_node_hours: self.budget,
            after: self.after.clone(),
            pack: self.pack,
            account: placement.account.clone(),
            queue: placement.queue.clone(),
            ..SweepRequest::new(self.scheduler.scheduler)
        })
    }
}

/// An option value clap cannot check.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("--{flag} {value}: expected a number of seconds >= 0")]
    Seconds { flag: &'static str, value: f64 },
    #[error("--budget {0}: expected node-hours >= 0")]
    Budget(f64),
    #[error("--max-attempts 0: expected at least 1")]
    NoAttempts,
    #[error("--max-parallel 0: expected at least 1 job in flight")]
    NoParallel,
    #[error("--pack 0: expected at least 1 trial per job (1 = no packing)")]
    NoPack,
}
