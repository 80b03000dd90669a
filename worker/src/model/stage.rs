//! One deep-feature stage ("RSTB"): Swin blocks alternating plain / shifted windows, then a
//! per-frame 3×3 conv and a residual connection around the whole stage
//! (docs/model.md#layers).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{backend::Backend, Tensor};

use super::attention::AttentionInputs;
use super::block::{BlockShape, SwinBlock};
use super::fused;
use super::shallow::conv3x3;
use super::window::WindowGeometry;

/// `depth` blocks (even index plain, odd index shifted) → per-frame conv → + stage input.
#[derive(Module, Debug)]
pub struct Stage<B: Backend> {
    pub blocks: Vec<SwinBlock<B>>,
    /// C → C, 3×3, applied to every frame with shared weights; no activation.
    pub conv: Conv2d<B>,
}

impl<B: Backend> Stage<B> {
    /// A freshly initialised stage; `drop_path`: one rate per block.
    pub fn new(shape: BlockShape, drop_path: &[f64], device: &B::Device) -> Self {
        let blocks = drop_path
            .iter()
            .enumerate()
            .map(|(j, &rate)| SwinBlock::new(shape, j % 2 == 1, rate, device))
            .collect();
        Self { blocks, conv: conv3x3(shape.channels, shape.channels, device) }
    }

    /// `x`: (B, T, H, W, C) channels-last tokens → same shape.
    pub fn forward(&self, x: Tensor<B, 5>, geometry: &WindowGeometry, inputs: &AttentionInputs<B>) -> Tensor<B, 5> {
        let mut y = x.clone();
        for block in &self.blocks {
            y = block.forward(y, geometry, inputs);
        }
        x + per_frame_conv(&self.conv, y)
    }
}

/// Applies a 2-D conv to every frame of channels-last (B, T, H, W, C) features.
pub fn per_frame_conv<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 5>) -> Tensor<B, 5> {
    let [b, t, h, w, c] = x.dims();
    let y = fused::conv3x3(conv, fused::permuted(x.reshape([b * t, h, w, c]), [0, 3, 1, 2]));
    let [_, c_out, _, _] = y.dims();
    fused::permuted(y, [0, 2, 3, 1]).reshape([b, t, h, w, c_out])
}
