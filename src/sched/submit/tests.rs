//! The submit loop against a scheduler that answers from a script.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::time::Duration;

use super::*;
use crate::results::names;
use crate::sched::pbs::{PbsError, PbsMessage};
use crate::sched::{state, EndKind, JobState, Outcome, SchedulerError};

/// A scheduler whose polls answer from a script, one answer per call, the same
/// answer for every job in flight; it records submissions and polls.
struct Scripted {
    answers: VecDeque<Result<JobState, SchedulerError>>,
    submitted: Vec<String>,
    /// Jobs in flight when each submission happened.
    in_flight_at_submit: Vec<usize>,
    in_flight: HashSet<String>,
    polls: usize,
    /// Each submitted job writes its trial's summary.json (the worker finishing).
    writes_summary: bool,
    /// A directory the first poll creates (what the job wrote).
    on_first_poll: Option<std::path::PathBuf>,
}

impl Scripted {
    fn new(answers: Vec<Result<JobState, SchedulerError>>) -> Self {
        Scripted {
            answers: answers.into(),
            submitted: Vec::new(),
            in_flight_at_submit: Vec::new(),
            in_flight: HashSet::new(),
            polls: 0,
            writes_summary: false,
            on_first_poll: None,
        }
    }
}

impl Scheduler for Scripted {
    fn name(&self) -> &'static str {
        "pbs"
    }
    fn submit(&mut self, job: &JobRequest) -> Result<String, SchedulerError> {
        if self.writes_summary {
            std::fs::write(job.trial_dir.join(names::SUMMARY_JSON), "{}").unwrap();
        }
        self.in_flight_at_submit.push(self.in_flight.len());
        let id = format!("{}.server", self.submitted.len() + 1);
        self.submitted.push(id.clone());
        self.in_flight.insert(id.clone());
        Ok(id)
    }
    fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, SchedulerError> {
        self.polls += 1;
        if let Some(dir) = self.on_first_poll.take() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let answer = self
            .answers
            .pop_front()
            .expect("polled after the script ended")?;
        if matches!(answer, JobState::Ended(_)) {
            for id in ids {
                self.in_flight.remove(id);
            }
        }
        Ok(ids.iter().map(|id| (id.clone(), answer.clone())).collect())
    }
    fn cancel(&mut self, _id: &str) -> Result<(), SchedulerError> {
        Ok(())
    }
    fn describe_submission(&self, job: &JobRequest) -> String {
        job.trial_id.clone()
    }
    fn poll_interval(&self) -> Duration {
        Duration::ZERO
    }
    fn is_alive(&mut self, _id: &str) -> bool {
        false
    }
    fn loop_defaults(&self) -> crate::sched::LoopDefaults {
        crate::sched::LoopDefaults {
            max_parallel: 1,
            max_attempts: 3,
        }
    }
}

fn trials(root: &Path, n: usize) -> Vec<JobRequest> {
    (0..n)
        .map(|k| {
            let dir = root.join(format!("t{k}"));
            std::fs::create_dir_all(&dir).unwrap();
            JobRequest {
                trial_id: format!("t{k}"),
                script: dir.join(names::JOB_SCRIPT),
                trial_dir: dir,
                job_name: format!("t{k}"),
                queue: "debug".into(),
                nodes: 1,
                walltime_s: 60,
                after: vec![],
                account: None,
            }
        })
        .collect()
}

fn submit_all(jobs: Vec<JobRequest>, sched: &mut Scripted, opts: &SubmitOptions) -> SubmitReport {
    submit(jobs, sched, opts, &mut Vec::new()).unwrap()
}

#[test]
fn failed_and_empty_polls_never_end_a_trial_and_exit_0_needs_the_summary() {
    let root = tempfile::tempdir().unwrap();
    let script = || {
        vec![
            Err(PbsError::NoReport(PbsMessage {
                command: "qstat",
                text: "qstat: cannot connect to server".into(),
                exit_code: Some(2),
            })
            .into()),
            Ok(JobState::Unknown("missing from qstat -x".into())),
            Ok(JobState::Queued),
            Ok(JobState::Running),
            Ok(JobState::Ended(Outcome::exited(0))),
        ]
    };
    let jobs = trials(root.path(), 1);
    let mut sched = Scripted::new(script());
    submit_all(jobs.clone(), &mut sched, &SubmitOptions::default());
    assert_eq!(sched.polls, 5, "the loop waited through every non-answer");
    let s = state::read(&jobs[0].trial_dir).unwrap();
    assert_eq!((s.status, s.exit_status), (TrialStatus::Failed, Some(0)));
    assert!(s.reason.unwrap().contains("no summary.json"));

    // The same with the trial's summary written by the job: a success.
    let mut sched = Scripted::new(script());
    sched.writes_summary = true;
    let opts = SubmitOptions {
        rerun: vec![TrialStatus::Failed],
        ..SubmitOptions::default()
    };
    let report = submit_all(jobs.clone(), &mut sched, &opts);
    assert_eq!((report.started, report.succeeded), (1, 1));
    let s = state::read(&jobs[0].trial_dir).unwrap();
    assert_eq!((s.status, s.attempts), (TrialStatus::Succeeded, 2));
}

#[test]
fn walltime_kills_are_resubmitted_up_to_max_attempts() {
    let root = tempfile::tempdir().unwrap();
    let jobs = trials(root.path(), 1);
    let checkpoint = jobs[0].trial_dir.join(names::CHECKPOINT_DIR);
    let walltime = |exit| Ok(JobState::Ended(Outcome::new(EndKind::Walltime, Some(exit), "walltime")));
    let mut sched = Scripted::new(vec![walltime(-29), walltime(-29)]);
    // The first job leaves a checkpoint (as the worker does when SIGTERM arrives); the
    // resubmission resumes from it.
    sched.on_first_poll = Some(checkpoint);
    let opts = SubmitOptions {
        max_attempts: 2,
        ..SubmitOptions::default()
    };
    let report = submit_all(jobs.clone(), &mut sched, &opts);
    assert_eq!(
        (report.started, report.resumed, report.unsuccessful),
        (2, 1, 1)
    );
    let s = state::read(&jobs[0].trial_dir).unwrap();
    assert_eq!(
        (s.status, s.attempts, s.exit_status),
        (TrialStatus::TimedOut, 2, Some(-29))
    );
    assert_eq!(s.job_id.as_deref(), Some("2.server"));
}

#[test]
fn a_cancelled_job_is_never_resubmitted_and_a_trial_with_its_summary_never_fails() {
    let root = tempfile::tempdir().unwrap();
    let jobs = trials(root.path(), 1);
    let qdel = Outcome::new(EndKind::CancelledByUser, Some(271), "PBS: terminated by u@h");
    let mut sched = Scripted::new(vec![Ok(JobState::Ended(qdel))]);
    let report = submit_all(jobs.clone(), &mut sched, &SubmitOptions::default());
    assert_eq!((sched.submitted.len(), report.resumed), (1, 0));
    let s = state::read(&jobs[0].trial_dir).unwrap();
    assert_eq!(s.status, TrialStatus::Cancelled);
    assert!(s.reason.unwrap().contains("terminated by u@h"));

    // Lost, but its summary.json is there: it finished, and `--retry` leaves it.
    let jobs = trials(&root.path().join("b"), 1);
    let mut sched = Scripted::new(vec![Ok(JobState::Lost("gone".into()))]);
    sched.writes_summary = true;
    let report = submit_all(jobs.clone(), &mut sched, &SubmitOptions::default());
    assert_eq!(report.succeeded, 1);
    assert_eq!(state::read(&jobs[0].trial_dir).unwrap().status, TrialStatus::Succeeded);
    let mut failed = state::read(&jobs[0].trial_dir).unwrap();
    failed.status = TrialStatus::Failed;
    state::write(&jobs[0].trial_dir, &failed).unwrap();
    let opts = SubmitOptions {
        rerun: RETRY_ALL.to_vec(),
        ..SubmitOptions::default()
    };
    let mut sched = Scripted::new(vec![]);
    let report = submit_all(jobs, &mut sched, &opts);
    assert_eq!((sched.submitted.len(), report.skipped), (0, 1));
}

#[test]
fn a_queue_limit_holds_trials_back_instead_of_submitting_them() {
    let root = tempfile::tempdir().unwrap();
    let jobs = trials(root.path(), 3);
    let mut sched = Scripted::new((0..3).map(|_| Ok(JobState::Ended(Outcome::exited(0)))).collect());
    sched.writes_summary = true;
    let opts = SubmitOptions {
        max_parallel: usize::MAX,
        queue_limits: HashMap::from([("debug".to_string(), 1)]),
        ..SubmitOptions::default()
    };
    let report = submit_all(jobs, &mut sched, &opts);
    assert_eq!(report.succeeded, 3);
    assert_eq!(sched.in_flight_at_submit, [0, 0, 0]);
}

#[test]
fn the_budget_stops_submissions_that_would_exceed_it() {
    let root = tempfile::tempdir().unwrap();
    let jobs = trials(root.path(), 3);
    // Each trial: 1 node x 60 s = 1/60 node-hour; two fit in 0.04.
    let mut sched = Scripted::new(vec![Ok(JobState::Ended(Outcome::exited(3)))]);
    let opts = SubmitOptions {
        max_parallel: usize::MAX,
        budget_node_hours: Some(0.04),
        ..SubmitOptions::default()
    };
    let report = submit_all(jobs.clone(), &mut sched, &opts);
    assert_eq!((sched.submitted.len(), report.unsuccessful), (2, 3));
    let held = state::read(&jobs[2].trial_dir).unwrap();
    assert_eq!(held.status, TrialStatus::Planned);
    assert!(held.reason.unwrap().contains("exceed the budget"));
}
