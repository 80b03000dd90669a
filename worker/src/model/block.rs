//! One pre-norm Swin transformer block over the (B, T, H, W, C) token grid
//! (docs/model.md#layers).

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig};
use burn::tensor::ops::PadMode;
use burn::tensor::{backend::Backend, Tensor};

use super::attention::{AttentionInputs, WindowAttention};
use super::drop_path::DropPath;
use super::fused;
use super::mlp::Mlp;
use super::window::WindowGeometry;

/// Epsilon of every LayerNorm of the model (PyTorch's default, as in the reference).
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// LayerNorm → zero-pad → (cyclic shift) → window attention → (unshift) → crop →
/// residual; LayerNorm → MLP → residual. Both residual branches share one DropPath rate.
#[derive(Module, Debug)]
pub struct SwinBlock<B: Backend> {
    pub norm1: LayerNorm<B>,
    pub attn: WindowAttention<B>,
    pub norm2: LayerNorm<B>,
    pub mlp: Mlp<B>,
    pub drop_path: DropPath,
    /// Odd blocks of a stage shift their windows by half a window.
    pub shifted: bool,
}

/// Hyperparameters of one block.
#[derive(Debug, Clone, Copy)]
pub struct BlockShape {
    pub channels: usize,
    pub heads: usize,
    pub mlp_hidden: usize,
    pub configured_window: [usize; 3],
}

impl<B: Backend> SwinBlock<B> {
    /// A freshly initialised block.
    pub fn new(shape: BlockShape, shifted: bool, drop_path: f64, device: &B::Device) -> Self {
        Self {
            norm1: LayerNormConfig::new(shape.channels).with_epsilon(LAYER_NORM_EPS).init(device),
            attn: WindowAttention::new(shape.channels, shape.heads, shape.configured_window, device),
            norm2: LayerNormConfig::new(shape.channels).with_epsilon(LAYER_NORM_EPS).init(device),
            mlp: Mlp::new(shape.channels, shape.mlp_hidden, device),
            drop_path: DropPath { rate: drop_path },
            shifted,
        }
    }

    /// `x`: (B, T, H, W, C) → (B, T, H, W, C).
    pub fn forward(&self, x: Tensor<B, 5>, geometry: &WindowGeometry, inputs: &AttentionInputs<B>) -> Tensor<B, 5> {
        let [b, t, h, w, c] = x.dims();
        let tokens = b * t * h * w;
        let shift = self.shifted && geometry.has_shift();

        // Pad after the norm: padding tokens are exact zeros, as in the reference.
        let y = fused::layer_norm(&self.norm1, x.clone().reshape([tokens, c]), LAYER_NORM_EPS).reshape([b, t, h, w, c]);
        let [pad_h, pad_w] = geometry.spatial_padding();
        let y = if pad_h + pad_w > 0 { y.pad([(0, pad_h), (0, pad_w), (0, 0)], PadMode::Constant(0.0)) } else { y };
        let [_, sh, sw] = geometry.shift.map(|s| s as i64);
        let y = if shift { y.roll(&[-sh, -sw], &[2, 3]) } else { y };
        let y = self.attn.forward(geometry.partition(y), inputs, shift);
        let y = geometry.reverse(y, b);
        let y = if shift { y.roll(&[sh, sw], &[2, 3]) } else { y };
        let y = if pad_h + pad_w > 0 { y.slice([0..b, 0..t, 0..h, 0..w, 0..c]) } else { y };
        let x = x + self.drop_path.forward(y);

        let y = self.mlp.forward(fused::layer_norm(&self.norm2, x.clone().reshape([tokens, c]), LAYER_NORM_EPS));
        let y = y.reshape([b, t, h, w, c]);
        x + self.drop_path.forward(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::Distribution;

    use crate::model::mask::shift_mask_tensor;
    use crate::model::relative_position::{index_tensor, relative_position_index};

    #[test]
    fn shifted_block_differs_from_plain_block_with_the_same_weights() {
        let device = Default::default();
        let shape = BlockShape { channels: 8, heads: 2, mlp_hidden: 16, configured_window: [3, 4, 4] };
        let geometry = WindowGeometry::new([3, 8, 8], [3, 4, 4]);
        let inputs = AttentionInputs::<Flex> {
            windows: geometry.windows_per_sample(),
            tokens: geometry.tokens_per_window(),
            index: index_tensor(&relative_position_index(geometry.configured, 48), &device),
            mask: Some(shift_mask_tensor(&geometry, &device)),
        };
        let x = Tensor::<Flex, 5>::random([2, 3, 8, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let shifted = SwinBlock::<Flex>::new(shape, true, 0.0, &device);
        let a: Vec<f32> = shifted.forward(x.clone(), &geometry, &inputs).into_data().to_vec().unwrap();
        // Cloned after the forward drew the lazy parameters, so the weights are shared.
        let plain = SwinBlock { shifted: false, ..shifted.clone() };
        let b: Vec<f32> = plain.forward(x.clone(), &geometry, &inputs).into_data().to_vec().unwrap();
        let max_diff = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max);
        assert!(max_diff > 1e-3, "shift changed nothing (max diff {max_diff})");
        // Both keep the shape, and a grid no larger than the window makes the shift a no-op.
        assert_eq!(a.len(), 2 * 3 * 8 * 8 * 8);
        let small = WindowGeometry::new([3, 4, 4], [3, 4, 4]);
        let small_inputs = AttentionInputs::<Flex> { windows: 1, mask: None, ..inputs };
        let y = x.slice([0..2, 0..3, 0..4, 0..4, 0..8]);
        let a = shifted.forward(y.clone(), &small, &small_inputs).into_data();
        let b = plain.forward(y, &small, &small_inputs).into_data();
        a.assert_approx_eq::<f32>(&b, Default::default());
    }
}
