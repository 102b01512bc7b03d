/**
 * The motion-compensated video codec (video-mc) on its real path: the shipped image model
 * channel-mse (and hyperprior-mse as another base), the rANS coder, real frames (a pan over the sample photograph, a still shot,
 * samples/clip.mp4 and, when the shared data is present, a test clip).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK, MotionContexts, SMOOTHING, blockGrid, chooseSmoothing, compensate, decodeMotion, encodeMotion, estimateMotion, interpolateFrame, MAX_MV, type MotionField } from '../codecs/video/motion.js';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import { MotionCompensatedVideoCodec } from '../codecs/video/mc.js';
import { loadModel } from '../codecs/models.js';
import { getCodecEntry, listCodecs } from '../codecs/registry.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { InputError } from '../src/errors.js';
import { collectVideo, readVideo, writeVideo } from '../src/io/video.js';
import { psnr } from '../src/metrics/image.js';
import type { Video, VideoFrame } from '../src/media.js';
import { packageRoot, sharedDataDir } from '../src/paths.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const W = 192;
const H = 128;

/** `count` frames of W×H: a window moving (dx, dy) pixels per frame over the sample photo. */
async function pan(count: number, dx: number, dy = 0): Promise<Video & { frames: VideoFrame[] }> {
  const frames: VideoFrame[] = [];
  for (let t = 0; t < count; t++) {
    const data = await sharp(path.join(packageRoot(), 'samples', 'landscape.png'))
      .extract({ left: 100 + t * dx, top: 120 + t * dy, width: W, height: H })
      .removeAlpha()
      .raw()
      .toBuffer();
    frames.push({ width: W, height: H, data: new Uint8Array(data) });
  }
  return { width: W, height: H, fps: [25, 1], frameCount: count, frames };
}

/** A pseudo-random generator (xorshift32), for repeatable fields. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const sectionBytes = (s: Uint8Array[]) => s.reduce((a, x) => a + x.length, 0);

let dir: string;
let codec: MotionCompensatedVideoCodec;
let clip: Video & { frames: VideoFrame[] };
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-video-mc-'));
  codec = loadModel('video-mc', {}, { intraPeriod: 4 }) as MotionCompensatedVideoCodec;
  clip = await pan(6, 3, 1);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('block motion', () => {
  it('codes motion fields exactly, escapes included, with contexts carried from frame to frame, and refuses vectors out of range', () => {
    const r = rng(7);
    for (const [w, h, spread] of [[192, 128, 3], [321, 241, 40], [16, 16, 0], [1000, 40, 250]] as const) {
      const { bw, bh } = blockGrid(w, h);
      const enc = new MotionContexts();
      const dec = new MotionContexts();
      // Three fields in a row through the same contexts, as the P-frames of one group.
      for (let frame = 0; frame < 3; frame++) {
        const f: MotionField = { bw, bh, mv: new Int32Array(2 * bw * bh), skip: new Uint8Array(bw * bh), filter: new Uint8Array(bw * bh) };
        for (let i = 0; i < f.mv.length; i++) f.mv[i] = Math.max(-MAX_MV, Math.min(MAX_MV, Math.round((r() - 0.5) * 2 * spread)));
        for (let i = 0; i < f.skip.length; i++) f.skip[i] = r() < 0.7 ? 1 : 0;
        for (let i = 0; i < f.filter.length; i++) f.filter[i] = Math.floor(r() * SMOOTHING.length);
        expect(decodeMotion(encodeMotion(f, enc), w, h, dec)).toEqual(f);
      }
    }
    // The largest differences (one vector at +MAX_MV, its neighbour at −MAX_MV) take the escape.
    const far: MotionField = { bw: 2, bh: 1, mv: Int32Array.of(MAX_MV, -MAX_MV, -MAX_MV, MAX_MV), skip: new Uint8Array(2), filter: Uint8Array.of(0, SMOOTHING.length - 1) };
    expect(decodeMotion(encodeMotion(far, new MotionContexts()), 32, 16, new MotionContexts())).toEqual(far);
    // A still field (all zero, all skipped) costs a few bytes, and fewer once the contexts have seen one.
    const { bw, bh } = blockGrid(512, 320);
    const still: MotionField = { bw, bh, mv: new Int32Array(2 * bw * bh), skip: new Uint8Array(bw * bh).fill(1), filter: new Uint8Array(bw * bh) };
    const contexts = new MotionContexts();
    const first = encodeMotion(still, contexts).length;
    expect(first).toBeLessThan(48);
    expect(encodeMotion(still, contexts).length).toBeLessThan(first);
    const over: MotionField = { bw: 1, bh: 1, mv: Int32Array.of(MAX_MV + 1, 0), skip: new Uint8Array(1), filter: new Uint8Array(1) };
    expect(() => decodeMotion(encodeMotion(over, new MotionContexts()), 16, 16, new MotionContexts())).toThrow(RangeError);
  });

  it('compensates in exact integers: whole-pixel shifts copy, quarter pixels use the 8-tap filters with one rounding', () => {
    const w = 40;
    const h = 24;
    const ref = new Uint8Array(w * h * 3);
    for (let i = 0; i < ref.length; i++) ref[i] = (i * 37 + (i >> 5) * 11) & 255;
    const { bw, bh } = blockGrid(w, h);
    const f: MotionField = { bw, bh, mv: new Int32Array(2 * bw * bh), skip: new Uint8Array(bw * bh), filter: new Uint8Array(bw * bh) };
    f.mv[0] = 4; // block (0, 0): one pixel right
    f.mv[1] = -4; // one pixel up (clamped at the top edge)
    f.mv[2] = 2; // block (1, 0): half a pixel right
    const p = compensate(ref, w, h, f);
    const at = (x: number, y: number, c: number) => ref[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * 3 + c]!;
    for (let y = 0; y < BLOCK; y++) {
      for (let x = 0; x < BLOCK; x++) {
        for (let c = 0; c < 3; c++) {
          expect(p[(y * w + x) * 3 + c]).toBe(at(x + 1, y - 1, c));
          const x1 = x + BLOCK;
          const half = [-1, 4, -11, 40, 40, -11, 4, -1].reduce((sum, t, k) => sum + t * at(x1 - 3 + k, y, c), 0);
          expect(p[(y * w + x1) * 3 + c]).toBe(Math.min(255, Math.max(0, (half + 32) >> 6)));
        }
      }
    }
    // Smoothing: block (1, 0) moved half of the way to the binomial blur of the interpolated
    // prediction (its neighbours across the block's edge included), in integers.
    f.filter[1] = SMOOTHING.indexOf(4);
    const s = compensate(ref, w, h, f);
    const sample = (x: number, y: number, c: number) => p[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * 3 + c]!;
    for (let y = 0; y < BLOCK; y++) {
      for (let x = BLOCK; x < 2 * BLOCK; x++) {
        for (let c = 0; c < 3; c++) {
          let b16 = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) b16 += (2 - Math.abs(dx)) * (2 - Math.abs(dy)) * sample(x + dx, y + dy, c);
          const v = sample(x, y, c);
          expect(s[(y * w + x) * 3 + c]).toBe(v + (((b16 - 16 * v) * 4 + 64) >> 7));
        }
      }
    }
    // The other blocks are the unsmoothed prediction.
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (y >= BLOCK || x < BLOCK || x >= 2 * BLOCK) for (let c = 0; c < 3; c++) expect(s[(y * w + x) * 3 + c]).toBe(p[(y * w + x) * 3 + c]);
  });

  it('smooths the prediction of a noisy frame from a noisy reference, and leaves a clean one sharp', async () => {
    const v = await pan(2, 3, 1);
    const r = rng(3);
    // Gaussian-like noise (a sum of uniforms, σ about 6) on both frames.
    const noisy = (d: Uint8Array) => d.map((x) => Math.max(0, Math.min(255, Math.round(x + 6 * (r() + r() + r() + r() - 2) * Math.sqrt(3)))));
    const sse = (a: Uint8Array, b: Uint8Array) => a.reduce((acc, x, i) => acc + (x - b[i]!) ** 2, 0);
    for (const [cur, ref, clean] of [[noisy(v.frames[1]!.data), noisy(v.frames[0]!.data), false], [v.frames[1]!.data, v.frames[0]!.data, true]] as const) {
      const f = estimateMotion(cur, ref, W, H, { lambda: 4 });
      const raw = interpolateFrame(ref, W, H, f);
      const pred = chooseSmoothing(cur, raw, W, H, f, 300);
      // What the decoder computes from the coded field.
      expect(Buffer.from(compensate(ref, W, H, f)).equals(Buffer.from(pred))).toBe(true);
      const smoothed = f.filter.filter((k) => k > 0).length / f.filter.length;
      if (clean) expect(smoothed).toBeLessThan(0.2);
      else {
        expect(smoothed).toBeGreaterThan(0.8);
        expect(sse(cur, pred)).toBeLessThan(0.85 * sse(cur, raw));
      }
    }
  });

  it('finds the motion of a pan to the quarter pixel', async () => {
    const v = await pan(2, 3, 1);
    const f = estimateMotion(v.frames[1]!.data, v.frames[0]!.data, W, H, { lambda: 4 });
    // Content moves left 3 and up 1: each inner block's vector points +3, +1 pixels.
    let hits = 0;
    for (let by = 1; by < f.bh - 1; by++) for (let bx = 1; bx < f.bw - 1; bx++) hits += f.mv[2 * (by * f.bw + bx)] === 12 && f.mv[2 * (by * f.bw + bx) + 1] === 4 ? 1 : 0;
    expect(hits).toBeGreaterThan(0.9 * (f.bw - 2) * (f.bh - 2));
  });
});

describe('video-mc codec', () => {
  it('is an installed model sharing channel-mse for intra frames, with its own residual coder and an all-intra variant in the registry', () => {
    expect(codec.model).toBe((loadModel('channel-mse') as unknown as { model: unknown }).model);
    expect(codec.residual).not.toBe(codec.model);
    expect(codec.residual.qualities).toEqual((loadModel('hyperprior-mse') as LearnedImageCodec).model.qualities);
    const names = listCodecs('video').map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['video-mc', 'video-mc-intra']));
    expect(getCodecEntry('video-mc').kind).toBe('learned');
  });

  it('round-trips a pan deterministically; the decoder outputs the encoder\'s reconstruction', async () => {
    const recon: Uint8Array[] = [];
    const bytes = await codec.encodeWith(clip, 3, (r) => recon.push(r.slice()));
    expect(Buffer.from(await codec.encode(clip, 3)).equals(Buffer.from(bytes))).toBe(true);
    const c = readContainer(bytes);
    const L = codec.levelOf(3);
    expect(c.shape).toEqual([W, H, 25, 1, 6, 4, 1024, L.intra, L.residual, L.scale4]);
    // Frames 0 and 4 intra (one tile: z and channel-mse's 5 slices), the others P (motion, z, y).
    expect(codec.model.sectionsPerTile).toBe(6);
    expect(c.sections.length).toBe(2 * 6 + 4 * 3);
    const decoded = await collectVideo(await codec.decode(bytes));
    expect(decoded.frames.length).toBe(6);
    decoded.frames.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(recon[i]!)), `frame ${i}`).toBe(true));
    for (let i = 0; i < 6; i++) expect(psnr(clip.frames[i]!, decoded.frames[i]!)).toBeGreaterThan(25);
    // Decoding twice gives the same frames (a stream may be iterated again).
    const again = await collectVideo(await codec.decode(bytes));
    again.frames.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(decoded.frames[i]!.data))).toBe(true));
    const sizes = codec.frameSizes(bytes);
    expect(sizes.map((s) => s.intra)).toEqual([true, false, false, false, true, false]);
    expect(sizes.reduce((a, s) => a + s.bytes, 0)).toBe(sectionBytes(c.sections));
    // The pan is predicted: P-frames cost well under the intra frame.
    for (const f of [1, 2, 3, 5]) expect(sizes[f]!.bytes).toBeLessThan(0.5 * sizes[0]!.bytes);
  });

  it('codes its intra frames by a hyperprior base model as well: per tile its z and y streams, the image codec\'s own', async () => {
    const base = (loadModel('hyperprior-mse') as LearnedImageCodec).model;
    const mc = new MotionCompensatedVideoCodec('video-mc', codec.card, base, codec.residual, { intraPeriod: 4 });
    const short: Video & { frames: VideoFrame[] } = { ...clip, frameCount: 5, frames: clip.frames.slice(0, 5) };
    const recon: Uint8Array[] = [];
    const bytes = await mc.encodeWith(short, 3, (r) => recon.push(r.slice()));
    const c = readContainer(bytes);
    const n = base.sectionsPerTile;
    expect(n).toBe(2); // z and y
    // Frames 0 and 4 intra (one tile of n sections), 1–3 P (motion, z, y).
    expect(c.sections.length).toBe(2 * n + 3 * 3);
    const direct = await base.encodePayload(short.frames[0]!, mc.levelOf(3).intra);
    expect(c.sections.slice(0, n).map((x) => Buffer.from(x).toString('hex'))).toEqual(direct.tiles[0]!.map((x) => Buffer.from(x).toString('hex')));
    const decoded = await collectVideo(await mc.decode(bytes));
    decoded.frames.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(recon[i]!)), `frame ${i}`).toBe(true));
    for (let i = 0; i < 5; i++) expect(psnr(short.frames[i]!, decoded.frames[i]!)).toBeGreaterThan(25);
    expect(mc.frameSizes(bytes).map((f) => f.intra)).toEqual([true, false, false, false, true]);
    // A file of the other base is refused as such: the model hash mixes in the base's weights.
    expect(() => codec.frameSizes(bytes)).toThrow(/other weights of video-mc/);
  });

  it('codes a still shot in P-frames of a fraction of the intra frame', async () => {
    const still: Video = { width: W, height: H, fps: [25, 1], frames: Array(4).fill(clip.frames[0]) };
    const bytes = await codec.encode(still, 5);
    const sizes = codec.frameSizes(bytes);
    // The first P-frame may still refine the intra frame's worst blocks; then nearly nothing.
    expect(sizes[1]!.bytes + sizes[2]!.bytes + sizes[3]!.bytes).toBeLessThan(0.2 * sizes[0]!.bytes);
    expect(sizes[3]!.bytes).toBeLessThan(0.05 * sizes[0]!.bytes);
    const d = await collectVideo(await codec.decode(bytes));
    // Skipped blocks keep the prediction while its error stays under the level's threshold (a
    // P-frame quality a little under the intra frame's): the picture may soften, not fall apart.
    expect(psnr(clip.frames[0]!, d.frames[3]!)).toBeGreaterThan(psnr(clip.frames[0]!, d.frames[0]!) - 1);
  });

  it('codes samples/clip.mp4 and a test clip in P-frames under half the bits of intra frames of no better PSNR', async () => {
    const data = sharedDataDir();
    const files = [path.join(packageRoot(), 'samples', 'clip.mp4')];
    const foreman = data && path.join(data, 'video', 'test', 'foreman_cif_320x256.mkv');
    if (foreman && existsSync(foreman)) files.push(foreman);
    else console.warn('video-mc: shared test data absent, coding samples/clip.mp4 only');
    const intraCodec = loadModel('video-mc', {}, { intraPeriod: 1 }) as MotionCompensatedVideoCodec;
    expect(intraCodec.name).toBe('video-mc-intra');
    for (const file of files) {
      const all = await collectVideo(await readVideo(file));
      const v = { ...all, frames: all.frames.slice(0, 5), frameCount: 5 };
      // P-frames of quality 4 (residual at base quality 4) against every frame intra at
      // quality 1 (base quality 4 too).
      expect([codec.levelOf(4).residual, intraCodec.levelOf(1).intra]).toEqual([4, 4]);
      const [pBytes, iBytes] = [await codec.encode(v, 4), await intraCodec.encode(v, 1)];
      const [p, i] = [codec.frameSizes(pBytes), intraCodec.frameSizes(iBytes)];
      const pd = await collectVideo(await codec.decode(pBytes));
      const id = await collectVideo(await intraCodec.decode(iBytes));
      const mean = (d: VideoFrame[]) => [1, 2, 3].reduce((a, k) => a + psnr(v.frames[k]!, d[k]!), 0) / 3;
      const pBits = p[1]!.bytes + p[2]!.bytes + p[3]!.bytes;
      const iBits = i[1]!.bytes + i[2]!.bytes + i[3]!.bytes;
      expect(pBits, file).toBeLessThan(0.5 * iBits);
      expect(mean(pd.frames), file).toBeGreaterThan(mean(id.frames) - 0.5);
    }
  });

  it('refuses damaged files with a clean error', async () => {
    const bytes = await codec.encode(clip, 2);
    const c = readContainer(bytes);
    const rewrite = (patch: Partial<typeof c>) => writeContainer({ ...c, ...patch });
    const decodeAll = async (b: Uint8Array) => collectVideo(await codec.decode(b));
    await expect(codec.encode({ ...clip, frames: [] }, 3)).rejects.toThrow(/no frames/);
    await expect(decodeAll(rewrite({ sections: c.sections.slice(0, -1) }))).rejects.toThrow(/sections/);
    await expect(decodeAll(rewrite({ shape: [...c.shape.slice(0, 7), 12, 0, 4] }))).rejects.toThrow(/qualities/);
    await expect(decodeAll(rewrite({ shape: c.shape.slice(0, 7) }))).rejects.toThrow(/shape/);
    // A P-frame's motion stream damaged: an error when that frame decodes.
    const n = codec.model.sectionsPerTile; // the intra frame's sections (one tile)
    const bad = c.sections.map((s, i) => (i === n ? s.map((b) => b ^ 0x5a) : s));
    const err = await decodeAll(rewrite({ sections: bad })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    // Residual streams removed from a P-frame: decodes as prediction only.
    const noRes = c.sections.map((s, i) => (i === n + 1 || i === n + 2 ? new Uint8Array(0) : s));
    expect((await decodeAll(rewrite({ sections: noRes }))).frames.length).toBe(6);
  });

  it('encodes and decodes through the CLI, as the default video model', async () => {
    ensureBuilt();
    const y4m = path.join(dir, 'pan.y4m');
    await writeVideo(y4m, clip);
    const out = path.join(dir, 'pan.lc');
    const enc = await runCli(['encode', y4m, '-o', out, '-q', '2', '--intra-period', '3']);
    expect(enc.code, enc.stderr).toBe(0);
    expect(enc.stdout).toMatch(/192x128, 6 frames, [\d.]+ bpp, [\d.]+ kbps \(video-mc q2\)/);
    const dec = await runCli(['decode', out, '-o', path.join(dir, 'decoded.y4m')]);
    expect(dec.code, dec.stderr).toBe(0);
    const back = await collectVideo(await readVideo(path.join(dir, 'decoded.y4m')));
    expect([back.width, back.height, back.frames.length]).toEqual([W, H, 6]);
  });
});
