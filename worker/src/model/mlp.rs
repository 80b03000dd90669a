//! The feed-forward part of a Swin block: Linear → exact (erf) GELU → Linear.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use super::fused;

/// C → hidden → C with the exact GELU between (dropouts are 0 in the reference: omitted).
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    pub fc1: Linear<B>,
    pub fc2: Linear<B>,
}

impl<B: Backend> Mlp<B> {
    /// A freshly initialised MLP.
    pub fn new(channels: usize, hidden: usize, device: &B::Device) -> Self {
        Self {
            fc1: LinearConfig::new(channels, hidden).init(device),
            fc2: LinearConfig::new(hidden, channels).init(device),
        }
    }

    /// `[tokens, C]` → `[tokens, C]`.
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.fc2.forward(fused::gelu(self.fc1.forward(x)))
    }
}
