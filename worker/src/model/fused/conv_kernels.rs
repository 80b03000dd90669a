//! 3×3, stride-1, zero-padding-1 ("same") convolution on contiguous NCHW f32 slices: the
//! CPU kernels behind `Flex`'s [`FusedOps::conv3x3`](super::FusedOps::conv3x3).
//!
//! - **Forward**: each image's output pixels are cut into tiles of `T` pixels; per tile the
//!   9·C_in input values every pixel sees are gathered into a column buffer `[9·C_in, T]`
//!   (im2col of that tile only, one reusable buffer per rayon task, a few hundred KiB) and
//!   one `gemm` writes `out[C_out, T] = W[C_out, 9·C_in]·col (+ bias)` straight into the
//!   output. Tasks are (image, tile) pairs.
//! - **Input gradient**: with stride 1 and padding 1 the gradient of the input is the same
//!   convolution of the output gradient with the kernel flipped in both spatial axes and
//!   its in/out channels swapped (`dx[ci, q] = Σ w[co, ci, 2−ky, 2−kx]·g[co, q + (ky−1, kx−1)]`),
//!   so it reuses the forward: no scatter (col2im), no write races.
//! - **Weight and bias gradients**: per tile `dW += g[C_out, T]·colᵀ` and `db += Σ_T g`,
//!   summed in per-task buffers and reduced at the end.

use rayon::prelude::*;

use super::kernels::{matmul_onto, zeroed, Shared};

/// Sizes of one convolution: input `[batch, c_in, h, w]`, weight `[c_out, c_in, 3, 3]`,
/// output `[batch, c_out, h, w]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub h: usize,
    pub w: usize,
}

impl ConvShape {
    fn pixels(&self) -> usize {
        self.h * self.w
    }

    /// Rows of the im2col buffer: 9 taps per input channel.
    fn taps(&self) -> usize {
        9 * self.c_in
    }

    /// Pixels per tile: the column buffer holds about [`COLUMN_ELEMENTS`] floats, at least
    /// 64 pixels (so each gemm has a useful width), at most the whole image.
    fn tile(&self) -> usize {
        (COLUMN_ELEMENTS / self.taps()).max(64).min(self.pixels()).max(1)
    }

    fn tiles(&self) -> usize {
        self.pixels().div_ceil(self.tile())
    }

    /// The same shape with input and output channels swapped (the input gradient's conv).
    fn transposed(self) -> Self {
        Self { c_in: self.c_out, c_out: self.c_in, ..self }
    }
}

/// Target size of one tile's column buffer, in floats (256 KiB: stays in L2 beside the
/// weights while the gemm reads it).
const COLUMN_ELEMENTS: usize = 1 << 16;

/// Gathers pixels `p0 .. p0 + t` of one image (`[c_in, h, w]`) into `col` `[9·c_in, t]`:
/// row `ci·9 + ky·3 + kx`, column `i` holds `x[ci, y + ky − 1, x + kx − 1]` for pixel
/// `p0 + i = (y, x)`, zero outside the image.
fn im2col(image: &[f32], s: ConvShape, p0: usize, t: usize, col: &mut [f32]) {
    let (h, w) = (s.h, s.w);
    for ci in 0..s.c_in {
        let plane = &image[ci * h * w..(ci + 1) * h * w];
        for ky in 0..3 {
            for kx in 0..3 {
                let row = &mut col[(ci * 9 + ky * 3 + kx) * t..][..t];
                let mut p = p0;
                while p < p0 + t {
                    let (y, x0) = (p / w, p % w);
                    let x1 = w.min(x0 + (p0 + t - p));
                    let segment = &mut row[p - p0..p - p0 + (x1 - x0)];
                    let sy = (y + ky).checked_sub(1).filter(|&sy| sy < h);
                    match sy {
                        None => segment.fill(0.0),
                        Some(sy) => {
                            // Output x reads input x + kx − 1: valid for 1 − kx ≤ x < w + 1 − kx.
                            let lo = x0.max(usize::from(kx == 0));
                            let hi = x1.min(w + 1 - kx).max(lo);
                            let source = &plane[sy * w..(sy + 1) * w];
                            segment[..lo - x0].fill(0.0);
                            segment[lo - x0..hi - x0]
                                .copy_from_slice(&source[lo + kx - 1..hi + kx - 1]);
                            segment[hi - x0..].fill(0.0);
                        }
                    }
                    p += x1 - x0;
                }
            }
        }
    }
}

/// Forward convolution: `x` `[batch, c_in, h, w]`, `weight` `[c_out, c_in, 3, 3]`,
/// `bias` `[c_out]` → `[batch, c_out, h, w]`.
pub fn conv3x3(x: &[f32], weight: &[f32], bias: Option<&[f32]>, s: ConvShape) -> Vec<f32> {
    let (pixels, taps, tile, tiles) = (s.pixels(), s.taps(), s.tile(), s.tiles());
    assert_eq!(x.len(), s.batch * s.c_in * pixels, "conv3x3: input size");
    assert_eq!(weight.len(), s.c_out * taps, "conv3x3: weight size");
    let mut out = zeroed(s.batch * s.c_out * pixels);
    let dst = Shared::new(&mut out);
    (0..s.batch * tiles).into_par_iter().for_each_init(
        || vec![0.0f32; taps * tile],
        |col, task| {
            let (n, p0) = (task / tiles, (task % tiles) * tile);
            let t = tile.min(pixels - p0);
            im2col(&x[n * s.c_in * pixels..][..s.c_in * pixels], s, p0, t, &mut col[..taps * t]);
            // SAFETY: task (n, tile) writes only columns p0..p0+t of image n's c_out rows.
            unsafe {
                let out = dst.get().add(n * s.c_out * pixels + p0);
                if let Some(bias) = bias {
                    for (co, &b) in bias.iter().enumerate() {
                        std::slice::from_raw_parts_mut(out.add(co * pixels), t).fill(b);
                    }
                }
                matmul_onto(
                    [s.c_out, t, taps],
                    out,
                    pixels,
                    weight.as_ptr(),
                    [taps, 1],
                    col.as_ptr(),
                    [t, 1],
                    1.0,
                    bias.is_some(),
                );
            }
        },
    );
    out
}

/// Gradient of the input: the convolution of `grad` `[batch, c_out, h, w]` with the kernel
/// flipped in both spatial axes and its channels swapped.
pub fn conv3x3_input_grad(grad: &[f32], weight: &[f32], s: ConvShape) -> Vec<f32> {
    let mut flipped = vec![0.0f32; weight.len()];
    for co in 0..s.c_out {
        for ci in 0..s.c_in {
            for tap in 0..9 {
                flipped[(ci * s.c_out + co) * 9 + (8 - tap)] = weight[(co * s.c_in + ci) * 9 + tap];
            }
        }
    }
    conv3x3(grad, &flipped, None, s.transposed())
}

/// Gradients of the weight `[c_out, c_in, 3, 3]` and the bias `[c_out]`.
pub fn conv3x3_param_grads(x: &[f32], grad: &[f32], s: ConvShape) -> (Vec<f32>, Vec<f32>) {
    let (pixels, taps, tile, tiles) = (s.pixels(), s.taps(), s.tile(), s.tiles());
    assert_eq!(grad.len(), s.batch * s.c_out * pixels, "conv3x3: output gradient size");
    let zeros = || (vec![0.0f32; s.c_out * taps], vec![0.0f32; s.c_out]);
    (0..s.batch * tiles)
        .into_par_iter()
        .fold(
            || (zeros(), vec![0.0f32; taps * tile]),
            |((mut dw, mut db), mut col), task| {
                let (n, p0) = (task / tiles, (task % tiles) * tile);
                let t = tile.min(pixels - p0);
                im2col(&x[n * s.c_in * pixels..][..s.c_in * pixels], s, p0, t, &mut col[..taps * t]);
                let g = &grad[n * s.c_out * pixels + p0..];
                for (co, d) in db.iter_mut().enumerate() {
                    *d += g[co * pixels..co * pixels + t].iter().sum::<f32>();
                }
                // SAFETY: dw is this task's own buffer; g's rows and col's transpose are in bounds.
                unsafe {
                    matmul_onto(
                        [s.c_out, taps, t],
                        dw.as_mut_ptr(),
                        taps,
                        g.as_ptr(),
                        [pixels, 1],
                        col.as_ptr(),
                        [1, t],
                        1.0,
                        true,
                    );
                }
                ((dw, db), col)
            },
        )
        .map(|(sums, _)| sums)
        .reduce(zeros, |(mut dw, mut db), (dw2, db2)| {
            dw.iter_mut().zip(&dw2).for_each(|(a, b)| *a += b);
            db.iter_mut().zip(&db2).for_each(|(a, b)| *a += b);
            (dw, db)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct definition: out[n, co, y, x] = b[co] + Σ w[co, ci, ky, kx]·x[n, ci, y+ky−1, x+kx−1].
    fn direct(x: &[f32], w: &[f32], b: &[f32], s: ConvShape) -> Vec<f32> {
        let mut out = vec![0.0f32; s.batch * s.c_out * s.h * s.w];
        for n in 0..s.batch {
            for co in 0..s.c_out {
                for y in 0..s.h {
                    for xx in 0..s.w {
                        let mut acc = f64::from(b[co]);
                        for ci in 0..s.c_in {
                            for ky in 0..3 {
                                for kx in 0..3 {
                                    let (sy, sx) = (y as isize + ky as isize - 1, xx as isize + kx as isize - 1);
                                    if sy < 0 || sx < 0 || sy >= s.h as isize || sx >= s.w as isize {
                                        continue;
                                    }
                                    let xv = x[((n * s.c_in + ci) * s.h + sy as usize) * s.w + sx as usize];
                                    acc += f64::from(w[((co * s.c_in + ci) * 3 + ky) * 3 + kx]) * f64::from(xv);
                                }
                            }
                        }
                        out[((n * s.c_out + co) * s.h + y) * s.w + xx] = acc as f32;
                    }
                }
            }
        }
        out
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len).map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0).collect()
    }

    #[test]
    fn forward_equals_the_direct_sum_on_odd_sizes_and_multi_tile_images() {
        // 1×1 (every tap outside but the centre), 1-wide, odd, and an image of several tiles
        // whose tiles start mid-row (taps 9·70 = 630 → 104-pixel tiles on 37×23).
        for s in [
            ConvShape { batch: 1, c_in: 1, c_out: 2, h: 1, w: 1 },
            ConvShape { batch: 2, c_in: 3, c_out: 4, h: 5, w: 1 },
            ConvShape { batch: 2, c_in: 2, c_out: 3, h: 7, w: 5 },
            ConvShape { batch: 1, c_in: 70, c_out: 5, h: 37, w: 23 },
        ] {
            let x = values(s.batch * s.c_in * s.h * s.w, 1);
            let w = values(s.c_out * s.c_in * 9, 2);
            let b = values(s.c_out, 3);
            let expected = direct(&x, &w, &b, s);
            let got = conv3x3(&x, &w, Some(&b), s);
            let max = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (g, e) in got.iter().zip(&expected) {
                assert!((g - e).abs() <= 1e-5 * max.max(1.0), "{s:?}: {g} vs {e}");
            }
        }
    }
}
