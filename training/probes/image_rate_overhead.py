"""Probe: the coder's rate overhead. Per image and quality, the size of the .lc file `lcodec encode`
writes with the shipped model against the bits the float model estimates (rounded latents, float
h_s). Give it the weights of the shipped model: export.py leaves them in the seed folder
(~/.cache/lcodec-train/weights/<name>.fp16.pt). Needs the built CLI (npx tsc).
    /usr/bin/python3 training/probes/image_rate_overhead.py <weights> [q ...]"""
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

TRAINING = Path(__file__).resolve().parents[1]
ROOT = TRAINING.parent
KODAK = ROOT.parent / "shared/data/images/kodak"
sys.path.insert(0, str(TRAINING))
from lcodec_train.hyperprior import bits_per_image, load_hyperprior  # noqa: E402

torch.set_num_threads(1)
model, state = load_hyperprior(sys.argv[1])
name = state.get("model_name", "hyperprior-mse")
qualities = [int(a) for a in sys.argv[2:]] or [0, 2, 5, 9]
with tempfile.TemporaryDirectory() as tmp:
    for image in ("kodim01", "kodim14"):
        src = KODAK / f"{image}.png"
        x = torch.from_numpy(np.asarray(Image.open(src).convert("RGB")).copy()).permute(2, 0, 1)[None].float() / 255
        for q in qualities:
            with torch.no_grad():
                estimate = bits_per_image(model(x, torch.tensor([q]), noise=False)).item()
            out = Path(tmp) / f"{image}-{q}.lc"
            subprocess.run(["node", str(ROOT / "dist/src/cli/main.js"), "encode", str(src), "-o", str(out),
                            "--model", name, "--quality", str(q)], check=True, capture_output=True)
            size = out.stat().st_size * 8
            print(f"{image} q{q}: estimated {estimate:.0f} bits, file {size} bits ({100 * (size / estimate - 1):+.2f} %)")
