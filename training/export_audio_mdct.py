#!/usr/bin/env python3
"""Export the MDCT audio codec (audio-mdct) to its runtime bundle in models/<name>/.

    /usr/bin/python3 training/export_audio_mdct.py --ckpt ~/.cache/lcodec-train/audio-mdct/last.pt \
        --alpha 0.5 --theta 0.15 --kbps 6 8 11.5 15.5 20 26 32 --fill 0.8

Chooses each quality's global step so that the float entropy model's estimated rate on the
calibration audio (the holdout clips' first 6 s and 48 random training segments) meets its
target kbit/s, then writes:
  h_a.onnx        log(1 + |y|) -> z (fp16 weights, cast to fp32 in-graph)
  h_s_int.onnx    the integer hyper-synthesis (lcodec_train/int_hs.py; its mean half is zero)
  bundle.json     gains per quality (1 / (step[q] w[c])), dead zone, noise fill, integer-h_s
                  parameters, entropy pmfs, geometry
  card.json       the model card
and ~/.cache/lcodec-train/weights/<name>.fp16.pt (weights only, fp16) for --init-from.
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
from export import bundle_tables, files_digest, save_seed_weights, to_fp16_storage, update_card  # noqa: E402
from export_audio import OPSET, Graph  # noqa: E402
from lcodec_train import int_hs  # noqa: E402
from lcodec_train.mdct import (CONTEXT, LEVEL, N, SAMPLE_RATE, SHAPE_F0, Z_STRIDE, MdctHyperprior, bits, context_indexes,  # noqa: E402
                               context_tables, deadzone, laplace_likelihood, levelled, step_shape)
from lcodec_train.layers import gaussian_likelihood  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402
from lcodec_train.audio import shuffle1d  # noqa: E402
from train_audio import HOLDOUT, HOLDOUT_SECONDS, Batcher, load_clips  # noqa: E402


SCALE_TABLE = int_hs.gaussian_scale_table()
LOG_TABLE = np.log(SCALE_TABLE)


def scale_index(sigma: torch.Tensor) -> np.ndarray:
    """The scale-table entry nearest (in log) to each sigma, as integer indexes."""
    s = sigma.double().clamp(min=float(SCALE_TABLE[0])).numpy()
    step_log = (LOG_TABLE[-1] - LOG_TABLE[0]) / (len(SCALE_TABLE) - 1)
    return np.clip(np.round((np.log(s) - LOG_TABLE[0]) / step_log), 0, len(SCALE_TABLE) - 1).astype(np.int64)


def y_bits(sym: torch.Tensor, hyper_index: np.ndarray, tables: dict | None) -> float:
    """Bits of (C, T) symbols under the bundle's Laplacian tables, at the hyperprior's indexes
    or (with context `tables`) at the indexes the context makes of them."""
    idx = hyper_index if tables is None else context_indexes(sym.numpy().astype(np.int64), hyper_index, tables, len(SCALE_TABLE))
    sigma = torch.from_numpy(SCALE_TABLE[idx]).double()
    return -torch.log2(laplace_likelihood(sym.double(), sigma).clamp(min=1e-9)).sum().item()


@torch.no_grad()
def rate(model: MdctHyperprior, segs: list[torch.Tensor], step: float, alpha: float, theta: float, ctx: dict | None = None) -> float:
    """Estimated kbit/s over `segs` (each (1, 1, T N), T % Z_STRIDE == 0): the float h_s's sigma snapped
    to the scale table, y under the Laplacian tables at those indexes or (with `ctx`) the context's."""
    w = step_shape(alpha)[0][:, None] * step
    total = 0.0
    for x in segs:
        y_raw = model.g_a(x) / w
        out = model(deadzone(y_raw, theta), y_raw, noise=False)
        idx = scale_index(out["sigma"][0])
        total += y_bits(torch.round(deadzone(y_raw, theta))[0], idx, ctx) - torch.log2(out["z_lik"]).sum().item()
    return total / (sum(x.shape[-1] for x in segs) / SAMPLE_RATE) / 1000


def steps_for(model, segs, targets: list[float], alpha: float, theta: float, ctx: dict | None) -> list[float]:
    """The global step of each target rate: rates on a log grid of steps, interpolated in log-log."""
    grid = np.exp(np.linspace(math.log(2e-3), math.log(2.0), 25))
    log_kbps = np.log([rate(model, segs, float(s), alpha, theta, ctx) for s in grid])
    # kbps falls as the step grows: interpolate log step over ascending log kbps
    return [float(np.exp(np.interp(math.log(t), log_kbps[::-1], np.log(grid)[::-1]))) for t in targets]


@torch.no_grad()
def check_rates(model: MdctHyperprior, q: dict, segs: list[torch.Tensor], table: torch.Tensor, theta: float, ctx: dict | None) -> list[dict]:
    """Estimated kbit/s with the float h_s (its Gaussian) and with the integer h_s + index tables (the
    bundle's Laplacian tables, with the context unless it is off), per quality."""
    rows = []
    seconds = sum(x.shape[-1] for x in segs) / SAMPLE_RATE
    for qual in range(model.qualities):
        fb = ib = 0.0
        for x in segs:
            y_raw = model.g_a(x) * torch.exp(model.log_gain[qual])[None, :, None]
            y = deadzone(y_raw, theta)
            out = model(y, y_raw, noise=False)
            fb += bits(out).item()
            z_hat = torch.round(model.h_a(y_raw))
            acc = int_hs.simulate(q, int_hs.input_codes(z_hat, torch.exp(model.log_izgain[qual]), q["s_in"]))
            hyper = shuffle1d(int_hs.scale_indexes(q, acc), Z_STRIDE)
            ib += y_bits(torch.round(y)[0], hyper[0].numpy().astype(np.int64), ctx)
            ib += -torch.log2(out["z_lik"]).sum().item()
        rows.append({"quality": qual, "float_kbps": round(fb / seconds / 1000, 3), "int_kbps": round(ib / seconds / 1000, 3)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, default=CACHE_DIR / "audio-mdct/last.pt")
    ap.add_argument("--name", default="audio-mdct")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/audio/train")
    ap.add_argument("--alpha", type=float, default=0.5, help="step shape exponent: w = max(1, f / 1 kHz) ** alpha")
    ap.add_argument("--theta", type=float, default=0.15, help="encoder dead zone")
    ap.add_argument("--kbps", type=float, nargs="+", default=[6, 8, 11.5, 15.5, 20, 26, 32])
    ap.add_argument("--steps", type=float, nargs="+", default=None,
                    help="global steps, one per quality (descending), instead of calibrating them to --kbps")
    ap.add_argument("--fill", type=float, nargs="+", default=[0.6], help="noise fill factor (one, or one per quality)")
    ap.add_argument("--fill-tilt", type=float, default=0.0,
                    help="noise fill shape: the fill times max(1, f / 1 kHz) ** tilt (brighter above 1 kHz)")
    ap.add_argument("--no-context", action="store_true",
                    help="code y under the hyperprior's scales alone (no context from decoded neighbours)")
    ap.add_argument("--no-tns", action="store_true",
                    help="no temporal noise shaping (codecs/audio/tns.ts: order-4 predictor across the coefficients from 1 kHz)")
    ap.add_argument("--no-level", action="store_true",
                    help="an absolute step (no per-chunk level): the step no longer follows the signal's loudness")
    ap.add_argument("--note", default=None)
    args = ap.parse_args()

    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    torch.set_num_threads(1)
    state = torch.load(args.ckpt, map_location="cpu")
    model = MdctHyperprior(**state["arch"])
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    model.eval()
    out_dir = args.out / args.name
    out_dir.mkdir(parents=True, exist_ok=True)

    cache = CACHE_DIR / "audio-train-24k.npz"
    train_clips, hold = load_clips(args.data, cache if cache.exists() else None)
    unit = N * Z_STRIDE
    segs = [x[None] for x in Batcher(train_clips, 64 * N)(48)]
    for c in hold:
        n = min(len(c), int(HOLDOUT_SECONDS * SAMPLE_RATE)) // unit * unit
        segs.append(torch.from_numpy(c[:n].copy()).reshape(1, 1, -1))
    if not args.no_level:
        # each calibration segment at its own level, as the runtime codes each chunk
        segs = [levelled(s) for s in segs]
    ctx = None if args.no_context else context_tables(SCALE_TABLE)  # E|symbol| of the Laplacian tables
    if args.steps:
        steps = args.steps
        targets = [round(rate(model, segs, s, args.alpha, args.theta, ctx), 3) for s in steps]
    else:
        targets = sorted(args.kbps)
        steps = steps_for(model, segs, targets, args.alpha, args.theta, ctx)
    for t, s in zip(targets, steps):
        print(f"{t:g} kbps: step {s:.5f}")
    fills = args.fill * len(targets) if len(args.fill) == 1 else args.fill
    assert len(fills) == len(targets), "--fill: one value or one per quality"
    model.set_qualities(steps, args.alpha)
    Q = model.qualities

    path = out_dir / "h_a.onnx"
    torch.onnx.export(Graph(model.h_a), torch.randn(1, N, 64), str(path), opset_version=OPSET, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {2: "t"}, "y": {2: "ot"}})
    to_fp16_storage(path)
    for stale in ("g_a.onnx", "g_s.onnx"):
        (out_dir / stale).unlink(missing_ok=True)

    calib_x = torch.cat([s for s in segs if s.shape[-1] == 64 * N][:32])
    scale_table = int_hs.gaussian_scale_table()
    calib = int_hs.calibrate(model, calib_x, Q)
    q = int_hs.quantize(model, calib, scale_table)
    int_hs.to_onnx(q, model.Nz, str(out_dir / "h_s_int.onnx"))
    check = check_rates(model, q, segs[-len(hold):], torch.tensor(scale_table), args.theta, ctx)
    for r in check:
        print(f"q{r['quality']}: float h_s {r['float_kbps']:.3f} kbps, integer h_s {r['int_kbps']:.3f} kbps (holdout)")

    bundle = {
        "format": "lcodec-audio-mdct/1",
        "name": args.name,
        "arch": {"M": N, "Nz": model.Nz, "transform": "mdct", "window": "sine", "sample_rate": SAMPLE_RATE, "hop": N,
                 "z_stride": Z_STRIDE, "context": 1},
        "qualities": Q,
        "target_kbps": targets,
        "deadzone": args.theta,
        "noise_fill": fills,
        "fill_shape": [round(float(v), 6) for v in step_shape(args.fill_tilt)[0]],
        **({} if args.no_level else {"level": LEVEL}),
        **({} if ctx is None else {"context": ctx}),
        # TNS (runtime only: the rate calibration above leaves it out; it adds about 2 % at the same step)
        **({} if args.no_tns else {"tns": {"k0": 40, "order": 4, "min_gain": 1.5,
                                           "parcor": [math.sin((j - 7) / 7.5 * math.pi / 2) for j in range(15)]}}),
        **bundle_tables(model, q, scale_table, laplace_likelihood),
    }
    (out_dir / "bundle.json").write_text(json.dumps(bundle))
    digest = files_digest(out_dir)
    save_seed_weights(model, state, args.name, ("arch", "step", "trained_s"))

    def count(mod: nn.Module) -> int:
        return sum(p.numel() for p in mod.parameters())

    update_card(out_dir, {
        "name": args.name,
        "modality": "audio",
        "architecture": f"transform codec over a fixed MDCT (hop {N} = 20 ms, {2 * N}-sample sine window, "
                        "TDAC; the decoder rebuilds the waveform by the inverse MDCT): coefficients divided by a "
                        f"perceptual step (global step per quality times max(1, f / {SHAPE_F0:g} Hz) ** {args.alpha:g}"
                        + ("" if args.no_level else
                           f", relative to each chunk's loudness: times 10^(-index {LEVEL['step_db']:g} / 20), index "
                           f"round(({LEVEL['ref_db']:g} dB - chunk power) / {LEVEL['step_db']:g} dB) in {LEVEL['min']}..{LEVEL['max']}")
                        + "), "
                        f"dead-zone rounding (theta {args.theta:g}), coded under a learned scale hyperprior "
                        "(Balle et al. 2018; h_a over log(|y| + 1e-4) before the dead zone, 12.5 Hz hyper-latent) with an integer "
                        "hyper-synthesis for exact decoding (Balle et al. 2019); coefficients coded as 0 are "
                        f"noise-filled with the spread the entropy model gives them, times max(1, f / {SHAPE_F0:g} Hz) ** {args.fill_tilt:g}; "
                        "no neural synthesis, no GAN",
        "sample_rate": SAMPLE_RATE,
        "channels": "mono model; stereo coded as mid/side, more channels one by one",
        "latent": {"M": N, "frame_rate_hz": SAMPLE_RATE / N, "Nz": model.Nz, "z_frame_rate_hz": SAMPLE_RATE / N / Z_STRIDE},
        "parameters": count(model),
        "parameters_by_graph": {"h_a": count(model.h_a), "h_s": count(model.h_s)},
        "qualities": list(range(Q)),
        "target_kbps": targets,
        "steps": [round(s, 6) for s in steps],
        "step_shape": {"f0_hz": SHAPE_F0, "alpha": args.alpha},
        "deadzone": args.theta,
        **({} if args.no_level else {"level": LEVEL}),
        "noise_fill": fills,
        "noise_fill_tilt": args.fill_tilt,
        "entropy_model": "y: zero-mean Laplacian conditional (64 scales 0.11..256: standard deviations; trained as a "
                         "Gaussian, whose tails are too light for MDCT coefficients), scale index from the integer h_s"
                         + ("" if ctx is None else
                            ", then moved by a context on the decoded neighbours (previous frames of the coefficient, "
                            f"lower coefficients): d = round({CONTEXT['lam']:g} log((S_obs + {CONTEXT['kappa']:g}) / (S_exp + {CONTEXT['kappa']:g}))) index steps, S weighted "
                            "sums of |symbol| and of its expected value (codecs/learned/scale-context.ts)")
                         + "; z: factorized prior (one table per channel)",
        "loss": "estimated kbit/s of the rounded coefficients (uniform-noise proxy), over random global steps "
                "(log-uniform 0.004..0.4), step-shape exponents (0..1) and dead zones (0..0.3): the transform and "
                "quantizer are fixed, so the distortion at a step does not depend on the learned part; qualities "
                "are chosen afterwards by their rate",
        "training": {
            "data": "../shared/data/audio/train (264 of 271 FLAC clips, 24 kHz mono, ~48 min: LibriSpeech, LJSpeech, "
                    "pyannote, librosa, mirdata, pyAudioAnalysis, scaper, pyroomacoustics, Freesound; per-file "
                    "terms in its SOURCES.md, several research-only/non-commercial)",
            "holdout": HOLDOUT,
            "steps": state["step"],
            "hours": round(state["trained_s"] / 3600, 2),
            "segment_samples": state.get("segment"),
            "batch": state.get("batch"),
        },
        "weights_sha256": digest,
        "integer_h_s_rate_check": check,
        **({"status": args.note} if args.note else {}),
    }, measured=("runtime_results",))
    print(f"exported {args.name} to {out_dir} (weights {digest[:12]})")


if __name__ == "__main__":
    main()
