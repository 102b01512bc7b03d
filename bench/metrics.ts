/**
 * Speed of the image metrics: MS-SSIM against PSNR, measured in the same run, on the bench
 * image (kodim23, 768 × 512, when ../shared/data is present, else the bundled sample) and its
 * jpeg round trip at the codec's middle quality. Best of --runs after one warm-up run.
 *
 *   node dist/bench/metrics.js [--runs 5]
 */
import { getCodec } from '../codecs/registry.js';
import { readImage } from '../src/io/image.js';
import { msSsim, psnr } from '../src/metrics/image.js';
import { benchImagePath, middleQuality } from './image.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 5;

function bestMs(fn: () => number): number {
  fn(); // warm-up: JIT
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const img = await readImage(benchImagePath());
const jpeg = await getCodec('jpeg', 'image');
const decoded = await jpeg.decode(await jpeg.encode(img, middleQuality(jpeg)));
const tPsnr = bestMs(() => psnr(img, decoded));
const tMs = bestMs(() => msSsim(img, decoded));
process.stdout.write(`${img.width}x${img.height}, best of ${runs}: PSNR ${tPsnr.toFixed(1)} ms, ` +
  `MS-SSIM ${tMs.toFixed(1)} ms (${(tMs / tPsnr).toFixed(1)}x PSNR)\n`);
