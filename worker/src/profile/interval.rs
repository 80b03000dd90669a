//! Interval arithmetic on timelines: union, intersection, total length, span.
//!
//! The profiler's numbers are all lengths of unions and intersections of activity intervals
//! (HTA merges overlapping kernels the same way), so they live here once, tested on
//! hand-made timelines.

/// A half-open time interval `[start, end)` in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
}

impl Interval {
    pub fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// A union of intervals kept as sorted, disjoint, non-adjacent pieces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntervalSet {
    pieces: Vec<Interval>,
}

impl IntervalSet {
    /// The union of `intervals` (any order, overlapping or nested; empty ones ignored).
    pub fn union_of(intervals: impl IntoIterator<Item = Interval>) -> Self {
        let mut sorted: Vec<Interval> = intervals.into_iter().filter(|i| !i.is_empty()).collect();
        sorted.sort_unstable();
        let mut pieces: Vec<Interval> = Vec::with_capacity(sorted.len());
        for next in sorted {
            match pieces.last_mut() {
                Some(last) if next.start <= last.end => last.end = last.end.max(next.end),
                _ => pieces.push(next),
            }
        }
        Self { pieces }
    }

    /// The disjoint pieces, in time order.
    pub fn pieces(&self) -> &[Interval] {
        &self.pieces
    }

    /// Total covered time.
    pub fn total(&self) -> u64 {
        self.pieces.iter().map(Interval::len).sum()
    }

    /// From the first start to the last end, if not empty.
    pub fn span(&self) -> Option<Interval> {
        Some(Interval::new(
            self.pieces.first()?.start,
            self.pieces.last()?.end,
        ))
    }

    /// The time covered by both sets.
    pub fn intersection(&self, other: &Self) -> Self {
        let (mut a, mut b) = (
            self.pieces.iter().peekable(),
            other.pieces.iter().peekable(),
        );
        let mut pieces = Vec::new();
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let cut = Interval::new(x.start.max(y.start), x.end.min(y.end));
            if !cut.is_empty() {
                pieces.push(cut);
            }
            if x.end <= y.end {
                a.next();
            } else {
                b.next();
            }
        }
        Self { pieces }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(u64, u64)]) -> IntervalSet {
        IntervalSet::union_of(pairs.iter().map(|&(s, e)| Interval::new(s, e)))
    }

    fn pieces(s: &IntervalSet) -> Vec<(u64, u64)> {
        s.pieces().iter().map(|i| (i.start, i.end)).collect()
    }

    #[test]
    fn union_merges_overlaps_nesting_and_touching_and_keeps_gaps() {
        // 0-10 and 5-15 overlap; 20-30 nests 22-25; 30-35 touches 20-30; 40-41 after a gap.
        let s = set(&[(22, 25), (40, 41), (5, 15), (20, 30), (0, 10), (30, 35)]);
        assert_eq!(pieces(&s), [(0, 15), (20, 35), (40, 41)]);
        assert_eq!(s.total(), 15 + 15 + 1);
        assert_eq!(s.span(), Some(Interval::new(0, 41)));
    }

    #[test]
    fn empty_and_reversed_intervals_are_ignored() {
        let s = set(&[(5, 5), (9, 3)]);
        assert_eq!(s.total(), 0);
        assert_eq!(s.span(), None);
    }

    #[test]
    fn intersection_of_interleaved_timelines() {
        let comp = set(&[(0, 10), (20, 30), (40, 50)]);
        let comm = set(&[(5, 25), (28, 45), (60, 70)]);
        // 5-10, 20-25, 28-30, 40-45
        let both = comp.intersection(&comm);
        assert_eq!(pieces(&both), [(5, 10), (20, 25), (28, 30), (40, 45)]);
        assert_eq!(both.total(), 17);
        assert_eq!(both, comm.intersection(&comp));
        assert_eq!(comp.intersection(&IntervalSet::default()).total(), 0);
    }

    #[test]
    fn intersection_with_a_containing_interval_is_the_inner_set() {
        let inner = set(&[(3, 4), (6, 8)]);
        assert_eq!(set(&[(0, 100)]).intersection(&inner), inner);
    }
}
