"""Probe: continues an audio checkpoint for N minutes with a compressed complex-STFT loss
(per-quality weights) added; prints mel distance, SI-SDR and the complex error per quality on
24 fixed training segments every 200 steps. Minutes 0 just measures (the control).
    /usr/bin/python3 training/probes/audio_complex_loss.py <last.pt> <minutes> <w0,w1,w2>"""
import sys, math, time, random, torch, numpy as np
from audio_common import load_clips, load_model
from lcodec_train.audio import SpectralLoss, bits, HOP, Z_STRIDE
import train_audio as T
torch.set_num_threads(1); torch.manual_seed(1); random.seed(1); np.random.seed(1)
ck=sys.argv[1]; minutes=float(sys.argv[2]); w=torch.tensor([float(v) for v in sys.argv[3].split(',')])
m,st=load_model(ck,eval_mode=False)
L=SpectralLoss()
tr,hold=load_clips()
B=T.Batcher(tr,19200)
rs=np.random.RandomState(5); random.seed(5); np.random.seed(5); xe=B(24); np.random.seed(1); random.seed(1)
win=torch.hann_window(512)
def cspec(x):
  X=torch.stft(x.flatten(1),512,128,window=win,return_complex=True)
  mag=X.abs().clamp(min=1e-7); return X/mag*mag**0.3
def closs(xh,x):
  a,b=cspec(xh),cspec(x); return (a-b).abs().flatten(1).mean(1)/b.abs().flatten(1).mean(1).clamp(min=1e-4)
def sisdr(xh,x):
  a=(xh*x).sum(-1,keepdim=True)/(x*x).sum(-1,keepdim=True).clamp(min=1e-9); t=a*x; e=xh-t
  return 10*torch.log10((t*t).sum(-1)/(e*e).sum(-1).clamp(min=1e-12))
def ev():
  m.eval(); r=[]
  with torch.no_grad():
    for q in range(3):
      qq=torch.full((24,),q); out=m(xe,qq,noise=False); mel,_=L(out['x_hat'],xe)
      r.append('q%d %.2fkbps mel %.3f sisdr %.1f cl %.3f'%(q,bits(out).mean().item()/0.8/1000,mel.mean().item(),sisdr(out['x_hat'].flatten(1),xe.flatten(1)).mean().item(),closs(out['x_hat'],xe).mean().item()))
  m.train(); return ' | '.join(r)
print('step',st['step'],'before',ev(),flush=True)
opt=torch.optim.Adam(m.parameters(),lr=1e-4); opt.load_state_dict(st['opt'])
for g in opt.param_groups: g['lr']=1e-4
beta=torch.tensor(st['beta']); targets=torch.tensor(st['target_kbps'])
t0=time.time(); s=0
while time.time()-t0<minutes*60:
  x=B(8); q=torch.arange(8)%3; out=m(x,q); mel,stf=L(out['x_hat'],x); kb=bits(out)/0.8/1000
  loss=(mel+0.5*stf+w[q]*closs(out['x_hat'],x)+beta[q]*kb).mean()
  opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(),1.0); opt.step(); s+=1
  with torch.no_grad():
    rq=torch.zeros(3).index_add_(0,q,kb.detach())/torch.zeros(3).index_add_(0,q,torch.ones(8))
    beta=(beta*torch.exp(0.02*((rq-targets)/targets).clamp(-1,1))).clamp(1e-4,10)
  if s%200==0: print(s,ev(),flush=True)
print('end',s,ev(),flush=True)
