//! The learning-rate schedule of the reference (docs/training.md#learning-rate-schedule): BasicSR's
//! `CosineAnnealingRestartLR` over one period of T iterations down to `lr_min`, with its
//! linear warm-up override.

use xvr_contract::trial::TrainConfig;

/// Learning rate as a function of the 1-based iteration.
///
/// For iteration i: the cosine value at scheduler step e = i − 1 (BasicSR steps the
/// scheduler before every iteration but the first),
/// `lr_min + ½·(lr − lr_min)·(1 + cos(π·e/T))`; then, while i < W, that value is replaced by
/// `lr · i / W` — linear from the *initial* lr, not from the cosine value. W ≤ 0 (the
/// reference's −1) disables the warm-up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSchedule {
    /// Initial (peak) learning rate.
    pub lr: f64,
    /// Cosine floor (`eta_min`).
    pub lr_min: f64,
    /// Cosine period T = the run's total iterations.
    pub total: u64,
    /// Warm-up iterations W; ≤ 0 disables.
    pub warmup: i64,
}

impl LrSchedule {
    /// The schedule of `train` for a run of `total` iterations (the effective count for the
    /// world size, see [`TrainConfig::effective_iterations`]). `train` is a checked trial's
    /// (`xvr_contract::rules`: lr > 0, lr_min in [0, lr], at least one iteration).
    pub fn from_trial(train: &TrainConfig, total: u64) -> Self {
        Self {
            lr: train.lr,
            lr_min: train.lr_min,
            total,
            warmup: train.warmup,
        }
    }

    /// The learning rate used by 1-based iteration `iter`.
    pub fn lr_at(&self, iter: u64) -> f64 {
        let step = iter.saturating_sub(1) as f64;
        let cosine = self.lr_min
            + 0.5
                * (self.lr - self.lr_min)
                * (1.0 + (std::f64::consts::PI * step / self.total as f64).cos());
        if self.warmup > 0 && (iter as i64) < self.warmup {
            self.lr * iter as f64 / self.warmup as f64
        } else {
            cosine
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> LrSchedule {
        LrSchedule {
            lr: 2e-4,
            lr_min: 1e-7,
            total: 30_000,
            warmup: 500,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 + 1e-12 * b.abs()
    }

    #[test]
    fn warm_up_is_linear_from_the_initial_lr() {
        let s = paper();
        // i < W: 2e-4 · i / 500.
        assert!(close(s.lr_at(1), 4e-7));
        assert!(close(s.lr_at(250), 1e-4));
        assert!(close(s.lr_at(499), 1.996e-4));
    }

    #[test]
    fn cosine_takes_over_at_the_warm_up_end() {
        let s = paper();
        // i = 500: e = 499; 1e-7 + 0.5·(1.999e-4)·(1 + cos(π·499/30000)).
        // x = π·499/30000 = 0.05225516; cos x = 1 − x²/2 + x⁴/24 = 0.99863501 (by hand), so
        // lr = 1e-7 + 0.99995e-4 · 1.99863501 = 1.9986357e-4.
        let expected = 1e-7 + 0.5 * 1.999e-4 * (1.0 + 0.998_635_01_f64);
        assert!((s.lr_at(500) - expected).abs() < 1e-12, "{}", s.lr_at(500));
        // Halfway (e = T/2 → cos = 0): the mean of lr and lr_min.
        assert!(close(s.lr_at(15_001), 1.0005e-4));
        // Last iteration e = T − 1: just above the floor (½·1.999e-4·(1 − cos(π/T)) ≈ 5.48e-13).
        assert!((s.lr_at(30_000) - (1e-7 + 5.48e-13)).abs() < 1e-15);
    }

    #[test]
    fn no_warm_up_starts_at_the_peak() {
        let s = LrSchedule {
            warmup: -1,
            ..paper()
        };
        assert!(close(s.lr_at(1), 2e-4));
        // e = 1: 1e-7 + 0.5·1.999e-4·(1 + cos(π/30000)) = 2e-4 − 0.5·1.999e-4·(1 − cos(π/30000)).
        assert!((s.lr_at(2) - (2e-4 - 5.48e-13)).abs() < 1e-15);
        assert!(close(
            LrSchedule {
                warmup: 0,
                ..paper()
            }
            .lr_at(1),
            2e-4
        ));
    }
}
