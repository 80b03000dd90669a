#!/usr/bin/env python3
"""Side-by-side CPU benchmark: XFusion's PyTorch `PatchTransformerSTF` against xvr.

Set-up (once, outside the repository; the PyTorch wheel is a large download):

    python3 -m venv ~/xvr-bench-venv && ~/xvr-bench-venv/bin/pip install torch timm einops numpy
    git clone https://github.com/xray-imaging/XFusion ~/XFusion && git -C ~/XFusion checkout d15e44b
    cargo build --release -p xvr-worker --bin xvr-bench

Run (from the repository root):

    ~/xvr-bench-venv/bin/python worker/bench/side_by_side.py --xfusion ~/XFusion

Every measurement is a fresh process (`reference_step.py` or `xvr-bench --case`) that builds
the model, does one untimed warm-up and `--reps` timed repetitions, and reports the median
and its peak RSS. Cases: training step (forward, L1 loss, backward, Adam β 0.9/0.99) and
inference (per sample) for small (batch 2), baseline (batch 1 and 2) and final (C384,
6 heads, window 4; batch 1), at 24×24 LR / 96×96 HR crops, the same input values on both
sides (one raw f32 file per batch size written here). Both sides get `--threads` compute
threads. Within a round the two sides alternate (reference first in even rounds, xvr
first in odd rounds); ratios are taken from the same round. Before each measurement the
script waits (up to `--max-wait` s) for the 1-minute load average to fall below
`--quiet-load` and records the load average either way: on a shared machine only the
same-run ratios are meaningful.

Without PyTorch it prints why and exits 0 (nothing measured).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = [("small", 2), ("baseline", 1), ("baseline", 2), ("final", 1)]


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_quiet(threshold: float, max_wait: float) -> dict:
    start, before = time.time(), loadavg()
    while loadavg() >= threshold and time.time() - start < max_wait:
        time.sleep(5)
    return {"load1_before_wait": before, "load1": loadavg(), "waited_s": round(time.time() - start, 1)}


def write_inputs(path: Path, batch: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    lr = 24
    parts = [rng.random((batch, 3, 1, lr, lr)), rng.random((batch, 2, 1, 4 * lr, 4 * lr)),
             rng.random((batch, 1, 4 * lr, 4 * lr))]
    np.concatenate([p.astype("<f4").ravel() for p in parts]).tofile(path)


def run_json(cmd: list, env: dict) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"side_by_side.py: {' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--xfusion", type=Path, required=True, help="XFusion checkout at commit d15e44b")
    p.add_argument("--xvr-bench", type=Path, default=Path("target/release/xvr-bench"))
    p.add_argument("--out", type=Path, default=Path("target/bench/side_by_side.json"))
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--quiet-load", type=float, default=1.0)
    p.add_argument("--max-wait", type=float, default=120.0)
    p.add_argument("--cases", default=",".join(f"{c}:{b}" for c, b in CASES),
                   help="comma-separated CONFIG:BATCH (configs: small, baseline, final)")
    p.add_argument("--what", default="train,infer")
    p.add_argument("--xvr-variants", default="fused",
                   help="comma-separated: fused (the default path), unfused (burn's composed ops and glibc's "
                        "default malloc settings: the CPU path before the fused kernels)")
    a = p.parse_args()

    # Checked in a child process: importing torch here would make this process large, and
    # every measured child would start from that size.
    missing = subprocess.run([sys.executable, "-c", "import torch, timm, einops, numpy"], capture_output=True, text=True)
    if missing.returncode != 0:
        print(f"SKIPPED side-by-side benchmark: {missing.stderr.strip().splitlines()[-1]} in {sys.executable} "
              "(pip install torch timm einops numpy; see this file's docstring)")
        return
    if not a.xvr_bench.is_file():
        sys.exit(f"side_by_side.py: {a.xvr_bench} not found: cargo build --release -p xvr-worker --bin xvr-bench")

    cases = [(c.split(":")[0], int(c.split(":")[1])) for c in a.cases.split(",")]
    whats = a.what.split(",")
    variants = a.xvr_variants.split(",")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    inputs = {}
    for batch in sorted({b for _, b in cases}):
        inputs[batch] = a.out.parent / f"side_by_side_inputs_b{batch}.f32"
        write_inputs(inputs[batch], batch, seed=batch)
    env = dict(os.environ, RAYON_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))

    def reference(config, batch, what):
        return run_json([sys.executable, str(HERE / "reference_step.py"), "--xfusion", str(a.xfusion),
                         "--config", config, "--batch", str(batch), "--what", what, "--inputs",
                         str(inputs[batch]), "--threads", str(a.threads), "--reps", str(a.reps)], env)

    def ours(config, batch, what, variant):
        cmd = [str(a.xvr_bench), "--case", config, "--batch", str(batch), "--what", what, "--inputs",
               str(inputs[batch]), "--reps", str(a.reps)]
        return run_json(cmd + (["--unfused", "--glibc-malloc-defaults"] if variant == "unfused" else []), env)

    runs = []
    for rnd in range(a.rounds):
        for config, batch in cases:
            for what in whats:
                sides = [("pytorch", None)] + [("xvr", v) for v in variants]
                if rnd % 2:
                    sides.reverse()
                for impl, variant in sides:
                    quiet = wait_quiet(a.quiet_load, a.max_wait)
                    result = reference(config, batch, what) if impl == "pytorch" else ours(config, batch, what, variant)
                    result.update(round=rnd, variant=variant, load=quiet, load1_after=loadavg())
                    runs.append(result)
                    print(f"round {rnd} {config} b{batch} {what} {impl}{'/' + variant if variant else ''}: "
                          f"{result['timing']['median_s']:.3f} s, {result['peak_rss_mb']:.0f} MB, "
                          f"load {quiet['load1']:.2f}", file=sys.stderr)

    summary = []
    for config, batch in cases:
        for what in whats:
            for variant in variants:
                ratios, ref_s, our_s = [], [], []
                for rnd in range(a.rounds):
                    pick = lambda impl, v: next(r for r in runs if r["round"] == rnd and r["config"] == config and
                                                r["batch"] == batch and r["what"] == what and r["impl"] == impl and
                                                r["variant"] == v)
                    r, o = pick("pytorch", None), pick("xvr", variant)
                    ref_s.append(r["timing"]["median_s"])
                    our_s.append(o["timing"]["median_s"])
                    ratios.append(o["timing"]["median_s"] / r["timing"]["median_s"])
                per_sample = 1.0 / batch if what == "infer" else 1.0
                rss = lambda impl, v: max(r["peak_rss_mb"] for r in runs if r["config"] == config and
                                          r["batch"] == batch and r["what"] == what and r["impl"] == impl and
                                          r["variant"] == v)
                summary.append({
                    "config": config, "batch": batch, "what": what, "xvr_variant": variant,
                    "pytorch_s_best_round": min(ref_s) * per_sample, "xvr_s_best_round": min(our_s) * per_sample,
                    "ratio_per_round": ratios, "ratio_median": statistics.median(ratios),
                    "pytorch_peak_rss_mb": rss("pytorch", None), "xvr_peak_rss_mb": rss("xvr", variant),
                    "unit": "s per sample" if what == "infer" else "s per step",
                })
    report = {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": os.cpu_count(), "threads": a.threads, "reps": a.reps, "rounds": a.rounds,
        "note": "shared machine: load average recorded per run; compare ratios within a round",
        "summary": summary, "runs": runs,
    }
    a.out.write_text(json.dumps(report, indent=2))
    for s in summary:
        print(f"{s['config']} b{s['batch']} {s['what']} xvr/{s['xvr_variant']}: {s['xvr_s_best_round']:.3f} vs "
              f"pytorch {s['pytorch_s_best_round']:.3f} {s['unit']}: ratio {s['ratio_median']:.2f}, "
              f"RSS {s['xvr_peak_rss_mb']:.0f} vs {s['pytorch_peak_rss_mb']:.0f} MB", file=sys.stderr)
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
