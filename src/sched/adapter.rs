//! Choosing a scheduler adapter by name, for `xvr submit`, `cancel`, `resubmit` and any
//! other caller of the submit loop (`xvr run`).

use std::time::Duration;

use super::local::LocalScheduler;
use super::pbs::{PbsScheduler, PbsSettings};
use super::Scheduler;

/// The scheduler adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchedulerKind {
    /// Run job scripts on this machine (the embedded default).
    Local,
    /// PBS Pro (Polaris): qsub, `qstat -x -f -F json`, qdel found on PATH.
    Pbs,
}

/// Adapter settings a user may change.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerSettings {
    /// Local: time between SIGTERM and SIGKILL when a job is stopped.
    pub kill_grace: Duration,
    /// PBS: time between polls (default one minute).
    pub poll_interval: Option<Duration>,
    /// PBS: how long a job may be missing from `qstat -x` before it counts as lost.
    pub lost_after: Option<Duration>,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            kill_grace: Duration::from_secs(10),
            poll_interval: None,
            lost_after: None,
        }
    }
}

/// The adapter for `kind`.
pub fn build(kind: SchedulerKind, settings: &SchedulerSettings) -> Box<dyn Scheduler> {
    match kind {
        SchedulerKind::Local => Box::new(LocalScheduler::new(settings.kill_grace)),
        SchedulerKind::Pbs => {
            let defaults = PbsSettings::default();
            Box::new(PbsScheduler::new(PbsSettings {
                poll_interval: settings.poll_interval.unwrap_or(defaults.poll_interval),
                lost_after: settings.lost_after.unwrap_or(defaults.lost_after),
            }))
        }
    }
}
