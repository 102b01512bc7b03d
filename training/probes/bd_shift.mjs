// Probe: what would a better curve be worth? The BD-rate against the anchor of a codec's measured
// curve, its rate over the anchor's at the same PSNR per point (log-interpolated), and the BD-rate
// of the same curve with its PSNR raised per quality (dB, one per point, or one for all).
//   npx tsc && node training/probes/bd_shift.mjs docs/results/kodak/results.json hyperprior-mse 0,0,0,0,0,0,0,0.3,0.6,0.9 0.3 0.55
import { readFileSync } from 'node:fs';
import { bdRate } from '../../dist/src/eval/bdrate.js';

const [file, codec, ...shifts] = process.argv.slice(2);
const results = JSON.parse(readFileSync(file, 'utf8'));
const curve = (name) => ({ rate: results.codecs[name].map((p) => p.bpp), quality: results.codecs[name].map((p) => p.psnr) });
const anchor = curve(results.anchor);
const base = curve(codec);
console.log(`${codec} vs ${results.anchor}: BD-rate PSNR ${bdRate(anchor, base).toFixed(1)} %`);
const byPsnr = anchor.quality.map((q, i) => [q, anchor.rate[i]]).sort((a, b) => a[0] - b[0]);
const anchorRateAt = (psnr) => {
  for (let i = 1; i < byPsnr.length; i++) {
    const [p0, r0] = byPsnr[i - 1], [p1, r1] = byPsnr[i];
    if (p0 <= psnr && psnr <= p1) return Math.exp(Math.log(r0) + ((psnr - p0) / (p1 - p0)) * (Math.log(r1) - Math.log(r0)));
  }
  return NaN;
};
console.log(`  rate / ${results.anchor}'s at the same PSNR: ${base.rate.map((r, i) => (r / anchorRateAt(base.quality[i])).toFixed(2)).join(' ')}`);
for (const s of shifts) {
  const dB = s.split(',').map(Number);
  const quality = base.quality.map((q, i) => q + (dB.length === 1 ? dB[0] : dB[i]));
  console.log(`  PSNR +${s} dB: ${bdRate(anchor, { rate: base.rate, quality }).toFixed(1)} %`);
}
