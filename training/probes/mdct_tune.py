#!/usr/bin/env python3
"""Step shape, dead zone and noise fill of audio-mdct, measured: for each setting, the global
step that gives each target rate on the holdout clips (first 6 s), and the mel distance
(the project's metric) and SI-SDR there. Float entropy model; rates from its likelihoods.

    /usr/bin/python3 training/probes/mdct_tune.py --ckpt ~/.cache/lcodec-train/audio-mdct/last.pt \
        --alpha 0.3 0.6 --theta 0.1 0.2 --fill 0 0.7 1.0 --tilt 0 0.3 --kbps 8 12 16
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lcodec_train.audio import SpectralLoss  # noqa: E402
from lcodec_train.mdct import N, SAMPLE_RATE, MdctHyperprior, levelled, simulate  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402
from train_audio import HOLDOUT_SECONDS, load_clips  # noqa: E402


def si_sdr(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    a, b = x_hat.flatten().double(), x.flatten().double()
    s = (a @ b) / (b @ b).clamp(min=1e-12) * b
    return 10 * math.log10((s @ s).item() / max(((a - s) @ (a - s)).item(), 1e-12))


def clips_of(hold, seconds):
    out = []
    for c in hold:
        n = min(len(c), int(seconds * SAMPLE_RATE)) // N * N
        out.append(torch.from_numpy(c[:n].copy()).reshape(1, 1, -1))
    return out


def load_model(ckpt: Path) -> tuple[MdctHyperprior, dict]:
    """The entropy model of a checkpoint (or fp16 seed), in eval mode, and the checkpoint."""
    state = torch.load(ckpt, map_location="cpu")
    model = MdctHyperprior(**state["arch"])
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    return model.eval(), state


def kbps_at(model, xs, step, alpha, theta) -> float:
    bits = sum(simulate(model, x, step, alpha, theta, 0.0)[1] for x in xs)
    return bits / (sum(x.shape[-1] for x in xs) / SAMPLE_RATE) / 1000


def step_for(model, xs, target, alpha, theta) -> float:
    lo, hi = math.log(2e-3), math.log(1.0)
    for _ in range(9):
        mid = (lo + hi) / 2
        if kbps_at(model, xs, math.exp(mid), alpha, theta) > target:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, default=CACHE_DIR / "audio-mdct/last.pt")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/audio/train")
    ap.add_argument("--alpha", type=float, nargs="+", default=[0.5])
    ap.add_argument("--theta", type=float, nargs="+", default=[0.15])
    ap.add_argument("--fill", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument("--tilt", type=float, nargs="+", default=[0.0],
                    help="noise fill shape exponent: the fill times max(1, f / 1 kHz) ** tilt")
    ap.add_argument("--kbps", type=float, nargs="+", default=[8, 12, 16])
    ap.add_argument("--level", action="store_true", help="each clip at its chunk level, as the runtime codes it")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, state = load_model(args.ckpt)
    _, hold = load_clips(args.data, CACHE_DIR / "audio-train-24k.npz")
    xs = clips_of(hold, HOLDOUT_SECONDS)
    if args.level:
        xs = [levelled(x) for x in xs]
    loss = SpectralLoss()
    print(f"step {state['step']}")
    for alpha in args.alpha:
        for theta in args.theta:
            for kb in args.kbps:
                step = step_for(model, xs, kb, alpha, theta)
                for fill, tilt in itertools.product(args.fill, args.tilt):
                    mel, sdr = [], []
                    for x in xs:
                        x_hat, _ = simulate(model, x, step, alpha, theta, fill, tilt=tilt)
                        mel.append(loss(x_hat, x)[0].item())
                        sdr.append(si_sdr(x_hat, x))
                    print(f"alpha {alpha} theta {theta} {kb} kbps (step {step:.4f}) fill {fill} tilt {tilt}: "
                          f"mel {sum(mel) / len(mel):.3f} si-sdr {sum(sdr) / len(sdr):.2f}", flush=True)


if __name__ == "__main__":
    main()
