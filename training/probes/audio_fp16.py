"""Probe: holdout mel distance of an audio checkpoint in fp32 and with the parameters whose
name starts with argv[2] rounded to fp16 (e.g. g_s., g_s.9 for the spectral head).
    /usr/bin/python3 training/probes/audio_fp16.py <last.pt> <prefix>"""
import sys, math, torch, numpy as np
from pathlib import Path
TRAINING = Path(__file__).resolve().parents[1]
DATA = TRAINING.parents[1] / "shared/data"
sys.path.insert(0, str(TRAINING))
from lcodec_train.audio import AudioHyperprior, SpectralLoss, HOP, Z_STRIDE
import train_audio as T
from lcodec_train.paths import CACHE_DIR
torch.set_num_threads(1)
st=torch.load(sys.argv[1],map_location='cpu')
m=AudioHyperprior(**st['arch']); m.load_state_dict(st['model']); m.eval()
tr,hold=T.load_clips((DATA / 'audio/train'), CACHE_DIR / 'audio-train-24k.npz')
L=SpectralLoss()
print('fp32', [round(r[2],4) for r in T.monitor(m,L,hold,torch.device('cpu'))])
with torch.no_grad():
  for n,p in list(m.named_parameters())+list(m.named_buffers()):
    if p.is_floating_point() and p.numel()>16 and n.startswith(sys.argv[2]): p.copy_(p.half().float())
print('fp16 g_a/g_s', [round(r[2],4) for r in T.monitor(m,L,hold,torch.device('cpu'))])
