"""Probe: the channel model's integer pass (export_channel.py) against its float model, per
quality, for several sizes of the Gaussian scale table (the slice networks shift the
hyperprior's table index, so a coarse table rounds twice).
    /usr/bin/python3 training/probes/channel_integer.py <last.pt> [table sizes, default 64 128]"""
import random
import sys
from pathlib import Path

import torch

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))
from export_channel import calibrate, quantize, rate_check  # noqa: E402
from lcodec_train.channel import load_channel_model  # noqa: E402
from train import load_images, random_batch  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
random.seed(0)
model, state = load_channel_model(sys.argv[1])
sizes = [int(a) for a in sys.argv[2:]] or [64, 128]
crops = random_batch(load_images(TRAINING.parents[1] / "shared/data/images/train", 256), 8, 256)
hs_calib, slice_scales = calibrate(model, crops)
print(f"step {state.get('step')}")
for n in sizes:
    for r in rate_check(model, quantize(model, hs_calib, slice_scales, n), crops[:4]):
        print(f"table {n} q{r['quality']}: float {r['float_bpp']:.4f} bpp {r['float_psnr']:.2f} dB, integer "
              f"{r['int_bpp']:.4f} ({(r['int_bpp'] / r['float_bpp'] - 1) * 100:+.2f} %) {r['int_psnr']:.2f} dB", flush=True)
