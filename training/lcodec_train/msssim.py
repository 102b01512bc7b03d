"""Differentiable MS-SSIM (Wang, Simoncelli, Bovik 2003) for training.

5 scales, weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 11x11 Gaussian window with
sigma 1.5, data range 1, K1 = 0.01, K2 = 0.03; average pooling by 2 between scales.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(r ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _filter(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    x = F.conv2d(x, g.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, g.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _ssim_cs(x: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, my = _filter(x, g), _filter(y, g)
    sxx = _filter(x * x, g) - mx * mx
    syy = _filter(y * y, g) - my * my
    sxy = _filter(x * y, g) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    ssim = ((2 * mx * my + c1) / (mx * mx + my * my + c1)) * cs
    return ssim.flatten(1).mean(1), cs.flatten(1).mean(1)


def ms_ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x, y in [0, 1], (B, 3, H, W) with min(H, W) >= 161 -> (B,) MS-SSIM."""
    g = _window().to(x.device, x.dtype)
    w = torch.tensor(WEIGHTS, device=x.device, dtype=x.dtype)
    values = []
    for i in range(len(WEIGHTS)):
        ssim, cs = _ssim_cs(x, y, g)
        if i < len(WEIGHTS) - 1:
            values.append(torch.relu(cs))
            x = F.avg_pool2d(x, 2)
            y = F.avg_pool2d(y, 2)
        else:
            values.append(torch.relu(ssim))
    stack = torch.stack(values, dim=1)  # (B, 5)
    return torch.prod(stack ** w, dim=1)
