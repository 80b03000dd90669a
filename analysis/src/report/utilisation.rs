//! GPU utilisation vs batch size (paper Fig. 2): idle and non-idle time over the profiled
//! window and utilisation = busy/span (HTA temporal breakdown), averaged over the ranks of
//! the repeats of one configuration; one series per configuration of the other settings.

use crate::output_error::OutputError;
use super::profile::rows_any_preset;
use super::{configs, Section};
use crate::plot::{self, palette, Axis, BarChart, Layout, LegendAt, Mark, Series, Stack, XyChart};
use crate::stats::mean;
use crate::sweep::{group_by, Config, Sweep};
use crate::table::Cell;
use std::collections::BTreeSet;
use std::path::Path;
use xvr_contract::results::ProfileRow;
use xvr_contract::trial::KernelPreset;

/// The batch-size axis: utilisation is plotted against it.
const BATCH_AXIS: &str = "train.batch_per_gpu";

/// Ranks of the repeats of one configuration at one batch size.
struct Group<'a> {
    config: Config,
    batch: usize,
    gpus: u32,
    trials: Vec<String>,
    ranks: Vec<&'a ProfileRow>,
}

pub fn section(sweep: &Sweep, preset: KernelPreset, out: &Path) -> Result<Section, OutputError> {
    let mut s = Section::new("utilisation", "GPU utilisation vs batch size");
    let names = sweep.config_names(&[BATCH_AXIS]);
    let mut groups: Vec<Group> = Vec::new();
    for t in &sweep.trials {
        let (Some(rows), Some(batch), Some(gpus)) = (&t.profile, t.batch_per_gpu(), t.gpus())
        else {
            continue;
        };
        let ranks = rows_any_preset(rows, preset);
        if ranks.is_empty() {
            continue;
        }
        let config = sweep.config_over(t, &names);
        // The GPU count is part of the configuration; it is compared as well for a trial
        // whose GPU count is not a swept axis but differs (a hand-made directory).
        match groups
            .iter_mut()
            .find(|g| g.config == config && g.batch == batch && g.gpus == gpus)
        {
            Some(g) => {
                g.trials.push(t.id.clone());
                g.ranks.extend(ranks);
            }
            None => groups.push(Group {
                config,
                batch,
                gpus,
                trials: vec![t.id.clone()],
                ranks,
            }),
        }
    }
    if groups.is_empty() {
        s.notes
            .push("No profile.csv found: no utilisation data.".into());
        return Ok(s);
    }
    groups.sort_by(|a, b| {
        (a.gpus, a.batch)
            .cmp(&(b.gpus, b.batch))
            .then_with(|| a.config.cmp(&b.config))
    });
    // Series in order of first appearance in the plan.
    let series: Vec<(Config, u32)> = group_by(&groups, |g| (g.config.clone(), g.gpus))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    s.notes.push(
        "Over each rank's profiled window: non-idle = union of device-activity intervals, idle = span − non-idle, \
         utilisation = non-idle/span; means over all ranks of the repeats of one configuration (any trial state \
         with a profile.csv). One series per configuration of the settings other than the batch size."
            .into(),
    );
    let mut table = configs::table(
        "utilisation",
        "Idle and non-idle time per profiled window, mean over ranks",
        &names,
        &[
            "batch_per_gpu",
            "gpus",
            "trials",
            "ranks",
            "span_s",
            "non_idle_s",
            "idle_s",
            "utilization_pct",
        ],
    );
    let several = series.len() > 1;
    let mut labels = Vec::new();
    let (mut busy, mut idle) = (Vec::new(), Vec::new());
    let mut util: Vec<(usize, usize, f64)> = Vec::new();
    let batches: BTreeSet<usize> = groups.iter().map(|g| g.batch).collect();
    for g in &groups {
        let avg = |f: fn(&ProfileRow) -> f64| {
            mean(&g.ranks.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(0.0)
        };
        let (span, b, i, u) = (
            avg(|r| r.span_s),
            avg(|r| r.busy_s),
            avg(|r| r.idle_s),
            avg(|r| r.utilization),
        );
        let mut row = configs::cells(&g.config);
        row.extend([
            Cell::from(g.batch as u64),
            Cell::from(u64::from(g.gpus)),
            Cell::text(g.trials.join(" ")),
            Cell::from(g.ranks.len() as u64),
            Cell::Num(span),
            Cell::Num(b),
            Cell::Num(i),
            Cell::Num(100.0 * u),
        ]);
        table.push(row);
        labels.push(if several {
            format!("{} ({})", g.batch, series_name(&g.config, g.gpus))
        } else {
            g.batch.to_string()
        });
        busy.push(b);
        idle.push(i);
        let k = series
            .iter()
            .position(|(c, gpus)| *c == g.config && *gpus == g.gpus)
            .unwrap_or(0);
        let x = batches.iter().position(|b| *b == g.batch).unwrap_or(0);
        util.push((k, x, 100.0 * u));
    }
    s.tables.push(table);
    let time_chart = BarChart {
        title: "Idle and non-idle time in the profiled window".into(),
        x_label: if several {
            "batch size per GPU (configuration)".into()
        } else {
            "batch size per GPU".into()
        },
        categories: labels,
        y: Axis::linear("time (s), mean over ranks"),
        stacks: vec![
            Stack {
                name: "non-idle".into(),
                values: busy,
                color: palette::BLUE,
            },
            Stack {
                name: "idle".into(),
                values: idle,
                color: palette::ORANGE,
            },
        ],
        layout: Layout::Stacked,
        guides: Vec::new(),
        total_labels: Some(" s".into()),
        legend: LegendAt::UpperLeft,
    };
    s.figures
        .push(plot::save(&time_chart, out, "utilisation_time")?);
    let ticks: Vec<String> = batches.iter().map(|b| b.to_string()).collect();
    let mut util_chart = XyChart::new(
        "GPU utilisation vs batch size",
        Axis::categories("batch size per GPU", &ticks),
        Axis {
            range: Some((0.0, 105.0)),
            ..Axis::linear("utilisation (%), mean over ranks")
        },
    );
    for (k, (config, gpus)) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = util
            .iter()
            .filter(|(j, _, _)| *j == k)
            .map(|(_, x, u)| (*x as f64, *u))
            .collect();
        let name = if several {
            series_name(config, *gpus)
        } else {
            "utilisation".to_string()
        };
        util_chart.series.push(Series::new(
            &name,
            points,
            Mark::LinePoints,
            palette::nth(k),
        ));
    }
    util_chart.legend = LegendAt::LowerRight;
    s.figures
        .push(plot::save(&util_chart, out, "utilisation_pct")?);
    Ok(s)
}

/// A series' name: its configuration, or its GPU count when nothing else tells it apart.
fn series_name(config: &Config, gpus: u32) -> String {
    match config.label().as_str() {
        "base" => format!("{gpus} GPUs"),
        label => label.to_string(),
    }
}
