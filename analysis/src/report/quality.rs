//! Quality and timing per study (paper Figs. 5, 6): validation PSNR, SSIM, AAD (recomputed
//! from validation.csv and checked against summary.json) and inference time per frame for
//! each value of each swept axis, or for each named variant (the model-size study), with
//! the bicubic baseline alongside.

use super::{slug, Section};
use crate::plot::{self, palette, Axis, LegendAt, Mark, Series, XyChart};
use crate::quality_metrics::QualityMetrics;
use crate::stats::mean;
use crate::sweep::{Sweep, Trial};
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
pub fn sections(sweep: &Sweep, out: &Path) -> Result<Vec<Section>, String> {
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
    if sweep.has_variants() {
        let key = |t: &Trial| {
            t.variant()
                .map(str::to_string)
                .or_else(|| Some("base".into()))
        };
        sections.push(study(
            sweep,
            &qualities,
            "variant",
            "model variant",
            false,
            &key,
            out,
        )?);
    } else {
        let studies = sweep.study_axes();
        for (axis, zipped) in &studies {
            let key = |t: &Trial| t.axis_value(axis);
            let mut section = study(sweep, &qualities, axis, axis, true, &key, out)?;
            if !zipped.is_empty() {
                section.notes.insert(
                    0,
                    format!(
                        "{} follow(s) {axis} (zipped): one study.",
                        zipped.join(", ")
                    ),
                );
            }
            if studies.len() > 1 {
                section.notes.insert(
                    0,
                    format!("The sweep varies {} independent axes: each row averages over the others' values.", studies.len()),
                );
            }
            sections.push(section);
        }
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

/// Values in the order they should be shown: numerically when they all are numbers,
/// else in plan order.
fn ordered_values(sweep: &Sweep, key: &dyn Fn(&Trial) -> Option<String>) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for t in &sweep.trials {
        if let Some(v) = key(t) {
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

fn study(
    sweep: &Sweep,
    qualities: &[TrialQuality],
    name: &str,
    axis_label: &str,
    ordered: bool,
    key: &dyn Fn(&Trial) -> Option<String>,
    out: &Path,
) -> Result<Section, String> {
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
    s.notes
        .push("Means over the completed repeats of each value; min/max show their spread.".into());
    let values = ordered_values(sweep, key);
    let mut table = Table::new(
        &stem,
        &format!("Per value of {axis_label}"),
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
    let mut plotted: Vec<(usize, ValueStats)> = Vec::new();
    // Tick labels; a value without a completed trial says why (`1 (failed)`).
    let mut ticks = values.clone();
    for (i, value) in values.iter().enumerate() {
        let done: Vec<&TrialQuality> = qualities
            .iter()
            .filter(|q| key(q.trial).as_deref() == Some(value))
            .collect();
        let pending: Vec<String> = sweep
            .trials
            .iter()
            .filter(|t| !t.is_complete() && key(t).as_deref() == Some(value))
            .map(|t| format!("{} {}", t.id, t.status_text()))
            .collect();
        let v = ValueStats::of(&done);
        if done.is_empty() {
            let mut words: Vec<String> = sweep
                .trials
                .iter()
                .filter(|t| key(t).as_deref() == Some(value.as_str()))
                .map(Trial::status_word)
                .collect();
            words.dedup();
            ticks[i] = format!("{value} ({})", words.join(", "));
        }
        let mut row = vec![
            Cell::text(value),
            Cell::from(done.len() as u64),
            Cell::text(pending.join("; ")),
        ];
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
            plotted.push((i, v));
        }
    }
    s.tables.push(table);
    let x = Axis::categories(axis_label, &ticks);
    let points = |f: fn(&ValueStats) -> Option<f64>| {
        plotted
            .iter()
            .filter_map(|(i, v)| f(v).map(|y| (*i as f64, y)))
            .collect::<Vec<_>>()
    };
    let mut psnr = XyChart::new(
        &format!("Validation PSNR vs {axis_label}"),
        x.clone(),
        Axis::linear("PSNR (dB)"),
    );
    psnr.series.push(Series::new(
        "bicubic",
        points(|v| v.bicubic_psnr),
        mark,
        palette::GREY,
    ));
    let spread = plotted
        .iter()
        .filter_map(|(i, v)| Some((*i as f64, v.psnr_min?, v.psnr_max?)))
        .collect();
    psnr.series.push(
        Series::new(
            "SWIN-XVR (mean, min–max)",
            points(|v| v.psnr),
            mark,
            palette::BLUE,
        )
        .with_error_bars(spread),
    );
    psnr.legend = LegendAt::UpperRight;
    s.figures
        .push(plot::save(&psnr, out, &format!("{stem}_psnr"))?);
    let mut ssim = XyChart::new(
        &format!("Validation SSIM vs {axis_label}"),
        x.clone(),
        Axis::linear("SSIM (dimensionless)"),
    );
    ssim.series.push(Series::new(
        "bicubic",
        points(|v| v.bicubic_ssim),
        mark,
        palette::GREY,
    ));
    ssim.series.push(Series::new(
        "SWIN-XVR",
        points(|v| v.ssim),
        mark,
        palette::BLUE,
    ));
    ssim.legend = LegendAt::UpperRight;
    s.figures
        .push(plot::save(&ssim, out, &format!("{stem}_ssim"))?);
    let mut aad = XyChart::new(
        &format!("Validation AAD vs {axis_label}"),
        x.clone(),
        Axis::linear("AAD (grey levels)"),
    );
    aad.series.push(Series::new(
        "bicubic",
        points(|v| v.bicubic_aad),
        mark,
        palette::GREY,
    ));
    aad.series.push(Series::new(
        "SWIN-XVR",
        points(|v| v.aad),
        mark,
        palette::BLUE,
    ));
    s.figures
        .push(plot::save(&aad, out, &format!("{stem}_aad"))?);
    let mut infer = XyChart::new(
        &format!("Inference time per frame vs {axis_label}"),
        x,
        Axis::linear("inference time per frame (ms)").from_zero(),
    );
    let ms = plotted
        .iter()
        .filter_map(|(i, v)| Some((*i as f64, 1e3 * v.infer_s?)))
        .collect();
    infer
        .series
        .push(Series::new("SWIN-XVR", ms, mark, palette::VERMILLION));
    infer.legend = LegendAt::UpperRight;
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
