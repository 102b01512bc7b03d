#!/usr/bin/env python3
"""Temporal noise shaping of audio-mdct (codecs/audio/tns.ts) on the holdout clips (first 6 s,
each at its chunk level): float entropy model, Gaussian bits plus the side bits (1 per frame,
4 per reflection coefficient when on), the project's mel distance. Compares TNS off with TNS on
from several prediction gains, and other start coefficients and orders.

    /usr/bin/python3 training/probes/mdct_tns.py --ckpt ~/.cache/lcodec-train/audio-mdct/last.pt --step 0.026
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.audio import SpectralLoss  # noqa: E402
from lcodec_train.mdct import SAMPLE_RATE, Z_STRIDE, bits, deadzone, fill_spread, levelled, step_shape  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402
from mdct_tune import clips_of, load_model  # noqa: E402
from train_audio import HOLDOUT, HOLDOUT_SECONDS, load_clips  # noqa: E402

LEVELS = 15  # reflection coefficients sin((j − 7) / 7.5 · π / 2), j = 0..14, as the bundle's parcor


def step_up(ks: list[float]) -> np.ndarray:
    a = np.array([1.0])
    for k in ks:
        a = np.concatenate([a, [0.0]])
        a = a + k * a[::-1]
    return a


def predictor(c: np.ndarray, p: int, min_gain: float) -> np.ndarray | None:
    """Quantized direct-form predictor of one frame's coefficients, or None (off), as tns.ts."""
    r = np.array([np.dot(c[:len(c) - i], c[i:]) for i in range(p + 1)]) * np.exp(-0.5 * (0.02 * np.arange(p + 1)) ** 2)
    if r[0] <= 1e-12:
        return None
    a, e, ks = np.zeros(p + 1), r[0], []
    a[0] = 1
    for i in range(1, p + 1):
        k = -(r[i] + np.dot(a[1:i], r[i - 1:0:-1])) / e if e > 0 else 0.0
        ks.append(k)
        a[1:i + 1] = a[1:i + 1] + k * a[i - 1::-1][:i]
        e *= 1 - k * k
    if r[0] / max(e, 1e-300) < min_gain:
        return None
    mid = (LEVELS - 1) / 2
    idx = [min(LEVELS - 1, max(0, round(mid + math.asin(max(-0.999, min(0.999, k))) / (math.pi / 2) * (mid + 0.5)))) for k in ks]
    return step_up([math.sin((j - mid) / (mid + 0.5) * math.pi / 2) for j in idx])


@torch.no_grad()
def code(model, x, step: float, k0: int, order: int, min_gain: float | None, fill=0.45, tilt=0.25, theta=0.1):
    """(x_hat, model bits + side bits, share of frames filtered); min_gain None: TNS off."""
    L = x.shape[-1]
    X = model.mdct(x.flatten(1))
    X = F.pad(X, (0, (-X.shape[2]) % Z_STRIDE))
    Xn = X[0].double().numpy()
    filters = [None if min_gain is None else predictor(Xn[k0:, t], order, min_gain) for t in range(Xn.shape[1])]
    E = Xn.copy()
    for t, a in enumerate(filters):
        if a is not None:
            c = Xn[k0:, t]
            e = c.copy()
            for i in range(1, order + 1):
                e[i:] += a[i] * c[:-i]
            E[k0:, t] = e
    w = step_shape(1.0)[0][:, None] * step
    y_raw = torch.from_numpy(E).float()[None] / w
    y = deadzone(y_raw, theta)
    out = model(y, y_raw, noise=False)
    sym = torch.round(y)
    u = (torch.rand(sym.shape, generator=torch.Generator().manual_seed(0)) * 2 - 1) * math.sqrt(3)
    filled = fill * step_shape(tilt)[0][:, None] * fill_spread(out["f"], theta) * u
    Eh = (torch.where(sym != 0, sym, filled) * w)[0].double().numpy()
    for t, a in enumerate(filters):
        if a is not None:
            v = Eh[k0:, t]
            for k in range(len(v)):
                v[k] -= sum(a[i] * v[k - i] for i in range(1, min(order, k) + 1))
    x_hat = model.mdct.inverse(torch.from_numpy(Eh).float()[None])[:, :L].reshape(1, 1, L)
    on = sum(a is not None for a in filters)
    side = 0 if min_gain is None else len(filters) + 4 * order * on
    return x_hat, bits(out).item() + side, on / len(filters)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, default=CACHE_DIR / "audio-mdct/last.pt")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/audio/train")
    ap.add_argument("--step", type=float, default=0.026)
    ap.add_argument("--configs", nargs="+", default=["off", "40,4,1.05", "40,4,1.2", "40,4,1.5", "40,4,2.0", "8,4,1.4", "40,8,1.05"],
                    help="'off' or k0,order,min_gain")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, state = load_model(args.ckpt)
    _, hold = load_clips(args.data, CACHE_DIR / "audio-train-24k.npz")
    xs = [levelled(x) for x in clips_of(hold, HOLDOUT_SECONDS)]
    seconds = sum(x.shape[-1] for x in xs) / SAMPLE_RATE
    loss = SpectralLoss()
    print(f"step {state['step']}, global step {args.step}")
    for cfg in args.configs:
        k0, order, g = (40, 4, None) if cfg == "off" else (int(cfg.split(",")[0]), int(cfg.split(",")[1]), float(cfg.split(",")[2]))
        mel, speech, b, on = [], [], 0.0, []
        for name, x in zip(HOLDOUT, xs):
            x_hat, nb, share = code(model, x, args.step, k0, order, g)
            m = loss(x_hat, x)[0].item()
            mel.append(m)
            if name.startswith("speech"):
                speech.append(m)
            b += nb
            on.append(share)
        print(f"{cfg:>10}: {b / seconds / 1000:.2f} kbit/s, mel {np.mean(mel):.3f} (speech {np.mean(speech):.3f}), filtered {np.mean(on):.2f}",
              flush=True)


if __name__ == "__main__":
    main()
