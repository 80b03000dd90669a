//! Node-hours: what a submission may cost. Polaris charges allocations in node-hours; the
//! usual convention (an assumption: ALCF does not state the formula) is nodes × elapsed
//! time, so nodes × requested walltime is the most a job can cost. `xvr submit --budget`
//! refuses to start more than the budget allows.

use super::{state, JobRequest, SchedError};
use crate::results::TrialStatus;

/// What a submission would start and what it may cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Trials that would be submitted (planned ones and those in `rerun`).
    pub trials: usize,
    /// Their nodes × walltime, summed.
    pub node_hours: f64,
}

/// Trials among `jobs` that a submit would start, and their node-hours.
pub fn estimate(jobs: &[JobRequest], rerun: &[TrialStatus]) -> Result<Estimate, SchedError> {
    let mut e = Estimate {
        trials: 0,
        node_hours: 0.0,
    };
    for job in jobs {
        let s = state::read(&job.trial_dir)?;
        if will_submit(s.status, rerun) {
            e.trials += 1;
            e.node_hours += job.node_hours();
        }
    }
    Ok(e)
}

/// The budget that `node_hours` in all would exceed, if there is one and it would.
pub fn exceeded(budget: Option<f64>, node_hours: f64) -> Option<f64> {
    budget.filter(|limit| node_hours > limit + 1e-9)
}

/// Refuses an estimate over the budget, saying by how much.
pub fn check(e: &Estimate, budget: Option<f64>) -> Result<(), SchedError> {
    match exceeded(budget, e.node_hours) {
        Some(budget) => Err(SchedError::OverBudget {
            trials: e.trials,
            node_hours: e.node_hours,
            budget,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_hours_are_nodes_times_walltime() {
        let job = JobRequest {
            trial_id: "t".into(),
            trial_dir: "/nonexistent".into(),
            script: "/nonexistent/job.pbs".into(),
            job_name: "t".into(),
            queue: "prod".into(),
            nodes: 16,
            walltime_s: 90 * 60,
            after: vec![],
            account: None,
        };
        assert_eq!(job.node_hours(), 24.0);
    }

    #[test]
    fn the_budget_refuses_only_what_exceeds_it() {
        let e = Estimate {
            trials: 3,
            node_hours: 24.0,
        };
        assert!(check(&e, None).is_ok());
        assert!(check(&e, Some(24.0)).is_ok());
        let err = check(&e, Some(23.5)).unwrap_err().to_string();
        assert!(
            err.contains("24.00 node-hours") && err.contains("23.50"),
            "{err}"
        );
    }
}

/// Whether a trial in `status` is submitted by a run that reruns `rerun`: planned trials
/// always, finished ones only when asked. The budget and the dry-run listing both use it.
pub fn will_submit(status: TrialStatus, rerun: &[TrialStatus]) -> bool {
    status == TrialStatus::Planned || rerun.contains(&status)
}
