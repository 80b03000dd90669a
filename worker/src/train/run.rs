//! `xvr-worker run <TRIAL_DIR>`: one trial end to end on this rank — set-up, training with
//! checkpoints and resume, evaluation of the EMA model, and the result files of results/README.md's
//! contract (train.csv, validation.csv, summary.json, checkpoint/). A reconstruction trial
//! (a `reconstruct` section) goes to [`crate::reconstruct::trial`] instead.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::backend::AutodiffBackend;
use xvr_contract::results::{names, Summary, TrainRow};
use xvr_contract::trial::TrialConfig;

use super::batch::Batch;
use super::checkpoint::{self, CheckpointState, FORMAT_VERSION};
use super::evaluate::{summarise, EvalSettings};
use super::outputs::{write_results, RunFacts};
use super::progress::Progress;
pub use super::run_error::RunError;
use super::run_error::{Failure, SetupError};
use super::sharded_eval::evaluate_sharded;
use super::stop_signal;
use super::train_log::TrainLog;
use super::trainer::{StepError, Trainer};
use crate::data::{Dataset, SampleParams, SamplerState, TrainSampler};
use crate::dist::{self, compute_threads, Collectives, WorldInfo};
use crate::model::CountFlops;
use crate::profile::{ProfileWindow, Recorder};
use crate::reconstruct::trial::run_trial;

/// Knobs of a run that are not part of the trial.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Behave as if SIGTERM arrived during this iteration: checkpoint after it and stop
    /// (for rehearsing walltime kills and for the resume tests).
    pub stop_after: Option<u64>,
}

/// Runs the trial in `trial_dir` (its `trial.yaml`) on `device`, joining the job's ranks.
/// Returns the summary on rank 0, `None` on the other ranks. Errors are also printed on
/// stderr (the job output), with the rank when there are several.
pub fn run<B: AutodiffBackend>(
    trial_dir: &Path,
    device: &B::Device,
    options: RunOptions,
) -> Result<Option<Summary>, RunError> {
    let mut rank = None;
    let result = (|| {
        let trial = TrialConfig::from_yaml_file(&trial_dir.join(names::TRIAL_YAML))
            .map_err(SetupError::from)?;
        let coll = dist::init(trial.resources.gpus as usize).map_err(SetupError::Join)?;
        let world = coll.world();
        rank = (world.size > 1).then_some(world.rank);
        set_compute_threads(world, trial.resources.threads_per_rank);
        if let Some(section) = &trial.reconstruct {
            // A reconstruction trial: the trained model applied, nothing trained.
            return run_trial::<B::InnerBackend>(trial_dir, &trial, section, coll.as_ref(), device);
        }
        stop_signal::install().map_err(SetupError::from)?;
        train_and_evaluate::<B>(trial_dir, &trial, coll.as_ref(), device, options)
    })();
    if let Err(e) = &result {
        match rank {
            Some(r) => eprintln!("xvr-worker run (rank {r}): {e}"),
            None => eprintln!("xvr-worker run: {e}"),
        }
    }
    result
}

/// Compute threads of this rank (see [`compute_threads`]). Flex runs its kernels on rayon's
/// global pool, which reads `RAYON_NUM_THREADS` when it is first used; the variable is set
/// here, before any tensor work, unless the user already set it. (A pool that already exists,
/// e.g. in a test process, keeps its size.)
fn set_compute_threads(world: WorldInfo, threads_per_rank: usize) {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var(
            "RAYON_NUM_THREADS",
            compute_threads(world, threads_per_rank).to_string(),
        );
    }
}

/// Trains (resuming from a checkpoint), evaluates and writes the results of one trial on
/// this rank.
fn train_and_evaluate<B: AutodiffBackend>(
    trial_dir: &Path,
    trial: &TrialConfig,
    coll: &dyn Collectives,
    device: &B::Device,
    options: RunOptions,
) -> Result<Option<Summary>, RunError> {
    let world = coll.world();
    let lead = world.rank == 0;
    let total = trial.train.effective_iterations(world.size as u32);
    let batch_size = trial.train.batch_per_gpu;
    // Checked with the rest of the trial when trial.yaml was read.
    let model_config = &trial.model;
    let params = SampleParams::new(&trial.data, model_config.lr_frames);
    let data = Arc::new(Dataset::load(&trial.data).map_err(SetupError::from)?);
    if data.val.is_empty() {
        return Err(SetupError::NoValidationVideos.into());
    }
    let mut trainer = Trainer::<B>::new(model_config, &trial.train, total, device, coll)
        .map_err(SetupError::from)?;

    let (mut sampler, completed, mut train_wall_s) = match checkpoint::find(trial_dir) {
        Some(dir) => {
            let expected = checkpoint::Expected {
                trial_id: &trial.meta.id,
                total_iterations: total,
                world: world.size as u64,
                model: &trial.model,
                logged_iterations: TrainLog::logged_iterations(&trial_dir.join(names::TRAIN_CSV))
                    .map_err(SetupError::from)?,
            };
            let state = checkpoint::load(&dir, &mut trainer, expected).map_err(SetupError::from)?;
            let restored = SamplerState {
                rank: world.rank as u64,
                ..state.sampler
            };
            let sampler =
                TrainSampler::restore(data.clone(), params, restored).map_err(SetupError::from)?;
            if lead {
                eprintln!(
                    "resuming from {} at iteration {}/{total}",
                    dir.display(),
                    state.iteration
                );
            }
            (sampler, state.iteration, state.train_wall_s)
        }
        None => {
            let sampler = TrainSampler::new(
                data.clone(),
                params,
                trial.data.seed,
                world.rank as u64,
                world.size as u64,
            )
            .map_err(SetupError::from)?;
            (sampler, 0, 0.0)
        }
    };
    let mut log = lead
        .then(|| TrainLog::open(&trial_dir.join(names::TRAIN_CSV), completed))
        .transpose()
        .map_err(SetupError::from)?;
    let window = trial.profile.enabled.then_some(ProfileWindow {
        warmup: trial.profile.warmup,
        iterations: trial.profile.iterations,
    });
    let mut rec = Recorder::new(window);
    let mut progress = Progress::new(total, completed);
    let eval_settings = EvalSettings {
        lr_frames: model_config.lr_frames,
        separation: trial.data.hr_separation,
        frames: trial.data.val_frames,
    };
    let checkpoint_state =
        |iteration: u64, sampler: &TrainSampler, train_wall_s: f64| CheckpointState {
            format_version: FORMAT_VERSION,
            trial_id: trial.meta.id.clone(),
            iteration,
            total_iterations: total,
            sampler: sampler.state(),
            train_wall_s,
            model: Some(trial.model.clone()),
        };
    let save = |trainer: &Trainer<B>, state: CheckpointState| -> Result<(), RunError> {
        if lead {
            checkpoint::save(trial_dir, trainer, &state).map_err(Failure::from)?;
        }
        coll.barrier().map_err(|e| Failure::Barrier(e).into())
    };
    if lead && completed < total {
        eprintln!(
            "training {} (params {}) for {total} iterations, batch {batch_size} per rank on {} rank(s)",
            if trial.meta.id.is_empty() { "trial" } else { &trial.meta.id },
            trainer.model().num_params(),
            world.size
        );
    }

    let mut last_saved = completed;
    for iter in completed + 1..=total {
        let start = Instant::now();
        rec.begin_iteration(iter);
        let batch = Batch::<B>::from_samples(&sampler.next_batch(batch_size), device)
            .map_err(Failure::from)?;
        let stop_wish = || stop_signal::requested() || options.stop_after == Some(iter);
        let step = trainer.step_asking_to_stop(&batch, coll, &mut rec, stop_wish);
        rec.end_iteration();
        let step_s = start.elapsed().as_secs_f64();
        let report = match step {
            Ok(report) => report,
            Err(source @ StepError::NonFiniteLoss { .. }) => {
                return Err(RunError::NonFiniteLoss {
                    source,
                    last_saved,
                    checkpoint: trial_dir.join(names::CHECKPOINT_DIR),
                })
            }
            Err(e) => return Err(Failure::Step(e).into()),
        };
        train_wall_s += step_s;
        if let Some(log) = &mut log {
            let samples_per_s = (batch_size * world.size) as f64 / step_s;
            log.append(&TrainRow {
                iter,
                lr: report.lr,
                loss: report.loss,
                step_s,
                samples_per_s,
            })
            .map_err(Failure::from)?;
            progress.report(iter, report.loss, report.lr);
        }
        if report.stop_requested {
            save(&trainer, checkpoint_state(iter, &sampler, train_wall_s))?;
            return Err(RunError::Stopped {
                iteration: iter,
                total,
                checkpoint: trial_dir.join(names::CHECKPOINT_DIR),
            });
        }
        if trial.train.checkpoint_every > 0 && iter % trial.train.checkpoint_every == 0 {
            save(&trainer, checkpoint_state(iter, &sampler, train_wall_s))?;
            last_saved = iter;
        }
        if trial.train.val_every > 0 && iter % trial.train.val_every == 0 && iter < total {
            let rows =
                evaluate_sharded(trainer.ema_model(), &data.val, eval_settings, device, coll)
                    .map_err(Failure::Evaluation)?;
            if let Some(s) = rows.as_deref().and_then(summarise) {
                eprintln!(
                    "validation at iteration {iter}: PSNR {:.3} dB (bicubic {:.3} dB), SSIM {:.4}",
                    s.psnr_db, s.bicubic_psnr_db, s.ssim
                );
            }
        }
    }
    if last_saved < total {
        save(&trainer, checkpoint_state(total, &sampler, train_wall_s))?;
    }
    // profile.csv (rank 0) and trace-rank<k>.json (every rank) of this attempt's window.
    crate::profile::write_outputs(trial_dir, &rec, coll).map_err(Failure::from)?;

    let rows = evaluate_sharded(trainer.ema_model(), &data.val, eval_settings, device, coll)
        .map_err(Failure::Evaluation)?;
    let Some(rows) = rows else { return Ok(None) };
    let facts = RunFacts {
        world_size: world.size,
        iterations: total,
        train_wall_s,
        params: trainer.model().num_params() as u64,
        flops_per_sample: model_config.flops_per_sample(trial.data.crop_lr, trial.data.crop_lr),
    };
    let s = write_results(trial_dir, trial, &rows, facts).map_err(Failure::from)?;
    eprintln!(
        "done: {total} iterations in {train_wall_s:.1} s; validation PSNR {:.3} dB (bicubic {:.3} dB), SSIM {:.4}, AAD {:.3}, {:.4} s/frame",
        s.psnr_db, s.bicubic_psnr_db, s.ssim, s.aad, s.infer_s_per_frame
    );
    Ok(Some(s))
}
