#!/usr/bin/env bash
# Reconstruction speed (docs/benchmarks.md#reconstruction): `xvr reconstruct` on 400×1024 HR frames (the
# TomoBank rad_00001 previews in worker/tests/data/tomobank: real x-ray frames, LR 100×256) with the small and
# the final model, at 1 and 2 ranks. The weights come from one training iteration: the speed of a forward pass
# does not depend on what the weights are.
#
#   worker/bench/reconstruct_speed.sh [FRAMES]      (default 4 frames; HR every 2 frames)
#
# Needs the release binaries (`cargo build --release --workspace`). Prints one line per run from
# reconstruct.json; the work folder is printed first and kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
frames=${1:-4}
bin=target/release
work=$(mktemp -d)
echo "work folder: $work; load average: $(cat /proc/loadavg)"
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
echo "load average after: $(cat /proc/loadavg)"
