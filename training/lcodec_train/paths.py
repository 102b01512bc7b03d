"""Where training keeps its state, outside the repository: checkpoints, caches, and the fp16
weights of the last export of each model (the file a fresh run starts from, and the frozen
image model under the video codec)."""
from pathlib import Path

CACHE_DIR = Path.home() / ".cache/lcodec-train"
SEED_DIR = CACHE_DIR / "weights"


def fp16_weights(state: dict, parameters: set[str] | None = None) -> dict:
    """A state dict as the weights files keep it: parameters in fp16 (`parameters`: their names;
    None: every float tensor), buffers as they are (fixed matrices lose too much in fp16)."""
    return {k: v.half() if v.is_floating_point() and (parameters is None or k in parameters) else v
            for k, v in state.items()}
