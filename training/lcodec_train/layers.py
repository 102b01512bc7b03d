"""Building blocks of the learned image codecs.

Glossary (as in the papers): x image, y latent (g_a output), z hyper-latent (h_a output),
y_hat / z_hat quantized latents, mu / sigma the Gaussian mean and scale predicted by h_s,
lambda the rate-distortion trade-off.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GDN(nn.Module):
    """Generalized divisive normalization (Balle et al. 2016).

    y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2); the inverse multiplies instead.
    beta and gamma are kept positive by a squared reparametrization with a small pedestal,
    which keeps gradients well scaled near zero.
    """

    PEDESTAL = 2.0 ** -18

    def __init__(self, channels: int, inverse: bool = False):
        super().__init__()
        self.inverse = inverse
        self.beta_p = nn.Parameter(torch.sqrt(torch.ones(channels) + self.PEDESTAL))
        self.gamma_p = nn.Parameter(torch.sqrt(0.1 * torch.eye(channels) + self.PEDESTAL))

    def params(self) -> tuple[torch.Tensor, torch.Tensor]:
        beta = torch.clamp(self.beta_p, min=math.sqrt(1e-6 + self.PEDESTAL)) ** 2 - self.PEDESTAL
        gamma = torch.clamp(self.gamma_p, min=math.sqrt(self.PEDESTAL)) ** 2 - self.PEDESTAL
        return beta, gamma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta, gamma = self.params()
        c = x.shape[1]
        norm = F.conv2d(x * x, gamma.view(c, c, 1, 1), beta)
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)


def macs(module: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of module(x): its convolutions (1-D and 2-D) and GDN channel mixing."""
    total = 0

    def hook(m: nn.Module, inp, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            total += out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)
        elif isinstance(m, GDN):
            total += out.numel() * out.shape[1]

    hooks = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, GDN))]
    with torch.no_grad():
        module(x)
    for h in hooks:
        h.remove()
    return total


def conv(cin: int, cout: int, k: int = 5, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)


class SubPelUp(nn.Sequential):
    """Sub-pixel upsampling by 2: a 3x3 conv to 4x channels, then PixelShuffle.

    About 14x faster than ConvTranspose2d on the CPUs this project trains on.
    """

    def __init__(self, cin: int, cout: int):
        super().__init__(nn.Conv2d(cin, cout * 4, 3, padding=1), nn.PixelShuffle(2))


class FactorizedDensity(nn.Module):
    """Per-channel learned univariate density (Balle et al. 2018, appendix 6.1).

    The CDF of each channel is a small monotone network; the likelihood of an integer
    bin [v - 1/2, v + 1/2] is the CDF difference. Used as the prior of z.
    """

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3, 3), init_scale: float = 10.0):
        super().__init__()
        self.channels = channels
        dims = (1,) + filters + (1,)
        scale = init_scale ** (1.0 / (len(filters) + 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1.0 / scale / dims[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(channels, dims[i + 1], 1) - 0.5))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))

    def logits_cdf(self, v: torch.Tensor) -> torch.Tensor:
        """v: (channels, 1, n) -> logits of the CDF at v, same shape."""
        h = v
        for i, (m, b) in enumerate(zip(self.matrices, self.biases)):
            h = torch.matmul(F.softplus(m), h) + b
            if i < len(self.factors):
                h = h + torch.tanh(self.factors[i]) * torch.tanh(h)
        return h

    def likelihood(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, C, H, W) with integer (or noisy) values -> bin probability."""
        b, c, hh, ww = z.shape
        v = z.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lo = self.logits_cdf(v - 0.5)
        hi = self.logits_cdf(v + 0.5)
        # Evaluate on the side where the sigmoid is not saturated.
        sign = -torch.sign(lo + hi).detach()
        p = torch.abs(torch.sigmoid(sign * hi) - torch.sigmoid(sign * lo))
        return p.reshape(c, b, hh, ww).permute(1, 0, 2, 3)

    @torch.no_grad()
    def quantile(self, q: float, lo: float = -512.0, hi: float = 512.0, iters: int = 60) -> torch.Tensor:
        """Per-channel value where the CDF reaches q (bisection on the monotone CDF)."""
        a = torch.full((self.channels, 1, 1), lo)
        b = torch.full((self.channels, 1, 1), hi)
        target = math.log(q / (1 - q))
        for _ in range(iters):
            mid = (a + b) / 2
            below = self.logits_cdf(mid) < target
            a = torch.where(below, mid, a)
            b = torch.where(below, b, mid)
        return ((a + b) / 2).view(-1)


def quantize_proxy(v: torch.Tensor, noise: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(v_tilde, v_hat): what the rate term sees and what the decoder sees. noise=True is the
    'mixed' proxy (uniform noise for the rate, straight-through rounding for the decoder);
    noise=False rounds both, as the coder does."""
    if not noise:
        v_hat = torch.round(v)
        return v_hat, v_hat
    return v + torch.empty_like(v).uniform_(-0.5, 0.5), v + (torch.round(v) - v).detach()


SCALE_MIN = 0.11


def gaussian_likelihood(v: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Probability of the unit bin around v under N(0, sigma); v is y - mu."""
    sigma = torch.clamp(sigma, min=SCALE_MIN)
    v = torch.abs(v)
    # P = Phi((0.5 - |v|)/s) - Phi((-0.5 - |v|)/s), with Phi(a) = erfc(-a / sqrt 2) / 2;
    # taking |v| keeps both terms on the lower tail, where erfc is precise.
    upper = 0.5 * torch.erfc(-(0.5 - v) / (sigma * math.sqrt(2)))
    lower = 0.5 * torch.erfc(-(-0.5 - v) / (sigma * math.sqrt(2)))
    return upper - lower


def lower_bound_likelihood(p: torch.Tensor, bound: float = 1e-9) -> torch.Tensor:
    return torch.clamp(p, min=bound)
