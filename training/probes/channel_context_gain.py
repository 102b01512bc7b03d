"""Probe: how many y bits the channel model's slice networks save. Codes Kodak images (true
rounding, rate of y only) with the trained slice networks and with their outputs zeroed (the
hyperprior's prediction alone); with --train-steps, trains a copy of the slice networks further
on cached latents of the frozen transforms (rate only, lr 1e-3) and prints the same rates every
500 steps, to tell an undertrained context model from one that has little left to find.
    /usr/bin/python3 training/probes/channel_context_gain.py <last.pt> [--images 6] [--qualities 2 6 10]
        [--train-steps 500 --batches 100]"""
import argparse
import copy
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))
from lcodec_train.channel import LOG_SCALE_BOUND, load_channel_model  # noqa: E402
from lcodec_train.layers import gaussian_likelihood, lower_bound_likelihood  # noqa: E402
from train import load_images, random_batch  # noqa: E402

DATA = TRAINING.parents[1] / "shared/data/images"
ap = argparse.ArgumentParser()
ap.add_argument("ckpt", type=Path)
ap.add_argument("--images", type=int, default=6, help="the first N Kodak images")
ap.add_argument("--qualities", type=int, nargs="+", default=[2, 6, 10])
ap.add_argument("--train-steps", type=int, default=0)
ap.add_argument("--batches", type=int, default=100, help="cached batches of 8 training crops (256 px) at random qualities")
args = ap.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)
random.seed(0)
model, state = load_channel_model(args.ckpt)
print(f"step {state.get('step')}", flush=True)


@torch.no_grad()
def features(x: torch.Tensor, q: int) -> dict:
    """What the slice networks see of x at quality q: y (with gains), H, the hyperprior's mu and sigma."""
    qq = torch.full((x.shape[0],), q, dtype=torch.long)
    y = model.g_a(x) * model._gain(model.log_gain, qq)
    z_hat = torch.round(model.h_a(y) * model._gain(model.log_zgain, qq))
    H, mu, sigma = model.hyper_features(z_hat, qq)
    return {"y": y, "H": H, "mu": mu, "sigma": sigma, "q": qq}


def y_bits(nets, f: dict, noise: bool) -> torch.Tensor:
    """Bits of y under the slice networks `nets`, slices in order as ChannelModel.forward."""
    gain, igain = model._gain(model.log_gain, f["q"]), model._gain(model.log_igain, f["q"])
    parts, bits = [], 0
    for net, (a, b) in zip(nets, model.bounds):
        d_mu, d_ls = net(f["H"], torch.cat(parts, 1) if parts else None, f["q"])
        mu = f["mu"][:, a:b] + gain[:, a:b] * d_mu
        sigma = f["sigma"][:, a:b] * torch.exp(d_ls.clamp(-LOG_SCALE_BOUND, LOG_SCALE_BOUND))
        r = f["y"][:, a:b] - mu
        v = r + torch.empty_like(r).uniform_(-0.5, 0.5) if noise else torch.round(r)
        bits = bits - torch.log2(lower_bound_likelihood(gaussian_likelihood(v, sigma))).sum()
        parts.append((mu + torch.round(r)).detach() * igain[:, a:b])
    return bits


files = sorted((DATA / "kodak").glob("*.png"))[:args.images]
images = [torch.from_numpy(np.asarray(Image.open(p).convert("RGB")).copy()).permute(2, 0, 1).float()[None] / 255 for p in files]
test = {q: [features(x, q) for x in images] for q in args.qualities}
pixels = sum(x.shape[2] * x.shape[3] for x in images)


@torch.no_grad()
def bpp(nets) -> str:
    return " ".join(f"q{q} {sum(y_bits(nets, f, False).item() for f in fs) / pixels:.4f}" for q, fs in test.items())


zeroed = copy.deepcopy(model.slice_nets)
for net in zeroed:
    net.out.weight.data.zero_()
    net.out.bias.data.zero_()
print(f"y bpp without context: {bpp(zeroed)}", flush=True)
print(f"y bpp with context:    {bpp(model.slice_nets)}", flush=True)

if args.train_steps:
    crops = load_images(DATA / "train", 256)
    batches = [features(random_batch(crops, 8, 256), random.randrange(model.log_gain.shape[0])) for _ in range(args.batches)]
    cache = {k: torch.cat([b[k] for b in batches]) for k in batches[0]}
    nets = copy.deepcopy(model.slice_nets)
    opt = torch.optim.Adam(nets.parameters(), lr=1e-3)
    t0 = time.time()
    for step in range(1, args.train_steps + 1):
        idx = torch.randint(0, cache["y"].shape[0], (16,))
        loss = y_bits(nets, {k: v[idx] for k, v in cache.items()}, True) / (16 * 256 * 256)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0 or step == args.train_steps:
            print(f"trained {step} steps on cached latents ({time.time() - t0:.0f} s): {bpp(nets)}", flush=True)
