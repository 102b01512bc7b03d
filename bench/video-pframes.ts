/**
 * P-frame against intra-frame rate of a motion-compensated video model, per clip, at equal PSNR.
 *
 * For each clip and quality the clip is coded by the model (low delay, its intra period); its
 * P-frames give a point (mean bits per P-frame, mean PSNR of the P-frames). The model's own
 * intra coding gives the reference curve: every frame coded by the base image model at each of
 * the model's intra qualities. The ratio at a P-point is its bits over the intra bits at the same
 * PSNR (intra curve interpolated linearly in PSNR on log bits; outside the curve: extrapolated
 * from its end segment, and flagged). Also per clip: the BD-rate of the P-curve against the
 * intra curve (PSNR).
 *
 *   node dist/bench/video-pframes.js [clips...] [--model video-mc] [--base image-model] [--qualities 0,2,4] [--frames N] [--intra-every k] [--levels levels.json] [--json out.json]
 * Default clips: every file of ../shared/data/video/test.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../codecs/models.js';
import { MotionCompensatedVideoCodec, type McLevel } from '../codecs/video/mc.js';
import { tileGrid } from '../codecs/image/hyperprior.js';
import { LearnedImageCodec } from '../codecs/image/index.js';
import { bdRate } from '../src/eval/bdrate.js';
import { collectVideo, readVideo } from '../src/io/video.js';
import { psnr } from '../src/metrics/image.js';
import type { RgbImage, VideoFrame } from '../src/media.js';
import { sharedDataDir } from '../src/paths.js';
import { benchArgs } from './args.js';

const { opt, positional } = benchArgs();
const data = sharedDataDir();
const clips = positional.length > 0 ? positional : data ? readdirSync(join(data, 'video', 'test')).filter((f) => /\.(mkv|mp4|y4m)$/.test(f)).sort().map((f) => join(data, 'video', 'test', f)) : [];
if (clips.length === 0) {
  process.stderr.write('usage: video-pframes <clips...> (no shared data found for the default clips)\n');
  process.exit(1);
}
const installed = loadModel(opt('model') ?? 'video-mc');
if (!(installed instanceof MotionCompensatedVideoCodec)) throw new Error(`${installed.name} is not a motion-compensated video model`);
// --base name: intra frames by another installed image model (the levels' intra qualities are
// its quality indexes), for trying a base before a card names it.
const baseName = opt('base');
const base = baseName === undefined ? undefined : loadModel(baseName);
if (base && !(base instanceof LearnedImageCodec)) throw new Error(`${baseName} is not a learned image model`);
const rebased = base ? new MotionCompensatedVideoCodec(installed.modelName, installed.card, base.model, installed.residual, { intraPeriod: installed.intraPeriod, tile: installed.tile }) : installed;
// --levels file.json: other per-quality settings (a card's `levels`), for tuning them.
const levelsFile = opt('levels');
const codec = levelsFile
  ? rebased.withLevels(JSON.parse(readFileSync(levelsFile, 'utf8')) as McLevel[])
  : rebased;
const qualities = opt('qualities')?.split(',').map(Number) ?? [...codec.qualities];
const maxFrames = opt('frames') ? Number(opt('frames')) : Infinity;
const jsonOut = opt('json');
// --intra-every k: the intra reference curve from every k-th frame only (it costs one image
// coding per frame and intra quality).
const intraEvery = Number(opt('intra-every') ?? 1);

interface Point {
  bits: number;
  psnr: number;
}

/** log-bits at `p` on a curve sorted by PSNR; `outside` when p is beyond its ends. */
function bitsAt(curve: Point[], p: number): { bits: number; outside: boolean } {
  const c = [...curve].sort((a, b) => a.psnr - b.psnr);
  let i = 0;
  while (i < c.length - 2 && c[i + 1]!.psnr < p) i++;
  const a = c[i]!;
  const b = c[i + 1]!;
  const t = (p - a.psnr) / (b.psnr - a.psnr);
  return { bits: Math.exp(Math.log(a.bits) + t * (Math.log(b.bits) - Math.log(a.bits))), outside: p < c[0]!.psnr || p > c[c.length - 1]!.psnr };
}

const out = [];
for (const clip of clips) {
  const full = await collectVideo(await readVideo(clip));
  const frames = full.frames.slice(0, maxFrames);
  const video = { ...full, frames, frameCount: frames.length };
  const { width, height } = video;
  // The intra reference: every frame by the base model at each intra quality in use.
  const intraQs = [...new Set(codec.qualities.map((q) => codec.levelOf(q).intra))].sort((a, b) => a - b);
  const intra: (Point & { quality: number })[] = [];
  for (const q of intraQs) {
    let bits = 0;
    let sum = 0;
    for (const f of frames.filter((_, k) => k % intraEvery === 0)) {
      const rec: RgbImage = { width, height, data: new Uint8Array(width * height * 3) };
      for (const t of tileGrid(width, height, codec.tile)) {
        const { sections, latents } = await codec.model.codeSections(f, t, q);
        bits += 8 * sections.reduce((a, x) => a + x.length, 0);
        await codec.model.synthesizeTile(latents, t, q, rec);
      }
      sum += psnr(f, rec);
    }
    const n = Math.ceil(frames.length / intraEvery);
    intra.push({ quality: q, bits: bits / n, psnr: sum / n });
  }
  const points = [];
  for (const q of qualities) {
    const bytes = await codec.encode(video, q);
    const sizes = codec.frameSizes(bytes);
    const decoded: VideoFrame[] = [];
    for await (const f of (await codec.decode(bytes)).frames) decoded.push(f);
    let pBits = 0;
    let pPsnr = 0;
    let n = 0;
    let iBits = 0;
    let iPsnr = 0;
    for (let k = 0; k < frames.length; k++) {
      const p = psnr(frames[k]!, decoded[k]!);
      if (sizes[k]!.intra) {
        iBits += 8 * sizes[k]!.bytes;
        iPsnr += p;
      } else {
        pBits += 8 * sizes[k]!.bytes;
        pPsnr += p;
        n++;
      }
    }
    const nI = frames.length - n;
    const P = { bits: pBits / n, psnr: pPsnr / n };
    const ref = bitsAt(intra, P.psnr);
    points.push({
      quality: q,
      bpp: (bytes.length * 8) / (width * height * frames.length),
      p_bits: P.bits,
      p_psnr: P.psnr,
      i_bits: iBits / nI,
      i_psnr: iPsnr / nI,
      intra_bits_at_p_psnr: ref.bits,
      p_over_intra: P.bits / ref.bits,
      ...(ref.outside ? { extrapolated: true } : {}),
    });
  }
  let bd: number | null = null;
  try {
    bd = bdRate({ rate: intra.map((p) => p.bits), quality: intra.map((p) => p.psnr) }, { rate: points.map((p) => p.p_bits), quality: points.map((p) => p.p_psnr) });
  } catch {
    bd = null;
  }
  const row = { clip: clip.split('/').pop(), width, height, frames: frames.length, intra, points, bd_rate_p_vs_intra: bd };
  out.push(row);
  process.stderr.write(`${row.clip} (${frames.length} frames)  P vs intra BD-rate ${bd === null ? 'n/a' : bd.toFixed(1) + ' %'}\n`);
  for (const p of points) {
    process.stderr.write(
      `  q${p.quality}  ${p.bpp.toFixed(4)} bpp  P ${(p.p_bits / 8).toFixed(0)} B ${p.p_psnr.toFixed(2)} dB  I ${(p.i_bits / 8).toFixed(0)} B ${p.i_psnr.toFixed(2)} dB  P/intra at equal PSNR ${p.p_over_intra.toFixed(3)}${p.extrapolated ? ' (extrapolated)' : ''}\n`,
    );
  }
}
const result = { model: codec.name, qualities, rows: out };
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
else process.stdout.write(JSON.stringify(result, null, 2) + '\n');
