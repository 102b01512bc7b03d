"""Learned audio codec over a fixed MDCT: the decoder rebuilds the waveform.

Glossary: x waveform (24 kHz mono), X its MDCT frames (N coefficients per hop of N samples),
w[c] the perceptual step shape per coefficient, step[q] the global step of quality q,
y = X / (step[q] * w) the scaled latent (coefficients as channels, frames as time),
z the hyper-latent (h_a of log(|y| + 1e-4) before the dead zone, Z_STRIDE frames per z frame), sigma the scale the
integer h_s predicts for each y element (the mean is 0: MDCT coefficients have no sign bias),
f the log spread it predicts for y where y_hat = 0 (in the half of h_s's output that other
models use for means): the decoder fills those coefficients with noise of that spread.

    x --MDCT--> X --/(step[q] w)--> y --deadzone, round--> y_hat (the coded integers)
    log(|y| + 1e-4) --h_a--> z --round--> z_hat --h_s--> (f, sigma) (sigma: Gaussian conditional of y_hat)
    y_hat * step[q] w (noise of spread exp(f) where y_hat = 0) --IMDCT--> x_hat

The transform and the quantizer are fixed, so for a given step the distortion does not depend
on the learned part: training minimizes the rate of y_hat alone, over a continuum of global
steps and step shapes (qualities and the shape are chosen after training, by measurement).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .audio import shuffle1d
from .layers import FactorizedDensity, gaussian_likelihood, lower_bound_likelihood, quantize_proxy

SAMPLE_RATE = 24000
N = 480  # hop and coefficients per frame: 20 ms; the sine window spans 2N = 40 ms
Z_STRIDE = 4  # MDCT frames per hyper-latent frame (12.5 Hz)
SHAPE_F0 = 1000.0  # Hz: the step shape rises above it


def sine_window(n: int = N) -> np.ndarray:
    return np.sin(np.pi * (np.arange(2 * n) + 0.5) / (2 * n))


def mdct_basis(n: int = N) -> np.ndarray:
    """(2n, n): windowed, orthonormal MDCT basis; X = frame @ B, frame = B @ X (then overlap-add)."""
    t = np.arange(2 * n)[:, None] + 0.5 + n / 2
    k = np.arange(n)[None, :] + 0.5
    return sine_window(n)[:, None] * math.sqrt(2.0 / n) * np.cos(np.pi / n * t * k)


def coefficient_hz(n: int = N) -> np.ndarray:
    return (np.arange(n) + 0.5) * SAMPLE_RATE / 2 / n


def step_shape(alpha: float | torch.Tensor, n: int = N) -> torch.Tensor:
    """w[c] = max(1, f_c / SHAPE_F0) ** alpha: coarser steps for higher frequencies."""
    r = torch.from_numpy(np.maximum(1.0, coefficient_hz(n) / SHAPE_F0)).float()
    a = torch.as_tensor(alpha, dtype=torch.float32)
    return torch.exp(torch.log(r)[None, :] * a.reshape(-1, 1))  # (B or 1, n)


class Mdct(nn.Module):
    """x (B, L) with L = T * N -> X (B, N, T + 1); frame t covers samples [(t - 1) N, (t + 1) N)."""

    def __init__(self, n: int = N):
        super().__init__()
        self.n = n
        self.register_buffer("basis", torch.from_numpy(mdct_basis(n)).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames = F.pad(x, (self.n, self.n)).unfold(-1, 2 * self.n, self.n)  # (B, T + 1, 2N)
        return torch.matmul(frames, self.basis).transpose(1, 2)

    def inverse(self, X: torch.Tensor) -> torch.Tensor:
        """(B, N, F) -> (B, (F - 1) N): samples [0, (F - 1) N) of the signal (TDAC)."""
        frames = torch.matmul(X.transpose(1, 2), self.basis.T)  # (B, F, 2N)
        n = self.n
        return (frames[:, :-1, n:] + frames[:, 1:, :n]).flatten(1)


# The runtime's chunk level (codecs/audio/mdct-model.ts): the step follows each chunk's loudness.
LEVEL = {"ref_db": -20.0, "step_db": 1.5, "min": -16, "max": 24}


def level_index(x: torch.Tensor, lv: dict = LEVEL) -> int:
    """A chunk's level index from its samples: round((ref_db - mean power in dB) / step_db), clamped."""
    p = float((x.double() ** 2).mean())
    if p <= 0:
        return lv["max"]
    return int(min(lv["max"], max(lv["min"], math.floor((lv["ref_db"] - 10 * math.log10(p)) / lv["step_db"] + 0.5))))


def levelled(x: torch.Tensor, lv: dict = LEVEL) -> torch.Tensor:
    """x as the codec's quantizer sees it: times 10^(index · step_db / 20) (the same as dividing the step)."""
    return x * 10 ** (level_index(x, lv) * lv["step_db"] / 20)


def deadzone(y: torch.Tensor, theta: float | torch.Tensor) -> torch.Tensor:
    """sign(y) max(|y| - theta, 0): rounding it is a quantizer with a dead zone 1 + 2 theta wide."""
    return torch.sign(y) * torch.clamp(y.abs() - theta, min=0)


def act() -> nn.Module:
    return nn.LeakyReLU(0.1)


class MdctHyperprior(nn.Module):
    """The entropy model: h_a, h_s (ReLU, for the integer copy) and the factorized prior of z.

    The attributes int_hs.calibrate and export.bundle_tables read (g_a, log_gain, log_zgain,
    log_izgain, log_igain) describe the exported qualities: g_a is the MDCT, log_gain[q] the
    per-coefficient log(1 / (step[q] w)); set by `set_qualities`."""

    def __init__(self, Nz: int = 32, Ch: int = 192, Ha: int = 192, family: str = "gaussian"):
        super().__init__()
        self.M, self.Nz, self.Ch, self.Ha = N, Nz, Ch, Ha
        # the likelihood family of y given sigma in the loss: "gaussian", or "laplace" as the bundle's tables
        self.family = family
        self.mdct = Mdct()
        self.h_a = nn.Sequential(
            LogAbs(), nn.Conv1d(N, Ha, 3, padding=1), act(),
            nn.Conv1d(Ha, Ha, 4, stride=2, padding=1), act(),
            nn.Conv1d(Ha, Nz, 4, stride=2, padding=1),
        )
        # Output: f (the fill spread's log) for N * Z_STRIDE channels, then sigma's as many.
        self.h_s = nn.Sequential(
            nn.Conv1d(Nz, Ch, 3, padding=1), nn.ReLU(),
            nn.Conv1d(Ch, Ch, 3, padding=1), nn.ReLU(),
            nn.Conv1d(Ch, 2 * N * Z_STRIDE, 3, padding=1),
        )
        self.z_prior = FactorizedDensity(Nz)
        self.qualities = 1
        self.set_qualities([1.0], 0.0)

    def set_qualities(self, steps: list[float], alpha: float) -> None:
        """The exported qualities: global steps (ascending rate = descending step) and the shape."""
        w = step_shape(alpha)[0]
        s = torch.tensor(steps, dtype=torch.float32)[:, None] * w[None, :]
        self.qualities = len(steps)
        for name in ("log_gain", "log_igain", "log_zgain", "log_izgain"):
            if hasattr(self, name):
                delattr(self, name)
        self.register_buffer("log_gain", -torch.log(s), persistent=False)
        self.register_buffer("log_igain", torch.log(s), persistent=False)
        self.register_buffer("log_zgain", torch.zeros(len(steps), self.Nz), persistent=False)
        self.register_buffer("log_izgain", torch.zeros(len(steps), self.Nz), persistent=False)

    @staticmethod
    def _gain(log_g: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return torch.exp(log_g[q])[:, :, None]

    def g_a(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, T N) -> (B, N, T): MDCT frames 1..T (frame 0 needs samples before the start;
        training segments and calibration crops are taken whole)."""
        return self.mdct(x.flatten(1))[:, :, 1:]

    def entropy_parameters(self, z_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(f, sigma) per element of y."""
        params = shuffle1d(self.h_s(z_hat), Z_STRIDE)
        return params[:, :N], F.softplus(params[:, N:])

    def forward(self, y: torch.Tensor, y_raw: torch.Tensor, noise: bool = True, fill: bool = False) -> dict[str, torch.Tensor]:
        """y: (B, N, T) scaled coefficients after the dead zone, y_raw before it (h_a reads it);
        T a multiple of Z_STRIDE. With `fill`, also "fill_nll": per item, the Gaussian negative
        log-likelihood (bits) of y_raw under N(0, exp(f)^2) over the elements rounded to 0."""
        z = self.h_a(y_raw)
        z_tilde, z_hat = quantize_proxy(z, noise)
        z_lik = self.z_prior.likelihood(z_tilde.unsqueeze(2)).squeeze(2)
        f, sigma = self.entropy_parameters(z_hat)
        v = y + torch.empty_like(y).uniform_(-0.5, 0.5) if noise else torch.round(y)
        y_lik = laplace_likelihood(v, sigma) if self.family == "laplace" else gaussian_likelihood(v, sigma)
        out = {"y_lik": lower_bound_likelihood(y_lik), "z_lik": lower_bound_likelihood(z_lik), "sigma": sigma, "f": f}
        if fill:
            f = torch.clamp(f, min=-12.0, max=4.0)
            zero = (torch.round(y) == 0).float()
            nll = zero * (0.5 * y_raw ** 2 * torch.exp(-2 * f) + f + 0.5 * math.log(2 * math.pi))
            out["fill_nll"] = nll.flatten(1).sum(1) / math.log(2)
        return out


LOG_FLOOR = 1e-4  # in steps: h_a resolves levels four decades below a step (the mel distance spans five)


class LogAbs(nn.Module):
    """log(|y| + LOG_FLOOR) of y before the dead zone: the scaled coefficients span many octaves,
    their signs carry no envelope, and the levels far below a step are what the fill needs."""

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return torch.log(y.abs() + LOG_FLOOR)


def bits(out: dict[str, torch.Tensor]) -> torch.Tensor:
    return -torch.log2(out["y_lik"]).flatten(1).sum(1) - torch.log2(out["z_lik"]).flatten(1).sum(1)


def fill_spread(f: torch.Tensor, theta: float) -> torch.Tensor:
    """The fill noise's spread: exp(f), at most the dead zone's half width (as the TS decoder)."""
    return torch.clamp(torch.exp(torch.clamp(f, max=4.0)), max=0.5 + theta)


@torch.no_grad()
def simulate(model: MdctHyperprior, x: torch.Tensor, step: float, alpha: float, theta: float, fill: float,
             scale_table: torch.Tensor | None = None, tilt: float = 0.0) -> tuple[torch.Tensor, float]:
    """The codec on x (1, 1, T N) in float: (x_hat (1, 1, T N), estimated bits). Frames 0..T as
    the runtime codes them (frame 0 reaches before the start); noise fill with the float model's
    sigma (snapped to `scale_table` when given, as the integer h_s does), `fill` times
    step_shape(tilt) per coefficient."""
    L = x.shape[-1]
    X = model.mdct(x.flatten(1))  # (1, N, T + 1)
    T1 = X.shape[2]
    pad = (-T1) % Z_STRIDE
    X = F.pad(X, (0, pad))
    w = step_shape(alpha)[0][:, None] * step
    y = deadzone(X / w, theta)
    out = model(y, X / w, noise=False)
    sym = torch.round(y)
    g = torch.Generator().manual_seed(0)
    u = torch.rand(sym.shape, generator=g) * 2 - 1
    filled = fill * step_shape(tilt)[0][:, None] * fill_spread(out["f"], theta) * math.sqrt(3) * u
    y_hat = torch.where(sym != 0, sym, filled)
    x_hat = model.mdct.inverse(y_hat * w)[:, :L]
    return x_hat.reshape(1, 1, L), bits(out).item()


# The runtime's context on the scale indexes (codecs/learned/scale-context.ts): neighbours
# (dc, dt, weight) decoded before (c, t) in coefficient-major order, lambda, kappa.
CONTEXT = {"neighbours": [[0, 1, 3], [1, 0, 2], [1, 1, 1], [0, 2, 1], [1, -1, 1], [2, 0, 1], [0, 3, 1], [0, 4, 1]],
           "lam": 0.75, "kappa": 1.5, "q_bits": 12, "d_min": -20, "d_max": 20}


def laplace_likelihood(v: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Probability of the unit bin around v under a zero-mean Laplacian of standard deviation sigma
    (the coded coefficients' family: given their scale, MDCT coefficients have heavier tails than
    a Gaussian)."""
    b = torch.clamp(sigma, min=0.11) / math.sqrt(2)
    a = v.abs()
    # F(a + 1/2) − F(a − 1/2) of the Laplacian CDF F, from the tail side for precision
    inner = torch.where(a == 0, -torch.expm1(-0.5 / b),
                        1 - 0.5 * torch.exp(-(0.5 - a.clamp(max=0.5)) / b) - 0.5 * torch.exp(-(0.5 + a) / b))
    outer = 0.5 * torch.exp(-(a - 0.5).clamp(min=0) / b) * -torch.expm1(-1 / b)
    return torch.where(a < 0.5, inner, outer)


def context_tables(scale_table: np.ndarray, ctx: dict = CONTEXT, likelihood=laplace_likelihood) -> dict:
    """The bundle's integer tables of the scale-index context (E|symbol| under `likelihood`)."""
    q = 2 ** ctx["q_bits"]
    v = torch.arange(-4000, 4001, dtype=torch.float64)
    mean_abs = [int(round(float((likelihood(v, torch.full_like(v, float(s))) * v.abs()).sum()) * q))
                for s in scale_table]
    rho = float(scale_table[1] / scale_table[0])
    thresholds = [int(round(65536 * rho ** ((d - 0.5) / ctx["lam"]))) for d in range(ctx["d_min"], ctx["d_max"] + 1)]
    return {"neighbours": ctx["neighbours"], "mean_abs": mean_abs, "q_bits": ctx["q_bits"],
            "kappa": int(round(ctx["kappa"] * q)), "d_min": ctx["d_min"], "thresholds": thresholds}


def context_indexes(sym: np.ndarray, idx: np.ndarray, tables: dict, n_tables: int) -> np.ndarray:
    """The indexes the runtime codes (C, T) symbols with, from the hyperprior's (C, T) indexes (exact integers)."""
    C, T = sym.shape
    a = np.minimum(np.abs(sym.astype(np.int64)), 1 << 15)
    ea = np.asarray(tables["mean_abs"], dtype=np.int64)[idx.astype(np.int64)]
    obs = np.zeros((C, T), np.int64)
    exp = np.zeros((C, T), np.int64)
    valid = np.ones((C, T), bool)
    for dc, dt, w in tables["neighbours"]:
        src_a = np.zeros((C, T), np.int64)
        src_e = np.zeros((C, T), np.int64)
        ok = np.zeros((C, T), bool)
        c0, t0, t1 = dc, max(dt, 0), T + min(dt, 0)
        src_a[c0:, t0:t1] = a[:C - dc, t0 - dt:t1 - dt]
        src_e[c0:, t0:t1] = ea[:C - dc, t0 - dt:t1 - dt]
        ok[c0:, t0:t1] = True
        obs += w * src_a
        exp += w * src_e
        valid &= ok
    num = (obs * (2 ** tables["q_bits"]) + tables["kappa"]) * 65536
    den = exp + tables["kappa"]
    thr = np.asarray(tables["thresholds"], dtype=np.int64)
    # numbers stay below 2^53 (the runtime's bounds), so int64 products are exact
    count = (den[..., None] * thr[None, None, :] <= num[..., None]).sum(-1)
    d = tables["d_min"] + count - 1
    out = np.clip(idx + d, 0, n_tables - 1)
    return np.where(valid, out, idx)
