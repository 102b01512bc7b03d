/**
 * Speed of the image metrics on a 768 × 512 pair (a Kodak-sized image and a noisy copy):
 * MS-SSIM against PSNR, measured in the same run. Best of --runs after one warm-up run.
 *
 *   node dist/bench/metrics.js [--runs 5]
 */
import type { RgbImage } from '../codecs/types.js';
import { msSsim, psnr } from '../src/metrics/image.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 5;

/** A smooth gradient with edges, and the same with deterministic noise of amplitude ±amp. */
function pair(width: number, height: number, amp: number): [RgbImage, RgbImage] {
  const a = new Uint8Array(width * height * 3);
  const b = new Uint8Array(a.length);
  let seed = 12345;
  for (let i = 0; i < a.length; i++) {
    const px = (i / 3) | 0;
    const x = px % width;
    const y = (px / width) | 0;
    const v = (x * 0.3 + y * 0.2 + (((x >> 5) ^ (y >> 5)) & 1) * 60 + (i % 3) * 20) % 256;
    seed = (seed * 1103515245 + 12345) >>> 0;
    a[i] = v;
    b[i] = Math.max(0, Math.min(255, v + ((seed >>> 16) % (2 * amp + 1)) - amp));
  }
  return [{ width, height, data: a }, { width, height, data: b }];
}

function best(fn: () => number): number {
  fn();
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const [a, b] = pair(768, 512, 10);
const tPsnr = best(() => psnr(a, b));
const tMs = best(() => msSsim(a, b));
process.stdout.write(`768x512, best of ${runs}: PSNR ${tPsnr.toFixed(1)} ms, MS-SSIM ${tMs.toFixed(1)} ms ` +
  `(${(tMs / tPsnr).toFixed(1)}x PSNR)\n`);
