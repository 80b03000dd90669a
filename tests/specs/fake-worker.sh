#!/bin/bash
# Stand-in for `xvr-worker run TRIAL_DIR` in scheduler tests. What it does is chosen by
# the trial's train.seed: 0 succeed, 1 exit with status 3, 2 sleep 600 s (for walltime
# kills and cancels), 3 sleep 1 s then succeed. Each run appends one line per rank to
# TRIAL_DIR/fake-worker.log with the rank, CUDA_VISIBLE_DEVICES and PBS_JOBID.
set -eu
[ "$1" = run ] || { echo "usage: fake-worker.sh run TRIAL_DIR" >&2; exit 64; }
dir=$2
seed=$(awk '/^[a-z]/ { section = $1 } section == "train:" && $1 == "seed:" { print $2; exit }' "$dir/trial.yaml")
echo "rank=${PMI_RANK:-0} cuda=${CUDA_VISIBLE_DEVICES:-} job=${PBS_JOBID:-} nodefile=$(cat "${PBS_NODEFILE:-/dev/null}" | wc -l)" >> "$dir/fake-worker.log"
case "$seed" in
  0) exit 0 ;;
  1) exit 3 ;;
  2) sleep 600 ;;
  3) sleep 1 ;;
  *) echo "fake-worker: unknown seed $seed" >&2; exit 65 ;;
esac
