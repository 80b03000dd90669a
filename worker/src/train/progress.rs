//! The progress line on stderr (the job output the driver shows).

use std::time::Instant;

/// Prints `iter/total, loss, lr, s/it, ETA` every `every` iterations (and at the last).
#[derive(Debug)]
pub struct Progress {
    total: u64,
    every: u64,
    /// Start of the current reporting interval and the iteration it began after.
    since: (Instant, u64),
}

impl Progress {
    /// Reporting starts after iteration `completed`.
    pub fn new(total: u64, completed: u64) -> Self {
        // About 20 lines per run, at least every 50 iterations on long runs, never more often than every iteration.
        let every = (total / 20).clamp(1, 50);
        Self {
            total,
            every,
            since: (Instant::now(), completed),
        }
    }

    /// Reports iteration `iter` when due; returns the line printed.
    pub fn report(&mut self, iter: u64, loss: f64, lr: f64) -> Option<String> {
        if iter % self.every != 0 && iter != self.total {
            return None;
        }
        let (start, from) = self.since;
        let s_per_it = start.elapsed().as_secs_f64() / (iter - from).max(1) as f64;
        let line = format_line(iter, self.total, loss, lr, s_per_it);
        eprintln!("{line}");
        self.since = (Instant::now(), iter);
        Some(line)
    }
}

/// `iter 120/3000  loss 0.03121  lr 1.98e-4  0.412 s/it  ETA 19m47s`.
pub fn format_line(iter: u64, total: u64, loss: f64, lr: f64, s_per_it: f64) -> String {
    let eta = (total.saturating_sub(iter) as f64 * s_per_it).round() as u64;
    let eta = if eta >= 3600 {
        format!("{}h{:02}m", eta / 3600, eta % 3600 / 60)
    } else {
        format!("{}m{:02}s", eta / 60, eta % 60)
    };
    format!("iter {iter}/{total}  loss {loss:.5}  lr {lr:.3e}  {s_per_it:.3} s/it  ETA {eta}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_every_field() {
        assert_eq!(
            format_line(120, 3000, 0.031_214, 1.98e-4, 0.4123),
            "iter 120/3000  loss 0.03121  lr 1.980e-4  0.412 s/it  ETA 19m47s"
        );
        // 2880 iterations left × 2 s = 5760 s = 1 h 36 min.
        assert!(format_line(120, 3000, 0.1, 1e-4, 2.0).ends_with("ETA 1h36m"));
    }
}
