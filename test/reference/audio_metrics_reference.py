"""Reference values for test/audio-metrics.test.ts, computed with established implementations.

The signals are rebuilt bit for bit from the same integer/IEEE recipe as test/helpers/signals.ts.
The spectral distances follow DAC (descript-audio-codec, dac/nn/loss.py + conf/base.yml) on top of
audiotools' AudioSignal.stft / mel_spectrogram, with:
  - the STFT from librosa.stft(center=True, pad_mode="reflect", window="hann"), which is what
    torch.stft(center=True, reflect, periodic Hann = scipy get_window("hann")) computes;
  - the mel filterbank from librosa.filters.mel (Slaney scale and norm), as audiotools calls it.
SNR and SI-SDR follow torchmetrics' formulas (eps = float32 eps), SI-SDR zero-mean.
All arithmetic in float64 (DAC trains in float32; the difference is far below the tolerances).

Run (numpy + librosa, e.g. librosa 0.11.0, numpy 2.x):
    python3 test/reference/audio_metrics_reference.py
and paste the printed JSON into test/audio-metrics.test.ts.
"""
import json

import librosa
import numpy as np

EPS = float(np.finfo(np.float32).eps)


def noise(seed, n):
    s = seed & 0xFFFFFFFF
    out = np.empty(n)
    for i in range(n):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        out[i] = 2 * (s / 4294967296) - 1
    return out


def lowpass(x):
    out = np.empty(len(x))
    y = 0.0
    for i, v in enumerate(x):
        y = 0.75 * y + 0.25 * float(v)
        out[i] = y
    return out


def saw(period, n):
    i = np.arange(n)
    return ((i % period) / period) * 2 - 1


def reference_channel(n, period, seed):
    out = 0.4 * saw(period, n) + 0.3 * lowpass(noise(seed, n))
    out[n // 3 : n // 2] = 0
    return out


def f32(channels):
    return np.stack([np.asarray(c, dtype=np.float32) for c in channels]).astype(np.float64)


def cases():
    n_a = 24000
    ref_a = reference_channel(n_a, 101, 1)
    test_a = 0.8 * ref_a + 0.02 * noise(2, n_a)

    n_b = 30000
    ref_b = [reference_channel(n_b, 101, 3), reference_channel(n_b, 67, 4)]
    test_b = []
    for c, ch in enumerate(ref_b):
        lp = lowpass(ch)
        delayed = np.concatenate([np.zeros(2), lp[:-2]])
        test_b.append(delayed + 0.01 * noise(5 + c, n_b))

    n_c = 3000
    ref_c = reference_channel(n_c, 50, 7)
    test_c = ref_c + 0.1 * noise(8, n_c)
    return [
        ("A", 16000, f32([ref_a]), f32([test_a])),
        ("B", 44100, f32(ref_b), f32(test_b)),
        ("C", 24000, f32([ref_c]), f32([test_c])),
    ]


def snr(r, t):
    return float(np.mean([10 * np.log10((np.sum(a**2) + EPS) / (np.sum((a - b) ** 2) + EPS)) for a, b in zip(r, t)]))


def si_sdr(r, t):
    vals = []
    for a, b in zip(r, t):
        a = a - a.mean()
        b = b - b.mean()
        alpha = (np.sum(a * b) + EPS) / (np.sum(a**2) + EPS)
        s = alpha * a
        vals.append(10 * np.log10((np.sum(s**2) + EPS) / (np.sum((s - b) ** 2) + EPS)))
    return float(np.mean(vals))


def magnitude(x, win):
    return np.abs(librosa.stft(x, n_fft=win, hop_length=win // 4, win_length=win, window="hann", center=True, pad_mode="reflect"))


def stft_distance(r, t, sr):
    loss = 0.0
    for win in [2048, 512]:
        mx = np.stack([magnitude(c, win) for c in t])
        my = np.stack([magnitude(c, win) for c in r])
        loss += np.mean(np.abs(np.log10(np.maximum(mx, 1e-5) ** 2) - np.log10(np.maximum(my, 1e-5) ** 2)))
        loss += np.mean(np.abs(mx - my))
    return float(loss)


def mel_distance(r, t, sr):
    loss = 0.0
    for win, n_mels in zip([32, 64, 128, 256, 512, 1024, 2048], [5, 10, 20, 40, 80, 160, 320]):
        basis = librosa.filters.mel(sr=sr, n_fft=win, n_mels=n_mels, fmin=0.0, fmax=None)
        mx = np.stack([basis @ magnitude(c, win) for c in t])
        my = np.stack([basis @ magnitude(c, win) for c in r])
        loss += np.mean(np.abs(np.log10(np.maximum(mx, 1e-5)) - np.log10(np.maximum(my, 1e-5))))
    return float(loss)


def main():
    out = {}
    for name, sr, r, t in cases():
        out[name] = {
            "snr": snr(r, t),
            "si_sdr": si_sdr(r, t),
            "stft_distance": stft_distance(r, t, sr),
            "mel_distance": mel_distance(r, t, sr),
        }
    out["_versions"] = {"librosa": librosa.__version__, "numpy": np.__version__}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
