#!/usr/bin/env python3
"""Generates the bundled sample media (deterministic; needs numpy and Pillow).

    python3 samples/make_samples.py

landscape.png: a procedural landscape (sky, fractal mountains, lake with reflection,
textured meadow) with the smooth regions, edges and fine texture a photo has.
"""
from pathlib import Path

import numpy as np
from PIL import Image

W, H = 512, 384
rng = np.random.default_rng(20261123)


def fractal_noise(h: int, w: int, octaves: int = 7, persistence: float = 0.55) -> np.ndarray:
    out = np.zeros((h, w))
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = 2 ** (o + 2)
        grid = rng.standard_normal((cells + 1, cells + 1))
        ys = np.linspace(0, cells, h, endpoint=False)
        xs = np.linspace(0, cells, w, endpoint=False)
        y0, x0 = ys.astype(int), xs.astype(int)
        fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
        fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
        g = grid
        top = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
        bot = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
        out += amp * (top * (1 - fy) + bot * fy)
        total += amp
        amp *= persistence
    return out / total


def ridge(w: int, base: float, rough: float, octaves: int = 8) -> np.ndarray:
    n = fractal_noise(8, w, octaves)[4]
    return base + rough * n


yy, xx = np.mgrid[0:H, 0:W].astype(float)
img = np.zeros((H, W, 3))
# sky: vertical gradient with soft clouds
t = yy / H
sky = np.stack([0.35 + 0.45 * t, 0.55 + 0.35 * t, 0.85 + 0.1 * t], -1)
clouds = np.clip(fractal_noise(H, W, 6) * 1.8 + 0.1, 0, 1)[..., None]
img[:] = sky * (1 - 0.6 * clouds) + 0.97 * 0.6 * clouds
horizon = int(H * 0.62)
# two mountain ranges
for base, rough, col, shade in [(0.40, 0.25, (0.42, 0.45, 0.55), 0.15), (0.52, 0.18, (0.25, 0.33, 0.22), 0.25)]:
    top = (ridge(W, base, rough) * H).astype(int)
    tex = fractal_noise(H, W, 7)
    for x in range(W):
        r0 = max(top[x], 0)
        rows = np.arange(r0, horizon)
        shadow = shade * tex[rows, x]
        img[rows, x] = np.clip(np.array(col)[None] * (1 + shadow[:, None] * 2), 0, 1)
        snow = rows < r0 + 6 + 4 * tex[rows, x] if base < 0.45 else np.zeros_like(rows, bool)
        img[rows[snow], x] = 0.92
# lake with a rippled reflection
lake_h = int(H * 0.14)
for r in range(horizon, horizon + lake_h):
    d = r - horizon
    src = max(horizon - 1 - d, 0)
    ripple = (np.sin(xx[r] * 0.35 + d * 0.9) * 2).astype(int)
    img[r] = img[src, np.clip(np.arange(W) + ripple, 0, W - 1)] * np.array([0.75, 0.82, 0.92])
# meadow: green texture with flowers
m0 = horizon + lake_h
g = fractal_noise(H - m0, W, 8)
grass = np.stack([0.22 + 0.25 * g, 0.45 + 0.3 * g, 0.12 + 0.12 * g], -1)
fine = rng.standard_normal((H - m0, W, 1)) * 0.04
img[m0:] = np.clip(grass + fine, 0, 1)
for _ in range(260):
    fy, fx = rng.integers(m0 + 3, H - 2), rng.integers(2, W - 2)
    img[fy - 1:fy + 2, fx - 1:fx + 2] = [rng.choice([0.95, 0.9]), rng.uniform(0.2, 0.9), rng.uniform(0.1, 0.4)]
img = np.clip(img + rng.standard_normal(img.shape) * 0.008, 0, 1)
out = Path(__file__).resolve().parent / "landscape.png"
Image.fromarray((img * 255 + 0.5).astype(np.uint8)).save(out, optimize=True)
print(f"wrote {out}")
