//! Summary statistics over repeats and ranks. Empty inputs give `None` rather than NaN so
//! that a missing measurement shows as an empty cell, never as a made-up number.

/// Arithmetic mean.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Median (mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    })
}

/// Median and range of repeated measurements: what the scaling table reports per GPU count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Self> {
        let median = median(values)?;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Self {
            n: values.len(),
            median,
            min,
            max,
        })
    }
}

/// Percentile `p` (0–100) with linear interpolation between order statistics (numpy's
/// default, "type 7"): rank p/100·(n−1) in the sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = p / 100.0 * (n - 1) as f64;
    let (lo, frac) = (rank.floor() as usize, rank - rank.floor());
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

/// What a box plot draws of one sample (Tukey): quartiles, whiskers to the most extreme
/// values within 1.5 interquartile ranges of the box, and the values beyond as outliers.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    pub n: usize,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub whisker_lo: f64,
    pub whisker_hi: f64,
    pub outliers: Vec<f64>,
}

impl BoxStats {
    /// `None` for an empty sample; NaNs are left out.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let (q1, median, q3) = (
            percentile(&sorted, 25.0)?,
            percentile(&sorted, 50.0)?,
            percentile(&sorted, 75.0)?,
        );
        let reach = 1.5 * (q3 - q1);
        let inside = |v: &&f64| **v >= q1 - reach && **v <= q3 + reach;
        Some(Self {
            n: sorted.len(),
            q1,
            median,
            q3,
            whisker_lo: sorted.iter().find(inside).copied().unwrap_or(q1),
            whisker_hi: sorted.iter().rev().find(inside).copied().unwrap_or(q3),
            outliers: sorted.iter().filter(|v| !inside(v)).copied().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_numpy_does() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 90]) = [1.75, 2.5, 3.7].
        let v = [1.0, 2.0, 3.0, 4.0];
        for (p, want) in [(25.0, 1.75), (50.0, 2.5), (90.0, 3.7), (0.0, 1.0), (100.0, 4.0)] {
            assert!((percentile(&v, p).unwrap() - want).abs() < 1e-12, "{p}");
        }
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn box_whiskers_stop_at_one_and_a_half_iqr_and_the_rest_are_outliers() {
        // Quartiles of 1, 2, 3, 4, 100: 2, 3, 4; IQR 2, fences −1 and 7 (by hand).
        let b = BoxStats::of(&[100.0, 3.0, 1.0, 4.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((b.n, b.q1, b.median, b.q3), (5, 2.0, 3.0, 4.0));
        assert_eq!((b.whisker_lo, b.whisker_hi), (1.0, 4.0));
        assert_eq!(b.outliers, vec![100.0]);
        assert_eq!(BoxStats::of(&[f64::NAN]), None);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn mean_and_spread() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
        let s = Spread::of(&[115.0, 108.0, 110.0]).unwrap();
        assert_eq!(
            s,
            Spread {
                n: 3,
                median: 110.0,
                min: 108.0,
                max: 115.0
            }
        );
    }
}
