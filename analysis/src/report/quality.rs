//! Quality and timing per study (paper Figs. 5, 6): validation PSNR, SSIM, AAD (recomputed
//! from validation.csv and checked against summary.json) and inference time per frame for
//! each value of each swept axis and of the variant (the model-size study), one line per
//! configuration of the other settings, with the bicubic baseline alongside.

use crate::output_error::OutputError;
use super::{configs, slug, Section};
use crate::plot::{self, palette, Axis, LegendAt, Mark, Series, XyChart};
use crate::quality_metrics::QualityMetrics;
use crate::stats::mean;
use crate::sweep::{group_by, Config, Sweep, Trial, VARIANT};
use crate::table::{Cell, Table};
use std::path::Path;

/// A complete trial's numbers: recomputed from validation.csv when present.
pub(super) struct TrialQuality<'a> {
    pub trial: &'a Trial,
    pub metrics: QualityMetrics,
    pub params: u64,
    pub flops: u64,
}

pub(super) fn trial_quality(trial: &Trial) -> Option<TrialQuality<'_>> {
    let summary = trial.summary.as_ref()?;
    let metrics = match trial
        .validation
        .as_deref()
        .and_then(QualityMetrics::from_rows)
    {
        Some(mut m) => {
            // The headline timing is the worker's own per-frame figure.
            m.infer_s = summary.infer_s_per_frame;
            m
        }
        None => QualityMetrics {
            psnr_db: summary.psnr_db,
            ssim: summary.ssim,
            aad: summary.aad,
            bicubic_psnr_db: summary.bicubic_psnr_db,
            bicubic_ssim: f64::NAN,
            bicubic_aad: f64::NAN,
            infer_s: summary.infer_s_per_frame,
            videos: 0,
            frames: 0,
        },
    };
    Some(TrialQuality {
        trial,
        metrics,
        params: summary.params,
        flops: summary.flops_per_sample,
    })
}

/// The per-trial table plus one section per study.
pub fn sections(sweep: &Sweep, out: &Path) -> Result<Vec<Section>, OutputError> {
    let qualities: Vec<TrialQuality> = sweep.complete().filter_map(trial_quality).collect();
    let mut overview = Section::new("quality", "Validation quality and inference time per trial");
    overview.notes.push(
        "PSNR, SSIM and AAD: mean over validation videos of the per-video mean over frames (eq. 4–5), recomputed \
         from validation.csv; inference time per frame from summary.json."
            .into(),
    );
    let mut table = Table::new(
        "quality_trials",
        "Per trial",
        &[
            "trial_id",
            "config",
            "repeat",
            "psnr_db",
            "ssim",
            "aad",
            "bicubic_psnr_db",
            "bicubic_ssim",
            "bicubic_aad",
            "infer_s_per_frame",
            "params",
            "flops_per_sample",
            "videos",
            "frames",
            "summary_psnr_db",
        ],
    );
    for q in &qualities {
        let m = &q.metrics;
        let summary = q.trial.summary.as_ref();
        if q.trial.validation.is_none() {
            overview.notes.push(format!(
                "{}: no validation.csv; values taken from summary.json unchecked.",
                q.trial.id
            ));
        } else if let Some(summary) = summary {
            for issue in m.cross_check(summary) {
                overview
                    .notes
                    .push(format!("Cross-check failed for {}: {issue}.", q.trial.id));
            }
        }
        table.push(vec![
            Cell::text(&q.trial.id),
            Cell::text(sweep.config_label(q.trial)),
            Cell::from(u64::from(q.trial.repeat())),
            Cell::Num(m.psnr_db),
            Cell::Num(m.ssim),
            Cell::Num(m.aad),
            Cell::Num(m.bicubic_psnr_db),
            finite(m.bicubic_ssim),
            finite(m.bicubic_aad),
            Cell::Num(m.infer_s),
            Cell::from(q.params),
            Cell::from(q.flops),
            Cell::from(m.videos as u64),
            Cell::from(m.frames as u64),
            Cell::opt(summary.map(|s| s.psnr_db)),
        ]);
    }
    if qualities.is_empty() {
        overview
            .notes
            .push("No completed trial: no quality results yet.".into());
    }
    overview.tables.push(table);
    let mut sections = vec![overview];
    if qualities.is_empty() {
        return Ok(sections);
    }
    // The variant (when the sweep has variants) and each independent axis is a study: its
    // values on the x axis, one line per configuration of the other settings.
    let mut studies: Vec<(String, Vec<String>)> = Vec::new();
    if sweep.has_variants() {
        studies.push((VARIANT.to_string(), Vec::new()));
    }
    studies.extend(sweep.study_axes());
    for (name, zipped) in &studies {
        let (label, ordered) = if name == VARIANT {
            ("model variant", false)
        } else {
            (name.as_str(), true)
        };
        let mut section = study(sweep, &qualities, name, label, ordered, out)?;
        if !zipped.is_empty() {
            section.notes.insert(
                0,
                format!(
                    "{} follow(s) {name} (zipped): one study.",
                    zipped.join(", ")
                ),
            );
        }
        sections.push(section);
    }
    Ok(sections)
}

fn finite(x: f64) -> Cell {
    if x.is_finite() {
        Cell::Num(x)
    } else {
        Cell::Empty
    }
}

/// A trial's value of the studied setting (a trial outside any variant is the base).
fn value_of(trial: &Trial, name: &str) -> Option<String> {
    Sweep::setting_value(trial, name).or_else(|| (name == VARIANT).then(|| "base".to_string()))
}

/// Values in the order they should be shown: numerically when they all are numbers,
/// else in plan order.
fn ordered_values(sweep: &Sweep, name: &str) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for t in &sweep.trials {
        if let Some(v) = value_of(t, name) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
    }
    if values.iter().all(|v| v.parse::<f64>().is_ok()) {
        values.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
        });
    }
    values
}

/// Most series a plot names in its legend; beyond that the legend would cover the data
/// and the table names every line.
const MAX_LEGEND: usize = 8;

fn study(
    sweep: &Sweep,
    qualities: &[TrialQuality],
    name: &str,
    axis_label: &str,
    ordered: bool,
    out: &Path,
) -> Result<Section, OutputError> {
    let stem = format!("quality_{}", slug(name));
    // Values of an axis are ordered and joined by lines; variants are separate points.
    let mark = if ordered {
        Mark::LinePoints
    } else {
        Mark::Points
    };
    let mut s = Section::new(
        &stem,
        &format!("Quality and inference time vs {axis_label}"),
    );
    let names = sweep.config_names(&[name]);
    let series: Vec<Config> = group_by(&sweep.trials, |t| sweep.config_over(t, &names))
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let several = series.len() > 1;
    let legend = series.len() <= MAX_LEGEND;
    s.notes.push(if several {
        format!(
            "One line per configuration of the other settings ({}); each point is the mean over the completed \
             repeats of one configuration, min/max their spread.",
            names.join(", ")
        )
    } else {
        "Means over the completed repeats of each value; min/max show their spread.".into()
    });
    if !legend {
        s.notes.push(format!(
            "{} configurations: too many for a legend (colours repeat); the table names every line.",
            series.len()
        ));
    }
    let values = ordered_values(sweep, name);
    let mut table = configs::table(
        &stem,
        &format!("Per value of {axis_label} and configuration of the other settings"),
        &names,
        &[
            "value",
            "completed",
            "not_completed",
            "psnr_db",
            "psnr_db_min",
            "psnr_db_max",
            "ssim",
            "aad",
            "bicubic_psnr_db",
            "bicubic_ssim",
            "bicubic_aad",
            "infer_s_per_frame",
            "params",
            "flops_per_sample",
        ],
    );
    // (series index, value index, stats) of every point with a completed trial.
    let mut plotted: Vec<(usize, usize, ValueStats)> = Vec::new();
    for (k, config) in series.iter().enumerate() {
        let in_series = |t: &Trial| sweep.config_over(t, &names) == *config;
        for (i, value) in values.iter().enumerate() {
            let at = |t: &Trial| in_series(t) && value_of(t, name).as_deref() == Some(value);
            if !sweep.trials.iter().any(&at) {
                continue;
            }
            let done: Vec<&TrialQuality> = qualities.iter().filter(|q| at(q.trial)).collect();
            let pending: Vec<String> = sweep
                .trials
                .iter()
                .filter(|t| !t.is_complete() && at(t))
                .map(|t| format!("{} {}", t.id, t.status_text()))
                .collect();
            let v = ValueStats::of(&done);
            let mut row = configs::cells(config);
            row.extend([
                Cell::text(value),
                Cell::from(done.len() as u64),
                Cell::text(pending.join("; ")),
            ]);
            row.extend(
                [
                    v.psnr,
                    v.psnr_min,
                    v.psnr_max,
                    v.ssim,
                    v.aad,
                    v.bicubic_psnr,
                    v.bicubic_ssim,
                    v.bicubic_aad,
                    v.infer_s,
                ]
                .map(Cell::opt),
            );
            row.push(Cell::opt(done.first().map(|q| q.params as f64)));
            row.push(Cell::opt(done.first().map(|q| q.flops as f64)));
            table.push(row);
            if !done.is_empty() {
                plotted.push((k, i, v));
            }
        }
    }
    s.tables.push(table);
    // Tick labels; a value without any completed trial says why (`1 (failed)`).
    let ticks: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            if plotted.iter().any(|(_, j, _)| *j == i) {
                return value.clone();
            }
            let mut words: Vec<String> = sweep
                .trials
                .iter()
                .filter(|t| value_of(t, name).as_deref() == Some(value.as_str()))
                .map(Trial::status_word)
                .collect();
            words.dedup();
            format!("{value} ({})", words.join(", "))
        })
        .collect();
    let x = Axis::categories(axis_label, &ticks);
    let points = |k: usize, f: fn(&ValueStats) -> Option<f64>| {
        plotted
            .iter()
            .filter(|(j, _, _)| *j == k)
            .filter_map(|(_, i, v)| f(v).map(|y| (*i as f64, y)))
            .collect::<Vec<_>>()
    };
    let colour = |k: usize| {
        if several {
            palette::nth(k)
        } else {
            palette::BLUE
        }
    };
    // Legend names: the configuration when there are several, else `plain`.
    let named = |k: usize, plain: &str| -> String {
        match (several, legend) {
            (false, _) => plain.to_string(),
            (true, true) => series[k].label(),
            (true, false) => String::new(),
        }
    };
    let bicubic_mark = if ordered { Mark::Dashed } else { Mark::Points };
    let chart = |title: &str,
                 y: Axis,
                 f: fn(&ValueStats) -> Option<f64>,
                 bicubic: Option<fn(&ValueStats) -> Option<f64>>,
                 plain: &str| {
        let mut c = XyChart::new(&format!("{title} vs {axis_label}"), x.clone(), y);
        for k in 0..series.len() {
            if let Some(b) = bicubic {
                let name = if k == 0 { "bicubic" } else { "" };
                c.series
                    .push(Series::new(name, points(k, b), bicubic_mark, palette::GREY));
            }
            c.series
                .push(Series::new(&named(k, plain), points(k, f), mark, colour(k)));
        }
        c.legend = LegendAt::UpperRight;
        c
    };
    let mut psnr = chart(
        "Validation PSNR",
        Axis::linear("PSNR (dB)"),
        |v| v.psnr,
        Some(|v| v.bicubic_psnr),
        "SWIN-XVR (mean, min–max)",
    );
    // Whiskers belong to the SWIN-XVR series: every other series of the chart.
    for (k, chart_series) in psnr.series.iter_mut().skip(1).step_by(2).enumerate() {
        chart_series.error_bars = plotted
            .iter()
            .filter(|(j, _, _)| *j == k)
            .filter_map(|(_, i, v)| Some((*i as f64, v.psnr_min?, v.psnr_max?)))
            .collect();
    }
    s.figures
        .push(plot::save(&psnr, out, &format!("{stem}_psnr"))?);
    let ssim = chart(
        "Validation SSIM",
        Axis::linear("SSIM (dimensionless)"),
        |v| v.ssim,
        Some(|v| v.bicubic_ssim),
        "SWIN-XVR",
    );
    s.figures
        .push(plot::save(&ssim, out, &format!("{stem}_ssim"))?);
    let aad = chart(
        "Validation AAD",
        Axis::linear("AAD (grey levels)"),
        |v| v.aad,
        Some(|v| v.bicubic_aad),
        "SWIN-XVR",
    );
    s.figures
        .push(plot::save(&aad, out, &format!("{stem}_aad"))?);
    let infer = chart(
        "Inference time per frame",
        Axis::linear("inference time per frame (ms)").from_zero(),
        |v| v.infer_s.map(|t| 1e3 * t),
        None,
        "SWIN-XVR",
    );
    s.figures
        .push(plot::save(&infer, out, &format!("{stem}_infer"))?);
    Ok(s)
}

/// Means over the completed repeats of one axis value (`None` where nothing was measured).
struct ValueStats {
    psnr: Option<f64>,
    psnr_min: Option<f64>,
    psnr_max: Option<f64>,
    ssim: Option<f64>,
    aad: Option<f64>,
    bicubic_psnr: Option<f64>,
    bicubic_ssim: Option<f64>,
    bicubic_aad: Option<f64>,
    infer_s: Option<f64>,
}

impl ValueStats {
    fn of(done: &[&TrialQuality]) -> Self {
        let avg = |f: fn(&QualityMetrics) -> f64| {
            mean(&done.iter().map(|q| f(&q.metrics)).collect::<Vec<_>>()).filter(|x| x.is_finite())
        };
        let psnrs = done.iter().map(|q| q.metrics.psnr_db);
        Self {
            psnr: avg(|m| m.psnr_db),
            psnr_min: psnrs.clone().reduce(f64::min),
            psnr_max: psnrs.reduce(f64::max),
            ssim: avg(|m| m.ssim),
            aad: avg(|m| m.aad),
            bicubic_psnr: avg(|m| m.bicubic_psnr_db),
            bicubic_ssim: avg(|m| m.bicubic_ssim),
            bicubic_aad: avg(|m| m.bicubic_aad),
            infer_s: avg(|m| m.infer_s),
        }
    }
}
