#!/usr/bin/env python3
"""Train the variable-rate learned audio codec; resumable from its checkpoint.

Interpreter: Debian's PyTorch (`apt-get install python3-torch python3-onnx`, run as
/usr/bin/python3), or any Python with torch >= 1.13 (the GPU machine); ffmpeg on PATH.

    nice -n 19 /usr/bin/python3 training/train_audio.py --model audio-hyperprior --threads 2

Data: every FLAC/WAV of --data (default ../shared/data/audio/train), decoded once by ffmpeg
into memory as 24 kHz mono float32, except the HOLDOUT clips, which only monitor progress.
Loss per item: distortion + beta[q] * kbps, with the quality q drawn per item; beta[q] is
adjusted during training so that each quality's rate approaches TARGET_KBPS[q]
(rate-constrained training). Distortion: for the "mel" transform, the L1 distance between the
decoded and the input's log-mel frames (no waveform, no phase recovery in the loop); for the
others, mel_distance (DAC's 7-scale log-mel L1, the project's metric) + STFT_WEIGHT * log-STFT L1.

Checkpoints go to --ckpt-dir (default ~/.cache/lcodec-train/<model>/last.pt), written
atomically every --ckpt-minutes and on SIGTERM/SIGINT; a restart resumes from there.
--init-from starts a run without checkpoint from other weights (a last.pt, or the fp16
weights file export_audio.py keeps in ~/.cache/lcodec-train/weights/). Progress is appended to
<ckpt-dir>/log.csv: train rows (loss, mel, kbps per quality, betas) and holdout rows
(kbps and mel per quality on the HOLDOUT clips, true rounding).
"""
from __future__ import annotations

import argparse
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.audio import HOP, SAMPLE_RATE, TARGET_KBPS, Z_STRIDE, AudioHyperprior, SpectralLoss, bits  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402

ARCH = {"transform": "mel", "M": 96, "Nz": 64, "Ch": 128}
STFT_WEIGHT = 0.5
# Held out of training, for monitoring (every 40th file of the sorted training folder).
HOLDOUT = [
    "environment__pyroomacoustics__doing_the_dishes__part00.flac",
    "music__librosa_music__Kevin_MacLeod_-_Vibe_Ace__part01.flac",
    "music__mirdata__G73-45200-3341-33944.flac",
    "music__mirdata__S4_Song1_VAMOSAREMAR.flac",
    "music__pyaudioanalysis__doremi.flac",
    "speech__librispeech__4362-15663-0000.flac",
    "speech__ljspeech__LJ001-0007.flac",
]
HOLDOUT_SECONDS = 6.0
UNIT = HOP * Z_STRIDE  # lengths the model takes: whole z frames


def decode_audio(path: Path) -> np.ndarray:
    """Any audio file -> 24 kHz mono float32, by ffmpeg (channels averaged, soxr resampling)."""
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0", "-ac", "1",
         "-af", f"aresample={SAMPLE_RATE}:resampler=soxr", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        check=True, capture_output=True).stdout
    return np.frombuffer(pcm, dtype=np.float32).copy()


def load_clips(folder: Path, cache: Path | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(training clips, holdout clips), decoded once; the decoded PCM is kept in `cache`
    (an .npz keyed by file names and sizes) so that later runs start in seconds."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".flac", ".wav"})
    key = np.array([f"{p.name}:{p.stat().st_size}" for p in files])
    clips = None
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            if len(z["key"]) == len(key) and (z["key"] == key).all():
                data, ends = z["data"], z["ends"]
                clips = [data[a:b] for a, b in zip(np.r_[0, ends[:-1]], ends)]
    if clips is None:
        clips = [decode_audio(p) for p in files]
        if cache is not None:
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, key=key, data=np.concatenate(clips), ends=np.cumsum([len(c) for c in clips]))
            os.replace(tmp, cache)
    train = [c for p, c in zip(files, clips) if p.name not in HOLDOUT]
    hold = [c for p, c in zip(files, clips) if p.name in HOLDOUT]
    return train, hold


class Batcher:
    """Random segments, files drawn in proportion to their length; near-silent segments are
    mostly redrawn; random gain (-12..+6 dB, peak kept below 1) and polarity."""

    def __init__(self, clips: list[np.ndarray], length: int):
        self.clips = [c for c in clips if len(c) >= length]
        w = np.array([len(c) for c in self.clips], dtype=np.float64)
        self.p = w / w.sum()
        self.length = length

    def __call__(self, batch: int) -> torch.Tensor:
        out = np.empty((batch, 1, self.length), dtype=np.float32)
        for i in range(batch):
            for _ in range(4):
                c = self.clips[np.random.choice(len(self.clips), p=self.p)]
                s = random.randint(0, len(c) - self.length)
                seg = c[s:s + self.length]
                if np.sqrt(np.mean(seg ** 2)) > 3e-4:
                    break
            g = 10 ** (random.uniform(-12, 6) / 20) * random.choice((-1.0, 1.0))
            seg = seg * g
            peak = np.abs(seg).max()
            if peak > 0.99:
                seg = seg * (0.99 / peak)
            out[i, 0] = seg
        return torch.from_numpy(out)


def waveform_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per item: mean |x_hat - x| / mean |x| (0 for a perfect waveform, about 1.4 for one with the
    right spectrum and unrelated phase): logged, to see whether the decoder matches waveforms,
    which the phase-blind spectral losses do not ask for. (As a loss term with weights 0/1/2 per
    quality it did not move in 250 steps and did not help the mel distance.)"""
    return (x_hat - x).abs().flatten(1).mean(1) / x.abs().flatten(1).mean(1).clamp(min=1e-4)


def atomic_save(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def monitor(model: AudioHyperprior, loss: SpectralLoss, hold: list[np.ndarray], dev: torch.device) -> list[tuple[int, float, float]]:
    """(quality, kbps, mel) averaged over the holdout clips (first HOLDOUT_SECONDS of each)."""
    model.eval()
    rows = []
    for q in range(model.qualities):
        kb, mel = [], []
        for clip in hold:
            n = min(len(clip), int(HOLDOUT_SECONDS * SAMPLE_RATE))
            padded = math.ceil(n / UNIT) * UNIT
            x = torch.zeros(1, 1, padded)
            x[0, 0, :n] = torch.from_numpy(clip[:n])
            x = x.to(dev)
            out = model(x, torch.tensor([q], device=dev), noise=False)
            kb.append(bits(out).item() / (n / SAMPLE_RATE) / 1000)
            m, _ = loss(out["x_hat"][..., :n], x[..., :n])
            mel.append(m.item())
        rows.append((q, sum(kb) / len(kb), sum(mel) / len(mel)))
    model.train()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="audio-hyperprior")
    ap.add_argument("--transform", choices=["frame", "wave", "spectral", "mel"], default=None,
                    help="analysis/synthesis design (new runs only; default mel)")
    ap.add_argument("--channels", type=int, nargs="+", default=None,
                    help="channel widths of the transforms (new runs only; default the transform's own)")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/audio/train")
    ap.add_argument("--ckpt-dir", type=Path, default=None)
    ap.add_argument("--init-from", type=Path, default=None, help="start from these weights when there is no checkpoint")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=0.8, help="segment length (rounded to whole z frames)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--steps", type=int, default=10**9, help="stop after this many total steps")
    ap.add_argument("--minutes", type=float, default=1e9, help="stop after this many minutes in this run")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--monitor-every", type=int, default=500, help="holdout rows every N steps and at the end (0: never)")
    ap.add_argument("--cache", type=Path, default=CACHE_DIR / "audio-train-24k.npz",
                    help="where the decoded training PCM is kept between runs")
    ap.add_argument("--no-cache", action="store_true", help="decode the training files every run")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.seed is not None:
        torch.manual_seed(args.seed)
        random.seed(args.seed)
        np.random.seed(args.seed)
    ckpt_dir = args.ckpt_dir or CACHE_DIR / args.model
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / "last.pt"
    dev = torch.device(args.device)

    arch = dict(ARCH)
    state = torch.load(ckpt_path, map_location=dev) if ckpt_path.exists() else None
    init = torch.load(args.init_from, map_location="cpu") if state is None and args.init_from else None
    if state is not None:
        arch = state["arch"]
    elif init is not None and "arch" in init:
        arch = init["arch"]
    else:
        if args.transform:
            arch["transform"] = args.transform
        if args.channels:
            arch["channels"] = args.channels
    model = AudioHyperprior(**arch).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    targets = torch.tensor(TARGET_KBPS[: model.qualities], device=dev)
    beta = torch.full_like(targets, 0.02)
    step, trained_s = 0, 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, trained_s = state["step"], state["trained_s"]
        beta = torch.tensor(state["beta"], device=dev)
        print(f"resumed {ckpt_path} at step {step} ({trained_s / 3600:.2f} h trained)", flush=True)
    elif init is not None:
        sd = init["model"] if "model" in init else init
        model.load_state_dict({k: v.float() for k, v in sd.items()})
        if "beta" in init:
            beta = torch.tensor(init["beta"], device=dev)
        print(f"initialized from {args.init_from}", flush=True)
    for g in opt.param_groups:
        g["lr"] = args.lr

    loss_fn = SpectralLoss().to(dev)
    t0 = time.time()
    train_clips, hold = load_clips(args.data, None if args.no_cache else args.cache)
    length = max(UNIT, round(args.seconds * SAMPLE_RATE / UNIT) * UNIT)
    batcher = Batcher(train_clips, length)
    print(f"{len(train_clips)} training clips ({sum(map(len, train_clips)) / SAMPLE_RATE / 60:.1f} min), "
          f"{len(hold)} holdout, decoded in {time.time() - t0:.0f} s; {arch}, segment {length} samples, "
          f"batch {args.batch}, device {dev}", flush=True)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))

    def save() -> None:
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "trained_s": trained_s,
                     "arch": arch, "model_name": args.model, "beta": beta.tolist(),
                     "target_kbps": targets.tolist(), "stft_weight": STFT_WEIGHT,
                     "segment": length, "batch": args.batch, "holdout": HOLDOUT}, ckpt_path)

    log = open(ckpt_dir / "log.csv", "a")
    run_start = last_ckpt = time.time()
    def empty_window() -> dict:
        return {"n": 0, "loss": 0.0, "mel": 0.0, **{k: torch.zeros_like(targets) for k in ("kbps", "melq", "wave", "cnt")}}

    win = empty_window()
    win_t = time.time()
    seconds = length / SAMPLE_RATE
    model.train()
    while step < args.steps and not stop["now"] and time.time() - run_start < args.minutes * 60:
        ts = time.time()
        x = batcher(args.batch).to(dev)
        q = torch.arange(args.batch, device=dev) % len(targets)  # every quality in every batch
        if arch["transform"] == "mel":  # log-mel frames against the input's, no waveform
            out = model(x, q, waveform=False)
            with torch.no_grad():
                target = model.g_a[0](x)
            mel = (out["mel_hat"] - target).abs().flatten(1).mean(1)
            stft = torch.zeros_like(mel)
        else:
            out = model(x, q)
            mel, stft = loss_fn(out["x_hat"], x)
        kbps = bits(out) / seconds / 1000
        loss = (mel + STFT_WEIGHT * stft + beta[q] * kbps).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():  # rate control: move beta[q] toward the target rate
            rate_q = torch.zeros_like(targets).index_add_(0, q, kbps.detach())
            cnt_q = torch.zeros_like(targets).index_add_(0, q, torch.ones_like(kbps))
            rel = (rate_q / cnt_q.clamp(min=1) - targets) / targets
            beta = torch.where(cnt_q > 0, beta * torch.exp(0.02 * rel.clamp(-1, 1)), beta).clamp(1e-4, 10.0)
        step += 1
        trained_s += time.time() - ts
        win["n"] += 1
        win["loss"] += loss.item()
        win["mel"] += mel.mean().item()
        win["kbps"] += rate_q.detach()
        win["melq"] += torch.zeros_like(targets).index_add_(0, q, mel.detach())
        if "x_hat" in out:
            win["wave"] += torch.zeros_like(targets).index_add_(0, q, waveform_error(out["x_hat"].detach(), x))
        win["cnt"] += cnt_q
        if step % 50 == 0:
            rate = win["n"] / (time.time() - win_t)
            kb, melq, wv = ((win[k] / win["cnt"].clamp(min=1)).tolist() for k in ("kbps", "melq", "wave"))
            print(f"step {step} loss {win['loss'] / win['n']:.4f} mel {win['mel'] / win['n']:.3f} kbps "
                  + "/".join(f"{v:.1f}" for v in kb) + " mel " + "/".join(f"{v:.3f}" for v in melq)
                  + " wave " + "/".join(f"{v:.3f}" for v in wv)
                  + " beta " + "/".join(f"{v:.4f}" for v in beta.tolist()) + f" {rate:.2f} steps/s", flush=True)
            # train rows: loss, mel, kbps per quality, beta per quality, mel per quality, waveform error per quality
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},train,{win['loss'] / win['n']:.5f},"
                      f"{win['mel'] / win['n']:.4f}," + ",".join(f"{v:.3f}" for v in kb) + ","
                      + ",".join(f"{v:.5f}" for v in beta.tolist()) + ","
                      + ",".join(f"{v:.4f}" for v in melq + wv) + "\n")
            log.flush()
            win = empty_window()
            win_t = time.time()
        if hold and args.monitor_every > 0 and step % args.monitor_every == 0:
            for qq, kb, m in monitor(model, loss_fn, hold, dev):
                print(f"  holdout q{qq}: {kb:.2f} kbps mel {m:.3f}", flush=True)
                log.write(f"{time.time():.0f},{step},{trained_s:.0f},holdout_q{qq},{kb:.4f},{m:.4f}\n")
            log.flush()
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    if hold and args.monitor_every > 0:
        for qq, kb, m in monitor(model, loss_fn, hold, dev):
            print(f"  holdout q{qq}: {kb:.2f} kbps mel {m:.3f}", flush=True)
            log.write(f"{time.time():.0f},{step},{trained_s:.0f},holdout_q{qq},{kb:.4f},{m:.4f}\n")
        log.flush()
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
