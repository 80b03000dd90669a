"""Forward FLOPs per sample of SWIN-XVR, counted layer by layer without the Rust code: the expected
values of the tests in worker/src/model/flops.rs.

Run from anywhere (Python 3 standard library only):
    python3 worker/tests/flops_reference.py

Convention (docs/model.md#flops): 2 FLOPs per multiply-add of every convolution, Linear and the two
attention matmuls (q·kᵀ and attention·v); attention runs on the zero-padded window grid, the MLP on the
real tokens, conv_after_body on the reconstructed frame only; biases, norms, activations, softmax,
bias/mask additions, pooling and reshapes are free. The layer list follows docs/model.md#layers.
"""
import math


def conv3x3(c_in, c_out, h, w):
    """A 3x3, stride-1, zero-padded conv: one output pixel per input pixel, 9·c_in multiply-adds each."""
    return 2 * 9 * c_in * c_out * h * w


def linear(f_in, f_out, rows):
    return 2 * f_in * f_out * rows


def pooled(n):
    """Output edge of MaxPool2d(kernel 3, stride 2, padding 1)."""
    return (n + 2 - 3) // 2 + 1


def forward_flops(h, w, lr_frames=3, window=8, heads=3, channels=192, depths=(2, 2, 18, 2),
                  mlp_ratio=2.0, recon=64):
    c, r, nl = channels, recon, lr_frames
    t = nl + 2                      # NL LR frames + 2 HR frames
    hh, hw = 4 * h, 4 * w           # HR size
    hidden = int(c * mlp_ratio)
    layers = []
    # Shallow features: conv 1→C per LR frame; per HR frame conv 1→C and C→C at HR size, C→C after one pool.
    layers += [conv3x3(1, c, h, w)] * nl
    layers += [conv3x3(1, c, hh, hw), conv3x3(c, c, hh, hw), conv3x3(c, c, pooled(hh), pooled(hw))] * 2
    # Windows: time is one window of T frames; a spatial window no larger than the frame; grid padded.
    wy, wx = min(window, h), min(window, w)
    windows = math.ceil(h / wy) * math.ceil(w / wx)
    n = t * wy * wx                 # tokens per window
    d = c // heads                  # head width
    for depth in depths:
        for _ in range(depth):
            per_window = linear(c, 3 * c, n) + heads * (2 * n * n * d + 2 * n * n * d) + linear(c, c, n)
            layers.append(windows * per_window)
            layers.append(linear(c, hidden, t * h * w) + linear(hidden, c, t * h * w))
        layers += [conv3x3(c, c, h, w)] * t          # the stage's conv, on every frame
    layers.append(conv3x3(c, c, h, w))               # conv_after_body, reconstructed frame only
    layers.append(conv3x3(c, r, h, w))               # head: conv_before_upsample
    layers.append(conv3x3(r, 4 * r, h, w))           # conv, pixel shuffle ×2
    layers.append(conv3x3(r, 4 * r, 2 * h, 2 * w))   # conv, pixel shuffle ×2
    layers.append(conv3x3(r, 1, 4 * h, 4 * w))       # conv_last
    return sum(layers)


if __name__ == "__main__":
    print("small (C48, 2 heads, W4, 2/2/2/2) at 24x24:",
          forward_flops(24, 24, window=4, heads=2, channels=48, depths=(2, 2, 2, 2)))
    print("baseline at 24x24:", forward_flops(24, 24))
    print("final (C384, 6 heads, W4) at 24x24:", forward_flops(24, 24, window=4, heads=6, channels=384))
