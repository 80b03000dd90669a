//! One synchronous data-parallel training step, reusable on its own (the distributed
//! equivalence tests drive it directly): forward + L1 loss + backward on this rank's batch,
//! gradients flattened and averaged over ranks, Adam step, EMA update.

use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use xvr_contract::trial::TrainConfig;

use super::batch::Batch;
use super::ema::ModelEma;
use super::flat_params::{flatten_grads, flatten_values, grads_from_flat, load_values, LengthMismatch};
use super::schedule::LrSchedule;
use crate::dist::{all_reduce_mean, Collectives, CommError, DEFAULT_BUCKET_ELEMS};
use crate::model::{InitSwinXvr, ModelConfig, SwinXvr};
use crate::profile::{ActivityKind, CopyKind, Recorder};

/// Adam's ε: PyTorch's default (the reference does not set it); burn's default is 1e-5.
pub const ADAM_EPSILON: f32 = 1e-8;

/// The model, optimizer and EMA of a run, and how far it has got.
pub struct Trainer<B: AutodiffBackend> {
    /// `None` only transiently inside [`step`](Self::step) (the optimizer consumes the model).
    model: Option<SwinXvr<B>>,
    optim: OptimizerAdaptor<Adam, SwinXvr<B>, B>,
    /// EMA of the weights, used for evaluation.
    pub ema: ModelEma<B::InnerBackend>,
    pub schedule: LrSchedule,
    /// Iterations completed so far; the next step is `iteration + 1`.
    pub iteration: u64,
    /// `train.seed`: weight initialisation and the per-iteration stochastic-depth draws.
    seed: u64,
    rank: usize,
    device: B::Device,
}

/// Copy kinds of the gradient staging (gather into the flat buffer, scatter back): real
/// device↔host transfers on a GPU backend, copies within host memory on the CPU backend
/// (Flex), which docs/definitions.md#kernel-categories counts as memory under both presets.
fn staging_copy_kinds<B: AutodiffBackend>(device: &B::Device) -> (CopyKind, CopyKind) {
    if B::name(device).contains("flex") {
        (CopyKind::HtoH, CopyKind::HtoH)
    } else {
        (CopyKind::DtoH, CopyKind::HtoD)
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// 1-based iteration just completed.
    pub iter: u64,
    /// Learning rate used.
    pub lr: f64,
    /// L1 loss, mean over ranks.
    pub loss: f64,
    /// Whether any rank asked to stop (e.g. it received SIGTERM); every rank sees the same
    /// answer in the same iteration, so they all stop together.
    pub stop_requested: bool,
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq)]
pub enum StepError {
    /// The mean loss was NaN or infinite; the model and optimizer were not updated.
    NonFiniteLoss { iter: u64, loss: f64 },
    /// A collective failed.
    Comm(CommError),
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NonFiniteLoss { iter, loss } => {
                write!(f, "iteration {iter}: the training loss is {loss} (not finite); stopping without updating the weights")
            }
            Self::Comm(e) => write!(f, "collective failed: {e}"),
        }
    }
}

impl std::error::Error for StepError {}

/// Why a fresh run could not start.
#[derive(Debug, thiserror::Error)]
pub enum TrainerError {
    #[error("broadcasting the initial weights: {0}")]
    Broadcast(CommError),
    #[error(transparent)]
    Weights(#[from] LengthMismatch),
}

impl<B: AutodiffBackend> Trainer<B> {
    /// A fresh run: weights drawn with `train.seed` on rank 0 and broadcast, so every rank
    /// starts from identical weights; Adam with the trial's betas; EMA = a copy. `train` is
    /// a checked trial's (`xvr_contract::rules`).
    pub fn new(
        config: &ModelConfig,
        train: &TrainConfig,
        total_iterations: u64,
        device: &B::Device,
        coll: &dyn Collectives,
    ) -> Result<Self, TrainerError> {
        let schedule = LrSchedule::from_trial(train, total_iterations);
        let [beta_1, beta_2] = train.betas;
        B::seed(device, train.seed);
        let model = config.init::<B>(device);
        let mut flat = flatten_values(&model);
        coll.broadcast(&mut flat, 0).map_err(TrainerError::Broadcast)?;
        let model = load_values(model, &flat)?;
        let optim = AdamConfig::new()
            .with_beta_1(beta_1 as f32)
            .with_beta_2(beta_2 as f32)
            .with_epsilon(ADAM_EPSILON)
            .init::<B, SwinXvr<B>>();
        let ema = ModelEma::new(&model, train.ema);
        Ok(Self {
            model: Some(model),
            optim,
            ema,
            schedule,
            iteration: 0,
            seed: train.seed,
            rank: coll.world().rank,
            device: device.clone(),
        })
    }

    /// The trained (not averaged) model.
    pub fn model(&self) -> &SwinXvr<B> {
        self.model.as_ref().expect("model is present between steps")
    }

    /// The device everything lives on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// Adam's state (for checkpoints).
    pub fn optimizer_record(
        &self,
    ) -> <OptimizerAdaptor<Adam, SwinXvr<B>, B> as Optimizer<SwinXvr<B>, B>>::Record {
        self.optim.to_record()
    }

    /// Replaces the weights, Adam state, EMA and iteration count by a checkpoint's.
    pub fn restore(
        &mut self,
        model: SwinXvr<B>,
        optim: <OptimizerAdaptor<Adam, SwinXvr<B>, B> as Optimizer<SwinXvr<B>, B>>::Record,
        ema: SwinXvr<B::InnerBackend>,
        iteration: u64,
    ) {
        self.model = Some(model);
        self.optim = self.optim.clone().load_record(optim);
        self.ema.model = ema;
        self.iteration = iteration;
    }

    /// One training iteration on this rank's `batch`. `stop_requested` is this rank's wish to
    /// stop after the step; the report says whether any rank had it.
    ///
    /// Phases recorded on `rec`: `forward_backward` (kernel), `grad_gather` (the gradients into
    /// one flat host buffer: a D→H copy on a GPU, H→H on the CPU), the all-reduce (recorded by
    /// [`all_reduce_mean`]), `grad_scatter` (H→D, or H→H), `optimizer_step` (kernel, includes the EMA
    /// update). The caller brackets the step with `begin_iteration` / `end_iteration`.
    pub fn step(
        &mut self,
        batch: &Batch<B>,
        coll: &dyn Collectives,
        rec: &mut Recorder,
        stop_requested: bool,
    ) -> Result<StepReport, StepError> {
        self.step_asking_to_stop(batch, coll, rec, move || stop_requested)
    }

    /// [`step`](Self::step) with the stop wish asked after the backward pass, just before it
    /// travels with the gradients: a SIGTERM that arrives during the step's compute then
    /// stops the run after this step rather than after the next one.
    pub fn step_asking_to_stop(
        &mut self,
        batch: &Batch<B>,
        coll: &dyn Collectives,
        rec: &mut Recorder,
        stop_requested: impl FnOnce() -> bool,
    ) -> Result<StepReport, StepError> {
        let iter = self.iteration + 1;
        // Stochastic depth draws from the backend RNG: reseeding per (seed, rank, iteration)
        // makes every step reproducible on its own, which is what lets a resumed run repeat
        // the uninterrupted run's losses exactly.
        B::seed(&self.device, step_seed(self.seed, self.rank, iter));
        let model = self.model.take().expect("model is present between steps");
        let device = self.device.clone();

        let (grads, local_loss) = rec.record("forward_backward", ActivityKind::Kernel, 0, || {
            let output = model.forward(batch.lq.clone(), batch.hq.clone());
            let loss = (output - batch.gt.clone()).abs().mean();
            let grads = loss.backward();
            let value = loss.into_scalar();
            let _ = B::sync(&device);
            (grads, value.elem::<f32>())
        });

        let (gather_kind, scatter_kind) = staging_copy_kinds::<B>(&self.device);
        let mut flat = rec.record(
            "grad_gather",
            ActivityKind::Memcpy(gather_kind),
            0,
            || {
                let mut grads = GradientsParams::from_grads(grads, &model);
                let mut flat = flatten_grads(&model, &mut grads);
                // Two extra slots ride along with the gradients: the loss (averaged = the mean
                // over ranks) and the stop flag (averaged > 0 = some rank asked).
                flat.push(local_loss);
                flat.push(if stop_requested() { 1.0 } else { 0.0 });
                flat
            },
        );
        if let Err(e) = all_reduce_mean(coll, &mut flat, DEFAULT_BUCKET_ELEMS, rec) {
            self.model = Some(model);
            return Err(StepError::Comm(e));
        }
        let stop_any = flat.pop().expect("stop slot") > 0.0;
        let loss = f64::from(flat.pop().expect("loss slot"));
        if !loss.is_finite() {
            self.model = Some(model);
            return Err(StepError::NonFiniteLoss { iter, loss });
        }

        let grads = rec.record(
            "grad_scatter",
            ActivityKind::Memcpy(scatter_kind),
            0,
            || grads_from_flat(&model, &flat),
        );
        let lr = self.schedule.lr_at(iter);
        let (optim, ema) = (&mut self.optim, &mut self.ema);
        let model = rec.record("optimizer_step", ActivityKind::Kernel, 0, || {
            let model = optim.step(lr, model, grads);
            ema.update(&model);
            let _ = B::sync(&device);
            model
        });
        self.model = Some(model);
        self.iteration = iter;
        Ok(StepReport {
            iter,
            lr,
            loss,
            stop_requested: stop_any,
        })
    }

    /// The EMA weights on the inner backend (what evaluation uses).
    pub fn ema_model(&self) -> &SwinXvr<B::InnerBackend> {
        &self.ema.model
    }
}

/// Seed of the backend RNG for iteration `iter` on `rank` (SplitMix64 finaliser over the
/// three numbers, so neighbouring iterations and ranks get unrelated streams).
pub fn step_seed(seed: u64, rank: usize, iter: u64) -> u64 {
    let mut z = seed
        ^ (rank as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ iter.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Solo;
    use crate::profile::ProfileWindow;
    use burn::backend::flex::FlexDevice;
    use burn::backend::{Autodiff, Flex};
    use burn::tensor::{Tensor, TensorData};

    type Ad = Autodiff<Flex>;

    fn ramp<const D: usize>(dims: [usize; D], scale: f32, device: &FlexDevice) -> Tensor<Ad, D> {
        let n: usize = dims.iter().product();
        let values: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 101) as f32 / 101.0) * scale)
            .collect();
        Tensor::from_data(TensorData::new(values, dims), device)
    }

    /// Gradient of the L1 loss at the model's current weights, computed outside the trainer.
    fn l1_grad(model: &SwinXvr<Ad>, batch: &Batch<Ad>) -> Vec<f64> {
        let loss = (model.forward(batch.lq.clone(), batch.hq.clone()) - batch.gt.clone())
            .abs()
            .mean();
        let mut grads = GradientsParams::from_grads(loss.backward(), model);
        flatten_grads(model, &mut grads)
            .into_iter()
            .map(f64::from)
            .collect()
    }

    #[test]
    fn steps_match_an_independent_adam_on_the_l1_gradient() {
        const STEPS: usize = 5;
        let device = Default::default();
        let config = ModelConfig::small()
            .with_channels(4)
            .with_depths(vec![1])
            .with_recon_channels(4)
            .with_drop_path(0.0);
        let train = TrainConfig {
            lr: 1e-3,
            lr_min: 1e-3,
            warmup: -1,
            betas: [0.9, 0.99],
            ..Default::default()
        };
        let mut trainer = Trainer::<Ad>::new(&config, &train, 10, &device, &Solo).unwrap();
        let batch = Batch {
            lq: ramp([2, 3, 1, 4, 4], 1.0, &device),
            hq: ramp([2, 2, 1, 16, 16], 0.8, &device),
            gt: ramp([2, 1, 16, 16], 0.9, &device),
        };
        let mut rec = Recorder::disabled();

        let w0: Vec<f64> = flatten_values(trainer.model())
            .into_iter()
            .map(f64::from)
            .collect();
        let mut grads = Vec::new();
        for iter in 1..=STEPS {
            grads.push(l1_grad(trainer.model(), &batch));
            let report = trainer.step(&batch, &Solo, &mut rec, false).unwrap();
            assert_eq!(
                (report.iter, report.lr, report.stop_requested),
                (iter as u64, 1e-3, false)
            );
        }
        let trained: Vec<f64> = flatten_values(trainer.model())
            .into_iter()
            .map(f64::from)
            .collect();

        // PyTorch's Adam, by hand: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g²,
        // w −= lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε).
        let (b1, b2, lr, eps) = (0.9f64, 0.99f64, 1e-3f64, 1e-8f64);
        let mut worst = 0.0f64;
        for i in 0..w0.len() {
            let (mut m, mut v, mut w) = (0.0, 0.0, w0[i]);
            for (t, g) in grads.iter().map(|g| g[i]).enumerate() {
                let t = t as i32 + 1;
                m = b1 * m + (1.0 - b1) * g;
                v = b2 * v + (1.0 - b2) * g * g;
                w -= lr * (m / (1.0 - b1.powi(t))) / ((v / (1.0 - b2.powi(t))).sqrt() + eps);
            }
            worst = worst.max((w - trained[i]).abs());
        }
        eprintln!("largest deviation from the hand-written Adam: {worst:e}");
        // Each step moves a weight by up to lr = 1e-3; f32 weights carry ~1e-7 relative error.
        // (β2 = 0.999 instead of 0.99 would be off by ~1e-5 after these steps.)
        assert!(
            worst < 1e-6,
            "largest deviation from the hand-written Adam: {worst}"
        );
        assert!(
            w0.iter().zip(&trained).any(|(a, b)| (a - b).abs() > 2e-3),
            "the weights barely moved"
        );
    }

    #[test]
    fn the_step_records_its_phases_and_reports_a_stop_wish() {
        let device = Default::default();
        let config = ModelConfig::small()
            .with_channels(4)
            .with_depths(vec![1])
            .with_recon_channels(4);
        let mut trainer =
            Trainer::<Ad>::new(&config, &TrainConfig::default(), 10, &device, &Solo).unwrap();
        let batch = Batch {
            lq: ramp([1, 3, 1, 4, 4], 1.0, &device),
            hq: ramp([1, 2, 1, 16, 16], 1.0, &device),
            gt: ramp([1, 1, 16, 16], 1.0, &device),
        };
        let mut rec = Recorder::new(Some(ProfileWindow {
            warmup: 0,
            iterations: 1,
        }));
        rec.begin_iteration(1);
        let report = trainer.step(&batch, &Solo, &mut rec, true).unwrap();
        rec.end_iteration();
        assert!(report.stop_requested && report.loss > 0.0 && report.loss.is_finite());
        let names: Vec<&str> = rec.activities().iter().map(|a| a.name.as_str()).collect();
        // A world of one has no all-reduce to record.
        assert_eq!(
            names,
            [
                "forward_backward",
                "grad_gather",
                "grad_scatter",
                "optimizer_step"
            ]
        );
        assert_eq!(trainer.iteration, 1);
    }

    #[test]
    fn cpu_staging_copies_stay_in_host_memory() {
        // On Flex the flat gradient buffer is filled from host tensors: memory, not a transfer.
        let kinds = staging_copy_kinds::<Ad>(&Default::default());
        assert_eq!(kinds, (CopyKind::HtoH, CopyKind::HtoH));
    }
}
