//! The fused CPU kernels (`model::fused`) against burn's composed ops, an f64 erf, finite
//! differences, and at block and whole-model level (forward, gradients, one Adam step).
//!
//! Tolerance "relative 1e-5": |fused − composed| ≤ 1e-5 · max |composed| over the tensor
//! (the two sum in different orders, so single elements near zero differ by rounding).

use burn::backend::{Autodiff, Flex};
use burn::module::{AutodiffModule, Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};

use xvr_worker::model::attention::AttentionInputs;
use xvr_worker::model::block::{BlockShape, SwinBlock};
use xvr_worker::model::fused::{self, composed, kernels, with_composed_ops, AttentionLayout};
use xvr_worker::model::mask::shift_mask;
use xvr_worker::model::relative_position::{index_tensor, relative_position_index};
use xvr_worker::model::window::WindowGeometry;
use xvr_worker::model::{InitSwinXvr, ModelConfig};

type Ad = Autodiff<Flex>;

fn host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().unwrap()
}

/// Asserts |a − b| ≤ rel · max|b| elementwise; returns the largest relative difference.
fn assert_close(what: &str, a: &[f32], b: &[f32], rel: f32) -> f32 {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b
        .iter()
        .fold(0.0f32, |m, x| m.max(x.abs()))
        .max(f32::MIN_POSITIVE);
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0f32, f32::max);
    assert!(
        worst <= rel,
        "{what}: max |diff| / max |ref| = {worst:e} > {rel:e}"
    );
    worst
}

fn random<B: Backend, const D: usize>(shape: [usize; D], std: f64) -> Tensor<B, D> {
    Tensor::random(shape, Distribution::Normal(0.0, std), &Default::default())
}

// ---------------------------------------------------------------------------------- GELU

#[test]
fn gelu_matches_an_f64_reference_and_burns_gelu() {
    let xs: Vec<f32> = (-2000..=2000)
        .map(|i| i as f32 * 0.005)
        .chain([-30.0, -12.0, 12.0, 30.0, 0.0])
        .collect();
    let x =
        Tensor::<Ad, 1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &Default::default())
            .require_grad();
    let y = fused::gelu(x.clone());
    let grads = y.clone().sum().backward();
    let (y, dy) = (host(y), host(x.grad(&grads).unwrap()));
    for (i, &x) in xs.iter().enumerate() {
        let x64 = f64::from(x);
        let cdf = 0.5 * libm::erfc(-x64 / std::f64::consts::SQRT_2);
        let exact = x64 * cdf;
        let dexact = cdf + x64 * (-0.5 * x64 * x64).exp() / (2.0 * std::f64::consts::PI).sqrt();
        // A&S 7.1.26: |erf error| ≤ 1.5e-7, i.e. ≤ 0.75e-7·|x| in GELU, plus f32 rounding.
        let tol = 1e-5 * exact.abs() + 1e-7 * x64.abs().max(1.0);
        assert!(
            (f64::from(y[i]) - exact).abs() <= tol,
            "gelu({x}) = {} vs {exact}",
            y[i]
        );
        let dtol = 1e-5 * dexact.abs() + 2e-7 * x64.abs().max(1.0);
        assert!(
            (f64::from(dy[i]) - dexact).abs() <= dtol,
            "gelu'({x}) = {} vs {dexact}",
            dy[i]
        );
    }
    // Against burn's own (libm erff) GELU and its backward, composed path.
    let (y_ref, dy_ref) = with_composed_ops(|| {
        let y = fused::gelu(x.clone());
        let grads = y.clone().sum().backward();
        (host(y), host(x.grad(&grads).unwrap()))
    });
    assert_close("gelu forward", &y, &y_ref, 1e-6);
    assert_close("gelu backward", &dy, &dy_ref, 1e-6);
}

#[test]
fn exp_kernel_is_accurate() {
    for i in -8700..=8800 {
        let x = i as f32 * 0.01;
        let exact = f64::from(x).exp();
        let got = f64::from(kernels::exp(x));
        assert!(
            (got - exact).abs() <= 4e-7 * exact,
            "exp({x}) = {got} vs {exact}"
        );
    }
}

// ----------------------------------------------------------------------------- LayerNorm

#[test]
fn layer_norm_equals_the_module_forward_and_its_gradients() {
    use burn::nn::LayerNormConfig;
    for (rows, c) in [(7, 5), (300, 48), (130, 192)] {
        let mut norm = LayerNormConfig::new(c)
            .with_epsilon(1e-5)
            .init::<Ad>(&Default::default());
        // Non-trivial γ, β; inputs with an offset so that the mean matters.
        norm.gamma = Param::from_tensor(random::<Ad, 1>([c], 1.0) + 1.0);
        norm.beta = Some(Param::from_tensor(random::<Ad, 1>([c], 1.0)));
        let x = (random::<Ad, 2>([rows, c], 2.0) + 3.0).require_grad();
        let r = random::<Ad, 2>([rows, c], 1.0);
        let run = || {
            let y = fused::layer_norm(&norm, x.clone(), 1e-5);
            let grads = (y.clone() * r.clone()).sum().backward();
            let beta = norm.beta.as_ref().unwrap();
            [
                host(y),
                host(x.grad(&grads).unwrap()),
                host(norm.gamma.val().grad(&grads).unwrap()),
                host(beta.val().grad(&grads).unwrap()),
            ]
        };
        let fused = run();
        let reference = with_composed_ops(run);
        for (name, (a, b)) in ["output", "d x", "d gamma", "d beta"]
            .iter()
            .zip(fused.iter().zip(&reference))
        {
            assert_close(&format!("layer norm [{rows}, {c}]: {name}"), a, b, 1e-5);
        }
        // Plain Flex (inference) and the trait's composed default backward.
        let plain = host(fused::layer_norm(&norm.valid(), x.clone().inner(), 1e-5));
        assert_close("layer norm inference", &plain, &reference[0], 1e-5);
        let (dx, dgamma, dbeta) = composed::layer_norm_backward(
            x.clone().inner(),
            norm.gamma.val().inner(),
            r.clone().inner(),
            1e-5,
        );
        assert_close("composed backward d x", &host(dx), &reference[1], 1e-5);
        assert_close(
            "composed backward d gamma",
            &host(dgamma),
            &reference[2],
            1e-5,
        );
        assert_close(
            "composed backward d beta",
            &host(dbeta),
            &reference[3],
            1e-5,
        );
    }
}

// ---------------------------------------------------------------------- window attention

/// A window-attention problem: geometry from the (T, H, W) extent and window edge.
struct Case {
    batch: usize,
    channels: usize,
    heads: usize,
    geometry: WindowGeometry,
    shifted: bool,
}

impl Case {
    fn new(
        batch: usize,
        channels: usize,
        heads: usize,
        extent: [usize; 3],
        window: usize,
        shifted: bool,
    ) -> Self {
        let geometry = WindowGeometry::new(extent, [extent[0], window, window]);
        Self {
            batch,
            channels,
            heads,
            geometry,
            shifted: shifted && geometry.has_shift(),
        }
    }

    fn layout(&self) -> AttentionLayout {
        AttentionLayout {
            heads: self.heads,
            tokens: self.geometry.tokens_per_window(),
            windows_per_sample: self.geometry.windows_per_sample(),
            scale: ((self.channels / self.heads) as f32).powf(-0.5),
        }
    }

    fn rows(&self) -> usize {
        self.batch * self.geometry.windows_per_sample() * self.geometry.tokens_per_window()
    }

    fn mask<B: Backend>(&self) -> Option<Tensor<B, 4>> {
        let (nw, n) = (
            self.geometry.windows_per_sample(),
            self.geometry.tokens_per_window(),
        );
        self.shifted.then(|| {
            Tensor::from_data(
                TensorData::new(shift_mask(&self.geometry), [nw, 1, n, n]),
                &Default::default(),
            )
        })
    }
}

/// Output and the gradients of Σ out ⊙ r with respect to qkv and bias.
fn attention_with_grads(
    case: &Case,
    qkv: &Tensor<Flex, 2>,
    bias: &Tensor<Flex, 2>,
    r: &Tensor<Flex, 2>,
) -> [Vec<f32>; 3] {
    let qkv = Tensor::<Ad, 2>::from_inner(qkv.clone()).require_grad();
    let bias = Tensor::<Ad, 2>::from_inner(bias.clone()).require_grad();
    let out = fused::window_attention(qkv.clone(), bias.clone(), case.mask(), case.layout());
    let grads = (out.clone() * Tensor::from_inner(r.clone()))
        .sum()
        .backward();
    [
        host(out),
        host(qkv.grad(&grads).unwrap()),
        host(bias.grad(&grads).unwrap()),
    ]
}

fn check_case(case: &Case) {
    let (n, c, h) = (case.geometry.tokens_per_window(), case.channels, case.heads);
    let qkv = random::<Flex, 2>([case.rows(), 3 * c], 1.0);
    let bias = random::<Flex, 2>([1, h * n * n], 0.5);
    let r = random::<Flex, 2>([case.rows(), c], 1.0);
    let what = format!(
        "extent {:?} window {:?} shifted {}",
        case.geometry.extent, case.geometry.window, case.shifted
    );

    let fused = attention_with_grads(case, &qkv, &bias, &r);
    let reference = with_composed_ops(|| attention_with_grads(case, &qkv, &bias, &r));
    for (name, (a, b)) in ["output", "d qkv", "d bias"]
        .iter()
        .zip(fused.iter().zip(&reference))
    {
        assert_close(&format!("{what}: {name}"), a, b, 1e-5);
    }
    // Inference path (plain Flex, probabilities not kept).
    let plain = host(fused::window_attention(
        qkv.clone(),
        bias.clone(),
        case.mask(),
        case.layout(),
    ));
    assert_close(
        &format!("{what}: inference output"),
        &plain,
        &reference[0],
        1e-5,
    );
    // The trait's composed default backward equals autodiff through the composed forward.
    let (_, probs) =
        composed::window_attention(qkv.clone(), bias.clone(), case.mask(), case.layout());
    let (dqkv, dbias) = composed::window_attention_backward(qkv, probs, r, case.layout());
    assert_close(
        &format!("{what}: composed backward d qkv"),
        &host(dqkv),
        &reference[1],
        1e-5,
    );
    assert_close(
        &format!("{what}: composed backward d bias"),
        &host(dbias),
        &reference[2],
        1e-5,
    );
}

#[test]
fn window_attention_equals_the_composition_for_window_sizes_1_2_4_8() {
    // (batch, C, heads, extent, window, shifted): window 1 (no shift), 2, 4 and 8, shifted
    // and not, odd extents (the block pads them; here the op sees the padded grid), T = 3
    // and 5, several windows per sample and batch 2 so that the mask repeats.
    let cases = [
        Case::new(2, 6, 2, [3, 3, 5], 1, true),
        Case::new(1, 8, 2, [3, 6, 4], 2, true),
        Case::new(2, 8, 1, [3, 6, 4], 2, false),
        Case::new(1, 12, 3, [5, 7, 9], 4, true),
        Case::new(2, 12, 3, [5, 8, 12], 4, false),
        Case::new(1, 8, 2, [3, 16, 11], 8, true),
        Case::new(1, 16, 2, [5, 24, 24], 8, true),
    ];
    for case in &cases {
        let padded = Case {
            geometry: WindowGeometry {
                extent: case.geometry.padded,
                ..case.geometry
            },
            ..*case
        };
        check_case(&padded);
    }
}

#[test]
fn window_attention_backward_matches_finite_differences() {
    // 2 samples × 2 windows of 1×2×2 tokens, 2 heads of width 2, shifted (masked).
    let case = Case::new(2, 4, 2, [1, 2, 4], 2, true);
    let case = Case {
        geometry: WindowGeometry::new([1, 2, 4], [1, 2, 2]),
        shifted: true,
        ..case
    };
    assert!(case.geometry.has_shift());
    let (n, c, h) = (case.geometry.tokens_per_window(), case.channels, case.heads);
    let qkv = random::<Flex, 2>([case.rows(), 3 * c], 1.0);
    let bias = random::<Flex, 2>([1, h * n * n], 0.5);
    let r = random::<Flex, 2>([case.rows(), c], 1.0);
    let [_, dqkv, dbias] = attention_with_grads(&case, &qkv, &bias, &r);
    let loss = |qkv: Vec<f32>, bias: Vec<f32>| -> f64 {
        let t = |v: Vec<f32>, s: [usize; 2]| {
            Tensor::<Flex, 2>::from_data(TensorData::new(v, s), &Default::default())
        };
        let out = fused::window_attention(
            t(qkv, [case.rows(), 3 * c]),
            t(bias, [1, h * n * n]),
            case.mask(),
            case.layout(),
        );
        host(out)
            .iter()
            .zip(host(r.clone()))
            .map(|(a, b)| f64::from(*a) * f64::from(b))
            .sum()
    };
    let eps = 1e-2f32;
    let (q0, b0) = (host(qkv), host(bias));
    for (which, base, analytic) in [("qkv", &q0, &dqkv), ("bias", &b0, &dbias)] {
        for i in 0..base.len() {
            let shifted = |delta: f32| {
                let mut v = base.clone();
                v[i] += delta;
                if which == "qkv" {
                    loss(v, b0.clone())
                } else {
                    loss(q0.clone(), v)
                }
            };
            let fd = (shifted(eps) - shifted(-eps)) / (2.0 * f64::from(eps));
            let a = f64::from(analytic[i]);
            assert!(
                (fd - a).abs() <= 2e-3 * a.abs().max(1.0),
                "d {which}[{i}]: analytic {a} vs finite difference {fd}"
            );
        }
    }
}

// ------------------------------------------------------------------ 3×3 convolution

/// A 3×3 same-padding conv with random weights and bias, as the model builds them.
fn random_conv<B: Backend>(c_in: usize, c_out: usize) -> burn::nn::conv::Conv2d<B> {
    let mut conv = xvr_worker::model::shallow::conv3x3::<B>(c_in, c_out, &Default::default());
    conv.bias = Some(Param::from_tensor(random::<B, 1>([c_out], 0.5)));
    conv
}

#[test]
fn conv3x3_equals_burns_conv2d_and_its_gradients() {
    // 1×1 and 1-wide images (every tap but the centre row/column is padding), odd sizes,
    // C_in = 1 (the first convs), and an image of several tiles whose tiles start mid-row.
    for (batch, c_in, c_out, h, w) in [
        (1, 1, 2, 1, 1),
        (2, 3, 4, 5, 1),
        (2, 1, 6, 7, 5),
        (2, 5, 3, 9, 11),
        (1, 70, 8, 37, 23),
    ] {
        let conv = random_conv::<Ad>(c_in, c_out);
        let x = random::<Ad, 4>([batch, c_in, h, w], 1.0).require_grad();
        let r = random::<Ad, 4>([batch, c_out, h, w], 1.0);
        let run = || {
            let y = fused::conv3x3(&conv, x.clone());
            let grads = (y.clone() * r.clone()).sum().backward();
            [
                host(y),
                host(x.grad(&grads).unwrap()),
                host(conv.weight.val().grad(&grads).unwrap()),
                host(conv.bias.as_ref().unwrap().val().grad(&grads).unwrap()),
            ]
        };
        let fused = run();
        let reference = with_composed_ops(run);
        let case = format!("conv3x3 [{batch}, {c_in}, {h}, {w}] → {c_out}");
        for (name, (a, b)) in ["output", "d x", "d weight", "d bias"]
            .iter()
            .zip(fused.iter().zip(&reference))
        {
            assert_close(&format!("{case}: {name}"), a, b, 1e-5);
        }
        // Plain Flex (inference) takes the fused kernel too.
        let plain = host(fused::conv3x3(&conv.valid(), x.clone().inner()));
        assert_close(&format!("{case}: Flex output"), &plain, &reference[0], 1e-5);
    }
}

#[test]
fn conv3x3_backward_matches_finite_differences() {
    let (batch, c_in, c_out, h, w) = (2, 2, 3, 4, 3);
    let conv_ad = random_conv::<Ad>(c_in, c_out);
    let conv = conv_ad.valid();
    let x = random::<Flex, 4>([batch, c_in, h, w], 1.0);
    let r = random::<Flex, 4>([batch, c_out, h, w], 1.0);
    let x_ad = Tensor::<Ad, 4>::from_inner(x.clone()).require_grad();
    let grads = (fused::conv3x3(&conv_ad, x_ad.clone()) * Tensor::from_inner(r.clone())).sum().backward();
    let analytic = [
        host(x_ad.grad(&grads).unwrap()),
        host(conv_ad.weight.val().grad(&grads).unwrap()),
        host(conv_ad.bias.as_ref().unwrap().val().grad(&grads).unwrap()),
    ];
    let bias = conv.bias.as_ref().unwrap().val();
    let bases = [host(x.clone()), host(conv.weight.val()), host(bias.clone())];
    let loss = |values: [Vec<f32>; 3]| -> f64 {
        let [xv, wv, bv] = values;
        let mut c = conv.clone();
        let t4 = |v, s: [usize; 4]| Tensor::<Flex, 4>::from_data(TensorData::new(v, s), &Default::default());
        c.weight = Param::from_tensor(t4(wv, [c_out, c_in, 3, 3]));
        c.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bv, [c_out]), &Default::default())));
        host(fused::conv3x3(&c, t4(xv, [batch, c_in, h, w])))
            .iter()
            .zip(host(r.clone()))
            .map(|(a, b)| f64::from(*a) * f64::from(b))
            .sum()
    };
    let eps = 1e-2f32;
    for (which, name) in ["x", "weight", "bias"].iter().enumerate() {
        for i in 0..bases[which].len() {
            let shifted = |delta: f32| {
                let mut values = bases.clone();
                values[which][i] += delta;
                loss(values)
            };
            let fd = (shifted(eps) - shifted(-eps)) / (2.0 * f64::from(eps));
            let a = f64::from(analytic[which][i]);
            assert!(
                (fd - a).abs() <= 2e-3 * a.abs().max(1.0),
                "d {name}[{i}]: analytic {a} vs finite difference {fd}"
            );
        }
    }
}

// ------------------------------------------------------------------ permutation

#[test]
fn permuted_equals_burns_permute_and_its_gradient() {
    // The model's permutations: window partition / reverse (last axis kept: row copies),
    // the stage conv's NHWC ↔ NCHW and the pixel shuffle (last axis moved: gathers).
    let cases: [(&str, [usize; 6], [usize; 6]); 3] = [
        ("partition", [2, 3, 4, 2, 3, 10], [0, 2, 4, 1, 3, 5]),
        ("reverse", [2, 2, 3, 3, 4, 10], [0, 3, 1, 4, 2, 5]),
        ("pixel shuffle", [1, 3, 2, 2, 5, 7], [0, 1, 4, 2, 5, 3]),
    ];
    for (name, dims, axes) in cases {
        let x = random::<Ad, 6>(dims, 1.0).require_grad();
        let out_dims = axes.map(|a| dims[a]);
        let r = random::<Ad, 6>(out_dims, 1.0);
        let run = || {
            let y = fused::permuted(x.clone(), axes);
            let grads = (y.clone() * r.clone()).sum().backward();
            [host(y), host(x.grad(&grads).unwrap())]
        };
        let fused = run();
        let reference = with_composed_ops(run);
        assert_eq!(fused[0], reference[0], "{name}: output");
        assert_eq!(fused[1], reference[1], "{name}: d x");
    }
    // Rank 4, NHWC → NCHW on plain Flex.
    let x = random::<Flex, 4>([2, 5, 3, 4], 1.0);
    assert_eq!(host(fused::permuted(x.clone(), [0, 3, 1, 2])), host(x.permute([0, 3, 1, 2])));
}

// ------------------------------------------------------------------ block and whole model

/// All float parameters of a module, in visiting order.
fn parameters<B: Backend, M: Module<B>>(module: &M) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.extend(host(param.val()));
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Gradients of all float parameters, in visiting order.
fn parameter_grads<M: Module<Ad>>(
    module: &M,
    grads: &<Ad as burn::tensor::backend::AutodiffBackend>::Gradients,
) -> Vec<f32> {
    struct Collect<'a>(
        Vec<f32>,
        &'a <Ad as burn::tensor::backend::AutodiffBackend>::Gradients,
    );
    impl ModuleVisitor<Ad> for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<Ad, D>>) {
            self.0.extend(host(
                param
                    .val()
                    .grad(self.1)
                    .expect("every parameter has a gradient"),
            ));
        }
    }
    let mut collect = Collect(Vec::new(), grads);
    module.visit(&mut collect);
    collect.0
}

#[test]
fn shifted_block_with_padding_equals_the_composition() {
    // 7×5 grid with a 4×4 window: padded to 8×8, shifted by 2, T = 3.
    let shape = BlockShape {
        channels: 12,
        heads: 3,
        mlp_hidden: 24,
        configured_window: [3, 4, 4],
    };
    let geometry = WindowGeometry::new([3, 7, 5], [3, 4, 4]);
    let n = geometry.tokens_per_window();
    let inputs = AttentionInputs::<Ad> {
        windows: geometry.windows_per_sample(),
        tokens: n,
        index: index_tensor(
            &relative_position_index(geometry.configured, n),
            &Default::default(),
        ),
        mask: Some(Tensor::from_data(
            TensorData::new(
                shift_mask(&geometry),
                [geometry.windows_per_sample(), 1, n, n],
            ),
            &Default::default(),
        )),
    };
    let block = SwinBlock::<Ad>::new(shape, true, 0.0, &Default::default());
    let x = random::<Ad, 5>([2, 3, 7, 5, 12], 1.0).require_grad();
    let r = random::<Ad, 5>([2, 3, 7, 5, 12], 1.0);
    let run = || {
        let y = block.forward(x.clone(), &geometry, &inputs);
        let grads = (y.clone() * r.clone()).sum().backward();
        (
            host(y),
            host(x.grad(&grads).unwrap()),
            parameter_grads(&block, &grads),
        )
    };
    let fused = run();
    let reference = with_composed_ops(run);
    assert_close("block output", &fused.0, &reference.0, 1e-5);
    assert_close("block d input", &fused.1, &reference.1, 1e-5);
    assert_close("block d parameters", &fused.2, &reference.2, 1e-5);
}

#[test]
fn whole_model_output_and_one_adam_step_equal_the_composition() {
    // Odd LR crop 10×6 (4×4 window pads to 12×8), two stages, batch 2, no stochastic depth.
    let config = ModelConfig::small()
        .with_channels(8)
        .with_depths(vec![2, 1])
        .with_recon_channels(4)
        .with_drop_path(0.0);
    let device = Default::default();
    let model = config.init::<Ad>(&device);
    let lq = Tensor::<Ad, 5>::random([2, 3, 1, 10, 6], Distribution::Uniform(0.0, 1.0), &device);
    let hq = Tensor::<Ad, 5>::random([2, 2, 1, 40, 24], Distribution::Uniform(0.0, 1.0), &device);
    let gt = Tensor::<Ad, 4>::random([2, 1, 40, 24], Distribution::Uniform(0.0, 1.0), &device);
    let step = || {
        let out = model.forward(lq.clone(), hq.clone());
        let loss = (out.clone() - gt.clone()).abs().mean();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let mut optim = AdamConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.99)
            .init::<Ad, _>();
        let stepped = optim.step(1e-3, model.clone(), grads);
        (host(out), parameters(&stepped))
    };
    let (out, weights) = step();
    let (out_ref, weights_ref) = with_composed_ops(step);
    assert_close("model output", &out, &out_ref, 1e-5);
    // Adam normalises each gradient element, so compare the update, not the weights' scale.
    let before = parameters(&model);
    let update: Vec<f32> = weights.iter().zip(&before).map(|(a, b)| a - b).collect();
    let update_ref: Vec<f32> = weights_ref
        .iter()
        .zip(&before)
        .map(|(a, b)| a - b)
        .collect();
    assert_close("one Adam step's update", &update, &update_ref, 1e-3);
    assert_close("weights after one Adam step", &weights, &weights_ref, 1e-5);
}
