//! Attention-window geometry (effective window, shift, padding) and the window
//! partition / reverse reshapes (docs/model.md#windows).
//!
//! The temporal window always equals the number of frames T = NL+2 (the configured
//! temporal window is NL+2 and an extent ≤ the window clips it to the extent), so windows
//! never split the time axis and the temporal shift is always 0. Partition therefore only
//! tiles the two spatial axes, which keeps every reshape at ≤ 6 dims (faster on Flex,
//! docs/stack.md#layout-rules-for-flex).

use burn::tensor::{backend::Backend, Tensor};
use super::fused;

/// Where the attention windows of one stage lie on a (T, H, W) token grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowGeometry {
    /// The configured window (NL+2, W, W): the relative-position table is sized for it.
    pub configured: [usize; 3],
    /// Unpadded token grid (T, H, W).
    pub extent: [usize; 3],
    /// Effective window: the configured one, clipped to the extent where the extent is
    /// smaller or equal (Video Swin's `get_window_size`).
    pub window: [usize; 3],
    /// Cyclic shift of the shifted blocks: window/2 of the *configured* window, zeroed
    /// along every axis whose extent is ≤ the configured window.
    pub shift: [usize; 3],
    /// Grid zero-padded at the end of each axis to a multiple of the effective window.
    pub padded: [usize; 3],
}

impl WindowGeometry {
    /// Geometry for a (T, H, W) token grid and the configured window.
    pub fn new(extent: [usize; 3], configured: [usize; 3]) -> Self {
        let mut window = configured;
        let mut shift = configured.map(|w| w / 2);
        for axis in 0..3 {
            if extent[axis] <= configured[axis] {
                window[axis] = extent[axis];
                shift[axis] = 0;
            }
        }
        let padded = [0, 1, 2].map(|a| extent[a].div_ceil(window[a]) * window[a]);
        Self { configured, extent, window, shift, padded }
    }

    /// Tokens per window, N = wD·wH·wW.
    pub fn tokens_per_window(&self) -> usize {
        self.window.iter().product()
    }

    /// Windows per sample, nW.
    pub fn windows_per_sample(&self) -> usize {
        (0..3).map(|a| self.padded[a] / self.window[a]).product()
    }

    /// Whether the shifted blocks actually shift (and therefore need the mask).
    pub fn has_shift(&self) -> bool {
        self.shift.iter().any(|&s| s > 0)
    }

    /// Zero padding added at the end of H and W.
    pub fn spatial_padding(&self) -> [usize; 2] {
        [self.padded[1] - self.extent[1], self.padded[2] - self.extent[2]]
    }

    /// Partitions a padded (B, T, Hp, Wp, C) grid into windows, as 2-D tokens
    /// `[B·nW·N, C]`: windows batch-outermost then row-major over (h, w); tokens inside a
    /// window row-major over (t, y, x).
    pub fn partition<B: Backend>(&self, x: Tensor<B, 5>) -> Tensor<B, 2> {
        let [b, t, hp, wp, c] = x.dims();
        let [_, wh, ww] = self.window;
        debug_assert_eq!([t, hp, wp], self.padded, "partition: grid does not match geometry");
        fused::permuted(x.reshape([b, t, hp / wh, wh, wp / ww, ww * c]), [0, 2, 4, 1, 3, 5])
            .reshape([b * (hp / wh) * (wp / ww) * t * wh * ww, c])
    }

    /// Inverse of [`partition`](Self::partition): `[B·nW·N, C]` → (B, T, Hp, Wp, C).
    pub fn reverse<B: Backend>(&self, windows: Tensor<B, 2>, batch: usize) -> Tensor<B, 5> {
        let [_, c] = windows.dims();
        let [t, hp, wp] = self.padded;
        let [_, wh, ww] = self.window;
        fused::permuted(windows.reshape([batch, hp / wh, wp / ww, t, wh, ww * c]), [0, 3, 1, 4, 2, 5])
            .reshape([batch, t, hp, wp, c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    #[test]
    fn geometry_of_the_reference_cases() {
        // Baseline on a 24×24 crop: (5,8,8), shift (0,4,4), 9 windows of 320 tokens.
        let g = WindowGeometry::new([5, 24, 24], [5, 8, 8]);
        assert_eq!((g.window, g.shift, g.padded), ([5, 8, 8], [0, 4, 4], [5, 24, 24]));
        assert_eq!((g.windows_per_sample(), g.tokens_per_window()), (9, 320));
        // Final model: (5,4,4), shift (0,2,2), 36 windows of 80 tokens.
        let g = WindowGeometry::new([5, 24, 24], [5, 4, 4]);
        assert_eq!((g.shift, g.windows_per_sample(), g.tokens_per_window()), ([0, 2, 2], 36, 80));
        // Full frame 100×256 with an 8×8 window: padded to 104, 13·32 = 416 windows.
        let g = WindowGeometry::new([5, 100, 256], [5, 8, 8]);
        assert_eq!((g.padded, g.windows_per_sample()), ([5, 104, 256], 416));
        assert_eq!(g.spatial_padding(), [4, 0]);
        // 4×4 window on the same frame: 25·64 = 1600 windows of 80 tokens, no padding.
        let g = WindowGeometry::new([5, 100, 256], [5, 4, 4]);
        assert_eq!((g.padded, g.windows_per_sample()), ([5, 100, 256], 1600));
        // An extent ≤ the window clips the window and cancels that axis's shift.
        let g = WindowGeometry::new([5, 6, 24], [5, 8, 8]);
        assert_eq!((g.window, g.shift, g.padded), ([5, 6, 8], [0, 0, 4], [5, 6, 24]));
        assert!(g.has_shift());
        assert!(!WindowGeometry::new([5, 8, 8], [5, 8, 8]).has_shift());
    }

    #[test]
    fn partition_orders_windows_and_tokens_as_the_reference() {
        // B=1, T=2, H=2, W=4, C=1 with values = linear index t·8 + y·4 + x; window (2,2,2).
        let device = Default::default();
        let values: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let x = Tensor::<Flex, 5>::from_data(TensorData::new(values, [1, 2, 2, 4, 1]), &device);
        let g = WindowGeometry::new([2, 2, 4], [2, 2, 2]);
        assert_eq!(g.windows_per_sample(), 2);
        let windows = g.partition(x.clone());
        // Window 0 covers x∈{0,1}, window 1 covers x∈{2,3}; inside, (t, y, x) row-major.
        let expected = [0., 1., 4., 5., 8., 9., 12., 13., 2., 3., 6., 7., 10., 11., 14., 15.];
        assert_eq!(windows.clone().into_data().to_vec::<f32>().unwrap(), expected);
        let back = g.reverse(windows, 1);
        assert_eq!(back.into_data(), x.into_data());
    }

    #[test]
    fn partition_reverse_round_trip_with_batch_and_channels() {
        let device = Default::default();
        let dims = [2, 5, 8, 12, 3];
        let n: usize = dims.iter().product();
        let values: Vec<f32> = (0..n).map(|v| v as f32).collect();
        let x = Tensor::<Flex, 5>::from_data(TensorData::new(values, dims), &device);
        let g = WindowGeometry::new([5, 8, 12], [5, 4, 4]);
        let windows = g.partition(x.clone());
        assert_eq!(windows.dims(), [2 * 6 * 80, 3]);
        // Second window of sample 0 starts at (t=0, y=0, x=4): index 4·3 = 12 → channel 0 = 12.
        let second: Vec<f32> = windows.clone().slice([80..81, 0..3]).into_data().to_vec().unwrap();
        assert_eq!(second, vec![12.0, 13.0, 14.0]);
        assert_eq!(g.reverse(windows, 2).into_data(), x.into_data());
    }
}
