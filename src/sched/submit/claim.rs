//! Claiming: under a trial's lock, with its state re-read, whether this submitter runs
//! it, tracks a job an earlier submitter left, or leaves it.

use std::path::Path;

use super::{status_name, Submitter};
use crate::results::{names, TrialState, TrialStatus};
use crate::sched::lock::TrialLock;
use crate::sched::{state, JobRequest, SchedError, Scheduler};

/// Whether the trial wrote its summary.json (finished its work).
pub(super) fn has_summary(trial_dir: &Path) -> bool {
    trial_dir.join(names::SUMMARY_JSON).is_file()
}

/// What this submitter does with a pending trial.
pub(super) enum Claim {
    /// Submit it (it is planned, asked to be rerun, or its submitter died).
    Start(TrialLock, TrialState),
    /// Track the job an earlier submitter left in the scheduler.
    Adopt(TrialLock, TrialState),
    /// Leave it, for this reason.
    Skip(String),
}

/// Decides under the trial's lock whether this submitter runs it, tracks its job, or
/// leaves it.
pub(super) fn claim(job: &JobRequest, sched: &mut dyn Scheduler) -> Result<Claim, SchedError> {
    let Some(lock) = TrialLock::try_acquire(&job.trial_dir).map_err(SchedError::Lock)? else {
        return Ok(Claim::Skip("another xvr submit is running it".into()));
    };
    let prev = state::read(&job.trial_dir)?;
    if prev.status != TrialStatus::Succeeded && has_summary(&job.trial_dir) {
        return Ok(Claim::Skip(format!(
            "{} is written, so the trial finished its work ({} in state.json); move it away to run the trial again",
            names::SUMMARY_JSON,
            status_name(prev.status)
        )));
    }
    match prev.status {
        TrialStatus::Succeeded => Ok(Claim::Skip("succeeded already".into())),
        TrialStatus::Planned
        | TrialStatus::Failed
        | TrialStatus::TimedOut
        | TrialStatus::Cancelled => Ok(Claim::Start(lock, prev)),
        TrialStatus::Submitted | TrialStatus::Running => {
            let job_id = prev.job_id.clone().unwrap_or_default();
            let ours = prev.scheduler.as_deref() == Some(sched.name());
            if ours && sched.adopts_jobs() && !job_id.is_empty() {
                Ok(Claim::Adopt(lock, prev))
            } else if !ours || sched.is_alive(&job_id) {
                Ok(Claim::Skip(format!(
                    "{} as job {job_id} ({})",
                    status_name(prev.status),
                    prev.scheduler.clone().unwrap_or_default()
                )))
            } else {
                // Its submitter died without recording an end: run it again.
                Ok(Claim::Start(lock, prev))
            }
        }
    }
}

impl Submitter<'_> {
    /// Whether a claimed trial in state `prev` should run: planned ones always, finished
    /// ones only when asked for (or when this run resubmits them itself).
    pub(super) fn wanted(&self, prev: &TrialState) -> bool {
        prev.status == TrialStatus::Planned
            || self.opts.rerun.contains(&prev.status)
            || matches!(prev.status, TrialStatus::Submitted | TrialStatus::Running)
    }
}
