//! The CPU kernels behind `Flex`'s [`FusedOps`](super::FusedOps): plain functions on
//! contiguous row-major f32 slices (layouts as in the trait's documentation).
//!
//! Window attention runs one task per (window, head) on rayon's pool; inside a task the
//! three products are strided `gemm` calls straight on the qkv rows (no head split copy),
//! and bias + mask + softmax is one pass over each row of the N×N logits. The elementwise
//! maths (exp, erf) is branch-free f32 arithmetic so that the compiler vectorises the loops.

use rayon::prelude::*;

use super::AttentionLayout;

/// Elements per rayon task of the elementwise kernels.
const CHUNK: usize = 1 << 14;

/// eˣ in f32, branch-free (vectorisable): x = k·ln2 + r with |r| ≤ ln2/2, eʳ by its Taylor
/// series to degree 7 (truncation < 1e-8 relative), 2ᵏ put into the exponent bits.
/// Relative error a few ulp; clamped to [−87.3, 88] (no overflow, no denormals).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer (|x·log2 e| < 2²²).
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    // k as an integer, read from the mantissa of `shifted` (no float → int conversion: Rust's
    // saturating `as` needs a NaN check per element, which keeps the loop from vectorising).
    let k_int = shifted.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let scale = f32::from_bits(((k_int + 127) as u32) << 23);
    p * scale
}

/// (1 + erf(z), e^(−z²)) without cancellation for negative z: erfc(|z|) by Abramowitz &
/// Stegun 7.1.26 (|error| ≤ 1.5e-7 in erf; the same formula PyTorch's vectorised CPU erf
/// uses), then 1 + erf(z) = 2 − erfc(z) for z ≥ 0 and erfc(−z) for z < 0.
#[inline(always)]
fn one_plus_erf(z: f32) -> (f32, f32) {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_7,
        -1.453_152_1,
        1.061_405_4,
    ];
    let a = z.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let gauss = exp(-a * a);
    let erfc = poly * gauss;
    (if z >= 0.0 { 2.0 - erfc } else { erfc }, gauss)
}

/// GELU(x) = x/2 · (1 + erf(x/√2)).
#[inline(always)]
pub fn gelu_scalar(x: f32) -> f32 {
    0.5 * x * one_plus_erf(x * std::f32::consts::FRAC_1_SQRT_2).0
}

/// GELU′(x) = (1 + erf(x/√2))/2 + x·φ(x), φ the standard normal density.
#[inline(always)]
pub fn gelu_derivative(x: f32) -> f32 {
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    let (cdf2, gauss) = one_plus_erf(x * std::f32::consts::FRAC_1_SQRT_2);
    0.5 * cdf2 + x * INV_SQRT_2PI * gauss
}

/// Elementwise exact GELU.
pub fn gelu(x: &[f32]) -> Vec<f32> {
    let mut out = zeroed(x.len());
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(o, x)| {
            for (o, &x) in o.iter_mut().zip(x) {
                *o = gelu_scalar(x);
            }
        });
    out
}

/// Elementwise `grad · GELU′(x)`.
pub fn gelu_backward(x: &[f32], grad: &[f32]) -> Vec<f32> {
    let mut out = zeroed(x.len());
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(grad.par_chunks(CHUNK)))
        .for_each(|(o, (x, g))| {
            for ((o, &x), &g) in o.iter_mut().zip(x).zip(g) {
                *o = g * gelu_derivative(x);
            }
        });
    out
}

/// Rows per rayon task of the LayerNorm kernels.
const ROWS: usize = 64;

/// Independent partial sums in the reductions below: the compiler keeps them in one SIMD
/// register. A single running f32 sum (what `Iterator::sum` does) is a serial dependency it
/// may not reorder, so it stays scalar.
const LANES: usize = 8;

/// Folds `f(i)` over `0..len` into [`LANES`] partial results, then folds those.
#[inline(always)]
fn lane_fold(len: usize, init: f32, f: impl Fn(usize) -> f32, op: impl Fn(f32, f32) -> f32) -> f32 {
    let mut lanes = [init; LANES];
    let whole = len / LANES * LANES;
    for base in (0..whole).step_by(LANES) {
        for (lane, acc) in lanes.iter_mut().enumerate() {
            *acc = op(*acc, f(base + lane));
        }
    }
    let partial = lanes.into_iter().fold(init, &op);
    (whole..len).map(f).fold(partial, op)
}

/// Σ x.
#[inline(always)]
pub fn sum(x: &[f32]) -> f32 {
    lane_fold(x.len(), 0.0, |i| x[i], |a, b| a + b)
}

/// Σ a·b over the shorter length.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    lane_fold(len, 0.0, |i| a[i] * b[i], |x, y| x + y)
}

/// The largest element (−∞ for an empty slice; a NaN is skipped unless all are NaN).
#[inline(always)]
pub fn max(x: &[f32]) -> f32 {
    lane_fold(x.len(), f32::NEG_INFINITY, |i| x[i], |a, b| if b > a { b } else { a })
}

/// Mean and 1/√(var + eps) of one row (two passes, biased variance).
#[inline]
fn row_stats(row: &[f32], eps: f32) -> (f32, f32) {
    let inv_c = 1.0 / row.len() as f32;
    let mean = sum(row) * inv_c;
    let var = lane_fold(row.len(), 0.0, |i| (row[i] - mean) * (row[i] - mean), |a, b| a + b) * inv_c;
    (mean, 1.0 / (var + eps).sqrt())
}

/// LayerNorm of each row of `x` (`[rows, C]`, C = γ's length).
pub fn layer_norm(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32) -> Vec<f32> {
    let c = gamma.len();
    let mut out = zeroed(x.len());
    out.par_chunks_mut(ROWS * c)
        .zip(x.par_chunks(ROWS * c))
        .for_each(|(o, x)| {
            for (o, x) in o.chunks_exact_mut(c).zip(x.chunks_exact(c)) {
                let (mean, rstd) = row_stats(x, eps);
                for (((o, x), g), b) in o.iter_mut().zip(x).zip(gamma).zip(beta) {
                    *o = (x - mean) * rstd * g + b;
                }
            }
        });
    out
}

/// `(d x, d γ, d β)` of [`layer_norm`] (formulas in `composed::layer_norm_backward`).
pub fn layer_norm_backward(
    x: &[f32],
    gamma: &[f32],
    grad: &[f32],
    eps: f32,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let c = gamma.len();
    let inv_c = 1.0 / c as f32;
    let mut dx = zeroed(x.len());
    let (dgamma, dbeta) = dx
        .par_chunks_mut(ROWS * c)
        .zip(x.par_chunks(ROWS * c).zip(grad.par_chunks(ROWS * c)))
        .fold(
            || (vec![0.0f32; c], vec![0.0f32; c]),
            |(mut dgamma, mut dbeta), (dx, (x, g))| {
                for ((dx, x), g) in dx
                    .chunks_exact_mut(c)
                    .zip(x.chunks_exact(c))
                    .zip(g.chunks_exact(c))
                {
                    let (mean, rstd) = row_stats(x, eps);
                    let gg = |i: usize| g[i] * gamma[i];
                    let sum_gg = lane_fold(c, 0.0, gg, |a, b| a + b);
                    let sum_ggx =
                        lane_fold(c, 0.0, |i| gg(i) * (x[i] - mean) * rstd, |a, b| a + b);
                    for i in 0..c {
                        dgamma[i] += g[i] * (x[i] - mean) * rstd;
                        dbeta[i] += g[i];
                    }
                    let (mean_gg, mean_ggx) = (sum_gg * inv_c, sum_ggx * inv_c);
                    for i in 0..c {
                        let xhat = (x[i] - mean) * rstd;
                        dx[i] = rstd * (g[i] * gamma[i] - mean_gg - xhat * mean_ggx);
                    }
                }
                (dgamma, dbeta)
            },
        )
        .reduce(
            || (vec![0.0f32; c], vec![0.0f32; c]),
            |(mut a, mut b), (c, d)| {
                a.iter_mut().zip(&c).for_each(|(x, y)| *x += y);
                b.iter_mut().zip(&d).for_each(|(x, y)| *x += y);
                (a, b)
            },
        );
    (dx, dgamma, dbeta)
}

/// A zero-filled output buffer of `len` floats, filled on rayon's pool: `vec![0.0; len]`
/// would zero it (and take its page faults) on the calling thread while the pool waits.
pub fn zeroed(len: usize) -> Vec<f32> {
    let mut buffer = Vec::with_capacity(len);
    buffer
        .spare_capacity_mut()
        .par_chunks_mut(CHUNK)
        .for_each(|chunk| chunk.fill(std::mem::MaybeUninit::new(0.0)));
    // SAFETY: all `len` elements were initialised above.
    unsafe { buffer.set_len(len) };
    buffer
}

/// A raw output pointer shared by rayon tasks that write disjoint parts of one buffer.
#[derive(Clone, Copy)]
pub(super) struct Shared(*mut f32);
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    pub(super) fn new(buffer: &mut [f32]) -> Self {
        Self(buffer.as_mut_ptr())
    }

    /// The pointer (a method, so that closures capture the whole `Shared`, not its field).
    pub(super) fn get(self) -> *mut f32 {
        self.0
    }
}

/// dst (row stride `dst_rs`, column stride 1) = `scale` · lhs · rhs for an m×k by k×n
/// product; lhs/rhs given by pointer and (row, column) strides. Single-threaded: the
/// callers parallelise over windows and heads.
///
/// # Safety
/// Every pointer must be valid for the strided extents it is used with, and `dst` must not
/// overlap the inputs or another thread's output.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul(
    dims: [usize; 3],
    dst: *mut f32,
    dst_rs: usize,
    lhs: *const f32,
    lhs_strides: [usize; 2],
    rhs: *const f32,
    rhs_strides: [usize; 2],
    scale: f32,
) {
    matmul_onto(dims, dst, dst_rs, lhs, lhs_strides, rhs, rhs_strides, scale, false)
}

/// [`matmul`] that, with `accumulate`, adds the product to what `dst` holds.
///
/// # Safety
/// As [`matmul`].
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul_onto(
    [m, n, k]: [usize; 3],
    dst: *mut f32,
    dst_rs: usize,
    lhs: *const f32,
    [lhs_rs, lhs_cs]: [usize; 2],
    rhs: *const f32,
    [rhs_rs, rhs_cs]: [usize; 2],
    scale: f32,
    accumulate: bool,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        accumulate,
        lhs,
        lhs_cs as isize,
        lhs_rs as isize,
        rhs,
        rhs_cs as isize,
        rhs_rs as isize,
        if accumulate { 1.0 } else { 0.0 },
        scale,
        false,
        false,
        false,
        gemm::Parallelism::None,
    )
}

/// Sizes derived from the qkv shape and the layout.
#[derive(Clone, Copy)]
struct Dims {
    n: usize,
    heads: usize,
    d: usize,
    c: usize,
    windows: usize,
}

impl Dims {
    fn new(qkv_len: usize, c3: usize, layout: AttentionLayout) -> Self {
        let c = c3 / 3;
        assert!(
            c3 == 3 * c && c % layout.heads == 0,
            "window attention: {c3} qkv columns do not split into 3 × heads"
        );
        let rows = qkv_len / c3;
        assert!(
            rows % layout.tokens == 0,
            "window attention: {rows} rows are not whole windows of {}",
            layout.tokens
        );
        Dims {
            n: layout.tokens,
            heads: layout.heads,
            d: c / layout.heads,
            c,
            windows: rows / layout.tokens,
        }
    }
}

/// Forward window attention. `qkv` `[W·N, 3C]`, `bias` `[H·N·N]`, `mask` `[nW·N·N]`.
/// Returns the output `[W·N, C]` and, with `keep_probs`, the probabilities `[W·H·N·N]`.
pub fn window_attention(
    qkv: &[f32],
    c3: usize,
    bias: &[f32],
    mask: Option<&[f32]>,
    layout: AttentionLayout,
    keep_probs: bool,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let Dims {
        n,
        heads,
        d,
        c,
        windows,
    } = Dims::new(qkv.len(), c3, layout);
    let nn = n * n;
    assert_eq!(bias.len(), heads * nn, "window attention: bias length");
    if let Some(mask) = mask {
        assert_eq!(
            mask.len(),
            layout.windows_per_sample * nn,
            "window attention: mask length"
        );
    }
    let mut out = zeroed(windows * n * c);
    let mut probs = if keep_probs {
        zeroed(windows * heads * nn)
    } else {
        Vec::new()
    };
    let (out_ptr, probs_ptr) = (Shared(out.as_mut_ptr()), Shared(probs.as_mut_ptr()));
    (0..windows * heads).into_par_iter().for_each_init(
        || {
            if keep_probs {
                Vec::new()
            } else {
                vec![0.0f32; nn]
            }
        },
        |scratch, task| {
            let (w, h) = (task / heads, task % heads);
            let p: &mut [f32] = if keep_probs {
                // SAFETY: task `task` owns probs[task·N², (task+1)·N²).
                unsafe { std::slice::from_raw_parts_mut(probs_ptr.get().add(task * nn), nn) }
            } else {
                &mut scratch[..]
            };
            let base = w * n * c3 + h * d;
            // SAFETY: q, k, v of window w and head h lie inside qkv; p is this task's.
            unsafe {
                let q = qkv.as_ptr().add(base);
                matmul(
                    [n, n, d],
                    p.as_mut_ptr(),
                    n,
                    q,
                    [c3, 1],
                    q.add(c),
                    [1, c3],
                    layout.scale,
                );
            }
            let bias = &bias[h * nn..][..nn];
            let mask = mask.map(|m| &m[(w % layout.windows_per_sample) * nn..][..nn]);
            for i in 0..n {
                let row = &mut p[i * n..][..n];
                let brow = &bias[i * n..][..n];
                match mask {
                    Some(m) => row
                        .iter_mut()
                        .zip(brow)
                        .zip(&m[i * n..][..n])
                        .for_each(|((x, b), m)| *x += b + m),
                    None => row.iter_mut().zip(brow).for_each(|(x, b)| *x += b),
                }
                let top = max(row);
                row.iter_mut().for_each(|x| *x = exp(*x - top));
                let inv = 1.0 / sum(row);
                row.iter_mut().for_each(|x| *x *= inv);
            }
            // SAFETY: rows w·N.. and columns h·d.. of `out` are written by this task only.
            unsafe {
                let v = qkv.as_ptr().add(base + 2 * c);
                matmul(
                    [n, d, n],
                    out_ptr.get().add(w * n * c + h * d),
                    c,
                    p.as_ptr(),
                    [n, 1],
                    v,
                    [c3, 1],
                    1.0,
                );
            }
        },
    );
    (out, keep_probs.then_some(probs))
}

/// Backward window attention: `(d qkv [W·N, 3C], d bias [H·N·N])` from the saved
/// probabilities `[W·H·N·N]` and the output gradient `grad` `[W·N, C]` (formulas in
/// `composed::window_attention_backward`).
pub fn window_attention_backward(
    qkv: &[f32],
    c3: usize,
    probs: &[f32],
    grad: &[f32],
    layout: AttentionLayout,
) -> (Vec<f32>, Vec<f32>) {
    let Dims {
        n,
        heads,
        d,
        c,
        windows,
    } = Dims::new(qkv.len(), c3, layout);
    let nn = n * n;
    assert_eq!(
        probs.len(),
        windows * heads * nn,
        "window attention backward: probs length"
    );
    assert_eq!(
        grad.len(),
        windows * n * c,
        "window attention backward: grad length"
    );
    let mut dqkv = zeroed(qkv.len());
    let dqkv_ptr = Shared(dqkv.as_mut_ptr());
    let scale = layout.scale;
    let dbias = (0..windows * heads)
        .into_par_iter()
        .fold(
            || (vec![0.0f32; nn], vec![0.0f32; heads * nn]),
            |(mut ds, mut dbias), task| {
                let (w, h) = (task / heads, task % heads);
                let p = &probs[task * nn..][..nn];
                let base = w * n * c3 + h * d;
                // SAFETY: all reads inside qkv / probs / grad; dv, dq, dk of (w, h) are
                // disjoint column blocks of this window's rows, written by this task only.
                unsafe {
                    let v = qkv.as_ptr().add(base + 2 * c);
                    let g = grad.as_ptr().add(w * n * c + h * d);
                    let dq = dqkv_ptr.get().add(base);
                    // dv = pᵀ·g
                    matmul(
                        [n, d, n],
                        dq.add(2 * c),
                        c3,
                        p.as_ptr(),
                        [1, n],
                        g,
                        [c, 1],
                        1.0,
                    );
                    // dp = g·vᵀ
                    matmul([n, n, d], ds.as_mut_ptr(), n, g, [c, 1], v, [1, c3], 1.0);
                }
                for i in 0..n {
                    let (dp, pr) = (&mut ds[i * n..][..n], &p[i * n..][..n]);
                    let row_dot = dot(dp, pr);
                    dp.iter_mut().zip(pr).for_each(|(x, p)| *x = p * (*x - row_dot));
                }
                dbias[h * nn..][..nn]
                    .iter_mut()
                    .zip(&ds)
                    .for_each(|(a, b)| *a += b);
                unsafe {
                    let q = qkv.as_ptr().add(base);
                    let k = q.add(c);
                    let dq = dqkv_ptr.get().add(base);
                    // dq = scale·ds·k, dk = scale·dsᵀ·q
                    matmul([n, d, n], dq, c3, ds.as_ptr(), [n, 1], k, [c3, 1], scale);
                    matmul(
                        [n, d, n],
                        dq.add(c),
                        c3,
                        ds.as_ptr(),
                        [1, n],
                        q,
                        [c3, 1],
                        scale,
                    );
                }
                (ds, dbias)
            },
        )
        .map(|(_, dbias)| dbias)
        .reduce(
            || vec![0.0f32; heads * nn],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    (dqkv, dbias)
}
