"""Probe: what storing an image model's float transforms (g_a, h_a, g_s, and a channel model's
LRP) as int8 rows would cost, one scale per output channel, against the fp16 they are stored in
now (export.to_fp16_storage): half the bytes of those ONNX files. Estimated bpp and PSNR of the
float model (noise off, as exported) on four Kodak images for a few qualities, both ways.
ROUND=g_a.,h_a. rounds only those (default: all four).
    /usr/bin/python3 training/probes/image_int8_weights.py <weights or last.pt> [q ...]"""
import math
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

TRAINING = Path(__file__).resolve().parents[1]
KODAK = TRAINING.parents[1] / "shared/data/images/kodak"
sys.path.insert(0, str(TRAINING))
from lcodec_train.channel import load_image_model  # noqa: E402
from lcodec_train.hyperprior import bits_per_image  # noqa: E402

torch.set_num_threads(1)
TRANSFORMS = ("g_a.", "h_a.", "g_s.", "lrp.")
ROUND = tuple(os.environ.get("ROUND", ",".join(TRANSFORMS)).split(","))


def measure(model, images, q: int) -> tuple[float, float]:
    bpp, psnr = [], []
    for im in images:
        x = torch.from_numpy(im.copy()).permute(2, 0, 1)[None].float() / 255
        x = x[:, :, : x.shape[2] // 64 * 64, : x.shape[3] // 64 * 64]
        out = model(x, torch.tensor([q]), noise=False)
        bpp.append(bits_per_image(out).item() / (x.shape[2] * x.shape[3]))
        psnr.append(10 * math.log10(1 / F.mse_loss(out["x_hat"].clamp(0, 1), x).item()))
    return sum(bpp) / len(bpp), sum(psnr) / len(psnr)


def to_int8_rows(model) -> int:
    """Rounds every transform weight of >= 2 dims (GDN's terms excepted) to int8 rows in place;
    returns how many values were rounded."""
    n = 0
    for name, p in model.named_parameters():
        if name.startswith(ROUND) and p.dim() >= 2 and "beta" not in name and "gamma" not in name:
            rows = p.data.reshape(p.shape[0], -1)
            scale = (rows.abs().amax(1, keepdim=True) / 127).clamp(min=1e-12)
            p.data.copy_((torch.round(rows / scale) * scale).reshape(p.shape))
            n += p.numel()
    return n


model, _ = load_image_model(sys.argv[1])
for name, p in model.named_parameters():  # as stored now: fp16
    if name.startswith(TRANSFORMS):
        p.data.copy_(p.data.half().float())
images = [np.asarray(Image.open(KODAK / f"kodim{i:02d}.png").convert("RGB")) for i in (1, 5, 14, 23)]
qualities = [int(a) for a in sys.argv[2:]] or [0, model.qualities // 2, model.qualities - 1]
with torch.no_grad():
    before = {q: measure(model, images, q) for q in qualities}
    n = to_int8_rows(model)
    print(f"{n} weights to int8 rows")
    for q in qualities:
        (b0, p0), (b1, p1) = before[q], measure(model, images, q)
        print(f"q{q}: fp16 {b0:.4f} bpp {p0:.2f} dB; int8 {b1:.4f} bpp ({(b1 / b0 - 1) * 100:+.2f} %) {p1:.2f} dB ({p1 - p0:+.3f})")
