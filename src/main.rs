//! `xvr`: the SWIN-XVR sweep driver. `--help` is the manual.

mod cli;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use cli::{Cli, Command, PlacementArgs, SpecArgs, SubmitArgs, TargetArgs};
use xvr::plan::{table, write, Plan};
use xvr::results::TrialStatus;
use xvr::sched::adapter::{self, SchedulerKind};
use xvr::sched::submit::SubmitReport;
use xvr::sched::sweep_submit::{dry_run, submit_sweep, SweepRequest};
use xvr::chain::analysis::{analysis_binary, analyse};
use xvr::chain::predict::predict;
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

/// The sweep directory of TARGET: itself, or the spec planned (and written).
fn sweep_of(sweep: &TargetArgs, placement: &PlacementArgs) -> Result<PathBuf, Box<dyn Error>> {
    if sweep.target.is_dir() {
        return Ok(sweep.target.clone());
    }
    Ok(plan_and_write(&sweep.target, &sweep.results, placement)?.sweep_dir)
}

/// Plans a spec and writes the sweep directory, saying which job scripts were
/// rendered anew.
fn plan_and_write(spec: &Path, results: &Path, placement: &PlacementArgs) -> Result<Plan, Box<dyn Error>> {
    let plan = Plan::build_with(spec, results, &placement.overrides())?;
    let written = write::write_plan(&plan)?;
    if !written.rerendered.is_empty() {
        outln!(
            "re-rendered the job scripts of {} trial(s) without a job in flight: {}",
            written.rerendered.len(),
            written.rerendered.join(", ")
        );
    }
    Ok(plan)
}

/// How a command ended. The exit status of each end is decided here and nowhere else
/// (clap exits 2 on a command line it cannot parse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Done, every trial it ran succeeded: 0.
    Done,
    /// Some trials it ran ended unsuccessfully (failed, timed out, cancelled, refused): 1.
    TrialsUnsuccessful,
    /// Stopped by SIGINT or SIGTERM (running the command again resumes): 130 = 128 + SIGINT.
    Interrupted,
    /// The command could not do its work (a bad spec, option or file; said on stderr): 1.
    Error,
    /// A command that runs one worker process (`reconstruct`) ends as it did: its exit code
    /// (2 refused, 1 failed), 1 if a signal ended it.
    Worker(std::process::ExitStatus),
}

impl From<End> for ExitCode {
    fn from(end: End) -> ExitCode {
        match end {
            End::Done => ExitCode::SUCCESS,
            End::TrialsUnsuccessful | End::Error => ExitCode::FAILURE,
            End::Interrupted => ExitCode::from(130),
            End::Worker(status) => match status.code() {
                Some(0) => ExitCode::SUCCESS,
                Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                None => ExitCode::FAILURE,
            },
        }
    }
}

/// `xvr run`: plan (validating), submit and wait, analyse.
fn chain(sweep: &SpecArgs, submit: &SubmitArgs, analysis_args: &[String]) -> Result<End, Box<dyn Error>> {
    let plan = plan_and_write(&sweep.spec, &sweep.results, &submit.placement)?;
    out!("{}", table::render(&plan));
    let request = submit.submission.request(submit.rerun(), Vec::new(), &PlacementArgs::default())?;
    if submit.submission.dry_run {
        dry_run(&plan.sweep_dir, &request, &mut std::io::stdout())?;
        if let Some(first) = plan.trials.first() {
            outln!("\njob script of trial {} ({} of {}):", first.id(), 1, plan.trials.len());
            out!("{}", plan.job_script(first)?);
        }
        return Ok(End::Done);
    }
    let end = submit_and_report(&plan.sweep_dir, &request)?;
    if end == End::Interrupted {
        outln!("interrupted: run the same command again to resume");
        return Ok(end);
    }
    // xvr-analysis prints where the report is (its last line).
    analyse(&analysis_binary(), &plan.sweep_dir, analysis_args)?;
    Ok(end)
}

/// With `dry_run`, says what would be submitted; else submits and waits.
fn submit_or_preview(sweep: &Path, request: &SweepRequest, dry_run_only: bool) -> Result<End, Box<dyn Error>> {
    if dry_run_only {
        dry_run(sweep, request, &mut std::io::stdout())?;
        return Ok(End::Done);
    }
    submit_and_report(sweep, request)
}

/// Carries out a sweep request and prints the summary line; the end says how it went.
fn submit_and_report(sweep: &Path, request: &SweepRequest) -> Result<End, Box<dyn Error>> {
    signals::install();
    let report: SubmitReport = submit_sweep(sweep, request, &mut std::io::stdout())?;
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
        End::Interrupted
    } else if report.unsuccessful > 0 {
        End::TrialsUnsuccessful
    } else {
        End::Done
    })
}

/// The trials of TARGET: a planned sweep directory, or a spec (planned, not written).
fn trials_of(sweep: &TargetArgs) -> Result<Vec<JobRequest>, Box<dyn Error>> {
    let dir = if sweep.target.is_dir() {
        sweep.target.clone()
    } else {
        Plan::build(&sweep.target, &sweep.results)?.sweep_dir
    };
    Ok(sweep_dir::load(&dir)?)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let end = execute(cli.command).unwrap_or_else(|message| {
        eprintln!("{message}");
        End::Error
    });
    end.into()
}

/// Carries out one subcommand.
fn execute(command: Command) -> Result<End, Box<dyn Error>> {
    match command {
        Command::Validate { sweep: SpecArgs { spec, results } } => {
            let plan = Plan::build(&spec, &results)?;
            if let Err(e) = &plan.worker {
                eprintln!("warning: {e} (`xvr plan` refuses to write job scripts without it)");
            }
            outln!(
                "{}: ok: sweep {}, {} trials",
                spec.display(),
                plan.spec.name,
                plan.trials.len()
            );
            Ok(End::Done)
        }
        Command::Plan { sweep, placement } => {
            let plan = plan_and_write(&sweep.spec, &sweep.results, &placement)?;
            out!("{}", table::render(&plan));
            outln!("written to {}", plan.sweep_dir.display());
            Ok(End::Done)
        }
        Command::Run {
            sweep,
            submit,
            analysis_args,
        } => chain(&sweep, &submit, &analysis_args),
        Command::Submit { sweep, submit } => {
            let SubmitArgs { placement, submission, .. } = &submit;
            // A spec is planned with the placement; a planned sweep directory gets it on
            // the qsub command line (which overrides the scripts' directives).
            let on_qsub = if sweep.target.is_dir() { placement.clone() } else { PlacementArgs::default() };
            let request = submission.request(submit.rerun(), Vec::new(), &on_qsub)?;
            submit_or_preview(&sweep_of(&sweep, placement)?, &request, submission.dry_run)
        }
        Command::Resubmit {
            sweep,
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
                &sweep_of(&sweep, &PlacementArgs::default())?,
                &request,
                submission.dry_run,
            )
        }
        Command::Status {
            sweep,
            watch,
            interval,
        } => {
            if !(interval.is_finite() && interval > 0.0) {
                return Err(format!("--interval {interval}: expected seconds > 0").into());
            }
            let jobs = trials_of(&sweep)?;
            loop {
                out!("{}", status::render(&jobs)?);
                let gone = STDOUT_GONE.load(std::sync::atomic::Ordering::Relaxed);
                if !watch || gone || status::settled(&jobs) {
                    break;
                }
                std::thread::sleep(Duration::from_secs_f64(interval));
                outln!("\n[{}]", chrono::Utc::now().format("%H:%M:%S"));
            }
            Ok(End::Done)
        }
        Command::Cancel {
            sweep,
            trials,
            scheduler,
        } => {
            let jobs = trials_of(&sweep)?;
            let mut sched = adapter::build(scheduler.scheduler, &scheduler.settings()?);
            let n = cancel::cancel(&jobs, &trials, sched.as_mut(), &mut std::io::stdout())?;
            outln!("{n} trial(s) cancelled");
            Ok(End::Done)
        }
        Command::Reconstruct(cmd) => Ok(End::Worker(xvr::chain::reconstruct::reconstruct(&cmd)?)),
        Command::Predict { spec, results, from, options } => {
            predict(&analysis_binary(), &spec, &results, &from, &options)?;
            Ok(End::Done)
        }
    }
}
