/**
 * lcodec/web in a real browser: headless Chromium (Debian's, driven by playwright-core) opens
 * web/index.html from a static HTTP server on the repository root. Files made by the Node CLI
 * decode in the page, for every image model, to the same latents (the digest of ẑ, scale
 * indexes, means and symbols) and to pixels within 50 dB of the CLI's decode; damaged files end
 * in an error status; an image encoded in the page decodes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import { latentsDigest } from '../codecs/learned/hyperprior.js';
import { decode as apiDecode } from '../src/api.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { readImage, writePng } from '../src/io/image.js';
import { psnr } from '../src/metrics/image.js';
import { DEFAULT_MODEL, DEFAULT_QUALITY, listModels, loadModel } from '../codecs/models.js';
import { DEFAULT_IMAGE_MODEL, DEFAULT_IMAGE_QUALITY } from '../src/web/index.js';
import { ROOT, ensureBuilt, runCli } from './helpers/cli.js';
import { SHARED_DATA } from './helpers/data.js';
import { serveFolder, type StaticServer } from './helpers/static-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IMAGE_MODELS = listModels().filter((m) => m.modality === 'image').map((m) => m.name);
const KODIM23 = join(SHARED_DATA, 'images', 'kodak', 'kodim23.png');
/** Quality used for each model's small test file. */
const QUALITY = 4;

const tmp = mkdtempSync(join(tmpdir(), 'lcodec-web-'));
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM}: install it (scripts/setup.sh) or set CHROMIUM_PATH`);
  // A 128 × 128 crop of the bundled sample: small enough to keep every browser decode quick.
  const sample = await readImage(join(ROOT, 'samples', 'landscape.png'));
  const side = 128;
  const crop = { width: side, height: side, data: new Uint8Array(side * side * 3) };
  for (let r = 0; r < side; r++) crop.data.set(sample.data.subarray((r + 40) * sample.width * 3 + 60 * 3, (r + 40) * sample.width * 3 + (60 + side) * 3), r * side * 3);
  await writePng(join(tmp, 'small.png'), crop);
  server = await serveFolder(ROOT);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** `lcodec encode` then `lcodec decode`: the .lc file and the CLI's decoded PNG. */
async function cliRoundTrip(input: string, model: string, quality: number, name: string): Promise<{ lc: string; png: string }> {
  const lc = join(tmp, `${name}.lc`);
  const png = join(tmp, `${name}.png`);
  const enc = await runCli(['encode', input, '-m', model, '-q', String(quality), '-o', lc, '-f']);
  expect(enc.code, enc.stderr).toBe(0);
  const dec = await runCli(['decode', lc, '-o', png, '-f']);
  expect(dec.code, dec.stderr).toBe(0);
  return { lc, png };
}

/** Opens the demo page, gives it a file and waits for its final status. */
async function runPage(file: string): Promise<{ page: Page; status: string; seconds: number }> {
  const page = await browser.newPage();
  await page.goto(`${server.url}web/index.html`);
  await page.waitForFunction(() => (window as { lcodec?: unknown }).lcodec !== undefined);
  const t0 = performance.now();
  await page.setInputFiles('#lc-file', file);
  await page.waitForFunction(() => !['idle', 'working'].includes(document.body.dataset.status ?? ''), undefined, { timeout: 90_000 });
  const seconds = (performance.now() - t0) / 1000;
  return { page, status: (await page.evaluate(() => document.body.dataset.status))!, seconds };
}

/** The canvas's pixels, read back losslessly as a PNG. */
async function canvasImage(page: Page) {
  const url = await page.evaluate(() => (document.getElementById('lc-canvas') as HTMLCanvasElement).toDataURL('image/png'));
  return readImage(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
}

/** The page's digest of a file's decoded latents (lcodec/web latentsDigest). */
function pageDigest(page: Page, bytes: Uint8Array): Promise<{ symbols: string; means: string }> {
  return page.evaluate(async (arr) => {
    const w = window as unknown as { lcodec: { latentsDigest(b: Uint8Array, o: object): Promise<{ symbols: string; means: string }> }; lcodecModelBaseUrl: string };
    return w.lcodec.latentsDigest(Uint8Array.from(arr), { modelBaseUrl: w.lcodecModelBaseUrl });
  }, Array.from(bytes));
}

/** Node's digest of the same file's decoded latents. */
async function nodeDigest(model: string, bytes: Uint8Array): Promise<{ symbols: string; means: string }> {
  return latentsDigest(await (loadModel(model) as LearnedImageCodec).decodeSymbols(bytes));
}

const info = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)!.textContent, id);

describe('lcodec/web in headless Chromium', () => {
  it('uses the CLI defaults for images', () => {
    expect([DEFAULT_IMAGE_MODEL, DEFAULT_IMAGE_QUALITY]).toEqual([DEFAULT_MODEL.image, DEFAULT_QUALITY]);
  });

  it('bundles no import of a Node built-in', () => {
    const bundle = readFileSync(join(ROOT, 'dist', 'web', 'lcodec.js'), 'utf8');
    expect(bundle.match(/(?:from|import)\s*\(?\s*["'](?:node:[^"']*|fs|path|os|crypto|zlib|buffer|stream|url|util|worker_threads)["']/g)).toBeNull();
    expect(bundle).not.toMatch(/\bBuffer\.from\(/);
  });

  it.each(IMAGE_MODELS)('decodes a %s file from the CLI to the same latents and pixels (≥ 50 dB)', async (model) => {
    const { lc, png } = await cliRoundTrip(join(tmp, 'small.png'), model, QUALITY, model);
    const bytes = new Uint8Array(readFileSync(lc));
    const { page, status } = await runPage(lc);
    try {
      expect(status).toBe('done');
      expect(await info(page, 'lc-model')).toBe(model);
      expect(await info(page, 'lc-quality')).toBe(String(QUALITY));
      expect(await info(page, 'lc-size')).toBe(`${bytes.length} bytes`);
      expect(await pageDigest(page, bytes)).toEqual(await nodeDigest(model, bytes));
      const shown = await canvasImage(page);
      expect([shown.width, shown.height]).toEqual([128, 128]);
      expect(psnr(shown, await readImage(png))).toBeGreaterThanOrEqual(50);
    } finally {
      await page.close();
    }
  });

  it('ends in an error status for damaged, truncated and foreign files', async () => {
    const { lc } = await cliRoundTrip(join(tmp, 'small.png'), DEFAULT_IMAGE_MODEL, QUALITY, 'to-damage');
    const good = readFileSync(lc);
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    // Intact but naming a model the server does not have: the fetch fails, the page says so.
    const c = readContainer(good);
    const foreignModel = Buffer.from(writeContainer({ ...c, model: 'no-such-model' }));
    const cases: [string, Buffer, RegExp][] = [
      ['flipped.lc', flipped, /^error: corrupt \.lc file \(checksum mismatch/],
      ['truncated.lc', good.subarray(0, good.length - 7), /^error: corrupt \.lc file/],
      ['other-model.lc', foreignModel, /^error: cannot fetch \S*\/models\/no-such-model\/card\.json: HTTP 404/],
      ['notes.txt', Buffer.from('not an image, not an lc file'), /^error: notes\.txt is neither an \.lc file nor an image/],
    ];
    for (const [name, data, expected] of cases) {
      writeFileSync(join(tmp, name), data);
      const { page, status } = await runPage(join(tmp, name));
      await page.close();
      expect(status, name).toMatch(expected);
    }
  });

  it('encodes an image in the page; the file decodes in Node to the same pixels', async () => {
    const { page, status } = await runPage(join(tmp, 'small.png'));
    try {
      expect(status).toBe('done');
      expect(await info(page, 'lc-model')).toBe(DEFAULT_IMAGE_MODEL);
      const made = Uint8Array.from(await page.evaluate(() => Array.from((window as unknown as { lcodecLast: { bytes: Uint8Array } }).lcodecLast.bytes)));
      const back = await apiDecode(made);
      if (back.modality !== 'image') throw new Error('expected an image');
      const original = await readImage(join(tmp, 'small.png'));
      expect(psnr(back.image, original)).toBeGreaterThan(25);
      expect(psnr(await canvasImage(page), back.image)).toBeGreaterThanOrEqual(50);
      // The browser's encoder wrote symbols that Node reads back exactly as the page does.
      expect(await pageDigest(page, made)).toEqual(await nodeDigest(DEFAULT_IMAGE_MODEL, made));
      // Options are checked by the library's one option checker, in the page too.
      const refused = await page.evaluate(async () => {
        const w = window as unknown as { lcodec: { encode(i: object, o: object): Promise<Uint8Array> }; lcodecModelBaseUrl: string };
        const img = { width: 2, height: 2, data: new Uint8ClampedArray(16) };
        const tries = [{ quality: 42 }, { model: 'hyperprior-msssim', quality: 1.5 }];
        const out = await Promise.all(tries.map((o) => w.lcodec.encode(img, { ...o, modelBaseUrl: w.lcodecModelBaseUrl }).then(() => 'accepted', (e: Error) => `${e.name}: ${e.message}`)));
        out.push(await w.lcodec.encode({ width: 3, height: 2, data: new Uint8ClampedArray(16) }, { modelBaseUrl: w.lcodecModelBaseUrl }).then(() => 'accepted', (e: Error) => `${e.name}: ${e.message}`));
        return out;
      });
      expect(refused).toEqual([
        'UsageError: quality for channel-mse must be an integer 0..11, not 42',
        'UsageError: quality for hyperprior-msssim must be an integer 0..10, not 1.5',
        'UsageError: image data must be 24 bytes (RGBA, 3x2), not 16 bytes',
      ]);
      const nodeMade = await (loadModel(DEFAULT_IMAGE_MODEL) as LearnedImageCodec).encode(original, DEFAULT_IMAGE_QUALITY);
      console.log(`128×128 encoded in Chromium: ${made.length} bytes; by Node: ${nodeMade.length} bytes; ${Buffer.from(made).equals(Buffer.from(nodeMade)) ? 'identical' : 'different'} files`);
    } finally {
      await page.close();
    }
  });

  it.skipIf(!existsSync(KODIM23))(`decodes kodim23 (${DEFAULT_IMAGE_MODEL} q4) within 50 dB of the CLI in under 60 s, to the same latents`, async () => {
    const { lc, png } = await cliRoundTrip(KODIM23, DEFAULT_IMAGE_MODEL, 4, 'kodim23');
    const { page, status, seconds } = await runPage(lc);
    try {
      expect(status).toBe('done');
      const db = psnr(await canvasImage(page), await readImage(png));
      console.log(`kodim23 in Chromium: PSNR ${db.toFixed(2)} dB vs the CLI's decode, ${seconds.toFixed(1)} s (page: ${await info(page, 'lc-time')})`);
      if (process.env.LCODEC_WEB_SCREENSHOT) await page.screenshot({ path: process.env.LCODEC_WEB_SCREENSHOT, fullPage: true });
      expect(db).toBeGreaterThanOrEqual(50);
      expect(seconds).toBeLessThan(60);
      const bytes = new Uint8Array(readFileSync(lc));
      expect(await pageDigest(page, bytes)).toEqual(await nodeDigest(DEFAULT_IMAGE_MODEL, bytes));
    } finally {
      await page.close();
    }
  });
});

if (!existsSync(KODIM23)) console.warn(`web.test.ts: ${KODIM23} is absent, so the kodim23 decode in Chromium is skipped`);
