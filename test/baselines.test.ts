import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jxlDistance } from '../codecs/baselines/index.js';
import { rgbToYcbcr444, ycbcr444ToRgb } from '../codecs/baselines/ycbcr.js';
import { getCodec, getCodecEntry, listCodecs, registerCodec } from '../codecs/registry.js';
import type { ImageCodec } from '../codecs/types.js';
import { psnr } from '../src/metrics/image.js';
import { smoothImage, syntheticImage } from './helpers/synthetic.js';

const run = promisify(execFile);
const BASELINES = ['jpeg', 'jpeg-444', 'webp', 'avif', 'jxl', 'x265'];
/** What an independent reader must find in the stored file. */
const FORMAT: Record<string, { sharp?: string; ffprobe?: string }> = {
  jpeg: { sharp: 'jpeg' },
  'jpeg-444': { sharp: 'jpeg' },
  webp: { sharp: 'webp' },
  avif: { sharp: 'heif' },
  jxl: { ffprobe: 'jpegxl' },
  x265: { ffprobe: 'hevc' },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-baselines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registry', () => {
  it('lists every image baseline with its declared capabilities', () => {
    const infos = listCodecs('image');
    for (const name of BASELINES) {
      const info = infos.find((i) => i.name === name);
      expect(info, name).toBeDefined();
      expect(info!.kind).toBe('baseline');
      expect(info!.qualityRange).toHaveLength(2);
    }
  });

  it('declares the same quality range as the codec enforces, and a default sweep inside it', async () => {
    for (const name of BASELINES) {
      const entry = getCodecEntry(name, 'image');
      const codec = (await getCodec(name, 'image')) as ImageCodec & { qualityRange: readonly [number, number] };
      expect(codec.qualityRange, name).toEqual(entry.qualityRange);
      expect(codec.qualities.every((q) => q >= codec.qualityRange[0] && q <= codec.qualityRange[1])).toBe(true);
      expect([...codec.qualities].sort((a, b) => a - b)).toEqual(codec.qualities);
    }
  });

  it('names the known codecs when asked for an unknown one', () => {
    expect(() => getCodecEntry('jpeg2000')).toThrow(/unknown codec "jpeg2000"; known: .*jpeg/);
  });

  it('accepts new entries (as learned codecs will join) and refuses duplicates', async () => {
    const identity: ImageCodec = {
      name: 'test-identity',
      modality: 'image',
      qualities: [1],
      encode: async (img) => img.data.slice(),
      decode: async () => {
        throw new Error('not used');
      },
    };
    registerCodec({
      name: 'test-identity', modality: 'image', kind: 'learned', description: 'test', create: () => identity, version: () => 'v1',
    });
    expect(await getCodec('test-identity')).toBe(identity);
    expect(() =>
      registerCodec({ name: 'test-identity', modality: 'image', kind: 'learned', description: '', create: () => identity, version: () => '' }),
    ).toThrow(/already registered/);
  });
});

describe('BT.601 full-range Y\'CbCr', () => {
  it('maps black, white and grey to the full 0–255 range with neutral chroma', () => {
    const img = { width: 3, height: 1, data: new Uint8Array([0, 0, 0, 255, 255, 255, 128, 128, 128]) };
    expect([...rgbToYcbcr444(img)]).toEqual([0, 255, 128, 128, 128, 128, 128, 128, 128]);
  });
  it('round-trips RGB within rounding error (±2 per sample)', () => {
    const img = syntheticImage(64, 32, 4);
    const back = ycbcr444ToRgb(rgbToYcbcr444(img), 64, 32);
    const maxErr = Math.max(...img.data.map((v, i) => Math.abs(v - back.data[i])));
    expect(maxErr).toBeLessThanOrEqual(2);
  });
});

describe('jxl quality mapping', () => {
  it('follows cjxl: q90 → d1.0, q30 → d6.4, continuous and decreasing', () => {
    expect(jxlDistance(90)).toBeCloseTo(1.0, 10);
    expect(jxlDistance(30)).toBeCloseTo(6.4, 10);
    expect(jxlDistance(29.999)).toBeCloseTo(6.56, 1);
    expect(jxlDistance(10)).toBeGreaterThan(jxlDistance(20));
  });
});

describe.each(BASELINES)('%s', (name) => {
  // 64×48 image with edges, gradients and mild texture.
  const img = smoothImage(64, 48, 21);

  it('round-trips a small image; the bitstream is a complete standalone file', async () => {
    const codec = (await getCodec(name, 'image')) as ImageCodec;
    expect(codec.name).toBe(name);
    const q = codec.qualities[codec.qualities.length - 1];
    const bytes = await codec.encode(img, q);
    const decoded = await codec.decode(bytes);
    expect([decoded.width, decoded.height, decoded.data.length]).toEqual([64, 48, 64 * 48 * 3]);
    expect(psnr(img, decoded)).toBeGreaterThan(32);

    // bits = the real file size: the stored file is exactly these bytes, and another reader opens it.
    const file = path.join(dir, `${name}.bin`);
    await writeFile(file, bytes);
    expect((await stat(file)).size).toBe(bytes.length);
    const fmt = FORMAT[name];
    if (fmt.sharp) {
      const meta = await sharp(file).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([fmt.sharp, 64, 48]);
    } else {
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file]);
      expect(stdout.trim()).toBe(`${fmt.ffprobe},64,48`);
    }
  });

  it('spends more bits at higher quality and rejects qualities out of range', async () => {
    const codec = (await getCodec(name, 'image')) as ImageCodec;
    const lo = await codec.encode(img, codec.qualities[0]);
    const hi = await codec.encode(img, codec.qualities[codec.qualities.length - 1]);
    expect(hi.length).toBeGreaterThan(lo.length);
    await expect(codec.encode(img, 1000)).rejects.toThrow(/quality for \S+ must be an integer/);
  });

  it('fails cleanly on a damaged bitstream', async () => {
    const codec = (await getCodec(name, 'image')) as ImageCodec;
    await expect(codec.decode(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toThrow(/cannot decode|decoder output/);
  });
});

describe('x265 specifics', () => {
  it('codes odd-sized images and decodes them at their size', async () => {
    const codec = (await getCodec('x265', 'image')) as ImageCodec;
    const img = smoothImage(37, 29, 2);
    const decoded = await codec.decode(await codec.encode(img, 41));
    expect([decoded.width, decoded.height]).toEqual([37, 29]);
    expect(psnr(img, decoded)).toBeGreaterThan(30);
  });

  it('is lossless-capable end to end: no limited-range step in the chain', async () => {
    // At QP 0 x265 is near-lossless in Y'CbCr; a 16–235 range squeeze would cost ≥ 5 dB here.
    const codec = (await getCodec('x265', 'image')) as ImageCodec;
    const img = syntheticImage(32, 32, 8);
    const decoded = await codec.decode(await codec.encode(img, 51));
    const viaYcc = ycbcr444ToRgb(rgbToYcbcr444(img), 32, 32);
    expect(psnr(viaYcc, decoded)).toBeGreaterThan(50);
  });
});
