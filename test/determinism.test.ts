/**
 * Determinism (docs/DETERMINISM.md): a file decodes to the same symbols whatever the thread
 * count or graph optimization level, because only integers decide probabilities. Float
 * outputs (y, mu, g_s) may carry noise; the symbols must not.
 */
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageChannelModel } from '../codecs/image/channel.js';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import { tileGrid, type ImageHyperpriorModel, type TileLatents } from '../codecs/image/hyperprior.js';
import { latentsDigest } from '../codecs/learned/hyperprior.js';
import { quantizeZ } from '../codecs/learned/quantize.js';
import type { RgbImage } from '../src/media.js';
import { readContainer } from '../src/container/index.js';
import { loadModel } from '../codecs/models.js';
import type { RuntimeOptions } from '../src/runtime/onnx.js';
import { ROOT } from './helpers/cli.js';

const TILE = 128;
const RUNTIMES: Record<string, RuntimeOptions> = {
  '1 thread, no graph optimization': { threads: 1, optimization: 'disabled' },
  '2 threads, all optimizations': { threads: 2, optimization: 'all' },
  '2 threads, basic optimizations': { threads: 2, optimization: 'basic' },
  '1 thread, memory arena (as video models run)': { threads: 1, arena: true },
};
const codecFor = (r: RuntimeOptions): LearnedImageCodec & { model: ImageHyperpriorModel } => loadModel('hyperprior-mse', r) as LearnedImageCodec & { model: ImageHyperpriorModel };

let img: RgbImage;
let file: Uint8Array;

beforeAll(async () => {
  const { data, info } = await sharp(path.join(ROOT, 'samples', 'landscape.png'))
    .extract({ left: 128, top: 64, width: 200, height: 136 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  img = { width: info.width, height: info.height, data: new Uint8Array(data) };
  file = await codecFor(RUNTIMES['1 thread, no graph optimization']!).encode(img, 4, { tile: TILE });
});

/** All tiles' latents of `bytes`, decoded by `codec`. */
async function latentsOf(codec: LearnedImageCodec & { model: ImageHyperpriorModel }, bytes: Uint8Array): Promise<TileLatents[]> {
  const c = readContainer(bytes);
  const grid = tileGrid(img.width, img.height, TILE);
  const out = [];
  for (let i = 0; i < grid.length; i++) {
    out.push(await codec.model.decodeLatents({ z: c.sections[2 * i]!, y: c.sections[2 * i + 1]! }, grid[i]!, c.quality));
  }
  return out;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Buffer.from(new Uint8Array((a as Int32Array).buffer)).equals(Buffer.from(new Uint8Array((b as Int32Array).buffer)));

/** x moved by k ulps (float32) towards +∞ (k > 0) or −∞. */
function ulps(x: number, k: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  for (let s = 0; s < Math.abs(k); s++) {
    const up = k > 0;
    if (f[0] === 0) f[0] = up ? 1e-45 : -1e-45;
    else i[0]! += (f[0]! > 0) === up ? 1 : -1;
  }
  return f[0]!;
}

function perturb(a: Float32Array, seed: number): Float32Array {
  let s = seed;
  return a.map((v) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ulps(v, ((s >>> 16) % 9) - 4); // −4 .. +4 ulps
  });
}

describe('deterministic decoding across runtime settings', () => {
  it('decodes bit-exact latent symbols, scale indexes and means with any thread count and optimization level', async () => {
    const reference = await latentsOf(codecFor(RUNTIMES['1 thread, no graph optimization']!), file);
    expect(reference).toHaveLength(4); // 2 × 2 tiles of 128
    for (const [name, runtime] of Object.entries(RUNTIMES)) {
      const got = await latentsOf(codecFor(runtime), file);
      for (let t = 0; t < reference.length; t++) {
        const [a, b] = [reference[t]!, got[t]!];
        expect(same(a.zHat, b.zHat), `${name}: ẑ of tile ${t}`).toBe(true);
        expect(same(a.index, b.index), `${name}: scale indexes of tile ${t}`).toBe(true);
        expect(same(a.symbols, b.symbols), `${name}: y symbols of tile ${t}`).toBe(true);
        expect(same(new Int32Array(a.mu.buffer), new Int32Array(b.mu.buffer)), `${name}: mu of tile ${t}`).toBe(true);
      }
    }
  });

  it('decodes the same image with any runtime setting (g_s is float: at most 1 level apart, reported)', async () => {
    const decoded = [];
    for (const runtime of Object.values(RUNTIMES)) decoded.push(await codecFor(runtime).decode(file));
    const report: string[] = [];
    for (let k = 1; k < decoded.length; k++) {
      let differ = 0;
      let worst = 0;
      for (let i = 0; i < decoded[0]!.data.length; i++) {
        const d = Math.abs(decoded[0]!.data[i]! - decoded[k]!.data[i]!);
        if (d) differ++;
        worst = Math.max(worst, d);
      }
      report.push(`${Object.keys(RUNTIMES)[k]}: ${differ} of ${decoded[0]!.data.length} samples differ, max ${worst}`);
      expect(worst).toBeLessThanOrEqual(1);
    }
    console.log(`pixels against '1 thread, no graph optimization': ${report.join('; ')}`);
  });

  it('decodes a file encoded with other runtime settings to the symbols its encoder wrote', async () => {
    const other = await codecFor(RUNTIMES['2 threads, all optimizations']!).encode(img, 4, { tile: TILE });
    const a = await latentsOf(codecFor(RUNTIMES['1 thread, no graph optimization']!), other);
    const b = await latentsOf(codecFor(RUNTIMES['2 threads, basic optimizations']!), other);
    for (let t = 0; t < a.length; t++) expect(same(a[t]!.symbols, b[t]!.symbols) && same(a[t]!.index, b[t]!.index)).toBe(true);
  });
});

describe('probability decisions ignore float outputs', () => {
  it('scale indexes stay identical when y and mu move by a few ulps', async () => {
    const codec = codecFor(RUNTIMES['2 threads, all optimizations']!);
    const t = tileGrid(img.width, img.height, TILE)[0]!;
    const { y, z } = await codec.model.analysis(img, t, 4);
    const zHat = quantizeZ(z);
    const ref = await codec.model.hyperSynthesis(zHat, 4, 2, 2);

    // Encoder-side noise: y off by up to 4 ulps per element, through h_a with other threads
    // and optimizations, and z off by up to 4 more ulps, then rounded to the integers ẑ.
    const noisy = codecFor(RUNTIMES['1 thread, no graph optimization']!);
    const yNoise = perturb(y, 7);
    expect(same(new Int32Array(yNoise.buffer), new Int32Array(y.buffer))).toBe(false);
    const zHat2 = quantizeZ(perturb(await noisy.model.hyperAnalysis(yNoise, t, 4), 8));
    let nearTie = 0;
    for (let i = 0; i < z.length; i++) {
      // Only a z within float noise of a half-integer could round the other way.
      if (Math.abs(Math.abs(z[i]! - Math.trunc(z[i]!)) - 0.5) < 1e-3) nearTie++;
      else expect(zHat2[i], `ẑ[${i}] (z = ${z[i]})`).toBe(zHat[i]);
    }
    console.log(`near-tie z: ${nearTie} of ${z.length}; ẑ identical: ${same(zHat2, zHat)}`);
    if (nearTie === 0 || same(zHat2, zHat)) {
      const got = await noisy.model.hyperSynthesis(zHat2, 4, 2, 2);
      expect(same(got.acc, ref.acc)).toBe(true);
      expect(same(got.index, ref.index)).toBe(true);
    }

    // Decoder-side: mu is float, but the index is computed beside it from the integer
    // accumulator; moving mu by ulps changes the y values fed to g_s, never the tables.
    const muNoise = perturb(ref.mu, 9);
    expect(same(new Int32Array(muNoise.buffer), new Int32Array(ref.mu.buffer))).toBe(false);
    const again = await codec.model.hyperSynthesis(zHat, 4, 2, 2);
    expect(same(again.index, ref.index)).toBe(true);
    // The y stream decodes with the indexes only; a noisy mu moves ŷ = symbol + mu, i.e.
    // the float input of g_s, and the pixels by float noise at most.
    const c = readContainer(file);
    const lat = await codec.model.decodeLatents({ z: c.sections[0]!, y: c.sections[1]! }, t, 4);
    const out1: RgbImage = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
    const out2: RgbImage = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
    await codec.model.synthesize(lat, t, 4, out1);
    await codec.model.synthesize({ ...lat, mu: perturb(lat.mu, 10) }, t, 4, out2);
    let worst = 0;
    for (let i = 0; i < out1.data.length; i++) worst = Math.max(worst, Math.abs(out1.data[i]! - out2.data[i]!));
    expect(worst).toBeLessThanOrEqual(1); // float noise in ŷ stays float noise in pixels
  });
});

describe('channel-mse: deterministic decoding across runtime settings', () => {
  // The slice networks read ŷ of the slices before them: an exact ŷ (float64 symbols + means
  // from integer accumulators) is what keeps every later slice's tables exact too.
  const channelFor = (r: RuntimeOptions): LearnedImageCodec => loadModel('channel-mse', r) as LearnedImageCodec;

  it('decodes bit-exact ẑ, table indexes, symbols and means, and the latents its encoder coded', async () => {
    const encoder = channelFor(RUNTIMES['2 threads, all optimizations']!);
    const bytes = await encoder.encode(img, 6, { tile: TILE });
    const model = encoder.model as ImageChannelModel;
    const coded = [];
    for (const t of tileGrid(img.width, img.height, TILE)) coded.push((await model.codeTile(img, t, 6)).latents);
    const want = latentsDigest(coded);
    const decoded = [];
    for (const [name, runtime] of Object.entries(RUNTIMES)) {
      const codec = channelFor(runtime);
      const blocks = await codec.decodeSymbols(bytes);
      expect(blocks).toHaveLength(4);
      expect(latentsDigest(blocks), name).toEqual(want);
      decoded.push(await codec.decode(bytes));
    }
    // g_s is float: pixels at most 1 level apart between runtime settings.
    for (const d of decoded.slice(1)) {
      let worst = 0;
      for (let i = 0; i < d.data.length; i++) worst = Math.max(worst, Math.abs(d.data[i]! - decoded[0]!.data[i]!));
      expect(worst).toBeLessThanOrEqual(1);
    }
  }, 120_000);
});
