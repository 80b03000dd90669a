//! Recording activity intervals during the profiled window.

/// Direction of a copy, as CUPTI's `CUpti_ActivityMemcpyKind` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    /// Host → device (CPU runs: gathering host tensors into a flat send buffer).
    HtoD,
    /// Device → host (CPU runs: scattering the reduced buffer back into tensors).
    DtoH,
    /// Device → device (also array ↔ device copies).
    DtoD,
    /// Host → host.
    HtoH,
    /// Peer to peer: between two devices.
    PtoP,
    /// A kind CUPTI reports as unknown.
    Other,
}

impl CopyKind {
    /// The label Kineto puts after `Memcpy ` in a copy's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::HtoD => "HtoD",
            Self::DtoH => "DtoH",
            Self::DtoD => "DtoD",
            Self::HtoH => "HtoH",
            Self::PtoP => "PtoP",
            Self::Other => "Unknown",
        }
    }
}

/// What an interval was, in the terms the device trace would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// A kernel; the category comes from its name (`nccl…` kernels are communication).
    Kernel,
    /// A memory copy.
    Memcpy(CopyKind),
    /// A memset.
    Memset,
}

/// One device-activity interval, timestamps in ns on the node's monotonic clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub name: String,
    pub kind: ActivityKind,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Stream (CUDA) or lane (CPU: 0 compute, 1 communication).
    pub stream: u32,
    /// 1-based training iteration the interval belongs to.
    pub iteration: u64,
}

/// Which iterations are profiled: `iterations` of them after `warmup` unprofiled ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileWindow {
    pub warmup: u64,
    pub iterations: u64,
}

impl ProfileWindow {
    /// Whether 1-based iteration `iter`, counted from the start of this process's run, is
    /// inside the window.
    pub fn contains(&self, iter_in_run: u64) -> bool {
        iter_in_run > self.warmup && iter_in_run <= self.warmup + self.iterations
    }
}

/// `CLOCK_MONOTONIC` in ns: one clock for every rank on a node, so traces line up.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Collects [`Activity`] intervals of the iterations inside a [`ProfileWindow`].
#[derive(Debug)]
pub struct Recorder {
    window: Option<ProfileWindow>,
    /// Iterations begun in this process (1-based once the first began).
    iter_in_run: u64,
    /// The training iteration number of the current iteration.
    iteration: u64,
    active: bool,
    /// Start of the first and end of the last profiled iteration.
    span_ns: Option<(u64, u64)>,
    activities: Vec<Activity>,
}

impl Recorder {
    /// A recorder that keeps `window`'s iterations; `None` records nothing.
    pub fn new(window: Option<ProfileWindow>) -> Self {
        Self {
            window,
            iter_in_run: 0,
            iteration: 0,
            active: false,
            span_ns: None,
            activities: Vec::new(),
        }
    }

    /// A recorder that records nothing.
    pub fn disabled() -> Self {
        Self::new(None)
    }

    /// Marks the start of training iteration `iteration` (1-based).
    pub fn begin_iteration(&mut self, iteration: u64) {
        self.iter_in_run += 1;
        self.iteration = iteration;
        self.active = self.window.is_some_and(|w| w.contains(self.iter_in_run));
        if self.active {
            let now = monotonic_ns();
            self.span_ns = Some(match self.span_ns {
                None => (now, now),
                Some((start, _)) => (start, now),
            });
        }
    }

    /// Marks the end of the current iteration (extends the profiled span to now).
    pub fn end_iteration(&mut self) {
        if self.active {
            if let Some((start, _)) = self.span_ns {
                self.span_ns = Some((start, monotonic_ns()));
            }
            self.active = false;
        }
    }

    /// The training iteration number of the current (or last) iteration.
    pub fn current_iteration(&self) -> u64 {
        self.iteration
    }

    /// Whether the current iteration is being recorded.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Runs `f`, recording it as one interval when the current iteration is profiled.
    /// `f` must not return before its work is done (sync the backend inside it).
    pub fn record<T>(
        &mut self,
        name: &str,
        kind: ActivityKind,
        stream: u32,
        f: impl FnOnce() -> T,
    ) -> T {
        if !self.active {
            return f();
        }
        let start_ns = monotonic_ns();
        let out = f();
        let end_ns = monotonic_ns();
        self.push(Activity {
            name: name.to_owned(),
            kind,
            start_ns,
            end_ns,
            stream,
            iteration: self.iteration,
        });
        out
    }

    /// Adds an interval measured elsewhere (e.g. a CUPTI record); kept only while active.
    pub fn push(&mut self, activity: Activity) {
        if self.active {
            self.activities.push(activity);
        }
    }

    /// The profiled span `(start_ns, end_ns)`, if any iteration was profiled.
    pub fn span_ns(&self) -> Option<(u64, u64)> {
        self.span_ns
    }

    /// The recorded intervals, in recording order.
    pub fn activities(&self) -> &[Activity] {
        &self.activities
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_window_iterations_are_recorded() {
        let mut rec = Recorder::new(Some(ProfileWindow {
            warmup: 2,
            iterations: 2,
        }));
        let mut seen = Vec::new();
        for it in 101..=106 {
            rec.begin_iteration(it);
            rec.record("k", ActivityKind::Kernel, 0, || ());
            seen.push(rec.is_active());
            rec.end_iteration();
        }
        assert_eq!(seen, [false, false, true, true, false, false]);
        let iters: Vec<u64> = rec.activities().iter().map(|a| a.iteration).collect();
        assert_eq!(iters, [103, 104]);
        let (s, e) = rec.span_ns().unwrap();
        assert!(s <= rec.activities()[0].start_ns && e >= rec.activities()[1].end_ns);
    }

    #[test]
    fn disabled_records_nothing() {
        let mut rec = Recorder::disabled();
        rec.begin_iteration(1);
        assert_eq!(rec.record("k", ActivityKind::Kernel, 0, || 7), 7);
        rec.end_iteration();
        assert!(rec.activities().is_empty() && rec.span_ns().is_none());
    }
}
