"""Learned video codec: the image codec's transforms with a spatiotemporal entropy model.

Every frame is coded by the image model's g_a / g_s (frozen, copied from a trained image
model). Intra frames use the image model's own hyperprior. Each P-frame latent y_t is coded
with an entropy model conditioned on its own hyperprior and on the previously decoded
latent ŷ_{t-1} (Liu et al. 2021, "Spatiotemporal Entropy Model is All You Need for Learned
Video Compression", without motion compensation or autoregressive context):

    z_t   = h_a_p([y_t, ŷ_{t-1}]) * zgain[q]                 (encoder only)
    ẑ_t   ~ factorized prior of its own
    feat  = [hyper(ẑ_t * izgain[q]), temporal(ŷ_{t-1} * igain[q])]
    Δ, σ, g = out(relu(fuse(feat) + bias[q]))
    μ_t   = Δ + clamp(g, 0, 1) · ŷ_{t-1}                       (gained domain, as ŷ)
    ŷ_t   = round(y_t - μ_t) + μ_t

Since g_a and g_s are frozen and ŷ_t - y_t is the same rounding error whatever μ_t is, the
distortion does not depend on this model: it is trained for rate alone, on latents computed
once (fast on a CPU). Every layer of the decoder side (hyper, temporal, fuse, out) uses
ReLU so that it runs as an integer network on both sides (lcodec_train/int_net.py). A new
model starts as an exact copy of the image model's hyperprior (temporal weights zero), so
training starts from the intra rate and lowers it.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import FactorizedDensity, SubPelUp, conv, gaussian_likelihood, lower_bound_likelihood


class TemporalPrior(nn.Module):
    """P-frame entropy model. Built so that a fresh one codes like the image model's
    hyperprior (initialize_from copies it in, with the temporal inputs weighted zero), and
    training moves it from there."""

    def __init__(self, N: int = 96, M: int = 160, qualities: int = 8, C2: int = 96):
        super().__init__()
        self.N, self.M, self.qualities = N, M, qualities
        C1 = M * 3 // 2  # the image h_s's hidden width
        self.C1, self.C2 = C1, C2
        self.h_a = nn.Sequential(
            conv(2 * M, N, 3, 1), nn.LeakyReLU(inplace=True), conv(N, N, 5, 2), nn.LeakyReLU(inplace=True),
            conv(N, N, 5, 2),
        )
        self.z_prior = FactorizedDensity(N)
        self.log_zgain = nn.Parameter(torch.zeros(qualities, N))
        self.log_izgain = nn.Parameter(torch.zeros(qualities, N))
        self.hyper = nn.Sequential(SubPelUp(N, M), nn.ReLU(inplace=True), SubPelUp(M, C1), nn.ReLU(inplace=True))
        self.temporal = nn.Sequential(conv(M, C2, 3, 1), nn.ReLU(inplace=True), conv(C2, C2, 3, 1), nn.ReLU(inplace=True))
        self.fuse = conv(C1 + C2, C1, 3, 1)
        self.q_bias = nn.Parameter(torch.zeros(qualities, C1))
        # mean offset, scale, and the gate that weighs ŷ_{t-1} into the mean
        self.out = conv(C1, 3 * M, 3, 1)

    @torch.no_grad()
    def initialize_from(self, base) -> None:
        """The image model's hyperprior, exactly: h_a on y_t, h_s through the hyper branch,
        the fusion layer passing it through (its inputs are ReLU outputs), gate 0."""
        M, C1 = self.M, self.C1
        self.h_a[2:].load_state_dict(base.h_a[2:].state_dict())
        self.h_a[0].weight.zero_()
        self.h_a[0].weight[:, :M] = base.h_a[0].weight
        self.h_a[0].bias.copy_(base.h_a[0].bias)
        self.z_prior.load_state_dict(base.z_prior.state_dict())
        self.log_zgain.copy_(base.log_zgain)
        self.log_izgain.copy_(base.log_izgain)
        self.hyper[0].load_state_dict(base.h_s[0].state_dict())
        self.hyper[2].load_state_dict(base.h_s[2].state_dict())
        self.fuse.weight.zero_()
        self.fuse.bias.zero_()
        for c in range(C1):
            self.fuse.weight[c, c, 1, 1] = 1.0
        self.out.weight.zero_()
        self.out.bias.zero_()
        self.out.weight[:2 * M] = base.h_s[4].weight
        self.out.bias[:2 * M] = base.h_s[4].bias
        self.out.bias[2 * M:] = 0.01

    @staticmethod
    def _gain(log_g: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return torch.exp(log_g[q])[:, :, None, None]

    def entropy_parameters(self, z_in: torch.Tensor, y_prev_in: torch.Tensor, q: torch.Tensor,
                           y_prev: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z_in = ẑ * izgain[q], y_prev_in = ŷ_{t-1} * igain[q] (normalized inputs);
        returns μ (gained domain) and σ. μ = Δ + clamp(g, 0, 1) · ŷ_{t-1}: no transcendental
        function, so the runtime computes it exactly alike on every machine."""
        f = torch.cat([self.hyper(z_in), self.temporal(y_prev_in)], 1)
        f = F.relu(self.fuse(f) + self.q_bias[q][:, :, None, None])
        d_mu, s, g = self.out(f).chunk(3, dim=1)
        return d_mu + torch.clamp(g, 0, 1) * y_prev, F.softplus(s)

    def forward(self, y: torch.Tensor, y_prev: torch.Tensor, q: torch.Tensor, igain: torch.Tensor,
                noise: bool = True) -> dict[str, torch.Tensor]:
        """y, y_prev: gained latents (y_prev already quantized or noised); igain: (B, M, 1, 1)."""
        z = self.h_a(torch.cat([y, y_prev], 1)) * self._gain(self.log_zgain, q)
        if noise:
            z_tilde = z + torch.empty_like(z).uniform_(-0.5, 0.5)
            z_hat = z + (torch.round(z) - z).detach()
        else:
            z_tilde = z_hat = torch.round(z)
        mu, sigma = self.entropy_parameters(z_hat * self._gain(self.log_izgain, q), y_prev * igain, q, y_prev)
        v = (y - mu + torch.empty_like(y).uniform_(-0.5, 0.5)) if noise else torch.round(y - mu)
        return {
            "y_lik": lower_bound_likelihood(gaussian_likelihood(v, sigma)),
            "z_lik": lower_bound_likelihood(self.z_prior.likelihood(z_tilde)),
        }


def read_clip_rgb(path: Path, max_frames: int | None = None) -> np.ndarray:
    """Decodes a clip with ffmpeg into uint8 (T, H, W, 3)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
         "-of", "csv=p=0", str(path)], check=True, capture_output=True, text=True).stdout.strip()
    w, h = (int(v) for v in probe.split(",")[:2])
    cmd = ["ffmpeg", "-v", "error", "-i", str(path)]
    if max_frames:
        cmd += ["-frames:v", str(max_frames)]
    raw = subprocess.run(cmd + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


@torch.no_grad()
def clip_latents(g_a: nn.Module, frames: np.ndarray, batch: int = 4) -> torch.Tensor:
    """g_a of every frame (before gains), fp16 (T, M, H/16, W/16); frames are padded to 64."""
    T, H, W, _ = frames.shape
    Hp, Wp = -(-H // 64) * 64, -(-W // 64) * 64
    out = []
    for i in range(0, T, batch):
        x = torch.from_numpy(frames[i:i + batch].copy()).permute(0, 3, 1, 2).float() / 255
        x = F.pad(x, (0, Wp - W, 0, Hp - H), mode="replicate")
        out.append(g_a(x).half())
    return torch.cat(out)


def bits(out: dict[str, torch.Tensor]) -> torch.Tensor:
    """Estimated bits per batch item."""
    return (-torch.log2(out["y_lik"]).flatten(1).sum(1)) + (-torch.log2(out["z_lik"]).flatten(1).sum(1))
