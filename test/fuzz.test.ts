/**
 * Damaged `.lc` files end in a decoded result or a clean one-line error (exit code 2), never
 * a crash, a hang or a runaway allocation. A fast subset of bench/fuzz.ts (which runs
 * 10,000+ cases per modality): for every fuzz target (bench/fuzz-harness.ts FUZZ_TARGETS) a
 * few hundred cases in-process, every boundary truncation, and a handful through the real
 * CLI; then the regression cases of what the full runs found. A target whose model is not
 * installed (a model still in training; LCODEC_MODELS points at another model folder) is
 * skipped.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIO_TARGET,
  boundaryTruncations,
  CASE_LIMIT_MS,
  FUZZ_TARGETS,
  IMAGE_TARGET,
  isCleanError,
  makeCase,
  runCase,
  summarize,
  VIDEO_TARGET,
  type CaseResult,
  type FuzzTarget,
} from '../bench/fuzz-harness.js';
import { decode, decodeAudioToWav } from '../src/api.js';
import { readContainer, writeContainer, type Container } from '../src/container/index.js';
import { InputError } from '../src/errors.js';
import { listModels, loadModel } from '../codecs/models.js';
import type { LearnedAudioCodec } from '../codecs/audio/index.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

type Sample = { name: string; bytes: Uint8Array };
const OUTPUT_EXTENSION = { image: '.png', audio: '.wav', video: '.y4m' } as const;

let dir: string;
const samplesOf = new Map<FuzzTarget, Sample[]>();

/** A target's sample files, made once per run (and its model sessions loaded). */
async function loadSamples(target: FuzzTarget): Promise<Sample[]> {
  let s = samplesOf.get(target);
  if (!s) {
    s = await target.samples();
    await target.decode(s[0]!.bytes); // model sessions load outside any case's clock
    samplesOf.set(target, s);
  }
  return s;
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Models installed here (LCODEC_MODELS or models/): a target whose model is not yet shipped is skipped. */
const installed = new Set(listModels().map((m) => m.name));

for (const target of Object.values(FUZZ_TARGETS) as FuzzTarget[]) {
  const samples = (): Sample[] => samplesOf.get(target)!;

  describe.skipIf(!installed.has(target.model))(`fuzzing ${target.modality} .lc decoding (${target.model})`, () => {
    beforeAll(async () => {
      await loadSamples(target);
    });

    const cases = target.fastCases ?? 150;
    it(`${cases} mutated files in-process: 0 crashes, 0 hangs, every error clean and one line, memory bounded`, async () => {
      const results: CaseResult[] = [];
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      for (let id = 0; id < cases; id++) {
        results.push(await runCase(target, makeCase(target, samples(), 20240, id)));
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      const s = summarize(results);
      const failures = s.failures.map((f) => `case ${f.id} [${f.kind}] ${f.detail}: ${f.outcome}: ${f.message}`);
      expect(failures).toEqual([]);
      expect(s.crashes + s.hangs).toBe(0);
      expect(s.cleanErrors).toBeGreaterThan((cases * 2) / 3); // the mutations do reach the decoder's checks...
      expect(s.decoded).toBeGreaterThan(0); // ...and harmless ones still decode
      expect(Object.keys(s.byKind).length).toBeGreaterThanOrEqual(8);
      expect(s.slowestMs).toBeLessThan(CASE_LIMIT_MS);
      expect(peak - rss0).toBeLessThan(1024 * 2 ** 20);
    });

    it('every truncation at a field or section boundary is a clean error (CRC appended or not)', async () => {
      for (const { name, bytes } of samples()) {
        for (const cut of boundaryTruncations(bytes)) {
          const identical = cut.length === bytes.length && Buffer.from(cut).equals(Buffer.from(bytes));
          try {
            await target.decode(cut);
            expect(identical, `${name} cut to ${cut.length} bytes decoded`).toBe(true);
          } catch (err) {
            expect(isCleanError(err), `${name} cut to ${cut.length}: ${String(err)}`).toBe(true);
          }
        }
      }
    });

    it('through the CLI: exit 2 with one line and no output for damaged files; exit 0 with an output for intact ones', async () => {
      const d = path.join(dir, `${target.modality}-${target.model}`); // two image targets: one folder each
      await mkdir(d);
      const first = samples()[0]!.bytes;
      const cliCases: { bytes: Uint8Array; code: number }[] = [
        { bytes: first, code: 0 },
        { bytes: samples()[1 % samples().length]!.bytes.subarray(0, first.length >> 1), code: 2 },
      ];
      // Clean errors of different kinds from the mutation set.
      const kinds = new Set<string>();
      for (let id = 0; cliCases.length < 7 && id < 200; id++) {
        const c = makeCase(target, samples(), 99, id);
        if (kinds.has(c.kind)) continue;
        const r = await runCase(target, c);
        if (r.outcome === 'clean-error') {
          kinds.add(c.kind);
          cliCases.push({ bytes: c.bytes, code: 2 });
        }
      }
      const ext = OUTPUT_EXTENSION[target.modality];
      const results = await Promise.all(
        cliCases.map(async ({ bytes }, i) => {
          const file = path.join(d, `case-${i}.lc`);
          await writeFile(file, bytes);
          return runCli(['decode', file, '-o', path.join(d, `case-${i}${ext}`)]);
        }),
      );
      const files = await readdir(d);
      results.forEach((r, i) => {
        expect(r.code, `case ${i}: ${r.stderr}`).toBe(cliCases[i]!.code);
        if (cliCases[i]!.code === 2) {
          expect(r.stderr.trimEnd().split('\n'), `case ${i}`).toHaveLength(1);
          expect(r.stderr).toMatch(/^lcodec: /);
          expect(files).not.toContain(`case-${i}${ext}`);
        } else {
          expect(files).toContain(`case-${i}${ext}`);
        }
      });
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });
}

describe('image decoder guards', () => {
  beforeAll(async () => {
    await loadSamples(IMAGE_TARGET);
  });

  it('refuses a huge declared image made of many tiny tiles before allocating it', async () => {
    const c = readContainer(samplesOf.get(IMAGE_TARGET)![0]!.bytes);
    // 16384 × 16384 in 64-pixel tiles: 65536 tiles, but the format allows 65536 sections.
    const tiles = 128 * 256;
    // The first tile is intact (so a decoder without the size check would allocate 400 MB
    // for the output before failing on the second); the others are 12-byte stubs.
    const sections = Array.from({ length: 2 * tiles }, (_, i) => (i < 2 ? c.sections[i]! : c.sections[i % 2]!.subarray(0, 12)));
    const bogus = writeContainer({ ...c, shape: [64 * 128, 64 * 256, 64, 3], sections });
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    // The length guard or the entropy decoder refuses it, depending on how peaked the model's
    // tables are (a near-certain symbol costs almost no bits, so a short stream can be legal).
    await expect(IMAGE_TARGET.decode(bogus)).rejects.toThrow(/too short for the declared image size|truncated/);
    expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * 2 ** 20);
  });
});

/** Regression cases of what the audio fuzz runs found (docs/ROBUSTNESS.md). */
describe('audio decoder guards', () => {
  const audioFile = (): Container => readContainer(samplesOf.get(AUDIO_TARGET)![0]!.bytes); // mono, 24 kHz, one chunk
  const outDir = (): string => path.join(dir, 'audio-guards');
  beforeAll(async () => {
    await loadSamples(AUDIO_TARGET);
    await mkdir(outDir(), { recursive: true });
  });

  /** A z stream of `n` bytes: the real one's start (valid initial states), then zeros. */
  function padded(z: Uint8Array, n: number): Uint8Array {
    const out = new Uint8Array(n);
    out.set(z.subarray(0, Math.min(z.length, n)));
    return out;
  }

  it('refuses a long declared signal whose chunks are stubs, before allocating or decoding anything', async () => {
    // Found by the first run: 16384 chunks of 4096 frames (~21.5 billion samples) over 12-byte
    // sections made decode() allocate the output from the header (RangeError: Invalid typed array length).
    const c = audioFile();
    const chunks = 16384, chunkFrames = 4096;
    const sections = Array.from({ length: 2 * chunks }, (_, i) => c.sections[i % 2]!.subarray(0, 12));
    const bogus = writeContainer({ ...c, shape: [24000, 1, chunks * chunkFrames * 320 - 160, chunkFrames, 0], sections });
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    await expect(decode(bogus)).rejects.toThrow(/chunk 0 is too short for the declared audio length/);
    await expect(decodeAudioToWav(bogus, path.join(outDir(), 'stubs.wav'))).rejects.toThrow(/too short for the declared audio length/);
    expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * 2 ** 20);
    expect(await readdir(outDir())).toEqual([]);
  });

  describe('a declared length beyond 2^32 samples with z streams long enough to pass that check', () => {
    // At the highest sample rate the header allows (1.536 MHz), 2^32 + 1 samples are 4 chunks of
    // 65536 frames at the model's 24 kHz: ~1 MB of z streams is enough to pass the length guard.
    const declared = 2 ** 32 + 1;
    const bogus = (): Uint8Array => {
      const c = audioFile();
      const full = 65536, last = 13108; // 209716 frames in chunks of 65536
      const model = (loadModel('audio-hyperprior') as LearnedAudioCodec).model;
      const zBytes = (frames: number): number => model.minZStreamBytes(frames) + 16;
      const sections = [full, full, full, last].flatMap((f) => [padded(c.sections[0]!, zBytes(f)), c.sections[1]!]);
      return writeContainer({ ...c, shape: [1_536_000, 1, declared, full, 0], sections });
    };

    it('decode() grows its output with the decoded chunks instead of allocating the declared length', async () => {
      // Before: new Float32Array(2^32 + 1) from the header, a RangeError (a crash, not exit 2).
      const t0 = performance.now();
      const err = await decode(bogus()).catch((e: unknown) => e);
      expect(isCleanError(err), String(err)).toBe(true);
      expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
    });

    it('lcodec decode refuses it as too long for a WAV file (exit 2), before writing anything', async () => {
      // Before: writeWavChunks' RangeError, exit code 1.
      await expect(decodeAudioToWav(bogus(), path.join(outDir(), 'long.wav'))).rejects.toThrow(/too long for a WAV file/);
      const file = path.join(outDir(), 'long.lc');
      await writeFile(file, bogus());
      const r = await runCli(['decode', file, '-o', path.join(outDir(), 'long.wav')]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^lcodec: audio of 4294967297 samples × 1 channels is too long for a WAV file/);
      expect(await readdir(outDir())).toEqual(['long.lc']);
      await rm(file);
    });
  });

  it('a file naming a model that is not installed is bad input (exit 2) on the WAV path too', async () => {
    // Found by the first run with the WAV path: `lcodec decode` loaded the named model directly
    // and exited with code 1 ("unknown model"), as for a mistyped -m option.
    const bogus = writeContainer({ ...audioFile(), model: 'audio-hyperprioq' });
    const err = await decodeAudioToWav(bogus, path.join(outDir(), 'other.wav')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(/model 'audio-hyperprioq', which is not installed/);
    const file = path.join(outDir(), 'other.lc');
    await writeFile(file, bogus);
    const r = await runCli(['decode', file, '-o', path.join(outDir(), 'other.wav')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await readdir(outDir())).toEqual(['other.lc']);
    await rm(file);
  });
});

/** Regression cases of what the video fuzz runs found (docs/ROBUSTNESS.md); they need the video model. */
describe.skipIf(!installed.has(VIDEO_TARGET.model))('video decoder guards', () => {
  const outDir = (): string => path.join(dir, 'video-guards');
  beforeAll(async () => {
    await loadSamples(VIDEO_TARGET);
    await mkdir(outDir(), { recursive: true });
  });

  it('refuses a huge declared video of stub sections (32768 frames, or one 2097152x64 frame) quickly, memory bounded', async () => {
    const c = readContainer(samplesOf.get(VIDEO_TARGET)![0]!.bytes);
    for (const shape of [
      [64, 64, 25, 1, 32768, 2, 64],
      [64 * 32768, 64, 25, 1, 1, 2, 64],
    ]) {
      // The first tile intact (a decoder that allocated from the header would do so before
      // failing on the second), the others 12-byte stubs.
      const sections = Array.from({ length: 65536 }, (_, i) => (i < 2 ? c.sections[i]! : c.sections[i % 2]!.subarray(0, 12)));
      const bogus = writeContainer({ ...c, shape, sections });
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const err = await VIDEO_TARGET.decode(bogus).catch((e: unknown) => e);
      expect(isCleanError(err), `${shape}: ${String(err)}`).toBe(true);
      expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * 2 ** 20);
    }
  });

  it('lcodec decode to .mp4 of a file whose last frame is damaged: exit 2 in seconds, no output, no temporary file', async () => {
    // Found decoding fuzz cases to .mp4 by hand: the decoder failed in the last frame while
    // ffmpeg was reading the Y4M pipe; ffmpeg ignored fluent-ffmpeg's SIGTERM and the command
    // never ended (src/io/ffmpeg.ts now kills it).
    const c = readContainer(samplesOf.get(VIDEO_TARGET)![2]!.bytes); // 5 frames, 1 tile
    const last = c.sections.length - 1;
    const damaged = writeContainer({ ...c, sections: c.sections.map((x, i) => (i === last ? x.subarray(0, x.length - 1) : x)) });
    await expect(decode(damaged).then(async (m) => {
      if (m.modality === 'video') for await (const _ of m.video.frames);
    })).rejects.toThrow(/entropy-coded stream/);
    const file = path.join(outDir(), 'damaged.lc');
    await writeFile(file, damaged);
    const t0 = performance.now();
    const r = await runCli(['decode', file, '-o', path.join(outDir(), 'damaged.mp4')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lcodec: entropy-coded stream/);
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(await readdir(outDir())).toEqual(['damaged.lc']);
    await rm(file);
  }, 60_000);

  it('lcodec decode to .mp4 of a frame rate MP4 cannot hold (25/2^27 fps): exit 2, one line, no output; .y4m works', async () => {
    // Found by the first full run (case 4700, a changed fps_den): the MP4 writer's FfmpegError
    // was not bad input (exit code 1).
    const c = readContainer(samplesOf.get(VIDEO_TARGET)![0]!.bytes);
    const file = path.join(outDir(), 'slow.lc');
    await writeFile(file, writeContainer({ ...c, shape: c.shape.map((v, i) => (i === 3 ? 2 ** 27 : v)) }));
    const r = await runCli(['decode', file, '-o', path.join(outDir(), 'slow.mp4')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lcodec: cannot write .*slow\.mp4: ffmpeg \(x264, MP4\) refused a 128x64 video at 25\/134217728 fps .*write \.y4m instead/);
    expect(await readdir(outDir())).toEqual(['slow.lc']);
    const y4m = await runCli(['decode', file, '-o', path.join(outDir(), 'slow.y4m')]);
    expect(y4m.code, y4m.stderr).toBe(0);
    expect((await readdir(outDir())).sort()).toEqual(['slow.lc', 'slow.y4m']);
    await rm(file);
    await rm(path.join(outDir(), 'slow.y4m'));
  }, 60_000);
});
