"""Where training keeps its state, outside the repository: checkpoints, caches, and the fp16
weights of the last export of each model (the file a fresh run starts from, and the frozen
image model under the video codec)."""
from pathlib import Path

import torch

CACHE_DIR = Path.home() / ".cache/lcodec-train"
SEED_DIR = CACHE_DIR / "weights"


def fp16_weights(state: dict, parameters: set[str] | None = None) -> dict:
    """A state dict as the weights files keep it: parameters in fp16 (`parameters`: their names;
    None: every float tensor), buffers as they are (fixed matrices lose too much in fp16)."""
    return {k: v.half() if v.is_floating_point() and (parameters is None or k in parameters) else v
            for k, v in state.items()}


# Weights files of the larger models keep their big weight matrices as int8 per row (one fp16
# scale per output channel), the rest in fp16: half the bytes of fp16, so a seed stays
# small. Only for starting training again: the error (at most half a step of 1/127 of a row's
# largest weight) is trained away in a few steps.
INT8_MIN_SIZE = 4096


def int8_weights(state: dict, keep_fp16: tuple[str, ...] = ("beta_p", "gamma_p")) -> dict:
    """A state dict with float tensors of >= INT8_MIN_SIZE elements (names without `keep_fp16`:
    GDN's terms are squared and need the precision) as {"int8": ..., "scale": ...} pairs."""
    out = {}
    for k, v in state.items():
        if v.is_floating_point() and v.numel() >= INT8_MIN_SIZE and v.dim() >= 2 and not any(s in k for s in keep_fp16):
            rows = v.float().reshape(v.shape[0], -1)
            scale = (rows.abs().amax(1) / 127.0).clamp(min=1e-12)
            out[k] = {"int8": torch.round(rows / scale[:, None]).to(torch.int8).reshape(v.shape), "scale": scale.half()}
        else:
            out[k] = v.half() if v.is_floating_point() else v
    return out


def float_weights(state: dict) -> dict:
    """The fp32 state dict of a weights file (fp16, or int8 rows from int8_weights)."""
    out = {}
    for k, v in state.items():
        if isinstance(v, dict):
            out[k] = v["int8"].float() * v["scale"].float().reshape(-1, *[1] * (v["int8"].dim() - 1))
        else:
            out[k] = v.float() if v.is_floating_point() else v
    return out
