#!/usr/bin/python3
"""Reference BD-rates for test/bdrate.test.ts, computed with numpy/scipy.

    apt-get install -y python3-scipy && /usr/bin/python3 test/reference/bdrate_reference.py

BD-rate as in the common Python implementations (piecewise-cubic variant): log-rate
interpolated over quality with scipy's PchipInterpolator, integrated over the overlapping
quality range. Printed both with the exact integral (what lcodec computes) and with the
100-sample trapezoid that several published scripts use, to show the two agree.
The published curves are the CompressAI results files (Kodak), as in
../shared/data/images/reference/published_kodak_rd.json.
"""
import json

import numpy as np
from scipy.interpolate import PchipInterpolator

JPEG_BPP = [0.2212, 0.3266, 0.4231, 0.5084, 0.5879, 0.6601, 0.7289, 0.786, 0.8497, 0.906, 0.9644, 1.0372,
            1.1274, 1.2398, 1.3688, 1.5718, 1.8588, 2.3502, 3.4013]
JPEG_PSNR = [23.7799, 26.5772, 28.0422, 29.0418, 29.7847, 30.3783, 30.9032, 31.3078, 31.7048, 32.0587, 32.3993,
             32.7899, 33.2347, 33.7926, 34.3943, 35.239, 36.3289, 37.9121, 40.5567]
JPEG_MSSSIM = [0.803071, 0.889862, 0.923584, 0.942709, 0.953349, 0.960616, 0.966143, 0.969692, 0.97265, 0.975253,
               0.977267, 0.979276, 0.981364, 0.983707, 0.98575, 0.988191, 0.990552, 0.992981, 0.995637]
BPG_BPP = [0.0678, 0.161, 0.3516, 0.6847, 1.1997, 1.9297, 3.0579, 4.7031]
BPG_PSNR = [26.1951, 28.6815, 31.5947, 34.8575, 38.2599, 41.4789, 44.7031, 47.6325]
BPG_MSSSIM = [0.86859, 0.924205, 0.961144, 0.980799, 0.990467, 0.994933, 0.997546, 0.998802]


def bd_rate(r1, q1, r2, q2):
    """BD-rate (%) of curve 2 against anchor curve 1: exact PCHIP integral and 100-sample trapezoid."""
    q1, r1 = np.asarray(q1, float), np.log(np.asarray(r1, float))
    q2, r2 = np.asarray(q2, float), np.log(np.asarray(r2, float))
    o1, o2 = np.argsort(q1), np.argsort(q2)
    p1, p2 = PchipInterpolator(q1[o1], r1[o1]), PchipInterpolator(q2[o2], r2[o2])
    lo, hi = max(q1.min(), q2.min()), min(q1.max(), q2.max())
    exact = (np.exp((p2.integrate(lo, hi) - p1.integrate(lo, hi)) / (hi - lo)) - 1) * 100
    s = np.linspace(lo, hi, 100)
    trapz = (np.exp((np.trapz(p2(s), s) - np.trapz(p1(s), s)) / (hi - lo)) - 1) * 100
    return float(exact), float(trapz)


def db(v):
    return -10 * np.log10(1 - np.asarray(v))


# A curve with a local dip and uneven spacing, to exercise PCHIP's flat extrema and end rules.
QUIRKY_A = ([0.1, 0.25, 0.3, 0.8, 1.6, 2.0], [24.0, 27.5, 27.9, 31.0, 35.5, 35.7])
QUIRKY_B = ([0.12, 0.2, 0.45, 0.5, 1.1, 1.9, 3.0], [25.0, 26.0, 29.5, 29.4, 33.0, 36.8, 40.0])

out = {
    "bpg_vs_jpeg_psnr": bd_rate(JPEG_BPP, JPEG_PSNR, BPG_BPP, BPG_PSNR),
    "bpg_vs_jpeg_msssim_db": bd_rate(JPEG_BPP, db(JPEG_MSSSIM), BPG_BPP, db(BPG_MSSSIM)),
    "jpeg_vs_bpg_psnr": bd_rate(BPG_BPP, BPG_PSNR, JPEG_BPP, JPEG_PSNR),
    "quirky_b_vs_a": bd_rate(*QUIRKY_A, *QUIRKY_B),
}
print(json.dumps(out, indent=2))
