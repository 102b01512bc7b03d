import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Video } from '../src/media.js';
import { UsageError } from '../src/errors.js';
import { evaluateWithStats } from '../src/eval/runner.js';
import { collectVideo, readVideo } from '../src/io/video.js';
import { PSNR_CAP, videoMetrics } from '../src/metrics/video.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { makeClip, smoothFrames } from './helpers/video.js';

const POINT_KEYS = ['quality', 'bpp', 'kbps', 'psnr', 'psnr_y', 'ms_ssim', 'enc_s', 'dec_s'];

let dir: string;
let clip: string; // 176×176 (MS-SSIM needs > 160 px), 6 frames at 24 fps
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-video-eval-'));
  clip = path.join(dir, 'clip.y4m');
  await makeClip(clip, { width: 176, height: 176, frames: 6, rate: '24' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('video metrics', () => {
  it('follow their definitions: bits per pixel per frame, kbit/s, capped PSNR of identical frames', async () => {
    const video: Video = { width: 40, height: 30, fps: [25, 2], frames: smoothFrames(40, 30, 5) };
    const m = await videoMetrics(video, video, 1000);
    expect(m.frames).toBe(5);
    expect(m.bpp).toBeCloseTo(8000 / (40 * 30 * 5), 12);
    expect(m.kbps).toBeCloseTo(8000 / (5 / 12.5) / 1000, 12);
    expect([m.psnr, m.psnr_y]).toEqual([PSNR_CAP, PSNR_CAP]);
    expect(m.ms_ssim).toBeNaN(); // 30 px: too small for 5 scales
    const shorter = { ...video, frames: smoothFrames(40, 30, 4) };
    await expect(videoMetrics(video, shorter, 1000)).rejects.toThrow(/fewer frames/);
    await expect(videoMetrics(video, { ...video, width: 42 }, 1000)).rejects.toThrow(RangeError);
  });

  it('average per-frame PSNR, not the PSNR of the pooled error', async () => {
    const original = await collectVideo({ width: 40, height: 30, fps: [25, 1], frames: smoothFrames(40, 30, 2) });
    const decoded = original.frames.map((f, k) => ({ ...f, data: f.data.map((v, i) => (k === 0 && i % 3 === 0 ? v ^ 1 : v)) }));
    const m = await videoMetrics(original, { ...original, frames: decoded }, 1);
    // Frame 0: one channel in three off by one → MSE 1/3 → 54.77 dB; frame 1 identical → 100 dB.
    expect(m.psnr).toBeCloseTo((10 * Math.log10(255 ** 2 * 3) + PSNR_CAP) / 2, 6);
  });
});

describe('lcodec eval on video', () => {
  it('produces the documented video keys per point, counts progress in frames, and caches', async () => {
    const cache = path.join(dir, 'cache');
    const progress: [number, number, string][] = [];
    const run = () =>
      evaluateWithStats({
        inputs: [clip],
        codecs: ['x264', 'x265'],
        qualities: [16, 26],
        cache,
        onProgress: (done, total, unit) => progress.push([done, total, unit]),
      });
    const { results, stats } = await run();
    expect(Object.keys(results)).toEqual(['modality', 'items', 'anchor', 'codecs', 'bd_rate']);
    expect([results.modality, results.items, results.anchor]).toEqual(['video', 1, 'x264']);
    const reference = await collectVideo(await readVideo(clip));
    for (const name of ['x264', 'x265']) {
      const points = results.codecs[name];
      expect(points.map((p) => p.quality)).toEqual([16, 26]);
      for (const p of points) {
        expect(Object.keys(p)).toEqual(POINT_KEYS);
        expect(p.kbps).toBeCloseTo(((p.bpp as number) * 176 * 176 * 6) / (6 / 24) / 1000, 6);
        expect(p.psnr).toBeGreaterThan(20);
        expect(p.psnr_y).toBeGreaterThan(p.psnr as number); // testsrc2's colours: chroma errors weigh on RGB
        expect(p.ms_ssim).toBeGreaterThan(0.8);
        expect(p.ms_ssim).toBeLessThanOrEqual(1);
        expect(p.enc_s).toBeGreaterThan(0);
        expect(p.dec_s).toBeGreaterThan(0);
      }
      expect(points[1].bpp).toBeGreaterThan(points[0].bpp as number);
      expect(points[1].psnr).toBeGreaterThan(points[0].psnr as number);
      expect(Object.keys(results.bd_rate[name])).toEqual(['psnr', 'psnr_y', 'ms_ssim']);
    }
    expect(reference.frames.length).toBe(6);
    // 2 codecs × 2 qualities × 6 frames, counted up to the total.
    expect(progress[0]).toEqual([0, 24, 'frames']);
    expect(progress.at(-1)).toEqual([24, 24, 'frames']);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThan(progress[i - 1][0]);
    expect(stats).toEqual({ measurements: 4, cached: 0 });
    const again = await run();
    expect(again.stats).toEqual({ measurements: 4, cached: 4 });
    expect(again.results).toEqual(results);
  });

  it('refuses an image codec on video inputs', async () => {
    await expect(evaluateWithStats({ inputs: [clip], codecs: ['jpeg'], cache: false })).rejects.toThrow(UsageError);
    await expect(evaluateWithStats({ inputs: [clip], codecs: ['jpeg'], cache: false })).rejects.toThrow(
      /jpeg is for image, but the inputs are video/,
    );
  });

  it('runs from the CLI: `lcodec eval clip --codecs x264,x265` prints the JSON, no progress bar on a pipe', async () => {
    ensureBuilt();
    const r = await runCli(['eval', clip, '--codecs', 'x264,x265', '--qualities', '20', '--no-cache', '--out', '-']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { modality: string; codecs: Record<string, Record<string, number>[]> };
    expect(json.modality).toBe('video');
    expect(Object.keys(json.codecs.x265[0])).toEqual(POINT_KEYS);
    expect(r.stderr).not.toMatch(/\r/);
  });
});
