//! The learnable relative position bias of window attention (docs/model.md#relative-position-bias):
//! a table with one row per 3-D offset between two tokens of a window and one column per
//! head, looked up through a fixed N×N index.

use burn::module::{Initializer, Module, Param};
use burn::tensor::{backend::Backend, Int, Tensor, TensorData};

/// Relative position index for a configured window (wD, wH, wW), row-major N×N with
/// N = wD·wH·wW, sliced to the top-left `tokens`×`tokens` block.
///
/// For tokens i, j with coordinates (t, y, x) (row-major inside the window) and
/// Δ = coordᵢ − coordⱼ: index = (Δt+wD−1)(2wH−1)(2wW−1) + (Δy+wH−1)(2wW−1) + (Δx+wW−1).
/// The slice reproduces the reference's `[:N, :N]` when an input axis is smaller than the
/// window (the biases then no longer match the true offsets; a reference quirk kept for
/// fidelity).
pub fn relative_position_index(configured: [usize; 3], tokens: usize) -> Vec<usize> {
    let [wd, wh, ww] = configured;
    let full = wd * wh * ww;
    assert!(tokens <= full, "relative_position_index: {tokens} tokens > window size {full}");
    let coord = |i: usize| [i / (wh * ww), (i / ww) % wh, i % ww];
    let mut index = Vec::with_capacity(tokens * tokens);
    for i in 0..tokens {
        let a = coord(i);
        for j in 0..tokens {
            let b = coord(j);
            let dt = a[0] + wd - 1 - b[0];
            let dy = a[1] + wh - 1 - b[1];
            let dx = a[2] + ww - 1 - b[2];
            index.push((dt * (2 * wh - 1) + dy) * (2 * ww - 1) + dx);
        }
    }
    index
}

/// Number of distinct relative offsets in a window: (2wD−1)(2wH−1)(2wW−1).
pub fn table_rows(configured: [usize; 3]) -> usize {
    configured.iter().map(|w| 2 * w - 1).product()
}

/// The index as a device tensor, ready for [`RelativePositionBias::forward`].
pub fn index_tensor<B: Backend>(index: &[usize], device: &B::Device) -> Tensor<B, 1, Int> {
    let values: Vec<i64> = index.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(values, [index.len()]), device)
}

/// Learnable bias table, shape (table rows, heads), initialised N(0, 0.02²).
///
/// The reference uses timm's `trunc_normal_(std=0.02)`, whose default bounds are the
/// absolute values ±2, i.e. ±100σ: the truncation never triggers, so a plain normal draw
/// has the same distribution.
#[derive(Module, Debug)]
pub struct RelativePositionBias<B: Backend> {
    /// (2wD−1)(2wH−1)(2wW−1) × heads.
    pub table: Param<Tensor<B, 2>>,
}

impl<B: Backend> RelativePositionBias<B> {
    /// A freshly initialised table for the configured window.
    pub fn new(configured: [usize; 3], heads: usize, device: &B::Device) -> Self {
        let table = Initializer::Normal { mean: 0.0, std: 0.02 }.init([table_rows(configured), heads], device);
        Self { table }
    }

    /// Bias per head and token pair, flattened as `[1, heads·N·N]` (head-major) so that it
    /// adds to attention logits reshaped to `[windows, heads·N·N]` as one shared row
    /// (Flex's fast broadcast path).
    ///
    /// `index`: the `[N·N]` output of [`index_tensor`].
    pub fn forward(&self, index: Tensor<B, 1, Int>) -> Tensor<B, 2> {
        let [pairs] = index.dims();
        let [_, heads] = self.table.dims();
        self.table.val().select(0, index).swap_dims(0, 1).reshape([1, heads * pairs])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;

    #[test]
    fn index_of_a_1x2x2_window_by_hand() {
        // Tokens (y, x): 0=(0,0) 1=(0,1) 2=(1,0) 3=(1,1); rows (2·1−1)=1, 3, 3 → index = (Δy+1)·3 + (Δx+1).
        let expected = vec![
            4, 3, 1, 0, //
            5, 4, 2, 1, //
            7, 6, 4, 3, //
            8, 7, 5, 4, //
        ];
        assert_eq!(relative_position_index([1, 2, 2], 4), expected);
        assert_eq!(table_rows([1, 2, 2]), 9);
    }

    #[test]
    fn index_of_a_2x2x2_window_by_hand() {
        // 3·3·3 = 27 offsets; index = (Δt+1)·9 + (Δy+1)·3 + (Δx+1); zero offset → 13.
        let index = relative_position_index([2, 2, 2], 8);
        assert_eq!(table_rows([2, 2, 2]), 27);
        for i in 0..8 {
            assert_eq!(index[i * 8 + i], 13);
        }
        // token 7 = (1,1,1) vs token 0 = (0,0,0): Δ = (1,1,1) → 26; the reverse → 0.
        assert_eq!(index[7 * 8], 26);
        assert_eq!(index[7], 0);
        // token 4 = (1,0,0) vs token 3 = (0,1,1): Δ = (1,−1,−1) → 2·9 + 0 + 0 = 18.
        assert_eq!(index[4 * 8 + 3], 18);
    }

    #[test]
    fn sliced_index_is_the_top_left_block_of_the_full_one() {
        let full = relative_position_index([5, 8, 8], 320);
        let sliced = relative_position_index([5, 8, 8], 240);
        for i in 0..240 {
            assert_eq!(&sliced[i * 240..(i + 1) * 240], &full[i * 320..i * 320 + 240]);
        }
        assert_eq!(*full.iter().max().unwrap(), table_rows([5, 8, 8]) - 1);
    }

    #[test]
    fn bias_lookup_is_head_major() {
        let device = Default::default();
        let mut bias = RelativePositionBias::<Flex>::new([1, 2, 2], 2, &device);
        // table[r, h] = 10·h + r.
        let values: Vec<f32> = (0..9).flat_map(|r| [r as f32, 10.0 + r as f32]).collect();
        bias.table = Param::from_data(TensorData::new(values, [9, 2]), &device);
        let index = relative_position_index([1, 2, 2], 4);
        let out: Vec<f32> = bias.forward(index_tensor(&index, &device)).into_data().to_vec().unwrap();
        assert_eq!(out.len(), 32);
        for (k, &i) in index.iter().enumerate() {
            assert_eq!(out[k], i as f32);
            assert_eq!(out[16 + k], 10.0 + i as f32);
        }
    }
}
