//! The SWIN-XVR hyperparameters as a burn [`Config`], with the paper's baseline as defaults
//! (docs/model.md#hyperparameters), and the conversion from the trial file's model section.

use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::swin_xvr::SwinXvr;

/// Upscaling factor between the LR and HR frames. Fixed by the architecture: two ×2
/// pixel shuffles in the head and two stride-2 max-pools in the HR branch.
pub const SCALE: usize = 4;

/// Number of HR frames in a sample (the one before and the one after the target time).
pub const HR_FRAMES: usize = 2;

/// SWIN-XVR hyperparameters. Defaults = the paper's baseline (10,009,033 parameters).
#[derive(Config, Debug, PartialEq)]
pub struct SwinXvrConfig {
    /// NL, the number of LR frames per sample (odd, ≥ 1). The middle one is reconstructed.
    #[config(default = 3)]
    pub lr_frames: usize,
    /// Spatial window edge W; attention windows span all NL+2 frames × W × W pixels.
    #[config(default = 8)]
    pub window: usize,
    /// Attention heads in every block (must divide `channels`).
    #[config(default = 3)]
    pub heads: usize,
    /// Embedding width C of the shallow features and every Swin block.
    #[config(default = 192)]
    pub channels: usize,
    /// Swin blocks per stage; any number of stages, each ≥ 1 block.
    #[config(default = "vec![2, 2, 18, 2]")]
    pub depths: Vec<usize>,
    /// MLP hidden width = round(`mlp_ratio` × C) (PyTorch's `int(C * ratio)`, i.e. truncation).
    #[config(default = 2.0)]
    pub mlp_ratio: f64,
    /// Largest stochastic-depth rate; block k of K gets `drop_path · k/(K−1)`.
    #[config(default = 0.2)]
    pub drop_path: f64,
    /// Width of the reconstruction head (`num_feat_rec` in the reference).
    #[config(default = 64)]
    pub recon_channels: usize,
}

impl SwinXvrConfig {
    /// The trial file's model section as a model config. Fails with the offending field
    /// when the combination cannot build a model.
    pub fn from_trial(model: &xvr::spec::trial::ModelConfig) -> Result<Self, String> {
        let config = Self {
            lr_frames: model.lr_frames,
            window: model.window,
            heads: model.heads,
            channels: model.channels,
            depths: model.depths.clone(),
            mlp_ratio: model.mlp_ratio,
            drop_path: model.drop_path,
            recon_channels: model.recon_channels,
        };
        config.check()?;
        Ok(config)
    }

    /// Checks every field; the message names the field, its value and what is allowed.
    pub fn check(&self) -> Result<(), String> {
        if self.lr_frames == 0 || self.lr_frames % 2 == 0 {
            return Err(format!("model.lr_frames: {}: must be odd and >= 1", self.lr_frames));
        }
        if self.window == 0 {
            return Err(format!("model.window: {}: must be >= 1", self.window));
        }
        if self.heads == 0 || self.channels == 0 || self.channels % self.heads != 0 {
            return Err(format!(
                "model.channels {} / model.heads {}: both must be >= 1 and channels divisible by heads",
                self.channels, self.heads
            ));
        }
        if self.depths.is_empty() || self.depths.contains(&0) {
            return Err(format!(
                "model.depths: {:?}: need at least one stage, each with >= 1 block",
                self.depths
            ));
        }
        if !(self.mlp_ratio.is_finite() && self.mlp_hidden() >= 1) {
            return Err(format!(
                "model.mlp_ratio: {}: must be finite and give a hidden width >= 1",
                self.mlp_ratio
            ));
        }
        if !(0.0..1.0).contains(&self.drop_path) {
            return Err(format!("model.drop_path: {}: must be in [0, 1)", self.drop_path));
        }
        if self.recon_channels == 0 {
            return Err(format!("model.recon_channels: {}: must be >= 1", self.recon_channels));
        }
        Ok(())
    }

    /// Frames in the attention sequence: all LR frames, then the two HR frames.
    pub fn frames(&self) -> usize {
        self.lr_frames + HR_FRAMES
    }

    /// Hidden width of each block's MLP.
    pub fn mlp_hidden(&self) -> usize {
        (self.channels as f64 * self.mlp_ratio) as usize
    }

    /// The configured (not yet size-clipped) attention window: (NL+2, W, W). The temporal
    /// extent always equals the sequence length, so attention is joint over all frames.
    pub fn window_3d(&self) -> [usize; 3] {
        [self.frames(), self.window, self.window]
    }

    /// Stochastic-depth rate of every block in order: linspace(0, max, total blocks).
    pub fn drop_path_rates(&self) -> Vec<f64> {
        let total: usize = self.depths.iter().sum();
        (0..total)
            .map(|k| if total > 1 { self.drop_path * k as f64 / (total - 1) as f64 } else { 0.0 })
            .collect()
    }

    /// Builds the network with PyTorch's default initialisation (see [`SwinXvr`]).
    ///
    /// Every parameter is drawn here, in module order, rather than lazily at first use as
    /// burn would: cloning a lazily initialised module re-draws its weights, which would
    /// silently give an EMA copy (or another rank) different weights; eager drawing also
    /// makes the weights a function of `B::seed` alone.
    ///
    /// # Panics
    /// When [`check`](Self::check) fails; call it first on untrusted input.
    pub fn init<B: Backend>(&self, device: &B::Device) -> SwinXvr<B> {
        if let Err(message) = self.check() {
            panic!("invalid SWIN-XVR config: {message}");
        }
        let model = SwinXvr::new(self, device);
        model.visit(&mut DrawParameters);
        model
    }

    /// The "small" configuration used for quick tests and benchmarks (628,993 parameters).
    pub fn small() -> Self {
        Self::new().with_channels(48).with_heads(2).with_window(4).with_depths(vec![2, 2, 2, 2])
    }
}

/// Forces the lazy initialisation of every float parameter it visits.
struct DrawParameters;

impl<B: Backend> ModuleVisitor<B> for DrawParameters {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_baseline() {
        let c = SwinXvrConfig::new();
        assert_eq!((c.lr_frames, c.window, c.heads, c.channels), (3, 8, 3, 192));
        assert_eq!(c.depths, vec![2, 2, 18, 2]);
        assert_eq!((c.mlp_ratio, c.drop_path, c.recon_channels), (2.0, 0.2, 64));
        assert_eq!(c.window_3d(), [5, 8, 8]);
    }

    #[test]
    fn from_trial_copies_every_field_and_rejects_bad_ones() {
        let mut trial = xvr::spec::trial::ModelConfig::default();
        assert_eq!(SwinXvrConfig::from_trial(&trial).unwrap(), SwinXvrConfig::new());
        trial.channels = 100;
        let err = SwinXvrConfig::from_trial(&trial).unwrap_err();
        assert!(err.contains("model.channels 100") && err.contains("heads 3"), "{err}");
        trial.channels = 96;
        trial.lr_frames = 4;
        assert!(SwinXvrConfig::from_trial(&trial).unwrap_err().starts_with("model.lr_frames: 4"));
    }

    #[test]
    fn drop_path_rates_are_a_linspace_over_all_blocks() {
        let rates = SwinXvrConfig::new().drop_path_rates();
        assert_eq!(rates.len(), 24);
        assert_eq!(rates[0], 0.0);
        assert!((rates[1] - 0.2 / 23.0).abs() < 1e-12);
        assert!((rates[23] - 0.2).abs() < 1e-12);
    }
}
