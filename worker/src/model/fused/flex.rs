//! `FusedOps` for `Flex`: its f32 tensors go to [`kernels`]; any other dtype takes the
//! trait's composed default.

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::{DType, TensorData, TensorMetadata};

use super::conv_kernels::{self, ConvShape};
use super::permute_kernels;
use super::{composed, float, kernels, primitive, AttentionLayout, FusedOps};

/// The tensor's elements in row-major order (copied only if it is a strided view).
fn contiguous(t: &FlexTensor) -> FlexTensor {
    if t.as_slice::<f32>().is_some() {
        t.clone()
    } else {
        t.to_contiguous()
    }
}

fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("contiguous f32 tensor")
}

fn tensor(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn all_f32(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

impl FusedOps for Flex {
    fn window_attention(
        qkv: FlexTensor,
        bias: FlexTensor,
        mask: Option<FlexTensor>,
        layout: AttentionLayout,
    ) -> FlexTensor {
        if !all_f32(&[&qkv, &bias]) || mask.as_ref().is_some_and(|m| m.dtype() != DType::F32) {
            return composed::window_attention::<Flex>(
                float(qkv),
                float(bias),
                mask.map(float),
                layout,
            )
            .0
            .into_primitive()
            .tensor();
        }
        attention(qkv, bias, mask, layout, false).0
    }

    fn window_attention_saving(
        qkv: FlexTensor,
        bias: FlexTensor,
        mask: Option<FlexTensor>,
        layout: AttentionLayout,
    ) -> (FlexTensor, FlexTensor) {
        if !all_f32(&[&qkv, &bias]) || mask.as_ref().is_some_and(|m| m.dtype() != DType::F32) {
            let (out, probs) = composed::window_attention::<Flex>(
                float(qkv),
                float(bias),
                mask.map(float),
                layout,
            );
            return (
                out.into_primitive().tensor(),
                probs.into_primitive().tensor(),
            );
        }
        let (out, probs) = attention(qkv, bias, mask, layout, true);
        (out, probs.expect("probabilities kept"))
    }

    fn window_attention_backward(
        qkv: FlexTensor,
        probs: FlexTensor,
        grad: FlexTensor,
        layout: AttentionLayout,
    ) -> (FlexTensor, FlexTensor) {
        if !all_f32(&[&qkv, &probs, &grad]) {
            let (dqkv, dbias) = composed::window_attention_backward::<Flex>(
                float(qkv),
                float(probs),
                float(grad),
                layout,
            );
            return (
                dqkv.into_primitive().tensor(),
                dbias.into_primitive().tensor(),
            );
        }
        let shape = qkv.shape().to_vec();
        let (qkv, probs, grad) = (contiguous(&qkv), contiguous(&probs), contiguous(&grad));
        let (dqkv, dbias) = kernels::window_attention_backward(
            values(&qkv),
            shape[1],
            values(&probs),
            values(&grad),
            layout,
        );
        let bias_len = dbias.len();
        (tensor(dqkv, shape), tensor(dbias, vec![1, bias_len]))
    }

    fn gelu_erf(x: FlexTensor) -> FlexTensor {
        if x.dtype() != DType::F32 {
            return <Flex as burn::tensor::ops::ActivationOps<Flex>>::gelu(x);
        }
        let shape = x.shape().to_vec();
        tensor(kernels::gelu(values(&contiguous(&x))), shape)
    }

    fn gelu_erf_backward(x: FlexTensor, grad: FlexTensor) -> FlexTensor {
        if !all_f32(&[&x, &grad]) {
            return <Flex as burn::tensor::ops::ActivationOps<Flex>>::gelu_backward(x, grad);
        }
        let shape = x.shape().to_vec();
        tensor(
            kernels::gelu_backward(values(&contiguous(&x)), values(&contiguous(&grad))),
            shape,
        )
    }

    fn layer_norm_rows(x: FlexTensor, gamma: FlexTensor, beta: FlexTensor, eps: f64) -> FlexTensor {
        if !all_f32(&[&x, &gamma, &beta]) {
            return <Flex as burn::tensor::ops::ModuleOps<Flex>>::layer_norm(
                x,
                gamma,
                Some(beta),
                eps,
            );
        }
        let shape = x.shape().to_vec();
        let (x, gamma, beta) = (contiguous(&x), contiguous(&gamma), contiguous(&beta));
        tensor(
            kernels::layer_norm(values(&x), values(&gamma), values(&beta), eps as f32),
            shape,
        )
    }

    fn layer_norm_rows_backward(
        x: FlexTensor,
        gamma: FlexTensor,
        grad: FlexTensor,
        eps: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        if !all_f32(&[&x, &gamma, &grad]) {
            let (dx, dgamma, dbeta) =
                composed::layer_norm_backward::<Flex>(float(x), float(gamma), float(grad), eps);
            return (
                dx.into_primitive().tensor(),
                dgamma.into_primitive().tensor(),
                dbeta.into_primitive().tensor(),
            );
        }
        let shape = x.shape().to_vec();
        let c = shape[1];
        let (x, gamma, grad) = (contiguous(&x), contiguous(&gamma), contiguous(&grad));
        let (dx, dgamma, dbeta) =
            kernels::layer_norm_backward(values(&x), values(&gamma), values(&grad), eps as f32);
        (
            tensor(dx, shape),
            tensor(dgamma, vec![c]),
            tensor(dbeta, vec![c]),
        )
    }

    fn conv3x3(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        if !all_f32(&[&x, &weight, &bias]) {
            return primitive(composed::conv3x3::<Flex>(float(x), float(weight), float(bias)));
        }
        let s = conv_shape(&x, &weight);
        let (x, weight, bias) = (contiguous(&x), contiguous(&weight), contiguous(&bias));
        let out = conv_kernels::conv3x3(values(&x), values(&weight), Some(values(&bias)), s);
        tensor(out, vec![s.batch, s.c_out, s.h, s.w])
    }

    fn conv3x3_backward(
        x: FlexTensor,
        weight: FlexTensor,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        if !all_f32(&[&x, &weight, &grad]) {
            let (dx, dw, db) =
                composed::conv3x3_backward::<Flex>(float(x), float(weight), float(grad));
            return (primitive(dx), primitive(dw), primitive(db));
        }
        let s = conv_shape(&x, &weight);
        let (x, weight, grad) = (contiguous(&x), contiguous(&weight), contiguous(&grad));
        let dx = conv_kernels::conv3x3_input_grad(values(&grad), values(&weight), s);
        let (dw, db) = conv_kernels::conv3x3_param_grads(values(&x), values(&grad), s);
        (
            tensor(dx, vec![s.batch, s.c_in, s.h, s.w]),
            tensor(dw, vec![s.c_out, s.c_in, 3, 3]),
            tensor(db, vec![s.c_out]),
        )
    }

    fn permuted(x: FlexTensor, axes: &[usize]) -> FlexTensor {
        if x.dtype() != DType::F32 {
            return <Flex as burn::tensor::ops::FloatTensorOps<Flex>>::float_permute(x, axes);
        }
        let dims = x.shape().to_vec();
        let out_dims = axes.iter().map(|&a| dims[a]).collect();
        tensor(permute_kernels::permuted(values(&contiguous(&x)), &dims, axes), out_dims)
    }
}

/// Sizes of a 3×3 convolution of `x` `[N, C_in, H, W]` by `weight` `[C_out, C_in, 3, 3]`.
fn conv_shape(x: &FlexTensor, weight: &FlexTensor) -> ConvShape {
    let (xs, ws) = (x.shape(), weight.shape());
    assert!(
        xs.num_dims() == 4 && ws.num_dims() == 4 && ws[1] == xs[1] && ws[2] == 3 && ws[3] == 3,
        "conv3x3: input {:?} and weight {:?} are not [N, C_in, H, W] and [C_out, C_in, 3, 3]",
        xs.to_vec(),
        ws.to_vec()
    );
    ConvShape { batch: xs[0], c_in: xs[1], c_out: ws[0], h: xs[2], w: xs[3] }
}

/// Runs the forward kernel; returns the output `[W·N, C]` and the probabilities `[W·H, N, N]`.
fn attention(
    qkv: FlexTensor,
    bias: FlexTensor,
    mask: Option<FlexTensor>,
    layout: AttentionLayout,
    keep_probs: bool,
) -> (FlexTensor, Option<FlexTensor>) {
    let shape = qkv.shape().to_vec();
    let (rows, c3) = (shape[0], shape[1]);
    let (qkv, bias) = (contiguous(&qkv), contiguous(&bias));
    let mask = mask.map(|m| contiguous(&m));
    let (out, probs) = kernels::window_attention(
        values(&qkv),
        c3,
        values(&bias),
        mask.as_ref().map(values),
        layout,
        keep_probs,
    );
    let n = layout.tokens;
    let windows = rows / n;
    (
        tensor(out, vec![rows, c3 / 3]),
        probs.map(|p| tensor(p, vec![windows * layout.heads, n, n])),
    )
}
