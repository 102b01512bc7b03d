"""Integer copy of the hyper-synthesis transform h_s (Balle et al. 2019, "Integer networks
for data compression with latent-variable models"), for the image and the audio codec.

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
calibrated on training data. All decisions are integer comparisons, so any backend that
computes ConvInteger correctly produces the same indexes.

The image h_s is 2-D (three 3x3 convolutions, sub-pixel upsampling). The audio h_s is 1-D;
its ONNX graph runs on (1, C, 1, T) tensors (2-D ops with height 1), and its last layer has
2 * M * Z_STRIDE output channels: channel (c * Z_STRIDE + j) of z frame t belongs to latent
channel c (mu for c < M, sigma for c >= M) at latent frame t * Z_STRIDE + j (shuffle1d).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import int_net
from .int_net import SHIFT


def _convs(h_s: nn.Sequential) -> list[tuple[nn.Module, bool]]:
    """(conv, followed_by_pixel_shuffle) for the convolutions of h_s."""
    layers = []
    for mod in h_s:
        if isinstance(mod, nn.Sequential):  # SubPelUp
            layers.append((mod[0], True))
        elif isinstance(mod, (nn.Conv1d, nn.Conv2d)):
            layers.append((mod, False))
    return layers


def _percentile(v: torch.Tensor, pct: float) -> float:
    """The pct-th percentile of all of v (torch.quantile has a size limit; a prefix of v would
    hold only the lowest qualities)."""
    k = min(v.numel(), max(1, math.ceil(pct / 100 * v.numel())))
    return torch.kthvalue(v.flatten().float(), k).values.item()


@torch.no_grad()
def calibrate(model, x: torch.Tensor, qualities: int, pct: float = 99.999, per_quality: bool = False) -> dict:
    """Activation scales from training crops (or segments) x over all qualities: the input
    (signed) and the two hidden ReLU outputs (unsigned). With `per_quality`, also an input scale
    per quality ("s_in_q"): when the top qualities' hyper-latents are far larger than the low
    ones', one input scale leaves the low qualities about one code per z step (+5 % rate at
    the lowest quality of channel-mse, measured); the first layer then takes a requantization
    multiplier per quality."""
    inputs, hidden = [], [[], []]
    for q in range(qualities):
        qv = torch.full((x.shape[0],), q, dtype=torch.long)
        y = model.g_a(x) * model._gain(model.log_gain, qv)
        z = model.h_a(y) * model._gain(model.log_zgain, qv)
        a = torch.round(z) * model._gain(model.log_izgain, qv)
        inputs.append(a.abs().flatten())
        h, k = a, 0
        for mod in model.h_s:
            h = mod(h)
            if isinstance(mod, nn.ReLU):
                hidden[k].append(h.flatten())
                k += 1
    s0 = _percentile(torch.cat(inputs), pct) / 127.0
    s = [_percentile(torch.cat(v), pct) / 255.0 for v in hidden]
    out = {"s_in": max(s0, 1e-6), "s_hidden": [max(x, 1e-6) for x in s]}
    if per_quality:
        out["s_in_q"] = [max(_percentile(v, pct) / 127.0, 1e-6) for v in inputs]
    return out


def quantize(model, calib: dict, scale_table: np.ndarray) -> dict:
    """Integer parameters of h_s. Returns numpy arrays for the ONNX graph and the
    float64/int parameters the TypeScript runtime needs."""
    layers = _convs(model.h_s)
    s_act = [calib["s_in"]] + calib["s_hidden"]
    out = {"layers": [], "s_in": calib["s_in"]}
    if "s_in_q" in calib:
        out["s_in_q"] = list(calib["s_in_q"])
    for i, (conv, shuffle) in enumerate(layers):
        w = conv.weight.detach().double().numpy()  # (Cout, Cin, k[, k])
        b = conv.bias.detach().double().numpy()
        sw = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0, 1e-12)
        wq = np.clip(np.round(w / sw.reshape(-1, *[1] * (w.ndim - 1))), -127, 127).astype(np.int8)
        k = s_act[i] * sw  # real value of one accumulator unit, per output channel
        layer = {"w": wq, "shuffle": shuffle, "zp": 128 if i == 0 else 0, "k": k, "bias": b}
        if i < len(layers) - 1:
            s_out = s_act[i + 1]
            layer["m"] = np.round(k / s_out * 2 ** SHIFT).astype(np.int64)
            layer["b"] = np.round(b / s_out * 2 ** SHIFT + 2 ** (SHIFT - 1)).astype(np.int64)
            if i == 0 and "s_in_q" in calib:  # one multiplier per quality: the input scale's
                layer["m_q"] = np.stack([np.round(s_q * sw / s_out * 2 ** SHIFT).astype(np.int64)
                                         for s_q in calib["s_in_q"]])
        out["layers"].append(layer)
    last = out["layers"][-1]
    half = last["w"].shape[0] // 2  # mean channels, then as many scale channels
    out["thresholds"] = int_net.scale_thresholds(last["k"][half:], last["bias"][half:], scale_table)
    out["k_mu"], out["c_mu"] = last["k"][:half], last["bias"][:half]
    return out


def simulate(q: dict, a0: torch.Tensor, hidden: bool = False, quality: int | None = None):
    """Reference integer forward pass in float64 (exact for these magnitudes):
    uint8 input a0 -> final int accumulator (and, with `hidden`, the uint8 activation the last
    layer reads: what the channel model's slice networks read too)."""
    conv = F.conv2d if a0.dim() == 4 else F.conv1d
    h = a0.double()
    for i, L in enumerate(q["layers"]):
        w = torch.from_numpy(L["w"].astype(np.float64))
        acc = conv(h - L["zp"], w, padding=w.shape[-1] // 2)
        if i == len(q["layers"]) - 1:
            return (acc, h) if hidden else acc
        h = int_net.requantize(acc, L["m_q"][quality] if "m_q" in L else L["m"], L["b"])
        if L["shuffle"]:
            h = F.pixel_shuffle(h, 2)
    raise AssertionError("unreachable")


def input_codes(z_hat: torch.Tensor, izgain: torch.Tensor, s_in: float) -> torch.Tensor:
    """uint8 input of the integer h_s: the same float64 arithmetic as the TS runtime."""
    return int_net.input_codes(z_hat, izgain.double() / s_in)


def scale_indexes(q: dict, acc: torch.Tensor) -> torch.Tensor:
    """Scale-table indexes, per output channel of the scale half."""
    return int_net.scale_indexes(q["thresholds"], acc[:, q["thresholds"].shape[0]:])


def means(q: dict, acc: torch.Tensor) -> torch.Tensor:
    """Means, per output channel of the mean half."""
    acc = acc[:, :q["thresholds"].shape[0]]
    return acc * int_net.per_channel(q["k_mu"], acc) + int_net.per_channel(q["c_mu"], acc)


def to_onnx(q: dict, channels: int, path: str, hidden: bool = False) -> None:
    """Builds the integer h_s graph: uint8 a0 -> int32 acc, (1, N, h, w) -> (1, 2M, 4h, 4w)
    for the image h_s, (1, Nz, 1, t) -> (1, 2 * M * Z_STRIDE, 1, t) for the audio one. With
    `hidden`, a second output: the uint8 activation the last layer reads (image only)."""
    from onnx import TensorProto as TP
    from onnx import helper, numpy_helper

    nodes, inits, extra_inputs = [], int_net.onnx_constants(), []
    cur = "a0"
    for i, L in enumerate(q["layers"]):
        p = f"l{i}_"
        w = L["w"] if L["w"].ndim == 4 else L["w"][:, :, None, :]
        kh, kw = w.shape[2] // 2, w.shape[3] // 2
        inits.append(numpy_helper.from_array(w, p + "w"))
        inits.append(numpy_helper.from_array(np.array(L["zp"], np.uint8), p + "zp"))
        last = i == len(q["layers"]) - 1
        nodes.append(helper.make_node("ConvInteger", [cur, p + "w", p + "zp"], ["acc" if last else p + "acc"],
                                      pads=[kh, kw, kh, kw]))
        if last:
            break
        C = L["w"].shape[0]
        if "m_q" in L:  # the multiplier of the quality: an input
            extra_inputs.append(helper.make_tensor_value_info(p + "m", TP.INT64, [1, C, 1, 1]))
        else:
            inits.append(numpy_helper.from_array(L["m"].reshape(1, C, 1, 1), p + "m"))
        inits.append(numpy_helper.from_array(L["b"].reshape(1, C, 1, 1), p + "b"))
        nodes += int_net.onnx_requantize(p + "acc", p + "m", p + "b", p)
        cur = p + "u8"
        if L["shuffle"]:
            nodes.append(helper.make_node("DepthToSpace", [cur], [p + "up"], blocksize=2, mode="CRD"))
            cur = p + "up"
    out_c = q["layers"][-1]["w"].shape[0]
    in_hw, out_hw = (["h", "w"], ["h4", "w4"]) if q["layers"][0]["w"].ndim == 4 else ([1, "t"], [1, "t"])
    outputs = [helper.make_tensor_value_info("acc", TP.INT32, [1, out_c, *out_hw])]
    if hidden:
        nodes.append(helper.make_node("Identity", [cur], ["hidden"]))
        outputs.append(helper.make_tensor_value_info("hidden", TP.UINT8, [1, q["layers"][-1]["w"].shape[1], *out_hw]))
    graph = helper.make_graph(
        nodes, "h_s_int",
        [helper.make_tensor_value_info("a0", TP.UINT8, [1, channels, *in_hw])] + extra_inputs,
        outputs,
        inits,
    )
    int_net.save_onnx(graph, path)


def gaussian_scale_table(lo: float = 0.11, hi: float = 256.0, n: int = 64) -> np.ndarray:
    return np.exp(np.linspace(math.log(lo), math.log(hi), n))
