//! `xvr status`: every trial's state as a table, and the count per state.

use std::collections::BTreeMap;

use super::submit::status_name;
use super::{state, JobRequest};

/// Renders the state of each trial.
pub fn render(jobs: &[JobRequest]) -> Result<String, String> {
    let mut rows = vec![[
        "trial",
        "state",
        "attempts",
        "exit",
        "elapsed_s",
        "job",
        "reason",
    ]
    .map(String::from)
    .to_vec()];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for job in jobs {
        let s = state::read(&job.trial_dir)?;
        let name = status_name(s.status);
        *counts.entry(name.clone()).or_default() += 1;
        rows.push(vec![
            job.trial_id.clone(),
            name,
            s.attempts.to_string(),
            s.exit_status.map(|e| e.to_string()).unwrap_or_default(),
            s.elapsed_s.map(|t| format!("{t:.1}")).unwrap_or_default(),
            s.job_id.unwrap_or_default(),
            s.reason.unwrap_or_default(),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    out.push_str(&format!("{} trials: {}\n", jobs.len(), summary.join(", ")));
    Ok(out)
}
