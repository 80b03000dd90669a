//! One running local job: the child process group, its clock and its walltime.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{group_alive, host_name, signal_group, LocalError};
use crate::plan::walltime;
use crate::results::names;
use crate::sched::{EndKind, JobRequest, JobState, Outcome};

/// PBS's exit status for a job killed for exceeding its walltime (JOB_EXEC_KILL_WALLTIME).
pub const EXIT_WALLTIME: i64 = -29;

/// Nodefile written into the trial directory (PBS_NODEFILE): this host once per node.
pub const NODEFILE: &str = ".local.nodefile";

pub struct LocalJob {
    pub id: String,
    child: Child,
    pgid: libc::pid_t,
    started: Instant,
    walltime: Duration,
    output: File,
    /// When SIGTERM was sent (walltime or cancel), for the SIGKILL deadline.
    terminated_at: Option<Instant>,
    walltime_exceeded: bool,
    /// Stopped on request (`xvr cancel`, or the submitter stopping).
    cancelled: bool,
    /// How the job ended, once the job script has exited.
    outcome: Option<Outcome>,
}

impl LocalJob {
    /// Starts `bash job.pbs` in its own process group. PBS_JOBID must name the job, whose
    /// id holds the pid, so a tiny bash prologue exports it from `$$` and then `exec`s the
    /// script in the same process.
    /// `grace` is the time between SIGTERM and SIGKILL (also for the orphan watchdog).
    pub fn start(job: &JobRequest, grace: Duration) -> Result<LocalJob, LocalError> {
        let host = host_name();
        let nodefile = job.trial_dir.join(NODEFILE);
        std::fs::write(
            &nodefile,
            format!("{host}\n").repeat(job.nodes.max(1) as usize),
        )
        .map_err(|source| LocalError::File { path: nodefile.clone(), source })?;
        let out_path = job.trial_dir.join(names::JOB_OUTPUT);
        let output = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out_path)
            .map_err(|source| LocalError::File { path: out_path.clone(), source })?;
        let clone = |f: &File| {
            f.try_clone()
                .map_err(|source| LocalError::File { path: out_path.clone(), source })
        };
        let child = Command::new("bash")
            .arg("-c")
            .arg(r#"export PBS_JOBID="$$.$1"; exec bash "$0""#)
            .arg(&job.script)
            .arg(&host)
            .current_dir(&job.trial_dir)
            // As `qsub` run in the trial directory gives it on PBS. PATH is left as it
            // is: the script names the worker by its absolute path, as it must on PBS.
            .env("PBS_O_WORKDIR", &job.trial_dir)
            .env("PBS_NODEFILE", &nodefile)
            .env("PBS_JOBNAME", &job.job_name)
            .env("PBS_QUEUE", &job.queue)
            .env("PBS_O_QUEUE", &job.queue)
            .env("PBS_O_HOST", &host)
            .stdin(Stdio::null())
            .stdout(clone(&output)?)
            .stderr(clone(&output)?)
            .process_group(0)
            .spawn()
            .map_err(|source| LocalError::CannotStart { script: job.script.clone(), source })?;
        let pgid = child.id() as libc::pid_t;
        start_orphan_watchdog(pgid, job.walltime_s, grace, &out_path)?;
        Ok(LocalJob {
            id: format!("{pgid}.{host}"),
            child,
            pgid,
            started: Instant::now(),
            walltime: Duration::from_secs(job.walltime_s),
            output,
            terminated_at: None,
            walltime_exceeded: false,
            cancelled: false,
            outcome: None,
        })
    }

    /// Reaps the job if it ended; enforces its walltime and the SIGKILL deadline if not.
    pub fn poll(&mut self, grace: Duration) -> Result<JobState, LocalError> {
        if self.outcome.is_none() {
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(|source| LocalError::Wait { id: self.id.clone(), source })?
            {
                self.outcome = Some(self.classify(status));
            }
        }
        let now = Instant::now();
        if let Some(outcome) = self.outcome.clone() {
            // As on a PBS node, the job is over when all its processes are. What the script
            // left behind in its group gets SIGTERM and the grace period before SIGKILL: a
            // SIGTERM to the group ends the job shell at once, while mpiexec forwards it to
            // the ranks and waits for them to write their checkpoints.
            if group_alive(self.pgid) {
                match self.terminated_at {
                    None => self.terminate(),
                    Some(t) if now.duration_since(t) > grace => {
                        signal_group(self.pgid, libc::SIGKILL)
                    }
                    Some(_) => {}
                }
                return Ok(JobState::Running);
            }
            return Ok(JobState::Ended(outcome));
        }
        if self.terminated_at.is_none() && now.duration_since(self.started) > self.walltime {
            let used = now.duration_since(self.started).as_millis().div_ceil(1000);
            // PBS writes this line into the job's output when it kills a job.
            let _ = writeln!(
                self.output,
                "=>> PBS: job killed: walltime {used} exceeded limit {} ({})",
                self.walltime.as_secs(),
                walltime::format(self.walltime.as_secs())
            );
            self.walltime_exceeded = true;
            self.terminate();
        } else if let Some(t) = self.terminated_at {
            if now.duration_since(t) > grace {
                signal_group(self.pgid, libc::SIGKILL);
            }
        }
        Ok(JobState::Running)
    }

    /// How the job ended: the local scheduler knows when it killed a job itself.
    fn classify(&self, status: ExitStatus) -> Outcome {
        let exit = pbs_exit_status(status);
        if self.walltime_exceeded {
            Outcome::new(
                EndKind::Walltime,
                Some(EXIT_WALLTIME),
                format!(
                    "killed for exceeding its walltime of {} (local scheduler)",
                    walltime::format(self.walltime.as_secs())
                ),
            )
        } else if self.cancelled {
            Outcome::new(EndKind::CancelledByUser, Some(exit), "stopped on request (xvr cancel)")
        } else if (0..=255).contains(&exit) {
            Outcome::exited(exit)
        } else {
            Outcome::new(
                EndKind::Killed,
                Some(exit),
                format!("job shell killed by signal {} (exit {exit})", exit - 256),
            )
        }
    }

    /// Stops the job on request: SIGTERM now, SIGKILL after the grace period.
    pub fn cancel(&mut self) {
        self.cancelled = true;
        self.terminate();
    }

    /// SIGTERM to the whole group; `poll` sends SIGKILL once the grace period is over.
    pub fn terminate(&mut self) {
        signal_group(self.pgid, libc::SIGTERM);
        self.terminated_at.get_or_insert(Instant::now());
    }
}

/// Enforces the walltime of a job whose `xvr` died (SIGKILL, a lost terminal), as the PBS
/// server would: a small shell loop outside the job's process group that does nothing while
/// this process lives (it enforces the walltime itself, see [`LocalJob::poll`]) and ends with
/// the job. Started through a shell that exits at once, so it is nobody's child to reap.
const ORPHAN_WATCHDOG: &str = r#"
pg=$1 driver=$2 limit=$3 grace=$4 out=$5
(
  while kill -0 -- "-$pg" 2>/dev/null; do
    if [ "$SECONDS" -ge "$limit" ] && ! kill -0 "$driver" 2>/dev/null; then
      echo "=>> PBS: job killed: walltime $SECONDS exceeded limit $limit (xvr submit gone)" >> "$out"
      kill -TERM -- "-$pg" 2>/dev/null
      waited=0
      while kill -0 -- "-$pg" 2>/dev/null && [ "$waited" -lt "$grace" ]; do
        sleep 1; waited=$((waited + 1))
      done
      kill -KILL -- "-$pg" 2>/dev/null
      exit 0
    fi
    sleep 1
  done
) </dev/null >/dev/null 2>&1 &
"#;

fn start_orphan_watchdog(
    pgid: libc::pid_t,
    walltime_s: u64,
    grace: Duration,
    out_path: &Path,
) -> Result<(), LocalError> {
    let status = Command::new("bash")
        .arg("-c")
        .arg(ORPHAN_WATCHDOG)
        .arg("xvr-orphan-watchdog")
        .arg(pgid.to_string())
        .arg(std::process::id().to_string())
        .arg(walltime_s.to_string())
        .arg(grace.as_secs().max(1).to_string())
        .arg(out_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .status()
        .map_err(|source| LocalError::Watchdog { pgid, source })?;
    if !status.success() {
        return Err(LocalError::WatchdogFailed { pgid, status });
    }
    Ok(())
}

/// PBS's convention: the script's exit code, or 256 + N when the job shell was killed by signal N.
fn pbs_exit_status(status: ExitStatus) -> i64 {
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(signal)) => 256 + i64::from(signal),
        (None, None) => -1,
    }
}
