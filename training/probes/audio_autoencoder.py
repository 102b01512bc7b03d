"""Probe: mel distance of an audio checkpoint on 16 fixed training segments, per quality, with
y unquantized, rounded, noisy, and through the codec (rounded around the mean).
    /usr/bin/python3 training/probes/audio_autoencoder.py <last.pt>"""
import sys, math, torch, numpy as np
from audio_common import load_clips, load_model
from lcodec_train.audio import SpectralLoss, bits, HOP, Z_STRIDE
import train_audio as T
torch.set_num_threads(1)
m,st=load_model(sys.argv[1])
L=SpectralLoss(); U=HOP*Z_STRIDE
tr,hold=load_clips()
torch.manual_seed(0); np.random.seed(0); import random; random.seed(0)
B=T.Batcher(tr, 19200); x=B(16)
with torch.no_grad():
  for q in range(3):
    qq=torch.full((16,),q)
    y=m.g_a(x)*m._gain(m.log_gain,qq)
    for lab,yy in [('unquantized',y),('rounded',torch.round(y)),('rounded+-0.5 noise',y+torch.rand_like(y)-0.5)]:
      xh=m.g_s(yy*m._gain(m.log_igain,qq)); mel,_=L(xh,x); print(q,lab,'%.3f'%mel.mean().item())
    out=m(x,qq,noise=False); mel,_=L(out['x_hat'],x); print(q,'codec (rounded around mu)','%.3f'%mel.mean().item(), 'kbps %.2f'%(bits(out).mean().item()/0.8/1000))
