/**
 * The learned video codec (video-sem) through the library and the CLI: real model, real
 * coder, real ffmpeg. Frames are a slow pan over the sample photograph (a camera-like
 * motion the temporal model has to follow) and a still shot.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LearnedVideoCodec } from '../codecs/video/index.js';
import type { Video, VideoFrame } from '../src/media.js';
import { decode, encode, inspect } from '../src/api.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { InputError } from '../src/errors.js';
import { collectVideo, readVideo, writeVideo } from '../src/io/video.js';
import { videoMetrics } from '../src/metrics/video.js';
import { loadModel } from '../codecs/models.js';
import { packageRoot } from '../src/paths.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const MODEL = 'video-sem';
const W = 192;
const H = 128;

/** `count` frames of W×H: a window moving `dx` pixels right per frame over the sample photo. */
async function pan(count: number, dx: number): Promise<Video & { frames: VideoFrame[] }> {
  const frames: VideoFrame[] = [];
  for (let t = 0; t < count; t++) {
    const data = await sharp(path.join(packageRoot(), 'samples', 'landscape.png'))
      .extract({ left: 100 + t * dx, top: 120, width: W, height: H })
      .removeAlpha()
      .raw()
      .toBuffer();
    frames.push({ width: W, height: H, data: new Uint8Array(data) });
  }
  return { width: W, height: H, fps: [25, 1], frameCount: count, frames };
}

let dir: string;
let codec: LearnedVideoCodec;
let clip: Video & { frames: VideoFrame[] };
let bytes: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-video-codec-'));
  codec = loadModel(MODEL, {}, { intraPeriod: 4 }) as LearnedVideoCodec;
  clip = await pan(6, 2);
  bytes = await codec.encode(clip, 3);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('learned video codec', () => {
  it('round-trips a clip: frame count, size and rate kept; the quality of its image model', async () => {
    const c = readContainer(bytes);
    expect(c.modality).toBe('video');
    expect(c.shape).toEqual([W, H, 25, 1, 6, 4, 1024]);
    expect(c.sections.length).toBe(12);
    const decoded = await codec.decode(bytes);
    expect([decoded.width, decoded.height, decoded.fps, decoded.frameCount]).toEqual([W, H, [25, 1], 6]);
    const m = await videoMetrics(clip, decoded, bytes.length);
    expect(m.frames).toBe(6);
    expect(m.psnr).toBeGreaterThan(24);
    expect(m.psnr).toBeLessThan(45);
    const info = inspect(bytes);
    expect([info.frames, info.intraPeriod, info.fps]).toEqual([6, 4, 25]);
    expect(info.bpp).toBeCloseTo((bytes.length * 8) / (W * H * 6), 12);
  });

  it('codes P-frames in fewer bits than intra frames at the same quality of reconstruction', async () => {
    const intra = loadModel(MODEL, {}, { intraPeriod: 1 }) as LearnedVideoCodec;
    expect(intra.name).toBe(`${MODEL}-intra`);
    const allIntra = await intra.encode(clip, 3);
    const size = (b: Uint8Array, from: number) => readContainer(b).sections.slice(from).reduce((a, s) => a + s.length, 0);
    // Frames 1-3 are P in `bytes` (intra period 4) and intra in `allIntra`.
    const pBits = size(bytes, 2) - size(bytes, 8);
    const iBits = size(allIntra, 2) - size(allIntra, 8);
    expect(pBits).toBeLessThan(0.9 * iBits);
    const [mp, mi] = await Promise.all([
      videoMetrics(clip, await codec.decode(bytes), bytes.length),
      videoMetrics(clip, await intra.decode(allIntra), allIntra.length),
    ]);
    expect(Math.abs(mp.psnr - mi.psnr)).toBeLessThan(0.3);
    // A still shot: each P-frame costs well under the intra frame (about half with this model).
    const still: Video = { width: W, height: H, fps: [25, 1], frames: Array(4).fill(clip.frames[0]) };
    const s = readContainer(await codec.encode(still, 3)).sections.map((x) => x.length);
    for (const f of [1, 2, 3]) expect(s[2 * f]! + s[2 * f + 1]!).toBeLessThan(0.65 * (s[0]! + s[1]!));
  });

  it('decodes bit-exactly whatever the thread count and graph optimization', async () => {
    // The entropy-decoded latents decide everything; g_s after them is float arithmetic
    // (pixels may differ by a rounding step between settings, nothing more).
    const decodeWith = async (threads: number, optimization: 'all' | 'disabled') => {
      const c = loadModel(MODEL, { threads, optimization }, { intraPeriod: 4 }) as LearnedVideoCodec;
      const latents: Buffer[] = [];
      for await (const frame of c.decodeLatents(c.parse(bytes))) latents.push(Buffer.from(frame[0]!.buffer));
      const pixels = (await collectVideo(await c.decode(bytes))).frames.map((f) => f.data);
      return { latents, pixels };
    };
    const a = await decodeWith(1, 'all');
    const b = await decodeWith(2, 'disabled');
    expect(a.latents.length).toBe(6);
    a.latents.forEach((l, i) => expect(l.equals(b.latents[i]!)).toBe(true));
    a.pixels.forEach((p, i) => p.forEach((v, j) => Math.abs(v - b.pixels[i]![j]!) > 1 && expect.fail(`frame ${i} pixel ${j}`)));
  });

  it('refuses damaged files with a clean error', async () => {
    const c = readContainer(bytes);
    const rewrite = (patch: Partial<typeof c>) => writeContainer({ ...c, ...patch });
    const decodeAll = async (b: Uint8Array) => collectVideo(await codec.decode(b));
    await expect(codec.encode({ ...clip, frames: [] }, 3)).rejects.toThrow(/no frames/);
    await expect(decodeAll(rewrite({ sections: c.sections.slice(0, 11) }))).rejects.toThrow(InputError);
    await expect(decodeAll(rewrite({ shape: [W, H, 25, 1, 7, 4, 1024] }))).rejects.toThrow(/sections/);
    await expect(decodeAll(rewrite({ shape: [W, H, 0, 1, 6, 4, 1024] }))).rejects.toThrow(InputError);
    await expect(decodeAll(rewrite({ shape: [W, H, 25, 1, 6, 4, 100] }))).rejects.toThrow(/tile/);
    // A P-frame's y stream cut short: an error when that frame is decoded, not garbage.
    const cut = c.sections.map((s, i) => (i === 5 ? s.subarray(0, Math.floor(s.length / 3)) : s));
    await expect(decodeAll(rewrite({ sections: cut }))).rejects.toThrow();
    const err = await decodeAll(rewrite({ sections: cut })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toMatch(/EntropyDecodeError|CorruptFileError|InputError/);
  });

  it('encodes and decodes through the library API and the CLI (y4m in and out)', async () => {
    ensureBuilt();
    const y4m = path.join(dir, 'pan.y4m');
    await writeVideo(y4m, clip);
    const lc = await encode(y4m, { model: MODEL, quality: 3, intraPeriod: 4 });
    const media = await decode(lc);
    expect(media.modality).toBe('video');
    const out = path.join(dir, 'pan.lc');
    const enc = await runCli(['encode', y4m, '-o', out, '-m', MODEL, '-q', '3', '--intra-period', '4']);
    expect(enc.code, enc.stderr).toBe(0);
    expect(enc.stdout).toMatch(/192x128, 6 frames, [\d.]+ bpp, [\d.]+ kbps \(video-sem q3\)/);
    expect(Buffer.from(await readFile(out)).equals(Buffer.from(lc))).toBe(true);
    const dec = await runCli(['decode', out, '-o', path.join(dir, 'decoded.y4m')]);
    expect(dec.code, dec.stderr).toBe(0);
    expect(dec.stdout).toMatch(/192x128, 6 frames/);
    const back = await collectVideo(await readVideo(path.join(dir, 'decoded.y4m')));
    expect([back.width, back.height, back.frames.length]).toEqual([W, H, 6]);
    // Damaged: exit code 2, one line, no output file.
    const bad = path.join(dir, 'bad.lc');
    const damaged = Uint8Array.from(lc);
    damaged[damaged.length - 40] ^= 0xff;
    await writeFile(bad, damaged);
    const r = await runCli(['decode', bad, '-o', path.join(dir, 'bad.y4m')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await readdir(dir)).filter((f) => f.startsWith('bad') || f.includes('.tmp'))).toEqual(['bad.lc']);
  });
});
