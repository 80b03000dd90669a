//! Axes in "coordinate space": a log axis is drawn as a linear axis over log10(v) with
//! tick labels mapped back. That gives one chart type for every plot and full control
//! over tick positions (GPU counts 4, 8, …, 256; categorical axis values).

use crate::table::format_significant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    Log,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Quantity and unit, e.g. "training wall time (s)".
    pub label: String,
    pub scale: Scale,
    /// Explicit ticks (data value, label); automatic when `None`.
    pub ticks: Option<Vec<(f64, String)>>,
    /// Explicit data range; from the data (padded) when `None`.
    pub range: Option<(f64, f64)>,
    /// Linear axes only: stretch the automatic range to include zero.
    pub include_zero: bool,
}

/// An axis resolved against its data: range, tick positions and labels in coordinate space.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<(f64, String)>,
}

impl Resolved {
    /// Label of the tick at coordinate `c` (plotters asks by value).
    pub fn label_at(&self, c: f64) -> String {
        let tol = 1e-9 * (self.hi - self.lo).abs().max(1e-12);
        self.ticks
            .iter()
            .find(|(t, _)| (t - c).abs() <= tol)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }

    pub fn key_points(&self) -> Vec<f64> {
        self.ticks.iter().map(|(t, _)| *t).collect()
    }
}

impl Axis {
    pub fn linear(label: &str) -> Self {
        Self {
            label: label.into(),
            scale: Scale::Linear,
            ticks: None,
            range: None,
            include_zero: false,
        }
    }

    pub fn log(label: &str) -> Self {
        Self {
            scale: Scale::Log,
            ..Self::linear(label)
        }
    }

    /// Evenly spaced categories at 0, 1, …, n−1.
    pub fn categories(label: &str, names: &[String]) -> Self {
        let ticks = names
            .iter()
            .enumerate()
            .map(|(i, n)| (i as f64, n.clone()))
            .collect();
        Self {
            ticks: Some(ticks),
            range: Some((-0.5, names.len() as f64 - 0.5)),
            ..Self::linear(label)
        }
    }

    /// Ticks at the given data values, labelled with their numbers (e.g. GPU counts).
    pub fn with_value_ticks(mut self, values: &[f64]) -> Self {
        self.ticks = Some(values.iter().map(|&v| (v, tick_label(v))).collect());
        self
    }

    pub fn from_zero(mut self) -> Self {
        self.include_zero = true;
        self
    }

    /// Data value → coordinate; `None` for values a log axis cannot show.
    pub fn to_coord(&self, v: f64) -> Option<f64> {
        match self.scale {
            Scale::Linear if v.is_finite() => Some(v),
            Scale::Log if v.is_finite() && v > 0.0 => Some(v.log10()),
            _ => None,
        }
    }

    /// Range and ticks covering `data` (data values; unusable ones are skipped).
    pub fn resolve(&self, data: impl IntoIterator<Item = f64>) -> Resolved {
        let coords: Vec<f64> = data.into_iter().filter_map(|v| self.to_coord(v)).collect();
        let (lo, hi) = match self.range {
            Some((a, b)) => (
                self.to_coord(a).unwrap_or(0.0),
                self.to_coord(b).unwrap_or(1.0),
            ),
            None => self.padded(&coords),
        };
        let ticks = match &self.ticks {
            Some(t) => t
                .iter()
                .filter_map(|(v, l)| self.to_coord(*v).map(|c| (c, l.clone())))
                .filter(|(c, _)| *c >= lo - 1e-12 && *c <= hi + 1e-12)
                .collect(),
            None => match self.scale {
                Scale::Linear => linear_ticks(lo, hi),
                Scale::Log => log_ticks(lo, hi),
            },
        };
        Resolved { lo, hi, ticks }
    }

    fn padded(&self, coords: &[f64]) -> (f64, f64) {
        let mut lo = coords.iter().copied().fold(f64::INFINITY, f64::min);
        let mut hi = coords.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        if self.include_zero && self.scale == Scale::Linear {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        let span = hi - lo;
        let pad = if span > 0.0 {
            0.06 * span
        } else {
            0.1 * lo
                .abs()
                .max(if self.scale == Scale::Log { 1.0 } else { 1e-9 })
        };
        let lo_pad = if self.include_zero && lo == 0.0 {
            0.0
        } else {
            pad
        };
        (lo - lo_pad, hi + pad)
    }
}

/// Three significant digits without trailing zeros ("0.6", not "0.6000").
pub fn tick_label(v: f64) -> String {
    let text = format_significant(v, 3);
    if text.contains('.') && !text.contains('e') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// 1-2-5 steps giving about six ticks.
fn linear_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let raw = (hi - lo) / 6.0;
    if raw <= 0.0 || !raw.is_finite() {
        return vec![(lo, tick_label(lo))];
    }
    let decade = 10f64.powf(raw.log10().floor());
    // The 1-2-5 step whose tick count is nearest six.
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .min_by(|a, b| {
            ((hi - lo) / a - 6.0)
                .abs()
                .total_cmp(&((hi - lo) / b - 6.0).abs())
        })
        .unwrap_or(decade);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            // Snap float noise (0.30000000000000004) to the step's precision.
            let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
            (v, tick_label(v))
        })
        .collect()
}

/// Decades, plus intermediate multiples when the axis spans few decades (a log axis over
/// 30–120 s still needs more than two labels).
fn log_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let mults: &[f64] = match hi - lo {
        span if span < 1.2 => &[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0],
        span if span < 3.0 => &[1.0, 2.0, 5.0],
        _ => &[1.0],
    };
    let mut ticks = Vec::new();
    for e in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in mults {
            let v = m * 10f64.powi(e);
            let c = v.log10();
            if c >= lo - 1e-12 && c <= hi + 1e-12 {
                ticks.push((c, tick_label(v)));
            }
        }
    }
    if ticks.len() < 2 {
        // Less than a 1-2-5 step inside the range: label the ends.
        ticks = vec![
            (lo, tick_label(10f64.powf(lo))),
            (hi, tick_label(10f64.powf(hi))),
        ];
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_ticks_at_1_2_5() {
        let axis = Axis::log("t (s)");
        let r = axis.resolve([20.0, 110.0]);
        let labels: Vec<_> = r.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["20", "30", "40", "50", "60", "80", "100"]);
        assert!((r.ticks[0].0 - 20f64.log10()).abs() < 1e-12);
        // 2.3 decades (2.6 padded): 1-2-5 steps.
        let wide = axis.resolve([0.1, 20.0]);
        let labels: Vec<_> = wide.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0.1", "0.2", "0.5", "1", "2", "5", "10", "20"]);
        // Beyond three decades: decades only.
        let huge = axis.resolve([0.1, 1000.0]);
        let labels: Vec<_> = huge.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0.1", "1", "10", "100", "1000"]);
    }

    #[test]
    fn linear_ticks_are_round() {
        let r = Axis::linear("x").from_zero().resolve([0.3, 0.9]);
        assert_eq!(r.lo, 0.0);
        let labels: Vec<_> = r.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0", "0.2", "0.4", "0.6", "0.8"]);
        // 0–130: steps of 20 (6.5 ticks) rather than 50 (2.6 ticks).
        let r = Axis::linear("e (%)").resolve([0.0, 122.0]);
        let labels: Vec<_> = r.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0", "20", "40", "60", "80", "100", "120"]);
    }

    #[test]
    fn value_ticks_on_a_log_axis() {
        let r = Axis::log("GPUs")
            .with_value_ticks(&[4.0, 8.0, 16.0])
            .resolve([4.0, 16.0]);
        assert_eq!(r.label_at(8f64.log10()), "8");
        assert_eq!(r.ticks.len(), 3);
    }
}
