#!/usr/bin/env python3
"""Train the entropy model of the MDCT audio codec (audio-mdct); resumable from its checkpoint.

Interpreter: Debian's PyTorch (/usr/bin/python3), or any Python with torch >= 1.13; ffmpeg on PATH.

    nice -n 19 /usr/bin/python3 training/train_audio_mdct.py --threads 1

Data: the clips of --data (default ../shared/data/audio/train) as train_audio.py loads them
(24 kHz mono, the same HOLDOUT clips kept out, the same decoded-PCM cache and random segments).
Each item gets a random global step (log-uniform over STEP_RANGE), step shape exponent
(ALPHA_RANGE) and dead zone (THETA_RANGE); the loss is its estimated kbit/s (the distortion
is fixed by the step: lcodec_train/mdct.py) plus FILL_WEIGHT times the negative
log-likelihood (kbit/s) of the coefficients rounded to 0 under the fill spread h_s predicts. Checkpoints in --ckpt-dir (default
~/.cache/lcodec-train/audio-mdct/last.pt) every --ckpt-minutes and on SIGTERM/SIGINT;
log.csv beside it (train rows: mean kbps; holdout rows: kbps at the MONITOR steps).
"""
from __future__ import annotations

import argparse
import math
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.mdct import N, SAMPLE_RATE, Z_STRIDE, MdctHyperprior, bits, deadzone, step_shape  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402
from train_audio import HOLDOUT_SECONDS, Batcher, atomic_save, load_clips  # noqa: E402

# fp16 weights of a training step (with its step count), committed so a fresh machine resumes there.
SEED = Path(__file__).resolve().parent / "weights/audio-mdct.pt"
ARCH = {"Nz": 32, "Ch": 192, "Ha": 192}
STEP_RANGE = (0.004, 0.4)
ALPHA_RANGE = (0.0, 1.0)
THETA_RANGE = (0.0, 0.3)
FILL_WEIGHT = 0.5
MONITOR = {"steps": [0.005, 0.02, 0.08], "alpha": 0.5, "theta": 0.15}


def scaled(model: MdctHyperprior, x: torch.Tensor, step: torch.Tensor, alpha: torch.Tensor, theta: torch.Tensor,
           raw: bool = False):
    """x (B, 1, T N) -> the dead-zoned scaled coefficients (B, N, T) (and, with `raw`, before the dead zone)."""
    X = model.g_a(x)
    w = step_shape(alpha).to(x.device) * step[:, None]
    y = X / w[:, :, None]
    yd = deadzone(y, theta[:, None, None])
    return (yd, y) if raw else yd


@torch.no_grad()
def monitor(model: MdctHyperprior, hold: list[np.ndarray]) -> list[tuple[float, float]]:
    model.eval()
    rows = []
    unit = N * Z_STRIDE
    for s in MONITOR["steps"]:
        kb = []
        for clip in hold:
            n = min(len(clip), int(HOLDOUT_SECONDS * SAMPLE_RATE))
            x = torch.zeros(1, 1, math.ceil(n / unit) * unit)
            x[0, 0, :n] = torch.from_numpy(clip[:n])
            y, y_raw = scaled(model, x, torch.tensor([s]), torch.tensor([MONITOR["alpha"]]), torch.tensor([MONITOR["theta"]]), raw=True)
            kb.append(bits(model(y, y_raw, noise=False)).item() / (n / SAMPLE_RATE) / 1000)
        rows.append((s, sum(kb) / len(kb)))
    model.train()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="audio-mdct")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/audio/train")
    ap.add_argument("--ckpt-dir", type=Path, default=None)
    ap.add_argument("--init-from", type=Path, default=SEED if SEED.exists() else None,
                    help="start from these weights when there is no checkpoint (default: the committed seed)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--frames", type=int, default=64, help="MDCT frames per segment (a multiple of Z_STRIDE)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--steps", type=int, default=10**9)
    ap.add_argument("--minutes", type=float, default=1e9)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--monitor-every", type=int, default=500)
    ap.add_argument("--cache", type=Path, default=CACHE_DIR / "audio-train-24k.npz")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--family", choices=["gaussian", "laplace"], default=None,
                    help="likelihood of y in the loss (default: the checkpoint's, else gaussian); the bundle's tables are Laplacian")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.seed is not None:
        torch.manual_seed(args.seed)
        random.seed(args.seed)
        np.random.seed(args.seed)
    ckpt_dir = args.ckpt_dir or CACHE_DIR / args.model
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / "last.pt"

    state = torch.load(ckpt_path, map_location="cpu") if ckpt_path.exists() else None
    init = torch.load(args.init_from, map_location="cpu") if state is None and args.init_from else None
    arch = dict(state["arch"] if state else init.get("arch", ARCH) if init else ARCH)
    if args.family:
        arch["family"] = args.family
    model = MdctHyperprior(**arch)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, trained_s = 0, 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, trained_s = state["step"], state["trained_s"]
        print(f"resumed {ckpt_path} at step {step} ({trained_s / 3600:.2f} h trained)", flush=True)
    elif init is not None:
        model.load_state_dict({k: v.float() for k, v in init["model"].items()})
        step, trained_s = init.get("step", 0), init.get("trained_s", 0.0)
        print(f"initialized from {args.init_from} (step {step})", flush=True)
    for g in opt.param_groups:
        g["lr"] = args.lr

    t0 = time.time()
    train_clips, hold = load_clips(args.data, args.cache)
    length = args.frames * N
    batcher = Batcher(train_clips, length)
    print(f"{len(train_clips)} training clips, {len(hold)} holdout, decoded in {time.time() - t0:.0f} s; {arch}, "
          f"{args.frames} frames, batch {args.batch}", flush=True)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))

    def save() -> None:
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "trained_s": trained_s,
                     "arch": arch, "model_name": args.model, "segment": length, "batch": args.batch}, ckpt_path)

    log = open(ckpt_dir / "log.csv", "a")
    run_start = last_ckpt = win_t = time.time()
    win_n, win_kbps, win_fill = 0, 0.0, 0.0
    seconds = length / SAMPLE_RATE
    lo, hi = math.log(STEP_RANGE[0]), math.log(STEP_RANGE[1])
    model.train()
    while step < args.steps and not stop["now"] and time.time() - run_start < args.minutes * 60:
        ts = time.time()
        x = batcher(args.batch)
        B = x.shape[0]
        s = torch.exp(torch.empty(B).uniform_(lo, hi))
        alpha = torch.empty(B).uniform_(*ALPHA_RANGE)
        theta = torch.empty(B).uniform_(*THETA_RANGE)
        with torch.no_grad():
            y, y_raw = scaled(model, x, s, alpha, theta, raw=True)
        out = model(y, y_raw, fill=True)
        kbps = bits(out) / seconds / 1000
        fill = out["fill_nll"] / seconds / 1000
        loss = kbps.mean() + FILL_WEIGHT * fill.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        trained_s += time.time() - ts
        win_n += 1
        win_kbps += kbps.mean().item()
        win_fill += fill.mean().item()
        if step % 100 == 0:
            print(f"step {step} kbps {win_kbps / win_n:.3f} fill {win_fill / win_n:.3f} "
                  f"{win_n / (time.time() - win_t):.2f} steps/s", flush=True)
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},train,{win_kbps / win_n:.4f},{win_fill / win_n:.4f}\n")
            log.flush()
            win_n, win_kbps, win_fill, win_t = 0, 0.0, 0.0, time.time()
        if hold and args.monitor_every > 0 and step % args.monitor_every == 0:
            rows = monitor(model, hold)
            print("  holdout " + " ".join(f"step {s:g}: {kb:.2f} kbps" for s, kb in rows), flush=True)
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},holdout," + ",".join(f"{kb:.4f}" for _, kb in rows) + "\n")
            log.flush()
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
