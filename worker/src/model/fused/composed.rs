//! Window attention, LayerNorm's backward and the 3×3 convolution written with burn's existing ops: the default implementation of
//! [`FusedOps`](super::FusedOps) and the reference the fused kernels are tested against.
//! The forward is the model's attention core as it was before the fused kernels (same ops,
//! same order); the backward spells out the gradient of that composition.

use burn::tensor::activation::softmax;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{backend::Backend, Tensor, TensorPrimitive};

use super::AttentionLayout;

/// `qkv` `[W·N, 3C]` → q, k, v as `[W·H, N, d]` batches.
fn split<B: Backend>(qkv: Tensor<B, 2>, layout: AttentionLayout) -> [Tensor<B, 3>; 3] {
    let [rows, c3] = qkv.dims();
    let (heads, n) = (layout.heads, layout.tokens);
    let d = c3 / 3 / heads;
    let windows = rows / n;
    let qkv = qkv
        .reshape([windows, n, 3, heads, d])
        .permute([2, 0, 3, 1, 4]);
    [0, 1, 2].map(|i| {
        qkv.clone()
            .slice([i..i + 1])
            .reshape([windows * heads, n, d])
    })
}

/// `[W·H, N, d]` → `[W·N, H·d]`.
fn merge<B: Backend>(x: Tensor<B, 3>, heads: usize) -> Tensor<B, 2> {
    let [wh, n, d] = x.dims();
    let windows = wh / heads;
    x.reshape([windows, heads, n, d])
        .swap_dims(1, 2)
        .reshape([windows * n, heads * d])
}

/// Returns the output `[W·N, C]` and the probabilities `[W·H, N, N]`.
pub fn window_attention<B: Backend>(
    qkv: Tensor<B, 2>,
    bias: Tensor<B, 2>,
    mask: Option<Tensor<B, 4>>,
    layout: AttentionLayout,
) -> (Tensor<B, 2>, Tensor<B, 3>) {
    let [rows, c3] = qkv.dims();
    let (heads, n, nw) = (layout.heads, layout.tokens, layout.windows_per_sample);
    let d = c3 / 3 / heads;
    let windows = rows / n;
    let batch = windows / nw;

    let qkv5 = qkv
        .reshape([windows, n, 3, heads, d])
        .permute([2, 0, 3, 1, 4]);
    let part = |i: usize| qkv5.clone().slice([i..i + 1]);
    let q = part(0).reshape([windows * heads, n, d]) * f64::from(layout.scale);
    let k_t = part(1).swap_dims(3, 4).reshape([windows * heads, d, n]);
    let v = part(2).reshape([windows * heads, n, d]);

    let logits = q.matmul(k_t);
    let logits = match mask {
        Some(mask) => {
            let bias_and_mask = bias.reshape([1, heads, n, n]) + mask;
            let row = nw * heads * n * n;
            logits.reshape([batch, row]) + bias_and_mask.reshape([1, row])
        }
        None => logits.reshape([windows, heads * n * n]) + bias,
    };
    let attn = softmax(logits.reshape([windows * heads, n, n]), 2);
    (merge(attn.clone().matmul(v), heads), attn)
}

/// Gradients `(d qkv [W·N, 3C], d bias [1, H·N·N])` of [`window_attention`] from the
/// output gradient `grad` `[W·N, C]`, with p = softmax(s), s = q·kᵀ·scale + bias + mask:
/// dv = pᵀ·g, dp = g·vᵀ, ds = p ⊙ (dp − Σⱼ dp ⊙ p), dq = scale·ds·k, dk = scale·dsᵀ·q,
/// d bias = Σ over windows of ds.
pub fn window_attention_backward<B: Backend>(
    qkv: Tensor<B, 2>,
    probs: Tensor<B, 3>,
    grad: Tensor<B, 2>,
    layout: AttentionLayout,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let [rows, c3] = qkv.dims();
    let (heads, n) = (layout.heads, layout.tokens);
    let d = c3 / 3 / heads;
    let windows = rows / n;
    let [q, k, v] = split(qkv, layout);
    let g = grad
        .reshape([windows, n, heads, d])
        .swap_dims(1, 2)
        .reshape([windows * heads, n, d]);
    let dv = probs.clone().swap_dims(1, 2).matmul(g.clone());
    let dp = g.matmul(v.swap_dims(1, 2));
    let row_dot = (dp.clone() * probs.clone()).sum_dim(2);
    let ds = probs * (dp - row_dot);
    let dbias = ds.clone().reshape([windows, heads * n * n]).sum_dim(0);
    let scale = f64::from(layout.scale);
    let dq = ds.clone().matmul(k) * scale;
    let dk = ds.swap_dims(1, 2).matmul(q) * scale;
    let parts = [dq, dk, dv].map(|p| merge(p, heads).reshape([windows * n, 1, heads * d]));
    (Tensor::cat(parts.to_vec(), 1).reshape([rows, c3]), dbias)
}

/// Gradients `(d x, d γ, d β)` of LayerNorm over the rows of `x` `[rows, C]`, with
/// x̂ = (x − mean)·r, r = 1/√(var + eps): d x = r·(g γ − mean(g γ) − x̂·mean(g γ x̂)),
/// d γ = Σ_rows g x̂, d β = Σ_rows g.
pub fn layer_norm_backward<B: Backend>(
    x: Tensor<B, 2>,
    gamma: Tensor<B, 1>,
    grad: Tensor<B, 2>,
    eps: f64,
) -> (Tensor<B, 2>, Tensor<B, 1>, Tensor<B, 1>) {
    let [_, c] = x.dims();
    let centred = x.clone() - x.mean_dim(1);
    let rstd = (centred.clone().powi_scalar(2).mean_dim(1) + eps)
        .sqrt()
        .recip();
    let xhat = centred * rstd.clone();
    let gg = grad.clone() * gamma.reshape([1, c]);
    let dx = rstd
        * (gg.clone() - gg.clone().mean_dim(1) - xhat.clone() * (gg * xhat.clone()).mean_dim(1));
    let dgamma = (grad.clone() * xhat).sum_dim(0).reshape([c]);
    (dx, dgamma, grad.sum_dim(0).reshape([c]))
}

/// Stride 1, padding 1, dilation 1, one group: the model's every convolution.
pub fn conv3x3_options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [1, 1], [1, 1], 1)
}

/// 3×3 same-padding convolution: `x` `[N, C_in, H, W]`, `weight` `[C_out, C_in, 3, 3]`,
/// `bias` `[C_out]` → `[N, C_out, H, W]` (burn's `conv2d`).
pub fn conv3x3<B: Backend>(x: Tensor<B, 4>, weight: Tensor<B, 4>, bias: Tensor<B, 1>) -> Tensor<B, 4> {
    burn::tensor::module::conv2d(x, weight, Some(bias), conv3x3_options())
}

/// Gradients `(d x, d weight, d bias)` of [`conv3x3`] from the output gradient `grad`
/// (burn's conv2d backward ops; d bias = Σ of `grad` over batch and pixels).
pub fn conv3x3_backward<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    grad: Tensor<B, 4>,
) -> (Tensor<B, 4>, Tensor<B, 4>, Tensor<B, 1>) {
    let [_, c_out, _, _] = grad.dims();
    let prim = |t: Tensor<B, 4>| t.into_primitive().tensor();
    let float = |t| Tensor::<B, 4>::from_primitive(TensorPrimitive::Float(t));
    let options = conv3x3_options();
    let dx = B::conv2d_x_backward(prim(x.clone()), prim(weight.clone()), prim(grad.clone()), options.clone());
    let dw = B::conv2d_weight_backward(prim(x), prim(weight), prim(grad.clone()), options);
    let db = grad.sum_dim(0).sum_dim(2).sum_dim(3).reshape([c_out]);
    (float(dx), float(dw), db)
}
