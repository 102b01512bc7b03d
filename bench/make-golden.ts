/**
 * Writes the golden files of test/golden/: a few small `.lc` files per shipped model and, in
 * golden.json, what each must decode to on any machine (digests of its latents; of the decoded
 * alpha plane and high-band levels, which are integer-exact). test/golden.test.ts decodes them.
 *
 *   npm run build && node dist/bench/make-golden.js [--only <model>]
 *
 * --only remakes one model's files and keeps every other entry and file as it is.
 *
 * Run it again only when a model's weights or the format change on purpose (docs/DETERMINISM.md):
 * encoding runs float transforms, so a file encoded on another machine may differ in rare symbols,
 * which is why the files themselves are kept, not re-made by the test.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { LearnedAudioCodec } from '../codecs/audio/index.js';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import { latentsDigest } from '../codecs/learned/hyperprior.js';
import { loadModel } from '../codecs/models.js';
import type { LearnedVideoCodec } from '../codecs/video/index.js';
import type { MotionCompensatedVideoCodec } from '../codecs/video/mc.js';
import type { Audio, Picture, RgbImage, VideoFrame } from '../src/media.js';
import { packageRoot } from '../src/paths.js';

export interface GoldenEntry {
  file: string;
  model: string;
  quality: number;
  /** sha256 of the file itself. */
  sha256: string;
  /** Coded blocks (tiles, chunks × channels, frames × tiles). */
  blocks: number;
  /** latentsDigest of the decoded latents. */
  symbols_sha256: string;
  means_sha256: string;
  /** Image with transparency: sha256 of the decoded alpha plane (coded losslessly). */
  alpha_sha256?: string;
  /** Audio above the model's band: sha256 of the decoded high-band levels (int8). */
  highband_sha256?: string;
  /** What the decoded media must measure. */
  decoded: Record<string, number>;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function crop(left: number, top: number, width: number, height: number): Promise<RgbImage> {
  const { data, info } = await sharp(join(packageRoot(), 'samples', 'landscape.png'))
    .extract({ left, top, width, height })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** A tone sweep with harmonics and a little seeded noise (content above 12 kHz at 48 kHz). */
function sweep(sampleRate: number, seconds: number, channels: number): Audio {
  const n = Math.round(sampleRate * seconds);
  let s = 99;
  return {
    sampleRate,
    channels: Array.from({ length: channels }, (_, c) => Float32Array.from({ length: n }, (_, i) => {
      const t = i / sampleRate;
      s = (s * 1103515245 + 12345) >>> 0;
      return 0.25 * Math.sin(2 * Math.PI * (180 + 300 * t) * t * (1 + c / 2)) + 0.08 * Math.sin(2 * Math.PI * 14000 * t) + 0.03 * ((s >>> 16) / 65536 - 0.5);
    })),
  };
}

/** `count` frames of a crop panning right by 3 pixels a frame. */
async function clip(width: number, height: number, count: number): Promise<VideoFrame[]> {
  const src = await crop(300, 120, width + 3 * count, height);
  return Array.from({ length: count }, (_, f) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) data.set(src.data.subarray((y * src.width + 3 * f) * 3, (y * src.width + 3 * f + width) * 3), y * width * 3);
    return { width, height, data };
  });
}

async function main(): Promise<void> {
  const dir = join(packageRoot(), 'test', 'golden');
  mkdirSync(dir, { recursive: true });
  const k = process.argv.indexOf('--only');
  const only = k > 0 ? process.argv[k + 1] : undefined;
  const index = join(dir, 'golden.json');
  const kept: GoldenEntry[] = only && existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as { files: GoldenEntry[] }).files.filter((e) => e.model !== only) : [];
  const keep = new Set(kept.map((e) => e.file));
  for (const f of readdirSync(dir)) if ((f.endsWith('.lc') && !keep.has(f)) || f === 'golden.json') rmSync(join(dir, f));
  const entries: GoldenEntry[] = [...kept];
  const add = async (file: string, model: string, quality: number, bytes: Uint8Array, codec: { decodeSymbols(b: Uint8Array): Promise<import('../codecs/learned/hyperprior.js').AnyLatents[]> }, extra: Partial<GoldenEntry>): Promise<void> => {
    if (only && model !== only) return;
    writeFileSync(join(dir, file), bytes);
    const blocks = await codec.decodeSymbols(bytes);
    const d = latentsDigest(blocks);
    entries.push({ file, model, quality, sha256: sha(bytes), blocks: blocks.length, symbols_sha256: d.symbols, means_sha256: d.means, decoded: {}, ...extra });
  };

  // Images: one RGBA tile (the alpha plane is exact), one two-tile picture at another quality.
  const rgb = await crop(200, 60, 64, 64);
  const alpha = Uint8Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) * 4 + Math.floor(i / 64)) & 255);
  const rgba: Picture = { ...rgb, alpha };
  const wide = await crop(40, 200, 96, 64);
  for (const [model, qs] of [['hyperprior-mse', [3, 9]], ['hyperprior-msssim', [0, 8]], ['channel-mse', [2, 10]]] as const) {
    const codec = loadModel(model) as LearnedImageCodec;
    const a = await codec.encode(rgba, qs[0]);
    await add(`${model}-rgba-q${qs[0]}.lc`, model, qs[0], a, codec, { alpha_sha256: sha(alpha), decoded: { width: 64, height: 64 } });
    const b = await codec.encode(wide, qs[1], { tile: 64 });
    await add(`${model}-tiles-q${qs[1]}.lc`, model, qs[1], b, codec, { decoded: { width: 96, height: 64 } });
  }

  // Audio: 1 s mono at the model's rate; 0.6 s stereo at 48 kHz (mid/side, high band).
  {
    const codec = loadModel('audio-hyperprior') as LearnedAudioCodec;
    const mono = await codec.encode(sweep(24000, 1, 1), 1);
    await add('audio-hyperprior-mono-q1.lc', 'audio-hyperprior', 1, mono, codec, { decoded: { sampleRate: 24000, channels: 1, samples: 24000 } });
    const stereo = await codec.encode(sweep(48000, 0.6, 2), 4);
    const levels = codec.parse(stereo).highband!.levels;
    const hb = createHash('sha256');
    for (const l of levels) hb.update(new Uint8Array(l.buffer, l.byteOffset, l.byteLength));
    await add('audio-hyperprior-stereo48k-q4.lc', 'audio-hyperprior', 4, stereo, codec, { highband_sha256: hb.digest('hex'), decoded: { sampleRate: 48000, channels: 2, samples: 28800 } });
  }

  // The MDCT audio model: the same signals at other qualities (its noise fill reads the decoded
  // fill levels, which come from the same integers as the table indexes).
  {
    const codec = loadModel('audio-mdct') as LearnedAudioCodec;
    const mono = await codec.encode(sweep(24000, 1, 1), 2);
    await add('audio-mdct-mono-q2.lc', 'audio-mdct', 2, mono, codec, { decoded: { sampleRate: 24000, channels: 1, samples: 24000 } });
    const stereo = await codec.encode(sweep(48000, 0.6, 2), 6);
    const levels = codec.parse(stereo).highband!.levels;
    const hb = createHash('sha256');
    for (const l of levels) hb.update(new Uint8Array(l.buffer, l.byteOffset, l.byteLength));
    await add('audio-mdct-stereo48k-q6.lc', 'audio-mdct', 6, stereo, codec, { highband_sha256: hb.digest('hex'), decoded: { sampleRate: 48000, channels: 2, samples: 28800 } });
  }

  // Video: I P I at 64×64; I P P at 96×64 in two tiles.
  {
    const small = loadModel('video-sem', {}, { intraPeriod: 2 }) as LearnedVideoCodec;
    const a = await small.encode({ width: 64, height: 64, fps: [25, 1], frames: await clip(64, 64, 3) }, 3);
    await add('video-sem-ipi-q3.lc', 'video-sem', 3, a, small, { decoded: { width: 64, height: 64, frames: 3 } });
    const tiled = loadModel('video-sem', {}, { intraPeriod: 3, tile: 64 }) as LearnedVideoCodec;
    const b = await tiled.encode({ width: 96, height: 64, fps: [30, 1], frames: await clip(96, 64, 3) }, 6);
    await add('video-sem-ipp-tiles-q6.lc', 'video-sem', 6, b, tiled, { decoded: { width: 96, height: 64, frames: 3 } });
  }

  // Motion-compensated video: I P P I at 64×64 (a P-frame with residual); I P at 96×64 in two tiles.
  {
    const mc = loadModel('video-mc', {}, { intraPeriod: 3 }) as MotionCompensatedVideoCodec;
    const a = await mc.encode({ width: 64, height: 64, fps: [25, 1], frames: await clip(64, 64, 4) }, 4);
    await add('video-mc-ippi-q4.lc', 'video-mc', 4, a, mc, { decoded: { width: 64, height: 64, frames: 4 } });
    const tiled = loadModel('video-mc', {}, { intraPeriod: 2, tile: 64 }) as MotionCompensatedVideoCodec;
    const b = await tiled.encode({ width: 96, height: 64, fps: [30, 1], frames: await clip(96, 64, 2) }, 9);
    await add('video-mc-ip-tiles-q9.lc', 'video-mc', 9, b, tiled, { decoded: { width: 96, height: 64, frames: 2 } });
  }

  writeFileSync(join(dir, 'golden.json'), JSON.stringify({ files: entries }, null, 2) + '\n');
  process.stdout.write(`${entries.length} golden files in ${dir}\n`);
}

await main();
