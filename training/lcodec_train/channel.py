"""Variable-rate image codec with a channel-wise context model (Minnen & Singh 2020, "Channel-wise
autoregressive entropy models for learned image compression"), on uneven channel slices (He et
al. 2022, ELIC) and latent residual prediction (LRP), built on the mean-scale hyperprior of
hyperprior.py (gain vectors per quality, Cui et al. 2021).

    x --g_a--> y --*gain[q]--> y_g --h_a--> z ... z_hat --*izgain[q]--> h_s hidden H (2 ReLU layers)
    H --last h_s conv--> (mu_hs, sigma_hs)                          the hyperprior's prediction
    slice i (channels a..b):  (d_mu, d_ls) = net_i(H, yn_hat[:, :a], q)
        mu    = mu_hs[a:b] + gain[q, a:b] * d_mu                    (additive, in quantization steps)
        sigma = sigma_hs[a:b] * exp(clamp(d_ls))                    (multiplicative)
        y_hat = mu + round(y_g - mu);  yn_hat = y_hat * igain[q]    (quality-normalized latent)
    x_hat = g_s(yn_hat + 0.5 tanh(lrp(H, yn_hat)) * igain[q])      LRP: float, feeds g_s only

Exact decoding. The slice networks are ReLU networks whose inputs are integers on both sides: H
is the integer h_s's uint8 hidden activation, and yn_hat of the earlier slices enters as uint8
codes of (symbols + mu) * igain[q], mu computed from integer accumulators by IEEE float64
arithmetic. So they export as integer networks (int_net.py) like h_s: the mean correction
d_mu = acc * k + c, and the scale correction only shifts the hyperprior's scale-table index by
an integer read off integer thresholds (the table is log-spaced: a factor exp(d_ls) is a shift
of d_ls / log(ratio) entries). LRP feeds only g_s, never a later slice, so it stays float.

Each slice network starts with a zero last layer and LRP with zero output, so a model converted
from a hyperprior (from_hyperprior) computes exactly that hyperprior's rates and image at step 0
on its old channels.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .hyperprior import GAIN_KEYS, Hyperprior, extend_qualities, qualities_of
from .layers import SubPelUp, conv, quantize_proxy, gaussian_likelihood, lower_bound_likelihood
from .paths import float_weights

# ELIC's uneven slices for M = 320: small first slices (they carry the most information per
# channel once the transforms compact energy into them) give the later ones context early.
SLICES = (16, 16, 32, 64, 192)
# MSE lambdas: the hyperprior's ten and two above on the same ratio (x1.93), so that the top
# quality reaches past 38.5 dB on Kodak.
CHANNEL_MSE_LAMBDAS = [0.00048, 0.00093, 0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800,
                       0.3474, 0.6705]
# MS-SSIM lambdas: the hyperprior's eleven and one above on the same ratio (x1.91).
CHANNEL_MSSSIM_LAMBDAS = [0.659, 1.258, 2.40, 4.58, 8.73, 16.64, 31.73, 60.50, 115.37, 220.00, 420.0, 801.0]
# Bound of the log-scale correction (a factor of e^4 = 55 either way).
LOG_SCALE_BOUND = 4.0


class SliceNet(nn.Module):
    """Entropy parameters of one slice from the hyper features H and the earlier slices'
    normalized latents: conv3x3 (H and context, plus a per-quality bias) -> ReLU -> conv1x1 ->
    ReLU -> conv3x3 to (d_mu, d_ls) per channel. The first layer is two convolutions summed
    (H is unsigned, the context signed: each keeps its own zero point in the integer network)."""

    def __init__(self, hyper_c: int, ctx_c: int, out_c: int, hidden: int, qualities: int):
        super().__init__()
        self.ctx_c, self.out_c = ctx_c, out_c
        self.conv_h = conv(hyper_c, hidden, 3)
        self.conv_y = nn.Conv2d(ctx_c, hidden, 3, padding=1, bias=False) if ctx_c else None
        self.qbias = nn.Parameter(torch.zeros(qualities, hidden))
        self.mid = conv(hidden, hidden, 1)
        self.out = conv(hidden, 2 * out_c, 3)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, H: torch.Tensor, ctx: torch.Tensor | None, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv_h(H) + self.qbias[q][:, :, None, None]
        if self.conv_y is not None:
            h = h + self.conv_y(ctx)
        h = F.relu(self.mid(F.relu(h)))
        d_mu, d_ls = self.out(h).chunk(2, dim=1)
        return d_mu, d_ls


class ChannelModel(Hyperprior):
    """N: z channels; M: y channels; G: g_a / g_s width; HS: the two hidden widths of h_s (kept
    from the hyperprior this model starts from); slices: channel counts summing to M; hidden:
    width of the slice and LRP networks; grown_from: the y width of the hyperprior it grew from
    (its channels come first; training logs how much the newer ones carry)."""

    def __init__(self, N: int = 96, M: int = 320, qualities: int = 12, G: int = 128,
                 HS: tuple[int, int] = (160, 240), slices: tuple[int, ...] = SLICES, hidden: int = 96,
                 grown_from: int = 0):
        super().__init__(N=N, M=M, qualities=qualities, G=G)
        assert sum(slices) == M, f"slices {slices} do not sum to M = {M}"
        self.HS, self.slices, self.hidden, self.grown_from = tuple(HS), tuple(slices), hidden, grown_from
        self.h_s = nn.Sequential(
            SubPelUp(N, HS[0]), nn.ReLU(inplace=True), SubPelUp(HS[0], HS[1]), nn.ReLU(inplace=True),
            conv(HS[1], 2 * M, 3, 1),
        )
        starts = [sum(slices[:i]) for i in range(len(slices))]
        self.bounds = [(a, a + n) for a, n in zip(starts, slices)]
        self.slice_nets = nn.ModuleList(SliceNet(HS[1], a, b - a, hidden, qualities) for a, b in self.bounds)
        self.lrp = nn.Sequential(conv(HS[1] + M, hidden, 3), nn.ReLU(inplace=True), conv(hidden, M, 3))
        # Training only: the weight of the grown channels' rate in the gradient that reaches the
        # transforms (train.py ramps it from 0 to 1; their entropy model learns at full weight).
        self.grown_rate_weight = 1.0
        nn.init.zeros_(self.lrp[2].weight)
        nn.init.zeros_(self.lrp[2].bias)

    def arch(self) -> dict:
        return {"N": self.N, "M": self.M, "G": self.G, "HS": list(self.HS), "slices": list(self.slices),
                "hidden": self.hidden, "grown_from": self.grown_from}

    def hyper_features(self, z_hat: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """H (the h_s hidden activation the slice networks read), mu_hs and sigma_hs."""
        H = self.h_s[:4](z_hat * self._gain(self.log_izgain, q))
        mu, raw = self.h_s[4](H).chunk(2, dim=1)
        return H, mu, F.softplus(raw)

    def forward(self, x: torch.Tensor, q: torch.Tensor, noise: bool = True) -> dict[str, torch.Tensor]:
        """As Hyperprior.forward (noise: the mixed quantization proxy; else true rounding),
        one pass per slice."""
        y = self._transform(self.g_a, x) * self._gain(self.log_gain, q)
        z = self.h_a(y) * self._gain(self.log_zgain, q)
        z_tilde, z_hat = quantize_proxy(z, noise)
        z_lik = self.z_prior.likelihood(z_tilde)
        H, mu_hs, sigma_hs = self.hyper_features(z_hat, q)
        gain, igain = self._gain(self.log_gain, q), self._gain(self.log_igain, q)
        y_rate = y
        if self.grown_from and self.grown_rate_weight < 1:
            w = torch.ones(1, self.M, 1, 1, device=y.device)
            w[:, self.grown_from:] = self.grown_rate_weight
            y_rate = y * w + y.detach() * (1 - w)  # the same values, a damped gradient
        yn_parts, lik_parts, symbols = [], [], []
        for net, (a, b) in zip(self.slice_nets, self.bounds):
            d_mu, d_ls = net(H, torch.cat(yn_parts, 1) if yn_parts else None, q)
            mu = mu_hs[:, a:b] + gain[:, a:b] * d_mu
            sigma = sigma_hs[:, a:b] * torch.exp(torch.clamp(d_ls, -LOG_SCALE_BOUND, LOG_SCALE_BOUND))
            r = y[:, a:b] - mu
            if noise:
                v = y_rate[:, a:b] - mu + torch.empty_like(r).uniform_(-0.5, 0.5)
                y_hat = y[:, a:b] + (torch.round(r) - r).detach()
            else:
                v = torch.round(r)
                y_hat = v + mu
            symbols.append(torch.round(r).detach())
            lik_parts.append(gaussian_likelihood(v, sigma))
            yn_parts.append(y_hat * igain[:, a:b])
        yn = torch.cat(yn_parts, 1)
        residual = 0.5 * torch.tanh(self.lrp(torch.cat([H, yn], 1))) * igain
        x_hat = self._transform(self.g_s, yn + residual)
        return {
            "x_hat": x_hat,
            "y_lik": lower_bound_likelihood(torch.cat(lik_parts, 1)),
            "z_lik": lower_bound_likelihood(z_lik),
            "symbols": torch.cat(symbols, 1),
        }


@torch.no_grad()
def channel_rates(hp: Hyperprior, x: torch.Tensor, qualities: list[int]) -> torch.Tensor:
    """Mean bits per element of each y channel of a hyperprior over crops x and qualities."""
    bits = torch.zeros(hp.M)
    for q in qualities:
        out = hp(x, torch.full((x.shape[0],), q, dtype=torch.long), noise=False)
        bits += -torch.log2(out["y_lik"]).mean((0, 2, 3))
    return bits / len(qualities)


@torch.no_grad()
def from_hyperprior(hp_state: dict, arch: dict, qualities: int, crops: torch.Tensor | None = None,
                    seed: int = 0, new_write: float = 0.1, new_read: float = 1.0, new_sigma: float = 0.2) -> dict:
    """Weights of a ChannelModel started from a hyperprior's state dict (fp32). The old y
    channels come first, ordered by their rate on `crops` (highest first: the first slices then
    hold the channels that tell the most), then M - M_old new ones. The new channels get fresh
    g_a rows at `new_write` of the old rows' RMS (small: they start cheap, mostly rounding to 0), g_s reads them through fresh weights at `new_read` of the
    old columns' RMS (not zero: an exactly unused channel got no gradient to grow in an earlier
    trial; and train.py ramps in their rate's gradient on the transforms, see --grow-ramp), h_a does not read them yet, the hyperprior predicts mean 0 and scale
    `new_sigma` for them, and their gains are the old channels' mean per quality. Qualities
    beyond the hyperprior's are added above (gains extrapolated). Slices and LRP start at zero
    output, so the old channels are coded exactly as by the hyperprior."""
    torch.manual_seed(seed)
    hp_q = qualities_of(hp_state)
    old = hp_state["h_a.0.weight"].shape[1]
    N = hp_state["h_a.0.weight"].shape[0]
    hp = Hyperprior(N=N, M=old, qualities=hp_q, G=hp_state["g_a.1.beta_p"].shape[0])
    hp.load_state_dict(hp_state)
    hp.eval()
    if crops is not None:
        perm = torch.argsort(channel_rates(hp, crops, [0, hp_q // 2, hp_q - 1]), descending=True)
    else:
        perm = torch.arange(old)
    st = extend_qualities(hp_state, 0, qualities - hp_q) if qualities > hp_q else dict(hp_state)
    model = ChannelModel(**arch, qualities=qualities)
    M = model.M
    new = M - old
    assert new >= 0 and model.grown_from in (0, old)
    out = model.state_dict()
    for k, v in st.items():
        if k in out and out[k].shape == v.shape and not k.startswith(("g_a.6", "g_s.0.0", "h_a.0", "h_s.4")) \
                and k not in GAIN_KEYS:
            out[k] = v.clone()

    def rms(t: torch.Tensor, dim) -> torch.Tensor:
        return t.pow(2).mean(dim).sqrt().mean()

    # g_a last conv: rows are y channels
    w, b = st["g_a.6.weight"], st["g_a.6.bias"]
    fresh = out["g_a.6.weight"].clone()
    fresh[old:] *= new_write * rms(w, (1, 2, 3)) / rms(fresh[old:], (1, 2, 3))
    out["g_a.6.weight"] = torch.cat([w[perm], fresh[old:]])
    out["g_a.6.bias"] = torch.cat([b[perm], torch.zeros(new)])
    # g_s first conv: input columns are y channels
    w = st["g_s.0.0.weight"]
    fresh = out["g_s.0.0.weight"].clone()
    fresh[:, old:] *= new_read * rms(w, (0, 2, 3)) / rms(fresh[:, old:], (0, 2, 3))
    out["g_s.0.0.weight"] = torch.cat([w[:, perm], fresh[:, old:]], 1)
    out["g_s.0.0.bias"] = st["g_s.0.0.bias"].clone()
    # h_a first conv reads y: the new channels through zero weights
    w = st["h_a.0.weight"]
    out["h_a.0.weight"] = torch.cat([w[:, perm], torch.zeros(w.shape[0], new, *w.shape[2:])], 1)
    out["h_a.0.bias"] = st["h_a.0.bias"].clone()
    # h_s last conv: mu rows then sigma rows
    w, b = st["h_s.4.weight"], st["h_s.4.bias"]
    zw = torch.zeros(new, *w.shape[1:])
    raw_sigma = math.log(math.expm1(new_sigma))
    out["h_s.4.weight"] = torch.cat([w[:old][perm], zw, w[old:][perm], zw])
    out["h_s.4.bias"] = torch.cat([b[:old][perm], torch.zeros(new), b[old:][perm], torch.full((new,), raw_sigma)])
    for k in GAIN_KEYS:
        g = st[k]
        if g.shape[1] == old:
            g = torch.cat([g[:, perm], g.mean(1, keepdim=True).repeat(1, new)], 1)
        out[k] = g.clone()
    return out


def _load(path, cls: type[Hyperprior] | None, default_arch: dict | None) -> tuple[Hyperprior, dict]:
    state = torch.load(path, map_location="cpu")
    weights = state["model"] if "model" in state else state
    if cls is None:
        cls = ChannelModel if any(k.startswith("slice_nets.") for k in weights) else Hyperprior
    model = cls(**state.get("arch", default_arch), qualities=qualities_of(weights))
    model.load_state_dict(float_weights(weights))
    return model.eval(), state


def load_channel_model(path, default_arch: dict | None = None) -> tuple[ChannelModel, dict]:
    """The ChannelModel saved at `path` (a checkpoint or a weights file) in eval mode, and the loaded dict."""
    return _load(path, ChannelModel, default_arch)


def load_image_model(path) -> tuple[Hyperprior, dict]:
    """The image model saved at `path`, a ChannelModel when it has slice networks, else a
    Hyperprior (both with g_a, g_s and the gains), in eval mode, and the loaded dict."""
    return _load(path, None, None)


__all__ = ["ChannelModel", "CHANNEL_MSE_LAMBDAS", "CHANNEL_MSSSIM_LAMBDAS", "SLICES", "SliceNet", "from_hyperprior", "load_channel_model", "load_image_model"]
