//! Reading `qstat -x -f -F json` reports: the jobs, their PBS states, and what each state
//! means to the submit loop. `Variable_List` (the job's environment, where most of PBS's
//! JSON bugs come from) is never looked at.

use serde_json::Value;

use super::lenient_json::{self, as_i64};
use super::outcome;
use crate::sched::JobState;

/// The fields of one job the driver uses.
#[derive(Debug, Clone, PartialEq)]
pub struct QstatJob {
    /// The key under `Jobs` (possibly shorter than the id qsub printed).
    pub key: String,
    /// `job_state`: one letter (Q, H, W, T, R, E, B, S, U, M, F, X).
    pub state: String,
    pub substate: Option<i64>,
    /// Only present once the job ran.
    pub exit_status: Option<i64>,
    /// Why the job waits or how it ended, in PBS's words.
    pub comment: Option<String>,
    pub queue: Option<String>,
    /// `resources_used.walltime`, `HH:MM:SS`.
    pub walltime_used: Option<String>,
    /// `depend` (`afterok:<id>@<server>…`): the jobs this one waits for.
    pub depend: Option<String>,
}

/// Why a qstat report has no jobs to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Syntax(#[from] lenient_json::SyntaxError),
    #[error("qstat JSON is not an object")]
    NotAnObject,
    #[error("qstat JSON: `Jobs` is not an object")]
    JobsNotAnObject,
}

/// Reads a report; a document without `Jobs` has no jobs (PBS omits the key then).
pub fn parse(text: &str) -> Result<Vec<QstatJob>, ReportError> {
    let doc = lenient_json::parse(text)?;
    let Some(top) = doc.as_object() else {
        return Err(ReportError::NotAnObject);
    };
    let jobs = match top.get("Jobs") {
        None => return Ok(Vec::new()),
        Some(Value::Object(jobs)) => jobs,
        Some(_) => return Err(ReportError::JobsNotAnObject),
    };
    let text_of = |job: &Value, key: &str| job.get(key).and_then(Value::as_str).map(String::from);
    Ok(jobs
        .iter()
        .map(|(key, job)| QstatJob {
            key: key.clone(),
            state: text_of(job, "job_state").unwrap_or_default(),
            substate: job.get("substate").and_then(as_i64),
            exit_status: job.get("Exit_status").and_then(as_i64),
            comment: text_of(job, "comment"),
            queue: text_of(job, "queue"),
            walltime_used: job
                .get("resources_used")
                .and_then(|r| r.get("walltime"))
                .and_then(Value::as_str)
                .map(String::from),
            depend: text_of(job, "depend"),
        })
        .collect())
}

/// What a PBS job state means to the submit loop. Q queued, H held (e.g. waiting on an
/// `afterok` parent), W waiting for its start time, T in transit, M moved: not started.
/// R running, E exiting, B an array with a running subjob, S/U suspended (it holds its
/// nodes): started. F finished (X a finished subjob): over, classified by
/// [`outcome::classify`].
pub fn job_state(job: &QstatJob) -> JobState {
    match job.state.as_str() {
        "Q" | "H" | "W" | "T" | "M" => JobState::Queued,
        "R" | "E" | "B" | "S" | "U" => JobState::Running,
        "F" | "X" => JobState::Ended(outcome::classify(job)),
        other => JobState::Unknown(format!("PBS job state `{other}` not understood")),
    }
}

/// A one-line note on a job that has not ended: its state and PBS's comment.
pub fn note(job: &QstatJob) -> String {
    let name = match job.state.as_str() {
        "Q" => "queued",
        "H" => "held",
        "W" => "waiting for its start time",
        "T" => "in transit",
        "M" => "moved",
        "R" => "running",
        "E" => "exiting",
        "B" => "array running",
        "S" | "U" => "suspended",
        "F" | "X" => "finished",
        _ => "in an unknown state",
    };
    let mut text = format!("PBS: {name} ({})", job.state);
    if let Some(q) = &job.queue {
        text.push_str(&format!(" in {q}"));
    }
    if let Some(c) = job.comment.as_deref().filter(|c| !c.is_empty()) {
        text.push_str(&format!(": {c}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::{EndKind, Outcome};

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/sched/pbs/fixtures")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The kind and exit status of an end (the details are PBS's words).
    fn exit_of(state: &JobState) -> (EndKind, Option<i64>) {
        match state {
            JobState::Ended(o) => (o.kind, o.exit_status),
            JobState::Queued => (EndKind::NeverRan, Some(1000)),
            JobState::Running => (EndKind::NeverRan, Some(1001)),
            other => panic!("{other:?}"),
        }
    }

    fn by_key<'a>(jobs: &'a [QstatJob], key: &str) -> &'a QstatJob {
        jobs.iter().find(|j| j.key.starts_with(key)).unwrap()
    }

    #[test]
    fn a_polaris_report_gives_every_state_and_exit() {
        let jobs = parse(&fixture("polaris-lifecycle.json")).unwrap();
        assert_eq!(jobs.len(), 6);
        let queued = by_key(&jobs, "640001.");
        assert_eq!(job_state(queued), JobState::Queued);
        assert_eq!(
            note(queued),
            "PBS: queued (Q) in small: Not Running: Job would conflict with reservation or top job"
        );
        assert_eq!(job_state(by_key(&jobs, "640002.")), JobState::Running);
        assert_eq!(
            job_state(by_key(&jobs, "640003.")),
            JobState::Ended(Outcome::exited(0))
        );
        let killed = by_key(&jobs, "640004.");
        assert_eq!(exit_of(&job_state(killed)), (EndKind::Walltime, Some(-29)));
        assert_eq!(killed.walltime_used.as_deref(), Some("00:10:35"));
        assert_eq!(killed.substate, Some(93));
        assert_eq!(job_state(by_key(&jobs, "640005.")), JobState::Queued);
        assert_eq!(
            exit_of(&job_state(by_key(&jobs, "640006."))),
            (EndKind::DependencyFailed, None)
        );
    }

    #[test]
    fn the_known_broken_outputs_are_read() {
        for (file, key, state) in [
            ("invalid-escape.json", "7101.", JobState::Running),
            ("unquoted-number.json", "7102.", JobState::Queued),
            (
                "duplicate-keys.json",
                "7103.",
                JobState::Ended(Outcome::new(EndKind::Killed, Some(271), "")),
            ),
            (
                "unescaped-quote.json",
                "7104.",
                JobState::Ended(Outcome::exited(3)),
            ),
            ("bash-func.json", "7105.", JobState::Running),
        ] {
            let jobs = parse(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(exit_of(&job_state(by_key(&jobs, key))), exit_of(&state), "{file}");
        }
        // serde_json itself refuses every one of them (otherwise the fixture tests nothing).
        for file in [
            "invalid-escape.json",
            "unquoted-number.json",
            "unescaped-quote.json",
            "bash-func.json",
        ] {
            assert!(
                serde_json::from_str::<Value>(&fixture(file)).is_err(),
                "{file}"
            );
        }
    }

    #[test]
    fn a_comment_with_quotes_keeps_its_text() {
        let jobs = parse(&fixture("unescaped-quote.json")).unwrap();
        assert_eq!(
            jobs[0].comment.as_deref(),
            Some(
                r#"Job run at Fri Nov 10 at 11:34 on (x3001c0s13b0n0:ncpus=64) and failed: "xvr" said "bad""#
            )
        );
    }

    #[test]
    fn a_report_without_jobs_has_none_and_junk_is_an_error() {
        assert_eq!(
            parse(r#"{"timestamp":1,"pbs_version":"2024.1.2","pbs_server":"p"}"#).unwrap(),
            vec![]
        );
        assert!(parse("").is_err());
        assert!(parse(r#"{"Jobs": []}"#).is_err());
    }
}
