"""What the audio probes share: a checkpoint's model and the decoded training / holdout clips."""
import sys
from pathlib import Path

import numpy as np
import torch

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))
import train_audio  # noqa: E402
from lcodec_train.audio import AudioHyperprior  # noqa: E402
from lcodec_train.paths import CACHE_DIR  # noqa: E402


def load_model(path: str, eval_mode: bool = True) -> tuple[AudioHyperprior, dict]:
    """(model, checkpoint) from a last.pt or an fp16 weights file, on the CPU."""
    state = torch.load(path, map_location="cpu")
    model = AudioHyperprior(**state["arch"])
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    if eval_mode:
        model.eval()
    return model, state


def load_clips() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(training clips, holdout clips) at 24 kHz, through train_audio's decoded-PCM cache."""
    return train_audio.load_clips(TRAINING.parents[1] / "shared/data/audio/train", CACHE_DIR / "audio-train-24k.npz")
