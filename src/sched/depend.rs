//! Chaining stages: the jobs of a sweep can wait for the jobs of earlier sweeps (e.g. the
//! final training after the selection sweeps) with PBS `-W depend=afterok:<ids>`. Only
//! parents still in flight need an id; a parent that failed, or never ran, would make PBS
//! delete the child, so it is refused here with the trial to fix.

use std::path::Path;

use super::submit::status_name;
use super::{state, sweep_dir, SchedError, Scheduler};
use crate::results::TrialStatus;

/// Job ids the new jobs must wait for: those of the trials of `parents` (planned sweep
/// directories) that are submitted or running under `sched`.
pub fn afterok_ids(
    parents: &[impl AsRef<Path>],
    sched: &dyn Scheduler,
) -> Result<Vec<String>, SchedError> {
    let scheduler = sched.name();
    let queues = sched.waits_for_dependencies();
    let mut ids = Vec::new();
    for parent in parents {
        let parent = parent.as_ref();
        for job in sweep_dir::load(parent)? {
            let s = state::read(&job.trial_dir)?;
            match (s.status, s.job_id) {
                (TrialStatus::Succeeded, _) => {}
                (TrialStatus::Submitted | TrialStatus::Running, Some(id))
                    if s.scheduler.as_deref() == Some(scheduler) && queues =>
                {
                    ids.push(id)
                }
                (TrialStatus::Submitted | TrialStatus::Running, _) if !queues => {
                    return Err(SchedError::ParentStillRunning {
                        sweep: parent.to_path_buf(),
                        trial: job.trial_id,
                        scheduler,
                    })
                }
                (status, _) => {
                    return Err(SchedError::ParentNeverSucceeds {
                        sweep: parent.to_path_buf(),
                        trial: job.trial_id,
                        status: status_name(status),
                        reason: s.reason.unwrap_or_else(|| "no job in flight".into()),
                    })
                }
            }
        }
    }
    Ok(ids)
}
