#!/usr/bin/python3
"""Reference PSNR / SSIM / MS-SSIM for test/metrics.test.ts.

Run with Debian's Python (torch 1.13, scikit-image 0.19):
    apt-get install -y python3-torch python3-skimage
    /usr/bin/python3 test/reference/metric_reference.py

Images are rebuilt here with the same integer arithmetic as test/helpers/synthetic.ts.
- PSNR, SSIM: scikit-image (peak_signal_noise_ratio; structural_similarity with the
  Wang et al. settings: Gaussian window sigma 1.5, no sample-covariance correction,
  data range 255, per channel then averaged).
- MS-SSIM: the algorithm of pytorch_msssim (which CompressAI uses), written out here with
  torch in float64: separable 11-tap Gaussian (sigma 1.5), valid convolution, per-channel
  means, relu on cs / ssim, avg_pool2d(2, padding=odd side) between the 5 scales.
  Its first scale is checked against scikit-image's SSIM before anything is printed.
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

M32 = 0xFFFFFFFF


def xorshift32(x):
    x ^= (x << 13) & M32
    x ^= x >> 17
    x ^= (x << 5) & M32
    return x & M32


def synthetic_image(w, h, seed):
    out = np.zeros((h, w, 3), dtype=np.uint8)
    s = seed or 1
    for y in range(h):
        for x in range(w):
            for c in range(3):
                s = xorshift32(s)
                gradient = ((c + 1) * 85 * x) // w / 2 + (255 * y) // h / 4
                checker = 40 if ((x >> 4) + (y >> 4) + c) % 2 == 0 else 0
                ramp = ((x + 2 * y) * (c + 3)) % 64
                texture = (s % 41) - 20
                out[y, x, c] = min(255, max(0, math.floor(gradient) + checker + ramp + texture))
    return out


def add_noise(img, k, seed):
    flat = img.reshape(-1).astype(np.int64)
    out = np.zeros_like(flat)
    s = seed or 1
    for i in range(flat.size):
        s = xorshift32(s)
        out[i] = min(255, max(0, flat[i] + (s % (2 * k + 1)) - k))
    return out.astype(np.uint8).reshape(img.shape)


def block_mean(img, b):
    h, w, _ = img.shape
    out = np.zeros_like(img)
    for by in range(0, h, b):
        for bx in range(0, w, b):
            blk = img[by:by + b, bx:bx + b].astype(np.int64)
            n = blk.shape[0] * blk.shape[1]
            out[by:by + b, bx:bx + b] = (blk.sum(axis=(0, 1)) // n).astype(np.uint8)
    return out


WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def gauss_1d(size=11, sigma=1.5):
    r = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(r ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def ssim_terms(x, y, g, data_range=255.0):
    c = x.shape[1]
    wh = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    wv = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(t):
        return F.conv2d(F.conv2d(t, wh, groups=c), wv, groups=c)

    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    cs_map = (2 * sxy + c2) / (sxx + syy + c2)
    ssim_map = (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs_map
    return ssim_map.flatten(2).mean(-1), cs_map.flatten(2).mean(-1)  # (N, C)


def ms_ssim(a, b):
    x = torch.from_numpy(a).permute(2, 0, 1)[None].double()
    y = torch.from_numpy(b).permute(2, 0, 1)[None].double()
    g = gauss_1d()
    terms = []
    for level in range(len(WEIGHTS)):
        ssim_c, cs_c = ssim_terms(x, y, g)
        if level < len(WEIGHTS) - 1:
            terms.append(torch.relu(cs_c))
            pad = (x.shape[2] % 2, x.shape[3] % 2)
            x = F.avg_pool2d(x, kernel_size=2, padding=pad)
            y = F.avg_pool2d(y, kernel_size=2, padding=pad)
    terms.append(torch.relu(ssim_c))
    stack = torch.stack(terms, 0)  # (levels, N, C)
    w = torch.tensor(WEIGHTS, dtype=torch.float64).view(-1, 1, 1)
    return torch.prod(stack ** w, 0).mean().item()


def torch_ssim(a, b):
    x = torch.from_numpy(a).permute(2, 0, 1)[None].double()
    y = torch.from_numpy(b).permute(2, 0, 1)[None].double()
    return ssim_terms(x, y, gauss_1d())[0].mean().item()


def pairs():
    a1 = synthetic_image(199, 173, 7)
    yield "noise12_199x173", a1, add_noise(a1, 12, 99)
    a2 = synthetic_image(256, 192, 3)
    yield "block4_256x192", a2, block_mean(a2, 4)
    a3 = synthetic_image(224, 224, 11)
    yield "block8_noise30_224x224", a3, add_noise(block_mean(a3, 8), 30, 5)


def main():
    out = {}
    for name, a, b in pairs():
        sk_ssim = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                        data_range=255, channel_axis=-1)
        assert abs(sk_ssim - torch_ssim(a, b)) < 1e-9, (sk_ssim, torch_ssim(a, b))
        out[name] = {
            "psnr": peak_signal_noise_ratio(a, b, data_range=255),
            "ssim": sk_ssim,
            "ms_ssim": ms_ssim(a, b),
            "checksum_a": int(a.astype(np.int64).sum()),
            "checksum_b": int(b.astype(np.int64).sum()),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
