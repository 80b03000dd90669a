//! Axis permutation into a new contiguous buffer, on rayon's pool: the kernel behind
//! `Flex`'s [`FusedOps::permuted`](super::FusedOps::permuted).
//!
//! burn permutes lazily (a strided view) and copies when the next op needs contiguous data;
//! Flex does that copy on the calling thread, one strided element at a time, so in a
//! two-thread training step the window partition/reverse and the layout changes around the
//! convolutions ran serially while the pool waited (a quarter of the small configuration's
//! CPU time). Here output rows (all axes but the last) are split over tasks; inside a row
//! the copy is a `copy_from_slice` when the last axis keeps its place, a strided gather
//! otherwise.

use rayon::prelude::*;

use super::kernels::zeroed;

/// Output elements per rayon task.
const TASK_ELEMENTS: usize = 1 << 15;

/// Row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    strides
}

/// `x` (row-major, shape `dims`) with its axes permuted: output axis `i` is input axis
/// `axes[i]`. Returns the output in row-major order (shape `dims[axes[i]]`).
pub fn permuted(x: &[f32], dims: &[usize], axes: &[usize]) -> Vec<f32> {
    let rank = dims.len();
    assert_eq!(axes.len(), rank, "permute: {} axes for a rank-{rank} tensor", axes.len());
    let mut seen = vec![false; rank];
    for &a in axes {
        assert!(a < rank && !std::mem::replace(&mut seen[a], true), "permute: axes {axes:?} are not a permutation");
    }
    assert_eq!(x.len(), dims.iter().product::<usize>(), "permute: {} values for shape {dims:?}", x.len());
    let mut out = zeroed(x.len());
    if x.is_empty() {
        return out;
    }
    let in_strides = strides(dims);
    let out_dims: Vec<usize> = axes.iter().map(|&a| dims[a]).collect();
    // Input stride of each output axis.
    let step: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    let inner = out_dims[rank - 1];
    let inner_step = step[rank - 1];
    let rows_per_task = (TASK_ELEMENTS / inner).max(1);
    out.par_chunks_mut(rows_per_task * inner).enumerate().for_each(|(task, chunk)| {
        let first_row = task * rows_per_task;
        for (r, row) in chunk.chunks_exact_mut(inner).enumerate() {
            // Input offset of the row's first element: decompose the row index over the
            // output's outer axes.
            let (mut index, mut offset) = (first_row + r, 0);
            for axis in (0..rank - 1).rev() {
                offset += (index % out_dims[axis]) * step[axis];
                index /= out_dims[axis];
            }
            if inner_step == 1 {
                row.copy_from_slice(&x[offset..offset + inner]);
            } else {
                for (i, v) in row.iter_mut().enumerate() {
                    *v = x[offset + i * inner_step];
                }
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutes_like_the_index_definition() {
        // out[i0, i1, i2, i3] = x[in index with axis axes[k] = i_k], checked element by element.
        let dims = [2, 3, 4, 5];
        let x: Vec<f32> = (0..120).map(|v| v as f32).collect();
        for axes in [[0, 1, 2, 3], [0, 3, 1, 2], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3]] {
            let out = permuted(&x, &dims, &axes);
            let od: Vec<usize> = axes.iter().map(|&a| dims[a]).collect();
            let mut k = 0;
            for a in 0..od[0] {
                for b in 0..od[1] {
                    for c in 0..od[2] {
                        for d in 0..od[3] {
                            let mut idx = [0; 4];
                            for (pos, v) in [a, b, c, d].into_iter().enumerate() {
                                idx[axes[pos]] = v;
                            }
                            let flat = ((idx[0] * 3 + idx[1]) * 4 + idx[2]) * 5 + idx[3];
                            assert_eq!(out[k], flat as f32, "axes {axes:?} at {k}");
                            k += 1;
                        }
                    }
                }
            }
        }
    }
}
