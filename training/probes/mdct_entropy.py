#!/usr/bin/env python3
"""The entropy coding of audio-mdct, measured on the holdout clips (first 6 s, each at its chunk
level): estimated kbit/s at two steps, for y coded under the hyperprior's scales alone (Gaussian
or Laplacian tables) and under the scale-index context (lcodec_train/mdct.py: CONTEXT) with
other weights, lambda and kappa.

    /usr/bin/python3 training/probes/mdct_entropy.py --ckpt ~/.cache/lcodec-train/audio-mdct/last.pt
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_audio_mdct as ex  # noqa: E402
from lcodec_train.layers import gaussian_likelihood  # noqa: E402
from lcodec_train.mdct import CONTEXT, N, SAMPLE_RATE, Z_STRIDE, context_tables, deadzone, levelled, step_shape  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402
from mdct_tune import load_model  # noqa: E402
from train_audio import HOLDOUT_SECONDS, load_clips  # noqa: E402


@torch.no_grad()
def gaussian_kbps(model, segs, step: float) -> float:
    """y under the hyperprior's sigma snapped to the scale table, Gaussian tables (no context)."""
    total = 0.0
    for x in segs:
        y_raw = model.g_a(x) / (step_shape(1.0)[0][:, None] * step)
        out = model(deadzone(y_raw, 0.1), y_raw, noise=False)
        sym = torch.round(deadzone(y_raw, 0.1))[0].double()
        sigma = torch.from_numpy(ex.SCALE_TABLE[ex.scale_index(out["sigma"][0])])
        total += -torch.log2(gaussian_likelihood(sym, sigma).clamp(min=1e-9)).sum().item()
        total += -torch.log2(out["z_lik"]).sum().item()
    return total / (sum(x.shape[-1] for x in segs) / SAMPLE_RATE) / 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, default=CACHE_DIR / "audio-mdct/last.pt")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/audio/train")
    ap.add_argument("--steps", type=float, nargs="+", default=[0.04735, 0.01939], help="global steps (q4, q6 as shipped)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, state = load_model(args.ckpt)
    _, hold = load_clips(args.data, CACHE_DIR / "audio-train-24k.npz")
    unit = N * Z_STRIDE
    segs = [levelled(torch.from_numpy(c[:min(len(c), int(HOLDOUT_SECONDS * SAMPLE_RATE)) // unit * unit].copy()).reshape(1, 1, -1))
            for c in hold]
    print(f"step {state['step']}; kbit/s at steps {args.steps}")
    print("Gaussian tables, no context:", " ".join(f"{gaussian_kbps(model, segs, s):.3f}" for s in args.steps))
    print("Laplacian tables, no context:", " ".join(f"{ex.rate(model, segs, s, 1.0, 0.1, None):.3f}" for s in args.steps))

    def run(name: str, **kw) -> None:
        c = copy.deepcopy(CONTEXT)
        c.update(kw)
        tables = context_tables(ex.SCALE_TABLE, c)
        print(f"Laplacian, context {name}:", " ".join(f"{ex.rate(model, segs, s, 1.0, 0.1, tables):.3f}" for s in args.steps), flush=True)

    run("as shipped")
    for lam in (0.6, 0.9):
        run(f"lambda {lam}", lam=lam)
    for kappa in (0.75, 3.0):
        run(f"kappa {kappa}", kappa=kappa)
    run("previous frame only", neighbours=[[0, 1, 1]])
    run("previous frame and the coefficient below", neighbours=[[0, 1, 1], [1, 0, 1]])
    run("six neighbours", neighbours=[[0, 1, 2], [1, 0, 2], [1, 1, 1], [0, 2, 1], [1, -1, 1], [2, 0, 1]])


if __name__ == "__main__":
    main()
