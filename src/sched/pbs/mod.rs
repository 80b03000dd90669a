//! The `pbs` scheduler: `qsub` in the trial directory, one `qstat -x -f -F json <ids…>`
//! per poll for every job in flight, `qdel` to cancel (docs/pbs.md).
//!
//! What the real server does that a driver must survive, and how it is handled here:
//! job ids reported shorter than qsub printed them ([`job_id::same_job`]); invalid JSON
//! ([`lenient_json`]); a qstat that fails or prints nothing (an error: the poll says
//! nothing, the jobs are not finished); a job that vanishes from `qstat -x` (reported
//! [`JobState::Lost`] only after `lost_after` of absence, never at once); a job deleted
//! before it ran ([`JobState::EndedWithoutExit`]).

pub mod job_id;
pub mod lenient_json;
pub mod qstat;

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{JobRequest, JobState, Scheduler};
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

/// PBS's own message for a failed command: its stderr (else stdout) and the exit code.
fn pbs_message(command: &str, out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text = if stderr.trim().is_empty() {
        stdout.trim()
    } else {
        stderr.trim()
    };
    let code = out
        .status
        .code()
        .map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
    if text.is_empty() {
        format!("{command} failed ({code}) and printed nothing")
    } else {
        format!("{text} ({command} {code})")
    }
}

fn run(program: &str, args: &[String], dir: Option<&std::path::Path>) -> Result<Output, String> {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("cannot run {program}: not found on PATH (is this a PBS login node?)")
        } else {
            format!("cannot run {program}: {e}")
        }
    })
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

impl Scheduler for PbsScheduler {
    fn name(&self) -> &'static str {
        "pbs"
    }

    fn submit(&mut self, job: &JobRequest) -> Result<String, String> {
        let mut args = Vec::new();
        if !job.after.is_empty() {
            args.push("-W".to_string());
            args.push(format!("depend=afterok:{}", job.after.join(":")));
        }
        args.push(job.script.display().to_string());
        let out = run("qsub", &args, Some(&job.trial_dir))?;
        if !out.status.success() {
            return Err(pbs_message("qsub", &out));
        }
        job_id::from_qsub_output(&String::from_utf8_lossy(&out.stdout))
    }

    fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, String> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<String> = ["-x", "-f", "-F", "json"].map(String::from).to_vec();
        args.extend(ids.iter().cloned());
        let out = run("qstat", &args, None)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let unknown = unknown_ids(&stderr);
        // qstat exits non-zero when any id is unknown and still reports the others.
        let report = if stdout.trim().is_empty() {
            if unknown.is_empty() {
                return Err(format!(
                    "qstat printed no report: {}",
                    pbs_message("qstat", &out)
                ));
            }
            None
        } else {
            Some(qstat::parse(&stdout).map_err(|e| {
                format!(
                    "qstat report unreadable ({e}); {}",
                    pbs_message("qstat", &out)
                )
            })?)
        };
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            let found = report
                .as_ref()
                .and_then(|jobs| jobs.iter().find(|j| job_id::same_job(id, &j.key)));
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
                None if unknown.iter().any(|u| job_id::same_job(id, u)) => {
                    self.missing(id, "qstat: Unknown Job Id")
                }
                None if report.is_some() => self.missing(id, "not in the report"),
                // No report and not named: qstat said nothing about this job.
                None => JobState::Unknown(format!("qstat said nothing about job {id}")),
            };
            states.push((id.clone(), state));
        }
        Ok(states)
    }

    fn cancel(&mut self, id: &str) -> Result<(), String> {
        let out = run("qdel", &[id.to_string()], None)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(pbs_message("qdel", &out))
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

    fn note(&self, id: &str) -> Option<String> {
        self.notes.get(id).cloned()
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
