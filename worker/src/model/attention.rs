//! Multi-head self-attention inside each window, with the relative position bias
//! (docs/model.md#layers).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Int, Tensor};

use super::fused::{self, AttentionLayout};
use super::relative_position::RelativePositionBias;

/// Per-forward constants shared by all blocks of the network: the window geometry's
/// relative-position index and, for shifted blocks, the mask.
#[derive(Debug, Clone)]
pub struct AttentionInputs<B: Backend> {
    /// Windows per sample, nW.
    pub windows: usize,
    /// Tokens per window, N.
    pub tokens: usize,
    /// `[N·N]` index into the bias table.
    pub index: Tensor<B, 1, Int>,
    /// `[nW, 1, N, N]` shift mask; `None` when the geometry does not shift.
    pub mask: Option<Tensor<B, 4>>,
}

/// Window attention: qkv projection (with bias), scaled dot product + relative position
/// bias (+ shift mask), softmax, weighted sum, output projection. Dropouts are 0 in every
/// reference configuration and are omitted.
#[derive(Module, Debug)]
pub struct WindowAttention<B: Backend> {
    /// C → 3C (q, k, v), bias=True.
    pub qkv: Linear<B>,
    /// C → C.
    pub proj: Linear<B>,
    /// Relative position bias table (heads columns).
    pub bias: RelativePositionBias<B>,
    /// Number of heads; head width = C / heads.
    pub heads: usize,
}

impl<B: Backend> WindowAttention<B> {
    /// A freshly initialised attention layer for `channels` and the configured window.
    pub fn new(channels: usize, heads: usize, configured: [usize; 3], device: &B::Device) -> Self {
        Self {
            qkv: LinearConfig::new(channels, 3 * channels).init(device),
            proj: LinearConfig::new(channels, channels).init(device),
            bias: RelativePositionBias::new(configured, heads, device),
            heads,
        }
    }

    /// `tokens`: `[B·nW·N, C]` windows as [`WindowGeometry::partition`] lays them out;
    /// `shifted`: whether to apply the mask. Returns `[B·nW·N, C]`.
    ///
    /// Every Linear sees 2-D tokens; the core softmax(q·kᵀ·scale + bias + mask)·v is
    /// [`fused::window_attention`] (one fused op on the CPU backend, burn's composed ops
    /// elsewhere).
    ///
    /// [`WindowGeometry::partition`]: super::window::WindowGeometry::partition
    pub fn forward(&self, tokens: Tensor<B, 2>, inputs: &AttentionInputs<B>, shifted: bool) -> Tensor<B, 2> {
        let [_, channels] = tokens.dims();
        let layout = AttentionLayout {
            heads: self.heads,
            tokens: inputs.tokens,
            windows_per_sample: inputs.windows,
            scale: ((channels / self.heads) as f32).powf(-0.5),
        };
        let mask = if shifted { inputs.mask.clone() } else { None };
        let bias = self.bias.forward(inputs.index.clone());
        let merged = fused::window_attention(self.qkv.forward(tokens), bias, mask, layout);
        self.proj.forward(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::{Distribution, TensorData};

    use crate::model::mask::shift_mask;
    use crate::model::relative_position::{index_tensor, relative_position_index};
    use crate::model::window::WindowGeometry;

    fn host(t: Tensor<Flex, 2>) -> Vec<f64> {
        t.into_data().to_vec::<f32>().unwrap().into_iter().map(f64::from).collect()
    }

    /// Window attention written out with loops on the host, following the reference's
    /// definition: qkv rows split as (3, heads, d), softmax(q·kᵀ/√d + bias + mask)·v, proj.
    #[test]
    fn matches_a_loop_implementation_with_bias_and_mask() {
        let device = Default::default();
        let (c, heads, d) = (4, 2, 2);
        // 1 sample, T=1, 2×4 grid, window (1,2,2), shift (0,0,1): 2 windows of 4 tokens.
        let geometry = WindowGeometry::new([1, 2, 4], [1, 2, 2]);
        let (n, nw) = (geometry.tokens_per_window(), geometry.windows_per_sample());
        let index = relative_position_index(geometry.configured, n);
        let mask = shift_mask(&geometry);
        let inputs = AttentionInputs::<Flex> {
            windows: nw,
            tokens: n,
            index: index_tensor(&index, &device),
            mask: Some(Tensor::from_data(TensorData::new(mask.clone(), [nw, 1, n, n]), &device)),
        };
        let attn = WindowAttention::<Flex>::new(c, heads, geometry.configured, &device);
        let x = Tensor::<Flex, 2>::random([nw * n, c], Distribution::Normal(0.0, 1.0), &device);
        let out = host(attn.forward(x.clone(), &inputs, true));

        let xs = host(x);
        let w_qkv = host(attn.qkv.weight.val());
        let b_qkv = host(attn.qkv.bias.as_ref().unwrap().val().unsqueeze());
        let w_proj = host(attn.proj.weight.val());
        let b_proj = host(attn.proj.bias.as_ref().unwrap().val().unsqueeze());
        let table = host(attn.bias.table.val());
        // burn's Linear is y = x·W + b with W of shape [in, out].
        let linear = |x: &[f64], w: &[f64], b: &[f64], outs: usize| -> Vec<f64> {
            (0..outs).map(|o| b[o] + (0..c).map(|i| x[i] * w[i * outs + o]).sum::<f64>()).collect()
        };
        for win in 0..nw {
            let qkv: Vec<Vec<f64>> = (0..n).map(|i| linear(&xs[(win * n + i) * c..][..c], &w_qkv, &b_qkv, 3 * c)).collect();
            let mut merged = vec![vec![0.0; c]; n];
            for h in 0..heads {
                let at = |row: &Vec<f64>, part: usize, k: usize| row[part * c + h * d + k];
                for i in 0..n {
                    let logits: Vec<f64> = (0..n)
                        .map(|j| {
                            let dot: f64 = (0..d).map(|k| at(&qkv[i], 0, k) * at(&qkv[j], 1, k)).sum();
                            dot / (d as f64).sqrt()
                                + table[index[i * n + j] * heads + h]
                                + f64::from(mask[(win * n + i) * n + j])
                        })
                        .collect();
                    let max = logits.iter().cloned().fold(f64::MIN, f64::max);
                    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
                    let sum: f64 = exp.iter().sum();
                    for k in 0..d {
                        merged[i][h * d + k] = (0..n).map(|j| exp[j] / sum * at(&qkv[j], 2, k)).sum();
                    }
                }
            }
            for i in 0..n {
                let expected = linear(&merged[i], &w_proj, &b_proj, c);
                for o in 0..c {
                    let got = out[(win * n + i) * c + o];
                    assert!((got - expected[o]).abs() < 1e-5, "window {win} token {i} ch {o}: {got} vs {}", expected[o]);
                }
            }
        }
    }
}
