#!/usr/bin/env python3
"""Export a trained image codec checkpoint to the runtime bundle in models/<name>/.

    /usr/bin/python3 training/export.py --ckpt ~/.cache/lcodec-train/hyperprior-mse/last.pt \
        --name hyperprior-mse --data ../shared/data/images/train

Writes:
  g_a.onnx, h_a.onnx, g_s.onnx   float transforms (fp16 weights, cast to fp32 in-graph)
  h_s_int.onnx                   the integer hyper-synthesis (see lcodec_train/int_hs.py)
  bundle.json                    gains per quality, integer-h_s parameters, entropy pmfs
  card.json                      the model card (training facts; `lcodec eval` fills results)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train import int_hs  # noqa: E402
from lcodec_train.hyperprior import Hyperprior, bits_per_image, load_hyperprior  # noqa: E402
from lcodec_train.layers import gaussian_likelihood, macs  # noqa: E402
from lcodec_train.paths import SEED_DIR, fp16_weights  # noqa: E402
from train import load_images, random_batch  # noqa: E402

OPSET = 17
TAIL = 1e-9  # probability mass left to the escape path on each side


class GainFree(nn.Module):
    """Wraps one transform for export; gains are applied by the runtime."""

    def __init__(self, seq: nn.Module):
        super().__init__()
        self.seq = seq

    def forward(self, x):
        return self.seq(x)


def export_float(module: nn.Module, cin: int, path: Path, hw: tuple[int, int]) -> None:
    x = torch.randn(1, cin, *hw)
    torch.onnx.export(GainFree(module), x, str(path), opset_version=OPSET, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {2: "h", 3: "w"}, "y": {2: "oh", 3: "ow"}})
    to_fp16_storage(path)


def to_fp16_storage(path: Path, keep_fp32: tuple[str, ...] = ()) -> None:
    """Stores float weights as fp16 with a Cast to fp32 in the graph: half the bytes,
    fp32 compute (ORT folds the casts when the session is created). Initializers whose name
    contains one of `keep_fp32` stay fp32 (layers where fp16 measurably costs quality)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(path))
    g = m.graph
    new_inits, casts = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size > 16 and not any(k in init.name for k in keep_fp32):
            new_inits.append(numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=TensorProto.FLOAT))
        else:
            new_inits.append(init)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def factorized_tables(model: Hyperprior) -> dict:
    prior = model.z_prior
    lo = torch.floor(prior.quantile(TAIL)).long()
    hi = torch.ceil(prior.quantile(1 - TAIL)).long()
    pmfs, offsets = [], []
    for c in range(prior.channels):
        v = torch.arange(lo[c].item(), hi[c].item() + 1, dtype=torch.float32)
        z = torch.zeros(1, prior.channels, 1, v.numel())
        z[0, c, 0, :] = v
        with torch.no_grad():
            p = prior.likelihood(z)[0, c, 0].double().numpy()
        pmfs.append([float(x) for x in p])
        offsets.append(int(lo[c].item()))
    return {"pmfs": pmfs, "offsets": offsets}


def gaussian_tables(scale_table: np.ndarray, likelihood=gaussian_likelihood) -> dict:
    """A pmf per scale (Gaussian by default; `likelihood(v, scale)` another zero-mean family)."""
    pmfs, offsets = [], []
    for s in scale_table:
        # half-width where both Gaussian tails together hold about TAIL (a heavier family's
        # rest is coded through the escape)
        k = int(math.ceil(s * 6.2 + 1))
        v = torch.arange(-k, k + 1, dtype=torch.float64)
        p = likelihood(v, torch.full_like(v, float(s))).numpy()
        pmfs.append([float(x) for x in p])
        offsets.append(-k)
    return {"scale_table": [float(s) for s in scale_table], "pmfs": pmfs, "offsets": offsets}


@torch.no_grad()
def rate_check(model: Hyperprior, q: dict, crops: torch.Tensor, qualities: int) -> list[dict]:
    """Estimated bpp with the float h_s vs the integer h_s + index tables, per quality."""
    table = torch.tensor(q["scale_table"])
    rows = []
    for qual in range(qualities):
        qv = torch.full((crops.shape[0],), qual, dtype=torch.long)
        out = model(crops, qv, noise=False)
        px = crops.shape[2] * crops.shape[3] * crops.shape[0]
        float_bpp = bits_per_image(out).sum().item() / px
        y = model.g_a(crops) * model._gain(model.log_gain, qv)
        z_hat = torch.round(model.h_a(y) * model._gain(model.log_zgain, qv))
        izg = torch.exp(model.log_izgain[qual])
        acc = int_hs.simulate(q, int_hs.input_codes(z_hat, izg, q["s_in"]))
        mu = int_hs.means(q, acc).float()
        idx = int_hs.scale_indexes(q, acc)
        sigma = table[idx].float()
        v = torch.round(y - mu)
        y_bits = -torch.log2(gaussian_likelihood(v, sigma).clamp(min=1e-9)).sum().item()
        z_bits = -torch.log2(out["z_lik"]).sum().item()
        rows.append({"quality": qual, "float_bpp": float_bpp, "int_bpp": (y_bits + z_bits) / px})
    return rows


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()




def save_seed_weights(model: nn.Module, state: dict, name: str,
                      keys: tuple[str, ...] = ("arch", "step", "trained_s", "lambdas")) -> None:
    """<SEED_DIR>/<name>.fp16.pt: the exported weights in fp16 and the checkpoint's
    `keys` (one file per model, replaced on each export), so training can restart from them
    on a fresh machine. Buffers stay as they are: fixed matrices (an STFT basis, a mel
    filterbank and its pseudo-inverse) lose too much in fp16."""
    SEED_DIR.mkdir(parents=True, exist_ok=True)
    weights = fp16_weights(model.state_dict(), {name for name, _ in model.named_parameters()})
    torch.save({"model": weights, **{k: state[k] for k in keys if k in state}}, SEED_DIR / f"{name}.fp16.pt")


def update_card(out_dir: Path, fields: dict, measured: tuple[str, ...] = ()) -> None:
    """Writes `fields` into out_dir/card.json, keeping what else the card holds, and refreshes
    the models index beside it. When the weights change, what was measured on the old ones
    (`eval`, `status` and the `measured` keys) goes: `lcodec eval` and bench/card-results.ts
    write it again."""
    path = out_dir / "card.json"
    card = json.loads(path.read_text()) if path.exists() else {}
    if card.get("weights_sha256") != fields.get("weights_sha256"):
        for key in ("eval", "status", *measured):
            card.pop(key, None)
    card.update(fields)
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    write_index(out_dir.parent)


def bundle_tables(model: nn.Module, q: dict, scale_table: np.ndarray, likelihood=gaussian_likelihood) -> dict:
    """The part of bundle.json the image and audio codecs share: gains per quality, the integer
    h_s parameters (int_hs.quantize) and the entropy tables of z and y (y's family: `likelihood`)."""
    return {
        "gain": torch.exp(model.log_gain).tolist(),
        "igain": torch.exp(model.log_igain).tolist(),
        "zgain": torch.exp(model.log_zgain).tolist(),
        "izgain": torch.exp(model.log_izgain).tolist(),
        "h_s_int": {
            "s_in": q["s_in"],
            "k_mu": q["k_mu"].tolist(),
            "c_mu": q["c_mu"].tolist(),
            "thresholds": q["thresholds"].tolist(),
        },
        "z": factorized_tables(model),
        "y": gaussian_tables(scale_table, likelihood),
        "precision": 16,
    }


def write_index(models_dir: Path) -> None:
    """models/index.json: every installed model's name, modality and card file."""
    entries = []
    for card in sorted(models_dir.glob("*/card.json")):
        c = json.loads(card.read_text())
        entries.append({"name": c["name"], "modality": c["modality"], "card": f"{card.parent.name}/card.json"})
    (models_dir / "index.json").write_text(json.dumps({"models": entries}, indent=2) + "\n")


def export_image_graphs(model: Hyperprior, name: str, out_dir: Path, data: Path) -> tuple[dict, list[dict], dict]:
    """g_a, h_a, g_s (float), the integer h_s and the runtime bundle (bundle.json) into out_dir;
    returns the bundle, the integer-h_s rate check and the integer h_s parameters."""
    arch = {"N": model.N, "M": model.M}
    Q = model.qualities
    export_float(model.g_a, 3, out_dir / "g_a.onnx", (256, 256))
    export_float(model.h_a, arch["M"], out_dir / "h_a.onnx", (16, 16))
    export_float(model.g_s, arch["M"], out_dir / "g_s.onnx", (16, 16))

    crops = random_batch(load_images(data, 256), 16, 256)
    scale_table = int_hs.gaussian_scale_table()
    calib = int_hs.calibrate(model, crops, Q)
    q = int_hs.quantize(model, calib, scale_table)
    q["scale_table"] = scale_table
    int_hs.to_onnx(q, arch["N"], str(out_dir / "h_s_int.onnx"))
    check = rate_check(model, q, crops[:8], Q)
    for r in check:
        print(f"q{r['quality']}: float h_s {r['float_bpp']:.4f} bpp, integer h_s {r['int_bpp']:.4f} bpp "
              f"({(r['int_bpp'] / r['float_bpp'] - 1) * 100:+.2f} %)")

    bundle = {
        "format": "lcodec-image-hyperprior/1",
        "name": name,
        "arch": {"N": arch["N"], "M": arch["M"], "stride": 64, "y_stride": 16},
        "qualities": Q,
        **bundle_tables(model, q, scale_table),
    }
    (out_dir / "bundle.json").write_text(json.dumps(bundle))
    return bundle, check, q


def macs_per_pixel(model: Hyperprior) -> dict[str, int]:
    """Multiply-accumulates per pixel of each transform and of the encoder (g_a, h_a, h_s) and
    decoder (h_s, g_s), on a 256 x 256 image."""
    side = 256
    per = {
        "g_a": macs(model.g_a, torch.zeros(1, 3, side, side)),
        "h_a": macs(model.h_a, torch.zeros(1, model.M, side // 16, side // 16)),
        "h_s": macs(model.h_s, torch.zeros(1, model.N, side // 64, side // 64)),
        "g_s": macs(model.g_s, torch.zeros(1, model.M, side // 16, side // 16)),
    }
    per = {k: round(v / side ** 2) for k, v in per.items()}
    return {**per, "encoder": per["g_a"] + per["h_a"] + per["h_s"], "decoder": per["h_s"] + per["g_s"]}


def files_digest(out_dir: Path) -> str:
    """The weights hash of a model folder: over its graphs and bundles (not the card)."""
    files = sorted(p.name for p in out_dir.iterdir() if p.suffix in {".onnx", ".json"} and p.name != "card.json")
    return hashlib.sha256("".join(sha256(out_dir / f) for f in files).encode()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/images/train")
    args = ap.parse_args()

    torch.manual_seed(0)
    random.seed(0)
    model, state = load_hyperprior(args.ckpt)
    Q = model.qualities
    out_dir = args.out / args.name
    out_dir.mkdir(parents=True, exist_ok=True)

    _, check, _ = export_image_graphs(model, args.name, out_dir, args.data)
    digest = files_digest(out_dir)
    update_card(out_dir, {
        "name": args.name,
        "modality": "image",
        "architecture": "mean-scale hyperprior (Minnen, Balle, Toderici 2018) without context model; "
                        "GDN; sub-pixel upsampling; per-quality gain vectors (Cui et al. 2021); "
                        "integer hyper-synthesis for exact decoding (Balle et al. 2019)",
        "N": model.N, "M": model.M, "G": model.G,
        "parameters": sum(p.numel() for p in model.parameters()),
        "macs_per_pixel": macs_per_pixel(model),
        "qualities": list(range(Q)),
        "lambdas": state.get("lambdas"),
        "distortion": "MS-SSIM" if "msssim" in args.name else "MSE",
        "training": {
            "data": "../shared/data/images/train (635 photos: BSDS500, Urban100, Wikipedia photos; "
                    "research-use / per-image CC terms, see its SOURCES.md)",
            "steps": state["step"],
            "hours": round(state["trained_s"] / 3600, 2),
            # the crop and batch of the last run (older checkpoints did not record them)
            "crop": state.get("crop", 192 if "msssim" in args.name else 128),
            "batch": state.get("batch", 8),
        },
        "weights_sha256": digest,
        "integer_h_s_rate_check": check,
    })
    save_seed_weights(model, state, args.name)
    print(f"exported {args.name} to {out_dir} (weights {digest[:12]})")


if __name__ == "__main__":
    main()
