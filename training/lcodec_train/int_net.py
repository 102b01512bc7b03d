"""Integer networks of any small DAG of convolutions (Balle et al. 2019, "Integer networks
for data compression with latent-variable models"), for the decoder-side models whose
outputs pick probability tables. The same method as int_hs.py, generalized to several
inputs, concatenation and per-quality biases:

    input  a = clip(round(x * factor) + 128, 0, 255)             (uint8, computed in TS)
    conv   acc = ConvInteger(a - zp, W)                           (int32, exact)
    relu   a' = min(max(acc * m + b, 0) // 2^SHIFT, 255)          (int64, exact)
           (sub-pixel layers apply DepthToSpace to the uint8 a')
    concat of uint8 activations (each keeps its own scale: folded into the next weights)
    last   acc (int32): the runtime maps it to means (float, exact IEEE in TS) and to table
           indexes by integer thresholds.

A network is a list of nodes, each {"name", "op", ...}:
    {"op": "input", "channels": C, "scale": s}           real value = s * (a - 128); s a number or
                                                          one per channel
    {"op": "input", ..., "unsigned": True}               real value = s * a (a ReLU activation of
                                                          another integer network)
    {"op": "conv", "src": name, "conv": nn.Conv2d, "relu": bool, "shuffle": bool,
     "qbias": tensor (Q, C) or None}                      relu layers get a calibrated scale
    {"op": "conv", "src": [names], "conv": [nn.Conv2d]}  the sum of convolutions of several
                                                          sources (each keeps its zero point: one
                                                          ConvInteger each, int32 Add; the weights
                                                          share one scale per output channel)
    {"op": "concat", "srcs": [names]}
The last node is the output. Weights are int8 per output channel, activations uint8.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

SHIFT = 16


def per_channel(v: np.ndarray | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A per-channel vector shaped to broadcast over tensors shaped like `like` (B, C, ...)."""
    t = torch.from_numpy(v) if isinstance(v, np.ndarray) else v
    return t.reshape(1, -1, *[1] * (like.dim() - 2))


def requantize(acc: torch.Tensor, m: np.ndarray, b: np.ndarray) -> torch.Tensor:
    """The uint8 activation of a ReLU layer from its accumulator: min(max(acc * m + b, 0) //
    2^SHIFT, 255), in float64 (exact for these magnitudes)."""
    m_, b_ = per_channel(m.astype(np.float64), acc), per_channel(b.astype(np.float64), acc)
    return torch.clamp(torch.floor(torch.clamp(acc * m_ + b_, min=0) / 2 ** SHIFT), max=255)


def calibrate_scales(float_acts: dict[str, list[torch.Tensor]], pct: float = 99.999) -> dict[str, float]:
    """Per node, the scale that maps its pct-percentile to the code range: inputs
    (signed, 127 codes) and ReLU outputs (unsigned, 255 codes). float_acts[name] holds
    float activations collected from the float model."""
    out = {}
    for name, acts in float_acts.items():
        v = torch.cat([a.flatten() for a in acts])
        if v.numel() > 4_000_000:
            v = v[torch.randperm(v.numel())[:4_000_000]]
        signed = bool((v < 0).any())
        top = torch.quantile(v.abs().float(), pct / 100).item()
        out[name] = max(top / (127.0 if signed else 255.0), 1e-6)
    return out


def quantize(nodes: list[dict], scales: dict[str, float]) -> list[dict]:
    """Integer parameters of every node; `scales` has an entry per input and ReLU conv."""
    q: list[dict] = []
    chan_scale: dict[str, np.ndarray] = {}  # per channel real value of one code unit
    zero_point: dict[str, int] = {}
    for node in nodes:
        name, op = node["name"], node["op"]
        if op == "input":
            chan_scale[name] = np.broadcast_to(np.asarray(node["scale"], np.float64), (node["channels"],)).copy()
            zero_point[name] = 0 if node.get("unsigned") else 128
            q.append({"name": name, "op": op, "channels": node["channels"], "zp": zero_point[name]})
        elif op == "concat":
            zps = {zero_point[s] for s in node["srcs"]}
            assert len(zps) == 1, "concat of activations with different zero points"
            chan_scale[name] = np.concatenate([chan_scale[s] for s in node["srcs"]])
            zero_point[name] = zps.pop()
            q.append({"name": name, "op": op, "srcs": list(node["srcs"])})
        else:
            srcs = node["src"] if isinstance(node["src"], list) else [node["src"]]
            convs = node["conv"] if isinstance(node["conv"], list) else [node["conv"]]
            ws = [c.weight.detach().double().numpy() * chan_scale[s][None, :, None, None] for s, c in zip(srcs, convs)]
            b = sum(c.bias.detach().double().numpy() for c in convs if c.bias is not None)
            sw = np.maximum(np.max([np.abs(w).reshape(w.shape[0], -1).max(1) for w in ws], 0) / 127.0, 1e-12)
            wqs = [np.clip(np.round(w / sw[:, None, None, None]), -127, 127).astype(np.int8) for w in ws]
            wq = wqs[0]
            L = {"name": name, "op": "conv", "src": srcs[0], "w": wq, "zp": zero_point[srcs[0]],
                 "relu": node["relu"], "shuffle": node.get("shuffle", False), "k": sw, "bias": b}
            if len(srcs) > 1:
                L["parts"] = [{"src": s, "w": w, "zp": zero_point[s]} for s, w in zip(srcs, wqs)]
            if node["relu"]:
                s_out = scales[name]
                L["m"] = np.round(sw / s_out * 2 ** SHIFT).astype(np.int64)
                L["b"] = np.round(b / s_out * 2 ** SHIFT + 2 ** (SHIFT - 1)).astype(np.int64)
                qb = node.get("qbias")
                if qb is not None:  # per-quality bias, an input of the graph
                    qb = qb.detach().double().numpy()
                    L["b_q"] = np.round((b[None, :] + qb) / s_out * 2 ** SHIFT + 2 ** (SHIFT - 1)).astype(np.int64)
                out_c = wq.shape[0] // (4 if L["shuffle"] else 1)
                chan_scale[name] = np.full(out_c, s_out)
                zero_point[name] = 0
            q.append(L)
    return q


def simulate(q: list[dict], inputs: dict[str, torch.Tensor], quality: int | None = None) -> torch.Tensor:
    """Reference integer forward pass in float64 (exact for these magnitudes): uint8 codes
    per input -> the last node's int32 accumulator."""
    vals: dict[str, torch.Tensor] = {}
    for L in q:
        if L["op"] == "input":
            vals[L["name"]] = inputs[L["name"]].double()
        elif L["op"] == "concat":
            vals[L["name"]] = torch.cat([vals[s] for s in L["srcs"]], 1)
        else:
            acc = 0
            for part in L.get("parts", [L]):
                w = torch.from_numpy(part["w"].astype(np.float64))
                acc = acc + F.conv2d(vals[part["src"]] - part["zp"], w, padding=w.shape[-1] // 2)
            if not L["relu"]:
                vals[L["name"]] = acc
                continue
            h = requantize(acc, L["m"], L["b_q"][quality] if "b_q" in L else L["b"])
            vals[L["name"]] = F.pixel_shuffle(h, 2) if L["shuffle"] else h
    return vals[q[-1]["name"]]


def input_codes(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """uint8 codes of a signed input: the same float64 arithmetic as the TS runtime.
    factor: per channel (gain / scale)."""
    return torch.clamp(torch.round(x.double() * per_channel(factor.double(), x)) + 128, 0, 255)


def scale_thresholds(k: np.ndarray, c: np.ndarray, scale_table: np.ndarray) -> np.ndarray:
    """sigma = softplus(acc * k + c); the index of the nearest table scale in the log domain
    is the count of boundaries sqrt(s_i s_{i+1}) below sigma, and sigma > bound <=> acc >= T."""
    bounds = np.sqrt(scale_table[:-1] * scale_table[1:])
    raw_b = np.where(bounds > 30, bounds, np.log(np.expm1(np.minimum(bounds, 30))))  # softplus^-1, no overflow
    T = np.floor((raw_b[None, :] - c[:, None]) / k[:, None]) + 1
    return np.clip(T, -(2 ** 31), 2 ** 31 - 1).astype(np.int64)


def scale_indexes(T: np.ndarray, acc: torch.Tensor) -> torch.Tensor:
    """Per element of acc (B, C, ...), the count of its channel's thresholds T (C, S-1) it reaches."""
    Tt = torch.from_numpy(T.astype(np.float64))
    return (acc.unsqueeze(-1) >= Tt.reshape(1, T.shape[0], *[1] * (acc.dim() - 2), -1)).sum(-1)


def onnx_constants() -> list:
    """The scalar initializers the requantization nodes use: zero, div (2^SHIFT) and c255."""
    from onnx import numpy_helper

    return [numpy_helper.from_array(np.array(0, np.int64), "zero"),
            numpy_helper.from_array(np.array(2 ** SHIFT, np.int64), "div"),
            numpy_helper.from_array(np.array(255, np.int64), "c255")]


def onnx_requantize(acc: str, m: str, bias: str, p: str) -> list:
    """ONNX nodes of `requantize`: int32 `acc` -> uint8 `<p>u8`."""
    from onnx import TensorProto as TP
    from onnx import helper

    return [
        helper.make_node("Cast", [acc], [p + "acc64"], to=TP.INT64),
        helper.make_node("Mul", [p + "acc64", m], [p + "mul"]),
        helper.make_node("Add", [p + "mul", bias], [p + "add"]),
        helper.make_node("Max", [p + "add", "zero"], [p + "relu"]),
        helper.make_node("Div", [p + "relu", "div"], [p + "shift"]),
        helper.make_node("Min", [p + "shift", "c255"], [p + "clip"]),
        helper.make_node("Cast", [p + "clip"], [p + "u8"], to=TP.UINT8),
    ]


def save_onnx(graph, path: str) -> None:
    """Checks and writes a graph as an opset-17 model."""
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="lcodec")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def to_onnx(q: list[dict], path: str, graph_name: str) -> None:
    """The ONNX graph: uint8 inputs (1, C, h, w) (plus an int64 (1, C, 1, 1) bias input
    `<conv>_bias` per conv with per-quality biases) -> int32 `acc`."""
    from onnx import TensorProto as TP
    from onnx import helper, numpy_helper

    nodes, inits, inputs = [], onnx_constants(), []
    out_name = {}
    for i, L in enumerate(q):
        n = L["name"]
        last = i == len(q) - 1
        if L["op"] == "input":
            inputs.append(helper.make_tensor_value_info(n, TP.UINT8, [1, L["channels"], f"{n}_h", f"{n}_w"]))
            out_name[n] = n
            continue
        if L["op"] == "concat":
            nodes.append(helper.make_node("Concat", [out_name[s] for s in L["srcs"]], [n + "_cat"], axis=1))
            out_name[n] = n + "_cat"
            continue
        acc = "acc" if last else n + "_acc"
        parts = L.get("parts", [L])
        for j, part in enumerate(parts):
            p = n if len(parts) == 1 else f"{n}_{j}"
            k = part["w"].shape[-1] // 2
            inits.append(numpy_helper.from_array(part["w"], p + "_w"))
            inits.append(numpy_helper.from_array(np.array(part["zp"], np.uint8), p + "_zp"))
            nodes.append(helper.make_node("ConvInteger", [out_name[part["src"]], p + "_w", p + "_zp"],
                                          [acc if len(parts) == 1 else p + "_acc"], pads=[k, k, k, k]))
        for j in range(1, len(parts)):  # (Sum takes floats only; Add takes int32)
            prev = f"{n}_0_acc" if j == 1 else f"{n}_sum{j - 1}"
            nodes.append(helper.make_node("Add", [prev, f"{n}_{j}_acc"], [acc if j == len(parts) - 1 else f"{n}_sum{j}"]))
        if last:
            assert not L["relu"], "the last node is the raw accumulator"
            out_name[n] = acc
            break
        C = L["w"].shape[0]
        inits.append(numpy_helper.from_array(L["m"].reshape(1, C, 1, 1), n + "_m"))
        if "b_q" in L:
            inputs.append(helper.make_tensor_value_info(n + "_bias", TP.INT64, [1, C, 1, 1]))
        else:
            inits.append(numpy_helper.from_array(L["b"].reshape(1, C, 1, 1), n + "_bias"))
        nodes += onnx_requantize(acc, n + "_m", n + "_bias", n + "_")
        out_name[n] = n + "_u8"
        if L["shuffle"]:
            nodes.append(helper.make_node("DepthToSpace", [out_name[n]], [n + "_up"], blocksize=2, mode="CRD"))
            out_name[n] = n + "_up"
    out_c = q[-1]["w"].shape[0]
    graph = helper.make_graph(nodes, graph_name, inputs,
                              [helper.make_tensor_value_info("acc", TP.INT32, [1, out_c, "oh", "ow"])], inits)
    save_onnx(graph, path)
