/**
 * Training pictures for a motion-compensated video model's residual coder: each clip is coded
 * by the model (closed loop, as `lcodec encode` does) at the given qualities, and every P-frame's
 * residual picture — 128 + s · (frame − prediction), 128 in skipped blocks, exactly what the
 * residual coder is handed — is written as a PNG (training/README.md, video-mc).
 *
 *   node dist/bench/video-residuals.js <clips...> --out dir [--model video-mc] [--qualities 2,5,8] [--intra-period 8] [--frames N]
 * Default clips: every file of ../shared/data/video/train (never the test clips).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { loadModel } from '../codecs/models.js';
import { MotionCompensatedVideoCodec } from '../codecs/video/mc.js';
import { collectVideo, readVideo } from '../src/io/video.js';
import { writePng } from '../src/io/image.js';
import { sharedDataDir } from '../src/paths.js';
import { benchArgs } from './args.js';

const { opt, positional } = benchArgs();
const data = sharedDataDir();
const clips = positional.length > 0 ? positional : data ? readdirSync(join(data, 'video', 'train')).filter((f) => /\.(mkv|mp4|y4m)$/.test(f)).sort().map((f) => join(data, 'video', 'train', f)) : [];
const outDir = opt('out');
if (clips.length === 0 || !outDir) {
  process.stderr.write('usage: video-residuals <clips...> --out dir (no shared data found for the default clips)\n');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const installed = loadModel(opt('model') ?? 'video-mc');
if (!(installed instanceof MotionCompensatedVideoCodec)) throw new Error(`${installed.name} is not a motion-compensated video model`);
const period = Number(opt('intra-period') ?? 8);
const codec = installed.withLevels(installed.qualities.map((q) => installed.levelOf(q)), period);
const qualities = opt('qualities')?.split(',').map(Number) ?? [2, 5, 8];
const maxFrames = opt('frames') ? Number(opt('frames')) : Infinity;

let written = 0;
for (const clip of clips) {
  const full = await collectVideo(await readVideo(clip));
  const frames = full.frames.slice(0, maxFrames);
  const { width, height } = full;
  const name = basename(clip, extname(clip));
  for (const q of qualities) {
    const pictures: Uint8Array[] = [];
    let k = 0;
    await codec.encodeWith({ ...full, frames, frameCount: frames.length }, q, (_, residual) => {
      if (residual) pictures.push(residual);
      k++;
    });
    for (let i = 0; i < pictures.length; i++) await writePng(join(outDir, `${name}_q${q}_${String(i).padStart(3, '0')}.png`), { width, height, data: pictures[i]! });
    written += pictures.length;
    process.stderr.write(`${name} q${q}: ${pictures.length} residual pictures of ${k} frames\n`);
  }
}
process.stderr.write(`${written} pictures in ${outDir}\n`);
