/** `lcodec demo`: encode and decode the bundled sample, print size, bpp and PSNR. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { decode, encode, inspect } from '../../api.js';
import { readImage } from '../../io/image.js';
import { msSsim, psnr } from '../../metrics/image.js';
import { DEFAULT_MODEL, DEFAULT_QUALITY } from '../../../codecs/models.js';
import { packageRoot } from '../../paths.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('encode and decode the bundled sample image; print size, bpp and PSNR')
    .option('-m, --model <name>', 'model', DEFAULT_MODEL.image)
    .option('-q, --quality <n>', 'quality index', String(DEFAULT_QUALITY))
    .action(async (o: { model: string; quality: string }) => {
      const file = join(packageRoot(), 'samples', 'landscape.png');
      const img = await readImage(file);
      const t0 = performance.now();
      const lc = await encode(img, { model: o.model, quality: Number(o.quality) });
      const t1 = performance.now();
      const back = await decode(lc);
      const t2 = performance.now();
      if (back.modality !== 'image') throw new Error('demo: expected an image');
      const info = inspect(lc);
      process.stdout.write(
        `samples/landscape.png ${img.width}x${img.height} -> ${lc.length} bytes, ${info.bpp!.toFixed(4)} bpp, ` +
          `PSNR ${psnr(img, back.image).toFixed(2)} dB, MS-SSIM ${msSsim(img, back.image).toFixed(4)} ` +
          `(${o.model} q${o.quality}; encode ${((t1 - t0) / 1000).toFixed(2)} s, decode ${((t2 - t1) / 1000).toFixed(2)} s)\n`,
      );
    });
}
