"""Probe: where the audio model's mel distance comes from, beside oracle references.

    /usr/bin/python3 training/probes/audio_decoder.py <last.pt> <clip.wav> [opus decoded wav ...]

On the first 8 s of the clip at 24 kHz, prints the mel distance (DAC's 7 scales, the project's
mel_distance) in total and per window length (32 ... 2048 samples) for
- the model's decoded output at each quality;
- the clip's own STFT magnitudes (640-sample Hann window, hop 160: the model's synthesis grid)
  with random phases, and after Griffin-Lim iterations from them: what magnitude-only
  decoding can reach at best;
- the clip's own 80-band log-mel through the "mel" transform's phase recovery (GriffinLim, 16 and
  12 iterations), and with the log-mel rounded in steps of 0.3 first: what that design can reach;
- a band-energy codec: MDCT (10 ms hop), 19 bands, each band's level per frame quantized in
  3 dB steps and delta-coded (rate = empirical entropy), coefficients replaced by noise of that
  level: what a decoder that gets every band's level right and nothing else scores;
- any decoded files given after the clip (e.g. Opus at 12 kbit/s), resampled to 24 kHz.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from audio_common import load_model
from lcodec_train.audio import HOP, MEL_SCALES, SAMPLE_RATE as SR, Z_STRIDE, GriffinLim, LogMel, bits, mel_filterbank

FB = {w: mel_filterbank(SR, w, n) for w, n in MEL_SCALES}


def load(path: str) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).astype(np.float64)[: SR * 8]


def frames(x: np.ndarray, n: int, hop: int, pad_mode: str) -> np.ndarray:
    p = np.pad(x, (n // 2, n // 2), mode=pad_mode)
    return np.stack([p[i * hop: i * hop + n] for i in range(1 + (len(p) - n) // hop)])


def hann(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def per_scale_mel(y: np.ndarray, ref: np.ndarray) -> list[float]:
    n = min(len(y), len(ref))
    out = []
    for w, _ in MEL_SCALES:
        a, b = (np.abs(np.fft.rfft(frames(s[:n], w, w // 4, "reflect") * hann(w), axis=1)).T for s in (y, ref))
        out.append(float(np.abs(np.log10(np.maximum(FB[w] @ a, 1e-5)) - np.log10(np.maximum(FB[w] @ b, 1e-5))).mean()))
    return out


N, H = 640, 160


def stft(x: np.ndarray) -> np.ndarray:
    return np.fft.rfft(frames(x, N, H, "constant") * hann(N), axis=1)


def istft(spec: np.ndarray, length: int) -> np.ndarray:
    fr = np.fft.irfft(spec, n=N, axis=1) * hann(N)
    out, norm = np.zeros((len(fr) - 1) * H + N), np.zeros((len(fr) - 1) * H + N)
    for i, f in enumerate(fr):
        out[i * H: i * H + N] += f
        norm[i * H: i * H + N] += hann(N) ** 2
    return (out / np.maximum(norm, 1e-8))[N // 2: N // 2 + length]


def band_energy_codec(x: np.ndarray, rng: np.random.Generator, hop: int = 240, step_db: float = 3.0) -> tuple[np.ndarray, float]:
    n, k = np.arange(2 * hop), np.arange(hop)
    win = np.sin(np.pi * (n + 0.5) / (2 * hop))
    basis = np.cos(np.pi / hop * (n[None, :] + (hop + 1) / 2) * (k[:, None] + 0.5))
    T = -(-len(x) // hop) + 1
    padded = np.zeros((T + 1) * hop)
    padded[hop: hop + len(x)] = x
    coef = np.stack([padded[t * hop: t * hop + 2 * hop] for t in range(T)]) * win @ basis.T
    edges_hz = [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 2000, 2400, 2800, 3200, 4000, 4800, 5600, 6800, 8000, 9600, 12000]
    edges = [round(h / (SR / 2) * hop) for h in edges_hz]
    out, levels = np.zeros_like(coef), []
    for lo, hi in zip(edges[:-1], edges[1:]):
        level = np.round(10 * np.log10((coef[:, lo:hi] ** 2).mean(1) + 1e-10) / step_db)
        levels.append(level)
        out[:, lo:hi] = rng.choice([-1.0, 1.0], size=(T, hi - lo)) * np.sqrt(10 ** (level * step_db / 10))[:, None]
    deltas = np.diff(np.array(levels), axis=1).ravel()
    _, counts = np.unique(deltas, return_counts=True)
    rate = -(counts * np.log2(counts / counts.sum())).sum() / (len(x) / SR) / 1000
    y = np.zeros((T + 1) * hop)
    for t, f in enumerate((out @ basis) * win * (2 / hop)):
        y[t * hop: t * hop + 2 * hop] += f
    return y[hop: hop + len(x)], rate


def main() -> None:
    torch.set_num_threads(1)
    model, _ = load_model(sys.argv[1])
    x = load(sys.argv[2])
    x = x[: len(x) // (HOP * Z_STRIDE) * HOP * Z_STRIDE]
    rng = np.random.default_rng(0)
    rows = []
    for q in range(model.qualities):
        with torch.no_grad():
            out = model(torch.from_numpy(x).float()[None, None], torch.tensor([q]), noise=False)
        kbps = bits(out).item() / (len(x) / SR) / 1000
        rows.append((f"model q{q} ({kbps:.1f} kbit/s)", out["x_hat"][0, 0].double().numpy()))
    mag = np.abs(stft(x))
    phase = np.exp(2j * np.pi * rng.random(mag.shape))
    rows.append(("true magnitudes, random phases", istft(mag * phase, len(x))))
    for it in range(1, 65):
        phase = np.exp(1j * np.angle(stft(istft(mag * phase, len(x)))))
        if it in (8, 64):
            rows.append((f"true magnitudes, Griffin-Lim {it}", istft(mag * phase, len(x))))
    with torch.no_grad():
        log_mel = LogMel()(torch.from_numpy(x).float()[None, None])
        for iters in (16, 12):
            rows.append((f"true log-mel, GriffinLim({iters})", GriffinLim(iters)(log_mel)[0, 0].double().numpy()))
        rows.append(("true log-mel in steps of 0.3, GriffinLim(16)",
                     GriffinLim(16)(torch.round(log_mel / 0.3) * 0.3)[0, 0].double().numpy()))
    y, rate = band_energy_codec(x, rng)
    rows.append((f"band-energy noise codec ({rate:.1f} kbit/s)", y))
    rows += [(Path(p).name, load(p)) for p in sys.argv[3:]]
    print(f"{'':44s} {'total':>6s} " + " ".join(f"{w:>6d}" for w, _ in MEL_SCALES))
    for name, y in rows:
        s = per_scale_mel(y, x)
        print(f"{name:44s} {sum(s):6.3f} " + " ".join(f"{v:6.3f}" for v in s))


if __name__ == "__main__":
    main()
