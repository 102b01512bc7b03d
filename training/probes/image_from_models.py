"""Probe: how faithfully train.py's start from an export (lcodec_train/from_models.py) rebuilds the
model. For a few qualities, the rebuilt float model's mean estimated bpp (rounded latents) and PSNR
(8-bit output) on all of Kodak, beside the `lcodec eval` results in the model's card, and the
refitted z prior's excess over the exported tables' entropy.
    /usr/bin/python3 training/probes/image_from_models.py [model] [q ...]   (default hyperprior-mse 0 5 9)"""
import json
import math
import sys
from pathlib import Path

import torch

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))
from lcodec_train.from_models import weights_from_models  # noqa: E402
from lcodec_train.hyperprior import Hyperprior, bits_per_image  # noqa: E402
from train import load_images  # noqa: E402

name = sys.argv[1] if len(sys.argv) > 1 else "hyperprior-mse"
qualities = [int(a) for a in sys.argv[2:]] or [0, 5, 9]
model_dir = TRAINING.parent / "models" / name
torch.set_num_threads(2)
state, facts = weights_from_models(model_dir)
model = Hyperprior(**facts["arch"], qualities=len(facts["lambdas"]))
model.load_state_dict(state)
model.eval()
print(f"z prior: {facts['prior_excess_bits']:.2e} bits per symbol above the exported tables' entropy")
card = json.loads((model_dir / "card.json").read_text())
evals = {p["quality"]: p for p in card.get("eval", {}).get("points", [])}
images = load_images(TRAINING.parents[1] / "shared/data/images/kodak", 0)
for q in qualities:
    bpp = psnr = 0.0
    for im in images:
        x = im[None].float() / 255
        with torch.no_grad():
            out = model(x, torch.tensor([q]), noise=False)
        bpp += bits_per_image(out).item() / (x.shape[2] * x.shape[3])
        mse = ((out["x_hat"].clamp(0, 1) * 255).round() / 255 - x).pow(2).mean().item()
        psnr += 10 * math.log10(1 / mse)
    ev = evals.get(q)
    shipped = f"  (lcodec eval: {ev['bpp']:.3f} bpp {ev['psnr']:.2f} dB)" if ev else ""
    print(f"q{q}: {bpp / len(images):.3f} bpp {psnr / len(images):.2f} dB{shipped}", flush=True)
