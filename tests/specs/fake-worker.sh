#!/bin/bash
# Stand-in for `xvr-worker run TRIAL_DIR` in scheduler tests. What it does is chosen by
# the trial's train.seed: 0 succeed, 1 fail (a message, then exit status 3), 2 sleep 600 s
# (for walltime kills and cancels), 3 sleep 1 s then succeed, 4 resume: the first run
# writes a checkpoint and sleeps 600 s (to be killed at its walltime), a run that finds
# the checkpoint succeeds, 5 sleep 8 s then succeed, 6 sleep 6 s then fail. Succeeding means what the real worker's end means: rank 0
# writes train.csv and summary.json. Each run appends one line per rank to
# TRIAL_DIR/fake-worker.log with the rank, CUDA_VISIBLE_DEVICES and PBS_JOBID.
set -eu
[ "$1" = run ] || { echo "usage: fake-worker.sh run TRIAL_DIR" >&2; exit 64; }
dir=$2
seed=$(awk '/^[a-z]/ { section = $1 } section == "train:" && $1 == "seed:" { print $2; exit }' "$dir/trial.yaml")
rank=${PMI_RANK:-0}
echo "rank=$rank cuda=${CUDA_VISIBLE_DEVICES:-} job=${PBS_JOBID:-} nodefile=$(cat "${PBS_NODEFILE:-/dev/null}" | wc -l)" >> "$dir/fake-worker.log"

succeed() {
  [ "$rank" = 0 ] || exit 0
  printf 'iter,lr,loss,step_s,samples_per_s\n1,0.0002,0.5,0.1,10\n2,0.0002,0.25,0.1,10\n' > "$dir/train.csv"
  id=$(basename "$dir")
  cat > "$dir/summary.json.tmp" <<JSON
{"trial_id": "$id", "axes": {}, "gpus": 1, "world_size": 1, "batch_per_gpu": 1, "iterations": 2,
 "train_wall_s": 0.2, "psnr_db": 31.25, "ssim": 0.9, "aad": 1.5, "bicubic_psnr_db": 28.0,
 "infer_s_per_frame": 0.01, "params": 1, "flops_per_sample": 1, "status": "succeeded"}
JSON
  mv "$dir/summary.json.tmp" "$dir/summary.json"
  exit 0
}

case "$seed" in
  0) succeed ;;
  1) echo "fake-worker: loss diverged at iteration 7" >&2; exit 3 ;;
  2) sleep 600 ;;
  3) sleep 1; succeed ;;
  4) if [ -d "$dir/checkpoint" ]; then succeed; fi
     mkdir -p "$dir/checkpoint"; sleep 600 ;;
  5) sleep 8; succeed ;;
  6) sleep 6; echo "fake-worker: loss diverged at iteration 7" >&2; exit 3 ;;
  *) echo "fake-worker: unknown seed $seed" >&2; exit 65 ;;
esac
