//! Kernel mix per GPU count (paper Fig. 4): computation, communication and memory kernel
//! time under the chosen classification preset, averaged over the ranks of the repeats of
//! one configuration, as shares; one pie per GPU count and configuration.

use crate::output_error::OutputError;
use super::profile::{preset_name, rows_for};
use super::{configs, Section};
use crate::plot::{self, palette, Axis, BarChart, Layout, LegendAt, PieGrid, Stack};
use crate::stats::mean;
use crate::sweep::{Config, Sweep, GPUS_AXIS};
use crate::table::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use xvr_contract::results::ProfileRow;
use xvr_contract::trial::KernelPreset;

/// Category name, accessor and colour, in drawing order.
type Category = (
    &'static str,
    fn(&ProfileRow) -> f64,
    plotters::style::RGBColor,
);

const CATEGORIES: [Category; 4] = [
    ("computation", |r| r.computation_s, palette::BLUE),
    ("communication", |r| r.communication_s, palette::ORANGE),
    ("memory", |r| r.memory_s, palette::GREEN),
    ("other", |r| r.other_s, palette::GREY),
];

/// Trial ids and the rank rows of one GPU count and configuration.
type Group<'a> = (Vec<String>, Vec<&'a ProfileRow>);

pub fn section(sweep: &Sweep, preset: KernelPreset, out: &Path) -> Result<Section, OutputError> {
    let name = preset_name(preset);
    let mut s = Section::new(
        "kernel-mix",
        &format!("Kernel mix per GPU count (preset `{name}`)"),
    );
    // One group per GPU count and configuration of the other settings: only repeats pool.
    let names = sweep.config_names(&[GPUS_AXIS]);
    let mut by_gpus: BTreeMap<(u32, Config), Group> = BTreeMap::new();
    let mut lacking = Vec::new();
    for t in &sweep.trials {
        let (Some(rows), Some(gpus)) = (&t.profile, t.gpus()) else {
            continue;
        };
        match rows_for(rows, preset) {
            Some(ranks) => {
                let entry = by_gpus
                    .entry((gpus, sweep.config_over(t, &names)))
                    .or_default();
                entry.0.push(t.id.clone());
                entry.1.extend(ranks);
            }
            None => lacking.push(t.id.clone()),
        }
    }
    s.notes.push(match preset {
        KernelPreset::Hta => "Preset `hta`: kernels named nccl* are communication, every Memcpy/Memset is memory, the \
                              rest computation."
            .into(),
        KernelPreset::Paper => "Preset `paper`: NCCL and host↔device copies are communication, device-side memset/copy \
                                is memory, the rest computation."
            .into(),
    });
    if !lacking.is_empty() {
        s.notes.push(format!(
            "profile.csv without `{name}` rows (rerun with the other --preset): {}.",
            lacking.join(", ")
        ));
    }
    if by_gpus.is_empty() {
        s.notes.push(format!(
            "No profile rows for preset `{name}`: no kernel-mix data."
        ));
        return Ok(s);
    }
    s.notes.push(
        "Seconds are means over all ranks of the repeats of one configuration at one GPU count; shares are of computation + communication + \
         memory + other. Overlap = HTA's time computing while communicating / communication time."
            .into(),
    );
    let mut table = configs::table(
        "kernel_mix",
        "Kernel time by category, mean over ranks",
        &names,
        &[
            "gpus",
            "trials",
            "ranks",
            "computation_s",
            "communication_s",
            "memory_s",
            "other_s",
            "computation_pct",
            "communication_pct",
            "memory_pct",
            "other_pct",
            "comp_comm_overlap_pct",
        ],
    );
    let mut pies = Vec::new();
    let several = by_gpus.keys().any(|(_, c)| c.label() != "base");
    for ((gpus, config), (trials, ranks)) in &by_gpus {
        let seconds: Vec<f64> = CATEGORIES
            .iter()
            .map(|(_, f, _)| mean(&ranks.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(0.0))
            .collect();
        let total: f64 = seconds.iter().sum();
        let shares: Vec<f64> = seconds
            .iter()
            .map(|x| if total > 0.0 { 100.0 * x / total } else { 0.0 })
            .collect();
        let overlap = mean(
            &ranks
                .iter()
                .map(|r| r.comp_comm_overlap)
                .collect::<Vec<_>>(),
        )
        .unwrap_or(0.0);
        let mut row = configs::cells(config);
        row.extend([
            Cell::from(u64::from(*gpus)),
            Cell::text(trials.join(" ")),
            Cell::from(ranks.len() as u64),
        ]);
        row.extend(seconds.iter().map(|x| Cell::Num(*x)));
        row.extend(shares.iter().map(|x| Cell::Num(*x)));
        row.push(Cell::Num(100.0 * overlap));
        table.push(row);
        let title = if several {
            format!("{gpus} GPUs, {}", config.label())
        } else {
            format!("{gpus} GPUs")
        };
        pies.push((title, shares));
    }
    s.tables.push(table);
    // "other" only appears when some trial has any.
    let shown: Vec<usize> = (0..CATEGORIES.len())
        .filter(|&k| k < 3 || pies.iter().any(|(_, v)| v[k] > 0.0))
        .collect();
    let grid = PieGrid {
        title: format!("Kernel time share per GPU count (preset {name})"),
        categories: shown
            .iter()
            .map(|&k| (CATEGORIES[k].0.to_string(), CATEGORIES[k].2))
            .collect(),
        pies: pies
            .iter()
            .map(|(t, v)| (t.clone(), shown.iter().map(|&k| v[k]).collect()))
            .collect(),
    };
    s.figures.push(plot::save(&grid, out, "kernel_mix_pies")?);
    let bars = BarChart {
        title: format!("Kernel time share per GPU count (preset {name})"),
        x_label: "GPUs".into(),
        categories: pies
            .iter()
            .map(|(t, _)| t.replacen(" GPUs", "", 1))
            .collect(),
        // Head room above 100 % keeps the legend off the bars.
        y: Axis {
            range: Some((0.0, 135.0)),
            ..Axis::linear("share of kernel time (%)")
        }
        .with_value_ticks(&[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]),
        stacks: shown
            .iter()
            .map(|&k| Stack {
                name: CATEGORIES[k].0.into(),
                values: pies.iter().map(|(_, v)| v[k]).collect(),
                color: CATEGORIES[k].2,
            })
            .collect(),
        layout: Layout::Stacked,
        guides: Vec::new(),
        total_labels: None,
        legend: LegendAt::UpperRight,
    };
    s.figures.push(plot::save(&bars, out, "kernel_mix_bars")?);
    Ok(s)
}
