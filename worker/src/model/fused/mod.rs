//! Fused kernels for the memory-bound parts of a Swin block, as a backend extension.
//!
//! burn decomposes window attention and the exact GELU into many small ops, each with its
//! own autodiff node; on the CPU those, not the matmuls, dominate a training step
//! (docs/benchmarks.md). [`FusedOps`] is our extension trait over burn's `Backend`:
//!
//! - its default methods are the composition of existing burn ops ([`composed`]), so any
//!   backend can implement it without writing a kernel;
//! - `Flex` implements it with kernels on contiguous f32 storage (strided `gemm` calls per
//!   window and head, one pass for bias + mask + softmax, vectorisable erf/exp, rayon);
//! - `Autodiff<B>` implements it for every `B: FusedOps` with one autodiff node per fused
//!   op whose backward calls `B`'s fused backward.
//!
//! Ops: window attention core, exact GELU, LayerNorm over rows, 3×3 same-padding convolution,
//! axis permutation into a contiguous buffer (window partition/reverse, layout changes)
//! (the convolution: Flex's generic convolution and its backward cost about as much as the
//! Swin blocks in the small configuration's training step; the permutation: Flex copies
//! permuted views on the calling thread while the pool waits).
//!
//! The model stays generic over `B: Backend` (no new bound on its users): [`window_attention`],
//! [`gelu`], [`layer_norm`] and [`conv3x3`] take the fused path when `B` is `Flex` or `Autodiff<Flex>` (checked by type
//! id at run time) and the composed one otherwise (CUDA and every other backend, unchanged).
//! [`with_composed_ops`] forces the composed path on the calling thread (tests and the
//! benchmark's before/after).

mod autodiff;
pub mod composed;
pub mod conv_kernels;
mod flex;
pub mod kernels;
pub mod permute_kernels;

use std::any::{Any, TypeId};
use std::cell::Cell;

use burn::backend::{Autodiff, Flex};
use burn::nn::conv::Conv2d;
use burn::nn::{LayerNorm, PaddingConfig2d};
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorPrimitive};

/// Shape facts of one window-attention call that the tensors do not carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionLayout {
    /// Attention heads; head width = C / heads.
    pub heads: usize,
    /// Tokens per window, N.
    pub tokens: usize,
    /// Windows per sample, nW (the mask repeats every nW windows).
    pub windows_per_sample: usize,
    /// Multiplier of q·kᵀ (head_dim^-0.5).
    pub scale: f32,
}

/// Fused ops of the Swin block. Tensor layouts (all row-major):
/// - `qkv`: `[W·N, 3C]`, the qkv Linear's output for W windows of N tokens; columns
///   `part·C + head·d + k` (part 0 = q, 1 = k, 2 = v);
/// - `bias`: `[1, H·N·N]`, the relative-position bias, head-major;
/// - `mask`: `[nW, 1, N, N]` or none; window w uses mask `w mod nW`;
/// - output: `[W·N, C]`, heads merged back (column `head·d + k`);
/// - `probs`: `[W·H, N, N]`, the softmax output saved for the backward pass.
pub trait FusedOps: Backend {
    /// `softmax(q·kᵀ·scale + bias + mask)·v` per window and head, heads merged.
    fn window_attention(
        qkv: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        mask: Option<FloatTensor<Self>>,
        layout: AttentionLayout,
    ) -> FloatTensor<Self> {
        Self::window_attention_saving(qkv, bias, mask, layout).0
    }

    /// [`window_attention`](Self::window_attention) that also returns the probabilities.
    fn window_attention_saving(
        qkv: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        mask: Option<FloatTensor<Self>>,
        layout: AttentionLayout,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (out, probs) =
            composed::window_attention::<Self>(float(qkv), float(bias), mask.map(float), layout);
        (
            out.into_primitive().tensor(),
            probs.into_primitive().tensor(),
        )
    }

    /// Gradients `(d qkv, d bias)` from the output gradient `grad` (`[W·N, C]`).
    fn window_attention_backward(
        qkv: FloatTensor<Self>,
        probs: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        layout: AttentionLayout,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (dqkv, dbias) = composed::window_attention_backward::<Self>(
            float(qkv),
            float(probs),
            float(grad),
            layout,
        );
        (
            dqkv.into_primitive().tensor(),
            dbias.into_primitive().tensor(),
        )
    }

    /// Exact (erf) GELU.
    fn gelu_erf(x: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::gelu(x)
    }

    /// Gradient of [`gelu_erf`](Self::gelu_erf) at `x` times `grad`.
    fn gelu_erf_backward(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::gelu_backward(x, grad)
    }

    /// LayerNorm over the last axis of `x` `[rows, C]`: (x − mean)/√(var + eps)·γ + β
    /// (biased variance, as PyTorch).
    fn layer_norm_rows(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        eps: f64,
    ) -> FloatTensor<Self> {
        Self::layer_norm(x, gamma, Some(beta), eps)
    }

    /// Gradients `(d x, d γ, d β)` of [`layer_norm_rows`](Self::layer_norm_rows) from the
    /// output gradient `grad`.
    fn layer_norm_rows_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        eps: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (dx, dgamma, dbeta) =
            composed::layer_norm_backward::<Self>(float(x), float(gamma), float(grad), eps);
        (
            dx.into_primitive().tensor(),
            dgamma.into_primitive().tensor(),
            dbeta.into_primitive().tensor(),
        )
    }

    /// 3×3, stride-1, zero-padding-1 convolution with bias: `x` `[N, C_in, H, W]`,
    /// `weight` `[C_out, C_in, 3, 3]`, `bias` `[C_out]` → `[N, C_out, H, W]`.
    fn conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        primitive(composed::conv3x3::<Self>(float(x), float(weight), float(bias)))
    }

    /// Gradients `(d x, d weight, d bias)` of [`conv3x3`](Self::conv3x3) from the output
    /// gradient `grad` `[N, C_out, H, W]`.
    fn conv3x3_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (dx, dw, db) = composed::conv3x3_backward::<Self>(float(x), float(weight), float(grad));
        (primitive(dx), primitive(dw), primitive(db))
    }

    /// `x` with its axes permuted (output axis `i` = input axis `axes[i]`), materialised in
    /// row-major order where the backend can (a lazy view elsewhere).
    fn permuted(x: FloatTensor<Self>, axes: &[usize]) -> FloatTensor<Self> {
        Self::float_permute(x, axes)
    }
}

fn float<B: Backend, const D: usize>(primitive: FloatTensor<B>) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(primitive))
}

fn primitive<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> FloatTensor<B> {
    tensor.into_primitive().tensor()
}

thread_local! {
    static COMPOSED_ONLY: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the fused kernels switched off on this thread (the composed burn ops are
/// used instead, as before this module existed). Restores the previous setting after.
pub fn with_composed_ops<R>(f: impl FnOnce() -> R) -> R {
    let before = COMPOSED_ONLY.with(|c| c.replace(true));
    let result = f();
    COMPOSED_ONLY.with(|c| c.set(before));
    result
}

/// The fused implementations used for `B` on this thread, if any.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fused {
    Flex,
    AutodiffFlex,
}

fn fused_kind<B: Backend>() -> Option<Fused> {
    if COMPOSED_ONLY.with(Cell::get) {
        return None;
    }
    let id = TypeId::of::<B>();
    if id == TypeId::of::<Flex>() {
        Some(Fused::Flex)
    } else if id == TypeId::of::<Autodiff<Flex>>() {
        Some(Fused::AutodiffFlex)
    } else {
        None
    }
}

/// Moves a value between two names of the same type (checked by [`fused_kind`]'s type id).
fn same<A: 'static, T: 'static>(value: A) -> T {
    let mut slot = Some(value);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
        Some(cast) => cast.take().expect("value present"),
        None => unreachable!("fused dispatch: type ids matched but the cast failed"),
    }
}

fn attention_on<F: FusedOps, B: Backend>(
    qkv: Tensor<B, 2>,
    bias: Tensor<B, 2>,
    mask: Option<Tensor<B, 4>>,
    layout: AttentionLayout,
) -> Tensor<B, 2> {
    let qkv: Tensor<F, 2> = same(qkv);
    let bias: Tensor<F, 2> = same(bias);
    let mask: Option<Tensor<F, 4>> = mask.map(same);
    let out = F::window_attention(primitive(qkv), primitive(bias), mask.map(primitive), layout);
    same(float::<F, 2>(out))
}

/// Window attention core, `[W·N, 3C]` → `[W·N, C]` (see [`FusedOps`] for the layouts):
/// fused on Flex / `Autodiff<Flex>`, composed elsewhere.
pub fn window_attention<B: Backend>(
    qkv: Tensor<B, 2>,
    bias: Tensor<B, 2>,
    mask: Option<Tensor<B, 4>>,
    layout: AttentionLayout,
) -> Tensor<B, 2> {
    match fused_kind::<B>() {
        Some(Fused::Flex) => attention_on::<Flex, B>(qkv, bias, mask, layout),
        Some(Fused::AutodiffFlex) => attention_on::<Autodiff<Flex>, B>(qkv, bias, mask, layout),
        None => composed::window_attention(qkv, bias, mask, layout).0,
    }
}

fn gelu_on<F: FusedOps, B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let x: Tensor<F, D> = same(x);
    same(float::<F, D>(F::gelu_erf(primitive(x))))
}

fn layer_norm_on<F: FusedOps, B: Backend>(
    x: Tensor<B, 2>,
    gamma: Tensor<B, 1>,
    beta: Tensor<B, 1>,
    eps: f64,
) -> Tensor<B, 2> {
    let (x, gamma, beta): (Tensor<F, 2>, Tensor<F, 1>, Tensor<F, 1>) =
        (same(x), same(gamma), same(beta));
    same(float::<F, 2>(F::layer_norm_rows(
        primitive(x),
        primitive(gamma),
        primitive(beta),
        eps,
    )))
}

/// `norm` applied to `[rows, C]` tokens: fused on Flex / `Autodiff<Flex>` (one node with
/// its own backward), the module's own forward elsewhere. `eps` must be the epsilon the
/// module was configured with (burn keeps it private).
pub fn layer_norm<B: Backend>(norm: &LayerNorm<B>, x: Tensor<B, 2>, eps: f64) -> Tensor<B, 2> {
    match (fused_kind::<B>(), &norm.beta) {
        (Some(Fused::Flex), Some(beta)) => {
            layer_norm_on::<Flex, B>(x, norm.gamma.val(), beta.val(), eps)
        }
        (Some(Fused::AutodiffFlex), Some(beta)) => {
            layer_norm_on::<Autodiff<Flex>, B>(x, norm.gamma.val(), beta.val(), eps)
        }
        _ => norm.forward(x),
    }
}

/// Exact (erf) GELU: fused on Flex / `Autodiff<Flex>`, burn's `gelu` elsewhere.
pub fn gelu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    match fused_kind::<B>() {
        Some(Fused::Flex) => gelu_on::<Flex, B, D>(x),
        Some(Fused::AutodiffFlex) => gelu_on::<Autodiff<Flex>, B, D>(x),
        None => burn::tensor::activation::gelu(x),
    }
}

fn conv3x3_on<F: FusedOps, B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Tensor<B, 1>,
) -> Tensor<B, 4> {
    let (x, weight, bias): (Tensor<F, 4>, Tensor<F, 4>, Tensor<F, 1>) =
        (same(x), same(weight), same(bias));
    same(float::<F, 4>(F::conv3x3(
        primitive(x),
        primitive(weight),
        primitive(bias),
    )))
}

/// `conv` applied to `x` `[N, C_in, H, W]`: fused on Flex / `Autodiff<Flex>` when it is a
/// 3×3, stride-1, padding-1 convolution with bias (every conv of the model, see
/// `shallow::conv3x3`), the module's own forward otherwise.
pub fn conv3x3<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let same_3x3 = conv.kernel_size == [3, 3]
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && matches!(conv.padding, PaddingConfig2d::Explicit(1, 1, 1, 1));
    match (fused_kind::<B>(), &conv.bias, same_3x3) {
        (Some(Fused::Flex), Some(bias), true) => {
            conv3x3_on::<Flex, B>(x, conv.weight.val(), bias.val())
        }
        (Some(Fused::AutodiffFlex), Some(bias), true) => {
            conv3x3_on::<Autodiff<Flex>, B>(x, conv.weight.val(), bias.val())
        }
        _ => conv.forward(x),
    }
}

fn permuted_on<F: FusedOps, B: Backend, const D: usize>(x: Tensor<B, D>, axes: [usize; D]) -> Tensor<B, D> {
    let x: Tensor<F, D> = same(x);
    same(float::<F, D>(F::permuted(primitive(x), &axes)))
}

/// `x.permute(axes)`, materialised in row-major order by a parallel copy on Flex /
/// `Autodiff<Flex>` (its backward is the inverse permutation, likewise); burn's lazy
/// permute elsewhere.
pub fn permuted<B: Backend, const D: usize>(x: Tensor<B, D>, axes: [usize; D]) -> Tensor<B, D> {
    match fused_kind::<B>() {
        Some(Fused::Flex) => permuted_on::<Flex, B, D>(x, axes),
        Some(Fused::AutodiffFlex) => permuted_on::<Autodiff<Flex>, B, D>(x, axes),
        None => x.permute(axes),
    }
}
