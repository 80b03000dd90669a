//! Strong-scaling section (paper Fig. 3): the table per GPU count, the fits, and three
//! plots — wall time on log-log axes with the ideal line and fits, efficiency bars with
//! 100 % and 90 % guides, and speed-up against ideal.

use super::Section;
use crate::plot::{self, palette, Axis, BarChart, Guide, LegendAt, Mark, Series, Stack, XyChart};
use crate::scaling::Scaling;
use crate::sweep::{Sweep, Trial};
use crate::table::{Cell, Table};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub fn section(sweep: &Sweep, out: &Path) -> Result<Section, String> {
    let mut s = Section::new("scaling", "Strong scaling");
    let mut by_gpus: BTreeMap<u32, Vec<&Trial>> = BTreeMap::new();
    for t in sweep.complete() {
        if let Some(g) = t.gpus() {
            by_gpus.entry(g).or_default().push(t);
        }
    }
    if by_gpus.len() < 2 {
        s.notes.push(format!(
            "Not a scaling study: completed trials cover {} GPU count(s); scaling needs at least two.",
            by_gpus.len()
        ));
        return Ok(s);
    }
    // A wall time that is not a positive number cannot be a measurement: say so, leave it out.
    let mut times: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (g, trials) in &by_gpus {
        for t in trials {
            let Some(wall) = t.summary.as_ref().map(|s| s.train_wall_s) else {
                continue;
            };
            if wall.is_finite() && wall > 0.0 {
                times.entry(*g).or_default().push(wall);
            } else {
                s.notes.push(format!(
                    "{}: summary.json train_wall_s = {wall} is not a positive time; left out.",
                    t.id
                ));
            }
        }
    }
    let Some(scaling) = Scaling::analyse(&times) else {
        s.notes.push("No training wall times to analyse.".into());
        return Ok(s);
    };
    let r = scaling.baseline_gpus;
    s.notes.push(format!(
        "t(g) = median of summary.json train_wall_s over repeats (start-up excluded); baseline r = {r} GPUs, the \
         smallest count present. s = t(r)/t(g), s* = g/r, e = r·t(r)/(g·t(g)) (eq. 2–3). Karp–Flatt uses \
         p = g/r and ψ = s. Fits use the medians."
    ));
    let planned: BTreeSet<u32> = sweep.trials.iter().filter_map(Trial::gpus).collect();
    let absent: Vec<String> = planned
        .difference(&times.keys().copied().collect())
        .map(|g| g.to_string())
        .collect();
    if !absent.is_empty() {
        s.notes.push(format!(
            "No completed trial for GPU count(s) {}: see the trials table.",
            absent.join(", ")
        ));
    }
    let mut table = Table::new(
        "scaling",
        "Strong scaling per GPU count",
        &[
            "gpus",
            "nodes",
            "batch_per_gpu",
            "global_batch",
            "iterations",
            "repeats",
            "wall_s_median",
            "wall_s_min",
            "wall_s_max",
            "speedup",
            "ideal_speedup",
            "efficiency_pct",
            "karp_flatt",
            "power_law_wall_s",
            "amdahl_wall_s",
        ],
    );
    for row in &scaling.rows {
        let trials = &by_gpus[&row.gpus];
        let batch = single(
            trials
                .iter()
                .filter_map(|t| t.batch_per_gpu().map(|b| b as u64)),
        );
        let iterations = single(
            trials
                .iter()
                .filter_map(|t| t.summary.as_ref().map(|s| s.iterations)),
        );
        let nodes = single(trials.iter().filter_map(|t| t.nodes().map(u64::from)));
        let g = f64::from(row.gpus);
        table.push(vec![
            Cell::from(u64::from(row.gpus)),
            nodes.clone(),
            batch.clone(),
            match batch {
                Cell::Num(b) => Cell::Num(b * g),
                other => other,
            },
            iterations,
            Cell::from(row.wall.n as u64),
            Cell::Num(row.wall.median),
            Cell::Num(row.wall.min),
            Cell::Num(row.wall.max),
            Cell::Num(row.speedup),
            Cell::Num(row.ideal_speedup),
            Cell::Num(100.0 * row.efficiency),
            Cell::opt(row.karp_flatt),
            Cell::opt(scaling.power_law.map(|p| p.eval(g))),
            Cell::opt(scaling.amdahl.map(|a| a.eval(g))),
        ]);
    }
    s.tables.push(table);
    s.tables.push(fits_table(&scaling));
    let gpus: Vec<f64> = scaling.rows.iter().map(|row| f64::from(row.gpus)).collect();
    s.figures.push(plot::save(
        &wall_time_chart(&scaling, &gpus),
        out,
        "scaling_wall_time",
    )?);
    s.figures.push(plot::save(
        &efficiency_chart(&scaling),
        out,
        "scaling_efficiency",
    )?);
    s.figures.push(plot::save(
        &speedup_chart(&scaling, &gpus),
        out,
        "scaling_speedup",
    )?);
    Ok(s)
}

/// The value when every trial agrees, else the distinct values as text ("mixed: 5|10").
fn single(values: impl Iterator<Item = u64>) -> Cell {
    let distinct: BTreeSet<u64> = values.collect();
    match distinct.len() {
        0 => Cell::Empty,
        1 => Cell::from(*distinct.iter().next().unwrap_or(&0)),
        _ => Cell::text(format!(
            "mixed: {}",
            distinct
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("|")
        )),
    }
}

fn fits_table(scaling: &Scaling) -> Table {
    let mut t = Table::new(
        "scaling_fits",
        "Fits to the median wall times",
        &["model", "parameter", "value", "meaning"],
    );
    if let Some(p) = scaling.power_law {
        t.push(vec![
            "power_law".into(),
            "a".into(),
            Cell::Num(p.a),
            "t = a·g^b: time on one GPU (s)".into(),
        ]);
        t.push(vec![
            "power_law".into(),
            "b".into(),
            Cell::Num(p.b),
            "exponent; −1 is ideal".into(),
        ]);
        t.push(vec![
            "power_law".into(),
            "r_squared".into(),
            Cell::opt(p.r_squared),
            "R² of ln t vs ln g".into(),
        ]);
    }
    if let Some(a) = scaling.amdahl {
        t.push(vec![
            "amdahl".into(),
            "serial_s".into(),
            Cell::Num(a.serial_s),
            "t = T_s + T_p/g: T_s (s)".into(),
        ]);
        t.push(vec![
            "amdahl".into(),
            "parallel_s".into(),
            Cell::Num(a.parallel_s),
            "T_p (s)".into(),
        ]);
        t.push(vec![
            "amdahl".into(),
            "serial_fraction".into(),
            Cell::Num(a.serial_fraction()),
            "T_s/(T_s + T_p), the serial share of a one-GPU run".into(),
        ]);
        t.push(vec![
            "amdahl".into(),
            "r_squared".into(),
            Cell::opt(a.r_squared),
            "R² of t vs 1/g".into(),
        ]);
    }
    t
}

/// Points for drawing a fitted curve smoothly across the GPU range.
fn curve(gpus: &[f64], f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    let (lo, hi) = (gpus[0].ln(), gpus[gpus.len() - 1].ln());
    (0..=40)
        .map(|i| (lo + (hi - lo) * f64::from(i) / 40.0).exp())
        .map(|g| (g, f(g)))
        .collect()
}

fn wall_time_chart(scaling: &Scaling, gpus: &[f64]) -> XyChart {
    let mut c = XyChart::new(
        "Training wall time vs GPUs (log-log)",
        Axis::log("GPUs").with_value_ticks(gpus),
        Axis::log("training wall time (s)"),
    );
    let measured: Vec<(f64, f64)> = scaling
        .rows
        .iter()
        .map(|r| (f64::from(r.gpus), r.wall.median))
        .collect();
    let bars = scaling
        .rows
        .iter()
        .map(|r| (f64::from(r.gpus), r.wall.min, r.wall.max))
        .collect();
    let (r, t_r) = (
        f64::from(scaling.baseline_gpus),
        scaling.rows[0].wall.median,
    );
    // A straight line on log-log axes: two points keep the dash pattern even.
    let ends = [gpus[0], gpus[gpus.len() - 1]];
    c.series.push(Series::new(
        "ideal t(r)·r/g",
        ends.iter().map(|&g| (g, t_r * r / g)).collect(),
        Mark::Dashed,
        palette::GREY,
    ));
    if let Some(p) = scaling.power_law {
        let name = format!("power law a·g^b, b = {:.3}", p.b);
        c.series.push(Series::new(
            &name,
            curve(gpus, |g| p.eval(g)),
            Mark::Line,
            palette::ORANGE,
        ));
    }
    if let Some(a) = scaling.amdahl {
        let name = format!("Amdahl T_s + T_p/g, T_s = {:.3} s", a.serial_s);
        c.series.push(Series::new(
            &name,
            curve(gpus, |g| a.eval(g)),
            Mark::Line,
            palette::GREEN,
        ));
    }
    c.series.push(
        Series::new(
            "measured (median, min–max)",
            measured,
            Mark::Points,
            palette::BLUE,
        )
        .with_error_bars(bars),
    );
    c.legend = LegendAt::UpperRight;
    c
}

fn efficiency_chart(scaling: &Scaling) -> BarChart {
    BarChart {
        title: format!(
            "Scaling efficiency e(r, g), r = {} GPUs",
            scaling.baseline_gpus
        ),
        x_label: "GPUs".into(),
        categories: scaling.rows.iter().map(|r| r.gpus.to_string()).collect(),
        y: Axis::linear("efficiency (%)"),
        stacks: vec![Stack {
            name: String::new(),
            values: scaling.rows.iter().map(|r| 100.0 * r.efficiency).collect(),
            color: palette::BLUE,
        }],
        guides: vec![
            Guide {
                name: "100 % (ideal)".into(),
                value: 100.0,
                color: palette::GREEN,
            },
            Guide {
                name: "90 %".into(),
                value: 90.0,
                color: palette::VERMILLION,
            },
        ],
        total_labels: Some(" %".into()),
        legend: LegendAt::UpperRight,
    }
}

fn speedup_chart(scaling: &Scaling, gpus: &[f64]) -> XyChart {
    let r = f64::from(scaling.baseline_gpus);
    let ideal_ticks: Vec<f64> = gpus.iter().map(|g| g / r).collect();
    let mut c = XyChart::new(
        &format!(
            "Speed-up vs ideal, baseline r = {} GPUs",
            scaling.baseline_gpus
        ),
        Axis::log("GPUs").with_value_ticks(gpus),
        Axis::log("speed-up s = t(r)/t(g)").with_value_ticks(&ideal_ticks),
    );
    c.series.push(Series::new(
        "ideal s* = g/r",
        gpus.iter().map(|&g| (g, g / r)).collect(),
        Mark::Dashed,
        palette::GREY,
    ));
    let measured = scaling
        .rows
        .iter()
        .map(|row| (f64::from(row.gpus), row.speedup))
        .collect();
    c.series.push(Series::new(
        "measured",
        measured,
        Mark::LinePoints,
        palette::BLUE,
    ));
    c.legend = LegendAt::UpperLeft;
    c
}
