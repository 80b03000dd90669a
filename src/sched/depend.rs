//! Chaining stages: the jobs of a sweep can wait for the jobs of earlier sweeps (e.g. the
//! final training after the selection sweeps) with PBS `-W depend=afterok:<ids>`. Only
//! parents still in flight need an id; a parent that failed, or never ran, would make PBS
//! delete the child, so it is refused here with the trial to fix.

use std::path::Path;

use super::submit::status_name;
use super::{state, sweep_dir, Scheduler};
use crate::results::TrialStatus;

/// Job ids the new jobs must wait for: those of the trials of `parents` (planned sweep
/// directories) that are submitted or running under `sched`.
pub fn afterok_ids(
    parents: &[impl AsRef<Path>],
    sched: &dyn Scheduler,
) -> Result<Vec<String>, String> {
    let scheduler = sched.name();
    let queues = sched.waits_for_dependencies();
    let mut ids = Vec::new();
    for parent in parents {
        let parent = parent.as_ref();
        for job in sweep_dir::load(parent)? {
            let s = state::read(&job.trial_dir)?;
            let where_ = format!("{} trial {}", parent.display(), job.trial_id);
            match (s.status, s.job_id) {
                (TrialStatus::Succeeded, _) => {}
                (TrialStatus::Submitted | TrialStatus::Running, Some(id))
                    if s.scheduler.as_deref() == Some(scheduler) && queues =>
                {
                    ids.push(id)
                }
                (TrialStatus::Submitted | TrialStatus::Running, _) if !queues => {
                    return Err(format!(
                        "--after: {where_} is still running; the {scheduler} scheduler has no queue to wait in, so submit this stage once it has succeeded"
                    ))
                }
                (status, _) => {
                    return Err(format!(
                        "--after: {where_} is {} ({}), so an afterok dependency on it could never be met; run it to success first",
                        status_name(status),
                        s.reason.unwrap_or_else(|| "no job in flight".into())
                    ))
                }
            }
        }
    }
    Ok(ids)
}
