#!/usr/bin/env python3
"""Train the video codec's spatiotemporal entropy model; resumable from its checkpoint.

    /usr/bin/python3 training/train_video.py --model video-sem --threads 2

The video codec codes every frame with a trained image codec's transforms (`--base`, by
default ~/.cache/lcodec-train/weights/video-sem-base.fp16.pt: hyperprior-mse as exported at step 7,838,
kept apart so that later image exports do not change the video model); only the P-frame
entropy model (lcodec_train/video.py) is trained here, for rate alone, on the latents of
../shared/data/video/train computed once and cached in ~/.cache/lcodec-train/. Two training
clips (HOLDOUT) are kept out for monitoring: per quality, the bits of their P-frames under
this model against the same frames coded intra by the image model, in log.csv; the
checkpoint with the best mean of those ratios is kept as best.pt (what export_video.py takes).
"""
from __future__ import annotations

import argparse
import hashlib
import random
import signal
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.hyperprior import Hyperprior, bits_per_image, load_hyperprior  # noqa: E402
from lcodec_train.layers import gaussian_likelihood, lower_bound_likelihood  # noqa: E402
from lcodec_train.paths import CACHE_DIR, SEED_DIR  # noqa: E402
from lcodec_train.video import TemporalPrior, bits, clip_latents, read_clip_rgb  # noqa: E402
from train import ARCH, atomic_save  # noqa: E402

HOLDOUT = ("davis_dolphins_448x256.mkv", "pool_cleaning_320x256.mkv")


def load_base(path: Path) -> tuple[Hyperprior, dict, str]:
    model, state = load_hyperprior(path, default_arch=ARCH)  # G as the base has it
    for p in model.parameters():
        p.requires_grad_(False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return model, state, digest


def latents(base: Hyperprior, digest: str, data: Path, cache_dir: Path) -> dict[str, torch.Tensor]:
    cache = cache_dir / f"video-latents-{digest[:12]}.pt"
    if cache.exists():
        return torch.load(cache)
    out = {}
    for clip in sorted(data.glob("*.mkv")):
        t0 = time.time()
        out[clip.name] = clip_latents(base.g_a, read_clip_rgb(clip))
        print(f"latents of {clip.name}: {tuple(out[clip.name].shape)} in {time.time() - t0:.1f} s", flush=True)
    atomic_save(out, cache)
    return out


def gains(base: Hyperprior, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return base._gain(base.log_gain, q), base._gain(base.log_igain, q)


@torch.no_grad()
def intra_step(base: Hyperprior, y: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The image model's coding of gained latents y: (bits per item, ŷ)."""
    z_hat = torch.round(base.h_a(y) * base._gain(base.log_zgain, q))
    mu, sigma = base.entropy_parameters(z_hat, q)
    v = torch.round(y - mu)
    out = {"y_lik": lower_bound_likelihood(gaussian_likelihood(v, sigma)),
           "z_lik": lower_bound_likelihood(base.z_prior.likelihood(z_hat))}
    return bits_per_image(out), v + mu


@torch.no_grad()
def p_step(model: TemporalPrior, y: torch.Tensor, y_prev: torch.Tensor, q: torch.Tensor,
           igain: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The temporal model's coding of y given the decoded ŷ_{t-1}: (bits per item, ŷ)."""
    z_hat = torch.round(model.h_a(torch.cat([y, y_prev], 1)) * model._gain(model.log_zgain, q))
    mu, sigma = model.entropy_parameters(z_hat * model._gain(model.log_izgain, q), y_prev * igain, q, y_prev)
    v = torch.round(y - mu)
    out = {"y_lik": lower_bound_likelihood(gaussian_likelihood(v, sigma)),
           "z_lik": lower_bound_likelihood(model.z_prior.likelihood(z_hat))}
    return bits(out), v + mu


@torch.no_grad()
def monitor(base: Hyperprior, model: TemporalPrior, clips: list[torch.Tensor], qs: list[int]) -> list[tuple[int, float]]:
    """Per quality: total bits of the P-frames (frame 0 intra, then all P) over the bits of
    the same frames coded intra."""
    model.eval()
    res = []
    for qq in qs:
        p_bits = i_bits = 0.0
        for lat in clips:
            q = torch.tensor([qq])
            gain, igain = gains(base, q)
            _, y_prev = intra_step(base, lat[:1].float() * gain, q)
            for t in range(1, lat.shape[0]):
                y = lat[t:t + 1].float() * gain
                bi, _ = intra_step(base, y, q)
                bp, y_prev = p_step(model, y, y_prev, q, igain)
                i_bits += bi.item()
                p_bits += bp.item()
        res.append((qq, p_bits / i_bits))
    model.train()
    return res


def batch(clips: list[torch.Tensor], n: int, crop: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (y_{t-1}, y_t) latent crop pairs (before gains); crops aligned to the z grid."""
    prev, cur = [], []
    weights = [c.shape[0] - 1 for c in clips]
    for lat in random.choices(clips, weights=weights, k=n):
        T, _, H, W = lat.shape
        t = random.randint(1, T - 1)
        i = random.randint(0, (H - crop) // 4) * 4
        j = random.randint(0, (W - crop) // 4) * 4
        pair = lat[t - 1:t + 1, :, i:i + crop, j:j + crop].float()
        if random.random() < 0.5:
            pair = pair.flip(-1)  # g_a is not mirror-symmetric, but close enough for a prior
        prev.append(pair[0])
        cur.append(pair[1])
    return torch.stack(prev), torch.stack(cur)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="video-sem")
    ap.add_argument("--base", type=Path, default=SEED_DIR / "video-sem-base.fp16.pt",
                    help="image codec weights whose transforms the video codec uses")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/data/video/train")
    ap.add_argument("--ckpt-dir", type=Path, default=None)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=12, help="latent crop edge (multiple of 4; 16 pixels each)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--steps", type=int, default=10**9)
    ap.add_argument("--minutes", type=float, default=1e9)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--monitor-every", type=int, default=1000)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    ckpt_dir = args.ckpt_dir or CACHE_DIR / args.model
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / "last.pt"
    base, _, digest = load_base(args.base)
    lat = latents(base, digest, args.data.resolve(), ckpt_dir.parent)
    train_clips = [v for k, v in lat.items() if k not in HOLDOUT]
    hold_clips = [v for k, v in lat.items() if k in HOLDOUT]
    print(f"{len(train_clips)} training clips ({sum(c.shape[0] for c in train_clips)} frames), "
          f"{len(hold_clips)} held out; base {args.base.name} {digest[:12]}", flush=True)

    model = TemporalPrior(N=ARCH["N"], M=ARCH["M"], qualities=base.qualities)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, trained_s = 0, 0.0
    best: dict[str, float] = {}  # the held-out score of best.pt (mean P/intra ratio)
    if ckpt_path.exists():
        state = torch.load(ckpt_path)
        if state["base_sha256"] != digest:
            sys.exit(f"{ckpt_path} was trained over other base weights ({state['base_sha256'][:12]}); "
                     f"move it away to start over with {args.base}")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, trained_s = state["step"], state["trained_s"]
        if state.get("best") is not None:
            best["score"] = state["best"]
        print(f"resumed {ckpt_path} at step {step}", flush=True)
    else:
        model.initialize_from(base)
    for g in opt.param_groups:
        g["lr"] = args.lr

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))

    def save(path: Path = ckpt_path) -> None:
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "trained_s": trained_s,
                     "base": str(args.base.name), "base_sha256": digest, "model_name": args.model,
                     "arch": {"N": model.N, "M": model.M, "C2": model.C2}, "best": best.get("score")},
                    path)

    # Each quality's rate is measured against the image model's intra rate at that quality, so
    # that the loss is the relative saving (what BD-rate measures), not dominated by the
    # high qualities' larger bit counts.
    with torch.no_grad():
        norm = torch.zeros(base.qualities)
        for qq in range(base.qualities):
            prev, cur = batch(train_clips, 64, args.crop)
            q = torch.full((64,), qq)
            norm[qq] = intra_step(base, cur * gains(base, q)[0], q)[0].mean() / (args.crop * args.crop)
    print("intra bits/position per quality:", [f"{v:.1f}" for v in norm.tolist()], flush=True)

    log = open(ckpt_dir / "log.csv", "a")
    run_start = last_ckpt = time.time()
    win, win_n, win_t = 0.0, 0, time.time()
    Q = base.qualities
    while step < args.steps and not stop["now"] and time.time() - run_start < args.minutes * 60:
        t0 = time.time()
        prev, cur = batch(train_clips, args.batch, args.crop)
        q = torch.randint(0, Q, (args.batch,))
        gain, igain = gains(base, q)
        y = cur * gain
        y_prev = prev * gain + torch.empty_like(prev).uniform_(-0.5, 0.5)
        out = model(y, y_prev, q, igain)
        loss = (bits(out) / (args.crop * args.crop * norm[q])).mean()  # P bits / intra bits
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        trained_s += time.time() - t0
        win += loss.item()
        win_n += 1
        if step % 100 == 0:
            rate = win_n / (time.time() - win_t)
            print(f"step {step} P/intra rate {win / win_n:.4f} {rate:.2f} steps/s", flush=True)
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},train,{win / win_n:.5f}\n")
            log.flush()
            win, win_n, win_t = 0.0, 0, time.time()
        if hold_clips and step % args.monitor_every == 0:
            ratios = monitor(base, model, hold_clips, [0, 3, 7])
            for qq, ratio in ratios:
                print(f"  monitor q{qq}: P-frame bits / intra bits {ratio:.3f}", flush=True)
                log.write(f"{time.time():.0f},{step},{trained_s:.0f},holdout_q{qq},{ratio:.5f}\n")
            log.flush()
            score = sum(r for _, r in ratios) / len(ratios)
            if score < best.get("score", float("inf")):
                best["score"] = score
                save(ckpt_dir / "best.pt")
                print(f"  best so far (mean ratio {score:.4f}): saved best.pt", flush=True)
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
