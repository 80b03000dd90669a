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

pub use super::checkpoint_error::{CheckpointError, Problem};
use super::trainer::Trainer;
use crate::data::SamplerState;
use crate::model::SwinXvr;
use xvr_contract::trial::ModelConfig;

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
    /// Model settings of the run (absent in checkpoints written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelConfig>,
}

/// What a checkpoint must match to be resumed by this run.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// This trial's id (empty for a hand-made trial: not compared).
    pub trial_id: &'a str,
    /// Iterations of this run.
    pub total_iterations: u64,
    /// Ranks of this run.
    pub world: u64,
    pub model: &'a ModelConfig,
    /// Rows of iterations in train.csv (`iter` 1..=k with none missing).
    pub logged_iterations: u64,
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
    trial_dir.join(xvr_contract::results::names::CHECKPOINT_DIR)
}

fn prev_dir(trial_dir: &Path) -> PathBuf {
    trial_dir.join(format!("{}.prev", xvr_contract::results::names::CHECKPOINT_DIR))
}

/// Writes `trainer`'s state and `state` as the checkpoint of `trial_dir`, atomically.
pub fn save<B: AutodiffBackend>(
    trial_dir: &Path,
    trainer: &Trainer<B>,
    state: &CheckpointState,
) -> Result<(), CheckpointError> {
    let tmp = trial_dir.join(format!("{}.tmp", xvr_contract::results::names::CHECKPOINT_DIR));
    let cannot_write = |source| CheckpointError::Write { dir: tmp.clone(), source };
    let cannot_record = |source| CheckpointError::Record { dir: tmp.clone(), source };
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(cannot_write)?;
    }
    fs::create_dir_all(&tmp).map_err(cannot_write)?;
    recorder()
        .record(trainer.model().clone().into_record(), tmp.join("model"))
        .map_err(cannot_record)?;
    recorder()
        .record(trainer.optimizer_record(), tmp.join("optimizer"))
        .map_err(cannot_record)?;
    recorder()
        .record(trainer.ema_model().clone().into_record(), tmp.join("ema"))
        .map_err(cannot_record)?;
    let json = serde_json::to_vec_pretty(state).map_err(|e| cannot_write(e.into()))?;
    fs::write(tmp.join(STATE_FILE), json).map_err(cannot_write)?;
    sync_dir_files(&tmp).map_err(cannot_write)?;

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
    swap().map_err(|source| CheckpointError::Replace { dir: current, source })
}

/// Reads and parses `state.json` in `checkpoint_dir`.
fn read_state(checkpoint_dir: &Path) -> Result<CheckpointState, Problem> {
    let text = fs::read(checkpoint_dir.join(STATE_FILE)).map_err(Problem::Read)?;
    serde_json::from_slice(&text).map_err(Problem::NotAState)
}

/// Reads and checks the checkpoint in `checkpoint_dir` into `trainer` and returns its state.
/// A checkpoint of another trial, of a differently sized or shaped run, from beyond the end
/// of this run, or ahead of train.csv is refused, as is an unreadable file; each message
/// names the file and what to do.
pub fn load<B: AutodiffBackend>(
    checkpoint_dir: &Path,
    trainer: &mut Trainer<B>,
    expected: Expected,
) -> Result<CheckpointState, CheckpointError> {
    let refused = |file: &str, problem| CheckpointError::CannotResume {
        path: checkpoint_dir.join(file),
        checkpoint_dir: checkpoint_dir.to_path_buf(),
        problem,
    };
    let state = read_state(checkpoint_dir)
        .and_then(|state| check_fits(&state, &expected).map(|()| state))
        .map_err(|problem| refused(STATE_FILE, problem))?;
    let device = trainer.device().clone();
    let unreadable = |file: &str, e| refused(file, Problem::UnreadableRecord(e));
    let model_record = recorder()
        .load(checkpoint_dir.join("model"), &device)
        .map_err(|e| unreadable("model.bin", e))?;
    let shapes = param_shapes(trainer.model());
    let model: SwinXvr<B> = trainer.model().clone().load_record(model_record);
    let optim_record: <OptimizerAdaptor<Adam, SwinXvr<B>, B> as Optimizer<SwinXvr<B>, B>>::Record =
        recorder()
            .load(checkpoint_dir.join("optimizer"), &device)
            .map_err(|e| unreadable("optimizer.bin", e))?;
    let ema_record = recorder()
        .load(checkpoint_dir.join("ema"), &device)
        .map_err(|e| unreadable("ema.bin", e))?;
    let ema = trainer.ema_model().clone().load_record(ema_record);
    for (file, loaded) in [
        ("model.bin", param_shapes(&model)),
        ("ema.bin", param_shapes(&ema)),
    ] {
        if loaded != shapes {
            return Err(refused(file, Problem::Shapes));
        }
    }
    trainer.restore(model, optim_record, ema, state.iteration);
    Ok(state)
}

/// The rules a checkpoint's state must meet to continue this run.
fn check_fits(state: &CheckpointState, expected: &Expected) -> Result<(), Problem> {
    check_identity(state, expected.trial_id)?;
    if state.total_iterations != expected.total_iterations || state.sampler.world != expected.world
    {
        return Err(Problem::OtherRunSize {
            found_iterations: state.total_iterations,
            found_ranks: state.sampler.world,
            iterations: expected.total_iterations,
            ranks: expected.world,
        });
    }
    if state.iteration > state.total_iterations {
        return Err(Problem::BeyondTheRun { iteration: state.iteration, total: state.total_iterations });
    }
    if let Some(model) = &state.model {
        if model != expected.model {
            return Err(Problem::OtherModel {
                found: Box::new(model.clone()),
                expected: Box::new(expected.model.clone()),
            });
        }
    }
    if expected.logged_iterations < state.iteration {
        return Err(Problem::AheadOfTheLog { iteration: state.iteration, logged: expected.logged_iterations });
    }
    Ok(())
}

/// A checkpoint this worker can read, of trial `trial_id` (empty ids are not compared).
fn check_identity(state: &CheckpointState, trial_id: &str) -> Result<(), Problem> {
    if state.format_version != FORMAT_VERSION {
        return Err(Problem::Format(state.format_version));
    }
    if !trial_id.is_empty() && !state.trial_id.is_empty() && state.trial_id != trial_id {
        return Err(Problem::OtherTrial { found: state.trial_id.clone(), expected: trial_id.to_string() });
    }
    Ok(())
}

/// Shapes of every float parameter of `module`, in visiting order.
fn param_shapes<B: burn::tensor::backend::Backend, M: Module<B>>(module: &M) -> Vec<Vec<usize>> {
    use burn::module::{ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Shapes(Vec<Vec<usize>>);
    impl<B: burn::tensor::backend::Backend> ModuleVisitor<B> for Shapes {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push(param.val().dims().to_vec());
        }
    }
    let mut shapes = Shapes(Vec::new());
    module.visit(&mut shapes);
    shapes.0
}

/// fsyncs every file in `dir` and the directory itself.
fn sync_dir_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        fs::File::open(entry?.path())?.sync_all()?;
    }
    fs::File::open(dir)?.sync_all()
}

/// Which weights of a checkpoint a trained model is built from (part of a reconstruction
/// trial's section, so it lives in the contract).
pub use xvr_contract::reconstruct::Weights;

/// The trained model of the trial in `trial_dir` (`trial`, its `trial.yaml`), from its
/// checkpoint, on an inference backend, with the checkpoint's state.
///
/// Refused, naming the file: no checkpoint, an unreadable one, one of another trial, one whose
/// recorded model settings differ from the trial's, or records whose parameter shapes do not
/// fit the trial's model.
pub fn load_trained<B: burn::tensor::backend::Backend>(
    trial_dir: &Path,
    trial: &xvr_contract::trial::TrialConfig,
    weights: Weights,
    device: &B::Device,
) -> Result<(SwinXvr<B>, CheckpointState), CheckpointError> {
    let checkpoint_dir = find(trial_dir).ok_or_else(|| CheckpointError::NoCheckpoint { dir: dir(trial_dir) })?;
    let refused = |path: PathBuf, problem| CheckpointError::CannotLoad { path, problem };
    let state_path = checkpoint_dir.join(STATE_FILE);
    let state = read_state(&checkpoint_dir)
        .and_then(|state| check_identity(&state, &trial.meta.id).map(|()| state))
        .map_err(|problem| refused(state_path.clone(), problem))?;
    match &state.model {
        Some(model) if model != &trial.model => {
            return Err(refused(
                state_path,
                Problem::ModelSettings {
                    found: Box::new(model.clone()),
                    expected: Box::new(trial.model.clone()),
                    trial_yaml: trial_dir.join(xvr_contract::results::names::TRIAL_YAML),
                },
            ))
        }
        _ => {}
    }
    let fresh: SwinXvr<B> = crate::model::InitSwinXvr::init::<B>(&trial.model, device);
    let shapes = param_shapes(&fresh);
    let file = match weights {
        Weights::Ema => "ema",
        Weights::Raw => "model",
    };
    let record_path = checkpoint_dir.join(format!("{file}.bin"));
    let record = recorder()
        .load(checkpoint_dir.join(file), device)
        .map_err(|e| refused(record_path.clone(), Problem::UnreadableRecord(e)))?;
    let model = fresh.load_record(record);
    if param_shapes(&model) != shapes {
        return Err(refused(record_path, Problem::Shapes));
    }
    Ok((model, state))
}
