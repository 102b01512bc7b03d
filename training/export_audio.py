#!/usr/bin/env python3
"""Export a trained audio codec checkpoint to the runtime bundle in models/<name>/.

    /usr/bin/python3 training/export_audio.py --ckpt ~/.cache/lcodec-train/audio-hyperprior/last.pt \
        --name audio-hyperprior

Writes:
  g_a.onnx, h_a.onnx, g_s.onnx   float transforms (fp16 weights, cast to fp32 in-graph)
  h_s_int.onnx                   the integer hyper-synthesis (lcodec_train/int_hs.py)
  bundle.json                    gains per quality, integer-h_s parameters, entropy pmfs, geometry
  card.json                      the model card: architecture, size, speed, training facts,
                                 the rates and mel distances measured on the holdout clips
and ~/.cache/lcodec-train/weights/<name>.fp16.pt (weights only, fp16), the file a later run can start
from with --init-from when its checkpoint folder is gone.
"""
from __future__ import annotations

import argparse
import copy
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
from lcodec_train import int_hs  # noqa: E402
from lcodec_train.audio import HOP, SAMPLE_RATE, Z_STRIDE, AudioHyperprior, SpectralLoss, bits, macs_per_second, shuffle1d  # noqa: E402
from lcodec_train.layers import gaussian_likelihood  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402
from train_audio import UNIT, HOLDOUT, HOLDOUT_SECONDS, Batcher, load_clips  # noqa: E402

OPSET = 17
MIN_CONTEXT_FRAMES = 16  # latent frames of context each side of a chunk, for g_a and g_s (at least)


class Graph(nn.Module):
    def __init__(self, seq: nn.Module):
        super().__init__()
        self.seq = seq

    def forward(self, x):
        return self.seq(x)


def export_float(module: nn.Module, cin: int, length: int, path: Path) -> None:
    # The spectral synthesis head (log-magnitudes and phases, inverse DFT) stays fp32: in fp16
    # its phases lose precision (+0.08 mel distance on the holdout clips); so do the fixed
    # STFT, mel and Griffin-Lim matrices of the "mel" transform.
    x = torch.randn(1, cin, length)
    torch.onnx.export(Graph(module), x, str(path), opset_version=OPSET, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {2: "t"}, "y": {2: "ot"}})
    to_fp16_storage(path, keep_fp32=(".proj.", ".basis", "stft.", ".fb", ".pinv", ".cos0", ".sin0"))


@torch.no_grad()
def receptive_frames(module: nn.Module, cin: int, samples_in: bool) -> int:
    """How many latent frames away from an impulse the output still changes (measured)."""
    frames = 96
    n = frames * HOP if samples_in else frames
    x = torch.zeros(1, cin, n)
    base = module(x)
    x[0, :, n // 2] = 1.0
    diff = (module(x) - base).abs().sum(1)[0]  # per output position
    per_frame = diff.numel() // frames
    changed = torch.nonzero(diff > 1e-6).flatten()
    centre = frames // 2
    lo, hi = changed.min().item() // per_frame, changed.max().item() // per_frame
    return int(max(centre - lo, hi - centre))


@torch.no_grad()
def check_rates(model: AudioHyperprior, q: dict, segs: torch.Tensor, table: torch.Tensor) -> list[dict]:
    """Estimated kbps with the float h_s vs the integer h_s + index tables, per quality."""
    rows = []
    seconds = segs.shape[0] * segs.shape[2] / SAMPLE_RATE
    for qual in range(model.qualities):
        qv = torch.full((segs.shape[0],), qual, dtype=torch.long)
        out = model(segs, qv, noise=False)
        float_kbps = bits(out).sum().item() / seconds / 1000
        y = model.g_a(segs) * model._gain(model.log_gain, qv)
        z_hat = torch.round(model.h_a(y) * model._gain(model.log_zgain, qv))
        acc = int_hs.simulate(q, int_hs.input_codes(z_hat, torch.exp(model.log_izgain[qual]), q["s_in"]))
        mu = shuffle1d(int_hs.means(q, acc), Z_STRIDE).float()
        sigma = table[shuffle1d(int_hs.scale_indexes(q, acc), Z_STRIDE)].float()
        v = torch.round(y - mu)
        y_bits = -torch.log2(gaussian_likelihood(v, sigma).clamp(min=1e-9)).sum().item()
        z_bits = -torch.log2(out["z_lik"]).sum().item()
        rows.append({"quality": qual, "float_kbps": round(float_kbps, 3),
                     "int_kbps": round((y_bits + z_bits) / seconds / 1000, 3)})
    return rows


@torch.no_grad()
def holdout_numbers(model: AudioHyperprior, hold: list[np.ndarray]) -> list[dict]:
    loss = SpectralLoss()
    rows = []
    for qual in range(model.qualities):
        kb, mel = [], []
        for clip in hold:
            n = min(len(clip), int(HOLDOUT_SECONDS * SAMPLE_RATE))
            x = torch.zeros(1, 1, math.ceil(n / UNIT) * UNIT)
            x[0, 0, :n] = torch.from_numpy(clip[:n])
            out = model(x, torch.tensor([qual]), noise=False)
            kb.append(bits(out).item() / (n / SAMPLE_RATE) / 1000)
            mel.append(loss(out["x_hat"][..., :n], x[..., :n])[0].item())
        rows.append({"quality": qual, "kbps": round(sum(kb) / len(kb), 3), "mel_distance": round(sum(mel) / len(mel), 4)})
    return rows


@torch.no_grad()
def interpolate_qualities(model: AudioHyperprior, state: dict, between: int) -> list[bool]:
    """Adds `between` qualities between each pair of trained ones, their four gain vectors
    interpolated in the log domain (as Cui et al. 2021 do for continuous rates); target rates and
    betas geometrically. Returns, per quality of the result, whether it was trained."""
    Q = model.qualities
    weights = [(i, j / (between + 1)) for i in range(Q - 1) for j in range(between + 1)] + [(Q - 1, 0.0)]
    for name in ("log_gain", "log_igain", "log_zgain", "log_izgain"):
        p = getattr(model, name)
        rows = [p[i] if a == 0 else (1 - a) * p[i] + a * p[i + 1] for i, a in weights]
        setattr(model, name, nn.Parameter(torch.stack(rows)))
    for key in ("target_kbps", "beta"):
        v = state[key]
        state[key] = [v[i] if a == 0 else round(v[i] ** (1 - a) * v[i + 1] ** a, 6) for i, a in weights]
    model.qualities = len(weights)
    return [a == 0 for _, a in weights]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/audio/train")
    ap.add_argument("--note", default=None, help="a status line for the card (e.g. 'early checkpoint')")
    ap.add_argument("--between", type=int, default=0,
                    help="qualities to add between each pair of trained ones (interpolated gains)")
    ap.add_argument("--griffin-lim-iters", type=int, default=None,
                    help="\"mel\" transform: phase-recovery iterations unrolled into g_s.onnx (default 16)")
    args = ap.parse_args()

    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    state = torch.load(args.ckpt, map_location="cpu")
    arch = state["arch"]
    model = AudioHyperprior(**arch)
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    model.eval()
    if arch["transform"] == "mel" and args.griffin_lim_iters:
        model.g_s[-1].iters = args.griffin_lim_iters
    trained_model, trained_state = copy.deepcopy(model), copy.deepcopy(state)
    trained = interpolate_qualities(model, state, args.between)
    Q, M, Nz = model.qualities, model.M, model.Nz
    out_dir = args.out / args.name
    out_dir.mkdir(parents=True, exist_ok=True)

    rf_a = receptive_frames(model.g_a, 1, True)
    rf_s = receptive_frames(model.g_s, M, False)
    context = max(MIN_CONTEXT_FRAMES, rf_a, rf_s)  # chunk borders leave no seams

    export_float(model.g_a, 1, 64 * HOP, out_dir / "g_a.onnx")
    export_float(model.h_a, M, 64, out_dir / "h_a.onnx")
    export_float(model.g_s, M, 64, out_dir / "g_s.onnx")

    cache = CACHE_DIR / "audio-train-24k.npz"
    train_clips, hold = load_clips(args.data, cache if cache.exists() else None)
    segs = Batcher(train_clips, 48 * UNIT)(16)
    scale_table = int_hs.gaussian_scale_table()
    calib = int_hs.calibrate(model, segs, Q)
    q = int_hs.quantize(model, calib, scale_table)
    int_hs.to_onnx(q, Nz, str(out_dir / "h_s_int.onnx"))
    check = check_rates(model, q, segs[:8], torch.tensor(scale_table))
    for r in check:
        print(f"q{r['quality']}: float h_s {r['float_kbps']:.3f} kbps, integer h_s {r['int_kbps']:.3f} kbps")
    hold_rows = holdout_numbers(model, hold)
    for r in hold_rows:
        print(f"holdout q{r['quality']}: {r['kbps']:.2f} kbps, mel {r['mel_distance']:.3f}")

    bundle = {
        "format": "lcodec-audio-hyperprior/1",
        "name": args.name,
        "arch": {"M": M, "Nz": Nz, "transform": arch["transform"], "sample_rate": SAMPLE_RATE, "hop": HOP,
                 "z_stride": Z_STRIDE, "context": context},
        "qualities": Q,
        "target_kbps": state["target_kbps"],
        **bundle_tables(model, q, scale_table),
    }
    (out_dir / "bundle.json").write_text(json.dumps(bundle))
    digest = files_digest(out_dir)
    save_seed_weights(trained_model, trained_state, args.name, ("arch", "beta", "step", "trained_s"))

    def count(mod: nn.Module) -> int:
        return sum(p.numel() for p in mod.parameters())

    transform = {
        "frame": "learned filterbank (80-sample windows, hop 40) + strided 1-D convolutions to 75 Hz, "
                 "sub-pixel upsampling and overlap-add synthesis",
        "wave": "SEANet-like waveform encoder/decoder (strides 2, 4, 5, 8)",
        "spectral": "learned filterbank (80-sample windows, hop 40) + strided 1-D convolutions to 75 Hz; "
                    "synthesis by residual convolutions, sub-pixel upsampling to 150 Hz and a log-magnitude "
                    "+ phase per STFT bin (640-sample frames, hop 160) through an inverse DFT and overlap-add "
                    "(after Vocos)",
        "mel": "80-band log-mel frames at 150 Hz (640-sample Hann STFT, hop 160) + residual 1-D convolutions "
               "and a stride-2 convolution to 75 Hz; synthesis by residual convolutions and sub-pixel "
               "upsampling back to 150 Hz log-mel frames, then magnitudes by the mel filterbank's "
               f"pseudo-inverse and phases by {model.g_s[-1].iters if arch['transform'] == 'mel' else 0} "
               "iterations of fast Griffin-Lim (no learned vocoder)",
    }[arch["transform"]]
    update_card(out_dir, {
        "name": args.name,
        "modality": "audio",
        "architecture": f"transform codec with a mean-scale hyperprior (Minnen et al. 2018) over a 75 Hz latent: "
                        f"{transform}; per-quality gain vectors (Cui et al. 2021); integer hyper-synthesis "
                        f"for exact decoding (Balle et al. 2019); no GAN",
        "sample_rate": SAMPLE_RATE,
        "channels": "mono model; stereo coded as mid/side, more channels one by one",
        "latent": {"M": M, "frame_rate_hz": SAMPLE_RATE / HOP, "Nz": Nz, "z_frame_rate_hz": SAMPLE_RATE / HOP / Z_STRIDE},
        "parameters": count(model),
        "parameters_by_graph": {"g_a": count(model.g_a), "h_a": count(model.h_a), "h_s": count(model.h_s),
                                "g_s": count(model.g_s)},
        "macs_per_second": {"g_a": round(macs_per_second(model.g_a, 1)), "g_s": round(macs_per_second(model.g_s, M)),
                            **({"g_s_griffin_lim": round(model.g_s[-1].macs_per_second())}
                               if arch["transform"] == "mel" else {})},
        "receptive_field_frames": {"g_a": rf_a, "g_s": rf_s, "chunk_context": context},
        "qualities": list(range(Q)),
        "trained_qualities": [q for q in range(Q) if trained[q]],
        "target_kbps": state["target_kbps"],
        "entropy_model": "y: Gaussian conditional (64 scales 0.11..256) with mean and scale index from the "
                         "integer h_s; z: factorized prior (one table per channel)",
        "loss": ("L1 between the decoded and the input's 80-band log10-mel frames + beta[q] * kbps"
                 if arch["transform"] == "mel" else
                 f"mel_distance (DAC 7-scale log-mel L1) + {state.get('stft_weight', 0.5)} * log-STFT L1 "
                 f"(windows 2048, 512) + beta[q] * kbps"),
        "lambdas": state["beta"],
        "lambda_meaning": "beta[q], the rate weight per kbit/s of quality q, adapted during training to reach "
                          "target_kbps; qualities not in trained_qualities lie between trained ones, their gain "
                          "vectors, target rates and betas interpolated in the log domain",
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
        "holdout_results": {"what": f"first {HOLDOUT_SECONDS:g} s of each holdout clip, 24 kHz, true rounding; "
                                    "kbps from the model's likelihoods", "points": hold_rows},
        "weights_sha256": digest,
        "integer_h_s_rate_check": check,
        **({"status": args.note} if args.note else {}),
    }, measured=("runtime_results",))  # bench/audio-model.ts --card refills it
    print(f"exported {args.name} to {out_dir} (weights {digest[:12]})")


if __name__ == "__main__":
    main()
