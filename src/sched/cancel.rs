//! `xvr cancel`: stops running trials (local: signals; PBS: qdel). The state is marked
//! cancelled first, so the submitter that reaps the job records it as cancelled rather
//! than failed (a running PBS job removed by qdel ends with exit status 0); if the
//! scheduler refuses, the state is put back and PBS's message shown.

use std::io::Write;

use super::{state, JobRequest, SchedError, Scheduler};
use crate::results::TrialStatus;

/// Cancels the running or submitted trials among `jobs` (all of them, or those in
/// `only`) that belong to `sched`. Returns how many were cancelled.
pub fn cancel(
    jobs: &[JobRequest],
    only: &[String],
    sched: &mut dyn Scheduler,
    out: &mut dyn Write,
) -> Result<usize, SchedError> {
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
        if let Err(source) = sched.cancel(&id) {
            state::write(&job.trial_dir, &prev)?;
            return Err(SchedError::CannotCancel {
                trial: job.trial_id.clone(),
                job: id,
                source,
            });
        }
        count += 1;
        let _ = writeln!(out, "trial {}: cancelled job {id}", job.trial_id);
    }
    Ok(count)
}
