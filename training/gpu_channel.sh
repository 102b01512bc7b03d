#!/bin/bash
# One call on the GPU machine (device `run` with carry [".gpu"], after `training/gpu_tree.sh aside
# channel-mse` and training/gpu_pack.py):
# channel-mse trained further and channel-msssim from channel-mse's weights, side by side on
# the one GPU, each in two phases (lr 5e-5, then 1.5e-5), their weights back in $OUT as parts
# (training/gpu_weights.py). A=6 B=1.5 (minutes) fit a 570 s call.
#   bash training/gpu_channel.sh
# Back here: gpu_weights.py merge <files>/channel-mse /tmp/ch.pt, then export (training/README.md).
PY=${PY:-python3}; A=${A:-6}; B=${B:-1.5}; DEV=${DEV:-cuda}
export PYTHONUNBUFFERED=1
common="--data .gpu/data --batch 16 --crop 256 --bf16 --balance --device $DEV --ckpt-minutes 1 --threads 4"
run() {  # model minutes lr ctx-lr extra...
  local m=$1 mins=$2 lr=$3 clr=$4; shift 4
  timeout -s TERM $(( ${mins%.*} * 60 + 150 )) $PY training/train.py --model $m $common \
    --ckpt-dir /tmp/ck/$m --minutes $mins --lr $lr --ctx-lr $clr "$@"
}
# the MSE model starts from its seed (training/weights/), which must travel; the MS-SSIM one from it
init=(); [ -f .gpu/init/channel-mse.fp16.pt ] && init=(--init-from .gpu/init/channel-mse.fp16.pt)
msinit=(--init-from training/weights/channel-mse.pt); [ -f .gpu/init/channel-msssim.fp16.pt ] && msinit=(--init-from .gpu/init/channel-msssim.fp16.pt)
( run channel-mse $A 5e-5 3e-4 --warmup 300 "${init[@]}" --monitor-every 2000 --monitor-at-start
  run channel-mse $B 1.5e-5 1e-4 --monitor-every 1000000 --monitor-at-start ) > $OUT/channel-mse.log 2>&1 &
( run channel-msssim $A 5e-5 3e-4 --warmup 300 "${msinit[@]}" --grow-ramp 0 --monitor-every 2000 --monitor-at-start
  run channel-msssim $B 1.5e-5 1e-4 --grow-ramp 0 --monitor-every 1000000 --monitor-at-start ) > $OUT/channel-msssim.log 2>&1 &
wait
for m in channel-mse channel-msssim; do
  [ -f /tmp/ck/$m/last.pt ] && $PY training/gpu_weights.py split /tmp/ck/$m/last.pt $OUT/$m
done
ls -la $OUT
