//! Stochastic depth (timm's per-sample DropPath), active only while training.
//!
//! "Training" follows burn's convention (the same as `burn::nn::Dropout`): a forward on an
//! autodiff backend (`B::ad_enabled`) is a training forward; evaluation runs on the inner
//! backend via `AutodiffModule::valid()`, where DropPath is the identity. The keep mask
//! comes from the backend's RNG, so `B::seed` makes it reproducible.

use burn::module::Module;
use burn::tensor::{backend::Backend, Distribution, Tensor};

/// Drops a residual branch for a whole sample with probability `rate`, scaling the kept
/// ones by 1/(1−rate).
#[derive(Module, Debug, Clone)]
pub struct DropPath {
    /// Probability of dropping the branch of a sample.
    pub rate: f64,
}

impl DropPath {
    /// `branch`: (B, …) residual branch. Identity at rate 0 or outside training.
    pub fn forward<B: Backend, const D: usize>(&self, branch: Tensor<B, D>) -> Tensor<B, D> {
        let device = branch.device();
        if self.rate == 0.0 || !B::ad_enabled(&device) {
            return branch;
        }
        let keep = 1.0 - self.rate;
        let mut shape = [1; D];
        shape[0] = branch.dims()[0];
        let mask = Tensor::<B, D>::random(shape, Distribution::Bernoulli(keep), &device);
        branch * (mask / keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};

    #[test]
    fn identity_outside_training() {
        let x = Tensor::<Flex, 3>::ones([4, 2, 3], &Default::default());
        let out = DropPath { rate: 0.5 }.forward(x.clone());
        assert_eq!(out.into_data(), x.into_data());
    }

    #[test]
    fn training_drops_or_rescales_whole_samples() {
        type B = Autodiff<Flex>;
        let device = Default::default();
        B::seed(&device, 7);
        let samples = 400;
        let x = Tensor::<B, 3>::ones([samples, 2, 3], &device);
        let out: Vec<f32> = DropPath { rate: 0.25 }.forward(x).into_data().to_vec().unwrap();
        let mut dropped = 0;
        for sample in out.chunks(6) {
            let value = sample[0];
            assert!(sample.iter().all(|&v| v == value), "mask must be per sample");
            if value == 0.0 {
                dropped += 1;
            } else {
                assert!((value - 1.0 / 0.75).abs() < 1e-6);
            }
        }
        // Binomial(400, 0.25): mean 100, sd ≈ 8.7; ±5 sd.
        assert!((57..=143).contains(&dropped), "dropped {dropped} of {samples}");
    }
}
