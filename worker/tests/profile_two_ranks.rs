//! The profiler on a real 2-rank run (`xvr-mpi-selftest profile-demo` under `mpiexec -n 2`):
//! the traces parse, and the numbers in `profile.csv` add up and agree with the trace events.

mod mpi_support;

use std::path::Path;

use mpi_support::{assert_ok, mpiexec_or_skip, under_mpiexec};
use serde_json::Value;
use xvr_contract::results::ProfileRow;

const ITERATIONS: u64 = 3;

fn rows(dir: &Path) -> Vec<ProfileRow> {
    let mut r = csv::Reader::from_path(dir.join("profile.csv")).unwrap();
    r.deserialize().map(Result::unwrap).collect()
}

/// (start µs, end µs, category under `preset`) of the device events of a trace.
fn device_events(trace: &Value, preset: &str) -> Vec<(f64, f64, String)> {
    trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X" && e["args"].get("stream").is_some())
        .map(|e| {
            let ts = e["ts"].as_f64().unwrap();
            (
                ts,
                ts + e["dur"].as_f64().unwrap(),
                e["args"][format!("category_{preset}")]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

/// Length of the union of intervals, by a plain sweep over the sorted starts.
fn union_len(mut iv: Vec<(f64, f64)>) -> f64 {
    iv.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut total, mut cur): (f64, Option<(f64, f64)>) = (0.0, None);
    for (s, e) in iv {
        cur = match cur {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    total + cur.map_or(0.0, |(s, e)| e - s)
}

#[test]
fn two_rank_profile_adds_up_and_matches_its_traces() {
    let Some(mpiexec) = mpiexec_or_skip("two_rank_profile_adds_up_and_matches_its_traces") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().display().to_string();
    let iters = ITERATIONS.to_string();
    let out = under_mpiexec(
        &mpiexec,
        2,
        &[
            "--expect",
            "2",
            "profile-demo",
            "--warmup",
            "1",
            "--iterations",
            &iters,
            "--out",
            &dir,
        ],
    );
    assert_ok(&out);

    let rows = rows(tmp.path());
    let keys: Vec<(usize, &str)> = rows.iter().map(|r| (r.rank, r.preset.as_str())).collect();
    assert_eq!(keys, [(0, "hta"), (0, "paper"), (1, "hta"), (1, "paper")]);
    let eps = 1e-9;
    for r in &rows {
        assert!(
            (r.busy_s + r.idle_s - r.span_s).abs() < eps,
            "busy + idle = span: {r:?}"
        );
        assert!(
            (r.utilization - r.busy_s / r.span_s).abs() < 1e-12
                && r.utilization > 0.0
                && r.utilization < 1.0
        );
        let cats = [r.computation_s, r.communication_s, r.memory_s, r.other_s];
        assert!(
            cats.iter().all(|&c| c >= 0.0 && c <= r.busy_s + eps),
            "each category within busy: {r:?}"
        );
        // Every busy moment belongs to some category; categories exceed busy only where they
        // overlap (this loop runs its phases one after another, so only comp/comm could).
        let sum: f64 = cats.iter().sum();
        let overlap_s = r.comp_comm_overlap * r.communication_s;
        assert!(
            sum >= r.busy_s - eps && sum <= r.busy_s + overlap_s + eps,
            "categories vs busy: {r:?}"
        );
        // The loop: 30 ms + 5 ms of compute per iteration, a 5 ms host-side sleep between
        // the scatter and the optimizer step (idle device time), and an all-reduce.
        assert!(r.computation_s >= ITERATIONS as f64 * 0.035, "{r:?}");
        assert!(r.idle_s >= ITERATIONS as f64 * 0.005, "{r:?}");
        assert!(r.communication_s > 0.0);
    }
    // The staging copies are memory for hta and communication for paper.
    for pair in rows.chunks(2) {
        let (hta, paper) = (&pair[0], &pair[1]);
        assert!(hta.memory_s > 0.0 && paper.memory_s == 0.0);
        assert!((paper.communication_s - (hta.communication_s + hta.memory_s)).abs() < 1e-6);
        assert_eq!((hta.span_s, hta.busy_s), (paper.span_s, paper.busy_s));
    }

    for rank in 0..2 {
        let text =
            std::fs::read_to_string(tmp.path().join(format!("trace-rank{rank}.json"))).unwrap();
        let trace: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(trace["distributedInfo"]["rank"], rank);
        assert_eq!(trace["distributedInfo"]["world_size"], 2);
        for preset in ["hta", "paper"] {
            let row = rows
                .iter()
                .find(|r| r.rank == rank && r.preset == preset)
                .unwrap();
            let events = device_events(&trace, preset);
            // 5 phases per iteration: forward_backward, gather, all-reduce, scatter, optimizer.
            assert_eq!(events.len() as u64, 5 * ITERATIONS);
            let start = events.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
            let end = events.iter().map(|e| e.1).fold(0.0, f64::max);
            let us = 1e-6;
            assert!(
                ((end - start) * us - row.span_s).abs() < 1e-8,
                "span from the trace"
            );
            let busy = union_len(events.iter().map(|e| (e.0, e.1)).collect());
            assert!((busy * us - row.busy_s).abs() < 1e-8, "busy from the trace");
            for (cat, value) in [
                ("computation", row.computation_s),
                ("communication", row.communication_s),
                ("memory", row.memory_s),
            ] {
                let t = union_len(
                    events
                        .iter()
                        .filter(|e| e.2 == cat)
                        .map(|e| (e.0, e.1))
                        .collect(),
                );
                assert!(
                    (t * us - value).abs() < 1e-8,
                    "{preset} {cat} from the trace: {} vs {value}",
                    t * us
                );
            }
        }
    }
}
