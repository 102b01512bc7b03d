/**
 * The learned image codec end to end: library and CLI round trips on the bundled sample
 * with the installed hyperprior-mse model, and consistency with what `eval` reports.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, encode, inspect } from '../src/api.js';
import { evaluate } from '../src/eval/runner.js';
import { readImage } from '../src/io/image.js';
import { psnr } from '../src/metrics/image.js';
import { packageRoot, sharedDataDir } from '../src/paths.js';
import { readdirSync } from 'node:fs';

const run = promisify(execFile);
const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const SAMPLE = join(packageRoot(), 'samples', 'landscape.png');
const tmp = mkdtempSync(join(tmpdir(), 'lcodec-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hyperprior-mse through the library', () => {
  it('round-trips the sample at the lowest and highest quality; more quality costs more bits', async () => {
    const img = await readImage(SAMPLE);
    const sizes: number[] = [];
    for (const quality of [0, 7]) {
      const bytes = await encode(img, { model: 'hyperprior-mse', quality });
      const info = inspect(bytes);
      expect(info).toMatchObject({ modality: 'image', model: 'hyperprior-mse', quality, width: img.width, height: img.height });
      const back = await decode(bytes);
      expect(back.modality).toBe('image');
      if (back.modality !== 'image') return;
      expect(back.image.width).toBe(img.width);
      expect(back.image.height).toBe(img.height);
      expect(Number.isFinite(psnr(img, back.image))).toBe(true);
      sizes.push(bytes.length);
    }
    expect(sizes[1]!).toBeGreaterThan(sizes[0]! * 2);
  });

  it('encodes deterministically and handles sizes that are not multiples of the stride', async () => {
    const img = await readImage(SAMPLE);
    const crop = { width: 67, height: 13, data: new Uint8Array(67 * 13 * 3) };
    for (let r = 0; r < 13; r++) crop.data.set(img.data.subarray(r * img.width * 3, (r * img.width + 67) * 3), r * 67 * 3);
    const a = await encode(crop, { quality: 3 });
    const b = await encode(crop, { quality: 3 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const back = await decode(a);
    if (back.modality !== 'image') throw new Error('expected an image');
    expect([back.image.width, back.image.height]).toEqual([67, 13]);
  });
});

describe('hyperprior-mse through the CLI', () => {
  it('encode → info → decode; the PNG matches the library decode and eval reports the same bits and PSNR', async () => {
    const lc = join(tmp, 'sample.lc');
    const png = join(tmp, 'sample.png');
    const enc = await run(process.execPath, [CLI, 'encode', SAMPLE, '-o', lc, '-m', 'hyperprior-mse', '-q', '2']);
    expect(enc.stdout).toMatch(/bpp/);
    const bytes = new Uint8Array(readFileSync(lc));
    const info = JSON.parse((await run(process.execPath, [CLI, 'info', lc, '--json'])).stdout) as { bytes: number; bpp: number };
    expect(info.bytes).toBe(statSync(lc).size);
    await run(process.execPath, [CLI, 'decode', lc, '-o', png]);
    const decoded = await readImage(png);
    const viaLib = await decode(bytes);
    if (viaLib.modality !== 'image') throw new Error('expected an image');
    expect(Buffer.from(decoded.data).equals(Buffer.from(viaLib.image.data))).toBe(true);

    const original = await readImage(SAMPLE);
    const results = await evaluate({ inputs: [SAMPLE], codecs: ['hyperprior-mse'], qualities: [2], cache: false, jobs: 1 });
    const point = results.codecs['hyperprior-mse']![0]!;
    expect(point.bpp).toBeCloseTo((bytes.length * 8) / (original.width * original.height), 10);
    expect(point.psnr).toBeCloseTo(psnr(original, decoded), 6);
  });

  it('refuses to overwrite without --force and leaves the existing file untouched', async () => {
    const lc = join(tmp, 'exists.lc');
    await run(process.execPath, [CLI, 'encode', SAMPLE, '-o', lc, '-q', '0']);
    const before = readFileSync(lc);
    const err = await run(process.execPath, [CLI, 'encode', SAMPLE, '-o', lc, '-q', '5']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(lc).equals(before)).toBe(true);
    await run(process.execPath, [CLI, 'encode', SAMPLE, '-o', lc, '-q', '5', '--force']);
    expect(readFileSync(lc).equals(before)).toBe(false);
    expect(existsSync(lc)).toBe(true);
  });
});

const kodak = sharedDataDir() ? join(sharedDataDir()!, 'images', 'kodak') : undefined;
if (!kodak) console.warn('skipping the Kodak round trip: ../shared/data is absent');

describe('hyperprior-mse on all of Kodak', () => {
  it.skipIf(!kodak)('round-trips every Kodak image through the library: same size, finite PSNR, bits = file length', async () => {
    const files = readdirSync(kodak!).filter((f) => f.endsWith('.png')).sort();
    expect(files).toHaveLength(24);
    for (const f of files) {
      const img = await readImage(join(kodak!, f));
      const bytes = await encode(img, { quality: 2 });
      expect(inspect(bytes).bpp).toBeCloseTo((bytes.length * 8) / (img.width * img.height), 12);
      const back = await decode(bytes);
      if (back.modality !== 'image') throw new Error('expected an image');
      expect([back.image.width, back.image.height]).toEqual([img.width, img.height]);
      expect(Number.isFinite(psnr(img, back.image))).toBe(true);
    }
  }, 600_000);
});
