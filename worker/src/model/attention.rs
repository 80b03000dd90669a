//! Multi-head self-attention inside each window, with the relative position bias
//! (reference/swin-xvr.md §3.4).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{backend::Backend, Int, Tensor};

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
    /// Layout choices for Flex (reference/rust-stack.md): every Linear sees 2-D tokens;
    /// q, kᵀ and v are copied into contiguous `[B·nW·heads, ·, ·]` batches before the
    /// matmuls; the bias (and mask) are added as one shared row over the batch.
    ///
    /// [`WindowGeometry::partition`]: super::window::WindowGeometry::partition
    pub fn forward(&self, tokens: Tensor<B, 2>, inputs: &AttentionInputs<B>, shifted: bool) -> Tensor<B, 2> {
        let [rows, channels] = tokens.dims();
        let (heads, n) = (self.heads, inputs.tokens);
        let head_dim = channels / heads;
        let windows = rows / n;
        let batch = windows / inputs.windows;

        // (3, B_, heads, N, d) view of the projections.
        let qkv = self.qkv.forward(tokens).reshape([windows, n, 3, heads, head_dim]).permute([2, 0, 3, 1, 4]);
        let part = |i: usize| qkv.clone().slice([i..i + 1]);
        let scale = (head_dim as f64).powf(-0.5);
        let q = part(0).reshape([windows * heads, n, head_dim]) * scale;
        let k_t = part(1).swap_dims(3, 4).reshape([windows * heads, head_dim, n]);
        let v = part(2).reshape([windows * heads, n, head_dim]);

        let logits = q.matmul(k_t);
        let bias = self.bias.forward(inputs.index.clone());
        let logits = match (&inputs.mask, shifted) {
            (Some(mask), true) => {
                let bias_and_mask = bias.reshape([1, heads, n, n]) + mask.clone();
                let row = inputs.windows * heads * n * n;
                logits.reshape([batch, row]) + bias_and_mask.reshape([1, row])
            }
            _ => logits.reshape([windows, heads * n * n]) + bias,
        };
        let attn = softmax(logits.reshape([windows * heads, n, n]), 2);
        let merged = attn.matmul(v).reshape([windows, heads, n, head_dim]).swap_dims(1, 2).reshape([rows, channels]);
        self.proj.forward(merged)
    }
}
