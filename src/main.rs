//! `xvr`: the SWIN-XVR sweep driver. `--help` is the manual.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use xvr::plan::{table, write, Overrides, Plan};
use xvr::results::TrialStatus;
use xvr::sched::adapter::{self, SchedulerKind, SchedulerSettings};
use xvr::sched::submit::{SubmitReport, RETRY_ALL};
use xvr::sched::sweep_run::{dry_run, run_sweep, SweepRequest};
use xvr::run::analysis::{analysis_binary, run_analysis, run_predict};
use xvr::sched::{cancel, signals, status, sweep_dir, JobRequest};

/// Set once stdout's reader has gone away (`xvr plan big.yaml | head -1`).
static STDOUT_GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `print!`, except that a closed stdout is not an error: the rest of the output is
/// dropped quietly and the command still finishes its work (a submit its trials).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if std::write!(std::io::stdout(), $($arg)*).and_then(|_| std::io::stdout().flush()).is_err() {
            STDOUT_GONE.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }};
}

/// `println!` in the manner of [`out!`].
macro_rules! outln {
    () => { out!("\n") };
    ($($arg:tt)*) => { out!("{}\n", format_args!($($arg)*)) };
}

/// Runs the SWIN-XVR hyperparameter and scaling study: a YAML sweep spec becomes trials,
/// each with a Polaris PBS job script, run on Polaris or on this machine.
///
/// Typical use: `xvr validate sweeps/window.yaml`, `xvr plan sweeps/window.yaml`,
/// `xvr submit sweeps/smoke.yaml`, `xvr status results/smoke`. The spec format is in
/// docs/spec-format.md; results go to `<results>/<sweep name>/`.
#[derive(Parser)]
#[command(name = "xvr", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks a spec; prints `file:line:column: message` for each problem and exits 1 if any.
    ///
    /// Everything `plan` would refuse is checked: YAML syntax, unknown keys, value types,
    /// model rules (channels divisible by heads, odd lr_frames, window >= 1), data.fraction
    /// in (0, 1], GPU counts (1, 2 or a multiple of 4 up to 256), and whether some queue of
    /// the site accepts each trial's nodes and walltime.
    Validate {
        /// Sweep spec (YAML).
        spec: PathBuf,
    },
    /// Expands a spec into trials and writes `<results>/<sweep>/`: sweep.yaml, plan.csv,
    /// trials/<id>/{trial.yaml, job.pbs, state.json}; prints one row per trial and the total.
    ///
    /// Planning an unchanged spec again changes nothing; a changed spec under an existing
    /// sweep name is refused.
    Plan {
        spec: PathBuf,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
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
        /// Sweep spec (YAML).
        spec: PathBuf,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        #[command(flatten)]
        placement: PlacementArgs,
        #[command(flatten)]
        submission: SubmissionArgs,
        #[command(flatten)]
        retry: RetryArg,
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
        /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
        target: PathBuf,
        /// Results root (when TARGET is a spec).
        #[arg(long, default_value = "results")]
        results: PathBuf,
        #[command(flatten)]
        placement: PlacementArgs,
        #[command(flatten)]
        submission: SubmissionArgs,
        #[command(flatten)]
        retry: RetryArg,
    },
    /// Runs a sweep's failed (and timed-out) trials again, resuming from their checkpoints,
    /// and waits for them like `submit`.
    Resubmit {
        /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
        target: PathBuf,
        /// Results root (when TARGET is a spec).
        #[arg(long, default_value = "results")]
        results: PathBuf,
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
        /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
        target: PathBuf,
        /// Results root (when TARGET is a spec).
        #[arg(long, default_value = "results")]
        results: PathBuf,
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
        /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
        target: PathBuf,
        /// Results root (when TARGET is a spec).
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Only these trial ids (repeatable); default: every running trial.
        #[arg(long = "trial")]
        trials: Vec<String>,
        #[command(flatten)]
        scheduler: SchedulerArgs,
    },
    /// Predicts a planned sweep's training wall time, efficiency and node-hours per GPU
    /// count from a measured sweep, before node-hours are spent (runs `xvr-analysis
    /// predict`; `xvr-analysis predict --help` states the model and its assumptions).
    Predict {
        /// Sweep spec (YAML) to predict, e.g. sweeps/scaling.yaml.
        spec: PathBuf,
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
    Reconstruct(xvr::run::reconstruct::ReconstructCommand),
}

/// Where trials go: overrides of the spec's and the site profile's account and queue.
/// They are not part of a trial's config (trial ids stay), and re-plan the job scripts of
/// trials without a job in flight.
#[derive(Args, Clone, Default)]
struct PlacementArgs {
    /// PBS project charged (`#PBS -A`), over the spec's `account:` and the site
    /// profile's. A PBS submission without one is refused before qsub.
    #[arg(long, value_name = "PROJECT")]
    account: Option<String>,
    /// Queue for every trial (`#PBS -q`), over `resources.queue` and the site's
    /// preference order; it must accept each trial's nodes and walltime.
    #[arg(long)]
    queue: Option<String>,
}

impl PlacementArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            account: self.account.clone(),
            queue: self.queue.clone(),
        }
    }
}

/// Which scheduler, and its settings.
#[derive(Args)]
struct SchedulerArgs {
    #[arg(long, value_enum, default_value_t = SchedulerKind::Local)]
    scheduler: SchedulerKind,
    /// Local: seconds between SIGTERM and SIGKILL when a job is stopped (the worker writes
    /// its checkpoint within them).
    #[arg(long, default_value_t = 10)]
    kill_grace: u64,
    /// PBS: seconds between two qstat polls (default 60; keep it >= 60 on a real server).
    #[arg(long)]
    poll_interval: Option<f64>,
    /// PBS: seconds a job may be missing from `qstat -x` before it is reported lost
    /// (default 600).
    #[arg(long)]
    lost_after: Option<f64>,
}

impl SchedulerArgs {
    fn settings(&self) -> Result<SchedulerSettings, String> {
        let seconds = |flag: &str, v: Option<f64>| match v {
            Some(s) if !(s.is_finite() && s >= 0.0) => {
                Err(format!("--{flag} {s}: expected a number of seconds >= 0"))
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

/// `--retry` of `submit` and `run`.
#[derive(Args)]
struct RetryArg {
    /// Also rerun failed, timed-out and cancelled trials (they resume from checkpoints).
    #[arg(long)]
    retry: bool,
}

impl RetryArg {
    /// The finished states to run again.
    fn rerun(&self) -> Vec<TrialStatus> {
        if self.retry {
            RETRY_ALL.to_vec()
        } else {
            Vec::new()
        }
    }
}

/// Options of `submit` and `resubmit`.
#[derive(Args)]
struct SubmissionArgs {
    #[command(flatten)]
    scheduler: SchedulerArgs,
    /// Jobs in flight at once (default: 1 local; PBS: unlimited, the queues' max_jobs apply).
    #[arg(long)]
    max_parallel: Option<usize>,
    /// Submissions per trial in this run, automatic resubmissions after walltime kills
    /// included (default: 3 with pbs, 1 with local).
    #[arg(long)]
    max_attempts: Option<u32>,
    /// Refuse to submit more than this many node-hours (nodes x walltime, resubmissions
    /// included).
    #[arg(long, value_name = "NODE_HOURS")]
    budget: Option<f64>,
    /// A planned sweep directory whose jobs must succeed before these start (PBS
    /// `-W depend=afterok:`); repeatable.
    #[arg(long, value_name = "SWEEP_DIR")]
    after: Vec<PathBuf>,
    /// Pack up to N one-node trials of a queue into one job (one node each: the job
    /// splits $PBS_NODEFILE, runs one mpiexec per trial and waits for all).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pack: usize,
    /// Check and print what would be submitted (qsub lines, node-hours), submit nothing.
    #[arg(long)]
    dry_run: bool,
}

impl SubmissionArgs {
    fn request(
        &self,
        rerun: Vec<TrialStatus>,
        only: Vec<String>,
        placement: &PlacementArgs,
    ) -> Result<SweepRequest, String> {
        if let Some(b) = self.budget.filter(|b| !(b.is_finite() && *b >= 0.0)) {
            return Err(format!("--budget {b}: expected node-hours >= 0"));
        }
        if self.max_attempts == Some(0) {
            return Err("--max-attempts 0: expected at least 1".into());
        }
        if self.max_parallel == Some(0) {
            return Err("--max-parallel 0: expected at least 1 job in flight".into());
        }
        if self.pack == 0 {
            return Err("--pack 0: expected at least 1 trial per job (1 = no packing)".into());
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

/// The sweep directory of TARGET: itself, or the spec planned (and written).
fn sweep_of(target: &Path, results: &Path, placement: &PlacementArgs) -> Result<PathBuf, String> {
    if target.is_dir() {
        return Ok(target.to_path_buf());
    }
    Ok(plan_and_write(target, results, placement)?.sweep_dir)
}

/// Plans a spec and writes the sweep directory, saying which job scripts were
/// rendered anew.
fn plan_and_write(spec: &Path, results: &Path, placement: &PlacementArgs) -> Result<Plan, String> {
    let plan = Plan::build_with(spec, results, &placement.overrides()).map_err(|e| e.to_string())?;
    let written = write::write_plan(&plan).map_err(|e| e.to_string())?;
    if !written.rerendered.is_empty() {
        outln!(
            "re-rendered the job scripts of {} trial(s) without a job in flight: {}",
            written.rerendered.len(),
            written.rerendered.join(", ")
        );
    }
    Ok(plan)
}

/// `xvr run`: plan (validating), submit and wait, analyse.
fn run_chain(
    spec: &Path,
    results: &Path,
    placement: &PlacementArgs,
    submission: &SubmissionArgs,
    retry: &RetryArg,
    analysis_args: &[String],
) -> Result<ExitCode, String> {
    let plan = plan_and_write(spec, results, placement)?;
    out!("{}", table::render(&plan));
    let request = submission.request(retry.rerun(), Vec::new(), &PlacementArgs::default())?;
    if submission.dry_run {
        dry_run(&plan.sweep_dir, &request, &mut std::io::stdout())?;
        if let Some(first) = plan.trials.first() {
            outln!("\njob script of trial {} ({} of {}):", first.id(), 1, plan.trials.len());
            out!("{}", plan.job_script(first)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let code = submit_and_report(&plan.sweep_dir, &request)?;
    if code == ExitCode::from(130) {
        outln!("interrupted: run the same command again to resume");
        return Ok(code);
    }
    // xvr-analysis prints where the report is (its last line).
    run_analysis(&analysis_binary(), &plan.sweep_dir, analysis_args)?;
    Ok(code)
}

/// With `dry_run`, says what would be submitted; else submits and waits.
fn submit_or_preview(sweep: &Path, request: &SweepRequest, dry_run_only: bool) -> Result<ExitCode, String> {
    if dry_run_only {
        dry_run(sweep, request, &mut std::io::stdout())?;
        return Ok(ExitCode::SUCCESS);
    }
    submit_and_report(sweep, request)
}

/// Runs a sweep request and prints the summary line; the exit code says how it went.
fn submit_and_report(sweep: &Path, request: &SweepRequest) -> Result<ExitCode, String> {
    signals::install();
    let report: SubmitReport = run_sweep(sweep, request, &mut std::io::stdout())?;
    outln!(
        "started {}, skipped {}, succeeded {}, unsuccessful {}, resumed {}, tracked {}; {:.2} node-hours requested{}",
        report.started,
        report.skipped,
        report.succeeded,
        report.unsuccessful,
        report.resumed,
        report.adopted,
        report.node_hours,
        if report.interrupted {
            if request.scheduler == SchedulerKind::Pbs {
                "; interrupted: PBS jobs stay queued, `xvr submit` again follows them"
            } else {
                "; interrupted: running trials were put back to planned"
            }
        } else {
            ""
        }
    );
    Ok(if report.interrupted {
        ExitCode::from(130)
    } else if report.unsuccessful > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The trials of TARGET: a planned sweep directory, or a spec (planned, not written).
fn trials_of(target: &Path, results: &Path) -> Result<Vec<JobRequest>, String> {
    let sweep = if target.is_dir() {
        target.to_path_buf()
    } else {
        Plan::build(target, results).map_err(|e| e.to_string())?.sweep_dir
    };
    sweep_dir::load(&sweep)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Validate { spec } => {
            let plan = Plan::build(&spec, &PathBuf::from("results")).map_err(|e| e.to_string())?;
            if let Err(e) = &plan.worker {
                eprintln!("warning: {e} (`xvr plan` refuses to write job scripts without it)");
            }
            outln!(
                "{}: ok: sweep {}, {} trials",
                spec.display(),
                plan.spec.name,
                plan.trials.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan {
            spec,
            results,
            placement,
        } => {
            let plan = plan_and_write(&spec, &results, &placement)?;
            out!("{}", table::render(&plan));
            outln!("written to {}", plan.sweep_dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            spec,
            results,
            placement,
            submission,
            retry,
            analysis_args,
        } => run_chain(&spec, &results, &placement, &submission, &retry, &analysis_args),
        Command::Submit {
            target,
            results,
            placement,
            submission,
            retry,
        } => {
            // A spec is planned with the placement; a planned sweep directory gets it on
            // the qsub command line (which overrides the scripts' directives).
            let on_qsub = if target.is_dir() { placement.clone() } else { PlacementArgs::default() };
            let request = submission.request(retry.rerun(), Vec::new(), &on_qsub)?;
            submit_or_preview(&sweep_of(&target, &results, &placement)?, &request, submission.dry_run)
        }
        Command::Resubmit {
            target,
            results,
            failed,
            cancelled,
            trials,
            submission,
        } => {
            let mut rerun = Vec::new();
            if failed {
                rerun.extend([TrialStatus::Failed, TrialStatus::TimedOut]);
            }
            if cancelled {
                rerun.push(TrialStatus::Cancelled);
            }
            if rerun.is_empty() {
                return Err("xvr resubmit: say what to rerun: --failed and/or --cancelled".into());
            }
            let request = submission.request(rerun, trials, &PlacementArgs::default())?;
            submit_or_preview(
                &sweep_of(&target, &results, &PlacementArgs::default())?,
                &request,
                submission.dry_run,
            )
        }
        Command::Status {
            target,
            results,
            watch,
            interval,
        } => {
            if !(interval.is_finite() && interval > 0.0) {
                return Err(format!("--interval {interval}: expected seconds > 0"));
            }
            let jobs = trials_of(&target, &results)?;
            loop {
                out!("{}", status::render(&jobs)?);
                let gone = STDOUT_GONE.load(std::sync::atomic::Ordering::Relaxed);
                if !watch || gone || status::settled(&jobs)? {
                    break;
                }
                std::thread::sleep(Duration::from_secs_f64(interval));
                outln!("\n[{}]", chrono::Utc::now().format("%H:%M:%S"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel {
            target,
            results,
            trials,
            scheduler,
        } => {
            let jobs = trials_of(&target, &results)?;
            let mut sched = adapter::build(scheduler.scheduler, &scheduler.settings()?);
            let n = cancel::cancel(&jobs, &trials, sched.as_mut(), &mut std::io::stdout())?;
            outln!("{n} trial(s) cancelled");
            Ok(ExitCode::SUCCESS)
        }
        Command::Reconstruct(cmd) => xvr::run::reconstruct::run(&cmd),
        Command::Predict { spec, from, options } => {
            run_predict(&analysis_binary(), &spec, &from, &options)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
