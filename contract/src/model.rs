//! The SWIN-XVR hyperparameters: the model section of `trial.yaml`, its defaults (the
//! paper's baseline, docs/model.md#hyperparameters), its rules and the shapes that follow
//! from it. The worker builds its network from this type (`xvr_worker::model`); `xvr
//! validate`/`plan` check it on every trial, the worker when it loads a trial.

use serde::{Deserialize, Serialize};

use crate::rules::RuleError;

/// Upscaling factor between the LR and HR frames: one LR pixel covers 4×4 HR pixels (the
/// virtual experiment's binning; in the network two ×2 pixel shuffles in the head and two
/// stride-2 max-pools in the HR branch).
pub const SCALE: usize = 4;

/// Number of HR frames in a sample (the one before and the one after the target time).
pub const HR_FRAMES: usize = 2;

/// SWIN-XVR hyperparameters (docs/model.md#hyperparameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// NL, the number of LR frames (odd, ≥ 1). Default 3.
    pub lr_frames: usize,
    /// Spatial window edge W (attention windows are (NL+2)×W×W). Default 8.
    pub window: usize,
    /// Attention heads per block (same in every stage). Default 3.
    pub heads: usize,
    /// Embedding channels C (must be divisible by `heads`). Default 192.
    pub channels: usize,
    /// Swin blocks per stage; any number of stages. Default [2, 2, 18, 2].
    pub depths: Vec<usize>,
    /// MLP hidden width = `mlp_ratio` × C. Default 2.
    pub mlp_ratio: f64,
    /// Stochastic-depth maximum, spread by linspace(0, max, blocks). Default 0.2.
    pub drop_path: f64,
    /// Width of the reconstruction head (`num_feat_rec`). Default 64.
    pub recon_channels: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            lr_frames: 3,
            window: 8,
            heads: 3,
            channels: 192,
            depths: vec![2, 2, 18, 2],
            mlp_ratio: 2.0,
            drop_path: 0.2,
            recon_channels: 64,
        }
    }
}

macro_rules! builders {
    ($($(#[$doc:meta])* $with:ident: $field:ident: $ty:ty;)*) => {
        $($(#[$doc])* pub fn $with(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        })*
    };
}

impl ModelConfig {
    builders! {
        /// This config with `lr_frames` set.
        with_lr_frames: lr_frames: usize;
        /// This config with `window` set.
        with_window: window: usize;
        /// This config with `heads` set.
        with_heads: heads: usize;
        /// This config with `channels` set.
        with_channels: channels: usize;
        /// This config with `depths` set.
        with_depths: depths: Vec<usize>;
        /// This config with `mlp_ratio` set.
        with_mlp_ratio: mlp_ratio: f64;
        /// This config with `drop_path` set.
        with_drop_path: drop_path: f64;
        /// This config with `recon_channels` set.
        with_recon_channels: recon_channels: usize;
    }

    /// The "small" configuration used for quick tests and benchmarks (628,993 parameters).
    pub fn small() -> Self {
        Self::default().with_channels(48).with_heads(2).with_window(4).with_depths(vec![2, 2, 2, 2])
    }

    /// Checks the rules a buildable network needs; returns the first one broken.
    pub fn check(&self) -> Result<(), RuleError> {
        let m = self;
        if m.lr_frames < 1 || m.lr_frames % 2 == 0 {
            return Err(RuleError::new("model.lr_frames", format!("{}: must be odd and >= 1", m.lr_frames)));
        }
        if m.window < 1 {
            return Err(RuleError::new("model.window", format!("{}: must be >= 1", m.window)));
        }
        if m.heads < 1 || m.channels < 1 || m.channels % m.heads != 0 {
            return Err(RuleError::new(
                "model.channels",
                format!("{} is not divisible by model.heads {} (both must be >= 1)", m.channels, m.heads),
            )
            .involving(&["model.heads"]));
        }
        if m.depths.is_empty() || m.depths.contains(&0) {
            return Err(RuleError::new(
                "model.depths",
                format!("{:?}: need at least one stage, each >= 1 block", m.depths),
            ));
        }
        if !(m.mlp_ratio.is_finite() && m.mlp_ratio > 0.0 && m.mlp_hidden() >= 1) {
            return Err(RuleError::new(
                "model.mlp_ratio",
                format!(
                    "{}: must be a positive number giving an MLP width (mlp_ratio x model.channels {}) >= 1",
                    m.mlp_ratio, m.channels
                ),
            )
            .involving(&["model.channels"]));
        }
        if !(0.0..1.0).contains(&m.drop_path) {
            return Err(RuleError::new("model.drop_path", format!("{}: must be in [0, 1)", m.drop_path)));
        }
        if m.recon_channels < 1 {
            return Err(RuleError::new("model.recon_channels", format!("{}: must be >= 1", m.recon_channels)));
        }
        Ok(())
    }

    /// Frames in the attention sequence: all LR frames, then the two HR frames.
    pub fn frames(&self) -> usize {
        self.lr_frames + HR_FRAMES
    }

    /// Hidden width of each block's MLP: floor(`mlp_ratio` × C) (PyTorch's `int(C * ratio)`).
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_baseline() {
        let c = ModelConfig::default();
        assert_eq!((c.lr_frames, c.window, c.heads, c.channels), (3, 8, 3, 192));
        assert_eq!(c.depths, vec![2, 2, 18, 2]);
        assert_eq!((c.mlp_ratio, c.drop_path, c.recon_channels), (2.0, 0.2, 64));
        assert_eq!(c.window_3d(), [5, 8, 8]);
    }

    #[test]
    fn drop_path_rates_are_a_linspace_over_all_blocks() {
        let rates = ModelConfig::default().drop_path_rates();
        assert_eq!(rates.len(), 24);
        assert_eq!(rates[0], 0.0);
        assert!((rates[1] - 0.2 / 23.0).abs() < 1e-12);
        assert!((rates[23] - 0.2).abs() < 1e-12);
    }
}
