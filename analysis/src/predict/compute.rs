//! Compute time of one iteration from measured trials: t_iter − t_comm = o + c·b, with b
//! the batch per GPU, c the compute time per sample and o a fixed cost per iteration
//! (optimizer step, launches). Least squares over the measured batch sizes when there are
//! two or more; with one batch size o cannot be told from c and is taken as 0.

use crate::fit::least_squares;

/// One measured trial, reduced to what the fit needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub trial_id: String,
    pub gpus: u32,
    pub batch_per_gpu: usize,
    /// train_wall_s / iterations.
    pub s_per_iter: f64,
    /// Communication time per iteration (mean over ranks, from profile.csv); 0 on one rank,
    /// `None` when a multi-rank trial has no profile (then it cannot enter the fit).
    pub comm_s_per_iter: Option<f64>,
}

/// t_compute(b) = overhead_s + per_sample_s · b.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComputeModel {
    pub per_sample_s: f64,
    pub overhead_s: f64,
    /// Trials, their GPU count (the smallest measured) and distinct batch sizes the fit used.
    pub trials: usize,
    pub gpus: u32,
    pub batch_sizes: usize,
}

impl ComputeModel {
    /// `None` without any usable measurement.
    pub fn fit(measured: &[Measurement]) -> Option<Self> {
        let points: Vec<(f64, f64)> = measured
            .iter()
            .filter_map(|m| {
                let comm = m.comm_s_per_iter?;
                Some((m.batch_per_gpu as f64, m.s_per_iter - comm))
            })
            .filter(|(b, t)| *b > 0.0 && t.is_finite() && *t > 0.0)
            .collect();
        if points.is_empty() {
            return None;
        }
        let mut batches: Vec<f64> = points.iter().map(|p| p.0).collect();
        batches.sort_by(f64::total_cmp);
        batches.dedup();
        let line = (batches.len() >= 2)
            .then(|| least_squares(&points))
            .flatten()
            .filter(|l| l.slope > 0.0 && l.intercept >= 0.0);
        let (per_sample_s, overhead_s) = match line {
            Some(l) => (l.slope, l.intercept),
            None => (
                points.iter().map(|(b, t)| t / b).sum::<f64>() / points.len() as f64,
                0.0,
            ),
        };
        Some(Self {
            per_sample_s,
            overhead_s,
            gpus: measured.iter().map(|m| m.gpus).min().unwrap_or(1),
            trials: points.len(),
            batch_sizes: batches.len(),
        })
    }

    pub fn eval(&self, batch_per_gpu: usize) -> f64 {
        self.overhead_s + self.per_sample_s * batch_per_gpu as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(gpus: u32, b: usize, t: f64, comm: Option<f64>) -> Measurement {
        Measurement {
            trial_id: format!("g{gpus}b{b}"),
            gpus,
            batch_per_gpu: b,
            s_per_iter: t,
            comm_s_per_iter: comm,
        }
    }

    #[test]
    fn line_through_batch_sizes_after_removing_communication() {
        // t_compute = 0.01 + 0.02·b; the 4-GPU trials also spent 0.005 s communicating.
        let measured = [
            m(4, 1, 0.035, Some(0.005)),
            m(4, 5, 0.115, Some(0.005)),
            m(4, 10, 0.215, Some(0.005)),
            m(8, 10, 9.0, None),
        ];
        let c = ComputeModel::fit(&measured).unwrap();
        assert!((c.per_sample_s - 0.02).abs() < 1e-12 && (c.overhead_s - 0.01).abs() < 1e-12);
        assert_eq!((c.trials, c.batch_sizes), (3, 3));
        assert!((c.eval(20) - 0.41).abs() < 1e-12);
    }

    #[test]
    fn one_batch_size_is_all_per_sample() {
        let c = ComputeModel::fit(&[m(1, 2, 0.5, Some(0.0)), m(1, 2, 0.7, Some(0.0))]).unwrap();
        assert!((c.per_sample_s - 0.3).abs() < 1e-12 && c.overhead_s == 0.0);
        assert_eq!(ComputeModel::fit(&[m(2, 2, 0.5, None)]), None);
    }
}
