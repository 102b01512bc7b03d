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

  it('drops an opaque alpha channel and refuses real transparency', async () => {
    const opaque = await sharp(img.data, raw).ensureAlpha(1).png().toBuffer();
    expect(Buffer.from((await readImage(opaque)).data).equals(Buffer.from(img.data))).toBe(true);
    const seeThrough = await sharp(img.data, raw).ensureAlpha(0.5).png().toBuffer();
    await expect(readImage(seeThrough)).rejects.toThrow(/transparency/);
    await expect(readImage(seeThrough)).rejects.toBeInstanceOf(InputError);
  });

  it('refuses 16-bit images with a clear message', async () => {
    const deep = await sharp(img.data, raw).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    await expect(readImage(deep)).rejects.toThrow(/16-bit/);
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
