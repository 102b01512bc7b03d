/**
 * The channel-wise image model (channel-mse) end to end: its integer graphs against the
 * reference integer pass of the training code (test vectors written by
 * training/export_channel.py --vectors), round trips of the bundled photo, an exact and
 * repeatable bitstream, and clear refusals of damaged slice streams (exact decoding across
 * runtime settings: test/determinism.test.ts, golden files: test/golden.test.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageChannelModel } from '../codecs/image/channel.js';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import { latentsDigest } from '../codecs/learned/hyperprior.js';
import { loadModel } from '../codecs/models.js';
import { CorruptFileError, readContainer, writeContainer } from '../src/container/index.js';
import { psnr } from '../src/metrics/image.js';
import type { RgbImage } from '../src/media.js';
import { nodeEngine } from '../src/runtime/onnx.js';
import { ROOT } from './helpers/cli.js';

const MODEL = 'channel-mse';
const DIR = path.join(ROOT, 'models', MODEL);
const codec = (threads = 0): LearnedImageCodec & { model: ImageChannelModel } =>
  loadModel(MODEL, threads ? { threads, optimization: threads === 1 ? 'disabled' : 'all' } : {}) as LearnedImageCodec & { model: ImageChannelModel };

async function readRgb(file: string, crop?: { left: number; top: number; width: number; height: number }): Promise<RgbImage> {
  let s = sharp(path.join(ROOT, 'samples', file)).removeAlpha();
  if (crop) s = s.extract(crop);
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

interface Output {
  shape: number[];
  sha256: string;
  head: number[];
}
interface Vectors {
  model: string;
  weights_sha256: string;
  quality: number;
  h_s_int: { a0: number[]; l0_m: number[]; acc: Output; hidden: Output };
  slices: { ctx: number[] | null; l0_bias: number[]; acc: Output }[];
}

/** What an output must be: shape, sha256 of its little-endian bytes, first values. */
function expectOutput(got: Int32Array | Uint8Array, want: Output, what: string): void {
  expect(got.length, `${what}: size`).toBe(want.shape.reduce((a, b) => a * b, 1));
  expect(Array.from(got.subarray(0, want.head.length)), `${what}: first values`).toEqual(want.head);
  const bytes = new Uint8Array(got.buffer, got.byteOffset, got.byteLength); // little-endian on every supported CPU
  expect(createHash('sha256').update(bytes).digest('hex'), `${what}: all values`).toBe(want.sha256);
}

describe('channel-mse integer graphs', () => {
  const v = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'channel-mse-vectors.json'), 'utf8')) as Vectors;

  it('belong to the shipped weights', () => {
    const card = JSON.parse(readFileSync(path.join(DIR, 'card.json'), 'utf8')) as { weights_sha256: string };
    expect(v.weights_sha256, 'the vectors were written for other weights: export with --vectors test/fixtures/channel-mse-vectors.json').toBe(card.weights_sha256);
  });

  it.each([
    ['1 thread, no graph optimization', { threads: 1, optimization: 'disabled' as const }],
    ['2 threads, all optimizations', { threads: 2, optimization: 'all' as const }],
  ])('reproduce the reference integer pass exactly (%s)', async (_name, runtime) => {
    const engine = nodeEngine(runtime);
    const graph = (name: string): string => path.join(DIR, `${name}.onnx`);
    const bundle = codec().model.files.bundle;
    const { N, HS } = bundle.arch;
    const side = Math.sqrt(v.h_s_int.a0.length / N);
    const hs = await engine.runNamed(graph('h_s_int'), {
      a0: { type: 'uint8', data: Uint8Array.from(v.h_s_int.a0), dims: [1, N, side, side] },
      l0_m: { type: 'int64', data: BigInt64Array.from(v.h_s_int.l0_m, BigInt), dims: [1, v.h_s_int.l0_m.length, 1, 1] },
    });
    expectOutput(hs['acc'] as Int32Array, v.h_s_int.acc, 'h_s acc');
    expectOutput(hs['hidden'] as Uint8Array, v.h_s_int.hidden, 'h_s hidden');
    // The bundle's per-quality parameters are the ones the vectors were made with.
    expect(bundle.h_s_int.m0[v.quality]).toEqual(v.h_s_int.l0_m);
    const ySide = 4 * side;
    for (const [i, s] of v.slices.entries()) {
      expect(bundle.slices[i]!.b_q[v.quality]).toEqual(s.l0_bias);
      const inputs: Parameters<typeof engine.runNamed>[1] = {
        H: { type: 'uint8', data: hs['hidden'] as Uint8Array, dims: [1, HS[1], ySide, ySide] },
        l0_bias: { type: 'int64', data: BigInt64Array.from(s.l0_bias, BigInt), dims: [1, s.l0_bias.length, 1, 1] },
        ...(s.ctx ? { ctx: { type: 'uint8' as const, data: Uint8Array.from(s.ctx), dims: [1, bundle.slices[i]!.start, ySide, ySide] } } : {}),
      };
      expectOutput((await engine.runNamed(graph(`slice_${i}_int`), inputs))['acc'] as Int32Array, s.acc, `slice ${i} acc`);
    }
  });
});

describe('channel-mse round trips', () => {
  let photo: RgbImage;
  beforeAll(async () => {
    photo = await readRgb('photo.png');
  });

  it('codes the photo at its lowest and highest quality: one z and one y stream per slice, identical twice, decodable', async () => {
    const c = codec();
    const slices = c.model.files.bundle.slices.length;
    const results: { bpp: number; psnr: number }[] = [];
    for (const q of [0, c.qualities.at(-1)!]) {
      const bytes = await c.encode(photo, q);
      const container = readContainer(bytes);
      expect(container.model).toBe(MODEL);
      expect(container.sections).toHaveLength(1 + slices); // one 768×512 tile
      expect(Buffer.from(await c.encode(photo, q)).equals(Buffer.from(bytes)), `quality ${q}: bitstream identical twice`).toBe(true);
      const back = await c.decode(bytes);
      expect({ width: back.width, height: back.height }).toEqual({ width: photo.width, height: photo.height });
      results.push({ bpp: (bytes.length * 8) / (photo.width * photo.height), psnr: psnr(photo, back) });
    }
    console.log(`channel-mse on samples/photo.png: ${results.map((r) => `${r.bpp.toFixed(3)} bpp ${r.psnr.toFixed(2)} dB`).join(', ')}`);
    // Measured with the shipped checkpoint: 0.063 bpp 27.6 dB and 1.76 bpp 38.8 dB.
    expect(results[0]!.psnr).toBeGreaterThan(26);
    expect(results[1]!.psnr).toBeGreaterThan(37);
    expect(results[1]!.bpp).toBeGreaterThan(results[0]!.bpp * 10);
  }, 180_000);

  it('refuses a missing slice stream and notices a damaged one', async () => {
    const img = await readRgb('landscape.png', { left: 40, top: 200, width: 96, height: 64 });
    const c = codec();
    const bytes = await c.encode(img, 3);
    const file = readContainer(bytes);
    const missing = writeContainer({ ...file, sections: file.sections.slice(0, -1) });
    await expect(c.decode(missing)).rejects.toThrow(CorruptFileError);
    await expect(c.decode(missing)).rejects.toThrow(/section count/);
    // A flipped bit in the last slice's stream: the symbols change (or decoding fails cleanly).
    const y = Uint8Array.from(file.sections.at(-1)!);
    y[y.length >> 1]! ^= 0x20;
    const damaged = writeContainer({ ...file, sections: [...file.sections.slice(0, -1), y] });
    const good = latentsDigest(await c.decodeSymbols(bytes)).symbols;
    const got = await c.decodeSymbols(damaged).then((b) => latentsDigest(b).symbols, (err: Error) => `refused: ${err.message}`);
    expect(got).not.toBe(good);
  }, 60_000);
});
