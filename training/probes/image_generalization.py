"""Probe: does the image model do better on its training images than on Kodak? For a few
qualities, the mean over images of its rate (entropy estimate, rounded latents) over JPEG's rate
(Pillow, 4:2:0, interpolated on a quality sweep) at the same PSNR, on 12 training images and on
every other Kodak image. Images are cropped by 4 px first, off the 8x8 grid the stored training
JPEGs were made on. Equal ratios: no sign of overfitting the 635 training images.
    /usr/bin/python3 training/probes/image_generalization.py <last.pt> [q ...]"""
import io
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

TRAINING = Path(__file__).resolve().parents[1]
IMAGES = TRAINING.parents[1] / "shared/data/images"
sys.path.insert(0, str(TRAINING))
from lcodec_train.hyperprior import bits_per_image, load_hyperprior  # noqa: E402

torch.set_num_threads(1)
model, _ = load_hyperprior(sys.argv[1])
qualities = [int(a) for a in sys.argv[2:]] or [2, 5, 8]


def load(path: Path) -> np.ndarray:
    a = np.asarray(Image.open(path).convert("RGB"))[4:, 4:]
    return a[: a.shape[0] // 64 * 64, : a.shape[1] // 64 * 64].copy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * math.log10(255 ** 2 / np.mean((a.astype(float) - b.astype(float)) ** 2))


def jpeg_rate_at(a: np.ndarray, target: float) -> float:
    """JPEG's bpp at PSNR `target`, log-interpolated between the two qualities around it."""
    curve = []
    for q in range(5, 100, 5):
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "JPEG", quality=q, subsampling=2)
        decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        curve.append((psnr(a, decoded), len(buf.getvalue()) * 8 / (a.shape[0] * a.shape[1])))
    for (p0, b0), (p1, b1) in zip(curve, curve[1:]):
        if p0 <= target <= p1:
            t = (target - p0) / (p1 - p0)
            return math.exp(math.log(b0) * (1 - t) + math.log(b1) * t)
    return math.nan


random.seed(1)
sets = {"train": random.sample(sorted((IMAGES / "train").iterdir()), 12),
        "kodak": sorted((IMAGES / "kodak").iterdir())[::2]}
for name, files in sets.items():
    for q in qualities:
        ratios = []
        for f in files:
            a = load(f)
            x = torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255
            with torch.no_grad():
                out = model(x, torch.tensor([q]), noise=False)
            bpp = bits_per_image(out).item() / (a.shape[0] * a.shape[1])
            x_hat = (out["x_hat"].clamp(0, 1) * 255).round()[0].permute(1, 2, 0).numpy()
            ratios.append(bpp / jpeg_rate_at(a, psnr(a, x_hat)))
        ratios = [r for r in ratios if not math.isnan(r)]
        print(f"{name} q{q}: rate / JPEG's at the same PSNR {sum(ratios) / len(ratios):.3f} "
              f"({len(ratios)} images)", flush=True)
