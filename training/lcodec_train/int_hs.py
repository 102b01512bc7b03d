"""Integer copy of the hyper-synthesis transform h_s (Balle et al. 2019, "Integer networks
for data compression with latent-variable models").

Everything the decoder needs to pick a probability table for a symbol of y comes from h_s.
A float network whose output is rounded to a table index is not reproducible across
thread counts, execution providers and CPUs: one ulp flips an index and the rest of the
file decodes to garbage. So the runtime runs this integer version on both sides:

    a_0   = clip(round(z_hat * izgain[q] / s_0) + 128, 0, 255)          (uint8, in TS)
    acc_l = ConvInteger(a_{l-1} - zp, W_l)                               (int32, exact)
    a_l   = min(max(acc_l * m_l + b_l, 0) // 2^SHIFT, 255)                (int64, exact)
    (sub-pixel layers apply DepthToSpace to the uint8 a_l)
    final: acc (int32) -> mu = acc * k_mu + c_mu (float64 in TS, not needed exactly),
           scale index = #{i : acc >= T[channel][i]} (integer thresholds, exact).

Weights are int8 with a per-output-channel scale; activations uint8 with a per-layer scale
calibrated on training crops. All decisions are integer comparisons, so any backend that
computes ConvInteger correctly produces the same indexes.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SHIFT = 16


def _convs(h_s: nn.Sequential) -> list[tuple[nn.Conv2d, bool]]:
    """(conv, followed_by_pixel_shuffle) for the three layers of h_s."""
    layers = []
    for mod in h_s:
        if isinstance(mod, nn.Sequential):  # SubPelUp
            layers.append((mod[0], True))
        elif isinstance(mod, nn.Conv2d):
            layers.append((mod, False))
    return layers


@torch.no_grad()
def calibrate(model, crops: torch.Tensor, qualities: int, pct: float = 99.999) -> dict:
    """Activation scales from training crops over all qualities: input (signed) and the
    two hidden ReLU outputs (unsigned)."""
    inputs, hidden = [], [[], []]
    for q in range(qualities):
        qv = torch.full((crops.shape[0],), q, dtype=torch.long)
        y = model.g_a(crops) * model._gain(model.log_gain, qv)
        z = model.h_a(y) * model._gain(model.log_zgain, qv)
        a = torch.round(z) * model._gain(model.log_izgain, qv)
        inputs.append(a.abs().flatten())
        h = a
        k = 0
        for mod in model.h_s:
            h = mod(h)
            if isinstance(mod, nn.ReLU):
                hidden[k].append(h.flatten())
                k += 1
    s0 = torch.quantile(torch.cat(inputs)[:4_000_000], pct / 100).item() / 127.0
    s = [torch.quantile(torch.cat(v)[:4_000_000], pct / 100).item() / 255.0 for v in hidden]
    return {"s_in": max(s0, 1e-6), "s_hidden": [max(x, 1e-6) for x in s]}


def quantize(model, calib: dict, scale_table: np.ndarray) -> dict:
    """Integer parameters of h_s. Returns numpy arrays for the ONNX graph and the
    float64/int parameters the TypeScript runtime needs."""
    layers = _convs(model.h_s)
    s_act = [calib["s_in"]] + calib["s_hidden"]
    out = {"layers": [], "s_in": calib["s_in"]}
    for i, (conv, shuffle) in enumerate(layers):
        w = conv.weight.detach().double().numpy()
        b = conv.bias.detach().double().numpy()
        sw = np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0
        sw = np.maximum(sw, 1e-12)
        wq = np.clip(np.round(w / sw[:, None, None, None]), -127, 127).astype(np.int8)
        k = s_act[i] * sw  # real value of one accumulator unit, per output channel
        layer = {"w": wq, "shuffle": shuffle, "zp": 128 if i == 0 else 0, "k": k, "bias": b}
        if i < len(layers) - 1:
            s_out = s_act[i + 1]
            layer["m"] = np.round(k / s_out * 2 ** SHIFT).astype(np.int64)
            layer["b"] = np.round(b / s_out * 2 ** SHIFT + 2 ** (SHIFT - 1)).astype(np.int64)
        out["layers"].append(layer)
    last = out["layers"][-1]
    M = last["w"].shape[0] // 2
    k_mu, c_mu = last["k"][:M], last["bias"][:M]
    k_sig, c_sig = last["k"][M:], last["bias"][M:]
    # sigma = softplus(raw), raw = acc * k + c. Index of the nearest table scale in the log
    # domain: count of boundaries sqrt(s_i s_{i+1}) below sigma. sigma > b  <=>  acc >= T.
    bounds = np.sqrt(scale_table[:-1] * scale_table[1:])
    raw_b = np.log(np.expm1(bounds))  # softplus^-1
    T = np.floor((raw_b[None, :] - c_sig[:, None]) / k_sig[:, None]) + 1
    out["thresholds"] = np.clip(T, -(2 ** 31), 2 ** 31 - 1).astype(np.int64)
    out["k_mu"], out["c_mu"] = k_mu, c_mu
    return out


def simulate(q: dict, a0: torch.Tensor) -> torch.Tensor:
    """Reference integer forward pass in float64 (exact for these magnitudes):
    uint8 input a0 -> final int accumulator."""
    h = a0.double()
    for i, L in enumerate(q["layers"]):
        w = torch.from_numpy(L["w"].astype(np.float64))
        acc = F.conv2d(h - L["zp"], w, padding=w.shape[-1] // 2)
        if i == len(q["layers"]) - 1:
            return acc
        m = torch.from_numpy(L["m"].astype(np.float64))[None, :, None, None]
        b = torch.from_numpy(L["b"].astype(np.float64))[None, :, None, None]
        h = torch.clamp(torch.floor(torch.clamp(acc * m + b, min=0) / 2 ** SHIFT), max=255)
        if L["shuffle"]:
            h = F.pixel_shuffle(h, 2)
    raise AssertionError("unreachable")


def input_codes(z_hat: torch.Tensor, izgain: torch.Tensor, s_in: float) -> torch.Tensor:
    """uint8 input of the integer h_s: the same float64 arithmetic as the TS runtime."""
    factor = izgain.double() / s_in
    return torch.clamp(torch.round(z_hat.double() * factor[None, :, None, None]) + 128, 0, 255)


def scale_indexes(q: dict, acc: torch.Tensor) -> torch.Tensor:
    M = q["thresholds"].shape[0]
    T = torch.from_numpy(q["thresholds"].astype(np.float64))  # (M, S-1)
    a = acc[:, M:].unsqueeze(-1)
    return (a >= T[None, :, None, None, :]).sum(-1)


def means(q: dict, acc: torch.Tensor) -> torch.Tensor:
    M = q["thresholds"].shape[0]
    k = torch.from_numpy(q["k_mu"])[None, :, None, None]
    c = torch.from_numpy(q["c_mu"])[None, :, None, None]
    return acc[:, :M] * k + c


def to_onnx(q: dict, N: int, path: str) -> None:
    """Builds the integer h_s graph: uint8 (1, N, h, w) -> int32 (1, 2M, 4h, 4w)."""
    import onnx
    from onnx import TensorProto as TP
    from onnx import helper, numpy_helper

    nodes, inits = [], []
    cur = "a0"
    inits.append(numpy_helper.from_array(np.array(0, np.int64), "zero"))
    inits.append(numpy_helper.from_array(np.array(2 ** SHIFT, np.int64), "div"))
    inits.append(numpy_helper.from_array(np.array(255, np.int64), "c255"))
    for i, L in enumerate(q["layers"]):
        p = f"l{i}_"
        k = L["w"].shape[-1] // 2
        inits.append(numpy_helper.from_array(L["w"], p + "w"))
        inits.append(numpy_helper.from_array(np.array(L["zp"], np.uint8), p + "zp"))
        last = i == len(q["layers"]) - 1
        nodes.append(helper.make_node("ConvInteger", [cur, p + "w", p + "zp"], ["acc" if last else p + "acc"],
                                      pads=[k, k, k, k]))
        if last:
            break
        C = L["w"].shape[0]
        inits.append(numpy_helper.from_array(L["m"].reshape(1, C, 1, 1), p + "m"))
        inits.append(numpy_helper.from_array(L["b"].reshape(1, C, 1, 1), p + "b"))
        nodes += [
            helper.make_node("Cast", [p + "acc"], [p + "acc64"], to=TP.INT64),
            helper.make_node("Mul", [p + "acc64", p + "m"], [p + "mul"]),
            helper.make_node("Add", [p + "mul", p + "b"], [p + "add"]),
            helper.make_node("Max", [p + "add", "zero"], [p + "relu"]),
            helper.make_node("Div", [p + "relu", "div"], [p + "shift"]),
            helper.make_node("Min", [p + "shift", "c255"], [p + "clip"]),
            helper.make_node("Cast", [p + "clip"], [p + "u8"], to=TP.UINT8),
        ]
        cur = p + "u8"
        if L["shuffle"]:
            nodes.append(helper.make_node("DepthToSpace", [cur], [p + "up"], blocksize=2, mode="CRD"))
            cur = p + "up"
    out_c = q["layers"][-1]["w"].shape[0]
    graph = helper.make_graph(
        nodes, "h_s_int",
        [helper.make_tensor_value_info("a0", TP.UINT8, [1, N, "h", "w"])],
        [helper.make_tensor_value_info("acc", TP.INT32, [1, out_c, "h4", "w4"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="lcodec")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def gaussian_scale_table(lo: float = 0.11, hi: float = 256.0, n: int = 64) -> np.ndarray:
    return np.exp(np.linspace(math.log(lo), math.log(hi), n))
