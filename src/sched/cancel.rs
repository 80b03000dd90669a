//! `xvr cancel`: stops running trials. The state is marked cancelled first, so the
//! submitter that reaps the job records it as cancelled rather than failed.

use std::io::Write;

use super::{state, JobRequest, Scheduler};
use crate::results::TrialStatus;

/// Cancels the running or submitted trials among `jobs` (all of them, or those in
/// `only`) that belong to `sched`. Returns how many were cancelled.
pub fn cancel(
    jobs: &[JobRequest],
    only: &[String],
    sched: &mut dyn Scheduler,
    out: &mut dyn Write,
) -> Result<usize, String> {
    let mut count = 0;
    for job in jobs
        .iter()
        .filter(|j| only.is_empty() || only.contains(&j.trial_id))
    {
        let prev = state::read(&job.trial_dir)?;
        let live = matches!(prev.status, TrialStatus::Running | TrialStatus::Submitted);
        let (Some(id), true) = (
            prev.job_id.clone(),
            live && prev.scheduler.as_deref() == Some(sched.name()),
        ) else {
            continue;
        };
        state::write(&job.trial_dir, &state::cancelled(&prev, "xvr cancel"))?;
        sched.cancel(&id)?;
        count += 1;
        let _ = writeln!(out, "trial {}: cancelled job {id}", job.trial_id);
    }
    Ok(count)
}
