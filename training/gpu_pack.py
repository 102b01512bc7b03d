#!/usr/bin/env python3
"""Pack what an image-training call on the GPU machine needs into one folder of the repo.

The device tool sends the working tree (at most 64 MiB, the tracked files included) and none of
../shared, so a call carries an ignored folder holding a share of the training JPEGs (their
bytes untouched) and the fp16 weights to start from:

    /usr/bin/python3 training/gpu_pack.py --models hyperprior-mse --part 0 --parts 2   # writes .gpu/ (ignored)

then, on the GPU machine (device `run` with carry [".gpu"]), one 10-minute call:

    m=hyperprior-mse; python3 training/train.py --model $m --data .gpu/data \\
      --init-from .gpu/init/$m.fp16.pt --ckpt-dir .gpu/ck/$m --batch 16 --crop 256 --lr 1e-4 \\
      --minutes 8.5 --ckpt-minutes 2 --weights-out $OUT/$m.fp16.pt > $OUT/$m.log 2>&1

(for the channel models, `bash training/gpu_channel.sh` instead: both in one call; its files `<m>.fp16.pt` hold int8 rows, which
train.py reads as well; without a checkpoint here, drop --init-from and name training/weights in
`carry` when a seed is there; train.py finds it, else grows the model from models/hyperprior-mse) and back here `train.py --init-from <returned weights>` (after moving the old last.pt aside)
continues with the step count carried on. Each part holds a different share of the images, so
successive calls (`--part 1`, ...) see all of them. A model without weights yet (no checkpoint
and no seed) starts from the MSE weights. The weights of each model cost about 10 MB of the
images' share (the script says how many images fit). The tracked tree (95 MiB with every model)
is itself over the 64 MiB: before packing, `bash training/gpu_tree.sh aside <models the call
reads>` sets the others aside, and `bash training/gpu_tree.sh back` after the call restores them.
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.paths import CACHE_DIR, SEED_DIR, fp16_weights, int8_weights  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LIMIT = 64 * 2**20  # what one device call may carry in all
MODELS = ("hyperprior-mse", "hyperprior-msssim", "channel-mse")


def tree_bytes() -> int:
    """Bytes of the working tree that travel: tracked and untracked-not-ignored files."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                         capture_output=True, check=True).stdout
    return sum((REPO / p).stat().st_size for p in out.decode().split("\0") if p and (REPO / p).is_file())


def latest_weights(model: str) -> dict | None:
    """The newest weights of a model: its checkpoint, else its seed. The channel models travel as
    int8 rows (train.py reads them; their fp16 weights are 23 MB); without a checkpoint nothing is
    packed: train.py finds a seed in training/weights/ (carried, as it is not committed) by itself."""
    channel = model.startswith("channel")
    ckpt = CACHE_DIR / model / "last.pt"
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu")
        return {"model": int8_weights(state["model"]) if channel else fp16_weights(state["model"]),
                "step": state["step"], "trained_s": state["trained_s"], "arch": state["arch"],
                "model_name": model, "lambdas": state.get("lambdas")}
    if channel:
        return None
    seed = SEED_DIR / f"{model}.fp16.pt"
    if seed.exists():
        return {**torch.load(seed, map_location="cpu"), "model_name": model}
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data/images/train")
    ap.add_argument("--out", type=Path, default=REPO / ".gpu")
    ap.add_argument("--part", type=int, default=0)
    ap.add_argument("--parts", type=int, default=2)
    ap.add_argument("--models", default="hyperprior-mse",
                    help="whose weights travel (each takes about 10 MB of the image budget)")
    ap.add_argument("--margin-mb", type=float, default=1.0)
    args = ap.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    (args.out / "init").mkdir(parents=True)
    (args.out / "data").mkdir()
    mse = latest_weights("hyperprior-mse")
    for model in args.models.split(","):
        w = latest_weights(model)
        if w is None and mse is not None and not model.startswith("channel"):
            w = {**mse, "model_name": "hyperprior-mse"}  # a new count starts for the other model
        if w is not None:
            torch.save(w, args.out / "init" / f"{model}.fp16.pt")
            print(f"{model}: weights at step {w['step']} ({'own' if w['model_name'] == model else 'from the MSE model'})")

    init_bytes = sum(p.stat().st_size for p in (args.out / "init").iterdir())
    budget = LIMIT - tree_bytes() - init_bytes - int(args.margin_mb * 2**20)
    files = sorted(p for p in args.data.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    random.Random(0).shuffle(files)
    # Part i starts at its own offset in the shuffled list, so the parts cover different images.
    start = len(files) * args.part // args.parts
    used, n = 0, 0
    for p in files[start:] + files[:start]:
        size = p.stat().st_size
        if used + size > budget:
            continue
        shutil.copy(p, args.out / "data" / p.name)
        used, n = used + size, n + 1
    print(f"{n} of {len(files)} images ({used / 1e6:.1f} MB); {args.out} holds "
          f"{(used + init_bytes) / 2**20:.1f} MiB, the tree {tree_bytes() / 2**20:.1f} MiB (limit 64 MiB)")


if __name__ == "__main__":
    main()
