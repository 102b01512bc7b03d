"""Probe: widen_transforms keeps the function. Loads a checkpoint, widens its g_a / g_s to G and
prints, per quality checked, the largest difference of x_hat and of the likelihoods between the
two models on a Kodak image (rounded, as the coder does): both should be 0.
    /usr/bin/python3 training/probes/image_widen.py <last.pt> [G]"""
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

TRAINING = Path(__file__).resolve().parents[1]
KODAK = TRAINING.parents[1] / "shared/data/images/kodak"
sys.path.insert(0, str(TRAINING))
from lcodec_train.hyperprior import Hyperprior, load_hyperprior, widen_transforms  # noqa: E402

torch.set_num_threads(1)
narrow, state = load_hyperprior(sys.argv[1])
G = int(sys.argv[2]) if len(sys.argv) > 2 else 128
wide = Hyperprior(N=narrow.N, M=narrow.M, G=G, qualities=narrow.qualities)
wide.load_state_dict(widen_transforms(narrow.state_dict(), G))
im = np.asarray(Image.open(KODAK / "kodim01.png").convert("RGB"))
x = torch.from_numpy(im.copy()).permute(2, 0, 1)[None].float() / 255
with torch.no_grad():
    for q in (0, narrow.qualities - 1):
        a, b = (m.eval()(x, torch.tensor([q]), noise=False) for m in (narrow, wide))
        print(f"q{q}: G {narrow.G} -> {G}: max |dx_hat| {(a['x_hat'] - b['x_hat']).abs().max().item():.3g}, "
              f"max |dy_lik| {(a['y_lik'] - b['y_lik']).abs().max().item():.3g}")
