//! The `pbs` scheduler: `qsub` in the trial directory, one `qstat -x -f -F json <ids…>`
//! per poll for every job in flight, `qdel` to cancel (docs/pbs.md).
//!
//! What the real server does that a driver must survive, and how it is handled here:
//! job ids reported shorter than qsub printed them ([`job_id::same_job`]); invalid JSON
//! ([`lenient_json`]); a qstat that fails or prints nothing (an error: the poll says
//! nothing, the jobs are not finished); a job that vanishes from `qstat -x` (reported
//! [`JobState::Lost`] only after `lost_after` of absence, never at once, and only after
//! asking for it alone: OpenPBS's batched JSON answer lists only the first job); how a
//! job ended, from PBS's comment, substate and exit status ([`outcome`]).

pub mod error;
pub mod job_id;
pub mod lenient_json;
pub mod outcome;
pub mod qstat;

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{JobRequest, JobState, LoopDefaults, Scheduler, SchedulerError};
pub use error::{PbsError, PbsMessage};
use crate::plan::shell::quote;
use crate::plan::walltime;

/// Polling settings of the PBS adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct PbsSettings {
    /// Time between two qstat calls. PBS servers suffer from frequent `qstat -f`; the
    /// default is one call a minute, as ALCF and Parsl ask.
    pub poll_interval: Duration,
    /// How long a job may be missing from `qstat -x` before it counts as lost. Short
    /// absences happen (server restarts, a job between queues); `qstat -x` keeps finished
    /// jobs for two weeks on Polaris, so a job gone for minutes is really gone.
    pub lost_after: Duration,
}

impl Default for PbsSettings {
    fn default() -> Self {
        PbsSettings {
            poll_interval: Duration::from_secs(60),
            lost_after: Duration::from_secs(600),
        }
    }
}

/// Shells out to `qsub`, `qstat` and `qdel` found on PATH.
pub struct PbsScheduler {
    settings: PbsSettings,
    /// When each job was first missing from a qstat report, while it stays missing.
    missing_since: HashMap<String, Instant>,
    /// The latest qstat word on each job (state and comment), for state.json.
    notes: HashMap<String, String>,
    /// `resources_used.walltime` of each job, in seconds, once reported.
    used: HashMap<String, u64>,
}

impl PbsScheduler {
    pub fn new(settings: PbsSettings) -> Self {
        PbsScheduler {
            settings,
            missing_since: HashMap::new(),
            notes: HashMap::new(),
            used: HashMap::new(),
        }
    }

    /// A job absent from the report: unknown for now, lost once absent long enough.
    fn missing(&mut self, id: &str, why: &str) -> JobState {
        let since = *self
            .missing_since
            .entry(id.to_string())
            .or_insert_with(Instant::now);
        let gone = since.elapsed();
        if gone >= self.settings.lost_after {
            JobState::Lost(format!(
                "job {id} missing from `qstat -x` for {} s ({why})",
                gone.as_secs()
            ))
        } else {
            JobState::Unknown(format!("job {id} missing from `qstat -x` ({why})"))
        }
    }
}

/// Runs a PBS command (`qsub`, `qstat`, `qdel`) and collects its output.
fn command_output(
    program: &'static str,
    args: &[String],
    dir: Option<&std::path::Path>,
) -> Result<Output, PbsError> {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.output().map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            PbsError::NotFound { program }
        } else {
            PbsError::CannotRun { program, source }
        }
    })
}

/// qsub's arguments for a job, run in its trial directory. The project and queue go on
/// the command line, which PBS lets override the script's directives (`--account`,
/// `--queue` on a planned sweep).
fn qsub_args(job: &JobRequest) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(account) = &job.account {
        args.extend(["-A".to_string(), account.clone()]);
    }
    args.extend(["-q".to_string(), job.queue.clone()]);
    if !job.after.is_empty() {
        args.push("-W".to_string());
        args.push(format!("depend=afterok:{}", job.after.join(":")));
    }
    args.push(job.script.display().to_string());
    args
}

/// Ids that qstat's error output names as unknown (`qstat: Unknown Job Id <id>`).
fn unknown_ids(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            l.split_once("Unknown Job Id")
                .map(|(_, id)| id.trim().to_string())
        })
        .filter(|id| !id.is_empty())
        .collect()
}

/// What one or more qstat calls said.
#[derive(Default)]
struct Report {
    jobs: Vec<qstat::QstatJob>,
    /// Ids qstat named as unknown.
    unknown: Vec<String>,
    /// Whether some call printed a report (so a job absent from it is missing, rather
    /// than merely not asked about).
    answered: bool,
}

impl Report {
    fn find(&self, id: &str) -> Option<&qstat::QstatJob> {
        self.jobs.iter().find(|j| job_id::same_job(id, &j.key))
    }

    fn named_unknown(&self, id: &str) -> bool {
        self.unknown.iter().any(|u| job_id::same_job(id, u))
    }

    /// Whether qstat said something about `id`: its record, or that it is unknown.
    fn covers(&self, id: &str) -> bool {
        self.find(id).is_some() || self.named_unknown(id)
    }

    fn absorb(&mut self, other: Report) {
        self.jobs.extend(other.jobs);
        self.unknown.extend(other.unknown);
        self.answered |= other.answered;
    }
}

impl PbsScheduler {
    /// One `qstat -x -f -F json <ids…>`. An error when qstat could not be asked or its
    /// answer cannot be read: a failed poll says nothing about the jobs.
    fn query(&self, ids: &[String]) -> Result<Report, PbsError> {
        let mut args: Vec<String> = ["-x", "-f", "-F", "json"].map(String::from).to_vec();
        args.extend(ids.iter().cloned());
        let out = command_output("qstat", &args, None)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let unknown = unknown_ids(&stderr);
        // qstat exits non-zero when any id is unknown and still reports the others.
        if stdout.trim().is_empty() {
            if unknown.is_empty() {
                return Err(PbsError::NoReport(PbsMessage::of("qstat", &out)));
            }
            return Ok(Report {
                unknown,
                ..Report::default()
            });
        }
        let jobs = qstat::parse(&stdout).map_err(|source| PbsError::Unreadable {
            source,
            message: PbsMessage::of("qstat", &out),
        })?;
        Ok(Report {
            jobs,
            unknown,
            answered: true,
        })
    }
}

impl Scheduler for PbsScheduler {
    fn name(&self) -> &'static str {
        "pbs"
    }

    fn submit(&mut self, job: &JobRequest) -> Result<String, SchedulerError> {
        let out = command_output("qsub", &qsub_args(job), Some(&job.trial_dir))?;
        if !out.status.success() {
            return Err(PbsError::Refused(PbsMessage::of("qsub", &out)).into());
        }
        Ok(job_id::from_qsub_output(&String::from_utf8_lossy(&out.stdout)).map_err(PbsError::from)?)
    }

    fn describe_submission(&self, job: &JobRequest) -> String {
        let words: Vec<String> = qsub_args(job).iter().map(|a| quote(a)).collect();
        format!("(cd {} && qsub {})", quote(&job.trial_dir.display().to_string()), words.join(" "))
    }

    fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, SchedulerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut report = self.query(ids)?;
        // OpenPBS 23.06 prints only the first job for `qstat -x -f -F json ID1 ID2 …`
        // (openpbs issue #2672): ask again, one by one, for every job a batched answer
        // left out, before any of them counts as missing. Nothing is asked twice when the
        // batched answer is complete.
        if ids.len() > 1 {
            let left_out: Vec<String> = ids
                .iter()
                .filter(|id| !report.covers(id))
                .cloned()
                .collect();
            for id in left_out {
                let single = self.query(std::slice::from_ref(&id))?;
                report.absorb(single);
            }
        }
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            let found = report.find(id);
            let state = match found {
                Some(job) => {
                    self.missing_since.remove(id);
                    self.notes.insert(id.clone(), qstat::note(job));
                    if let Some(s) = job
                        .walltime_used
                        .as_deref()
                        .and_then(|w| walltime::parse(w).ok())
                    {
                        self.used.insert(id.clone(), s);
                    }
                    qstat::job_state(job)
                }
                None if report.named_unknown(id) => self.missing(id, "qstat: Unknown Job Id"),
                None if report.answered => self.missing(id, "not in the report"),
                // No report and not named: qstat said nothing about this job.
                None => JobState::Unknown(format!("qstat said nothing about job {id}")),
            };
            states.push((id.clone(), state));
        }
        Ok(states)
    }

    fn cancel(&mut self, id: &str) -> Result<(), SchedulerError> {
        let out = command_output("qdel", &[id.to_string()], None)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(PbsError::Refused(PbsMessage::of("qdel", &out)).into())
        }
    }

    fn poll_interval(&self) -> Duration {
        self.settings.poll_interval
    }

    fn is_alive(&mut self, id: &str) -> bool {
        matches!(
            self.poll(&[id.to_string()]).as_deref(),
            Ok([(
                _,
                JobState::Queued | JobState::Running | JobState::Unknown(_)
            )])
        )
    }

    fn adopts_jobs(&self) -> bool {
        true
    }

    fn charges_an_account(&self) -> bool {
        true
    }

    fn loop_defaults(&self) -> LoopDefaults {
        // No cap of its own: the queues' max_jobs apply. Three submissions let a
        // walltime-killed trial resume twice in one run.
        LoopDefaults {
            max_parallel: usize::MAX,
            max_attempts: 3,
        }
    }

    fn note(&self, id: &str) -> Option<String> {
        self.notes.get(id).cloned()
    }

    fn cannot_start(&self, id: &str) -> Option<String> {
        // qsub accepts a job no node can run as requested; only the comment says so.
        self.notes
            .get(id)
            .filter(|n| n.contains("Can Never Run"))
            .cloned()
    }

    fn used_walltime_s(&self, id: &str) -> Option<f64> {
        self.used.get(id).map(|&s| s as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_are_read_from_qstat_errors() {
        let stderr = "qstat: Unknown Job Id 12.pbs\nqstat: Unknown Job Id 13.pbs\n";
        assert_eq!(unknown_ids(stderr), ["12.pbs", "13.pbs"]);
        assert!(unknown_ids("qstat: cannot connect to server pbs (errno=111)").is_empty());
    }

    #[test]
    fn a_job_is_lost_only_after_the_grace_period() {
        let mut pbs = PbsScheduler::new(PbsSettings {
            poll_interval: Duration::from_millis(1),
            lost_after: Duration::from_millis(150),
        });
        assert!(matches!(pbs.missing("1.s", "gone"), JobState::Unknown(_)));
        std::thread::sleep(Duration::from_millis(200));
        match pbs.missing("1.s", "gone") {
            JobState::Lost(why) => assert!(why.contains("missing from `qstat -x`"), "{why}"),
            other => panic!("{other:?}"),
        }
        // A job seen again starts a new clock.
        pbs.missing_since.remove("1.s");
        assert!(matches!(pbs.missing("1.s", "gone"), JobState::Unknown(_)));
    }
}
