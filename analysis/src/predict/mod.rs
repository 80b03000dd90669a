//! Scaling prediction before node-hours are spent: a model of one training iteration,
//!
//!   t_iter(g, b) = o + c·b + T_allreduce(g, 4·P bytes),
//!
//! with the compute part (o, c) fitted to the measured trials of the same model at their
//! smallest GPU count (see [`compute`]; trials at larger counts are left to check the
//! prediction) and the gradient all-reduce of P f32 parameters from the site's link figures
//! ([`allreduce`]). Wall time = iterations × t_iter; efficiency e = r·t(r)/(g·t(g)) with r the
//! smallest planned GPU count of the series; node-hours = nodes × wall time. Where the
//! measured sweep has trials at a predicted count, they are shown next to the prediction.

pub mod allreduce;
pub mod command;
pub mod compute;
mod error;

pub use error::{BadLink, PredictError};

use crate::report::profile::rows_for_communication;
use crate::sweep::Sweep;
use crate::table::{Cell, Table};
use allreduce::AllReduce;
use compute::{ComputeModel, Measurement};
use xvr_contract::results::PlanRow;
use xvr_contract::site::{Links, SiteFacts};
use xvr_contract::trial::{value_text, TrialConfig};

/// Bytes per gradient element (f32).
const GRADIENT_BYTES: f64 = 4.0;

/// One planned configuration at one GPU count.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The planned trial's settings other than resources (its series).
    pub series: String,
    pub gpus: u32,
    pub nodes: u32,
    pub batch_per_gpu: usize,
    pub iterations: u64,
    pub params: u64,
    pub compute_s: f64,
    pub allreduce: AllReduce,
    pub s_per_iter: f64,
    pub wall_s: f64,
    /// e(r, g) against the series' smallest planned GPU count.
    pub efficiency: f64,
    pub node_hours: f64,
    /// What the plan requests: nodes × walltime.
    pub requested_node_hours: f64,
    pub walltime_s: u64,
    /// Measured trials of the same model, batch and GPU count: their mean time per iteration.
    pub measured: Option<(f64, Vec<String>)>,
}

impl Row {
    /// (predicted − measured)/measured in %.
    pub fn error_pct(&self) -> Option<f64> {
        self.measured
            .as_ref()
            .map(|(m, _)| 100.0 * (self.s_per_iter - m) / m)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub rows: Vec<Row>,
    /// What the numbers rest on, in sentences.
    pub assumptions: Vec<String>,
}

/// What makes two trials the same computation per sample: the model and the crop size.
fn workload(config: &TrialConfig) -> String {
    format!(
        "{}crop_lr={}",
        serde_yaml::to_string(&config.model).unwrap_or_default(),
        config.data.crop_lr
    )
}

/// The model settings as `path=value` text, for messages.
fn describe_model(config: &TrialConfig) -> String {
    let m = &config.model;
    format!(
        "model lr_frames={} window={} heads={} channels={} depths={:?}, data.crop_lr={}",
        m.lr_frames, m.window, m.heads, m.channels, m.depths, config.data.crop_lr
    )
}

/// A measured trial's time per iteration and communication per iteration.
fn measurement(trial: &crate::sweep::Trial) -> Option<(Measurement, &TrialConfig, u64)> {
    let config = trial.config.as_ref()?;
    let summary = trial.summary.as_ref()?;
    if !trial.is_complete()
        || summary.iterations == 0
        || summary.train_wall_s.is_nan()
        || summary.train_wall_s <= 0.0
    {
        return None;
    }
    let comm = if summary.gpus <= 1 {
        Some(0.0)
    } else {
        let window = config.profile.iterations as f64;
        trial
            .profile
            .as_deref()
            .and_then(rows_for_communication)
            .filter(|_| window > 0.0)
            .map(|seconds| seconds / window)
    };
    Some((
        Measurement {
            trial_id: trial.id.clone(),
            gpus: summary.gpus,
            batch_per_gpu: summary.batch_per_gpu,
            s_per_iter: summary.train_wall_s / summary.iterations as f64,
            comm_s_per_iter: comm,
        },
        config,
        summary.params,
    ))
}

/// The planned trial's series: its settings other than resources and the repeat.
fn series_of(config: &TrialConfig) -> String {
    let mut parts: Vec<String> = config.meta.variant.iter().cloned().collect();
    parts.extend(
        config
            .meta
            .axes
            .iter()
            .filter(|(k, _)| !k.starts_with(crate::sweep::RESOURCES_PREFIX))
            .map(|(k, v)| format!("{k}={}", value_text(v))),
    );
    if parts.is_empty() {
        "base".into()
    } else {
        parts.join(", ")
    }
}

/// A planned trial: its trial.yaml and its plan.csv row, or why it cannot be predicted.
fn planned_trial<'t>(
    t: &'t crate::sweep::Trial,
    planned: &Sweep,
) -> Result<(&'t TrialConfig, &'t PlanRow), PredictError> {
    match (&t.config, &t.plan) {
        (Some(config), Some(row)) => Ok((config, row)),
        _ => Err(PredictError::PlannedTrialUnreadable {
            planned: planned.dir.clone(),
            trial: t.id.clone(),
            problems: if t.problems.is_empty() {
                "no trial.yaml, or not in plan.csv".into()
            } else {
                t.problems.join("; ")
            },
        }),
    }
}

/// Predicts every planned trial (repeats once) of the planned sweep on `site` from the
/// measured sweep.
pub fn predict(
    planned: &Sweep,
    site: &SiteFacts,
    measured: &Sweep,
    links: &Links,
) -> Result<Prediction, PredictError> {
    let found: Vec<(Measurement, &TrialConfig, u64)> =
        measured.trials.iter().filter_map(measurement).collect();
    if found.is_empty() {
        return Err(PredictError::NothingMeasured { measured: measured.dir.clone() });
    }
    let per_node = site.gpus_per_node;
    let mut rows: Vec<Row> = Vec::new();
    let mut fits: Vec<(String, ComputeModel, u64)> = Vec::new();
    for t in &planned.trials {
        let (config, plan_row) = planned_trial(t, planned)?;
        let key = workload(config);
        let same: Vec<&(Measurement, &TrialConfig, u64)> = found
            .iter()
            .filter(|(_, c, _)| workload(c) == key)
            .collect();
        let Some(&&(_, _, params)) = same.first() else {
            return Err(PredictError::ModelNotMeasured {
                trial: t.id.clone(),
                config: config.meta.describe(),
                measured: measured.dir.clone(),
                model: describe_model(config),
            });
        };
        let model = match fits.iter().find(|(k, _, _)| *k == key) {
            Some((_, m, _)) => *m,
            None => {
                // Fitted at the smallest measured GPU count only: trials at larger counts are
                // then an independent check of the prediction.
                let fewest = same.iter().map(|(m, _, _)| m.gpus).min().unwrap_or(1);
                let ms: Vec<Measurement> = same
                    .iter()
                    .map(|(m, _, _)| m.clone())
                    .filter(|m| m.gpus == fewest)
                    .collect();
                let m = ComputeModel::fit(&ms).ok_or_else(|| PredictError::ComputeNotSeparable {
                    measured: measured.dir.clone(),
                    trial: t.id.clone(),
                })?;
                fits.push((key.clone(), m, params));
                m
            }
        };
        let gpus = config.resources.gpus;
        let batch = config.train.batch_per_gpu;
        let iterations = config.train.effective_iterations(gpus);
        let series = series_of(config);
        if rows.iter().any(|r| {
            r.series == series
                && r.gpus == gpus
                && r.batch_per_gpu == batch
                && r.iterations == iterations
        }) {
            continue; // a repeat
        }
        let allreduce = AllReduce::of(gpus, per_node, GRADIENT_BYTES * params as f64, links);
        let compute_s = model.eval(batch);
        let s_per_iter = compute_s + allreduce.best().0;
        let wall_s = iterations as f64 * s_per_iter;
        let at_count: Vec<&Measurement> = same
            .iter()
            .map(|(m, _, _)| m)
            .filter(|m| m.gpus == gpus && m.batch_per_gpu == batch)
            .collect();
        let measured_here = (!at_count.is_empty()).then(|| {
            (
                at_count.iter().map(|m| m.s_per_iter).sum::<f64>() / at_count.len() as f64,
                at_count.iter().map(|m| m.trial_id.clone()).collect(),
            )
        });
        rows.push(Row {
            series,
            gpus,
            nodes: plan_row.nodes,
            batch_per_gpu: batch,
            iterations,
            params,
            compute_s,
            allreduce,
            s_per_iter,
            wall_s,
            efficiency: f64::NAN,
            node_hours: f64::from(plan_row.nodes) * wall_s / 3600.0,
            requested_node_hours: plan_row.requested_node_hours(),
            walltime_s: plan_row.walltime_s,
            measured: measured_here,
        });
    }
    // Efficiency within each series against its smallest GPU count.
    let snapshot = rows.clone();
    for row in &mut rows {
        if let Some(base) = snapshot
            .iter()
            .filter(|r| r.series == row.series && r.batch_per_gpu == row.batch_per_gpu)
            .min_by_key(|r| r.gpus)
        {
            row.efficiency =
                f64::from(base.gpus) * base.wall_s / (f64::from(row.gpus) * row.wall_s);
        }
    }
    let mut assumptions = vec![
        "t_iter = o + c·b + T_allreduce: the all-reduce follows the backward pass without overlap (an upper \
         bound when the framework overlaps them); each rank has a device of its own, so c does not change \
         with the GPU count."
            .to_string(),
        format!(
            "Gradient all-reduce of {GRADIENT_BYTES}·P bytes (P parameters from summary.json, f32 gradients); \
             α–β model with the site's links: intra-node {} GB/s, {} µs; inter-node {} GB/s per node, {} µs; \
             {} GPUs per node; the faster of a flat ring and a node-ring + inter-node tree.",
            links.intra_node.bandwidth_gb_s,
            links.intra_node.latency_us,
            links.inter_node.bandwidth_gb_s,
            links.inter_node.latency_us,
            per_node
        ),
        "Wall time = iterations × t_iter (training loop only: start-up, validation and checkpoints excluded); \
         node-hours = nodes × wall time."
            .to_string(),
    ];
    for (_, m, params) in &fits {
        assumptions.push(format!(
            "Compute fit over {} measured trial(s) at {} GPU(s) and {} batch size(s), P = {params}: c = {:.6} s \
             per sample, o = {:.6} s per iteration{}.",
            m.trials,
            m.gpus,
            m.batch_sizes,
            m.per_sample_s,
            m.overhead_s,
            if m.batch_sizes < 2 {
                " (one batch size: o taken as 0)"
            } else {
                ""
            }
        ));
    }
    Ok(Prediction { rows, assumptions })
}

impl Prediction {
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            "prediction",
            "Predicted training time per planned configuration and GPU count",
            &[
                "series",
                "gpus",
                "nodes",
                "batch_per_gpu",
                "global_batch",
                "iterations",
                "params",
                "compute_s_per_iter",
                "allreduce_ring_s",
                "allreduce_tree_s",
                "algorithm",
                "s_per_iter",
                "wall_s",
                "efficiency_pct",
                "node_hours",
                "requested_node_hours",
                "fits_walltime",
                "measured_s_per_iter",
                "measured_trials",
                "error_pct",
            ],
        );
        for r in &self.rows {
            t.push(vec![
                Cell::text(&r.series),
                Cell::from(u64::from(r.gpus)),
                Cell::from(u64::from(r.nodes)),
                Cell::from(r.batch_per_gpu as u64),
                Cell::from(r.batch_per_gpu as u64 * u64::from(r.gpus)),
                Cell::from(r.iterations),
                Cell::from(r.params),
                Cell::Num(r.compute_s),
                Cell::Num(r.allreduce.ring_s),
                Cell::Num(r.allreduce.tree_s),
                Cell::text(r.allreduce.best().1),
                Cell::Num(r.s_per_iter),
                Cell::Num(r.wall_s),
                Cell::Num(100.0 * r.efficiency),
                Cell::Num(r.node_hours),
                Cell::Num(r.requested_node_hours),
                Cell::text(if r.wall_s <= r.walltime_s as f64 {
                    "yes"
                } else {
                    "no"
                }),
                Cell::opt(r.measured.as_ref().map(|m| m.0)),
                Cell::text(
                    r.measured
                        .as_ref()
                        .map(|m| m.1.join(" "))
                        .unwrap_or_default(),
                ),
                Cell::opt(r.error_pct()),
            ]);
        }
        t
    }
}
