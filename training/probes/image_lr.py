"""Probe: 400 (argv) more steps of the image training from a checkpoint at a given learning rate and
gradient clip, same batches (seed 0); prints the Kodak-4 monitor before and after.
    /usr/bin/python3 training/probes/image_lr.py <last.pt> <lr> <clip> <steps>"""
import sys, math, torch, time, random, numpy as np
from pathlib import Path
TRAINING = Path(__file__).resolve().parents[1]
DATA = TRAINING.parents[1] / "shared/data"
sys.path.insert(0, str(TRAINING))
from lcodec_train.hyperprior import MSE_LAMBDAS, bits_per_image, load_hyperprior
import train as T
torch.set_num_threads(2); torch.manual_seed(0); random.seed(0)
m,st=load_hyperprior(sys.argv[1]); Q=m.qualities
imgs=T.load_images((DATA / 'images/train'),128)
kod=T.load_images((DATA / 'images/kodak'),0)[:4]
lr=float(sys.argv[2]); clip=float(sys.argv[3]); steps=int(sys.argv[4])
opt=torch.optim.Adam(m.parameters(),lr=lr); opt.load_state_dict(st['opt'])
for g in opt.param_groups: g['lr']=lr
lam=torch.tensor(MSE_LAMBDAS[-Q:]); mon=[Q-8,Q-5,Q-1]  # the lambdas of q0/q3/q7 of the 8-quality scale
print('before',[(q,round(b,3),round(p,2)) for q,b,p,_ in T.monitor(m,kod,mon)],flush=True)
t=time.time()
for s in range(1,steps+1):
  x=T.random_batch(imgs,8,128); q=torch.randint(0,Q,(8,))
  out=m(x,q); bpp=bits_per_image(out)/128**2
  dist=255.0**2*(out['x_hat']-x).pow(2).flatten(1).mean(1)
  loss=(lam[q]*dist+bpp).mean()
  opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(),clip); opt.step()
print('after',steps,[(q,round(b,3),round(p,2)) for q,b,p,_ in T.monitor(m,kod,mon)],time.time()-t,flush=True)
