//! `xvr status`: one row per trial — its axes, job, queue, state, attempts, time used of
//! its walltime, the last training loss and, once done, the validation PSNR — then the
//! count per state, and for trials whose job failed on its own (exit 1-255) the last lines
//! of their job.out, where the cause usually is.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::submit::status_name;
use super::{local, state, sweep_dir, JobRequest};
use super::sweep_dir::SweepDirError;
use crate::plan::table::align;
use crate::plan::walltime;
use crate::results::{last_train_row, names, TrialState, TrialStatus};

/// Lines of job.out shown for a failed job.
pub const OUTPUT_TAIL_LINES: usize = 5;

/// Renders the state of each trial.
pub fn render(jobs: &[JobRequest]) -> Result<String, SweepDirError> {
    let (axis_names, axis_values) = match jobs.first().and_then(|j| sweep_of(&j.trial_dir)) {
        Some(sweep) => sweep_dir::axes(sweep)?,
        None => Default::default(),
    };
    let mut header: Vec<String> = vec!["trial".into()];
    header.extend(axis_names.iter().cloned());
    header.extend(
        [
            "job",
            "queue",
            "state",
            "attempts",
            "elapsed/walltime",
            "loss",
            "psnr_db",
            "exit",
            "reason",
        ]
        .map(String::from),
    );
    let mut rows = vec![header];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut tails = String::new();
    let now = Utc::now();
    let mut warnings = String::new();
    for job in jobs {
        let mut row = vec![job.trial_id.clone()];
        match axis_values.get(&job.trial_id) {
            Some(values) => row.extend(values.iter().cloned()),
            None => row.extend(axis_names.iter().map(|_| String::new())),
        }
        // One damaged state.json hides that trial's state, not the others'.
        let s = match state::read(&job.trial_dir) {
            Ok(s) => s,
            Err(e) => {
                *counts.entry(UNREADABLE.into()).or_default() += 1;
                row.extend([String::new(), job.queue.clone(), UNREADABLE.into()]);
                row.resize(rows[0].len(), String::new());
                rows.push(row);
                warnings.push_str(&format!(
                    "warning: trial {}: {e}; its state is unknown (restore or delete the file; deleted, the trial counts as planned)\n",
                    job.trial_id
                ));
                continue;
            }
        };
        let gone = ended_unrecorded(&s);
        let name = if gone {
            GONE.to_string()
        } else {
            status_name(s.status)
        };
        *counts.entry(name.clone()).or_default() += 1;
        if gone {
            warnings.push_str(&format!(
                "warning: trial {}: job {} is no longer running and nobody recorded how it ended (its xvr submit was killed); `xvr submit` runs it again\n",
                job.trial_id,
                s.job_id.as_deref().unwrap_or_default()
            ));
        }
        for problem in file_problems(&job.trial_dir, &s) {
            warnings.push_str(&format!("warning: trial {}: {problem}\n", job.trial_id));
        }
        row.extend([
            s.job_id.clone().unwrap_or_default(),
            s.queue.clone().unwrap_or_else(|| job.queue.clone()),
            name,
            s.attempts.to_string(),
            format!(
                "{}/{}",
                elapsed(&s, now).map_or("-".into(), walltime::format),
                walltime::format(job.walltime_s)
            ),
            last_train_row(&job.trial_dir).map_or(String::new(), |r| format!("{:.4}", r.loss)),
            if s.status == TrialStatus::Succeeded {
                psnr(&job.trial_dir).map_or(String::new(), |p| format!("{p:.2}"))
            } else {
                String::new()
            },
            s.exit_status.map(|e| e.to_string()).unwrap_or_default(),
            s.reason.clone().unwrap_or_default(),
        ]);
        rows.push(row);
        if s.status == TrialStatus::Failed && s.exit_status.is_some_and(|e| (1..=255).contains(&e))
        {
            tails.push_str(&output_tail(&job.trial_id, &job.trial_dir, &s));
        }
    }
    let mut out = align(&rows);
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    out.push_str(&format!("{} trials: {}\n", jobs.len(), summary.join(", ")));
    out.push_str(&warnings);
    out.push_str(&tails);
    Ok(out)
}

/// State shown for a trial whose state.json cannot be read.
const UNREADABLE: &str = "unreadable";
/// State shown for a local job recorded as running whose processes are all gone.
const GONE: &str = "gone";

/// Whether no trial is submitted or running any more (`--watch` stops then). A trial whose
/// state cannot be read, or whose local job ended unrecorded, is not going to change.
pub fn settled(jobs: &[JobRequest]) -> bool {
    !jobs.iter().any(|job| {
        state::read(&job.trial_dir).is_ok_and(|s| {
            matches!(s.status, TrialStatus::Submitted | TrialStatus::Running) && !ended_unrecorded(&s)
        })
    })
}

/// A local job recorded as submitted or running whose process group no longer exists: its
/// submitter died before it could record the end (a PBS job's end is in `qstat -x`).
fn ended_unrecorded(s: &TrialState) -> bool {
    matches!(s.status, TrialStatus::Submitted | TrialStatus::Running)
        && s.scheduler.as_deref() == Some("local")
        && s.job_id
            .as_deref()
            .and_then(local::process_group)
            .is_some_and(|pgid| !local::group_alive(pgid))
}

/// Result files that exist but cannot be used: shown as warnings rather than as blanks.
fn file_problems(trial_dir: &Path, s: &TrialState) -> Vec<String> {
    let mut problems = Vec::new();
    let summary = trial_dir.join(names::SUMMARY_JSON);
    if s.status == TrialStatus::Succeeded {
        match std::fs::read(&summary) {
            Err(e) => problems.push(format!("{}: {e}", summary.display())),
            Ok(bytes) => {
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    problems.push(format!(
                        "{}: unreadable ({e}); the trial's results cannot be used",
                        summary.display()
                    ));
                }
            }
        }
    }
    // A running trial may be mid-row; any other train.csv must end with a complete row.
    let train = trial_dir.join(names::TRAIN_CSV);
    if s.status != TrialStatus::Running {
        if let Ok(text) = std::fs::read_to_string(&train) {
            let rows = text.lines().skip(1).count();
            if rows > 0 && (!text.ends_with('\n') || last_train_row(trial_dir).is_none()) {
                problems.push(format!(
                    "{}: the last row is incomplete (truncated file?)",
                    train.display()
                ));
            }
        }
    }
    problems
}

/// `results/<sweep>` from `results/<sweep>/trials/<id>`.
fn sweep_of(trial_dir: &Path) -> Option<&Path> {
    trial_dir.parent()?.parent()
}

/// Run time of the last attempt: recorded once it ended, counted from its start while
/// it runs.
fn elapsed(s: &TrialState, now: DateTime<Utc>) -> Option<u64> {
    if let Some(t) = s.elapsed_s {
        return Some(t.max(0.0).round() as u64);
    }
    if s.status != TrialStatus::Running {
        return None;
    }
    let started = DateTime::parse_from_rfc3339(s.started_at.as_deref()?).ok()?;
    Some((now - started.with_timezone(&Utc)).num_seconds().max(0) as u64)
}

/// `psnr_db` of summary.json.
fn psnr(trial_dir: &Path) -> Option<f64> {
    let bytes = std::fs::read(trial_dir.join(names::SUMMARY_JSON)).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("psnr_db")?
        .as_f64()
}

fn output_tail(trial: &str, trial_dir: &Path, s: &TrialState) -> String {
    let path = trial_dir.join(names::JOB_OUTPUT);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(OUTPUT_TAIL_LINES)..];
    let mut out = format!(
        "\ntrial {trial} failed with exit {}; last lines of {}:\n",
        s.exit_status.unwrap_or_default(),
        path.display()
    );
    if tail.is_empty() {
        out.push_str("  (no output)\n");
    }
    for line in tail {
        out.push_str(&format!("  | {line}\n"));
    }
    out
}
