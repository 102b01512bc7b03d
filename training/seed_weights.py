#!/usr/bin/env python3
"""Write the seed of a channel model from its checkpoint: the weights as int8 rows
(lcodec_train/paths.int8_weights) with the step count, hours, arch and lambdas, so that a fresh
machine resumes training from it (train.py picks training/weights/<model>.pt up by itself). At
11.5 MB it is over the 8 MiB a committed file may have: copy it, don't commit it.

    /usr/bin/python3 training/seed_weights.py ~/.cache/lcodec-train/channel-mse/last.pt \
        training/weights/channel-mse.pt
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.paths import int8_weights  # noqa: E402

state = torch.load(sys.argv[1], map_location="cpu")
out = Path(sys.argv[2])
out.parent.mkdir(parents=True, exist_ok=True)
keys = ("step", "trained_s", "arch", "model_name", "lambdas", "crop", "batch")
torch.save({"model": int8_weights(state["model"]), **{k: state[k] for k in keys if k in state}}, out)
print(f"{out}: step {state.get('step')}, {out.stat().st_size / 1e6:.1f} MB")
