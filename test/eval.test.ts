import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCodec } from '../codecs/registry.js';
import type { RgbImage } from '../src/media.js';
import type { ImageCodec } from '../codecs/types.js';
import { InputError, UsageError } from '../src/errors.js';
import { resultsToCsv } from '../src/eval/csv.js';
import { evaluate, evaluateWithStats } from '../src/eval/runner.js';
import type { EvalResults } from '../src/eval/types.js';
import { encodePng } from '../src/io/image.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { smoothImage } from './helpers/synthetic.js';

const RESULT_KEYS = ['modality', 'items', 'anchor', 'codecs', 'bd_rate'];
const POINT_KEYS = ['quality', 'bpp', 'psnr', 'ms_ssim', 'enc_s', 'dec_s'];

let dir: string;
let images: string;
const originals: RgbImage[] = [
  smoothImage(176, 168, 1),
  smoothImage(200, 170, 2),
  smoothImage(168, 192, 3),
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-eval-'));
  images = path.join(dir, 'images');
  await mkdir(path.join(images, 'sub'), { recursive: true });
  await writeFile(path.join(images, 'a.png'), await encodePng(originals[0]));
  await writeFile(path.join(images, 'b.png'), await encodePng(originals[1]));
  await writeFile(path.join(images, 'sub', 'c.dat'), await encodePng(originals[2])); // found by content
  await writeFile(path.join(images, 'README.txt'), 'not an image: skipped inside folders');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function checkSpecShape(r: EvalResults, codecs: string[]): void {
  expect(Object.keys(r)).toEqual(RESULT_KEYS);
  expect(r.modality).toBe('image');
  expect(Object.keys(r.codecs)).toEqual(codecs);
  expect(Object.keys(r.bd_rate)).toEqual(codecs);
  for (const name of codecs) {
    const points = r.codecs[name];
    expect(points.length).toBeGreaterThanOrEqual(2);
    for (const p of points) {
      expect(Object.keys(p)).toEqual(POINT_KEYS);
      expect(p.bpp).toBeGreaterThan(0);
      expect(p.bpp).toBeLessThan(24);
      expect(p.psnr).toBeGreaterThan(20);
      expect(p.psnr).toBeLessThan(70);
      expect(p.ms_ssim).toBeGreaterThan(0.5);
      expect(p.ms_ssim).toBeLessThanOrEqual(1);
      expect(p.enc_s).toBeGreaterThan(0);
      expect(p.dec_s).toBeGreaterThan(0);
    }
    // Ascending quality → more bits and higher PSNR.
    for (let i = 1; i < points.length; i++) {
      expect(points[i].quality).toBeGreaterThan(points[i - 1].quality);
      expect(points[i].bpp).toBeGreaterThan(points[i - 1].bpp as number);
      expect(points[i].psnr).toBeGreaterThan(points[i - 1].psnr as number);
    }
    expect(Object.keys(r.bd_rate[name])).toEqual(['psnr', 'ms_ssim']);
  }
  expect(r.bd_rate[r.anchor]).toEqual({ psnr: 0, ms_ssim: 0 });
}

describe('evaluate()', () => {
  it('produces the documented results (docs/EVAL.md) for 3 images: keys, sane values, per-item averages', async () => {
    const cache = path.join(dir, 'cache-a');
    const r = await evaluate({
      inputs: [images],
      codecs: ['webp', 'jpeg'],
      qualities: { jpeg: [20, 50, 80], webp: [20, 50, 80] },
      cache,
    });
    checkSpecShape(r, ['webp', 'jpeg']);
    expect(r.items).toBe(3);
    expect(r.anchor).toBe('jpeg');
    expect(typeof r.bd_rate.webp.psnr).toBe('number');

    // bpp and PSNR are means of the per-image values (CompressAI's convention).
    const jpeg = (await getCodec('jpeg')) as ImageCodec;
    let bpp = 0;
    for (const img of originals) bpp += ((await jpeg.encode(img, 50)).length * 8) / (img.width * img.height);
    expect(r.codecs.jpeg[1].bpp).toBeCloseTo(bpp / 3, 12);
  });

  it('re-runs from the cache, computing only what changed', async () => {
    const cache = path.join(dir, 'cache-b');
    const opts = { inputs: [images], codecs: ['jpeg'], qualities: [30, 60], cache };
    const first = await evaluateWithStats(opts);
    expect(first.stats).toEqual({ measurements: 6, cached: 0 });
    const second = await evaluateWithStats(opts);
    expect(second.stats).toEqual({ measurements: 6, cached: 6 });
    expect(second.results).toEqual(first.results); // timings included: they come from the cache

    // One more quality → only 3 new measurements; one more image → only its 3.
    const third = await evaluateWithStats({ ...opts, qualities: [30, 60, 90] });
    expect(third.stats).toEqual({ measurements: 9, cached: 6 });
    const extra = path.join(dir, 'extra.png');
    await writeFile(extra, await encodePng(smoothImage(170, 170, 9)));
    const fourth = await evaluateWithStats({ ...opts, inputs: [images, extra], qualities: [30, 60, 90] });
    expect(fourth.stats).toEqual({ measurements: 12, cached: 9 });

    // No cache: everything computed.
    const fresh = await evaluateWithStats({ ...opts, cache: false });
    expect(fresh.stats.cached).toBe(0);
  });

  it('writes one CSV row per point', async () => {
    const r = await evaluate({ inputs: [images], codecs: ['jpeg'], qualities: [40, 70], cache: false });
    const lines = resultsToCsv(r).trimEnd().split('\n');
    expect(lines[0]).toBe('codec,quality,bpp,psnr,ms_ssim,enc_s,dec_s');
    expect(lines).toHaveLength(3);
    const cells = lines[1].split(',');
    expect(cells[0]).toBe('jpeg');
    expect(Number(cells[2])).toBeCloseTo(r.codecs.jpeg[0].bpp as number, 12);
  });

  it('adds an explicit anchor to the run and rejects bad requests clearly', async () => {
    const r = await evaluate({ inputs: [images], codecs: ['webp'], anchor: 'jpeg', qualities: [30, 60], cache: false });
    expect(Object.keys(r.codecs)).toEqual(['jpeg', 'webp']);
    await expect(evaluate({ inputs: [images], codecs: ['nope'], cache: false })).rejects.toThrow(UsageError);
    await expect(evaluate({ inputs: [images], codecs: ['x265'], qualities: [99], cache: false })).rejects.toThrow(
      /quality for x265 must be an integer 0\.\.51, not 99/,
    );
    await expect(evaluate({ inputs: [path.join(images, 'README.txt')], codecs: ['jpeg'], cache: false })).rejects.toThrow(
      InputError,
    );
    await expect(evaluate({ inputs: [path.join(dir, 'missing')], codecs: ['jpeg'], cache: false })).rejects.toThrow(
      /no such file/,
    );
  });

  it('evaluates codecs registered at run time (in this thread, whatever --jobs says)', async () => {
    const { registerCodec } = await import('../codecs/registry.js');
    const jpeg = (await getCodec('jpeg')) as ImageCodec;
    registerCodec({
      name: 'test-jpeg-copy',
      modality: 'image',
      kind: 'learned',
      description: 'jpeg under another name',
      create: () => ({ ...jpeg, name: 'test-jpeg-copy', qualities: [30, 70], encode: jpeg.encode.bind(jpeg), decode: jpeg.decode.bind(jpeg) }),
      version: () => 'test-1',
    });
    const r = await evaluate({ inputs: [images], codecs: ['jpeg', 'test-jpeg-copy'], qualities: [30, 70], jobs: 2, cache: false });
    expect(r.bd_rate['test-jpeg-copy'].psnr).toBeCloseTo(0, 9);
    await expect(
      evaluate({ inputs: [images], codecs: ['test-jpeg-copy'], qualities: [50], cache: false }),
    ).rejects.toThrow(/quality for \S+ must be 30 or 70, not 50/);
  });

  it('reports MS-SSIM as null for images too small for 5 scales', async () => {
    const small = path.join(dir, 'small.png');
    await writeFile(small, await encodePng(smoothImage(64, 64, 4)));
    const r = await evaluate({ inputs: [small], codecs: ['jpeg'], qualities: [30, 60], cache: false });
    expect(r.codecs.jpeg[0].ms_ssim).toBeNull();
    expect(r.bd_rate.jpeg).toEqual({ psnr: 0, ms_ssim: null });
  });
});

describe('lcodec eval (CLI, worker threads)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('runs jpeg and x265 with --jobs 2, writes JSON and CSV, stays quiet when piped, and caches', async () => {
    const out = path.join(dir, 'results.json');
    const csv = path.join(dir, 'results.csv');
    const cache = path.join(dir, 'cache-cli');
    const args = ['eval', images, '--codecs', 'jpeg,x265', '--qualities', 'jpeg=30,60,85', '--qualities', 'x265=15,25,35',
      '--jobs', '2', '--out', out, '--csv', csv, '--cache', cache];
    const first = await runCli(args);
    expect(first.stderr).toMatch(/18 measurements, 0 from cache/);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toMatch(/\r/); // no progress bar on a pipe
    expect(first.stdout).toMatch(/x265 .*%/);
    const r = JSON.parse(await readFile(out, 'utf8')) as EvalResults;
    checkSpecShape(r, ['jpeg', 'x265']);
    expect(r.items).toBe(3);
    expect(r.bd_rate.x265.psnr).toBeLessThan(0); // HEVC intra beats JPEG
    expect((await readFile(csv, 'utf8')).trimEnd().split('\n')).toHaveLength(7);

    // Existing outputs are kept unless --force; the re-run is served from the cache.
    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; use --force/);
    const forced = await runCli([...args, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/18 measurements, 18 from cache/);
  });

  it('--reference with a missing file is an input error (exit 2)', async () => {
    const r = await runCli(['eval', images, '--codecs', 'jpeg', '--no-cache', '--reference', path.join(dir, 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reference curves not found/);
  });

  it('exits 1 on usage errors and 2 on bad input, with one clear line', async () => {
    const unknown = await runCli(['eval', images, '--codecs', 'jpeg,foo', '--no-cache']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^lcodec: unknown codec "foo"/);
    const bad = await runCli(['eval', path.join(images, 'README.txt'), '--codecs', 'jpeg', '--no-cache']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const jobs = await runCli(['eval', images, '--codecs', 'jpeg', '--jobs', '0']);
    expect(jobs.code).toBe(1);
  });

  it('--out - prints the JSON on stdout and the summary on stderr', async () => {
    const r = await runCli(['eval', path.join(images, 'a.png'), '--codecs', 'jpeg', '--qualities', '40,80', '--out', '-', '--no-cache']);
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(RESULT_KEYS);
    expect(r.stderr).toMatch(/BD-rate vs jpeg/);
  });
});
