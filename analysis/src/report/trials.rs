//! Every trial with its state, so a partial sweep is visible as partial: which trials
//! the numbers below come from, and which failed, are still running or never started.

use super::Section;
use crate::sweep::Sweep;
use crate::table::{Cell, Table};

pub fn section(sweep: &Sweep) -> Section {
    let mut s = Section::new("trials", "Trials");
    let mut table = Table::new(
        "trials",
        "Every planned or present trial",
        &[
            "trial_id",
            "config",
            "repeat",
            "gpus",
            "status",
            "attempts",
            "used_in_results",
            "missing_files",
            "problems",
        ],
    );
    for t in &sweep.trials {
        table.push(vec![
            Cell::text(&t.id),
            Cell::text(sweep.config_label(t)),
            Cell::from(u64::from(t.repeat())),
            Cell::opt(t.gpus().map(f64::from)),
            Cell::text(t.status_text()),
            Cell::opt(t.state.as_ref().map(|s| f64::from(s.attempts))),
            Cell::text(if t.is_complete() { "yes" } else { "no" }),
            Cell::text(t.missing_files().join(" ")),
            Cell::text(t.problems.join("; ")),
        ]);
    }
    let complete = sweep.complete().count();
    let total = sweep.trials.len();
    s.notes.push(format!(
        "{complete} of {total} trials succeeded with a summary.json; only those enter the scaling, quality and selection results."
    ));
    let incomplete: Vec<String> = sweep
        .trials
        .iter()
        .filter(|t| !t.is_complete())
        .map(|t| format!("{} ({}): {}", t.id, sweep.config_label(t), t.status_text()))
        .collect();
    if !incomplete.is_empty() {
        s.notes
            .push(format!("Not in the results: {}.", incomplete.join("; ")));
    }
    s.tables.push(table);
    s
}
