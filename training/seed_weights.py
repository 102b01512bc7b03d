#!/usr/bin/env python3
"""Write the seed of a channel model from its checkpoint, so that a fresh machine resumes
training from it (train.py picks training/weights/<model>.pt up by itself).

The seed keeps only what the model's export in models/<model>/ does not hold as float weights:
the hyper-synthesis h_s and the slice networks (exported as integer networks), the z prior
(exported as tables) and the gains, as int8 rows (lcodec_train/paths.int8_weights), with the step
count, hours, arch and lambdas. g_a, h_a, g_s and the latent residual prediction come back from
the export's ONNX graphs (fp16), which must be of the same checkpoint: export first, then seed.
That keeps the seed under the 8 MiB a committed file may have (the whole model as int8 is 11.5 MB).

    /usr/bin/python3 training/export_channel.py --ckpt <checkpoint copy> --name channel-mse
    /usr/bin/python3 training/seed_weights.py <checkpoint copy> training/weights/channel-mse.pt
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcodec_train.from_models import exported_float_weights  # noqa: E402
from lcodec_train.paths import int8_weights  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MAX_BYTES = 8 * 2 ** 20

state = torch.load(sys.argv[1], map_location="cpu")
out = Path(sys.argv[2])
name = state.get("model_name") or out.stem
model_dir = REPO / "models" / name
card = json.loads((model_dir / "card.json").read_text())
if card["training"]["steps"] != state.get("step"):
    raise SystemExit(f"models/{name} was exported at step {card['training']['steps']}, the checkpoint is at "
                     f"step {state.get('step')}: export this checkpoint first")
exported = exported_float_weights(model_dir)
weights = state["model"]
for k, v in exported.items():  # the export is this checkpoint's, to fp16
    if k not in weights or weights[k].shape != v.shape or (weights[k].float() - v).abs().max() > 1e-2 * (1 + v.abs().max()):
        raise SystemExit(f"models/{name}: {k} does not match the checkpoint")
rest = {k: v for k, v in weights.items() if k not in exported}
out.parent.mkdir(parents=True, exist_ok=True)
keys = ("step", "trained_s", "arch", "model_name", "lambdas", "crop", "batch")
torch.save({"model": int8_weights(rest), **{k: state[k] for k in keys if k in state},
            "export": {"dir": f"models/{name}", "weights_sha256": card["weights_sha256"]}}, out)
size = out.stat().st_size
print(f"{out}: step {state.get('step')}, {len(rest)} of {len(weights)} tensors, {size / 1e6:.1f} MB")
if size > MAX_BYTES:
    raise SystemExit(f"{out} is over 8 MiB: it cannot be committed")
