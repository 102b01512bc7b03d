#!/usr/bin/env python3
"""Bring a checkpoint's weights back from the GPU machine, whose returned files may hold at most
16 MiB each, and join them here:

    python3 training/gpu_weights.py split <last.pt> $OUT/<model>        # there: <model>.0.pt, <model>.1.pt, ...
    /usr/bin/python3 training/gpu_weights.py merge <files>/<model> <weights.pt>   # here: one weights file

Tensors of >= 4096 elements travel in fp16 (the rest in fp32, GDN's terms among them); the Adam
state stays behind. The joined file is what `train.py --init-from` (with `--warmup`, as the
optimizer starts afresh) and the export scripts read; step, hours and lambdas carry on.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

PART_BYTES = 15 * 2**20
META = ("step", "trained_s", "arch", "model_name", "lambdas")


def split(ckpt: Path, prefix: str) -> None:
    state = torch.load(ckpt, map_location="cpu")
    weights = {k: (v.half() if v.is_floating_point() and v.numel() >= 4096 else v).cpu() for k, v in state["model"].items()}
    parts, size = [{}], 0
    for k, v in weights.items():
        n = v.numel() * v.element_size()
        if size + n > PART_BYTES and parts[-1]:
            parts.append({})
            size = 0
        parts[-1][k] = v
        size += n
    meta = {k: state[k] for k in META if k in state}
    for i, part in enumerate(parts):
        torch.save({**meta, "model": part, "parts": len(parts)}, f"{prefix}.{i}.pt")
    print(f"{ckpt}: step {state['step']}, {len(parts)} parts")


def merge(prefix: str, out: Path) -> None:
    first = torch.load(f"{prefix}.0.pt", map_location="cpu")
    model = dict(first["model"])
    for i in range(1, first["parts"]):
        model.update(torch.load(f"{prefix}.{i}.pt", map_location="cpu")["model"])
    model = {k: v.float() if v.is_floating_point() else v for k, v in model.items()}
    torch.save({**{k: first[k] for k in META if k in first}, "model": model}, out)
    print(f"{out}: {first.get('model_name')} at step {first['step']}, {len(model)} tensors")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("split", "merge"):
        raise SystemExit(__doc__)
    if sys.argv[1] == "split":
        split(Path(sys.argv[2]), sys.argv[3])
    else:
        merge(sys.argv[2], Path(sys.argv[3]))
