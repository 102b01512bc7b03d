"""Variable-rate mean-scale hyperprior (Minnen, Balle, Toderici 2018, without context).

One set of weights covers every quality: the latent y is multiplied by a learned
per-channel gain vector of the chosen quality before quantization and by an inverse gain
after it (Cui et al. 2021, "Asymmetric gained deep image compression"); z has its own
gains. Training samples a quality per image, with that quality's lambda in the loss.

    x --g_a--> y --*gain[q]--> y_g --h_a--> z --*zgain[q]--> z_g --Q--> z_hat
    z_hat --/zgain[q]... h_s--> (mu, sigma)   y_hat = round(y_g - mu) + mu
    y_hat --*igain[q]--> g_s --> x_hat
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import GDN, SCALE_MIN, FactorizedDensity, SubPelUp, conv, quantize_proxy, gaussian_likelihood, lower_bound_likelihood

# Lambdas for MSE (distortion term lambda * 255^2 * MSE): CompressAI's eight, and two below
# them on the same ratio (x1.93) so the lowest quality reaches about 0.1 bpp on Kodak.
MSE_LAMBDAS = [0.00048, 0.00093, 0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800]
# For MS-SSIM (distortion term lambda * (1 - MS-SSIM)): likewise, CompressAI's eight and two below.
MSSSIM_LAMBDAS = [0.659, 1.258, 2.40, 4.58, 8.73, 16.64, 31.73, 60.50, 115.37, 220.00, 420.0]
# Parameters with one row per quality.
GAIN_KEYS = ("log_gain", "log_igain", "log_zgain", "log_izgain")


class Hyperprior(nn.Module):
    def __init__(self, N: int = 96, M: int = 160, qualities: int = 8, G: int | None = None):
        """N: width of the hyper transforms (z has N channels); M: channels of y; G: width of
        g_a / g_s (default N)."""
        super().__init__()
        G = G or N
        self.N, self.M, self.G, self.qualities = N, M, G, qualities
        self.g_a = nn.Sequential(
            conv(3, G, 5, 2), GDN(G), conv(G, G, 5, 2), GDN(G), conv(G, G, 5, 2), GDN(G), conv(G, M, 5, 2)
        )
        self.g_s = nn.Sequential(
            SubPelUp(M, G), GDN(G, inverse=True), SubPelUp(G, G), GDN(G, inverse=True),
            SubPelUp(G, G), GDN(G, inverse=True), SubPelUp(G, 3),
        )
        self.h_a = nn.Sequential(
            conv(M, N, 3, 1), nn.LeakyReLU(inplace=True), conv(N, N, 5, 2), nn.LeakyReLU(inplace=True),
            conv(N, N, 5, 2),
        )
        # ReLU (not leaky) so the decoder-side copy of h_s can run as an exact integer
        # network with unsigned 8-bit activations (Balle et al. 2019).
        self.h_s = nn.Sequential(
            SubPelUp(N, M), nn.ReLU(inplace=True), SubPelUp(M, M * 3 // 2), nn.ReLU(inplace=True),
            conv(M * 3 // 2, 2 * M, 3, 1),
        )
        self.z_prior = FactorizedDensity(N)
        # log-gains per quality; init so the quantization step shrinks as sqrt(lambda) grows
        # (lambdas a factor ~1.93 apart, quality 3 at gain 1).
        ratio = torch.tensor([0.5 * math.log(1.93) * (q - 3) for q in range(qualities)])
        self.log_gain = nn.Parameter(ratio[:, None].repeat(1, M).clone())
        self.log_igain = nn.Parameter(-ratio[:, None].repeat(1, M).clone())
        self.log_zgain = nn.Parameter(torch.zeros(qualities, N))
        self.log_izgain = nn.Parameter(torch.zeros(qualities, N))
        # Training only: run the two full-resolution transforms in bfloat16 autocast (about 2x
        # the steps/s on CPUs with AVX512-BF16); quantization, h_a/h_s and likelihoods stay fp32.
        self.bf16 = False

    def _transform(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if not self.bf16:
            return net(x)
        with torch.autocast(x.device.type, dtype=torch.bfloat16):
            return net(x).float()

    @staticmethod
    def _gain(log_g: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return torch.exp(log_g[q])[:, :, None, None]

    def entropy_parameters(self, z_hat: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        params = self.h_s(z_hat * self._gain(self.log_izgain, q))
        mu, sigma = params.chunk(2, dim=1)
        return mu, F.softplus(sigma)

    def forward(self, x: torch.Tensor, q: torch.Tensor, noise: bool = True) -> dict[str, torch.Tensor]:
        """Training/eval pass. noise=True: additive uniform noise for the rate terms and
        straight-through rounding for what the decoder sees (the 'mixed' quantization
        proxy); noise=False: true rounding everywhere (what the coder does)."""
        y = self._transform(self.g_a, x) * self._gain(self.log_gain, q)
        z = self.h_a(y) * self._gain(self.log_zgain, q)
        z_tilde, z_hat = quantize_proxy(z, noise)
        z_lik = self.z_prior.likelihood(z_tilde)
        mu, sigma = self.entropy_parameters(z_hat, q)
        if noise:
            v = y - mu + torch.empty_like(y).uniform_(-0.5, 0.5)
            y_hat = mu + (y - mu) + (torch.round(y - mu) - (y - mu)).detach()
        else:
            v = torch.round(y - mu)
            y_hat = v + mu
        y_lik = gaussian_likelihood(v, sigma)
        x_hat = self._transform(self.g_s, y_hat * self._gain(self.log_igain, q))
        return {
            "x_hat": x_hat,
            "y_lik": lower_bound_likelihood(y_lik),
            "z_lik": lower_bound_likelihood(z_lik),
        }


def qualities_of(state_dict: dict) -> int:
    """Number of qualities of a saved model."""
    return state_dict["log_gain"].shape[0]


def extend_qualities(state_dict: dict, below: int, above: int) -> dict:
    """The model with `below` new qualities under its lowest and `above` over its highest: each
    gain row extrapolated linearly in the log domain from the two nearest (a starting point for
    training them; the lambdas keep their ratio at both ends)."""
    out = dict(state_dict)
    for key in GAIN_KEYS:
        g = state_dict[key]
        low = [g[0] - k * (g[1] - g[0]) for k in range(below, 0, -1)]
        high = [g[-1] + k * (g[-1] - g[-2]) for k in range(1, above + 1)]
        out[key] = torch.stack(low + list(g) + high)
    return out


@torch.no_grad()
def widen_transforms(state_dict: dict, G: int, seed: int = 0) -> dict:
    """Weights of a model whose g_a / g_s are G wide, from weights of a narrower one, computing
    the same function: the new channels get freshly initialized producing weights, zero
    consuming weights and their own GDN terms (no coupling with the old channels), so
    training starts where the narrow model stands and grows into the new width. Weights already
    G wide come back as they are (the same object)."""
    old = state_dict["g_a.1.beta_p"].shape[0]
    if G == old:
        return state_dict
    assert G > old, f"cannot narrow g_a / g_s from {old} to {G}"
    torch.manual_seed(seed)
    N, M = state_dict["h_a.0.weight"].shape[:2]  # h_a.0 maps M channels of y to N
    fresh = Hyperprior(N=N, M=M, qualities=qualities_of(state_dict), G=G).state_dict()
    out = dict(state_dict)

    def grow(key: str) -> None:
        # Old channels first. (After a PixelShuffle, conv channels 4c..4c+3 make channel c, so
        # appended conv channels make the appended channels there too.)
        w_old, w = state_dict[key], fresh[key].clone()
        o, i = w_old.shape[:2]
        w[:o, :i] = w_old
        w[:o, i:] = 0
        out[key] = w
        bkey = key.replace("weight", "bias")
        b = fresh[bkey].clone()
        b[:o] = state_dict[bkey]
        out[bkey] = b

    for k in (1, 3, 5):
        for net in ("g_a", "g_s"):
            beta, gamma = fresh[f"{net}.{k}.beta_p"].clone(), fresh[f"{net}.{k}.gamma_p"].clone()
            beta[:old] = state_dict[f"{net}.{k}.beta_p"]
            gamma[:, :] = math.sqrt(GDN.PEDESTAL)
            gamma[range(G), range(G)] = fresh[f"{net}.{k}.gamma_p"].diagonal()
            gamma[:old, :old] = state_dict[f"{net}.{k}.gamma_p"]
            out[f"{net}.{k}.beta_p"], out[f"{net}.{k}.gamma_p"] = beta, gamma
    for k in (0, 2, 4, 6):
        grow(f"g_a.{k}.weight")
        grow(f"g_s.{k}.0.weight")
    return out


def load_hyperprior(path, default_arch: dict | None = None) -> tuple[Hyperprior, dict]:
    """The model saved at `path` (a train.py checkpoint, or weights such as a seed file, fp16 or
    not) in eval mode, built with the architecture saved beside it (else `default_arch`), and the
    loaded dict itself."""
    state = torch.load(path, map_location="cpu")
    weights = state["model"] if "model" in state else state
    model = Hyperprior(**state.get("arch", default_arch), qualities=qualities_of(weights))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    return model.eval(), state


def bits_per_image(out: dict[str, torch.Tensor]) -> torch.Tensor:
    """Total estimated bits per batch item."""
    y_bits = -torch.log2(out["y_lik"]).flatten(1).sum(1)
    z_bits = -torch.log2(out["z_lik"]).flatten(1).sum(1)
    return y_bits + z_bits


__all__ = ["Hyperprior", "MSE_LAMBDAS", "MSSSIM_LAMBDAS", "GAIN_KEYS", "bits_per_image", "extend_qualities",
           "load_hyperprior", "qualities_of", "SCALE_MIN", "widen_transforms"]
