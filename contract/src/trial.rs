//! The fully resolved configuration of one trial: what `trial.yaml` holds and what
//! `xvr-worker` trains. Every field has the paper's baseline as its default (docs/model.md,
//! docs/data.md, docs/training.md), so a spec only names what it changes.
//!
//! This type is the contract between the driver (which writes `trial.yaml`) and the worker
//! (which reads it). Its rules live in [`crate::rules`], run by `xvr validate`/`plan` on
//! every trial of a spec and by the worker on the `trial.yaml` it reads.

use serde::{Deserialize, Serialize};

pub use crate::model::ModelConfig;
pub use crate::reconstruct::ReconstructConfig;
use crate::rules::RuleError;

/// One trial: model, data, training recipe, resources and profiling (or, in a reconstruction
/// trial, what a trained model is applied to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TrialConfig {
    /// Who this trial is within its sweep. Not part of the trial id's hash input except
    /// `repeat` (see the plan layer).
    pub meta: TrialMeta,
    pub model: ModelConfig,
    pub data: DataConfig,
    pub train: TrainConfig,
    pub resources: ResourcesConfig,
    pub profile: ProfileConfig,
    /// Present in a reconstruction trial, which applies a trained trial's model to a video
    /// instead of training ([`ReconstructConfig`]; `train` and `profile` are then unused).
    /// Left out of trial.yaml when absent, so training trials keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstruct: Option<ReconstructConfig>,
}

/// Identity of a planned trial, written by `xvr plan` so that the worker can label its
/// outputs (summary.json's `trial_id` and `axes`) without reading plan.csv.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TrialMeta {
    /// Stable short hash of the resolved trial (empty for a hand-made trial file).
    pub id: String,
    /// Sweep name (`results/<sweep>/`).
    pub sweep: String,
    /// Variant name when the trial comes from `sweep.variants`.
    pub variant: Option<String>,
    /// Repeat index, 0-based.
    pub repeat: u32,
    /// Axis path → value for the axes the sweep varies.
    pub axes: std::collections::BTreeMap<String, serde_yaml::Value>,
}

impl TrialMeta {
    /// `variant heads1, model.window=4, repeat 1`: how a trial is named in messages and in
    /// its job script ("base" when the sweep varies nothing).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.variant {
            parts.push(format!("variant {v}"));
        }
        for (k, v) in &self.axes {
            parts.push(format!("{k}={}", value_text(v)));
        }
        if self.repeat > 0 {
            parts.push(format!("repeat {}", self.repeat));
        }
        if parts.is_empty() {
            "base".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Compact one-line YAML rendering of a value (`[4, 4, 36, 4]`, `0.5`, `abc`): how an axis
/// value is written in plan.csv and named in messages.
pub fn value_text(v: &serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(items) => {
            format!(
                "[{}]",
                items.iter().map(value_text).collect::<Vec<_>>().join(", ")
            )
        }
        Value::Mapping(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", value_text(k), value_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(t) => format!("{} {}", t.tag, value_text(&t.value)),
    }
}

/// Where videos come from and how training samples are drawn (docs/data.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// `synthetic` (the embedded default: generated x-ray videos), `png` (folders of 8- or
    /// 16-bit PNG frames in XFusion's layout under `hr_root` / `lr_root`) or `files` (as
    /// `png`, plus TIFF frame folders, multi-page TIFF stacks and HDF5 files).
    pub source: DataSource,
    /// Fraction of training videos kept, in (0, 1]; whole videos are kept. Default 1.
    pub fraction: f64,
    /// LR crop edge for training samples; the HR crop is 4× this. Default 24 (HR 96).
    pub crop_lr: usize,
    /// Candidate LR intervals between neighbouring LR frames. Default [1, 2, 3].
    pub lr_intervals: Vec<usize>,
    /// Largest HR gap (in frames) on each side of the target when training. Default 20.
    pub hr_gap_max: usize,
    /// Blank-scan factor exponent range: b0 = 10^U(lo, hi) per training sample. Default [1, 7].
    pub b0_exp: [f64; 2],
    /// HR separation D used for validation/inference HR frames on the grid. Default 20.
    pub hr_separation: usize,
    /// Number of held-out validation videos. Default 4 (the paper's four).
    pub val_videos: usize,
    /// Frames of each validation video that are evaluated (0 = all). Default 0.
    pub val_frames: usize,
    /// Seed for video selection, sample drawing and noise. Default 0.
    pub seed: u64,
    /// Synthetic generator settings (used when `source: synthetic`).
    pub synthetic: SyntheticConfig,
    /// HR frame root for `source: png` (`<hr_root>/<clip>/<frame:08d>.png`).
    pub hr_root: Option<String>,
    /// LR frame root for `source: png`/`files`; when absent, LR frames are binned from HR.
    pub lr_root: Option<String>,
    /// Path of the frame dataset inside the HDF5 files of `source: files` (e.g.
    /// `/exchange/data`); needed when a root holds HDF5 files. Left out of trial.yaml when
    /// unset, so trials that do not use it keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hdf5_dataset: Option<String>,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            source: DataSource::Synthetic,
            fraction: 1.0,
            crop_lr: 24,
            lr_intervals: vec![1, 2, 3],
            hr_gap_max: 20,
            b0_exp: [1.0, 7.0],
            hr_separation: 20,
            val_videos: 4,
            val_frames: 0,
            seed: 0,
            synthetic: SyntheticConfig::default(),
            hr_root: None,
            lr_root: None,
            hdf5_dataset: None,
        }
    }
}

/// Video source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    Synthetic,
    Png,
    Files,
}

/// Synthetic x-ray video generator settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticConfig {
    /// Number of videos generated (training + validation). Default 24.
    pub videos: usize,
    /// Frames per video. Default 60.
    pub frames: usize,
    /// HR frame height in pixels (multiple of 4). Default 128.
    pub height: usize,
    /// HR frame width in pixels (multiple of 4). Default 128.
    pub width: usize,
    /// Optional 8-bit PNG used as the background texture (e.g. the tomobank frame).
    pub texture: Option<String>,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self { videos: 24, frames: 60, height: 128, width: 128, texture: None }
    }
}

/// Training recipe (docs/training.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Fixed iteration count. Default 30 000. Ignored when `total_samples` is set.
    pub iterations: u64,
    /// Strong scaling: the total number of training images, split over all ranks;
    /// iterations = ceil(total_samples / (batch_per_gpu × gpus)). Default unset.
    pub total_samples: Option<u64>,
    /// Linear warm-up iterations (-1 disables, as the reference CLI default). Default 500.
    pub warmup: i64,
    /// Samples per rank per iteration. Default 1 (the reference CLI default; paper scaling: 10).
    pub batch_per_gpu: usize,
    /// Adam initial learning rate. Default 2e-4.
    pub lr: f64,
    /// Cosine floor. Default 1e-7.
    pub lr_min: f64,
    /// Adam betas. Default [0.9, 0.99].
    pub betas: [f64; 2],
    /// EMA decay of the weights used for evaluation. Default 0.999.
    pub ema: f64,
    /// Checkpoint every N iterations (0 = only at the end and on SIGTERM). Default 5000.
    pub checkpoint_every: u64,
    /// Validate every N iterations (0 = only at the end). Default 5000.
    pub val_every: u64,
    /// Seed of weight initialisation and per-rank RNGs. Default 0.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            iterations: 30_000,
            total_samples: None,
            warmup: 500,
            batch_per_gpu: 1,
            lr: 2e-4,
            lr_min: 1e-7,
            betas: [0.9, 0.99],
            ema: 0.999,
            checkpoint_every: 5000,
            val_every: 5000,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Iterations actually run for `gpus` ranks (strong scaling when `total_samples` is set).
    pub fn effective_iterations(&self, gpus: u32) -> u64 {
        match self.total_samples {
            Some(total) => {
                let per_iter = self.batch_per_gpu as u64 * u64::from(gpus.max(1));
                total.div_ceil(per_iter.max(1))
            }
            None => self.iterations,
        }
    }
}

/// What the trial asks of the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourcesConfig {
    /// Ranks (one per GPU): 1, 2 or a multiple of 4 up to 256. Default 4.
    pub gpus: u32,
    /// Requested walltime, `HH:MM:SS` (or `MM:SS`, or whole seconds, written as text or
    /// as a number). Default `01:00:00`.
    #[serde(deserialize_with = "walltime_text")]
    pub walltime: String,
    /// Queue name; `None` = the first queue of the site's preference order that fits.
    pub queue: Option<String>,
    /// Compute threads per rank on CPU runs (0 = cores on the node / ranks on the node).
    pub threads_per_rank: usize,
}

impl Default for ResourcesConfig {
    fn default() -> Self {
        Self { gpus: 4, walltime: "01:00:00".into(), queue: None, threads_per_rank: 0 }
    }
}

/// A walltime as text; a plain number of seconds (`walltime: 3600`) is taken as its text,
/// which [`crate::walltime::parse`] reads as seconds.
fn walltime_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a walltime: HH:MM:SS, MM:SS or whole seconds")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            u64::try_from(v)
                .map(|s| s.to_string())
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
    }
    d.deserialize_any(Text)
}

/// Built-in profiler settings (docs/definitions.md#profiler).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    /// Profile at all. Default true.
    pub enabled: bool,
    /// Iterations skipped before the window opens. Default 5.
    pub warmup: u64,
    /// Iterations in the profiled window. Default 10 (the paper's window).
    pub iterations: u64,
    /// Kernel classification preset written to profile.csv: `hta` or `paper`. Default paper.
    pub preset: KernelPreset,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        Self { enabled: true, warmup: 5, iterations: 10, preset: KernelPreset::Paper }
    }
}

/// Kernel classification presets (docs/definitions.md#kernel-categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum KernelPreset {
    Hta,
    Paper,
}

impl TrialConfig {
    /// Reads a resolved `trial.yaml` and checks its rules.
    pub fn from_yaml_file(path: &std::path::Path) -> Result<Self, TrialFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| TrialFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: Self = serde_yaml::from_str(&text).map_err(|source| TrialFileError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        cfg.check().map_err(|source| TrialFileError::Rule {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(cfg)
    }

    /// The rules a worker relies on ([`crate::rules`]; the spec validator reports the same
    /// rules with positions). Returns the first one broken.
    pub fn check(&self) -> Result<(), RuleError> {
        crate::rules::check(self)
    }
}

/// Why a `trial.yaml` cannot be used, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TrialFileError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}{}: {source}", path.display(), line_column(source))]
    Parse {
        path: std::path::PathBuf,
        source: serde_yaml::Error,
    },
    #[error("{}: {source}", path.display())]
    Rule {
        path: std::path::PathBuf,
        source: RuleError,
    },
}

/// `:line:column` of a YAML error, when it has a place.
fn line_column(e: &serde_yaml::Error) -> String {
    e.location()
        .map(|loc| format!(":{}:{}", loc.line(), loc.column()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_baseline() {
        let t = TrialConfig::default();
        assert_eq!((t.model.lr_frames, t.model.window, t.model.heads, t.model.channels), (3, 8, 3, 192));
        assert_eq!(t.model.depths.iter().sum::<usize>(), 24);
        assert_eq!((t.train.iterations, t.train.warmup), (30_000, 500));
        assert!(t.check().is_ok());
    }

    #[test]
    fn strong_scaling_splits_the_paper_total_over_ranks() {
        // Paper §4: 1,206,240 images at batch 10 on 4 GPUs ≈ 30 000 iterations.
        let t = TrainConfig { total_samples: Some(1_206_240), batch_per_gpu: 10, ..Default::default() };
        assert_eq!(t.effective_iterations(4), 30_156);
        assert_eq!(t.effective_iterations(8), 15_078);
    }

    #[test]
    fn yaml_round_trip_keeps_every_field() {
        let t = TrialConfig::default();
        let text = serde_yaml::to_string(&t).unwrap();
        let back: TrialConfig = serde_yaml::from_str(&text).unwrap();
        assert_eq!(t, back);
    }

    #[test]
    fn unknown_field_is_refused() {
        let err = serde_yaml::from_str::<TrialConfig>("model: {windw: 4}").unwrap_err();
        assert!(err.to_string().contains("windw"), "{err}");
    }
}
