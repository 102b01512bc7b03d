"""Where training keeps its state, outside the repository: checkpoints, caches, and the fp16
weights of the last export of each model (the file a fresh run starts from, and the frozen
image model under the video codec)."""
from pathlib import Path

CACHE_DIR = Path.home() / ".cache/lcodec-train"
SEED_DIR = CACHE_DIR / "weights"
