"""Probe for the "mel" transform: (1) the floor of its phase recovery on the holdout clips (their
own log-mel through GriffinLim, scored like the training monitor); (2) on 16 fixed training
segments, the log-mel L1 of the codec against the same transforms without quantization: equal
means the transforms, not the rate, limit the error.
    /usr/bin/python3 training/probes/audio_mel.py <last.pt>"""
import math
import random
import sys

import numpy as np
import torch

from audio_common import load_clips, load_model
from lcodec_train.audio import SAMPLE_RATE, SpectralLoss
import train_audio as T

torch.set_num_threads(1)
model, _ = load_model(sys.argv[1])
train, hold = load_clips()
log_mel, phase, loss = model.g_a[0], model.g_s[-1], SpectralLoss()
with torch.no_grad():
    mels = []
    for clip in hold:
        n = min(len(clip), int(T.HOLDOUT_SECONDS * SAMPLE_RATE))
        x = torch.zeros(1, 1, math.ceil(n / T.UNIT) * T.UNIT)
        x[0, 0, :n] = torch.from_numpy(clip[:n])
        mels.append(loss(phase(log_mel(x))[..., :n], x[..., :n])[0].item())
    print(f"holdout, true log-mel through the phase recovery: mel distance {sum(mels) / len(mels):.3f}")
    torch.manual_seed(0); np.random.seed(0); random.seed(0)
    x = T.Batcher(train, 38400)(16)
    target = log_mel(x)
    for q in range(model.qualities):
        qq = torch.full((16,), q)
        codec = model(x, qq, noise=False, waveform=False)["mel_hat"]
        y = model.g_a(x) * model._gain(model.log_gain, qq)
        plain = model.g_s[:-1](y * model._gain(model.log_igain, qq))
        print(f"q{q}: log-mel L1 codec {(codec - target).abs().mean():.3f}, unquantized {(plain - target).abs().mean():.3f}")
