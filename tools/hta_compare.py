#!/usr/bin/env python3
"""Compare xvr's profile.csv (preset `hta`) with HolisticTraceAnalysis run on our traces.

Usage: tools/hta_compare.py <trial_dir>   (the folder holding profile.csv and trace-rank*.json)

Needs `pip install HolisticTraceAnalysis` (tested with 0.5.0). HTA reads the trace-rank*.json
files on its own; we compare, per rank: span (HTA kernel_time), idle, computation
(temporal breakdown), the comp/comm overlap ratio (get_comm_comp_overlap), and, summed over
ranks, the computation / communication / memory time (get_gpu_kernel_breakdown with memory
kernels, whose exclusive "A overlapping B" slices are added back into each category).
HTA works in microseconds, so differences up to one microsecond per trace event are rounding.
Prints a table and exits 1 when a number disagrees beyond that.
"""
import csv
import glob
import json
import os
import sys

from hta.trace_analysis import TraceAnalysis


def main(trial_dir: str) -> int:
    rows = {int(r["rank"]): r for r in csv.DictReader(open(os.path.join(trial_dir, "profile.csv"))) if r["preset"] == "hta"}
    events = 0
    for path in glob.glob(os.path.join(trial_dir, "trace-rank*.json")):
        events = max(events, sum(1 for e in json.load(open(path))["traceEvents"] if e.get("ph") == "X"))
    tol_us = max(1.0, float(events))

    t = TraceAnalysis(trace_dir=trial_dir)
    temporal = t.get_temporal_breakdown(visualize=False)
    overlap = t.get_comm_comp_overlap(visualize=False)
    kinds, _ = t.get_gpu_kernel_breakdown(visualize=False, include_memory_kernels=True)

    checks = []  # (what, ours_us, hta_us, tolerance_us)
    for _, r in temporal.iterrows():
        rank = int(r["rank"])
        ours = rows[rank]
        checks.append((f"rank {rank} span", float(ours["span_s"]) * 1e6, float(r["kernel_time(us)"]), tol_us))
        checks.append((f"rank {rank} idle", float(ours["idle_s"]) * 1e6, float(r["idle_time(us)"]), tol_us))
        checks.append((f"rank {rank} computation", float(ours["computation_s"]) * 1e6, float(r["compute_time(us)"]), tol_us))
    for _, r in overlap.iterrows():
        rank = int(r["rank"])
        hta_pct = float(r["comp_comm_overlap_pctg"])
        if hta_pct != hta_pct:  # NaN: HTA divides by a communication time of 0; we write 0
            hta_pct = 0.0
        checks.append((f"rank {rank} comp/comm overlap %", float(rows[rank]["comp_comm_overlap"]) * 100, hta_pct, 1.0))
    slices = {k: float(v) for k, v in zip(kinds["kernel_type"], kinds["sum"])}
    for cat, column in [("COMPUTATION", "computation_s"), ("COMMUNICATION", "communication_s"), ("MEMORY", "memory_s")]:
        hta_total = sum(v for k, v in slices.items() if cat in k)
        ours_total = sum(float(r[column]) for r in rows.values()) * 1e6
        checks.append((f"all ranks {cat.lower()}", ours_total, hta_total, tol_us * len(rows)))

    print("| quantity | xvr (µs or %) | HTA (µs or %) | difference | tolerance |")
    print("|---|---:|---:|---:|---:|")
    bad = 0
    for what, ours, hta, tol in checks:
        diff = ours - hta
        ok = abs(diff) <= tol
        bad += not ok
        print(f"| {what} | {ours:.1f} | {hta:.1f} | {diff:+.2f} | {tol:.0f}{'' if ok else ' **FAIL**'} |")
    print(f"\nHTA slices (µs, summed over ranks): {json.dumps(slices)}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
