//! The `local` scheduler (the embedded default): runs the very same `job.pbs` on this
//! machine, as PBS would run it on a node. Each job is `bash job.pbs` in a new process
//! group with the PBS variables a job sees, its output appended to the `-o` file, its
//! walltime enforced (SIGTERM to the group, SIGKILL after a grace period, exit status
//! −29 as PBS records it). Job ids are `<pid>.<host>`, and the pid is the process group,
//! so another `xvr` process (`xvr cancel`) can signal the job from the id alone.

mod error;
mod job;

use std::collections::HashMap;
use std::time::Duration;

use super::{JobRequest, JobState, LoopDefaults, Scheduler, SchedulerError};
pub use error::LocalError;
use job::LocalJob;
use crate::plan::shell::quote;

/// Runs job scripts as child process groups of this process.
pub struct LocalScheduler {
    /// Time between SIGTERM and SIGKILL, for walltime kills and cancels.
    grace: Duration,
    jobs: HashMap<String, LocalJob>,
}

impl LocalScheduler {
    pub fn new(grace: Duration) -> Self {
        LocalScheduler {
            grace,
            jobs: HashMap::new(),
        }
    }
}

/// The process group in a local job id (`<pgid>.<host>`).
pub fn process_group(id: &str) -> Option<libc::pid_t> {
    id.split('.')
        .next()?
        .parse()
        .ok()
        .filter(|&p: &libc::pid_t| p > 1)
}

/// Whether any process of the group is alive.
pub fn group_alive(pgid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// Sends `signal` to every process of the group.
pub fn signal_group(pgid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: plain kill(2) on a process group this tool started.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// This machine's host name.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if rc == 0 && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".into()
    }
}

impl Scheduler for LocalScheduler {
    fn name(&self) -> &'static str {
        "local"
    }

    fn submit(&mut self, job: &JobRequest) -> Result<String, SchedulerError> {
        let local = LocalJob::start(job, self.grace)?;
        let id = local.id.clone();
        self.jobs.insert(id.clone(), local);
        Ok(id)
    }

    fn describe_submission(&self, job: &JobRequest) -> String {
        format!(
            "(cd {} && bash {})",
            quote(&job.trial_dir.display().to_string()),
            quote(&job.script.display().to_string())
        )
    }

    fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, SchedulerError> {
        let grace = self.grace;
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            let state = match self.jobs.get_mut(id) {
                Some(job) => {
                    let state = job.poll(grace)?;
                    if matches!(state, JobState::Ended(_)) {
                        self.jobs.remove(id);
                    }
                    state
                }
                None => match process_group(id) {
                    Some(pgid) if group_alive(pgid) => JobState::Running,
                    _ => JobState::Unknown(format!(
                        "{id}: not a job of this xvr process and not running"
                    )),
                },
            };
            states.push((id.clone(), state));
        }
        Ok(states)
    }

    fn cancel(&mut self, id: &str) -> Result<(), SchedulerError> {
        match self.jobs.get_mut(id) {
            Some(job) => job.cancel(),
            None => {
                // A job of another xvr process: nobody here will poll it, so escalate now.
                let pgid = process_group(id).ok_or_else(|| LocalError::NotAJobId { id: id.to_string() })?;
                signal_group(pgid, libc::SIGTERM);
                let deadline = std::time::Instant::now() + self.grace;
                while group_alive(pgid) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(100));
                }
                if group_alive(pgid) {
                    signal_group(pgid, libc::SIGKILL);
                }
            }
        }
        Ok(())
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(200)
    }

    fn is_alive(&mut self, id: &str) -> bool {
        self.jobs.contains_key(id) || process_group(id).is_some_and(group_alive)
    }

    fn starts_at_once(&self) -> bool {
        true
    }

    fn waits_for_dependencies(&self) -> bool {
        false
    }

    fn loop_defaults(&self) -> LoopDefaults {
        // One trial at a time uses the machine's cores; a local walltime is usually a
        // test limit, so no automatic resubmission.
        LoopDefaults {
            max_parallel: 1,
            max_attempts: 1,
        }
    }
}
