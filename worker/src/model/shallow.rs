//! Shallow feature extraction (docs/model.md#layers): one conv per LR frame and a
//! conv/pool pyramid that brings each HR frame down to the LR grid. Every activation here
//! is LeakyReLU with slope 0.1.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::PaddingConfig2d;
use burn::tensor::activation::leaky_relu;
use burn::tensor::module::max_pool2d;
use burn::tensor::{backend::Backend, Tensor};

use super::fused;

/// Negative slope of every LeakyReLU in the shallow branches.
pub const SHALLOW_SLOPE: f64 = 0.1;

/// A 3×3, stride-1, zero-padded conv with bias and PyTorch's default initialisation
/// (kaiming_uniform(a=√5) weights, U(±1/√fan_in) bias — burn's default initializer).
pub fn conv3x3<B: Backend>(c_in: usize, c_out: usize, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([c_in, c_out], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device)
}

/// Output edge of MaxPool2d(3, stride 2, padding 1) on an edge of `size`.
pub fn pooled_size(size: usize) -> usize {
    (size + 2 - 3) / 2 + 1
}

/// MaxPool2d(kernel 3, stride 2, padding 1); burn pads max-pooling with −inf, as PyTorch.
fn max_pool<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], false)
}

/// LR branch: conv_first (1 → C) + LeakyReLU(0.1), weights shared over frames.
#[derive(Module, Debug)]
pub struct LrBranch<B: Backend> {
    pub conv_first: Conv2d<B>,
}

impl<B: Backend> LrBranch<B> {
    pub fn new(channels: usize, device: &B::Device) -> Self {
        Self { conv_first: conv3x3(1, channels, device) }
    }

    /// (N, 1, h, w) frames → (N, C, h, w).
    pub fn forward(&self, frames: Tensor<B, 4>) -> Tensor<B, 4> {
        leaky_relu(fused::conv3x3(&self.conv_first, frames), SHALLOW_SLOPE)
    }
}

/// HR branch: conv (1 → C), conv (C → C), max-pool, conv (C → C), max-pool, each conv
/// followed by LeakyReLU(0.1); weights shared between the two HR frames.
#[derive(Module, Debug)]
pub struct HrBranch<B: Backend> {
    pub conv_first_hi: Conv2d<B>,
    pub conv1_hi: Conv2d<B>,
    pub conv2_hi: Conv2d<B>,
}

impl<B: Backend> HrBranch<B> {
    pub fn new(channels: usize, device: &B::Device) -> Self {
        Self {
            conv_first_hi: conv3x3(1, channels, device),
            conv1_hi: conv3x3(channels, channels, device),
            conv2_hi: conv3x3(channels, channels, device),
        }
    }

    /// (N, 1, H, W) frames → (N, C, pooled(pooled(H)), pooled(pooled(W))) = (N, C, H/4, W/4)
    /// for H, W divisible by 4.
    pub fn forward(&self, frames: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = leaky_relu(fused::conv3x3(&self.conv_first_hi, frames), SHALLOW_SLOPE);
        let x = max_pool(leaky_relu(fused::conv3x3(&self.conv1_hi, x), SHALLOW_SLOPE));
        max_pool(leaky_relu(fused::conv3x3(&self.conv2_hi, x), SHALLOW_SLOPE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    #[test]
    fn pooling_brings_hr_to_the_lr_grid() {
        assert_eq!(pooled_size(pooled_size(96)), 24);
        assert_eq!(pooled_size(pooled_size(400)), 100);
        assert_eq!(pooled_size(pooled_size(1024)), 256);
        assert_eq!(pooled_size(pooled_size(10)), 3);
    }

    #[test]
    fn max_pool_padding_never_wins_over_negative_values() {
        // All-negative 4×4 input: zero padding would put 0 into border outputs; −inf does not.
        let values: Vec<f32> = (0..16).map(|v| -1.0 - v as f32).collect();
        let x = Tensor::<Flex, 4>::from_data(TensorData::new(values, [1, 1, 4, 4]), &Default::default());
        let out: Vec<f32> = max_pool(x).into_data().to_vec().unwrap();
        // Output (0,0) covers rows/cols {−1,0,1}: the max of −1,−2,−5,−6 is −1.
        assert_eq!(out, vec![-1.0, -2.0, -5.0, -6.0]);
    }
}
