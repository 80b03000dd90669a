//! Reconstruction head (docs/model.md#layers): conv + LeakyReLU(0.01), two
//! conv + ×2 pixel-shuffle steps, and a final conv to one channel. No global residual.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::leaky_relu;
use burn::tensor::{backend::Backend, Tensor};

use super::fused;
use super::shallow::conv3x3;

/// Slope of the LeakyReLU before upsampling: PyTorch's default 0.01 (not the shallow 0.1).
pub const HEAD_SLOPE: f64 = 0.01;

/// PixelShuffle(r): (B, C·r², H, W) → (B, C, H·r, W·r) with
/// out[b, c, y·r+i, x·r+j] = in[b, c·r² + i·r + j, y, x].
pub fn pixel_shuffle<B: Backend>(x: Tensor<B, 4>, r: usize) -> Tensor<B, 4> {
    let [b, c_in, h, w] = x.dims();
    let c = c_in / (r * r);
    assert_eq!(c * r * r, c_in, "pixel_shuffle: {c_in} channels are not a multiple of {}", r * r);
    fused::permuted(x.reshape([b, c, r, r, h, w]), [0, 1, 4, 2, 5, 3]).reshape([b, c, h * r, w * r])
}

/// C → R (+LReLU 0.01) → 4R → PS(2) → 4R → PS(2) → 1, all 3×3 convs; R = recon width.
#[derive(Module, Debug)]
pub struct ReconstructionHead<B: Backend> {
    pub conv_before_upsample: Conv2d<B>,
    pub upsample1: Conv2d<B>,
    pub upsample2: Conv2d<B>,
    pub conv_last: Conv2d<B>,
}

impl<B: Backend> ReconstructionHead<B> {
    pub fn new(channels: usize, recon: usize, device: &B::Device) -> Self {
        Self {
            conv_before_upsample: conv3x3(channels, recon, device),
            upsample1: conv3x3(recon, 4 * recon, device),
            upsample2: conv3x3(recon, 4 * recon, device),
            conv_last: conv3x3(recon, 1, device),
        }
    }

    /// (B, C, h, w) features of the target frame → (B, 1, 4h, 4w) HR frame.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = leaky_relu(fused::conv3x3(&self.conv_before_upsample, x), HEAD_SLOPE);
        let x = pixel_shuffle(fused::conv3x3(&self.upsample1, x), 2);
        let x = pixel_shuffle(fused::conv3x3(&self.upsample2, x), 2);
        fused::conv3x3(&self.conv_last, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    #[test]
    fn pixel_shuffle_matches_the_definition() {
        // in[b, k, y, x] = 1000·b + 100·k + 10·y + x for B=2, C·r² = 8 (C=2, r=2), 2×3.
        let (b, ch, h, w, r) = (2, 8, 2, 3, 2);
        let value = |bb: usize, k: usize, y: usize, x: usize| (1000 * bb + 100 * k + 10 * y + x) as f32;
        let mut data = Vec::new();
        for bb in 0..b {
            for k in 0..ch {
                for y in 0..h {
                    for x in 0..w {
                        data.push(value(bb, k, y, x));
                    }
                }
            }
        }
        let x = Tensor::<Flex, 4>::from_data(TensorData::new(data, [b, ch, h, w]), &Default::default());
        let out = pixel_shuffle(x, r);
        assert_eq!(out.dims(), [2, 2, 4, 6]);
        let out: Vec<f32> = out.into_data().to_vec().unwrap();
        for bb in 0..b {
            for c in 0..2 {
                for y in 0..h {
                    for x in 0..w {
                        for i in 0..r {
                            for j in 0..r {
                                let at = ((bb * 2 + c) * 4 + y * r + i) * 6 + x * r + j;
                                assert_eq!(out[at], value(bb, c * r * r + i * r + j, y, x));
                            }
                        }
                    }
                }
            }
        }
        // One value by hand: out[0, 1, 3, 2] = in[0, 1·4 + 1·2 + 0, 1, 1] = 611.
        assert_eq!(out[(4 + 3) * 6 + 2], 611.0);
    }
}
