#!/usr/bin/env python3
"""Export the video codec (image transforms + spatiotemporal entropy model) to models/<name>/.

    /usr/bin/python3 training/export_video.py --ckpt ~/.cache/lcodec-train/video-sem/last.pt --name video-sem

Writes the image model's files (g_a, h_a, g_s, h_s_int, bundle.json: the intra frames, from
the base weights the checkpoint was trained over) and the P-frame model:
  h_a_p.onnx      float hyper-analysis of [y_t, ŷ_{t-1}] (encoder only)
  e_p_int.onnx    integer entropy-parameter network: ẑ_t codes, ŷ_{t-1} codes, per-quality
                  bias -> accumulator (lcodec_train/int_net.py)
  temporal.json   P-frame gains, z tables, integer-network parameters, default intra period
  card.json       the model card (`lcodec eval` fills results)
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import export_float, export_image_graphs, factorized_tables, files_digest, update_card  # noqa: E402
from lcodec_train import int_hs, int_net  # noqa: E402
from lcodec_train.layers import gaussian_likelihood  # noqa: E402
from lcodec_train.paths import CACHE_DIR, SEED_DIR  # noqa: E402
from lcodec_train.video import TemporalPrior  # noqa: E402
from train_video import HOLDOUT, gains, latents, load_base  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def network(model: TemporalPrior, s: dict[str, float]) -> list[dict]:
    return [
        {"name": "z", "op": "input", "channels": model.N, "scale": s.get("z", 1.0)},
        {"name": "y", "op": "input", "channels": model.M, "scale": s.get("y", 1.0)},
        {"name": "h1", "op": "conv", "src": "z", "conv": model.hyper[0][0], "relu": True, "shuffle": True},
        {"name": "h2", "op": "conv", "src": "h1", "conv": model.hyper[2][0], "relu": True, "shuffle": True},
        {"name": "t1", "op": "conv", "src": "y", "conv": model.temporal[0], "relu": True},
        {"name": "t2", "op": "conv", "src": "t1", "conv": model.temporal[2], "relu": True},
        {"name": "cat", "op": "concat", "srcs": ["h2", "t2"]},
        {"name": "f", "op": "conv", "src": "cat", "conv": model.fuse, "relu": True, "qbias": model.q_bias},
        {"name": "out", "op": "conv", "src": "f", "conv": model.out, "relu": False},
    ]


def p_inputs(model: TemporalPrior, base, y: torch.Tensor, y_prev: torch.Tensor, q: torch.Tensor):
    """Float inputs of the entropy network: ẑ, ẑ * izgain, ŷ_{t-1} * igain."""
    _, igain = gains(base, q)
    z_hat = torch.round(model.h_a(torch.cat([y, y_prev], 1)) * model._gain(model.log_zgain, q))
    return z_hat, z_hat * model._gain(model.log_izgain, q), y_prev * igain


@torch.no_grad()
def calibrate(model: TemporalPrior, base, clips: list[torch.Tensor]) -> dict[str, float]:
    acts: dict[str, list[torch.Tensor]] = {k: [] for k in ("z", "y", "h1", "h2", "t1", "t2", "f")}
    for qq in range(model.qualities):
        for lat in clips:
            t = torch.arange(1 + qq % 5, lat.shape[0], 5)  # every 5th frame: enough for percentiles
            q = torch.full((len(t),), qq)
            gain, _ = gains(base, q)
            y, y_prev = lat[t].float() * gain, lat[t - 1].float() * gain
            y_prev = y_prev + torch.empty_like(y_prev).uniform_(-0.5, 0.5)
            _, z_in, y_in = p_inputs(model, base, y, y_prev, q)
            acts["z"].append(z_in)
            acts["y"].append(y_in)
            h1 = F.relu(model.hyper[0](z_in))
            h2 = F.relu(model.hyper[2](h1))
            t1 = F.relu(model.temporal[0](y_in))
            t2 = F.relu(model.temporal[2](t1))
            f = F.relu(model.fuse(torch.cat([h2, t2], 1)) + model.q_bias[q][:, :, None, None])
            for k, v in (("h1", h1), ("h2", h2), ("t1", t1), ("t2", t2), ("f", f)):
                acts[k].append(v)
    return int_net.calibrate_scales(acts)


@torch.no_grad()
def integer_ratio(model: TemporalPrior, base, hs_q: dict, qn: list[dict], tp: dict, clips: list[torch.Tensor],
                  qs: list[int]) -> list[tuple[int, float]]:
    """As train_video.monitor, with the integer networks the runtime runs (intra and P)."""
    table = torch.tensor(hs_q["scale_table"])
    M = model.M
    res = []
    for qq in qs:
        q = torch.tensor([qq])
        gain, _ = gains(base, q)
        izg = torch.exp(base.log_izgain[qq])
        zf = torch.exp(model.log_izgain[qq]) / tp["s_z"]
        yf = torch.exp(base.log_igain[qq]) / tp["s_y"]
        i_bits = p_bits = 0.0
        for lat in clips:
            y_prev = None
            for t in range(lat.shape[0]):
                y = lat[t:t + 1].float() * gain
                z_hat = torch.round(base.h_a(y) * base._gain(base.log_zgain, q))
                acc = int_hs.simulate(hs_q, int_hs.input_codes(z_hat, izg, hs_q["s_in"]))
                mu, idx = int_hs.means(hs_q, acc).float(), int_hs.scale_indexes(hs_q, acc)
                v = torch.round(y - mu)
                bi = -torch.log2(gaussian_likelihood(v, table[idx].float()).clamp(min=1e-9)).sum() \
                    - torch.log2(base.z_prior.likelihood(z_hat).clamp(min=1e-9)).sum()
                if y_prev is None:
                    y_prev = v + mu
                    continue
                zp, _, _ = p_inputs(model, base, y, y_prev, q)
                acc = int_net.simulate(qn, {"z": int_net.input_codes(zp, zf), "y": int_net.input_codes(y_prev, yf)}, qq)
                col = lambda v: torch.from_numpy(v)[None, :, None, None]  # noqa: E731
                gate = torch.clamp(acc[:, 2 * M:] * col(tp["k_gate"]) + col(tp["c_gate"]), 0, 1)
                mu = (acc[:, :M] * col(tp["k_mu"]) + col(tp["c_mu"]) + gate * y_prev.double()).float()
                idx = int_net.scale_indexes(tp["thresholds"], acc[:, M:2 * M])
                v = torch.round(y - mu)
                bp = -torch.log2(gaussian_likelihood(v, table[idx].float()).clamp(min=1e-9)).sum() \
                    - torch.log2(model.z_prior.likelihood(zp).clamp(min=1e-9)).sum()
                y_prev = v + mu
                i_bits += bi.item()
                p_bits += bp.item()
        res.append((qq, p_bits / i_bits))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--name", default="video-sem")
    ap.add_argument("--base", type=Path, default=SEED_DIR / "video-sem-base.fp16.pt")
    ap.add_argument("--out", type=Path, default=ROOT / "models")
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/data/images/train")
    ap.add_argument("--videos", type=Path, default=ROOT.parent / "shared/data/video/train")
    ap.add_argument("--intra-period", type=int, default=32)
    args = ap.parse_args()
    torch.manual_seed(0)
    random.seed(0)

    base, base_state, digest = load_base(args.base)
    state = torch.load(args.ckpt, map_location="cpu")
    if state["base_sha256"] != digest:
        sys.exit(f"{args.ckpt} was trained over base weights {state['base_sha256'][:12]}, not {args.base} ({digest[:12]})")
    a = state["arch"]
    model = TemporalPrior(N=a["N"], M=a["M"], qualities=base.qualities, C2=a["C2"])
    model.load_state_dict(state["model"])
    model.eval()
    out_dir = args.out / args.name
    out_dir.mkdir(parents=True, exist_ok=True)

    bundle, check, hs_q = export_image_graphs(base, args.name, out_dir, args.images)
    export_float(model.h_a, 2 * model.M, out_dir / "h_a_p.onnx", (16, 16))

    lat = latents(base, digest, args.videos.resolve(), CACHE_DIR)
    train_clips = [v for k, v in lat.items() if k not in HOLDOUT]
    hold_clips = [v for k, v in lat.items() if k in HOLDOUT]
    scales = calibrate(model, base, train_clips)
    qn = int_net.quantize(network(model, scales), scales)
    int_net.to_onnx(qn, str(out_dir / "e_p_int.onnx"), "e_p_int")
    last = qn[-1]
    M = model.M
    fuse = next(L for L in qn if L["name"] == "f")
    scale_table = np.array(bundle["y"]["scale_table"])
    tp = {
        "s_z": scales["z"], "s_y": scales["y"],
        "k_mu": last["k"][:M], "c_mu": last["bias"][:M],
        "thresholds": int_net.scale_thresholds(last["k"][M:2 * M], last["bias"][M:2 * M], scale_table),
        "k_gate": last["k"][2 * M:], "c_gate": last["bias"][2 * M:],
    }
    temporal = {
        "format": "lcodec-video-temporal/1",
        "intra_period": args.intra_period,
        "zgain": torch.exp(model.log_zgain).tolist(),
        "izgain": torch.exp(model.log_izgain).tolist(),
        "z": factorized_tables(model),
        "e_p_int": {
            "s_z": tp["s_z"], "s_y": tp["s_y"],
            "k_mu": tp["k_mu"].tolist(), "c_mu": tp["c_mu"].tolist(),
            "k_gate": tp["k_gate"].tolist(), "c_gate": tp["c_gate"].tolist(),
            "thresholds": tp["thresholds"].tolist(),
            "fuse_bias": fuse["b_q"].tolist(),
        },
    }
    (out_dir / "temporal.json").write_text(json.dumps(temporal))
    weights_digest = files_digest(out_dir)

    int_ratio = integer_ratio(model, base, hs_q, qn, tp, hold_clips, list(range(base.qualities)))
    print("P/intra bits on the held-out clips (integer networks):", [f"{r:.3f}" for _, r in int_ratio])

    update_card(out_dir, {
        "name": args.name,
        "modality": "video",
        "architecture": "learned video codec: every frame through the transforms of the image codec "
                        f"hyperprior-mse at step {base_state.get('step')} (frozen); intra frames with its mean-scale hyperprior; "
                        "P-frames with a spatiotemporal entropy model (Liu et al. 2021, without motion or "
                        "context model): hyperprior of [y_t, ŷ_{t-1}] and the previous decoded latent ŷ_{t-1} "
                        "predict mean (Δ + gate · ŷ_{t-1}) and scale of y_t; integer networks on the decoder side",
        "N": model.N, "M": model.M,
        "parameters": {"image_transforms": sum(p.numel() for p in base.parameters()),
                       "temporal_model": sum(p.numel() for p in model.parameters())},
        "qualities": list(range(base.qualities)),
        "intra_period": args.intra_period,
        "base_image_model": {"name": "hyperprior-mse", "weights": args.base.name, "sha256": digest, "step": base_state.get("step"),
                             "hours": round(base_state.get("trained_s", 0) / 3600, 2)},
        "training": {
            "data": "../shared/data/video/train (16 clips, 40 frames each; per-clip terms in its SOURCES.md), "
                    f"latents of 14 clips; {', '.join(HOLDOUT)} held out for monitoring",
            "loss": "rate of the P-frame latents (bits of ẑ_t and ŷ_t); distortion is the image transform's",
            "steps": state["step"],
            "hours": round(state["trained_s"] / 3600, 2),
        },
        "holdout_p_over_intra_bits": [round(r, 4) for _, r in int_ratio],
        "integer_h_s_rate_check": check,
        "weights_sha256": weights_digest,
    })
    print(f"exported {args.name} to {out_dir} (weights {weights_digest[:12]})")


if __name__ == "__main__":
    main()
