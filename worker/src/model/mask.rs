//! The attention mask of shifted windows (docs/model.md#shifted-window-mask): after the cyclic
//! shift, a window can hold tokens from parts of the grid that are not neighbours; logits
//! between tokens of different regions get −100 (not −inf, as the reference).

use burn::tensor::{backend::Backend, Tensor, TensorData};

use super::window::WindowGeometry;

/// Value added to the logits of token pairs from different regions.
pub const MASKED: f32 = -100.0;

/// Region label of every position along one padded axis of length `padded`.
///
/// With shift s > 0 the regions are [0, P−w), [P−w, P−s), [P−s, P). With s = 0 the
/// reference's slices become (0, −w), (−w, −0), (−0, None) and the last, `[0:]`, covers
/// the whole axis and overwrites the others: the axis is ONE region.
fn axis_regions(padded: usize, window: usize, shift: usize) -> Vec<usize> {
    if shift == 0 {
        return vec![2; padded];
    }
    (0..padded)
        .map(|p| if p < padded - window { 0 } else if p < padded - shift { 1 } else { 2 })
        .collect()
}

/// The mask as host data, row-major (nW, N, N): windows and tokens ordered as
/// [`WindowGeometry::partition`]; entry 0 where both tokens share a region, else −100.
pub fn shift_mask(geometry: &WindowGeometry) -> Vec<f32> {
    let [tp, hp, wp] = geometry.padded;
    let [wd, wh, ww] = geometry.window;
    let regions: Vec<Vec<usize>> =
        (0..3).map(|a| axis_regions(geometry.padded[a], geometry.window[a], geometry.shift[a])).collect();
    let label = |t: usize, y: usize, x: usize| (regions[0][t] * 3 + regions[1][y]) * 3 + regions[2][x];
    let n = wd * wh * ww;
    let mut mask = Vec::with_capacity(geometry.windows_per_sample() * n * n);
    for t0 in (0..tp).step_by(wd) {
        for y0 in (0..hp).step_by(wh) {
            for x0 in (0..wp).step_by(ww) {
                let labels: Vec<usize> = (0..n)
                    .map(|i| label(t0 + i / (wh * ww), y0 + (i / ww) % wh, x0 + i % ww))
                    .collect();
                for &li in &labels {
                    mask.extend(labels.iter().map(|&lj| if li == lj { 0.0 } else { MASKED }));
                }
            }
        }
    }
    mask
}

/// The mask as a `[nW, 1, N, N]` device tensor (broadcast over heads).
pub fn shift_mask_tensor<B: Backend>(geometry: &WindowGeometry, device: &B::Device) -> Tensor<B, 4> {
    let n = geometry.tokens_per_window();
    let shape = [geometry.windows_per_sample(), 1, n, n];
    Tensor::from_data(TensorData::new(shift_mask(geometry), shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_with_and_without_shift() {
        assert_eq!(axis_regions(8, 4, 2), vec![0, 0, 0, 0, 1, 1, 2, 2]);
        assert_eq!(axis_regions(8, 4, 0), vec![2; 8]);
    }

    #[test]
    fn mask_of_a_4x4_grid_with_2x2_windows_by_hand() {
        // T=1, 4×4 grid, window (1,2,2), shift (0,1,1). Regions per axis: [0,0,1,2].
        // Windows: (0,0) all region (0,0); (0,1) x-regions 1,2 split columns;
        // (1,0) y-regions 1,2 split rows; (1,1) four distinct labels.
        let g = WindowGeometry::new([1, 4, 4], [1, 2, 2]);
        assert_eq!(g.shift, [0, 1, 1]);
        let m = shift_mask(&g);
        assert_eq!(m.len(), 4 * 16);
        let x = MASKED;
        let w0 = [0.0; 16];
        // tokens 0=(0,0) 1=(0,1) 2=(1,0) 3=(1,1): same label iff same column.
        let w1 = [0., x, 0., x, x, 0., x, 0., 0., x, 0., x, x, 0., x, 0.];
        // same label iff same row.
        let w2 = [0., 0., x, x, 0., 0., x, x, x, x, 0., 0., x, x, 0., 0.];
        // all four tokens differ.
        let w3 = [0., x, x, x, x, 0., x, x, x, x, 0., x, x, x, x, 0.];
        assert_eq!(&m[0..16], &w0);
        assert_eq!(&m[16..32], &w1);
        assert_eq!(&m[32..48], &w2);
        assert_eq!(&m[48..64], &w3);
    }

    #[test]
    fn zero_shift_axis_is_a_single_region() {
        // Shift only along x (the y extent equals the window): windows split columns only.
        let g = WindowGeometry::new([1, 2, 4], [1, 2, 2]);
        assert_eq!(g.shift, [0, 0, 1]);
        let m = shift_mask(&g);
        let x = MASKED;
        assert_eq!(&m[0..16], &[0.0; 16]);
        assert_eq!(&m[16..32], &[0., x, 0., x, x, 0., x, 0., 0., x, 0., x, x, 0., x, 0.]);
    }

    #[test]
    fn temporal_axis_never_splits_the_mask() {
        // T = 5 frames, the temporal window: the 2-D pattern is replicated over frames.
        let g = WindowGeometry::new([5, 8, 8], [5, 4, 4]);
        let m = shift_mask(&g);
        let n = 80;
        let last = &m[3 * n * n..4 * n * n];
        // Token (t=0,y=0,x=0) and (t=4,y=0,x=0) share a region; (0,0,0) and (4,3,3) do not.
        assert_eq!(last[4 * 16], 0.0);
        assert_eq!(last[4 * 16 + 15], MASKED);
        let masked = m.iter().filter(|&&v| v == MASKED).count();
        let kept = m.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(masked + kept, m.len());
        // Per window of the 2×2 window grid, labels are uniform except the last row/column.
        // Window 3 (bottom-right) has 4 quadrants of 2×2×5 = 20 tokens: 4·20² kept pairs.
        assert_eq!(last.iter().filter(|&&v| v == 0.0).count(), 4 * 20 * 20);
    }
}
