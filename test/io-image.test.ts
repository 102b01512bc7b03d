import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { encodePng, readImage, writePng } from '../src/io/image.js';
import { syntheticImage } from './helpers/synthetic.js';

const img = syntheticImage(40, 24, 9);
const raw = { raw: { width: img.width, height: img.height, channels: 3 as const } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readImage', () => {
  it('reads a PNG losslessly, from a path or a buffer, whatever the file is called', async () => {
    const png = await encodePng(img);
    const file = path.join(dir, 'picture.dat'); // detected by content, not by extension
    await writeFile(file, png);
    for (const source of [file, png]) {
      const back = await readImage(source);
      expect(back.width).toBe(40);
      expect(back.height).toBe(24);
      expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
    }
  });

  it('reads JPEG and WebP', async () => {
    for (const bytes of [
      await sharp(img.data, raw).jpeg({ quality: 90 }).toBuffer(),
      await sharp(img.data, raw).webp({ quality: 90 }).toBuffer(),
    ]) {
      const back = await readImage(bytes);
      expect([back.width, back.height, back.data.length]).toEqual([40, 24, 40 * 24 * 3]);
    }
  });

  it('expands palette and grayscale images to RGB', async () => {
    const palette = await sharp(img.data, raw).png({ palette: true, colours: 16 }).toBuffer();
    expect((await sharp(palette).metadata()).isPalette).toBe(true);
    const p = await readImage(palette);
    expect(p.data.length).toBe(40 * 24 * 3);

    const grey = await sharp(img.data, raw).toColourspace('b-w').png().toBuffer();
    const g = await readImage(grey);
    expect(g.data.length).toBe(40 * 24 * 3);
    expect(g.data[0]).toBe(g.data[1]);
    expect(g.data[1]).toBe(g.data[2]);
  });

  it('drops an opaque alpha channel and keeps real transparency as an alpha plane', async () => {
    const opaque = await sharp(img.data, raw).ensureAlpha(1).png().toBuffer();
    const o = await readImage(opaque);
    expect(Buffer.from(o.data).equals(Buffer.from(img.data))).toBe(true);
    expect(o.alpha).toBeUndefined();
    const seeThrough = await sharp(img.data, raw).ensureAlpha(0.5).png().toBuffer();
    const t = await readImage(seeThrough);
    expect(Buffer.from(t.data).equals(Buffer.from(img.data))).toBe(true);
    expect(t.alpha?.length).toBe(40 * 24);
    expect(new Set(t.alpha)).toEqual(new Set([127])); // ensureAlpha(0.5)
    // and writes it back as RGBA, losslessly
    const back = await sharp(await encodePng(t)).raw().toBuffer({ resolveWithObject: true });
    expect(back.info.channels).toBe(4);
    expect(back.data[3]).toBe(127);
  });

  it('converts 16-bit images to 8 bits (high byte) with one warning', async () => {
    // A true 16-bit PNG: samples scaled to the full 0..65535 range.
    const wide = Uint16Array.from(img.data, (v) => v * 257);
    const deep = await sharp(wide, { raw: { ...raw.raw } }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const warnings: string[] = [];
    const back = await readImage(deep, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/16-bit samples converted to 8 bits/);
    expect(back.data.length).toBe(40 * 24 * 3);
    expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
  });

  it('warns about what it does not apply: a non-sRGB colour profile, an EXIF rotation', async () => {
    const base = sharp(img.data, raw);
    const cases: [Buffer, RegExp | null][] = [
      [await base.clone().withIccProfile('p3').png().toBuffer(), /ICC profile "sP3C" is not kept/],
      [await base.clone().withIccProfile('srgb').png().toBuffer(), null],
      [await base.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer(), /EXIF orientation 6 ignored/],
      [await base.clone().png().toBuffer(), null],
    ];
    for (const [bytes, expected] of cases) {
      const warnings: string[] = [];
      await readImage(bytes, { onWarning: (m) => warnings.push(m), name: 'x.img' });
      if (expected) {
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(expected);
        expect(warnings[0]).toMatch(/^x\.img: /);
      } else {
        expect(warnings).toEqual([]);
      }
    }
  });

  it('refuses an image too large from its header, before decoding pixels', async () => {
    const png = await encodePng(img);
    await expect(readImage(png, { maxPixels: 40 * 24 - 1 })).rejects.toThrow(/40x24 .* up to/);
    expect((await readImage(png, { maxPixels: 40 * 24 })).width).toBe(40);
  });

  it('refuses non-images, empty and missing files with InputError', async () => {
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'this is not an image');
    await expect(readImage(text)).rejects.toThrow(/not an image/);
    await expect(readImage(new Uint8Array())).rejects.toBeInstanceOf(InputError);
    await expect(readImage(path.join(dir, 'missing.png'))).rejects.toThrow(/cannot read/);
    const png = await encodePng(img);
    await expect(readImage(png.subarray(0, 60))).rejects.toBeInstanceOf(InputError);
  });
});

describe('writePng', () => {
  it('writes a PNG that reads back identical, leaving no temp file behind', async () => {
    const file = path.join(dir, 'out.png');
    await writePng(file, img);
    const bytes = await readFile(file);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(Buffer.from((await readImage(file)).data).equals(Buffer.from(img.data))).toBe(true);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
