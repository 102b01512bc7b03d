"""Probe: holdout mel distance of an audio checkpoint in fp32 and with the parameters whose
name starts with argv[2] rounded to fp16 (e.g. g_s., g_s.9 for the spectral head).
    /usr/bin/python3 training/probes/audio_fp16.py <last.pt> <prefix>"""
import sys, math, torch, numpy as np
from audio_common import load_clips, load_model
from lcodec_train.audio import SpectralLoss, HOP, Z_STRIDE
import train_audio as T
torch.set_num_threads(1)
m,st=load_model(sys.argv[1])
tr,hold=load_clips()
L=SpectralLoss()
print('fp32', [round(r[2],4) for r in T.monitor(m,L,hold,torch.device('cpu'))])
with torch.no_grad():
  for n,p in list(m.named_parameters())+list(m.named_buffers()):
    if p.is_floating_point() and p.numel()>16 and n.startswith(sys.argv[2]): p.copy_(p.half().float())
print('fp16 g_a/g_s', [round(r[2],4) for r in T.monitor(m,L,hold,torch.device('cpu'))])
