/**
 * The learned image codec end to end on the installed model: what it keeps beside the colour
 * (alpha, grayscale), tiles, and the checks that refuse a damaged header before allocating.
 * No bpp or PSNR is pinned: the model's weights get replaced as training goes on.
 */
import sharp from 'sharp';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LearnedImageCodec } from '../codecs/image/index.js';
import { decodePlane, encodePlane } from '../codecs/image/plane.js';
import type { Picture, RgbImage } from '../src/media.js';
import { EntropyDecodeError } from '../entropy/index.js';
import { decode, encode, inspect } from '../src/api.js';
import { CorruptFileError, readContainer, writeContainer } from '../src/container/index.js';
import { InputError } from '../src/errors.js';
import { encodePng, readImage } from '../src/io/image.js';
import { loadModel } from '../codecs/models.js';
import { makeRng } from '../bench/entropy-data.js';
import { ROOT } from './helpers/cli.js';
import { smoothImage } from './helpers/synthetic.js';

const codec = loadModel('hyperprior-mse') as LearnedImageCodec;

async function decodeImage(lc: Uint8Array): Promise<Picture> {
  const media = await decode(lc);
  if (media.modality !== 'image') throw new Error(`decoded ${media.modality}`);
  return media.image;
}

/** A soft-edged disc of opacity over a transparent background. */
function discAlpha(w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - w / 2, y - h / 2);
      a[y * w + x] = Math.max(0, Math.min(255, Math.round((Math.min(w, h) / 3 - d) * 64)));
    }
  }
  return a;
}

const psnr = (a: Uint8Array, b: Uint8Array): number => {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
};

/**
 * The decoded image resembles its original: clearly closer to it (by 3 dB) than its flat
 * mean colour is. Relative, so that it holds for early and trained weights alike.
 */
function expectResembles(original: Uint8Array, decoded: Uint8Array): void {
  let sum = 0;
  for (const v of original) sum += v;
  const flat = new Uint8Array(original.length).fill(Math.round(sum / original.length));
  expect(psnr(original, decoded)).toBeGreaterThan(psnr(original, flat) + 3);
}

/** A w × h crop of the bundled photo: what the model is trained for (synthetic colours are not). */
async function photoCrop(w: number, h: number, left = 180, top = 40): Promise<RgbImage> {
  const { data, info } = await sharp(path.join(ROOT, 'samples', 'landscape.png'))
    .extract({ left, top, width: w, height: h })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('lossless plane coding (alpha)', () => {
  it('round-trips every kind of plane exactly', () => {
    const rng = makeRng(5);
    const w = 97, h = 61;
    const planes: Record<string, Uint8Array> = {
      opaque: new Uint8Array(w * h).fill(255),
      disc: discAlpha(w, h),
      mask: Uint8Array.from({ length: w * h }, (_, i) => ((i % w) >> 3) % 2 ? 255 : 0),
      gradient: Uint8Array.from({ length: w * h }, (_, i) => (i % w) * 2 + Math.floor(i / w)),
      noise: Uint8Array.from({ length: w * h }, () => Math.floor(rng() * 256)),
    };
    for (const [name, plane] of Object.entries(planes)) {
      const bytes = encodePlane(plane, w, h);
      expect(Buffer.from(decodePlane(bytes, w, h)).equals(Buffer.from(plane)), name).toBe(true);
    }
    for (const [w1, h1] of [[1, 1], [1, 40], [40, 1]] as const) {
      const p = Uint8Array.from({ length: w1 * h1 }, () => Math.floor(rng() * 256));
      expect([...decodePlane(encodePlane(p, w1, h1), w1, h1)]).toEqual([...p]);
    }
  });

  it('spends almost nothing on flat planes and about a byte a sample on noise', () => {
    const n = 256 * 256;
    expect(encodePlane(new Uint8Array(n).fill(255), 256, 256).length).toBeLessThan(40);
    expect(encodePlane(discAlpha(256, 256), 256, 256).length).toBeLessThan(n / 16);
    const rng = makeRng(6);
    const noise = Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
    expect(encodePlane(noise, 256, 256).length).toBeLessThan(n * 1.02 + 2000);
  });

  it('fails cleanly on a damaged plane section', () => {
    const plane = discAlpha(64, 48);
    const bytes = encodePlane(plane, 64, 48);
    for (const bad of [bytes.subarray(0, 0), bytes.subarray(0, 5), bytes.subarray(0, bytes.length - 1), Uint8Array.of(7, ...bytes.subarray(1))]) {
      expect(() => decodePlane(bad, 64, 48)).toThrow(/corrupt|truncated/);
    }
    let clean = 0;
    for (let bit = 0; bit < bytes.length * 8; bit += 7) {
      const bad = bytes.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      try {
        decodePlane(bad, 64, 48);
      } catch (err) {
        expect(err instanceof CorruptFileError || err instanceof EntropyDecodeError, String(err)).toBe(true);
        clean++;
      }
    }
    expect(clean).toBeGreaterThan(0);
  });
});

// (hyperprior-mse: one z and one y section per tile; channel-mse's sliced y streams in test/channel-codec.test.ts)
describe('learned image codec: what the file keeps', () => {
  const w = 96, h = 72;
  let rgb: RgbImage;
  beforeAll(async () => {
    rgb = await photoCrop(w, h);
  });

  it('codes RGB and records the layout in the header', async () => {
    const lc = await encode(rgb, { model: 'hyperprior-mse', quality: 3 });
    const c = readContainer(lc);
    expect(c.shape).toEqual([w, h, 1024, 3]);
    expect(c.sections).toHaveLength(2);
    expect(inspect(lc)).toMatchObject({ width: w, height: h, channels: 3 });
    const back = { image: await decodeImage(lc) };
    expect(back.image.alpha).toBeUndefined();
    expect(back.image.grayscale).toBeUndefined();
    expectResembles(rgb.data, back.image.data);
  });

  it('keeps alpha exactly and decodes to an RGBA PNG', async () => {
    const alpha = discAlpha(w, h);
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      rgba.set(rgb.data.subarray(3 * i, 3 * i + 3), 4 * i);
      rgba[4 * i + 3] = alpha[i]!;
    }
    const png = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
    const lc = await encode(png, { model: 'hyperprior-mse', quality: 3 });
    expect(inspect(lc).channels).toBe(4);
    expect(readContainer(lc).sections).toHaveLength(3);
    const back = await decodeImage(lc);
    expect(Buffer.from(back.alpha!).equals(Buffer.from(alpha))).toBe(true);
    // the colour is coded exactly as without alpha
    const colourOnly = await decodeImage(await encode(rgb, { model: 'hyperprior-mse', quality: 3 }));
    expect(Buffer.from(back.data).equals(Buffer.from(colourOnly.data))).toBe(true);
    const out = await sharp(await encodePng(back)).raw().toBuffer({ resolveWithObject: true });
    expect(out.info.channels).toBe(4);
    expect(out.data.filter((_, i) => i % 4 === 3)).toEqual(Buffer.from(alpha));
  });

  it('decodes a grayscale source to a grayscale PNG (gray, and gray + alpha)', async () => {
    const gray = await sharp(rgb.data, { raw: { width: w, height: h, channels: 3 } }).toColourspace('b-w').png().toBuffer();
    const grayPixels = await sharp(gray).extractChannel(0).raw().toBuffer();
    const ga = Buffer.alloc(w * h * 2);
    for (let i = 0; i < w * h; i++) [ga[2 * i], ga[2 * i + 1]] = [grayPixels[i]!, i % 7 ? 255 : 64];
    const grayAlpha = await sharp(ga, { raw: { width: w, height: h, channels: 2 } }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grayAlpha).metadata()).channels).toBe(2);
    for (const [src, channels] of [[gray, 1], [grayAlpha, 2]] as const) {
      const lc = await encode(src, { model: 'hyperprior-mse', quality: 3 });
      expect(inspect(lc).channels).toBe(channels);
      const back = await decodeImage(lc);
      expect(back.grayscale).toBe(true);
      for (let i = 0; i < back.data.length; i += 3) expect(back.data[i] === back.data[i + 1] && back.data[i] === back.data[i + 2]).toBe(true);
      const meta = await sharp(await encodePng(back)).metadata();
      expect([meta.channels, meta.space]).toEqual([channels, 'b-w']);
      const original = await readImage(src);
      expectResembles(original.data, back.data);
    }
  });

  it('codes small tiles independently and decodes them to the same size', async () => {
    const lc = await encode(rgb, { model: 'hyperprior-mse', quality: 3, tile: 64 });
    const c = readContainer(lc);
    expect(c.shape).toEqual([w, h, 64, 3]);
    expect(c.sections).toHaveLength(2 * 2 * 2); // 2 × 2 tiles
    const back = { image: await decodeImage(lc) };
    expect([back.image.width, back.image.height]).toEqual([w, h]);
    expectResembles(rgb.data, back.image.data);
    await expect(encode(rgb, { tile: 100 })).rejects.toBeInstanceOf(InputError);
  });
});

describe('learned image codec: refusing damaged headers before allocating', () => {
  it('refuses declared sizes the streams cannot hold, and the pixel limit, with CorruptFileError', async () => {
    const small: Picture = smoothImage(64, 64, 1);
    const c = readContainer(await codec.encode(small, 2, { tile: 64 }));
    const variants = [
      { shape: [64 * 4, 64 * 4, 64, 3] }, // 16 tiles declared, 1 present
      { shape: [64, 64 * 2, 64, 3], sections: [...c.sections, new Uint8Array(8), new Uint8Array(8)] }, // a 2nd tile with an 8-byte z stream
      { shape: [1 << 20, 1 << 20, 1024, 3] },
      { shape: [0, 64, 64, 3] },
      { shape: [64, 64, 96, 3] }, // tile not a multiple of 64
      { shape: [64, 64, 2048, 3] },
      { shape: [64, 64, 64, 7] },
      { shape: [64, 64] },
    ];
    for (const v of variants) {
      const bad = writeContainer({ ...c, ...v });
      // A clean refusal: the header checks, or the entropy decoder when a stub stream is
      // long enough to be plausible under the model's tables.
      const err = await codec.decode(bad).then(() => undefined, (e: unknown) => e);
      expect(err instanceof CorruptFileError || err instanceof EntropyDecodeError, JSON.stringify(v.shape)).toBe(true);
    }
  });

  it('still decodes files written before the channel field (3 shape values)', async () => {
    const img = smoothImage(64, 64, 2);
    const c = readContainer(await codec.encode(img, 2));
    const old = writeContainer({ ...c, shape: c.shape.slice(0, 3) });
    const back = await codec.decode(old);
    expect([back.width, back.height, back.alpha, back.grayscale]).toEqual([64, 64, undefined, undefined]);
  });
});
