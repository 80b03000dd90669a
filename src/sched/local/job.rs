//! One running local job: the child process group, its clock and its walltime.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{group_alive, host_name, signal_group};
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
    pub fn start(job: &JobRequest) -> Result<LocalJob, String> {
        let host = host_name();
        let nodefile = job.trial_dir.join(NODEFILE);
        std::fs::write(
            &nodefile,
            format!("{host}\n").repeat(job.nodes.max(1) as usize),
        )
        .map_err(|e| format!("{}: {e}", nodefile.display()))?;
        let out_path = job.trial_dir.join(names::JOB_OUTPUT);
        let output = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out_path)
            .map_err(|e| format!("{}: {e}", out_path.display()))?;
        let clone = |f: &File| {
            f.try_clone()
                .map_err(|e| format!("{}: {e}", out_path.display()))
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
            .map_err(|e| format!("{}: cannot start bash: {e}", job.script.display()))?;
        let pgid = child.id() as libc::pid_t;
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
    pub fn poll(&mut self, grace: Duration) -> Result<JobState, String> {
        if self.outcome.is_none() {
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(|e| format!("{}: {e}", self.id))?
            {
                self.outcome = Some(self.classify(status));
            }
        }
        if let Some(outcome) = &self.outcome {
            // As on a PBS node, the job is over when all its processes are: whatever the
            // script left behind in its group is killed, and reported once gone.
            if group_alive(self.pgid) {
                signal_group(self.pgid, libc::SIGKILL);
                return Ok(JobState::Running);
            }
            return Ok(JobState::Ended(outcome.clone()));
        }
        let now = Instant::now();
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

/// PBS's convention: the script's exit code, or 256 + N when the job shell was killed by signal N.
fn pbs_exit_status(status: ExitStatus) -> i64 {
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(signal)) => 256 + i64::from(signal),
        (None, None) => -1,
    }
}
