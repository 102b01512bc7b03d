"""Probe: trains only g_a/g_s of an image checkpoint as an autoencoder (no quantization, top-quality gains)
for 300 steps; prints its Kodak-4 PSNR every 100 steps. A hyperprior or a channel-wise checkpoint;
with G, g_a/g_s are first widened to G channels (widen_transforms: the same function at the start).
    /usr/bin/python3 training/probes/image_autoencoder.py <last.pt> <lr> <clip> [G]"""
import sys, math, torch, time, random, numpy as np
from pathlib import Path
TRAINING = Path(__file__).resolve().parents[1]
DATA = TRAINING.parents[1] / "shared/data"
sys.path.insert(0, str(TRAINING))
from lcodec_train.channel import load_image_model
from lcodec_train.hyperprior import widen_transforms
import train as T
torch.set_num_threads(2)
m,st=load_image_model(sys.argv[1]); Q=m.qualities
if len(sys.argv)>4:
  G=int(sys.argv[4]); wide=type(m)(**{**st['arch'],'G':G},qualities=Q)
  wide.load_state_dict(widen_transforms(m.state_dict(),G)); m=wide.eval()
imgs=T.load_images((DATA / 'images/train'),128)
kod=T.load_images((DATA / 'images/kodak'),0)[:4]
lr=float(sys.argv[2]); clip=float(sys.argv[3])
q7=torch.tensor([Q-1])
def ev():
  ps=[]
  with torch.no_grad():
    for im in kod:
      x=im.float()[None]/255; x=x[:,:,:512,:512]
      xr=m.g_s(m.g_a(x)*m._gain(m.log_gain,q7)*m._gain(m.log_igain,q7))
      ps.append(10*math.log10(1/torch.mean((xr.clamp(0,1)-x)**2).item()))
  return sum(ps)/len(ps)
print('before',ev())
params=list(m.g_a.parameters())+list(m.g_s.parameters())
opt=torch.optim.Adam(params,lr=lr)
t=time.time()
for s in range(1,301):
  x=T.random_batch(imgs,8,128)
  xr=m.g_s(m.g_a(x)*m._gain(m.log_gain,q7).detach()*m._gain(m.log_igain,q7).detach())
  loss=((xr-x)**2).mean()*255**2
  opt.zero_grad(); loss.backward()
  gn=torch.nn.utils.clip_grad_norm_(params, clip if clip>0 else 1e9)
  opt.step()
  if s%100==0: print(s,'loss',loss.item(),'gradnorm',gn.item(),'kodak4 AE psnr',ev(), time.time()-t,flush=True)
