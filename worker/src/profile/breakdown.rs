//! One rank's temporal and kernel-category breakdown (docs/definitions.md#profiler; HTA's
//! `get_temporal_breakdown` and `get_comm_comp_overlap`).

use xvr_contract::results::ProfileRow;
use xvr_contract::trial::KernelPreset;

use super::category::{classify, preset_name, Category};
use super::interval::{Interval, IntervalSet};
use super::Activity;

/// Times in ns over one rank's profiled window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breakdown {
    /// First activity start to last activity end (HTA's `kernel_time`).
    pub span_ns: u64,
    /// Union of all activity intervals.
    pub busy_ns: u64,
    /// Union of each category's intervals, indexed like [`Category::ALL`]. Categories may
    /// overlap each other, so their sum can exceed `busy_ns` by the overlapped time.
    pub category_ns: [u64; 4],
    /// Time computation and communication run at once.
    pub comp_comm_overlap_ns: u64,
}

impl Breakdown {
    /// Breaks `activities` down under `preset`.
    pub fn of(activities: &[Activity], preset: KernelPreset) -> Self {
        let interval = |a: &Activity| Interval::new(a.start_ns, a.end_ns);
        let busy = IntervalSet::union_of(activities.iter().map(interval));
        let per_category = Category::ALL.map(|cat| {
            IntervalSet::union_of(
                activities
                    .iter()
                    .filter(|a| classify(preset, a) == cat)
                    .map(interval),
            )
        });
        let [comp, comm, ..] = &per_category;
        Self {
            span_ns: busy.span().map_or(0, |s| s.len()),
            busy_ns: busy.total(),
            category_ns: per_category.each_ref().map(IntervalSet::total),
            comp_comm_overlap_ns: comp.intersection(comm).total(),
        }
    }

    /// How many numbers [`Self::to_f64s`] gives.
    pub const F64S: usize = 7;

    /// The breakdown as exact f64s (ns counts stay below 2^53), for gathering over ranks.
    pub fn to_f64s(&self) -> [f64; Self::F64S] {
        let [c0, c1, c2, c3] = self.category_ns;
        [
            self.span_ns,
            self.busy_ns,
            c0,
            c1,
            c2,
            c3,
            self.comp_comm_overlap_ns,
        ]
        .map(|v| v as f64)
    }

    /// Inverse of [`Self::to_f64s`]; `v` has [`Self::F64S`] elements.
    pub fn from_f64s(v: &[f64]) -> Self {
        let n = |i: usize| v[i] as u64;
        Self {
            span_ns: n(0),
            busy_ns: n(1),
            category_ns: [n(2), n(3), n(4), n(5)],
            comp_comm_overlap_ns: n(6),
        }
    }

    pub fn idle_ns(&self) -> u64 {
        self.span_ns - self.busy_ns
    }

    pub fn category(&self, cat: Category) -> u64 {
        self.category_ns[Category::ALL
            .iter()
            .position(|&c| c == cat)
            .expect("every category is in ALL")]
    }

    /// busy / span; 0 for an empty window.
    pub fn utilization(&self) -> f64 {
        ratio(self.busy_ns, self.span_ns)
    }

    /// HTA's overlap ratio: time computing while communicating / communication time (0 when
    /// there is no communication).
    pub fn comp_comm_overlap_ratio(&self) -> f64 {
        ratio(
            self.comp_comm_overlap_ns,
            self.category(Category::Communication),
        )
    }

    /// The `profile.csv` row of `rank` (seconds).
    pub fn to_row(&self, rank: usize, preset: KernelPreset) -> ProfileRow {
        let s = |ns: u64| ns as f64 / 1e9;
        ProfileRow {
            rank,
            preset: preset_name(preset).to_owned(),
            span_s: s(self.span_ns),
            busy_s: s(self.busy_ns),
            idle_s: s(self.idle_ns()),
            utilization: self.utilization(),
            computation_s: s(self.category(Category::Computation)),
            communication_s: s(self.category(Category::Communication)),
            memory_s: s(self.category(Category::Memory)),
            other_s: s(self.category(Category::Other)),
            comp_comm_overlap: self.comp_comm_overlap_ratio(),
        }
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::ALL_REDUCE_ACTIVITY;
    use crate::profile::{ActivityKind, CopyKind};

    fn a(name: &str, kind: ActivityKind, start_ns: u64, end_ns: u64, stream: u32) -> Activity {
        Activity {
            name: name.into(),
            kind,
            start_ns,
            end_ns,
            stream,
            iteration: 1,
        }
    }

    /// Two iterations by hand (ns):
    /// ```text
    /// stream 0: fwd_bwd 100-400          fwd_bwd 600-900   opt 950-1000
    /// stream 1:        gather 380-420 (DtoH)  allreduce 420-560      allreduce 880-940
    /// stream 0:                                               scatter 560-580 (HtoD)
    /// ```
    fn timeline() -> Vec<Activity> {
        let k = ActivityKind::Kernel;
        vec![
            a("forward_backward", k, 100, 400, 0),
            a(
                "grad_gather",
                ActivityKind::Memcpy(CopyKind::DtoH),
                380,
                420,
                1,
            ),
            a(ALL_REDUCE_ACTIVITY, k, 420, 560, 1),
            a(
                "grad_scatter",
                ActivityKind::Memcpy(CopyKind::HtoD),
                560,
                580,
                0,
            ),
            a("forward_backward", k, 600, 900, 0),
            a(ALL_REDUCE_ACTIVITY, k, 880, 940, 1),
            a("optimizer_step", k, 950, 1000, 0),
        ]
    }

    #[test]
    fn hand_made_timeline_under_hta() {
        let b = Breakdown::of(&timeline(), KernelPreset::Hta);
        // busy: 100-580 (480) + 600-940 (340) + 950-1000 (50) = 870; span 100-1000 = 900.
        assert_eq!((b.span_ns, b.busy_ns, b.idle_ns()), (900, 870, 30));
        // computation: 300 + 300 + 50; communication: 140 + 60; memory: 40 + 20.
        assert_eq!(b.category_ns, [650, 200, 60, 0]);
        // computation ∩ communication: 880-900.
        assert_eq!(b.comp_comm_overlap_ns, 20);
        assert!((b.comp_comm_overlap_ratio() - 0.1).abs() < 1e-12);
        assert!((b.utilization() - 870.0 / 900.0).abs() < 1e-12);
    }

    #[test]
    fn hand_made_timeline_under_paper() {
        let b = Breakdown::of(&timeline(), KernelPreset::Paper);
        // The staging copies join communication: 380-580 (200) + 880-940 (60).
        assert_eq!(b.category_ns, [650, 260, 0, 0]);
        // computation ∩ communication: 380-400 and 880-900.
        assert_eq!(b.comp_comm_overlap_ns, 40);
        assert_eq!(b.busy_ns, 870);
    }

    #[test]
    fn row_in_seconds() {
        let row = Breakdown::of(&timeline(), KernelPreset::Hta).to_row(3, KernelPreset::Hta);
        assert_eq!((row.rank, row.preset.as_str()), (3, "hta"));
        assert!((row.span_s - 900e-9).abs() < 1e-18 && (row.idle_s - 30e-9).abs() < 1e-18);
        assert!((row.computation_s - 650e-9).abs() < 1e-18);
    }

    #[test]
    fn empty_window_is_all_zero() {
        let b = Breakdown::of(&[], KernelPreset::Paper);
        assert_eq!(b, Breakdown::default());
        assert_eq!((b.utilization(), b.comp_comm_overlap_ratio()), (0.0, 0.0));
    }
}
