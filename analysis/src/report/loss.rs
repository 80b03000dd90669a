//! Training-loss curves: every trial with a train.csv, finished or not (a running trial's
//! curve shows how far it got), plus a table of where each curve ended.

use crate::output_error::OutputError;
use super::Section;
use crate::plot::{self, palette, Axis, LegendAt, Mark, Series, XyChart};
use crate::sweep::Sweep;
use crate::table::{Cell, Table};
use std::path::Path;

/// Points drawn per curve at most; longer curves are thinned evenly (the table keeps the
/// exact final and minimum loss).
const MAX_POINTS: usize = 1500;

/// Most legend entries a loss plot carries.
const MAX_LEGEND: usize = 10;

pub fn section(sweep: &Sweep, out: &Path) -> Result<Section, OutputError> {
    let mut s = Section::new("loss", "Training loss");
    let mut table = Table::new(
        "training_loss",
        "Where each loss curve ended",
        &[
            "trial_id",
            "config",
            "status",
            "logged_iterations",
            "last_iter",
            "last_loss",
            "min_loss",
        ],
    );
    let mut chart = XyChart::new(
        "Training loss (L1, mean over ranks)",
        Axis::linear("iteration"),
        Axis::log("L1 loss"),
    );
    // Repeats of a configuration share a colour and one legend entry; beyond MAX_LEGEND
    // configurations a legend would cover the plot and is left out.
    let with_curves: Vec<_> = sweep
        .trials
        .iter()
        .filter(|t| t.train.as_ref().is_some_and(|r| !r.is_empty()))
        .collect();
    let mut configs: Vec<String> = Vec::new();
    for t in &with_curves {
        let c = sweep.config_label(t);
        if !configs.contains(&c) {
            configs.push(c);
        }
    }
    let legend = configs.len() <= MAX_LEGEND;
    let mut labelled: Vec<String> = Vec::new();
    for t in &with_curves {
        let rows = t.train.as_deref().unwrap_or_default();
        let last = &rows[rows.len() - 1];
        let min = rows.iter().map(|r| r.loss).fold(f64::INFINITY, f64::min);
        let config = sweep.config_label(t);
        table.push(vec![
            Cell::text(&t.id),
            Cell::text(&config),
            Cell::text(t.status_text()),
            Cell::from(rows.len() as u64),
            Cell::from(last.iter),
            Cell::Num(last.loss),
            Cell::Num(min),
        ]);
        let stride = rows.len().div_ceil(MAX_POINTS).max(1);
        let mut points: Vec<(f64, f64)> = rows
            .iter()
            .step_by(stride)
            .map(|r| (r.iter as f64, r.loss))
            .collect();
        if (rows.len() - 1) % stride != 0 {
            points.push((last.iter as f64, last.loss));
        }
        let name = if legend && !labelled.contains(&config) {
            labelled.push(config.clone());
            if t.is_complete() {
                config.clone()
            } else {
                format!("{config} [{}]", t.status_word())
            }
        } else {
            String::new()
        };
        // A curve of one logged iteration is a point.
        let mark = if points.len() > 1 {
            Mark::Line
        } else {
            Mark::Points
        };
        let colour = palette::nth(configs.iter().position(|c| *c == config).unwrap_or(0));
        chart.series.push(Series::new(&name, points, mark, colour));
    }
    if !legend {
        s.notes.push(format!(
            "{} configurations: too many for a legend (colours repeat); training_loss.csv names every curve.",
            configs.len()
        ));
    }
    if table.rows.is_empty() {
        s.notes.push("No train.csv found.".into());
        return Ok(s);
    }
    s.notes.push(
        "One curve per trial with a train.csv, repeats in their configuration's colour; the legend marks \
         unfinished trials with their state."
            .into(),
    );
    chart.legend = LegendAt::UpperRight;
    s.tables.push(table);
    s.figures.push(plot::save(&chart, out, "training_loss")?);
    Ok(s)
}
