//! `xvr`: the SWIN-XVR sweep driver. `--help` is the manual.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use xvr::plan::{table, write, Plan};
use xvr::sched::local::LocalScheduler;
use xvr::sched::submit::{submit, SubmitOptions};
use xvr::sched::{cancel, signals, status, sweep_dir, JobRequest, Scheduler};

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
    },
    /// Runs a sweep's trials through a scheduler (planning the spec first if needed) and
    /// waits for them, printing progress.
    ///
    /// The local scheduler runs each trial's job.pbs with bash on this machine, with
    /// PBS_JOBID, PBS_O_WORKDIR, PBS_NODEFILE, PBS_JOBNAME and PBS_QUEUE set, output
    /// appended to the trial's job.out, the trial's walltime enforced (SIGTERM to the job's
    /// process group, SIGKILL after --kill-grace; recorded as exit -29, timed_out), and
    /// the directory of this xvr first on PATH so the job finds xvr-worker beside it.
    /// Succeeded and running trials are never rerun, and two submits on one sweep share
    /// the work (per-trial locks). Ctrl-C kills the running jobs and puts them back to
    /// planned: submit again to resume.
    Submit {
        /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
        target: PathBuf,
        /// Results root (when TARGET is a spec).
        #[arg(long, default_value = "results")]
        results: PathBuf,
        #[arg(long, value_enum, default_value_t = SchedulerKind::Local)]
        scheduler: SchedulerKind,
        /// Trials running at once.
        #[arg(long, default_value_t = 1)]
        max_parallel: usize,
        /// Seconds between SIGTERM and SIGKILL when a job is stopped.
        #[arg(long, default_value_t = 10)]
        kill_grace: u64,
        /// Also rerun failed, timed-out and cancelled trials (they resume from checkpoints).
        #[arg(long)]
        retry: bool,
    },
    /// Prints every trial's state (planned, submitted, running, succeeded, failed,
    /// timed_out, cancelled), attempts, exit status, run time and reason.
    Status {
        /// A sweep spec (YAML) or a planned sweep directory (results/<sweep>).
        target: PathBuf,
        /// Results root (when TARGET is a spec).
        #[arg(long, default_value = "results")]
        results: PathBuf,
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
        #[arg(long, value_enum, default_value_t = SchedulerKind::Local)]
        scheduler: SchedulerKind,
        /// Seconds between SIGTERM and SIGKILL.
        #[arg(long, default_value_t = 10)]
        kill_grace: u64,
    },
}

/// Scheduler adapters.
#[derive(Clone, Copy, ValueEnum)]
enum SchedulerKind {
    /// Run job scripts on this machine (the embedded default).
    Local,
}

fn scheduler(kind: SchedulerKind, kill_grace: u64) -> Box<dyn Scheduler> {
    match kind {
        SchedulerKind::Local => Box::new(LocalScheduler::new(Duration::from_secs(kill_grace))),
    }
}

/// The trials of TARGET: a planned sweep directory, or a spec (planned first when `write`).
fn trials_of(target: &Path, results: &Path, write_plan: bool) -> Result<Vec<JobRequest>, String> {
    let sweep = if target.is_dir() {
        target.to_path_buf()
    } else {
        let plan = Plan::build(target, results).map_err(|e| e.to_string())?;
        if write_plan {
            write::write_plan(&plan).map_err(|e| e.to_string())?;
        }
        plan.sweep_dir
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
            println!(
                "{}: ok: sweep {}, {} trials",
                spec.display(),
                plan.spec.name,
                plan.trials.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { spec, results } => {
            let plan = Plan::build(&spec, &results).map_err(|e| e.to_string())?;
            write::write_plan(&plan).map_err(|e| e.to_string())?;
            print!("{}", table::render(&plan));
            println!("written to {}", plan.sweep_dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Submit {
            target,
            results,
            scheduler: kind,
            max_parallel,
            kill_grace,
            retry,
        } => {
            let jobs = trials_of(&target, &results, true)?;
            signals::install();
            let mut sched = scheduler(kind, kill_grace);
            let opts = SubmitOptions {
                max_parallel,
                retry,
            };
            let report = submit(jobs, sched.as_mut(), &opts, &mut std::io::stdout())?;
            println!(
                "started {}, skipped {}, succeeded {}, unsuccessful {}{}",
                report.started,
                report.skipped,
                report.succeeded,
                report.unsuccessful,
                if report.interrupted {
                    "; interrupted: running trials were put back to planned"
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
        Command::Status { target, results } => {
            print!("{}", status::render(&trials_of(&target, &results, false)?)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel {
            target,
            results,
            trials,
            scheduler: kind,
            kill_grace,
        } => {
            let jobs = trials_of(&target, &results, false)?;
            let mut sched = scheduler(kind, kill_grace);
            let n = cancel::cancel(&jobs, &trials, sched.as_mut(), &mut std::io::stdout())?;
            println!("{n} trial(s) cancelled");
            Ok(ExitCode::SUCCESS)
        }
    }
}
