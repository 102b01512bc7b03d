import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_BASELINES } from '../codecs/baselines/audio.js';
import { UsageError } from '../src/errors.js';
import { collectItems } from '../src/eval/inputs.js';
import { AUDIO_EVAL } from '../src/eval/modalities.js';
import { bdRateOf, evaluateWithStats } from '../src/eval/runner.js';
import type { EvalPoint, EvalResults } from '../src/eval/types.js';
import { encodeWav, readAudio } from '../src/io/audio.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { musicLike } from './helpers/signals.js';

const POINT_KEYS = ['quality', 'kbps', 'mel_distance', 'stft_distance', 'si_sdr', 'snr', 'enc_s', 'dec_s'];
const SECONDS = 2;
const clipAudio = musicLike(24000, SECONDS, 1);

let dir: string;
let clips: string; // a folder: clip.wav and a text file
let clip: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-audio-eval-'));
  clips = path.join(dir, 'clips');
  await mkdir(clips);
  clip = path.join(clips, 'clip.wav');
  await writeFile(clip, encodeWav(clipAudio, 'pcm16'));
  await writeFile(path.join(clips, 'notes.txt'), 'not audio: skipped inside folders');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('audio inputs', () => {
  it('finds audio files in a folder by content (WAV, Ogg Opus, ADTS AAC), skipping the rest', async () => {
    const folder = path.join(dir, 'mixed');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.wav'), await readFile(clip));
    await writeFile(path.join(folder, 'b.opus'), await AUDIO_BASELINES.opus.encode(clipAudio, 12));
    await writeFile(path.join(folder, 'c.bin'), await AUDIO_BASELINES.aac.encode(clipAudio, 32));
    await writeFile(path.join(folder, 'd.txt'), 'text');
    const { modality, items } = await collectItems([folder]);
    expect(modality).toBe('audio');
    expect(items.map((i) => path.basename(i.file))).toEqual(['a.wav', 'b.opus', 'c.bin']);
  });
});

describe('BD-rate on audio curves', () => {
  const [mel, siSdr] = AUDIO_EVAL.bdMetrics;
  const curve = (points: [number, number][]) =>
    points.map(([kbps, m], i) => ({ quality: i, kbps, mel_distance: m, si_sdr: 20 - 5 * m, enc_s: 0, dec_s: 0 }) as EvalPoint);
  const anchor = curve([[6, 3], [12, 2], [24, 1]]);

  it('is over mel distance with lower = better: half the bits for the same distance is −50 %', () => {
    expect(mel.key).toBe('mel_distance');
    expect(siSdr.key).toBe('si_sdr');
    const half = curve([[3, 3], [6, 2], [12, 1]]);
    expect(bdRateOf(anchor, half, 'kbps', 'mel_distance', mel.scale)).toBeCloseTo(-50, 9);
    expect(bdRateOf(anchor, half, 'kbps', 'si_sdr', siSdr.scale)).toBeCloseTo(-50, 9);
    expect(bdRateOf(half, anchor, 'kbps', 'mel_distance', mel.scale)).toBeCloseTo(100, 9);
  });

  it('is null for a flat curve or curves without a common range, and finite for a non-monotone one', () => {
    const flat = curve([[3, 3.6], [5, 3.6], [8, 3.6]]);
    expect(bdRateOf(anchor, flat, 'kbps', 'mel_distance', mel.scale)).toBeNull();
    const apart = curve([[3, 3.7], [5, 3.6], [8, 3.65]]); // like an untrained model: no overlap with 1–3
    expect(bdRateOf(anchor, apart, 'kbps', 'mel_distance', mel.scale)).toBeNull();
    const wobbly = curve([[4, 2.9], [8, 2.2], [16, 2.4], [32, 1.1]]);
    expect(Number.isFinite(bdRateOf(anchor, wobbly, 'kbps', 'mel_distance', mel.scale))).toBe(true);
  });
});

describe('lcodec eval on audio', () => {
  it('evaluates opus and audio-hyperprior on a clip: documented audio keys, sane values, BD-rates, cache', async () => {
    const cache = path.join(dir, 'cache');
    const run = () =>
      evaluateWithStats({ inputs: [clips], codecs: ['opus', 'audio-hyperprior'], qualities: { opus: [8, 24] }, cache });
    const { results, stats } = await run();
    expect(Object.keys(results)).toEqual(['modality', 'items', 'anchor', 'codecs', 'bd_rate']);
    expect([results.modality, results.items, results.anchor]).toEqual(['audio', 1, 'opus']);
    const opus = results.codecs.opus;
    const learned = results.codecs['audio-hyperprior'];
    expect(opus.map((p) => p.quality)).toEqual([8, 24]);
    expect(learned.map((p) => p.quality)).toEqual([0, 1, 2, 3, 4]);
    for (const p of [...opus, ...learned]) {
      expect(Object.keys(p)).toEqual(POINT_KEYS);
      for (const key of POINT_KEYS) expect(Number.isFinite(p[key]), key).toBe(true);
      expect(p.kbps).toBeGreaterThan(0);
      expect(p.mel_distance).toBeGreaterThan(0);
      expect(p.stft_distance).toBeGreaterThan(0);
    }
    // kbps is the real file size over the clip's duration, near Opus's target.
    const bytes = await AUDIO_BASELINES.opus.encode(await readAudio(clip), 24);
    expect(opus[1].kbps).toBeCloseTo((bytes.length * 8) / SECONDS / 1000, 9);
    for (const p of opus) expect(Math.abs((p.kbps as number) / p.quality - 1)).toBeLessThan(0.3);
    expect(opus[1].mel_distance).toBeLessThan(opus[0].mel_distance as number);
    expect(opus[1].si_sdr).toBeGreaterThan(opus[0].si_sdr as number);
    expect(results.bd_rate.opus).toEqual({ mel_distance: 0, si_sdr: 0 });
    expect(Object.keys(results.bd_rate['audio-hyperprior'])).toEqual(['mel_distance', 'si_sdr']);
    expect(stats).toEqual({ measurements: 7, cached: 0 });
    const again = await run();
    expect(again.stats).toEqual({ measurements: 7, cached: 7 });
    expect(again.results).toEqual(results);
  });

  it('takes any bitrate in the codec\'s range, and names the range otherwise', async () => {
    await expect(evaluateWithStats({ inputs: [clip], codecs: ['opus'], qualities: [300], cache: false })).rejects.toThrow(
      /quality for opus must be an integer 6\.\.256, not 300/,
    );
    await expect(evaluateWithStats({ inputs: [clip], codecs: ['mp3'], qualities: [20], cache: false })).rejects.toThrow(
      UsageError,
    );
  });

  it('runs from the CLI with --plot (mel distance and SI-SDR) and exits 2 on a corrupt audio file', async () => {
    ensureBuilt();
    const plot = path.join(dir, 'rd.svg');
    const args = ['eval', clip, '--codecs', 'opus,audio-hyperprior', '--qualities', 'opus=6,12', '--no-cache', '--out', '-'];
    const r = await runCli([...args, '--plot', plot]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as EvalResults;
    expect([json.modality, json.anchor]).toEqual(['audio', 'opus']);
    expect(Object.keys(json.codecs)).toEqual(['opus', 'audio-hyperprior']);
    for (const points of Object.values(json.codecs)) for (const p of points) expect(Object.keys(p)).toEqual(POINT_KEYS);
    expect(Object.keys(json.bd_rate['audio-hyperprior'])).toEqual(['mel_distance', 'si_sdr']);
    expect(r.stderr).toMatch(/BD-rate Mel distance/);
    expect(await readFile(plot, 'utf8')).toMatch(/Mel distance \(lower is better\)/);
    expect(await readFile(path.join(dir, 'rd-si_sdr.svg'), 'utf8')).toMatch(/SI-SDR \[dB\]/);

    const bad = path.join(dir, 'bad.wav');
    const wav = await readFile(clip);
    await writeFile(bad, Buffer.concat([wav.subarray(0, 12), Buffer.from('garbage, not a fmt chunk '.repeat(20))]));
    const b = await runCli(['eval', bad, '--codecs', 'opus', '--no-cache']);
    expect(b.code).toBe(2);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(/bad\.wav/);
  });
});
