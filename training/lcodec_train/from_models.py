"""Training weights of an image model rebuilt from its export in models/<name>/, so that a lost
checkpoint costs its optimizer state, not its hours of training.

What the export holds and how each part comes back:
  g_a, h_a, g_s     their ONNX initializers keep the parameter names (fp16: exact to fp16)
  gains             bundle.json, as they were
  h_s               h_s_int.onnx and bundle.json hold it as int8 weights with per-channel
                    scales folded into the requantization multipliers; dequantized exactly
                    up to the int8 rounding (see int_hs.quantize for the forward direction)
  z prior           bundle.json holds its pmf per channel; a fresh FactorizedDensity is fitted
                    to those pmfs (the parameters themselves are not exported)
The hidden activation scales of the integer h_s are not recoverable, and need not be: a ReLU
network computes the same function with any positive per-layer rescaling, so they are chosen
to give every layer the same weight magnitude relative to its fan-in.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from .hyperprior import Hyperprior
from .int_net import SHIFT
from .layers import FactorizedDensity


def _initializers(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def _float_transform(path: Path, prefix: str) -> dict[str, torch.Tensor]:
    """Parameters of an exported float transform ('seq.<k>...' initializers, fp16 or not)."""
    out = {}
    for name, arr in _initializers(path).items():
        if name.startswith("seq."):
            out[prefix + name[len("seq."):].removesuffix("_fp16")] = torch.from_numpy(arr.astype(np.float32))
    return out


def _scale_affine(T: np.ndarray, scale_table: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(k, c) per channel from the integer thresholds T (channels, S-1), inverting
    int_net.scale_thresholds: T_i = floor((r_i - c) / k) + 1 with r_i the raw (pre-softplus)
    scale boundaries, so r_i ~ k (T_i - 1/2) + c; a least-squares line per channel."""
    table = np.asarray(scale_table)
    r = np.log(np.expm1(np.sqrt(table[:-1] * table[1:])))
    t = T.astype(np.float64) - 0.5
    tm, rm = t.mean(1, keepdims=True), r.mean()
    k = ((t - tm) * (r - rm)).sum(1) / ((t - tm) ** 2).sum(1)
    return k, rm - k * tm[:, 0]


def _h_s(model_dir: Path, bundle: dict) -> dict[str, torch.Tensor]:
    init = _initializers(model_dir / "h_s_int.onnx")
    hs = bundle["h_s_int"]
    w = [init[f"l{i}_w"].astype(np.float64) for i in range(3)]
    m = [init[f"l{i}_m"].reshape(-1).astype(np.float64) for i in range(2)]
    b = [init[f"l{i}_b"].reshape(-1).astype(np.float64) for i in range(2)]
    k_sigma, c_sigma = _scale_affine(np.asarray(hs["thresholds"]), bundle["y"]["scale_table"])
    k_last = np.concatenate([np.asarray(hs["k_mu"]), k_sigma])
    c_last = np.concatenate([np.asarray(hs["c_mu"]), c_sigma])

    def per_out(k: np.ndarray) -> np.ndarray:
        return k.reshape(-1, 1, 1, 1)

    # With hidden scales s1, s2 (real value of one uint8 step after layers 0 and 1):
    #   w0 = wq0 * m0 s1 / (2^S s_in),  w1 = wq1 * m1 s2 / (2^S s1),  w2 = wq2 * k_last / s2
    #   bias0 = (b0 - 2^(S-1)) s1 / 2^S,  bias1 = (b1 - 2^(S-1)) s2 / 2^S,  bias2 = c_last
    unit = [w[0] * per_out(m[0]) / (2 ** SHIFT * hs["s_in"]), w[1] * per_out(m[1]) / 2 ** SHIFT,
            w[2] * per_out(k_last)]
    # magnitude of each layer at s1 = s2 = 1, relative to its fan-in
    g = [np.sqrt((u ** 2).mean() * u[0].size) for u in unit]
    target = (g[0] * g[1] * g[2]) ** (1 / 3)
    s1 = target / g[0]               # layer 0 scales with s1
    s2 = target * s1 / g[1]          # layer 1 with s2 / s1 (layer 2 with 1 / s2 follows)
    weights = [unit[0] * s1, unit[1] * s2 / s1, unit[2] / s2]
    biases = [(b[0] - 2 ** (SHIFT - 1)) * s1 / 2 ** SHIFT, (b[1] - 2 ** (SHIFT - 1)) * s2 / 2 ** SHIFT, c_last]
    keys = ["h_s.0.0", "h_s.2.0", "h_s.4"]
    out = {}
    for key, wt, bs in zip(keys, weights, biases):
        out[f"{key}.weight"] = torch.from_numpy(wt).float()
        out[f"{key}.bias"] = torch.from_numpy(bs).float()
    return out


def _fit_prior(bundle: dict, iters: int = 3000) -> tuple[dict[str, torch.Tensor], float]:
    """A FactorizedDensity fitted to the exported z pmfs (cross-entropy over each channel's
    table); returns its parameters and the mean excess in bits per z symbol."""
    pmfs, offsets = bundle["z"]["pmfs"], bundle["z"]["offsets"]
    C, L = len(pmfs), max(len(p) for p in pmfs)
    v = torch.zeros(1, C, 1, L)  # table values (padding has p = 0)
    p = torch.zeros(1, C, 1, L)
    for c, (pm, off) in enumerate(zip(pmfs, offsets)):
        v[0, c, 0, :len(pm)] = torch.arange(off, off + len(pm), dtype=torch.float32)
        p[0, c, 0, :len(pm)] = torch.tensor(pm, dtype=torch.float32)
    torch.manual_seed(0)
    prior = FactorizedDensity(C)
    opt = torch.optim.Adam(prior.parameters(), lr=1e-2)
    entropy = -(p * torch.log2(p.clamp(min=1e-12))).sum() / C

    def cross_entropy() -> torch.Tensor:
        lik = prior.likelihood(v)
        return -(p * torch.log2(lik.clamp(min=1e-12))).sum() / C

    for i in range(iters):
        if i == iters * 2 // 3:
            for grp in opt.param_groups:
                grp["lr"] = 1e-3
        loss = cross_entropy()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        excess = (cross_entropy() - entropy).item()
    return {f"z_prior.{k}": t.detach() for k, t in prior.state_dict().items()}, excess


def weights_from_models(model_dir: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(state dict of a Hyperprior, facts) rebuilt from an exported image model folder; facts
    hold its arch, lambdas, training steps/hours and the prior fit's excess bits per z symbol."""
    bundle = json.loads((model_dir / "bundle.json").read_text())
    card = json.loads((model_dir / "card.json").read_text())
    state = {}
    for name in ("g_a", "h_a", "g_s"):
        state.update(_float_transform(model_dir / f"{name}.onnx", f"{name}."))
    state.update(_h_s(model_dir, bundle))
    for key in ("gain", "igain", "zgain", "izgain"):
        state[f"log_{key}"] = torch.log(torch.tensor(bundle[key], dtype=torch.float32))
    prior, excess = _fit_prior(bundle)
    state.update(prior)
    arch = {"N": card["N"], "M": card["M"], "G": card["G"]}
    # the state dict is complete and of the right shapes
    Hyperprior(**arch, qualities=bundle["qualities"]).load_state_dict(state)
    facts = {"arch": arch, "lambdas": card["lambdas"], "step": card["training"]["steps"],
             "trained_s": card["training"]["hours"] * 3600.0, "prior_excess_bits": excess}
    return state, facts


def exported_float_weights(model_dir: Path) -> dict[str, torch.Tensor]:
    """The float parameters an image model's export holds (fp16 storage: exact to fp16): g_a and
    h_a ('seq.*' initializers), g_s (and, for the channel model, the latent residual prediction
    `lrp` beside it, whose initializers keep their own names)."""
    out = {}
    for name in ("g_a", "h_a", "g_s"):
        for key, arr in _initializers(model_dir / f"{name}.onnx").items():
            key = key.removesuffix("_fp16")
            if key.startswith("seq."):
                key = f"{name}.{key[len('seq.'):]}"
            if key.startswith(("g_a.", "h_a.", "g_s.", "lrp.")):
                out[key] = torch.from_numpy(arr.astype(np.float32))
    return out


def complete_from_export(weights: dict[str, torch.Tensor], export: dict, repo: Path) -> dict[str, torch.Tensor]:
    """A seed that keeps only what its export lacks (seed_weights.py): the rest of the weights
    from that export in models/, which must be the one the seed was written beside."""
    model_dir = repo / export["dir"]
    card = json.loads((model_dir / "card.json").read_text())
    if card.get("weights_sha256") != export["weights_sha256"]:
        raise SystemExit(f"the seed was written beside another export of {model_dir.name} "
                         f"(weights {export['weights_sha256'][:12]}, installed {str(card.get('weights_sha256'))[:12]}): "
                         "write the seed again with training/seed_weights.py after each export")
    return {**exported_float_weights(model_dir), **weights}


__all__ = ["complete_from_export", "exported_float_weights", "weights_from_models"]
