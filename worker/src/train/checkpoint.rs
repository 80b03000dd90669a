//! Checkpoints: model, Adam state, EMA, iteration and sampler state in one directory,
//! replaced atomically so that a kill at any instruction leaves a complete checkpoint.
//!
//! Layout of `checkpoint/`: `model.bin`, `optimizer.bin`, `ema.bin` (burn records, full
//! f32 precision, so a resumed run continues bit for bit) and `state.json`
//! ([`CheckpointState`]). Writing goes to `checkpoint.tmp/`, fsynced; then the old
//! `checkpoint/` is renamed to `checkpoint.prev/`, the new one into place, and the previous
//! one removed. At every moment `checkpoint/` or (during the swap) `checkpoint.prev/` holds
//! a complete checkpoint; [`find`] looks in that order.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, Optimizer};
use burn::record::{BinFileRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use super::trainer::Trainer;
use crate::data::SamplerState;
use crate::model::SwinXvr;

/// Version of the checkpoint layout; bumped when it changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// The non-tensor part of a checkpoint (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    pub format_version: u32,
    /// Trial id the checkpoint belongs to (empty for a hand-made trial).
    pub trial_id: String,
    /// Iterations completed.
    pub iteration: u64,
    /// Iterations of the whole run (to refuse a checkpoint of a differently sized run).
    pub total_iterations: u64,
    /// Rank 0's sampler state; rank r resumes at the same `taken` with its own rank.
    pub sampler: SamplerState,
    /// Training-loop wall time spent so far (s), summed over attempts.
    pub train_wall_s: f64,
}

/// Path of the complete checkpoint under `trial_dir`, if one exists.
pub fn find(trial_dir: &Path) -> Option<PathBuf> {
    [dir(trial_dir), prev_dir(trial_dir)]
        .into_iter()
        .find(|d| d.join(STATE_FILE).is_file())
}

const STATE_FILE: &str = "state.json";

/// Full-precision binary records: f32 stored as f32, so nothing is rounded on resume.
fn recorder() -> BinFileRecorder<FullPrecisionSettings> {
    BinFileRecorder::new()
}

fn dir(trial_dir: &Path) -> PathBuf {
    trial_dir.join(xvr::results::names::CHECKPOINT_DIR)
}

fn prev_dir(trial_dir: &Path) -> PathBuf {
    trial_dir.join(format!("{}.prev", xvr::results::names::CHECKPOINT_DIR))
}

/// Writes `trainer`'s state and `state` as the checkpoint of `trial_dir`, atomically.
pub fn save<B: AutodiffBackend>(
    trial_dir: &Path,
    trainer: &Trainer<B>,
    state: &CheckpointState,
) -> Result<(), String> {
    let tmp = trial_dir.join(format!("{}.tmp", xvr::results::names::CHECKPOINT_DIR));
    let context = |e: &dyn std::fmt::Display| format!("writing checkpoint {}: {e}", tmp.display());
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| context(&e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| context(&e))?;
    recorder()
        .record(trainer.model().clone().into_record(), tmp.join("model"))
        .map_err(|e| context(&e))?;
    recorder()
        .record(trainer.optimizer_record(), tmp.join("optimizer"))
        .map_err(|e| context(&e))?;
    recorder()
        .record(trainer.ema_model().clone().into_record(), tmp.join("ema"))
        .map_err(|e| context(&e))?;
    let json = serde_json::to_vec_pretty(state).map_err(|e| context(&e))?;
    fs::write(tmp.join(STATE_FILE), json).map_err(|e| context(&e))?;
    sync_dir_files(&tmp).map_err(|e| context(&e))?;

    let (current, prev) = (dir(trial_dir), prev_dir(trial_dir));
    let swap = || -> io::Result<()> {
        if prev.exists() {
            fs::remove_dir_all(&prev)?;
        }
        if current.exists() {
            fs::rename(&current, &prev)?;
        }
        fs::rename(&tmp, &current)?;
        if let Ok(d) = fs::File::open(trial_dir) {
            let _ = d.sync_all();
        }
        if prev.exists() {
            fs::remove_dir_all(&prev)?;
        }
        Ok(())
    };
    swap().map_err(|e| format!("replacing checkpoint {}: {e}", current.display()))
}

/// Reads the checkpoint in `checkpoint_dir` into `trainer` and returns its state.
pub fn load<B: AutodiffBackend>(
    checkpoint_dir: &Path,
    trainer: &mut Trainer<B>,
) -> Result<CheckpointState, String> {
    let context = |what: &str, e: &dyn std::fmt::Display| {
        format!("{}: {what}: {e}", checkpoint_dir.display())
    };
    let text = fs::read(checkpoint_dir.join(STATE_FILE)).map_err(|e| context(STATE_FILE, &e))?;
    let state: CheckpointState =
        serde_json::from_slice(&text).map_err(|e| context(STATE_FILE, &e))?;
    if state.format_version != FORMAT_VERSION {
        return Err(format!(
            "{}: checkpoint format {} but this worker reads format {FORMAT_VERSION}; delete the checkpoint to start over",
            checkpoint_dir.display(),
            state.format_version
        ));
    }
    let device = trainer.device().clone();
    let model_record = recorder()
        .load(checkpoint_dir.join("model"), &device)
        .map_err(|e| context("model.bin", &e))?;
    let model: SwinXvr<B> = trainer.model().clone().load_record(model_record);
    let optim_record: <OptimizerAdaptor<Adam, SwinXvr<B>, B> as Optimizer<SwinXvr<B>, B>>::Record =
        recorder()
            .load(checkpoint_dir.join("optimizer"), &device)
            .map_err(|e| context("optimizer.bin", &e))?;
    let ema_record = recorder()
        .load(checkpoint_dir.join("ema"), &device)
        .map_err(|e| context("ema.bin", &e))?;
    let ema = trainer.ema_model().clone().load_record(ema_record);
    trainer.restore(model, optim_record, ema, state.iteration);
    Ok(state)
}

/// fsyncs every file in `dir` and the directory itself.
fn sync_dir_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        fs::File::open(entry?.path())?.sync_all()?;
    }
    fs::File::open(dir)?.sync_all()
}
