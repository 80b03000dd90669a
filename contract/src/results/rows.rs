//! Row and record types of the per-trial result files (results/README.md).
//! Columns may grow; renaming one is a breaking change.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One row of `train.csv`, written by rank 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainRow {
    /// 1-based iteration.
    pub iter: u64,
    /// Learning rate used for this iteration.
    pub lr: f64,
    /// L1 loss, mean over ranks.
    pub loss: f64,
    /// Wall time of the step on rank 0 (s).
    pub step_s: f64,
    /// Global samples per second for this step (all ranks).
    pub samples_per_s: f64,
}

/// One row of `profile.csv`: one rank's profiled window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub rank: usize,
    /// `hta` or `paper`.
    pub preset: String,
    pub span_s: f64,
    pub busy_s: f64,
    pub idle_s: f64,
    pub utilization: f64,
    pub computation_s: f64,
    pub communication_s: f64,
    pub memory_s: f64,
    pub other_s: f64,
    /// HTA's overlap ratio: time computing while communicating / communication time.
    pub comp_comm_overlap: f64,
}

/// One row of `validation.csv`: one evaluated frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRow {
    pub video: String,
    pub frame: usize,
    pub psnr_db: f64,
    pub ssim: f64,
    pub aad: f64,
    /// The bicubic up-sampling of the centre LR frame, same metrics.
    pub bicubic_psnr_db: f64,
    pub bicubic_ssim: f64,
    pub bicubic_aad: f64,
    /// Forward-pass wall time for this frame (s).
    pub infer_s: f64,
}

/// `summary.json`: the trial's headline numbers, written last by rank 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub trial_id: String,
    /// Axis path → value for the axes this trial varies (as in plan.csv).
    pub axes: BTreeMap<String, serde_json::Value>,
    pub gpus: u32,
    pub world_size: usize,
    pub batch_per_gpu: usize,
    pub iterations: u64,
    /// Training loop wall time, start-up and data-loader set-up excluded (s).
    pub train_wall_s: f64,
    /// Validation PSNR: mean over videos of the per-video mean over frames (eq. 4–5).
    pub psnr_db: f64,
    pub ssim: f64,
    pub aad: f64,
    pub bicubic_psnr_db: f64,
    pub infer_s_per_frame: f64,
    pub params: u64,
    pub flops_per_sample: u64,
    /// `succeeded` when every number above is final.
    pub status: String,
}

/// Lifecycle states of a trial (`state.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    Planned,
    Submitted,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

/// `state.json`: where a trial is in its lifecycle. Written atomically by the scheduler layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialState {
    pub status: TrialStatus,
    /// `local` or `pbs`.
    #[serde(default)]
    pub scheduler: Option<String>,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    /// Submissions so far (a walltime resume is another attempt).
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub exit_status: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
    /// RFC 3339 timestamps.
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Run time of the last attempt (s).
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    /// Every attempt that ended, oldest first: the state as it stood at that end (job,
    /// queue, status, exit, reason, times), each with an empty history of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<TrialState>,
}

impl TrialState {
    pub fn planned() -> Self {
        Self {
            status: TrialStatus::Planned,
            scheduler: None,
            job_id: None,
            queue: None,
            attempts: 0,
            exit_status: None,
            reason: None,
            submitted_at: None,
            started_at: None,
            finished_at: None,
            elapsed_s: None,
            history: Vec::new(),
        }
    }
}
