"""Produces worker/tests/data/reference_numbers.json: independent reference values for the
metric and bicubic tests, computed with scikit-image and OpenCV.

Run from the repository root (needs numpy, scikit-image, opencv-python-headless):
    python3 worker/tests/make_reference_numbers.py
The Rust tests (worker/tests/metrics_reference.rs) rebuild the same inputs from the same
formulas and compare; they never run Python.
"""
import json
import sys

import cv2
import numpy as np
import skimage
from skimage.metrics import structural_similarity


def formula_a(h, w):
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return ((i * i * 7 + j * 13 + (i * j) % 11 * 5) % 256).astype(np.uint8)


def formula_b(h, w):
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    a = formula_a(h, w).astype(np.int64)
    return np.clip(a + ((i * 3 + j * 5) % 9 - 4) * 6, 0, 255).astype(np.uint8)


def formula_small(h, w):
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return (((i * 17 + j * 29) % 23) / 22.0).astype(np.float32)


def to_u8(x):
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)  # numpy rounds half to even


def metrics(out_u8, gt_u8):
    o, g = out_u8.astype(np.float64), gt_u8.astype(np.float64)
    mse = np.mean((o - g) ** 2)
    return {
        "psnr": float(10 * np.log10(255.0**2 / mse)),
        "aad": float(np.mean(np.abs(o - g))),
        "ssim": float(structural_similarity(o, g, data_range=255)),
    }


out = {"produced_by": f"worker/tests/make_reference_numbers.py (numpy {np.__version__}, "
       f"scikit-image {skimage.__version__}, opencv {cv2.__version__}, python {sys.version.split()[0]})"}

a, b = formula_a(16, 20), formula_b(16, 20)
out["ssim_formula_16x20"] = float(structural_similarity(a.astype(np.float64), b.astype(np.float64), data_range=255))

small = formula_small(5, 6)
up = cv2.resize(small, (24, 20), interpolation=cv2.INTER_CUBIC)
out["bicubic_formula_5x6_to_20x24"] = [float(v) for v in up.ravel()]

hr = cv2.imread("worker/tests/data/tomobank/rad_00001h.png", cv2.IMREAD_UNCHANGED)
lr = cv2.imread("worker/tests/data/tomobank/rad_00001l.png", cv2.IMREAD_UNCHANGED)
assert hr.dtype == np.uint8 and hr.ndim == 2 and lr.ndim == 2
lr_up = cv2.resize(lr.astype(np.float32) / 255.0, (hr.shape[1], hr.shape[0]), interpolation=cv2.INTER_CUBIC)
out["tomobank_bicubic_vs_hr"] = metrics(to_u8(lr_up), hr)
out["tomobank_bicubic_u8_checksum"] = int(to_u8(lr_up).astype(np.int64).sum())

json.dump(out, open("worker/tests/data/reference_numbers.json", "w"), indent=1)
print({k: v for k, v in out.items() if not k.startswith("bicubic_formula")})
