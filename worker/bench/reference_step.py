#!/usr/bin/env python3
"""Time one case of XFusion's `PatchTransformerSTF` (the PyTorch reference) on the CPU.

Run by `side_by_side.py`, once per measurement, in a fresh process so that the peak RSS
belongs to that case alone. Prints one JSON object on stdout.

The model is imported from an XFusion checkout (`--xfusion DIR`, commit d15e44b) by file
path: the architecture file imports its package's arch registry and the EDVR alignment
module (used only with `align_features_ok=True`, off here); both are replaced by minimal
stand-ins so that nothing else of the package (data pipeline, OpenCV, ...) is needed.
Needs `torch`, `timm` and `einops` (the architecture's own imports).
"""

import argparse
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

ARCH = "xfusion/train/basicsr/archs/VideoTransformerSTF_arch.py"

# Constructor arguments per benchmark config (docs/model.md; xvr's
# SwinXvrConfig::small / new / the paper's final model).
CONFIGS = {
    "small": dict(embed_dim=48, heads=2, window=4, depths=[2, 2, 2, 2]),
    "baseline": dict(embed_dim=192, heads=3, window=8, depths=[2, 2, 18, 2]),
    "final": dict(embed_dim=384, heads=6, window=4, depths=[2, 2, 18, 2]),
}


def load_model_class(xfusion: Path):
    """Imports PatchTransformerSTF from the checkout without importing its package."""
    registry = types.ModuleType("xfusion.train.basicsr.utils.registry")

    class _Registry:
        def register(self, obj=None):
            return (lambda o: o) if obj is None else obj

    registry.ARCH_REGISTRY = _Registry()
    edvr = types.ModuleType("xfusion.train.basicsr.archs.edvr_arch")
    edvr.PCDAlignment = edvr.InversePCDAlignment = None  # unused: align_features_ok=False
    for name in ["xfusion", "xfusion.train", "xfusion.train.basicsr", "xfusion.train.basicsr.utils",
                 "xfusion.train.basicsr.archs"]:
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package
    sys.modules[registry.__name__] = registry
    sys.modules[edvr.__name__] = edvr
    path = xfusion / ARCH
    if not path.is_file():
        sys.exit(f"reference_step.py: {path} does not exist: --xfusion must be an XFusion checkout (commit d15e44b)")
    spec = importlib.util.spec_from_file_location("xfusion.train.basicsr.archs.VideoTransformerSTF_arch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PatchTransformerSTF


def build(model_class, config: str):
    c = CONFIGS[config]
    return model_class(
        num_in_ch=1, num_feat_ext=c["embed_dim"], embed_dim=c["embed_dim"], num_frame=3,
        depths=c["depths"], num_heads=[c["heads"]] * len(c["depths"]), mlp_ratio=2,
        window_size=[5, c["window"], c["window"]], upscale=4, upsampler="pixelshuffle",
        resi_connection="1conv", drop_path_rate=0.2,
    )


def read_inputs(path: Path, batch: int, lr: int):
    """Raw little-endian f32: lq (B,3,1,lr,lr), hq (B,2,1,4lr,4lr), gt (B,1,4lr,4lr)."""
    shapes = [(batch, 3, 1, lr, lr), (batch, 2, 1, 4 * lr, 4 * lr), (batch, 1, 4 * lr, 4 * lr)]
    flat = np.fromfile(path, dtype="<f4")
    need = sum(int(np.prod(s)) for s in shapes)
    if flat.size != need:
        sys.exit(f"reference_step.py: {path} holds {flat.size} f32, expected {need} for batch {batch}")
    out, at = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(torch.from_numpy(flat[at:at + n].copy()).reshape(s))
        at += n
    return out


def peak_rss_mb() -> float:
    """VmHWM of /proc/self/status (getrusage's maxrss would include a larger parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status")


def timed(reps: int, run):
    run()
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        runs.append(time.perf_counter() - start)
    runs.sort()
    return {"median_s": runs[len(runs) // 2], "min_s": runs[0], "runs": len(runs)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--xfusion", type=Path, required=True)
    p.add_argument("--config", choices=sorted(CONFIGS), required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--what", choices=["train", "infer"], required=True)
    p.add_argument("--inputs", type=Path, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build(load_model_class(a.xfusion), a.config)
    lq, hq, gt = read_inputs(a.inputs, a.batch, 24)
    sample = {"lq": lq, "hq": hq}
    if a.what == "train":
        model.train()
        optim = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.99))

        def step():
            optim.zero_grad(set_to_none=True)
            loss = torch.nn.functional.l1_loss(model(sample)["out"], gt)
            loss.backward()
            optim.step()

        timing = timed(a.reps, step)
    else:
        model.eval()

        def infer():
            with torch.inference_mode():
                model(sample)["out"].sum().item()

        timing = timed(a.reps, infer)
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "config": a.config, "batch": a.batch,
        "what": a.what, "threads": torch.get_num_threads(), "timing": timing,
        "peak_rss_mb": peak_rss_mb(),
    }))


if __name__ == "__main__":
    main()
