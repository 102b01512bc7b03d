"""Integer hyper-synthesis of the audio codec, for exact decoding on any backend.

The same approach as the image codec's int_hs.py (Balle et al. 2019, "Integer networks for
data compression with latent-variable models"), for 1-D convolutions: int8 weights with a
per-output-channel scale, uint8 activations with a per-layer scale calibrated on training
segments, int32 accumulators, and integer thresholds that map the last accumulator straight
to a scale-table index. Only integers decide which table codes a symbol.

The last layer has 2 * M * Z_STRIDE output channels: channel (c * Z_STRIDE + j) of a z frame t
belongs to latent channel c (mu for c < M, sigma for c >= M) at latent frame t * Z_STRIDE + j.
The ONNX graph runs on (1, C, 1, T) tensors (2-D ops with height 1).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .int_hs import SHIFT, gaussian_scale_table  # noqa: F401  (re-exported for export_audio.py)


def _convs(h_s: nn.Sequential) -> list[nn.Conv1d]:
    return [m for m in h_s if isinstance(m, nn.Conv1d)]


@torch.no_grad()
def calibrate(model, segments: torch.Tensor, qualities: int, pct: float = 99.999) -> dict:
    """Activation scales from training segments over all qualities: the input (signed) and
    the two hidden ReLU outputs (unsigned)."""
    inputs, hidden = [], [[], []]
    for q in range(qualities):
        qv = torch.full((segments.shape[0],), q, dtype=torch.long)
        y = model.g_a(segments) * model._gain(model.log_gain, qv)
        z = model.h_a(y) * model._gain(model.log_zgain, qv)
        a = torch.round(z) * model._gain(model.log_izgain, qv)
        inputs.append(a.abs().flatten())
        h, k = a, 0
        for mod in model.h_s:
            h = mod(h)
            if isinstance(mod, nn.ReLU):
                hidden[k].append(h.flatten())
                k += 1
    s0 = torch.quantile(torch.cat(inputs)[:4_000_000], pct / 100).item() / 127.0
    s = [torch.quantile(torch.cat(v)[:4_000_000], pct / 100).item() / 255.0 for v in hidden]
    return {"s_in": max(s0, 1e-6), "s_hidden": [max(x, 1e-6) for x in s]}


def quantize(model, calib: dict, scale_table: np.ndarray) -> dict:
    layers = _convs(model.h_s)
    s_act = [calib["s_in"]] + calib["s_hidden"]
    out = {"layers": [], "s_in": calib["s_in"]}
    for i, conv in enumerate(layers):
        w = conv.weight.detach().double().numpy()  # (Cout, Cin, k)
        b = conv.bias.detach().double().numpy()
        sw = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0, 1e-12)
        wq = np.clip(np.round(w / sw[:, None, None]), -127, 127).astype(np.int8)
        k = s_act[i] * sw  # real value of one accumulator unit, per output channel
        layer = {"w": wq, "zp": 128 if i == 0 else 0, "k": k, "bias": b}
        if i < len(layers) - 1:
            s_out = s_act[i + 1]
            layer["m"] = np.round(k / s_out * 2 ** SHIFT).astype(np.int64)
            layer["b"] = np.round(b / s_out * 2 ** SHIFT + 2 ** (SHIFT - 1)).astype(np.int64)
        out["layers"].append(layer)
    last = out["layers"][-1]
    half = last["w"].shape[0] // 2  # M * Z_STRIDE
    k_sig, c_sig = last["k"][half:], last["bias"][half:]
    # sigma = softplus(acc * k + c) > boundary  <=>  acc >= T (k > 0): thresholds per channel.
    bounds = np.sqrt(scale_table[:-1] * scale_table[1:])
    raw_b = np.log(np.expm1(bounds))
    T = np.floor((raw_b[None, :] - c_sig[:, None]) / k_sig[:, None]) + 1
    out["thresholds"] = np.clip(T, -(2 ** 31), 2 ** 31 - 1).astype(np.int64)
    out["k_mu"], out["c_mu"] = last["k"][:half], last["bias"][:half]
    return out


def simulate(q: dict, a0: torch.Tensor) -> torch.Tensor:
    """Reference integer pass in float64 (exact at these magnitudes): uint8 (B, Nz, T) ->
    last int accumulator (B, 2 * M * Z_STRIDE, T)."""
    h = a0.double()
    for i, L in enumerate(q["layers"]):
        w = torch.from_numpy(L["w"].astype(np.float64))
        acc = F.conv1d(h - L["zp"], w, padding=w.shape[-1] // 2)
        if i == len(q["layers"]) - 1:
            return acc
        m = torch.from_numpy(L["m"].astype(np.float64))[None, :, None]
        b = torch.from_numpy(L["b"].astype(np.float64))[None, :, None]
        h = torch.clamp(torch.floor(torch.clamp(acc * m + b, min=0) / 2 ** SHIFT), max=255)
    raise AssertionError("unreachable")


def input_codes(z_hat: torch.Tensor, izgain: torch.Tensor, s_in: float) -> torch.Tensor:
    """uint8 input of the integer h_s, with the same float64 arithmetic as the TS runtime."""
    factor = izgain.double() / s_in
    return torch.clamp(torch.round(z_hat.double() * factor[None, :, None]) + 128, 0, 255)


def scale_indexes(q: dict, acc: torch.Tensor, z_stride: int) -> torch.Tensor:
    """acc (B, 2*M*R, T) -> table indexes (B, M, T*R)."""
    half = q["thresholds"].shape[0]
    T = torch.from_numpy(q["thresholds"].astype(np.float64))  # (M*R, S-1)
    idx = (acc[:, half:].unsqueeze(-1) >= T[None, :, None, :]).sum(-1)  # (B, M*R, T)
    b, mr, t = idx.shape
    return idx.reshape(b, mr // z_stride, z_stride, t).transpose(2, 3).reshape(b, mr // z_stride, t * z_stride)


def means(q: dict, acc: torch.Tensor, z_stride: int) -> torch.Tensor:
    half = q["thresholds"].shape[0]
    k = torch.from_numpy(q["k_mu"])[None, :, None]
    c = torch.from_numpy(q["c_mu"])[None, :, None]
    mu = acc[:, :half] * k + c
    b, mr, t = mu.shape
    return mu.reshape(b, mr // z_stride, z_stride, t).transpose(2, 3).reshape(b, mr // z_stride, t * z_stride)


def to_onnx(q: dict, Nz: int, path: str) -> None:
    """Integer h_s graph: uint8 (1, Nz, 1, T) -> int32 (1, 2*M*Z_STRIDE, 1, T)."""
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
        inits.append(numpy_helper.from_array(L["w"][:, :, None, :], p + "w"))
        inits.append(numpy_helper.from_array(np.array(L["zp"], np.uint8), p + "zp"))
        last = i == len(q["layers"]) - 1
        nodes.append(helper.make_node("ConvInteger", [cur, p + "w", p + "zp"], ["acc" if last else p + "acc"],
                                      pads=[0, k, 0, k]))
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
    out_c = q["layers"][-1]["w"].shape[0]
    graph = helper.make_graph(
        nodes, "h_s_int",
        [helper.make_tensor_value_info("a0", TP.UINT8, [1, Nz, 1, "t"])],
        [helper.make_tensor_value_info("acc", TP.INT32, [1, out_c, 1, "t"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="lcodec")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
