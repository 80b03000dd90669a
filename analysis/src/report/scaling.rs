//! Strong-scaling section (paper Fig. 3): one series per configuration of the settings other
//! than the GPU count (only repeats are pooled), each with its own baseline; the table per
//! configuration and GPU count, the fits, and three plots — wall time on log-log axes with
//! the ideal line and fits, efficiency bars with 100 % and 90 % guides, and speed-up
//! against ideal.

use crate::output_error::OutputError;
use super::{configs, Section};
use crate::plot::{
    self, palette, Axis, BarChart, Guide, Layout, LegendAt, Mark, Series, Stack, XyChart,
};
use crate::scaling::Scaling;
use crate::sweep::{group_by, Config, Sweep, Trial, GPUS_AXIS};
use crate::table::{Cell, Table};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One series: the trials of one configuration of the non-GPU settings.
struct Curve<'a> {
    config: Config,
    by_gpus: BTreeMap<u32, Vec<&'a Trial>>,
    scaling: Scaling,
}

pub fn section(sweep: &Sweep, out: &Path) -> Result<Section, OutputError> {
    let mut s = Section::new("scaling", "Strong scaling");
    let names = sweep.config_names(&[GPUS_AXIS]);
    let groups = group_by(sweep.complete().filter(|t| t.gpus().is_some()), |t| {
        sweep.config_over(t, &names)
    });
    let mut series: Vec<Curve> = Vec::new();
    let mut single: Vec<String> = Vec::new();
    for (config, trials) in groups {
        let mut by_gpus: BTreeMap<u32, Vec<&Trial>> = BTreeMap::new();
        for t in trials {
            if let Some(g) = t.gpus() {
                by_gpus.entry(g).or_default().push(t);
            }
        }
        if by_gpus.len() < 2 {
            single.push(config.label());
            continue;
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
        match Scaling::analyse(&times) {
            Some(scaling) => series.push(Curve {
                config,
                by_gpus,
                scaling,
            }),
            None => single.push(config.label()),
        }
    }
    if series.is_empty() {
        let counts: BTreeSet<u32> = sweep.complete().filter_map(Trial::gpus).collect();
        s.notes.push(format!(
            "Not a scaling study: no configuration has completed trials at two or more GPU counts (completed \
             trials cover {} GPU count(s) in all); scaling needs at least two per configuration.",
            counts.len()
        ));
        return Ok(s);
    }
    s.notes.push(
        "t(g) = median of summary.json train_wall_s over repeats (start-up excluded); one series per configuration \
         of the settings other than the GPU count, each with its own baseline r = its smallest GPU count. \
         s = t(r)/t(g), s* = g/r, e = r·t(r)/(g·t(g)) (eq. 2–3). Karp–Flatt uses p = g/r and ψ = s. Fits use the \
         medians."
            .into(),
    );
    if !single.is_empty() {
        s.notes.push(format!(
            "Left out (completed trials at fewer than two GPU counts): {}.",
            single.join("; ")
        ));
    }
    let planned: BTreeSet<u32> = sweep.trials.iter().filter_map(Trial::gpus).collect();
    let measured: BTreeSet<u32> = series
        .iter()
        .flat_map(|x| x.scaling.rows.iter().map(|r| r.gpus))
        .collect();
    let absent: Vec<String> = planned
        .difference(&measured)
        .map(|g| g.to_string())
        .collect();
    if !absent.is_empty() {
        s.notes.push(format!(
            "No completed trial for GPU count(s) {}: see the trials table.",
            absent.join(", ")
        ));
    }
    let mut table = configs::table(
        "scaling",
        "Strong scaling per configuration and GPU count",
        &names,
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
            "baseline_gpus",
            "speedup",
            "ideal_speedup",
            "efficiency_pct",
            "karp_flatt",
            "power_law_wall_s",
            "amdahl_wall_s",
        ],
    );
    for x in &series {
        let scaling = &x.scaling;
        for row in &scaling.rows {
            let trials = &x.by_gpus[&row.gpus];
            let batch = single_value(
                trials
                    .iter()
                    .filter_map(|t| t.batch_per_gpu().map(|b| b as u64)),
            );
            let iterations = single_value(
                trials
                    .iter()
                    .filter_map(|t| t.summary.as_ref().map(|s| s.iterations)),
            );
            let nodes = single_value(trials.iter().filter_map(|t| t.nodes().map(u64::from)));
            let g = f64::from(row.gpus);
            let mut cells = configs::cells(&x.config);
            cells.extend([
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
                Cell::from(u64::from(scaling.baseline_gpus)),
                Cell::Num(row.speedup),
                Cell::Num(row.ideal_speedup),
                Cell::Num(100.0 * row.efficiency),
                Cell::opt(row.karp_flatt),
                Cell::opt(scaling.power_law.map(|p| p.eval(g))),
                Cell::opt(scaling.amdahl.map(|a| a.eval(g))),
            ]);
            table.push(cells);
        }
    }
    s.tables.push(table);
    s.tables.push(fits_table(&series, &names));
    let gpus: Vec<f64> = measured.iter().map(|&g| f64::from(g)).collect();
    s.figures.push(plot::save(
        &wall_time_chart(&series, &gpus),
        out,
        "scaling_wall_time",
    )?);
    s.figures.push(plot::save(
        &efficiency_chart(&series, &measured),
        out,
        "scaling_efficiency",
    )?);
    s.figures.push(plot::save(
        &speedup_chart(&series, &gpus),
        out,
        "scaling_speedup",
    )?);
    Ok(s)
}

/// The value when every trial agrees, else the distinct values as text ("mixed: 5|10").
fn single_value(values: impl Iterator<Item = u64>) -> Cell {
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

fn fits_table(series: &[Curve], names: &[String]) -> Table {
    let mut t = configs::table(
        "scaling_fits",
        "Fits to the median wall times, per configuration",
        names,
        &["model", "parameter", "value", "meaning"],
    );
    for x in series {
        let mut push = |model: &str, parameter: &str, value: Cell, meaning: &str| {
            let mut row = configs::cells(&x.config);
            row.extend([model.into(), parameter.into(), value, meaning.into()]);
            t.push(row);
        };
        if let Some(p) = x.scaling.power_law {
            push(
                "power_law",
                "a",
                Cell::Num(p.a),
                "t = a·g^b: time on one GPU (s)",
            );
            push("power_law", "b", Cell::Num(p.b), "exponent; −1 is ideal");
            push(
                "power_law",
                "r_squared",
                Cell::opt(p.r_squared),
                "R² of ln t vs ln g",
            );
        }
        if let Some(a) = x.scaling.amdahl {
            push(
                "amdahl",
                "serial_s",
                Cell::Num(a.serial_s),
                "t = T_s + T_p/g: T_s (s)",
            );
            push("amdahl", "parallel_s", Cell::Num(a.parallel_s), "T_p (s)");
            push(
                "amdahl",
                "serial_fraction",
                Cell::Num(a.serial_fraction()),
                "T_s/(T_s + T_p), the serial share of a one-GPU run",
            );
            push(
                "amdahl",
                "r_squared",
                Cell::opt(a.r_squared),
                "R² of t vs 1/g",
            );
        }
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

/// The series' name in legends: empty configuration → the plain word.
fn series_name(x: &Curve, several: bool, plain: &str) -> String {
    if several {
        format!("{}: {plain}", x.config.label())
    } else {
        plain.to_string()
    }
}

/// Paper Fig. 3: wall time on log-log axes with the ideal line and the fits. With one series
/// both fits are drawn; with several, each series gets its colour and its power-law fit.
fn wall_time_chart(series: &[Curve], gpus: &[f64]) -> XyChart {
    let mut c = XyChart::new(
        "Training wall time vs GPUs (log-log)",
        Axis::log("GPUs").with_value_ticks(gpus),
        Axis::log("training wall time (s)"),
    );
    let several = series.len() > 1;
    for (i, x) in series.iter().enumerate() {
        let scaling = &x.scaling;
        let own: Vec<f64> = scaling.rows.iter().map(|r| f64::from(r.gpus)).collect();
        let colour = if several {
            palette::nth(i)
        } else {
            palette::BLUE
        };
        let (r, t_r) = (
            f64::from(scaling.baseline_gpus),
            scaling.rows[0].wall.median,
        );
        // A straight line on log-log axes: two points keep the dash pattern even.
        let ends = [own[0], own[own.len() - 1]];
        let ideal = if i == 0 { "ideal t(r)·r/g" } else { "" };
        c.series.push(Series::new(
            ideal,
            ends.iter().map(|&g| (g, t_r * r / g)).collect(),
            Mark::Dashed,
            palette::GREY,
        ));
        if let Some(p) = scaling.power_law {
            let name = series_name(x, several, &format!("power law a·g^b, b = {:.3}", p.b));
            let fit_colour = if several { colour } else { palette::ORANGE };
            c.series.push(Series::new(
                &name,
                curve(&own, |g| p.eval(g)),
                Mark::Line,
                fit_colour,
            ));
        }
        if let (Some(a), false) = (scaling.amdahl, several) {
            let name = format!("Amdahl T_s + T_p/g, T_s = {:.3} s", a.serial_s);
            c.series.push(Series::new(
                &name,
                curve(&own, |g| a.eval(g)),
                Mark::Line,
                palette::GREEN,
            ));
        }
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
        c.series.push(
            Series::new(
                &series_name(x, several, "measured (median, min–max)"),
                measured,
                Mark::Points,
                colour,
            )
            .with_error_bars(bars),
        );
    }
    c.legend = LegendAt::UpperRight;
    c
}

fn efficiency_chart(series: &[Curve], gpus: &BTreeSet<u32>) -> BarChart {
    let several = series.len() > 1;
    let baselines: BTreeSet<u32> = series.iter().map(|x| x.scaling.baseline_gpus).collect();
    let r = if baselines.len() == 1 {
        format!("r = {} GPUs", series[0].scaling.baseline_gpus)
    } else {
        "r = each series' smallest GPU count".into()
    };
    BarChart {
        title: format!("Scaling efficiency e(r, g), {r}"),
        x_label: "GPUs".into(),
        categories: gpus.iter().map(|g| g.to_string()).collect(),
        y: Axis::linear("efficiency (%)"),
        stacks: series
            .iter()
            .enumerate()
            .map(|(i, x)| Stack {
                name: if several {
                    x.config.label()
                } else {
                    String::new()
                },
                values: gpus
                    .iter()
                    .map(|g| {
                        x.scaling
                            .rows
                            .iter()
                            .find(|row| row.gpus == *g)
                            .map_or(f64::NAN, |row| 100.0 * row.efficiency)
                    })
                    .collect(),
                color: if several {
                    palette::nth(i)
                } else {
                    palette::BLUE
                },
            })
            .collect(),
        layout: if several {
            Layout::Grouped
        } else {
            Layout::Stacked
        },
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

fn speedup_chart(series: &[Curve], gpus: &[f64]) -> XyChart {
    let several = series.len() > 1;
    let r = f64::from(
        series
            .iter()
            .map(|x| x.scaling.baseline_gpus)
            .min()
            .unwrap_or(1),
    );
    let ideal_ticks: Vec<f64> = gpus.iter().map(|g| g / r).collect();
    let title = if several {
        "Speed-up vs ideal, each series against its smallest GPU count".to_string()
    } else {
        format!("Speed-up vs ideal, baseline r = {} GPUs", r)
    };
    let mut c = XyChart::new(
        &title,
        Axis::log("GPUs").with_value_ticks(gpus),
        Axis::log("speed-up s = t(r)/t(g)").with_value_ticks(&ideal_ticks),
    );
    for (i, x) in series.iter().enumerate() {
        let rx = f64::from(x.scaling.baseline_gpus);
        let own: Vec<f64> = x
            .scaling
            .rows
            .iter()
            .map(|row| f64::from(row.gpus))
            .collect();
        c.series.push(Series::new(
            if i == 0 { "ideal s* = g/r" } else { "" },
            own.iter().map(|&g| (g, g / rx)).collect(),
            Mark::Dashed,
            palette::GREY,
        ));
        let measured = x
            .scaling
            .rows
            .iter()
            .map(|row| (f64::from(row.gpus), row.speedup))
            .collect();
        c.series.push(Series::new(
            &series_name(x, several, "measured"),
            measured,
            Mark::LinePoints,
            if several {
                palette::nth(i)
            } else {
                palette::BLUE
            },
        ));
    }
    c.legend = LegendAt::UpperLeft;
    c
}
