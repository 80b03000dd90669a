//! Conversion of model outputs to the 8-bit images every metric compares (docs/definitions.md#8-bit-grey-levels):
//! clamp to [0, 1], ×255, round half to even.

/// 8-bit grey levels of `values` (NaN becomes 0).
pub fn to_grey_levels(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round_ties_even() as u8)
        .collect()
}
