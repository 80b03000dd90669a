//! GPU utilisation vs batch size (paper Fig. 2): idle and non-idle time over the profiled
//! window and utilisation = busy/span (HTA temporal breakdown), averaged over ranks.

use super::profile::rows_any_preset;
use super::Section;
use crate::plot::{self, palette, Axis, BarChart, LegendAt, Mark, Series, Stack, XyChart};
use crate::stats::mean;
use crate::sweep::Sweep;
use crate::table::{Cell, Table};
use std::collections::BTreeMap;
use std::path::Path;
use xvr::results::ProfileRow;
use xvr::spec::trial::KernelPreset;

/// Ranks of every trial with the same batch per GPU and GPU count.
#[derive(Default)]
struct Group<'a> {
    trials: Vec<String>,
    ranks: Vec<&'a ProfileRow>,
}

pub fn section(sweep: &Sweep, preset: KernelPreset, out: &Path) -> Result<Section, String> {
    let mut s = Section::new("utilisation", "GPU utilisation vs batch size");
    let mut groups: BTreeMap<(usize, u32), Group> = BTreeMap::new();
    for t in &sweep.trials {
        let (Some(rows), Some(batch), Some(gpus)) = (&t.profile, t.batch_per_gpu(), t.gpus())
        else {
            continue;
        };
        let ranks = rows_any_preset(rows, preset);
        if ranks.is_empty() {
            continue;
        }
        let g = groups.entry((batch, gpus)).or_default();
        g.trials.push(t.id.clone());
        g.ranks.extend(ranks);
    }
    if groups.is_empty() {
        s.notes
            .push("No profile.csv found: no utilisation data.".into());
        return Ok(s);
    }
    s.notes.push(
        "Over each rank's profiled window: non-idle = union of device-activity intervals, idle = span − non-idle, \
         utilisation = non-idle/span; means over all ranks of all trials in the row (any trial state with a \
         profile.csv)."
            .into(),
    );
    let mut table = Table::new(
        "utilisation",
        "Idle and non-idle time per profiled window, mean over ranks",
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
    let several_gpu_counts = groups
        .keys()
        .map(|k| k.1)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        > 1;
    let mut labels = Vec::new();
    let (mut busy, mut idle, mut util) = (Vec::new(), Vec::new(), Vec::new());
    for ((batch, gpus), g) in &groups {
        let avg = |f: fn(&ProfileRow) -> f64| {
            mean(&g.ranks.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(0.0)
        };
        let (span, b, i, u) = (
            avg(|r| r.span_s),
            avg(|r| r.busy_s),
            avg(|r| r.idle_s),
            avg(|r| r.utilization),
        );
        table.push(vec![
            Cell::from(*batch as u64),
            Cell::from(u64::from(*gpus)),
            Cell::text(g.trials.join(" ")),
            Cell::from(g.ranks.len() as u64),
            Cell::Num(span),
            Cell::Num(b),
            Cell::Num(i),
            Cell::Num(100.0 * u),
        ]);
        labels.push(if several_gpu_counts {
            format!("{batch} ({gpus} GPUs)")
        } else {
            batch.to_string()
        });
        busy.push(b);
        idle.push(i);
        util.push(100.0 * u);
    }
    s.tables.push(table);
    let x_label = if several_gpu_counts {
        "batch size per GPU (GPU count)"
    } else {
        "batch size per GPU"
    };
    let time_chart = BarChart {
        title: "Idle and non-idle time in the profiled window".into(),
        x_label: x_label.into(),
        categories: labels.clone(),
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
        guides: Vec::new(),
        total_labels: Some(" s".into()),
        legend: LegendAt::UpperLeft,
    };
    s.figures
        .push(plot::save(&time_chart, out, "utilisation_time")?);
    let mut util_chart = XyChart::new(
        "GPU utilisation vs batch size",
        Axis::categories(x_label, &labels),
        Axis {
            range: Some((0.0, 105.0)),
            ..Axis::linear("utilisation (%), mean over ranks")
        },
    );
    let points = util
        .iter()
        .enumerate()
        .map(|(i, u)| (i as f64, *u))
        .collect();
    util_chart.series.push(Series::new(
        "utilisation",
        points,
        Mark::LinePoints,
        palette::BLUE,
    ));
    util_chart.legend = LegendAt::LowerRight;
    s.figures
        .push(plot::save(&util_chart, out, "utilisation_pct")?);
    Ok(s)
}
