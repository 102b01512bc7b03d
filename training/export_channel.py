#!/usr/bin/env python3
"""Export a channel-wise context model checkpoint (lcodec_train/channel.py) to models/<name>/.

    /usr/bin/python3 training/export_channel.py --ckpt ~/.cache/lcodec-train/channel-mse/last.pt \
        --name channel-mse

Writes:
  g_a.onnx, h_a.onnx       float transforms (fp16 weights, fp32 compute), as export.py
  h_s_int.onnx             the integer hyper-synthesis: uint8 a0 and the first layer's
                           requantization multipliers of the quality `l0_m` (int64, one input
                           scale per quality) -> int32 acc (mu_hs, scale) and uint8 `hidden`,
                           the activation its last layer reads (H)
  slice_<i>_int.onnx       the integer slice networks (int_net.py): uint8 H, uint8 ctx (the
                           earlier slices; none for slice 0) and an int64 per-quality bias
                           `l0_bias` -> int32 acc (d_mu, then d_ls, per channel of the slice)
  g_s.onnx                 float: yn (the normalized latent), H (float, s_hidden * hidden) and
                           igain[q] (1, M, 1, 1) -> x_hat; latent residual prediction inside
  bundle.json, card.json

Decoding, per tile (every value that picks a table or a mean is computed from integers, in
float64 with the operations in this order):
  a0 = clip(round(z_hat * izgain[q][c] / s_in[q]) + 128, 0, 255);  (acc, H) = h_s_int(a0, m0[q])
  mu_hs = acc[c] * k_mu[c] + c_mu[c]
  i_hs  = #{j : acc[M + c] >= thresholds[c][j]} - J          (may lie outside 0..S-1)
  for each slice (channels a..b, n = b - a):
    ctx = clip(round(y_hat[c] * ctx_factor[q][c]) + 128, 0, 255) for c < a
    acc = slice_i_int(H, ctx, b_q[q])
    mu  = mu_hs[c] + gain[q][c] * (acc[c - a] * k_mu[c - a] + c_mu[c - a])
    idx = clamp(i_hs[c] + #{j : acc[n + c - a] >= shift_thresholds[c - a][j]} - J, 0, S - 1)
    symbols coded under table idx;  y_hat[c] = symbol + mu
  x_hat = g_s(y_hat * igain[q], s_hidden * H, igain[q])
The scale table is log-spaced, so a scale factor exp(d_ls) is a shift of round(d_ls / log r)
entries: the slice networks move the hyperprior's index instead of predicting a new scale.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import (export_float, factorized_tables, files_digest, gaussian_tables, to_fp16_storage,  # noqa: E402
                    update_card)
from lcodec_train import int_hs, int_net  # noqa: E402
from lcodec_train.channel import LOG_SCALE_BOUND, ChannelModel, load_channel_model  # noqa: E402
from lcodec_train.hyperprior import bits_per_image  # noqa: E402
from lcodec_train.layers import gaussian_likelihood, macs  # noqa: E402
from train import load_images, random_batch  # noqa: E402

OPSET = 17


def scale_table(n: int) -> tuple[np.ndarray, float]:
    """The Gaussian scale table (0.11 .. 256, log-spaced, n entries) and log of its ratio."""
    t = int_hs.gaussian_scale_table(n=n)
    return t, math.log(t[1] / t[0])


class Synthesis(nn.Module):
    """g_s with latent residual prediction, as the runtime runs it."""

    def __init__(self, model: ChannelModel):
        super().__init__()
        self.g_s, self.lrp = model.g_s, model.lrp

    def forward(self, yn: torch.Tensor, H: torch.Tensor, igain: torch.Tensor) -> torch.Tensor:
        return self.g_s(yn + 0.5 * torch.tanh(self.lrp(torch.cat([H, yn], 1))) * igain)


def export_synthesis(model: ChannelModel, path: Path) -> None:
    M, C = model.M, model.HS[1]
    args = (torch.randn(1, M, 16, 16), torch.rand(1, C, 16, 16), torch.rand(1, M, 1, 1))
    torch.onnx.export(Synthesis(model), args, str(path), opset_version=OPSET, input_names=["yn", "H", "igain"],
                      output_names=["x_hat"], dynamic_axes={"yn": {2: "h", 3: "w"}, "H": {2: "h", 3: "w"},
                                                            "x_hat": {2: "oh", 3: "ow"}})
    to_fp16_storage(path)


def slice_network(model: ChannelModel, i: int, scales: dict) -> list[dict]:
    """The int_net description of slice network i; `scales` holds H's scale, the context's
    per-channel scales and the two hidden layers' scales."""
    net = model.slice_nets[i]
    a, _ = model.bounds[i]
    nodes = [{"name": "H", "op": "input", "channels": model.HS[1], "scale": scales["H"], "unsigned": True}]
    srcs, convs = ["H"], [net.conv_h]
    if a:
        nodes.append({"name": "ctx", "op": "input", "channels": a, "scale": scales["ctx"][:a]})
        srcs.append("ctx")
        convs.append(net.conv_y)
    nodes += [
        {"name": "l0", "op": "conv", "src": srcs, "conv": convs, "relu": True, "qbias": net.qbias},
        {"name": "l1", "op": "conv", "src": "l0", "conv": net.mid, "relu": True},
        {"name": "out", "op": "conv", "src": "l1", "conv": net.out, "relu": False},
    ]
    return nodes


@torch.no_grad()
def float_activations(model: ChannelModel, crops: torch.Tensor) -> dict:
    """Over every quality: the float yn of each channel, and per slice its two hidden
    activations (what the integer scales are calibrated on)."""
    Q = model.qualities
    yn_all, hidden = [], {i: {"l0": [], "l1": []} for i in range(len(model.slices))}
    for q in range(Q):
        qv = torch.full((crops.shape[0],), q, dtype=torch.long)
        y = model.g_a(crops) * model._gain(model.log_gain, qv)
        z_hat = torch.round(model.h_a(y) * model._gain(model.log_zgain, qv))
        H, mu_hs, sigma_hs = model.hyper_features(z_hat, qv)
        gain, igain = model._gain(model.log_gain, qv), model._gain(model.log_igain, qv)
        parts = []
        for i, (net, (a, b)) in enumerate(zip(model.slice_nets, model.bounds)):
            ctx = torch.cat(parts, 1) if parts else None
            h = net.conv_h(H) + net.qbias[qv][:, :, None, None]
            if ctx is not None:
                h = h + net.conv_y(ctx)
            l0 = torch.relu(h)
            l1 = torch.relu(net.mid(l0))
            hidden[i]["l0"].append(l0)
            hidden[i]["l1"].append(l1)
            d_mu, _ = net.out(l1).chunk(2, 1)
            mu = mu_hs[:, a:b] + gain[:, a:b] * d_mu
            parts.append((torch.round(y[:, a:b] - mu) + mu) * igain[:, a:b])
        yn_all.append(torch.cat(parts, 1))
    return {"yn": torch.cat(yn_all), "hidden": hidden}


def calibrate(model: ChannelModel, crops: torch.Tensor, pct: float = 99.999) -> tuple[dict, list[dict]]:
    """Integer h_s parameters' calibration and, per slice, the scales of its integer network."""
    hs_calib = int_hs.calibrate(model, crops, model.qualities, pct, per_quality=True)
    acts = float_activations(model, crops)
    yn = acts["yn"].transpose(0, 1).reshape(model.M, -1).abs()
    k = max(1, math.ceil(pct / 100 * yn.shape[1]))
    ctx_scale = (torch.kthvalue(yn, min(k, yn.shape[1]), dim=1).values.double().numpy() / 127.0).clip(1e-4)
    slice_scales = []
    for i in range(len(model.slices)):
        s = {"H": hs_calib["s_hidden"][1], "ctx": ctx_scale}
        for name in ("l0", "l1"):
            v = torch.cat([t.flatten() for t in acts["hidden"][i][name]])
            s[name] = max(int_hs._percentile(v, pct) / 255.0, 1e-6)
        slice_scales.append(s)
    return hs_calib, slice_scales


def shift_thresholds(k: np.ndarray, c: np.ndarray, log_ratio: float, J: int) -> np.ndarray:
    """d_ls = acc * k + c; the shift round(d_ls / log_ratio) in -J..J is the count of the 2J
    boundaries (j + 1/2) log_ratio it reaches, minus J: d_ls > bound <=> acc >= T."""
    bounds = (np.arange(-J, J) + 0.5) * log_ratio
    T = np.floor((bounds[None, :] - c[:, None]) / k[:, None]) + 1
    return np.clip(T, -(2 ** 31), 2 ** 31 - 1).astype(np.int64)


def quantize(model: ChannelModel, hs_calib: dict, slice_scales: list[dict], table_size: int) -> dict:
    table, log_r = scale_table(table_size)
    J = math.ceil(LOG_SCALE_BOUND / log_r)
    # the hyperprior's index on the table extended by J entries each way (the shift may bring it back)
    ext = np.exp(np.log(table[0]) + log_r * np.arange(-J, table_size + J))
    hs = int_hs.quantize(model, hs_calib, ext)
    slices = []
    for i, (a, b) in enumerate(model.bounds):
        qn = int_net.quantize(slice_network(model, i, slice_scales[i]), slice_scales[i])
        last, n = qn[-1], b - a
        slices.append({"q": qn, "start": a, "end": b, "k_mu": last["k"][:n], "c_mu": last["bias"][:n],
                       "shift_thresholds": shift_thresholds(last["k"][n:], last["bias"][n:], log_r, J)})
    igain = torch.exp(model.log_igain).detach().double().numpy()
    ctx_factor = igain / slice_scales[0]["ctx"][None, :]
    return {"hs": hs, "slices": slices, "table": table, "log_ratio": log_r, "J": J, "ctx_factor": ctx_factor,
            "s_hidden": hs_calib["s_hidden"][1]}


def count_at_least(acc: torch.Tensor, T: np.ndarray) -> torch.Tensor:
    return int_net.scale_indexes(T, acc)


@torch.no_grad()
def integer_pass(model: ChannelModel, qi: dict, x: torch.Tensor, q: int) -> dict:
    """The codec's pass over x at quality q with the integer networks (float64 reference of
    the runtime): y bits, z bits and x_hat."""
    M, J, S = model.M, qi["J"], len(qi["table"])
    qv = torch.full((x.shape[0],), q, dtype=torch.long)
    y = (model.g_a(x) * model._gain(model.log_gain, qv)).double()
    z_hat = torch.round(model.h_a(y.float()) * model._gain(model.log_zgain, qv))
    z_bits = -torch.log2(model.z_prior.likelihood(z_hat).clamp(min=1e-9)).sum().item()
    hs = qi["hs"]
    acc, Hu8 = int_hs.simulate(hs, int_hs.input_codes(z_hat, torch.exp(model.log_izgain[q]), hs["s_in_q"][q]),
                               hidden=True, quality=q)
    mu_hs = int_hs.means(hs, acc)
    i_hs = int_hs.scale_indexes(hs, acc) - J
    gain = torch.exp(model.log_gain[q]).double()
    factor = torch.from_numpy(qi["ctx_factor"][q])
    y_hat = torch.zeros_like(y)
    y_bits = 0.0
    table = torch.from_numpy(qi["table"])
    for sl in qi["slices"]:
        a, b = sl["start"], sl["end"]
        n = b - a
        inputs = {"H": Hu8}
        if a:
            inputs["ctx"] = int_net.input_codes(y_hat[:, :a], factor[:a])
        out = int_net.simulate(sl["q"], inputs, q)
        d_mu = out[:, :n] * int_net.per_channel(sl["k_mu"], out) + int_net.per_channel(sl["c_mu"], out)
        mu = mu_hs[:, a:b] + int_net.per_channel(gain[a:b], out) * d_mu
        idx = (i_hs[:, a:b] + count_at_least(out[:, n:], sl["shift_thresholds"]) - J).clamp(0, S - 1)
        sym = torch.round(y[:, a:b] - mu)
        y_hat[:, a:b] = sym + mu
        y_bits += -torch.log2(gaussian_likelihood(sym, table[idx]).clamp(min=1e-9)).sum().item()
    igain = model._gain(model.log_igain, qv)
    H = (Hu8 * qi["s_hidden"]).float()
    x_hat = Synthesis(model)(y_hat.float() * igain, H, igain)
    return {"y_bits": y_bits, "z_bits": z_bits, "x_hat": x_hat}


@torch.no_grad()
def rate_check(model: ChannelModel, qi: dict, crops: torch.Tensor) -> list[dict]:
    """Per quality: bpp and PSNR of the float model (true rounding) and of the integer pass."""
    rows = []
    px = crops.shape[0] * crops.shape[2] * crops.shape[3]
    for q in range(model.qualities):
        out = model(crops, torch.full((crops.shape[0],), q, dtype=torch.long), noise=False)
        ip = integer_pass(model, qi, crops, q)

        def psnr(xh: torch.Tensor) -> float:
            return 10 * math.log10(1 / torch.mean((xh.clamp(0, 1) - crops) ** 2).item())

        rows.append({"quality": q, "float_bpp": bits_per_image(out).sum().item() / px,
                     "int_bpp": (ip["y_bits"] + ip["z_bits"]) / px,
                     "float_psnr": psnr(out["x_hat"]), "int_psnr": psnr(ip["x_hat"])})
    return rows


def macs_per_pixel(model: ChannelModel) -> dict[str, int]:
    side = 256
    yh = side // 16
    z = torch.zeros(1, model.N, yh // 4, yh // 4)
    H = torch.zeros(1, model.HS[1], yh, yh)
    ctx_macs = sum(macs(net.conv_h, H) + macs(net.mid, torch.zeros(1, model.hidden, yh, yh))
                   + macs(net.out, torch.zeros(1, model.hidden, yh, yh))
                   + (macs(net.conv_y, torch.zeros(1, a, yh, yh)) if a else 0)
                   for net, (a, _) in zip(model.slice_nets, model.bounds))
    per = {
        "g_a": macs(model.g_a, torch.zeros(1, 3, side, side)),
        "h_a": macs(model.h_a, torch.zeros(1, model.M, yh, yh)),
        "h_s": macs(model.h_s, z),
        "slices": ctx_macs,
        "g_s": macs(model.g_s, torch.zeros(1, model.M, yh, yh)) + macs(model.lrp, torch.zeros(1, model.HS[1] + model.M, yh, yh)),
    }
    per = {k: round(v / side ** 2) for k, v in per.items()}
    return {**per, "encoder": per["g_a"] + per["h_a"] + per["h_s"] + per["slices"],
            "decoder": per["h_s"] + per["slices"] + per["g_s"]}


def bundle_json(model: ChannelModel, qi: dict, name: str) -> dict:
    hs = qi["hs"]
    return {
        "format": "lcodec-image-channel/1",
        "name": name,
        "arch": {"N": model.N, "M": model.M, "HS": list(model.HS), "slices": list(model.slices),
                 "hidden": model.hidden, "stride": 64, "y_stride": 16},
        "qualities": model.qualities,
        "gain": torch.exp(model.log_gain).tolist(),
        "igain": torch.exp(model.log_igain).tolist(),
        "zgain": torch.exp(model.log_zgain).tolist(),
        "izgain": torch.exp(model.log_izgain).tolist(),
        "J": qi["J"],
        "h_s_int": {"s_in": hs["s_in_q"], "m0": hs["layers"][0]["m_q"].tolist(), "s_hidden": qi["s_hidden"],
                    "k_mu": hs["k_mu"].tolist(),
                    "c_mu": hs["c_mu"].tolist(), "thresholds": hs["thresholds"].tolist()},
        "ctx_factor": qi["ctx_factor"].tolist(),
        "slices": [{"start": sl["start"], "end": sl["end"], "k_mu": sl["k_mu"].tolist(), "c_mu": sl["c_mu"].tolist(),
                    "shift_thresholds": sl["shift_thresholds"].tolist(),
                    "b_q": sl["q"][next(i for i, L in enumerate(sl["q"]) if L.get("name") == "l0")]["b_q"].tolist()}
                   for sl in qi["slices"]],
        "z": factorized_tables(model),
        "y": gaussian_tables(qi["table"]),
        "precision": 16,
    }


def _digest(t: torch.Tensor, dtype) -> str:
    import hashlib
    return hashlib.sha256(t.flatten().long().numpy().astype(dtype).tobytes()).hexdigest()


@torch.no_grad()
def test_vectors(model: ChannelModel, qi: dict, q: int) -> dict:
    """Random integer inputs of h_s_int and of every slice network at quality q (ẑ on a 2 × 2
    grid), with what the reference integer pass gives (int_hs.simulate, int_net.simulate): what
    any runtime's ONNX execution of the exported graphs must reproduce exactly. Inputs as flat
    lists (NCHW); outputs as the sha256 of their little-endian bytes (acc int32, hidden uint8)
    and their first 32 values, so the file stays small."""
    g = torch.Generator().manual_seed(1)
    hs = qi["hs"]
    a0 = torch.randint(0, 256, (1, model.N, 2, 2), generator=g).double()
    acc, Hu8 = int_hs.simulate(hs, a0, hidden=True, quality=q)
    flat = lambda t: t.flatten().long().tolist()  # noqa: E731

    def output(t: torch.Tensor, dtype) -> dict:
        return {"shape": list(t.shape), "sha256": _digest(t, dtype), "head": flat(t)[:32]}

    vec = {"quality": q, "h_s_int": {"a0": flat(a0), "l0_m": hs["layers"][0]["m_q"][q].tolist(),
                                      "acc": output(acc, "<i4"), "hidden": output(Hu8, "u1")}, "slices": []}
    side = Hu8.shape[-1]
    for sl in qi["slices"]:
        a = sl["start"]
        inputs = {"H": Hu8}
        if a:
            inputs["ctx"] = torch.randint(0, 256, (1, a, side, side), generator=g).double()
        out = int_net.simulate(sl["q"], inputs, q)
        l0 = next(L for L in sl["q"] if L.get("name") == "l0")
        vec["slices"].append({"ctx": flat(inputs["ctx"]) if a else None, "l0_bias": l0["b_q"][q].tolist(),
                              "acc": output(out, "<i4")})
    return vec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/images/train")
    ap.add_argument("--table-size", type=int, default=64, help="entries of the Gaussian scale table")
    ap.add_argument("--crops", type=int, default=16, help="256² training crops for calibration (half for the check)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--vectors", type=Path, default=None,
                    help="also write test vectors of the integer graphs here (export_channel.test_vectors)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    random.seed(0)
    model, state = load_channel_model(args.ckpt)
    out_dir = args.out / args.name
    out_dir.mkdir(parents=True, exist_ok=True)
    export_float(model.g_a, 3, out_dir / "g_a.onnx", (256, 256))
    export_float(model.h_a, model.M, out_dir / "h_a.onnx", (16, 16))
    export_synthesis(model, out_dir / "g_s.onnx")

    crops = random_batch(load_images(args.data, 256), args.crops, 256)
    hs_calib, slice_scales = calibrate(model, crops)
    qi = quantize(model, hs_calib, slice_scales, args.table_size)
    int_hs.to_onnx(qi["hs"], model.N, str(out_dir / "h_s_int.onnx"), hidden=True)
    for i, sl in enumerate(qi["slices"]):
        int_net.to_onnx(sl["q"], str(out_dir / f"slice_{i}_int.onnx"), f"slice_{i}_int")
    (out_dir / "bundle.json").write_text(json.dumps(bundle_json(model, qi, args.name)))
    check = rate_check(model, qi, crops[: args.crops // 2])
    for r in check:
        print(f"q{r['quality']}: float {r['float_bpp']:.4f} bpp {r['float_psnr']:.2f} dB, integer "
              f"{r['int_bpp']:.4f} bpp ({(r['int_bpp'] / r['float_bpp'] - 1) * 100:+.2f} %) {r['int_psnr']:.2f} dB")
    digest = files_digest(out_dir)
    if args.vectors:  # (with the weights they belong to: a new export needs new vectors)
        args.vectors.write_text(json.dumps({"model": args.name, "weights_sha256": digest,
                                            **test_vectors(model, qi, model.qualities // 2)}) + "\n")
    update_card(out_dir, {
        "name": args.name,
        "modality": "image",
        "architecture": "channel-wise autoregressive entropy model (Minnen & Singh 2020) on uneven slices "
                        "(He et al. 2022) with latent residual prediction, over a mean-scale hyperprior; GDN; "
                        "sub-pixel upsampling; per-quality gain vectors (Cui et al. 2021); integer hyper-synthesis "
                        "and slice networks for exact decoding (Balle et al. 2019)",
        "N": model.N, "M": model.M, "G": model.G, "slices": list(model.slices),
        "parameters": sum(p.numel() for p in model.parameters()),
        "macs_per_pixel": macs_per_pixel(model),
        "qualities": list(range(model.qualities)),
        "lambdas": state.get("lambdas"),
        "distortion": "MS-SSIM" if "msssim" in args.name else "MSE",
        "training": {
            "data": "../shared/data/images/train (635 photos: BSDS500, Urban100, Wikipedia photos; "
                    "research-use / per-image CC terms, see its SOURCES.md)",
            "steps": state.get("step"),
            "hours": round(state.get("trained_s", 0.0) / 3600, 2),
            "crop": state.get("crop"),
            "batch": state.get("batch"),
        },
        "weights_sha256": digest,
        "integer_rate_check": check,
    })
    print(f"exported {args.name} to {out_dir} (weights {digest[:12]})")


if __name__ == "__main__":
    main()
