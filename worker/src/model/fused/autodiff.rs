//! `FusedOps` for `Autodiff<B>`: each fused op is one autodiff node whose backward calls
//! the inner backend's fused backward (instead of one node per decomposed op).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::Autodiff;
use burn::tensor::ops::FloatTensor;

use super::{AttentionLayout, FusedOps};

#[derive(Debug)]
struct WindowAttentionBackward;

impl<B: FusedOps> Backward<B, 2> for WindowAttentionBackward {
    /// qkv and the probabilities of the forward pass.
    type State = (FloatTensor<B>, FloatTensor<B>, AttentionLayout);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [qkv_node, bias_node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (qkv, probs, layout) = ops.state;
        let (dqkv, dbias) = B::window_attention_backward(qkv, probs, grad, layout);
        if let Some(node) = qkv_node {
            grads.register::<B>(node.id, dqkv);
        }
        if let Some(node) = bias_node {
            grads.register::<B>(node.id, dbias);
        }
    }
}

#[derive(Debug)]
struct GeluBackward;

impl<B: FusedOps> Backward<B, 1> for GeluBackward {
    /// The input.
    type State = FloatTensor<B>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        if let Some(node) = parent {
            grads.register::<B>(node.id, B::gelu_erf_backward(ops.state, grad));
        }
    }
}

#[derive(Debug)]
struct LayerNormBackward;

impl<B: FusedOps> Backward<B, 3> for LayerNormBackward {
    /// The input, γ and eps.
    type State = (FloatTensor<B>, FloatTensor<B>, f64);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node, gamma_node, beta_node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x, gamma, eps) = ops.state;
        let (dx, dgamma, dbeta) = B::layer_norm_rows_backward(x, gamma, grad, eps);
        for (node, value) in [(x_node, dx), (gamma_node, dgamma), (beta_node, dbeta)] {
            if let Some(node) = node {
                grads.register::<B>(node.id, value);
            }
        }
    }
}

#[derive(Debug)]
struct Conv3x3Backward;

impl<B: FusedOps> Backward<B, 3> for Conv3x3Backward {
    /// The input and the weight.
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node, weight_node, bias_node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x, weight) = ops.state;
        let (dx, dw, db) = B::conv3x3_backward(x, weight, grad);
        for (node, value) in [(x_node, dx), (weight_node, dw), (bias_node, db)] {
            if let Some(node) = node {
                grads.register::<B>(node.id, value);
            }
        }
    }
}

#[derive(Debug)]
struct PermutedBackward;

impl<B: FusedOps> Backward<B, 1> for PermutedBackward {
    /// The inverse permutation.
    type State = Vec<usize>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        if let Some(node) = parent {
            grads.register::<B>(node.id, B::permuted(grad, &ops.state));
        }
    }
}

impl<B: FusedOps, C: CheckpointStrategy> FusedOps for Autodiff<B, C> {
    fn window_attention(
        qkv: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        mask: Option<FloatTensor<Self>>,
        layout: AttentionLayout,
    ) -> FloatTensor<Self> {
        // The mask is a constant: only its value enters.
        let mask = mask.map(|m| m.primitive);
        match WindowAttentionBackward
            .prepare::<C>([qkv.node.clone(), bias.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (out, probs) =
                    B::window_attention_saving(qkv.primitive.clone(), bias.primitive, mask, layout);
                prep.finish((qkv.primitive, probs, layout), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::window_attention(
                qkv.primitive,
                bias.primitive,
                mask,
                layout,
            )),
        }
    }

    fn window_attention_saving(
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
        _: Option<FloatTensor<Self>>,
        _: AttentionLayout,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        unreachable!("Autodiff's window_attention does not ask itself for saved probabilities")
    }

    fn window_attention_backward(
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
        _: AttentionLayout,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        unreachable!("second-order gradients of the fused window attention are not supported")
    }

    fn gelu_erf(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match GeluBackward
            .prepare::<C>([x.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::gelu_erf(x.primitive.clone());
                prep.finish(x.primitive, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::gelu_erf(x.primitive)),
        }
    }

    fn gelu_erf_backward(_: FloatTensor<Self>, _: FloatTensor<Self>) -> FloatTensor<Self> {
        unreachable!("second-order gradients of the fused GELU are not supported")
    }

    fn layer_norm_rows(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        eps: f64,
    ) -> FloatTensor<Self> {
        let nodes = [x.node.clone(), gamma.node.clone(), beta.node.clone()];
        match LayerNormBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::layer_norm_rows(
                    x.primitive.clone(),
                    gamma.primitive.clone(),
                    beta.primitive,
                    eps,
                );
                prep.finish((x.primitive, gamma.primitive, eps), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::layer_norm_rows(
                x.primitive,
                gamma.primitive,
                beta.primitive,
                eps,
            )),
        }
    }

    fn layer_norm_rows_backward(
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
        _: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        unreachable!("second-order gradients of the fused LayerNorm are not supported")
    }

    fn conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [x.node.clone(), weight.node.clone(), bias.node.clone()];
        match Conv3x3Backward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out =
                    B::conv3x3(x.primitive.clone(), weight.primitive.clone(), bias.primitive);
                prep.finish((x.primitive, weight.primitive), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::conv3x3(x.primitive, weight.primitive, bias.primitive))
            }
        }
    }

    fn conv3x3_backward(
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
        _: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        unreachable!("second-order gradients of the fused convolution are not supported")
    }

    fn permuted(x: FloatTensor<Self>, axes: &[usize]) -> FloatTensor<Self> {
        match PermutedBackward.prepare::<C>([x.node.clone()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let mut inverse = vec![0; axes.len()];
                for (i, &a) in axes.iter().enumerate() {
                    inverse[a] = i;
                }
                prep.finish(inverse, B::permuted(x.primitive, axes))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::permuted(x.primitive, axes)),
        }
    }
}
