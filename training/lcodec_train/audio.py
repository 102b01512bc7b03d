"""Learned audio codec: a transform codec with a mean-scale hyperprior, variable rate.

Glossary (as for the image codec): x waveform (24 kHz mono), y latent (g_a output, HOP
samples per frame), z hyper-latent (h_a output, Z_STRIDE latent frames per z frame),
y_hat / z_hat quantized, mu / sigma the Gaussian mean and scale h_s predicts for y,
beta the rate weight of a quality (loss = distortion + beta * kbps).

    x --g_a--> y --*gain[q]--> y_g --h_a--> z --*zgain[q]--> z_g --Q--> z_hat
    z_hat --*izgain[q]--> h_s --> (mu, sigma) for Z_STRIDE frames each
    y_hat = round(y_g - mu) + mu --*igain[q]--> g_s --> x_hat

Four transforms share that entropy model (measured in training/README.md; "mel" is the one
in use):
  "frame":    a learned filterbank (80-sample windows, hop 40) and strided 1-D convolutions
              down to 75 Hz; the synthesis mirrors it with sub-pixel upsampling and overlap-add.
  "wave":     a small SEANet-like waveform encoder/decoder (strides 2, 4, 5, 8).
  "spectral": the "frame" analysis; a synthesis that predicts a log-magnitude and a phase per
              STFT bin at 150 Hz and inverts the STFT (after Vocos, Siuzdak 2023).
  "mel":      80-band log-mel frames at 150 Hz in and out of small convolution stacks; the
              waveform by the mel filterbank's pseudo-inverse and fast Griffin-Lim (fixed).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import FactorizedDensity, quantize_proxy, gaussian_likelihood, lower_bound_likelihood, macs

SAMPLE_RATE = 24000
HOP = 320  # samples per latent frame: 75 Hz
Z_STRIDE = 4  # latent frames per hyper-latent frame
TARGET_KBPS = [6.0, 12.0, 24.0]  # the qualities, ascending


def act() -> nn.Module:
    return nn.LeakyReLU(0.1)


class Shuffle1d(nn.Module):
    """(B, C*r, T) -> (B, C, T*r): 1-D sub-pixel rearrangement (channel c*r + j -> time t*r + j)."""

    def __init__(self, r: int):
        super().__init__()
        self.r = r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, cr, t = x.shape
        return x.reshape(b, cr // self.r, self.r, t).transpose(2, 3).reshape(b, cr // self.r, t * self.r)


def shuffle1d(x: torch.Tensor, r: int) -> torch.Tensor:
    return Shuffle1d(r)(x)


class ResUnit(nn.Module):
    """x + conv1x1(act(conv_k(act(x)))), dilated."""

    def __init__(self, c: int, k: int = 3, dilation: int = 1):
        super().__init__()
        self.body = nn.Sequential(act(), nn.Conv1d(c, c, k, padding=dilation * (k // 2), dilation=dilation), act(),
                                  nn.Conv1d(c, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SubPelUp1d(nn.Sequential):
    """Upsampling by r: a k=3 conv to r*cout channels, then Shuffle1d (no transposed conv: slow on CPU)."""

    def __init__(self, cin: int, cout: int, r: int):
        super().__init__(nn.Conv1d(cin, cout * r, 3, padding=1), Shuffle1d(r))


class OverlapAdd(nn.Module):
    """Synthesis filterbank: (B, 2*hop, L) frames -> (B, 1, L*hop) by 50 % overlap-add,
    frame t covering samples [t*hop - hop/2, t*hop + 3*hop/2) like the analysis conv
    Conv1d(1, C, 2*hop, stride=hop, padding=hop/2)."""

    def __init__(self, hop: int):
        super().__init__()
        self.hop = hop

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        b, _, L = a.shape
        h = self.hop
        first, second = a[:, :h], a[:, h:]
        cells = F.pad(first, (0, 1)) + F.pad(second, (1, 0))  # (B, hop, L+1), cell t starts at t*hop - hop/2
        out = cells.transpose(1, 2).reshape(b, 1, (L + 1) * h)
        return out[:, :, h // 2: h // 2 + L * h]


def overlap_add(frames: torch.Tensor, hop: int) -> torch.Tensor:
    """(B, r*hop, L) frames, frame t centred on sample t*hop -> (B, 1, L*hop) by overlap-add
    (reshapes, pads and adds: no transposed convolution)."""
    b, n, L = frames.shape
    r = n // hop
    pieces = frames.reshape(b, r, hop, L)
    cells = None
    for j in range(r):  # piece j of frame t lands in cell t - r/2 + j
        shift = j - r // 2
        padded = F.pad(pieces[:, j], (r, r))
        part = padded[:, :, r - shift: r - shift + L]
        cells = part if cells is None else cells + part
    return cells.transpose(1, 2).reshape(b, 1, L * hop)


class SpectralHead(nn.Module):
    """(B, C, L) features -> (B, 1, L*hop) waveform: per frame a log-magnitude and a phase for
    each of the n_fft/2 + 1 bins of a real DFT, the inverse DFT as a fixed matrix, a Hann window
    and overlap-add of frames 4 hops long, frame t centred on sample t*hop.

    Predicting log-magnitudes lets the decoder put a band at any level, silence included, which
    a log-spectral loss asks for and a linear output layer reaches only slowly."""

    def __init__(self, cin: int, hop: int, overlap: int = 4, max_log_mag: float = 4.0):
        super().__init__()
        n = hop * overlap
        k = n // 2 + 1
        self.hop, self.overlap, self.bins, self.max_log_mag = hop, overlap, k, max_log_mag
        self.proj = nn.Conv1d(cin, 2 * k, 1)
        with torch.no_grad():
            self.proj.bias[:k].fill_(-4.0)  # start quiet
        t = torch.arange(n, dtype=torch.float64)
        f = torch.arange(k, dtype=torch.float64)
        w = torch.full((k,), 2.0, dtype=torch.float64)
        w[0] = w[-1] = 1.0
        ang = 2 * math.pi * f[:, None] * t[None, :] / n
        window = torch.hann_window(n, periodic=True, dtype=torch.float64)
        basis = torch.cat([w[:, None] * torch.cos(ang), -w[:, None] * torch.sin(ang)]) * window / overlap
        self.register_buffer("basis", basis.T.contiguous().float()[:, :, None])  # (n, 2k, 1) conv weight

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        log_mag, phase = self.proj(h).chunk(2, dim=1)
        mag = torch.exp(torch.clamp(log_mag, max=self.max_log_mag))
        frames = F.conv1d(torch.cat([mag * torch.cos(phase), mag * torch.sin(phase)], 1), self.basis)
        return overlap_add(frames, self.hop)


def spectral_transforms(M: int, ch: tuple[int, ...] = (64, 128, 192, 256), hidden: tuple[int, int] = (256, 192)) -> tuple[nn.Module, nn.Module]:
    """Candidate "spectral": the "frame" analysis; residual units at 75 Hz, sub-pixel
    upsampling to 150 Hz, residual units, then SpectralHead (hop HOP / 2, 4x overlap)."""
    g_a, _ = frame_transforms(M, ch)
    a, b = hidden
    g_s = nn.Sequential(
        nn.Conv1d(M, a, 3, padding=1), ResUnit(a, dilation=1), ResUnit(a, dilation=3), ResUnit(a, dilation=9),
        act(), SubPelUp1d(a, b, 2), ResUnit(b, dilation=1), ResUnit(b, dilation=3), act(),
        SpectralHead(b, HOP // 2),
    )
    return g_a, g_s


def frame_transforms(M: int, ch: tuple[int, ...] = (64, 128, 192, 256), sub: int = 40) -> tuple[nn.Module, nn.Module]:
    """Candidate "frame": filterbank at 24000/sub Hz, then strided convs down to HOP."""
    assert sub * 2 ** (len(ch) - 1) == HOP
    g_a = [nn.Conv1d(1, ch[0], 2 * sub, stride=sub, padding=sub // 2), act()]
    for i in range(1, len(ch)):
        if i >= 2:
            g_a.append(ResUnit(ch[i - 1]))
        g_a += [nn.Conv1d(ch[i - 1], ch[i], 4, stride=2, padding=1), act()]
    g_a += [ResUnit(ch[-1], dilation=1), ResUnit(ch[-1], dilation=3), nn.Conv1d(ch[-1], M, 3, padding=1)]
    g_s = [nn.Conv1d(M, ch[-1], 3, padding=1), ResUnit(ch[-1], dilation=1), ResUnit(ch[-1], dilation=3)]
    for i in range(len(ch) - 1, 0, -1):
        g_s += [act(), SubPelUp1d(ch[i], ch[i - 1], 2)]
        if i >= 2:
            g_s.append(ResUnit(ch[i - 1]))
    g_s += [act(), nn.Conv1d(ch[0], 2 * sub, 1), OverlapAdd(sub)]
    return nn.Sequential(*g_a), nn.Sequential(*g_s)


def wave_transforms(M: int, ch: tuple[int, ...] = (8, 16, 32, 64, 128), strides: tuple[int, ...] = (2, 4, 5, 8)) -> tuple[nn.Module, nn.Module]:
    """Candidate "wave": SEANet-like (EnCodec/DAC without LSTM or GAN), tiny channel counts."""
    assert math.prod(strides) == HOP
    g_a = [nn.Conv1d(1, ch[0], 7, padding=3)]
    for i, s in enumerate(strides):
        g_a += [ResUnit(ch[i], k=7 if s > 2 or i == 0 else 3), act(),
                nn.Conv1d(ch[i], ch[i + 1], 2 * s, stride=s, padding=s // 2 + s % 2)]
    g_a += [ResUnit(ch[-1]), act(), nn.Conv1d(ch[-1], M, 3, padding=1)]
    g_s = [nn.Conv1d(M, ch[-1], 7, padding=3), ResUnit(ch[-1])]
    for i in range(len(strides) - 1, -1, -1):
        g_s += [act(), SubPelUp1d(ch[i + 1], ch[i], strides[i]), ResUnit(ch[i], k=7)]
    g_s += [act(), nn.Conv1d(ch[0], 1, 7, padding=3)]
    return nn.Sequential(*g_a), nn.Sequential(*g_s)


# --- "mel": a learned transform over log-mel frames, phase recovered by fast Griffin-Lim -----------
N_MELS = 80
STFT_N, STFT_HOP = 640, 160  # the synthesis grid: 150 Hz, frame t centred on sample t*STFT_HOP


class Stft(nn.Module):
    """Fixed Hann-window STFT on the synthesis grid as convolutions, and its least-squares
    inverse (window-weighted overlap-add): (B, 1, T) <-> real and imaginary parts (B, K, T/hop)."""

    def __init__(self, n: int = STFT_N, hop: int = STFT_HOP):
        super().__init__()
        self.n, self.hop, k = n, hop, n // 2 + 1
        t = torch.arange(n, dtype=torch.float64)
        f = torch.arange(k, dtype=torch.float64)
        ang = 2 * math.pi * f[:, None] * t[None, :] / n
        window = torch.hann_window(n, periodic=True, dtype=torch.float64)
        analysis = torch.cat([torch.cos(ang), -torch.sin(ang)]) * window  # (2K, n)
        w = torch.full((k,), 2.0, dtype=torch.float64)
        w[0] = w[-1] = 1.0
        synthesis = torch.cat([w[:, None] * torch.cos(ang), -w[:, None] * torch.sin(ang)]) * window / n  # (2K, n)
        self.register_buffer("analysis", analysis.float()[:, None, :])  # conv weight (2K, 1, n)
        self.register_buffer("synthesis", synthesis.T.contiguous().float()[:, :, None])  # (n, 2K, 1)
        self.register_buffer("window_sq", (window ** 2).float()[None, :, None])  # (1, n, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        spec = F.conv1d(F.pad(x, (self.n // 2, self.n // 2 - self.hop)), self.analysis, stride=self.hop)
        return spec.chunk(2, dim=1)

    def window_norm(self, frames: int) -> torch.Tensor:
        """1 / the overlap-added squared window over `frames` frames (the inverse's weights)."""
        return 1.0 / overlap_add(self.window_sq.expand(1, -1, frames), self.hop).clamp(min=1e-3)

    def inverse(self, re: torch.Tensor, im: torch.Tensor, norm: torch.Tensor | None = None) -> torch.Tensor:
        frames = F.conv1d(torch.cat([re, im], 1), self.synthesis)
        return overlap_add(frames, self.hop) * (self.window_norm(re.shape[2]) if norm is None else norm)


class LogMel(nn.Module):
    """(B, 1, T) -> (B, N_MELS, T/STFT_HOP): log10 of the mel-filtered STFT magnitude, floor 1e-5
    (the scale of the project's mel distance)."""

    def __init__(self):
        super().__init__()
        self.stft = Stft()
        self.register_buffer("fb", torch.from_numpy(mel_filterbank(SAMPLE_RATE, STFT_N, N_MELS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        re, im = self.stft(x)
        mag = torch.sqrt(re ** 2 + im ** 2 + 1e-12)
        return torch.log10(torch.clamp(torch.matmul(self.fb, mag), min=1e-5))


class GriffinLim(nn.Module):
    """(B, N_MELS, L) log-mel -> (B, 1, L*STFT_HOP) waveform, with no learned parameters:
    magnitudes by the filterbank's pseudo-inverse, phases by `iters` iterations of fast
    Griffin-Lim (Perraudin et al. 2013, momentum 0.99) from a fixed phase per bin (a hash of the
    bin index, the same in every frame, so that every chunk starts alike). On the first 8 s of a
    test clip, the true 80-band log-mel through this reaches mel distance 0.92 with 16
    iterations (Opus at 12 kbit/s: 1.44; probes/audio_decoder.py)."""

    def __init__(self, iters: int = 16, momentum: float = 0.99):
        super().__init__()
        self.iters, self.momentum = iters, momentum
        self.stft = Stft()
        fb = mel_filterbank(SAMPLE_RATE, STFT_N, N_MELS)
        self.register_buffer("pinv", torch.from_numpy(np.linalg.pinv(fb).astype(np.float32)))  # (K, N_MELS)
        k = np.arange(STFT_N // 2 + 1, dtype=np.float64)
        phase = 2 * np.pi * ((np.sin(k * 12.9898) * 43758.5453) % 1.0)
        self.register_buffer("cos0", torch.from_numpy(np.cos(phase).astype(np.float32))[None, :, None])
        self.register_buffer("sin0", torch.from_numpy(np.sin(phase).astype(np.float32))[None, :, None])

    def macs_per_second(self) -> float:
        """Multiply-accumulates per second of audio (its matrices are not nn.Conv1d modules)."""
        k = STFT_N // 2 + 1
        per_frame = k * N_MELS + (2 * self.iters + 1) * 2 * k * STFT_N
        return per_frame * SAMPLE_RATE / STFT_HOP

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        mag = torch.relu(torch.matmul(self.pinv, torch.pow(10.0, log_mel)))
        re, im = mag * self.cos0, mag * self.sin0
        prev_re, prev_im = re, im
        norm = self.stft.window_norm(log_mel.shape[2])
        for _ in range(self.iters):
            cr, ci = self.stft(self.stft.inverse(re, im, norm))
            tr, ti = cr + self.momentum * (cr - prev_re), ci + self.momentum * (ci - prev_im)
            prev_re, prev_im = cr, ci
            scale = mag / torch.sqrt(tr ** 2 + ti ** 2 + 1e-12)
            re, im = tr * scale, ti * scale
        return self.stft.inverse(re, im, norm)


def mel_transforms(M: int, ch: tuple[int, ...] = (192,)) -> tuple[nn.Module, nn.Module]:
    """Candidate "mel": g_a = LogMel (150 Hz), residual convolutions, a stride-2 convolution to
    the 75 Hz latent; g_s mirrors it back to 150 Hz log-mel frames and ends in GriffinLim.
    Training compares g_s[:-1]'s log-mel with LogMel of the input (no waveform in the loop)."""
    c = ch[0]
    g_a = nn.Sequential(
        LogMel(), nn.Conv1d(N_MELS, c, 3, padding=1), ResUnit(c, dilation=1), ResUnit(c, dilation=3),
        act(), nn.Conv1d(c, c, 4, stride=2, padding=1), ResUnit(c, dilation=1), ResUnit(c, dilation=3),
        act(), nn.Conv1d(c, M, 3, padding=1),
    )
    g_s = nn.Sequential(
        nn.Conv1d(M, c, 3, padding=1), ResUnit(c, dilation=1), ResUnit(c, dilation=3), act(),
        SubPelUp1d(c, c, 2), ResUnit(c, dilation=1), ResUnit(c, dilation=3), act(),
        nn.Conv1d(c, N_MELS, 3, padding=1), GriffinLim(),
    )
    with torch.no_grad():
        g_s[-2].bias.fill_(-2.0)  # about the level of quiet speech
    return g_a, g_s


class AudioHyperprior(nn.Module):
    def __init__(self, transform: str = "frame", M: int = 96, Nz: int = 64, Ch: int = 128,
                 qualities: int = len(TARGET_KBPS), channels: tuple[int, ...] | None = None):
        super().__init__()
        self.transform, self.M, self.Nz, self.Ch, self.qualities = transform, M, Nz, Ch, qualities
        if transform == "frame":
            self.g_a, self.g_s = frame_transforms(M, *([tuple(channels)] if channels else []))
        elif transform == "wave":
            self.g_a, self.g_s = wave_transforms(M, *([tuple(channels)] if channels else []))
        elif transform == "spectral":
            self.g_a, self.g_s = spectral_transforms(M, *([tuple(channels)] if channels else []))
        elif transform == "mel":
            self.g_a, self.g_s = mel_transforms(M, *([tuple(channels)] if channels else []))
        else:
            raise ValueError(transform)
        self.h_a = nn.Sequential(
            nn.Conv1d(M, Nz, 3, padding=1), act(),
            nn.Conv1d(Nz, Nz, 4, stride=2, padding=1), act(),
            nn.Conv1d(Nz, Nz, 4, stride=2, padding=1),
        )
        # ReLU (not leaky) so the decoder-side copy runs as an exact integer network with
        # unsigned 8-bit activations (int_hs.py). The last conv predicts (mu, sigma)
        # of Z_STRIDE latent frames per z frame, rearranged by Shuffle1d.
        self.h_s = nn.Sequential(
            nn.Conv1d(Nz, Ch, 3, padding=1), nn.ReLU(),
            nn.Conv1d(Ch, Ch, 3, padding=1), nn.ReLU(),
            nn.Conv1d(Ch, 2 * M * Z_STRIDE, 3, padding=1),
        )
        self.z_prior = FactorizedDensity(Nz)
        # log-gains per quality; roughly one bit per latent more per step of 2x in rate.
        ratio = torch.tensor([math.log(2.0) * (q - (qualities - 1) / 2) for q in range(qualities)])
        self.log_gain = nn.Parameter(ratio[:, None].repeat(1, M).clone())
        self.log_igain = nn.Parameter(-ratio[:, None].repeat(1, M).clone())
        self.log_zgain = nn.Parameter(torch.zeros(qualities, Nz))
        self.log_izgain = nn.Parameter(torch.zeros(qualities, Nz))

    @staticmethod
    def _gain(log_g: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return torch.exp(log_g[q])[:, :, None]

    def entropy_parameters(self, z_hat: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        params = shuffle1d(self.h_s(z_hat * self._gain(self.log_izgain, q)), Z_STRIDE)
        mu, sigma = params.chunk(2, dim=1)
        return mu, F.softplus(sigma)

    def forward(self, x: torch.Tensor, q: torch.Tensor, noise: bool = True, waveform: bool = True) -> dict[str, torch.Tensor]:
        """x: (B, 1, T), T a multiple of HOP * Z_STRIDE. noise=True: the 'mixed' quantization
        proxy (uniform noise for the rates, straight-through rounding for what the decoder
        sees); noise=False: true rounding, as the coder does. The "mel" transform also returns
        its log-mel frames as "mel_hat", and with waveform=False skips the phase recovery."""
        y = self.g_a(x) * self._gain(self.log_gain, q)
        z = self.h_a(y) * self._gain(self.log_zgain, q)
        z_tilde, z_hat = quantize_proxy(z, noise)
        z_lik = self.z_prior.likelihood(z_tilde.unsqueeze(2)).squeeze(2)
        mu, sigma = self.entropy_parameters(z_hat, q)
        if noise:
            v = y - mu + torch.empty_like(y).uniform_(-0.5, 0.5)
            y_hat = y + (torch.round(y - mu) + mu - y).detach()
        else:
            v = torch.round(y - mu)
            y_hat = v + mu
        y_lik = gaussian_likelihood(v, sigma)
        out = {"y_lik": lower_bound_likelihood(y_lik), "z_lik": lower_bound_likelihood(z_lik)}
        h = y_hat * self._gain(self.log_igain, q)
        if self.transform == "mel":
            out["mel_hat"] = self.g_s[:-1](h)
            if waveform:
                out["x_hat"] = self.g_s[-1](out["mel_hat"])
        else:
            out["x_hat"] = self.g_s(h)
        return out


def bits(out: dict[str, torch.Tensor]) -> torch.Tensor:
    """Estimated bits per batch item."""
    return -torch.log2(out["y_lik"]).flatten(1).sum(1) - torch.log2(out["z_lik"]).flatten(1).sum(1)


def macs_per_second(module: nn.Module, cin: int, frames: int = 75 * 4) -> float:
    """Multiply-accumulates of a conv stack per second of audio."""
    length = frames * HOP if cin == 1 else frames
    return macs(module, torch.zeros(1, cin, length)) / (frames * HOP / SAMPLE_RATE)


# --- distortion: DAC's mel distance (the project's metric) and a log-STFT term -----------------

def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa htk=False): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, math.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels) with Slaney scale and Slaney area norm."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    w = np.zeros((n_mels, len(fft_freqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2: n_mels + 2] - mel_f[:n_mels]))[:, None]
    return w.astype(np.float32)


MEL_SCALES = [(32, 5), (64, 10), (128, 20), (256, 40), (512, 80), (1024, 160), (2048, 320)]
STFT_WINDOWS = [2048, 512]


class SpectralLoss(nn.Module):
    """mel: DAC's MelSpectrogramLoss as DAC trains (7 scales, log10 L1, clamp 1e-5) = the
    project's mel_distance; stft: the log term of DAC's MultiScaleSTFTLoss (windows 2048, 512).
    Both per batch item (B,)."""

    def __init__(self, sr: int = SAMPLE_RATE):
        super().__init__()
        for w, n in MEL_SCALES:
            self.register_buffer(f"fb{w}", torch.from_numpy(mel_filterbank(sr, w, n)))
            self.register_buffer(f"win{w}", torch.hann_window(w, periodic=True))

    def _mag(self, x: torch.Tensor, w: int) -> torch.Tensor:
        spec = torch.stft(x, n_fft=w, hop_length=w // 4, window=getattr(self, f"win{w}"), center=True,
                          pad_mode="reflect", return_complex=True)
        return torch.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-14)

    def forward(self, x_hat: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = x_hat.flatten(1), x.flatten(1)
        mel = a.new_zeros(a.shape[0])
        stft = a.new_zeros(a.shape[0])
        for w, _ in MEL_SCALES:
            ma, mb = self._mag(a, w), self._mag(b, w)
            fb = getattr(self, f"fb{w}")
            la = torch.log10(torch.clamp(torch.matmul(fb, ma), min=1e-5))
            lb = torch.log10(torch.clamp(torch.matmul(fb, mb), min=1e-5))
            mel = mel + (la - lb).abs().flatten(1).mean(1)
            if w in STFT_WINDOWS:
                d = 2 * (torch.log10(torch.clamp(ma, min=1e-5)) - torch.log10(torch.clamp(mb, min=1e-5)))
                stft = stft + d.abs().flatten(1).mean(1)
        return mel, stft
