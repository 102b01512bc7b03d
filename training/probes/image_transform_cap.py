"""Probe: how much of an image checkpoint's distortion the transforms cause on their own.
For two qualities, PSNR of g_s(g_a(x)) on four Kodak images with no quantization of y, and with
y plainly rounded (no hyperprior mean): when the two are close, the transforms cap the quality.
A hyperprior or a channel-wise (channel-mse) checkpoint; the channel model's LRP, which only
corrects quantization error, is left out.
    /usr/bin/python3 training/probes/image_transform_cap.py <last.pt> [q ...]"""
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

TRAINING = Path(__file__).resolve().parents[1]
KODAK = TRAINING.parents[1] / "shared/data/images/kodak"
sys.path.insert(0, str(TRAINING))
from lcodec_train.channel import load_image_model  # noqa: E402

torch.set_num_threads(1)
model, _ = load_image_model(sys.argv[1])
images = [np.asarray(Image.open(KODAK / f"kodim{i:02d}.png").convert("RGB")) for i in (1, 5, 14, 23)]
qualities = [int(a) for a in sys.argv[2:]] or [model.qualities // 2, model.qualities - 1]


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return 10 * math.log10(1 / torch.mean((a.clamp(0, 1) - b) ** 2).item())


with torch.no_grad():
    for q in qualities:
        qt = torch.tensor([q])
        exact, rounded = [], []
        for im in images:
            x = torch.from_numpy(im.copy()).permute(2, 0, 1)[None].float() / 255
            y = model.g_a(x) * model._gain(model.log_gain, qt)
            exact.append(psnr(model.g_s(y * model._gain(model.log_igain, qt)), x))
            rounded.append(psnr(model.g_s(torch.round(y) * model._gain(model.log_igain, qt)), x))
        print(f"q{q}: no quantization {sum(exact) / 4:.2f} dB, rounded {sum(rounded) / 4:.2f} dB")
