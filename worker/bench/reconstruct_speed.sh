#!/usr/bin/env bash
# Reconstruction speed (docs/benchmarks.md#reconstruction): `xvr reconstruct` on 400×1024 HR frames (the
# TomoBank rad_00001 previews in worker/tests/data/tomobank: real x-ray frames, LR 100×256) with the small and
# the final model, at 1 and 2 ranks. The weights come from one training iteration: the speed of a forward pass
# does not depend on what the weights are.
#
#   worker/bench/reconstruct_speed.sh [FRAMES] [JSON]   (default 2 frames, HR every 2 frames;
#                                                          JSON: where the results go as one file)
#
# Needs the release binaries (`cargo build --release --workspace`) and a quiet machine. Prints one
# line per run from reconstruct.json and writes them all, with the load average before and after,
# to JSON (default: reconstruct_speed.json in the work folder, which is printed first and kept).
set -euo pipefail
cd "$(dirname "$0")/../.."
frames=${1:-2}
bin=target/release
work=$(mktemp -d)
json=${2:-$work/reconstruct_speed.json}
load_before=$(cat /proc/loadavg)
echo "work folder: $work; load average: $load_before"
mkdir -p "$work/lr" "$work/hr"
for t in $(seq 0 $((frames - 1))); do
    cp worker/tests/data/tomobank/rad_00001l.png "$work/lr/$(printf %08d "$t").png"
done
for t in $(seq 0 $(((frames - 1) / 2))); do
    cp worker/tests/data/tomobank/rad_00001h.png "$work/hr/$(printf %08d "$t").png"
done
# small = SwinXvrConfig::small(); final = the paper's final model (docs/model.md#hyperparameters).
declare -A models=(
    [small]="{channels: 48, heads: 2, window: 4, depths: [2, 2, 2, 2]}"
    [final]="{channels: 384, heads: 6, window: 4, depths: [2, 2, 18, 2]}"
)
for config in small final; do
    mkdir -p "$work/$config"
    cat > "$work/$config/trial.yaml" <<YAML
meta: {id: bench-$config}
model: ${models[$config]}
data: {synthetic: {videos: 2, frames: 8, height: 96, width: 96}, val_videos: 1, val_frames: 1}
train: {iterations: 1, warmup: -1, checkpoint_every: 0}
resources: {gpus: 1}
profile: {enabled: false}
YAML
    "$bin/xvr-worker" run "$work/$config" > "$work/$config/train.log" 2>&1
    for ranks in 1 2; do
        out="$work/out-$config-$ranks"
        "$bin/xvr" reconstruct --ranks "$ranks" "$work/$config" --lr "$work/lr" --hr "$work/hr" \
            --hr-every 2 --out "$out" > "$out.log" 2>&1
        python3 - "$out/reconstruct.json" "$config" "$ranks" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]} ranks={sys.argv[3]} frames={s['frames']} total_s={s['total_s']:.2f} "
      f"frames_per_s={s['frames_per_s']:.4f} mean_forward_s={s['mean_infer_s']:.2f} "
      f"flops_per_frame={s['flops_per_frame']}")
PY
    done
done
load_after=$(cat /proc/loadavg)
echo "load average after: $load_after"
python3 - "$json" "$work" "$load_before" "$load_after" <<'PY'
import glob, json, os, sys
path, work, before, after = sys.argv[1:]
runs = []
for f in sorted(glob.glob(os.path.join(work, "out-*", "reconstruct.json"))):
    s = json.load(open(f))
    config, ranks = os.path.basename(os.path.dirname(f))[4:].rsplit("-", 1)
    runs.append({"config": config, "ranks": int(ranks), **{k: s[k] for k in (
        "frames", "total_s", "frames_per_s", "mean_infer_s", "flops_per_frame", "params",
        "lr_size", "hr_size")}})
json.dump({"load_before": before, "load_after": after, "runs": runs}, open(path, "w"), indent=2)
print(f"wrote {path}")
PY
