#!/usr/bin/env python3
"""Train a variable-rate learned image codec; resumable from its checkpoint.

Interpreter: Debian's PyTorch (`apt-get install python3-torch python3-pil`, run as
/usr/bin/python3), or any Python with torch >= 1.13 and Pillow (the GPU machine).

    /usr/bin/python3 training/train.py --model hyperprior-mse --data ../shared/data/images/train
    /usr/bin/python3 training/train.py --model hyperprior-msssim --init-from <mse checkpoint>
    /usr/bin/python3 training/train.py --model channel-mse --bf16 --balance   # lcodec_train/channel.py

Checkpoints go to --ckpt-dir (default ~/.cache/lcodec-train/<model>/last.pt), written
atomically every --ckpt-minutes and on SIGTERM/SIGINT; a restart resumes from there.
Progress (train loss, and bpp/PSNR on a few held-out Kodak images for monitoring only)
is appended to <ckpt-dir>/log.csv.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.hyperprior import (GAIN_KEYS, MSE_LAMBDAS, MSSSIM_LAMBDAS, Hyperprior, bits_per_image,  # noqa: E402
                                     extend_qualities, qualities_of, widen_transforms)
from lcodec_train.channel import CHANNEL_MSE_LAMBDAS, CHANNEL_MSSSIM_LAMBDAS, ChannelModel, from_hyperprior  # noqa: E402
from lcodec_train.from_models import complete_from_export, weights_from_models  # noqa: E402
from lcodec_train.msssim import ms_ssim  # noqa: E402
from lcodec_train.paths import CACHE_DIR, SEED_DIR, float_weights, fp16_weights, int8_weights  # noqa: E402

# N: hyper transforms (z channels), M: y channels, G: g_a / g_s width (96 up to step 48,830;
# checkpoints of a narrower model are widened on load, computing the same function).
ARCH = {"N": 96, "M": 160, "G": 128}
# The channel-wise context models: y widened to 320 channels from the hyperprior's 160 (the old
# ones first, then the new), ELIC's uneven slices (lcodec_train/channel.py).
CHANNEL_ARCH = {"N": 96, "M": 320, "G": 128, "HS": [160, 240], "slices": [16, 16, 32, 64, 192], "hidden": 96,
                "grown_from": 160}
REPO = Path(__file__).resolve().parents[1]
# video-mc's residual coder: trained here, exported by export_mc_residual.py into models/video-mc/.
RESIDUAL, RESIDUAL_MODEL = "video-mc-residual", "video-mc"
RESIDUAL_DATA = CACHE_DIR / "video-residuals"


def load_images(folder: Path, min_side: int) -> list[torch.Tensor]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    images = []
    for p in files:
        im = np.asarray(Image.open(p).convert("RGB"))
        if min(im.shape[:2]) >= min_side:
            images.append(torch.from_numpy(im.copy()).permute(2, 0, 1).contiguous())  # uint8 CHW
    return images


def random_batch(images: list[torch.Tensor], batch: int, crop: int) -> torch.Tensor:
    out = torch.empty(batch, 3, crop, crop, dtype=torch.uint8)
    for i in range(batch):
        im = images[random.randrange(len(images))]
        _, h, w = im.shape
        t, l = random.randint(0, h - crop), random.randint(0, w - crop)
        c = im[:, t:t + crop, l:l + crop]
        if random.random() < 0.5:
            c = c.flip(2)
        if random.random() < 0.5:
            c = c.flip(1)
        out[i] = c
    return out.float().div_(255.0)


def widen(model: Hyperprior, weights: dict, saved_lambdas: list[float] | None, lambdas: list[float],
          opt_state: dict | None = None) -> tuple[dict, dict | None]:
    """Weights (and Adam state) saved with fewer qualities than the model has, widened by the
    new qualities: the saved lambdas are a run of the current list, and the qualities below and
    above that run start from extrapolated gains (weights that did not record their lambdas
    grew at the low end)."""
    n = model.qualities - qualities_of(weights)
    if n <= 0:
        return weights, opt_state
    below = n
    if saved_lambdas is not None:
        below = min(range(len(lambdas)), key=lambda i: abs(math.log(lambdas[i] / saved_lambdas[0])))
        run = lambdas[below:below + len(saved_lambdas)]
        assert len(run) == len(saved_lambdas) and all(abs(a / b - 1) < 1e-3 for a, b in zip(run, saved_lambdas)), \
            f"saved lambdas {saved_lambdas} are not a run of {lambdas}"
    above = n - below
    print(f"adding {below} qualities below and {above} above the saved ones", flush=True)
    weights = extend_qualities(weights, below, above)
    if opt_state is not None:
        names = [name for name, _ in model.named_parameters()]
        for key in GAIN_KEYS:
            st = opt_state["state"].get(names.index(key))
            if st:  # new rows: no momentum yet, the second moment of the nearest saved quality
                for moment, fill in (("exp_avg", torch.zeros_like), ("exp_avg_sq", lambda r: r)):
                    m = st[moment]
                    st[moment] = torch.cat([fill(m[:1]).repeat(below, 1), m, fill(m[-1:]).repeat(above, 1)])
    return weights, opt_state


def atomic_save(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def monitor(model: Hyperprior, kodak: list[torch.Tensor], qualities: list[int]) -> list[tuple[int, float, float, float, float]]:
    """(quality, bpp, PSNR, MS-SSIM, share of nonzero symbols in the channels a channel model
    grew, else nan) averaged over the monitoring images, in fp32 as exported."""
    model.eval()
    dev = next(model.parameters()).device
    bf16, model.bf16 = model.bf16, False
    rows = []
    for q in qualities:
        bpp, psnr, msssim, grown = [], [], [], []
        for im in kodak:
            x = im.float().div(255.0)[None].to(dev)
            _, _, h, w = x.shape
            x = x[:, :, : h // 64 * 64, : w // 64 * 64]
            out = model(x, torch.tensor([q], device=dev), noise=False)
            bpp.append(bits_per_image(out).item() / (x.shape[2] * x.shape[3]))
            mse = F.mse_loss(out["x_hat"].clamp(0, 1), x).item()
            psnr.append(10 * math.log10(1 / mse))
            msssim.append(ms_ssim(out["x_hat"].clamp(0, 1), x).item())
            first_new = getattr(model, "grown_from", 0)
            if first_new and "symbols" in out:
                grown.append((out["symbols"][:, first_new:] != 0).float().mean().item())
        rows.append((q, sum(bpp) / len(bpp), sum(psnr) / len(psnr), sum(msssim) / len(msssim),
                     sum(grown) / len(grown) if grown else float("nan")))
    model.train()
    model.bf16 = bf16
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["hyperprior-mse", "hyperprior-msssim", "channel-mse", "channel-msssim",
                                        RESIDUAL], default="hyperprior-mse",
                    help=f"{RESIDUAL}: the residual coder of video-mc, a hyperprior-mse fine-tuned on "
                         "motion-compensated residual pictures (bench/video-residuals.ts)")
    ap.add_argument("--data", type=Path, default=None,
                    help=f"training pictures (default ../shared/data/images/train; {RESIDUAL}: "
                         f"{RESIDUAL_DATA}/train)")
    ap.add_argument("--kodak", type=Path, default=None,
                    help=f"monitoring images (default: <data>/../kodak; {RESIDUAL}: {RESIDUAL_DATA}/monitor)")
    ap.add_argument("--ckpt-dir", type=Path, default=None)
    ap.add_argument("--init-from", type=Path, default=None, help="start from these weights (no optimizer state)")
    ap.add_argument("--batch", type=int, default=None, help="default 4 (mse) / 8 (msssim)")
    ap.add_argument("--crop", type=int, default=None,
                    help="default 256 (mse) / 192 (msssim); 128 starves the hyperprior (z is 2x2)")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--ctx-lr", type=float, default=None,
                    help="channel models: lr of the slice networks and LRP (default: --lr)")
    ap.add_argument("--warmup", type=int, default=0,
                    help="raise the learning rates linearly over this run's first steps (a fresh Adam state "
                         "moves every weight by a full lr at first: 5 such steps at 5e-5 cost 0.5 dB at the top)")
    ap.add_argument("--steps", type=int, default=10**9, help="stop after this many total steps")
    ap.add_argument("--minutes", type=float, default=1e9, help="stop after this many minutes in this run")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--monitor-every", type=int, default=2000)
    ap.add_argument("--monitor-at-start", action="store_true", help="log the Kodak monitor before the first step too")
    ap.add_argument("--weights-out", type=Path, default=None,
                    help="at each checkpoint also write the fp16 weights here (the seed-file format, "
                         "a quarter of last.pt: what a GPU session sends back)")
    ap.add_argument("--bf16", action="store_true",
                    help="g_a and g_s in bfloat16 autocast, channels-last (about 2x the steps/s on two "
                         "cores with AVX512-BF16)")
    ap.add_argument("--balance", action="store_true",
                    help="divide each quality's rate-distortion loss by its running mean rate: every "
                         "quality then counts by its relative rate change, as a BD-rate does")
    ap.add_argument("--grow-ramp", type=int, default=2000,
                    help="channel models grown from a hyperprior: over their first this many steps, the "
                         "rate gradient that reaches the transforms from the new channels ramps from 0 to 1 "
                         "(with the full gradient at once they were dropped within 250 steps)")
    ap.add_argument("--slices", default=None,
                    help="channel models: slice sizes, comma-separated (their sum is M; default "
                         f"{','.join(map(str, CHANNEL_ARCH['slices']))})")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    residual = args.model == RESIDUAL
    args.data = args.data or (RESIDUAL_DATA / "train" if residual else REPO.parent / "shared/data/images/train")
    msssim = args.model.endswith("msssim")
    channel = args.model.startswith("channel")
    crop = args.crop or (192 if msssim else 256)
    batch = args.batch or (8 if msssim else 4)
    lambdas = torch.tensor([[MSE_LAMBDAS, MSSSIM_LAMBDAS], [CHANNEL_MSE_LAMBDAS, CHANNEL_MSSSIM_LAMBDAS]][channel][msssim])
    ckpt_dir = args.ckpt_dir or CACHE_DIR / args.model
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / "last.pt"
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True

    arch = CHANNEL_ARCH if channel else ARCH
    if channel and args.slices:
        slices = [int(n) for n in args.slices.split(",")]
        arch = {**arch, "slices": slices, "M": sum(slices)}
    model = (ChannelModel if channel else Hyperprior)(**arch, qualities=len(lambdas)).to(dev)
    model.bf16 = args.bf16
    # bf16 convolutions run about 10 % faster on channels-last tensors
    layout = torch.channels_last if args.bf16 else torch.contiguous_format
    model.to(memory_format=layout)
    ctx_names = ("slice_nets.", "lrp.")
    groups = [[p for n, p in model.named_parameters() if n.startswith(ctx_names) == ctx] for ctx in (False, True)]
    lrs = [args.lr, args.ctx_lr or args.lr]
    opt = torch.optim.Adam([{"params": g} for g in groups if g], lr=args.lr)
    step, trained_s = 0, 0.0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=dev)
        weights, opt_state = state["model"], state["opt"]
        if not channel:
            weights, opt_state = widen(model, weights, state.get("lambdas"), lambdas.tolist(), opt_state)
        if not channel and (wide := widen_transforms(weights, model.G)) is not weights:
            print(f"widened g_a / g_s to {model.G} (new Adam state)", flush=True)
            weights, opt_state = wide, None
        model.load_state_dict(weights)
        if opt_state is not None:
            opt.load_state_dict(opt_state)
        step, trained_s = state["step"], state["trained_s"]
        print(f"resumed {ckpt_path} at step {step} ({trained_s / 3600:.2f} h trained)", flush=True)
    else:
        # No local checkpoint: start from --init-from, else from the weights the last export
        # left in SEED_DIR (~/.cache/lcodec-train/weights/), else from the export in models/
        # itself (a fresh machine: only the optimizer state is lost).
        seed = SEED_DIR / f"{args.model}.fp16.pt"
        if channel:  # the committed seed in training/weights/ (seed_weights.py), else the hyperprior it grows from
            seed = REPO / "training/weights" / f"{args.model}.pt"
        exported = REPO / "models" / (RESIDUAL_MODEL if residual else args.model)
        if channel and not seed.exists():
            exported = REPO / "models" / args.model.replace("channel", "hyperprior")
        if residual and not (exported / "bundle.json").exists():  # its first run: from the base image model
            exported = REPO / "models" / "hyperprior-mse"
        init = args.init_from or (seed if seed.exists() else None)
        if init:
            state = torch.load(init, map_location=dev)
        elif (exported / "bundle.json").exists():
            weights, facts = weights_from_models(exported)
            state = {"model": weights, "model_name": RESIDUAL if exported.name == RESIDUAL_MODEL else exported.name, **facts}
            init = exported
            print(f"z prior refitted to the exported tables: {facts['prior_excess_bits']:.2e} bits per "
                  "symbol above their entropy", flush=True)
        if init:
            weights = float_weights(state["model"] if "model" in state else state)
            if "export" in state:  # a seed of what its export lacks: the transforms come from models/
                weights = complete_from_export(weights, state["export"], REPO)
            # Weights of this same model (a seed file, an export, or --weights-out of another run)
            # carry their step count (and their lambdas) on; weights of another model start anew.
            same = state.get("model_name", args.model if init == seed else None) == args.model
            saved_lambdas = state.get("lambdas") if same else None
            if channel and "slice_nets.0.out.weight" not in weights:
                # a hyperprior: grow it into this model (crops order its channels by rate)
                weights = widen_transforms(weights, model.G)
                crops = random_batch(load_images(args.data, 256), 8, 256)
                weights = from_hyperprior(weights, arch, model.qualities, crops)
                print(f"grown from the hyperprior {init}: M {model.grown_from} -> {model.M}", flush=True)
                same = False
            elif not channel:
                weights = widen_transforms(widen(model, weights, saved_lambdas, lambdas.tolist())[0], model.G)
            model.load_state_dict(weights)
            if same:
                step, trained_s = state.get("step", 0), state.get("trained_s", 0.0)
            print(f"initialized from {init} (step {step})", flush=True)
    for g, lr in zip(opt.param_groups, lrs if channel else lrs[:1]):
        g["lr"] = lr

    images = load_images(args.data, crop)
    kodak_dir = args.kodak or (RESIDUAL_DATA / "monitor" if residual else args.data.parent / "kodak")
    kodak = load_images(kodak_dir, 0)[:4] if kodak_dir.exists() else []
    print(f"{len(images)} training images, crop {crop}, batch {batch}, device {dev}", flush=True)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))

    def save() -> None:
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                     "trained_s": trained_s, "arch": arch, "model_name": args.model,
                     "lambdas": lambdas.tolist(), "crop": crop, "batch": batch}, ckpt_path)
        if args.weights_out:
            # (the channel models' big matrices as int8 rows: their fp16 weights pass 20 MB)
            packed = int8_weights(model.state_dict()) if channel else \
                fp16_weights(model.state_dict(), {n for n, _ in model.named_parameters()})
            atomic_save({"model": packed,
                         "step": step, "trained_s": trained_s, "arch": arch, "model_name": args.model,
                         "lambdas": lambdas.tolist()},
                        args.weights_out)

    # the channel models: the hyperprior's q0 / q5 / q9 (the same lambdas) and the top quality
    Q = model.qualities
    monitor_qualities = [0, 5, 9, Q - 1] if channel else [0, Q // 2, Q - 1]

    def log_monitor() -> None:
        for qq, b, p, m, g in monitor(model, kodak, monitor_qualities):
            grown = "" if math.isnan(g) else f" grown channels nonzero {g:.4f}"
            print(f"  monitor q{qq}: {b:.3f} bpp {p:.2f} dB MS-SSIM {m:.4f}{grown}", flush=True)
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},kodak4_q{qq},{b:.4f},{p:.3f},{m:.5f}"
                      f"{'' if math.isnan(g) else f',{g:.5f}'}\n")
        log.flush()

    rate_ema = torch.full((len(lambdas),), float("nan"))  # --balance: mean bpp per quality
    log = open(ckpt_dir / "log.csv", "a")
    if kodak and args.monitor_at_start:
        log_monitor()
    run_start = last_ckpt = time.time()
    first_step = step
    window_loss, window_bpp, window_n, window_t = 0.0, 0.0, 0, time.time()
    model.train()
    while step < args.steps and not stop["now"] and time.time() - run_start < args.minutes * 60:
        t0 = time.time()
        if channel:
            model.grown_rate_weight = min(1.0, step / args.grow_ramp) if args.grow_ramp else 1.0
        x = random_batch(images, batch, crop).to(dev).contiguous(memory_format=layout)
        q = torch.randint(0, len(lambdas), (batch,), device=dev)
        out = model(x, q)
        bpp = bits_per_image(out) / (crop * crop)
        if msssim:
            dist = 1 - ms_ssim(out["x_hat"], x)
        else:
            dist = 255.0 ** 2 * (out["x_hat"] - x).pow(2).flatten(1).mean(1)
        rd = lambdas.to(dev)[q] * dist + bpp
        if args.balance:
            # At the optimum of quality q, a loss change dL is a rate change dL at that
            # quality's distortion; a BD-rate averages relative rate changes dL / R_q.
            for qi, b in zip(q.tolist(), bpp.tolist()):
                rate_ema[qi] = b if math.isnan(rate_ema[qi]) else 0.99 * rate_ema[qi] + 0.01 * b
            known = rate_ema[~torch.isnan(rate_ema)]
            rd = rd * (known.mean() / rate_ema.to(dev)[q])
        loss = rd.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if args.warmup:
            ramp = min(1.0, (step - first_step + 1) / args.warmup)
            for g, lr in zip(opt.param_groups, lrs if channel else lrs[:1]):
                g["lr"] = lr * ramp
        opt.step()
        step += 1
        trained_s += time.time() - t0
        window_loss += loss.item()
        window_bpp += bpp.mean().item()
        window_n += 1
        if step % 100 == 0:
            rate = window_n / (time.time() - window_t)
            print(f"step {step} loss {window_loss / window_n:.4f} bpp {window_bpp / window_n:.3f} "
                  f"{rate:.2f} steps/s", flush=True)
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},train,{window_loss / window_n:.5f},"
                      f"{window_bpp / window_n:.4f}\n")
            log.flush()
            window_loss, window_bpp, window_n, window_t = 0.0, 0.0, 0, time.time()
        if kodak and step % args.monitor_every == 0:
            log_monitor()
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
