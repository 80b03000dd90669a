//! The table `xvr plan` prints: one row per trial and the sweep total.

use super::{walltime, Plan};
use xvr_contract::trial::value_text;

/// Renders the plan as an aligned text table.
pub fn render(plan: &Plan) -> String {
    let has_variants = plan.trials.iter().any(|t| t.config.meta.variant.is_some());
    let has_repeats = plan.trials.iter().any(|t| t.config.meta.repeat > 0);
    let mut header = vec!["trial".to_string()];
    if has_variants {
        header.push("variant".into());
    }
    header.extend(plan.axes.iter().cloned());
    if has_repeats {
        header.push("repeat".into());
    }
    header.extend(["gpus", "nodes", "queue", "walltime", "node-h"].map(String::from));
    let mut rows = vec![header];
    for t in &plan.trials {
        let c = &t.config;
        let mut row = vec![t.id().to_string()];
        if has_variants {
            row.push(c.meta.variant.clone().unwrap_or_default());
        }
        row.extend(
            plan.axes
                .iter()
                .map(|a| c.meta.axes.get(a).map(value_text).unwrap_or_default()),
        );
        if has_repeats {
            row.push(c.meta.repeat.to_string());
        }
        row.extend([
            c.resources.gpus.to_string(),
            t.nodes.to_string(),
            t.queue.clone(),
            walltime::format(t.walltime_s),
            format!("{:.2}", t.node_hours()),
        ]);
        rows.push(row);
    }
    let mut out = align(&rows);
    out.push_str(&format!(
        "total: {} trials, largest {} GPUs, {:.2} node-hours (nodes x walltime) on {}\n",
        plan.trials.len(),
        plan.trials
            .iter()
            .map(|t| t.config.resources.gpus)
            .max()
            .unwrap_or(0),
        plan.total_node_hours(),
        plan.site.name
    ));
    out
}

/// `rows` (the first is the header) as text: every column padded to its widest cell, columns
/// two spaces apart, trailing blanks trimmed. Also the layout of `xvr status`.
pub fn align(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
