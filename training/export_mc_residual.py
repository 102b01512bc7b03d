#!/usr/bin/env python3
"""Export video-mc's residual coder into models/video-mc/ beside its card.

    /usr/bin/python3 training/export_mc_residual.py --ckpt ~/.cache/lcodec-train/video-mc-residual/last.pt

The residual coder is a mean-scale hyperprior of hyperprior-mse's architecture, trained from
its weights on motion-compensated residual pictures (`train.py --model video-mc-residual`).
Its graphs and bundle are written as an image model's (export.py); the integer h_s is
calibrated on residual pictures. The card keeps its levels and results unless the weights
changed; its weights hash covers these files and those of the base image model that codes the
intra frames (the card's `base_image_model`), so a file made on other base weights is refused.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import export_image_graphs, files_digest, macs_per_pixel, save_seed_weights, update_card  # noqa: E402
from lcodec_train.hyperprior import load_hyperprior  # noqa: E402
from train import RESIDUAL, RESIDUAL_DATA, RESIDUAL_MODEL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INIT = "hyperprior-mse"  # the residual coder's architecture and first weights; its steps count on from them


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "models")
    ap.add_argument("--data", type=Path, default=RESIDUAL_DATA / "train",
                    help="residual pictures (bench/video-residuals.ts) to calibrate the integer h_s on")
    args = ap.parse_args()

    torch.manual_seed(0)
    random.seed(0)
    model, state = load_hyperprior(args.ckpt)
    out_dir = args.out / RESIDUAL_MODEL
    _, check, _ = export_image_graphs(model, RESIDUAL_MODEL, out_dir, args.data)
    base = json.loads((out_dir / "card.json").read_text())["base_image_model"]
    base_digest = files_digest(args.out / base)
    digest = hashlib.sha256((files_digest(out_dir) + base_digest).encode()).hexdigest()
    base_card = json.loads((args.out / base / "card.json").read_text())
    init_card = json.loads((args.out / INIT / "card.json").read_text())
    update_card(out_dir, {
        "N": model.N, "M": model.M, "G": model.G,
        "lambdas": state.get("lambdas"),
        "parameters": {"learned": sum(p.numel() for p in model.parameters()),
                       "base_image_model": base_card["parameters"]},
        "residual_macs_per_pixel": macs_per_pixel(model),
        "training": {
            "data": "residual pictures made by bench/video-residuals.ts, each clip coded by video-mc at "
                    "qualities 2, 5, 7, 9 with an intra period of 8: of ../shared/data/video/train (15 of its "
                    "16 clips; the 16th, two_people_room, gives the monitoring pictures; research-use / "
                    "per-clip terms, see its SOURCES.md) and of 64 synthetic clips made by "
                    "bench/video-synthetic.ts from ../shared/data/images/train (camera pans, zooms and "
                    "rotations, a moving patch, sensor noise; BSDS500, Urban100, Wikipedia photos: research-use / "
                    "per-image CC terms, see its SOURCES.md)",
            "init": f"{INIT} at step {init_card['training']['steps']:,}",
            # counted on from the first weights' steps and hours
            "steps": state["step"],
            "hours": round(state["trained_s"] / 3600, 2),
            "residual_steps": state["step"] - init_card["training"]["steps"],
            "residual_hours": round(state["trained_s"] / 3600 - init_card["training"]["hours"], 2),
            "crop": state.get("crop"),
            "batch": state.get("batch"),
        },
        "weights_sha256": digest,
        "base_weights_sha256": base_digest,
        "integer_h_s_rate_check": check,
    })
    save_seed_weights(model, {**state, "model_name": RESIDUAL}, RESIDUAL, ("arch", "step", "trained_s", "lambdas", "model_name"))
    print(f"exported {RESIDUAL} to {out_dir} (weights {digest[:12]})")


if __name__ == "__main__":
    main()
