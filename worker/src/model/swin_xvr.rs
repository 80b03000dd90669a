//! The whole SWIN-XVR network (docs/model.md): shallow LR/HR features, deep
//! Swin stages over the joint (NL+2)-frame sequence, norm + conv + long skip, middle-frame
//! selection and the ×4 pixel-shuffle head.

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::conv::Conv2d;
use burn::nn::{LayerNorm, LayerNormConfig};
use burn::tensor::{backend::Backend, Tensor};
use xvr_contract::model::{ModelConfig, HR_FRAMES, SCALE};

use super::attention::AttentionInputs;
use super::block::{BlockShape, LAYER_NORM_EPS};
use super::fused;
use super::head::ReconstructionHead;
use super::mask::shift_mask_tensor;
use super::relative_position::{index_tensor, relative_position_index};
use super::shallow::{conv3x3, pooled_size, HrBranch, LrBranch};
use super::stage::Stage;
use super::window::WindowGeometry;

/// SWIN-XVR: reconstructs the HR frame at the time of the middle LR frame from NL LR
/// frames and the HR frames before and after.
#[derive(Module, Debug)]
pub struct SwinXvr<B: Backend> {
    pub lr: LrBranch<B>,
    pub hr: HrBranch<B>,
    pub stages: Vec<Stage<B>>,
    /// LayerNorm after the last stage.
    pub norm: LayerNorm<B>,
    /// C → C, 3×3 after the norm, before the long skip.
    pub conv_after_body: Conv2d<B>,
    pub head: ReconstructionHead<B>,
    /// NL.
    pub lr_frames: usize,
    /// The configured attention window (NL+2, W, W), [`ModelConfig::window_3d`]; each
    /// forward clips it to the input ([`WindowGeometry`]).
    pub configured_window: [usize; 3],
}

/// Why a pair of inputs cannot go through the network: the shape given and the one expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputShapeError {
    /// The LR input is not (batch ≥ 1, NL, 1, h ≥ 1, w ≥ 1) for this model's NL.
    #[error("LR input has shape {found:?}; expected (batch ≥ 1, {lr_frames}, 1, h ≥ 1, w ≥ 1)")]
    Lr { found: [usize; 5], lr_frames: usize },
    /// The HR input is not [`expected_hr_shape`] of the LR input's batch and size (`lr_size`:
    /// h, w).
    #[error(
        "HR input has shape {found:?}; expected {:?} (2 frames, 4× the LR size {}×{})",
        expected_hr_shape(*batch, *lr_size), lr_size.0, lr_size.1
    )]
    Hr {
        found: [usize; 5],
        batch: usize,
        lr_size: (usize, usize),
    },
}

/// The HR input's shape for `batch` LR inputs of `(h, w)`: (batch, 2, 1, 4h, 4w).
fn expected_hr_shape(batch: usize, (h, w): (usize, usize)) -> [usize; 5] {
    [batch, HR_FRAMES, 1, SCALE * h, SCALE * w]
}

/// Building the network from its hyperparameters: the config (the trial's model section,
/// [`ModelConfig`]) beside the module, as burn's modules have theirs.
pub trait InitSwinXvr {
    /// Builds the network with PyTorch's default initialisation (see [`SwinXvr`]).
    ///
    /// Every parameter is drawn here, in module order, rather than lazily at first use as
    /// burn would: cloning a lazily initialised module re-draws its weights, which would
    /// silently give an EMA copy (or another rank) different weights; eager drawing also
    /// makes the weights a function of `B::seed` alone.
    ///
    /// The config must satisfy [`ModelConfig::check`] (checked where a trial or the
    /// `model-info` flags are read).
    fn init<B: Backend>(&self, device: &B::Device) -> SwinXvr<B>;
}

impl InitSwinXvr for ModelConfig {
    fn init<B: Backend>(&self, device: &B::Device) -> SwinXvr<B> {
        let model = SwinXvr::new(self, device);
        model.visit(&mut DrawParameters);
        model
    }
}

/// Forces the lazy initialisation of every float parameter it visits.
struct DrawParameters;

impl<B: Backend> ModuleVisitor<B> for DrawParameters {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}

impl<B: Backend> SwinXvr<B> {
    /// Use [`InitSwinXvr::init`].
    fn new(config: &ModelConfig, device: &B::Device) -> Self {
        let c = config.channels;
        let shape = BlockShape {
            channels: c,
            heads: config.heads,
            mlp_hidden: config.mlp_hidden(),
            configured_window: config.window_3d(),
        };
        let rates = config.drop_path_rates();
        let mut first = 0;
        let stages = config
            .depths
            .iter()
            .map(|&depth| {
                let stage = Stage::new(shape, &rates[first..first + depth], device);
                first += depth;
                stage
            })
            .collect();
        Self {
            lr: LrBranch::new(c, device),
            hr: HrBranch::new(c, device),
            stages,
            norm: LayerNormConfig::new(c).with_epsilon(LAYER_NORM_EPS).init(device),
            conv_after_body: conv3x3(c, c, device),
            head: ReconstructionHead::new(c, config.recon_channels, device),
            lr_frames: config.lr_frames,
            configured_window: config.window_3d(),
        }
    }

    /// Checks the input contract (docs/model.md#inputs-and-outputs): `lq` = (B, NL, 1, h, w), `hq` =
    /// (B, 2, 1, 4h, 4w) with the same B, h, w ≥ 1.
    pub fn check_inputs(&self, lq: [usize; 5], hq: [usize; 5]) -> Result<(), InputShapeError> {
        let [b, nl, c, h, w] = lq;
        let expected_hq = expected_hr_shape(b, (h, w));
        if nl != self.lr_frames || c != 1 || b == 0 || h == 0 || w == 0 {
            return Err(InputShapeError::Lr {
                found: lq,
                lr_frames: self.lr_frames,
            });
        }
        if hq != expected_hq {
            return Err(InputShapeError::Hr {
                found: hq,
                batch: b,
                lr_size: (h, w),
            });
        }
        Ok(())
    }

    /// `lq`: (B, NL, 1, h, w) LR frames; `hq`: (B, 2, 1, 4h, 4w) = [HR before, HR after].
    /// Returns (B, 1, 4h, 4w), the HR frame at the middle LR frame's time.
    ///
    /// Stochastic depth is active only on an autodiff backend (see [`super::drop_path`]).
    ///
    /// # Panics
    /// When the shapes break the contract; check untrusted shapes with
    /// [`check_inputs`](Self::check_inputs) first.
    pub fn forward(&self, lq: Tensor<B, 5>, hq: Tensor<B, 5>) -> Tensor<B, 4> {
        if let Err(error) = self.check_inputs(lq.dims(), hq.dims()) {
            panic!("SwinXvr::forward: {error}");
        }
        let [b, nl, _, h, w] = lq.dims();
        let [_, _, _, hh, hw] = hq.dims();
        let device = lq.device();

        let lr = self.lr.forward(lq.reshape([b * nl, 1, h, w]));
        let hr = self.hr.forward(hq.reshape([b * HR_FRAMES, 1, hh, hw]));
        debug_assert_eq!(pooled_size(pooled_size(hh)), h);
        let [_, c, _, _] = lr.dims();
        let t = nl + HR_FRAMES;
        // (B, T, C, h, w): LR frames first, then HR before / after (reference order).
        let shallow = Tensor::cat(vec![lr.reshape([b, nl, c, h, w]), hr.reshape([b, HR_FRAMES, c, h, w])], 1);

        let geometry = WindowGeometry::new([t, h, w], self.configured_window);
        let inputs = self.attention_inputs(&geometry, &device);
        let mut x = fused::permuted(shallow.clone(), [0, 1, 3, 4, 2]);
        for stage in &self.stages {
            x = stage.forward(x, &geometry, &inputs);
        }

        // Only the middle LR frame is reconstructed, and the norm and conv_after_body act
        // per token / per frame, so selecting it first gives the same output (and
        // gradients) as the reference's select-after-conv at 1/T of the cost.
        let center = nl / 2;
        let x = x.slice([0..b, center..center + 1, 0..h, 0..w, 0..c]);
        let x = fused::layer_norm(&self.norm, x.reshape([b * h * w, c]), LAYER_NORM_EPS);
        let x = fused::permuted(x.reshape([b, h, w, c]), [0, 3, 1, 2]);
        let skip = shallow.slice([0..b, center..center + 1, 0..c, 0..h, 0..w]).reshape([b, c, h, w]);
        let features = fused::conv3x3(&self.conv_after_body, x) + skip;
        self.head.forward(features)
    }

    /// The relative-position index and (if the geometry shifts) the mask, built once per
    /// forward and shared by every block.
    fn attention_inputs(&self, geometry: &WindowGeometry, device: &B::Device) -> AttentionInputs<B> {
        let tokens = geometry.tokens_per_window();
        AttentionInputs {
            windows: geometry.windows_per_sample(),
            tokens,
            index: index_tensor(&relative_position_index(geometry.configured, tokens), device),
            mask: geometry.has_shift().then(|| shift_mask_tensor(geometry, device)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};
    use burn::module::AutodiffModule;
    use burn::tensor::Distribution;

    fn params(config: ModelConfig) -> usize {
        config.init::<Flex>(&Default::default()).num_params()
    }

    #[test]
    fn clones_share_the_initial_weights() {
        let model = ModelConfig::small().with_depths(vec![1]).init::<Flex>(&Default::default());
        let copy = model.clone();
        let a = model.lr.conv_first.weight.val().into_data();
        assert_eq!(a, copy.lr.conv_first.weight.val().into_data());
    }

    #[test]
    fn parameter_counts_equal_the_reference() {
        let base = ModelConfig::default;
        assert_eq!(params(base()), 10_009_033);
        assert_eq!(params(base().with_channels(384).with_heads(6).with_window(4)), 38_294_545);
        assert_eq!(params(ModelConfig::small()), 628_993);
        assert_eq!(params(base().with_window(4)), 9_894_985);
        assert_eq!(params(base().with_heads(1)), 9_911_833);
        assert_eq!(params(base().with_channels(384)), 38_376_841);
        assert_eq!(params(base().with_depths(vec![4, 4, 36, 4])), 17_283_409);
    }

    fn random_inputs<B: Backend>(batch: usize, config: &ModelConfig, h: usize, w: usize) -> (Tensor<B, 5>, Tensor<B, 5>) {
        let device = Default::default();
        let dist = Distribution::Uniform(0.0, 1.0);
        let lq = Tensor::random([batch, config.lr_frames, 1, h, w], dist, &device);
        let hq = Tensor::random([batch, 2, 1, 4 * h, 4 * w], dist, &device);
        (lq, hq)
    }

    #[test]
    fn small_config_maps_a_24x24_crop_to_96x96() {
        let config = ModelConfig::small();
        let model = config.init::<Flex>(&Default::default());
        let (lq, hq) = random_inputs::<Flex>(2, &config, 24, 24);
        let out = model.forward(lq, hq);
        assert_eq!(out.dims(), [2, 1, 96, 96]);
        let values: Vec<f32> = out.into_data().to_vec().unwrap();
        assert!(values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn full_frame_with_an_8x8_window_is_padded_inside_blocks() {
        // LR 100×256 / HR 400×1024: 100 is not a multiple of 8, blocks pad to 104.
        let config = ModelConfig::default().with_channels(4).with_heads(1).with_depths(vec![2]).with_recon_channels(4);
        let model = config.init::<Flex>(&Default::default());
        let (lq, hq) = random_inputs::<Flex>(1, &config, 100, 256);
        let out = model.forward(lq, hq);
        assert_eq!(out.dims(), [1, 1, 400, 1024]);
        let values: Vec<f32> = out.into_data().to_vec().unwrap();
        assert!(values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn odd_sizes_and_more_lr_frames_work() {
        // NL = 5 (T = 7), a 10×6 LR crop: the 4×4 window pads 10 → 12, 6 → 8.
        let config = ModelConfig::small().with_lr_frames(5).with_channels(8).with_depths(vec![2, 1]);
        let model = config.init::<Flex>(&Default::default());
        let (lq, hq) = random_inputs::<Flex>(1, &config, 10, 6);
        assert_eq!(model.forward(lq, hq).dims(), [1, 1, 40, 24]);
    }

    #[test]
    fn input_contract_violations_are_clear_errors() {
        let model = ModelConfig::small().with_depths(vec![1]).init::<Flex>(&Default::default());
        assert!(model.check_inputs([1, 3, 1, 24, 24], [1, 2, 1, 96, 96]).is_ok());
        let err = model.check_inputs([1, 3, 1, 24, 24], [1, 2, 1, 96, 95]).unwrap_err().to_string();
        assert!(err.contains("[1, 2, 1, 96, 95]") && err.contains("[1, 2, 1, 96, 96]"), "{err}");
        let err = model.check_inputs([1, 5, 1, 24, 24], [1, 2, 1, 96, 96]).unwrap_err().to_string();
        assert!(err.contains("expected (batch ≥ 1, 3, 1"), "{err}");
    }

    #[test]
    fn stochastic_depth_only_in_training() {
        type Ad = Autodiff<Flex>;
        let device = Default::default();
        let tiny = ModelConfig::small().with_channels(8).with_depths(vec![2, 2]).with_recon_channels(8);
        let (lq, hq) = random_inputs::<Ad>(4, &tiny, 8, 8);

        // Rate 0: training and evaluation forwards agree.
        let model = tiny.clone().with_drop_path(0.0).init::<Ad>(&device);
        let train = model.forward(lq.clone(), hq.clone()).into_data();
        let eval = model.valid().forward(lq.clone().inner(), hq.clone().inner()).into_data();
        train.assert_approx_eq::<f32>(&eval, Default::default());

        // Rate 0.9: the training forward drops branches, evaluation does not. (Seeded
        // repeatability is not asserted: the backend RNG is global and tests run in parallel.)
        let model = tiny.with_drop_path(0.9).init::<Ad>(&device);
        let first: Vec<f32> = model.forward(lq.clone(), hq.clone()).into_data().to_vec().unwrap();
        let eval: Vec<f32> = model.valid().forward(lq.inner(), hq.inner()).into_data().to_vec().unwrap();
        let max_diff = first.iter().zip(&eval).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_diff > 1e-4, "training and eval forwards agree (max diff {max_diff})");
    }

    #[test]
    fn every_parameter_gets_a_gradient() {
        type Ad = Autodiff<Flex>;
        // No stochastic depth: a dropped residual branch would leave its bias table without a
        // gradient for this single sample (the test would fail by chance).
        let config = ModelConfig::small().with_channels(8).with_depths(vec![2]).with_recon_channels(4).with_drop_path(0.0);
        let model = config.init::<Ad>(&Default::default());
        let (lq, hq) = random_inputs::<Ad>(1, &config, 8, 8);
        let grads = model.forward(lq, hq).abs().mean().backward();
        let table = model.stages[0].blocks[1].attn.bias.table.grad(&grads).expect("bias table gradient");
        assert!(table.abs().sum().into_scalar() > 0.0);
        let first = model.lr.conv_first.weight.grad(&grads).expect("conv_first gradient");
        assert!(first.abs().sum().into_scalar() > 0.0);
    }
}
