/**
 * The MDCT audio codec (models/audio-mdct): the transform reconstructs perfectly, the decoder
 * rebuilds the waveform (SI-SDR), quality grows with rate, real samples round-trip at any rate
 * and channel count with chunk borders that leave no seams, and decoding is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import { Mdct } from '../codecs/audio/mdct.js';
import { noiseValue } from '../codecs/audio/mdct-model.js';
import { loadModel } from '../codecs/models.js';
import { decode, encode, inspect } from '../src/api.js';
import { CorruptFileError, readContainer, writeContainer } from '../src/container/index.js';
import { readAudio, resample } from '../src/io/audio.js';
import type { Audio } from '../src/media.js';
import { melDistance, siSdr } from '../src/metrics/audio.js';
import { packageRoot } from '../src/paths.js';

const MODEL = 'audio-mdct';

function codec(threads = 1): LearnedAudioCodec {
  const c = loadModel(MODEL, { threads });
  if (!(c instanceof LearnedAudioCodec)) throw new Error(`${MODEL} is not an audio model`);
  return c;
}

async function sample(name: string, sampleRate: number, channels: 1 | 2): Promise<Audio> {
  const a = await readAudio(join(packageRoot(), 'samples', name));
  const mono = a.sampleRate === sampleRate ? a : await resample(a, sampleRate);
  if (channels === 1) return mono;
  // A stereo pair from the mono recording: the right channel delayed 0.5 ms and quieter.
  const l = mono.channels[0]!;
  const d = Math.round(sampleRate / 2000);
  const r = new Float32Array(l.length);
  for (let i = d; i < l.length; i++) r[i] = 0.7 * l[i - d]!;
  return { sampleRate, channels: [l, r] };
}

async function roundTrip(c: LearnedAudioCodec, a: Audio, q: number): Promise<{ bytes: Uint8Array; out: Audio }> {
  const bytes = await c.encode(a, q);
  return { bytes, out: await c.decode(bytes) };
}

describe('MDCT (sine window, hop N)', () => {
  it('reconstructs a signal exactly from its overlapping frames (TDAC), and keeps its energy', () => {
    const n = 480;
    const mdct = new Mdct(n);
    const frames = 12;
    // (frames + 1) · N samples: frame t covers [(t − 1) N, (t + 1) N); zeros either side.
    const x = new Float32Array((frames + 1) * n);
    for (let i = n; i < (frames - 1) * n; i++) x[i] = Math.sin(i * 0.037) * 0.5 + Math.sin(i * 1.3 + 0.2) * 0.2 + (((i * 7919) % 101) / 101 - 0.5) * 0.1;
    const X = mdct.forward(x, frames);
    // The fast (folded DCT-IV) transform against the definition, on one frame.
    const t = 5;
    for (const k of [0, 1, 17, 240, 479]) {
      let direct = 0;
      for (let i = 0; i < 2 * n; i++) {
        direct += Math.sin((Math.PI * (i + 0.5)) / (2 * n)) * x[t * n + i]! * Math.cos((Math.PI / n) * (i + 0.5 + n / 2) * (k + 0.5));
      }
      expect(X[k * frames + t]).toBeCloseTo(direct * Math.sqrt(2 / n), 4);
    }
    const back = mdct.inverse(X, frames);
    // inverse gives samples [0, (frames − 1) N) relative to the middle of frame 0, i.e. x[N ...].
    let err = 0;
    for (let i = 0; i < back.length; i++) err = Math.max(err, Math.abs(back[i]! - x[i + n]!));
    expect(err).toBeLessThan(1e-5);
    const ex = x.reduce((s, v) => s + v * v, 0);
    const eX = X.reduce((s, v) => s + v * v, 0);
    expect(eX / ex).toBeGreaterThan(0.999);
    expect(eX / ex).toBeLessThan(1.001);
  });

  it('fills with noise that depends only on frame, channel and coefficient', () => {
    const a = Array.from({ length: 2000 }, (_, i) => noiseValue(i >> 4, i & 1, i % 480));
    expect(a.every((v) => v >= -1 && v < 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.28); // 1/3 for a uniform on [−1, 1)
    expect(variance).toBeLessThan(0.39);
    expect(noiseValue(5, 0, 7)).toBe(noiseValue(5, 0, 7));
    expect(noiseValue(5, 0, 7)).not.toBe(noiseValue(5, 1, 7));
  });
});

describe('learned audio codec over the MDCT (audio-mdct)', () => {
  const c = codec();

  it('is a 24 kHz model with at least six qualities', () => {
    expect(c.model.sampleRate).toBe(24000);
    expect(c.model.hop).toBe(480);
    expect(c.qualities.length).toBeGreaterThanOrEqual(6);
  });

  it('round-trips the speech sample (mono, 24 kHz) and the music sample (stereo, 48 kHz) keeping the waveform', async () => {
    for (const [name, rate, ch] of [['speech.flac', 24000, 1], ['music.flac', 48000, 2]] as const) {
      const a = await sample(name, rate, ch);
      const q = c.qualities[Math.floor(c.qualities.length / 2)]!;
      const lc = await encode(a, { model: MODEL, quality: q, threads: 1 });
      expect(inspect(lc)).toMatchObject({ modality: 'audio', model: MODEL, quality: q, sampleRate: rate, channels: ch, samples: a.channels[0]!.length });
      const out = await decode(lc, { threads: 1 });
      if (out.modality !== 'audio') throw new Error('not audio');
      expect(out.audio.sampleRate).toBe(rate);
      expect(out.audio.channels).toHaveLength(ch);
      for (const x of out.audio.channels) expect(x.length).toBe(a.channels[0]!.length);
      // A magnitude-only codec scores far below 0 dB here (audio-hyperprior: about −30 dB).
      expect(siSdr(a, out.audio), name).toBeGreaterThan(4);
      expect(melDistance(a, out.audio), name).toBeLessThan(2.5);
    }
  });

  it('gets better with rate: more bytes, higher SI-SDR and lower mel distance at the top quality than at the bottom', async () => {
    const a = await sample('speech.flac', 24000, 1);
    const lo = await roundTrip(c, a, c.qualities[0]!);
    const hi = await roundTrip(c, a, c.qualities.at(-1)!);
    expect(hi.bytes.length).toBeGreaterThan(2 * lo.bytes.length);
    expect(siSdr(a, hi.out)).toBeGreaterThan(siSdr(a, lo.out) + 6);
    expect(melDistance(a, hi.out)).toBeLessThan(melDistance(a, lo.out) - 0.3);
  });

  it('is deterministic: the same bytes twice, and the same samples from any thread count and from the chunked decoder', async () => {
    const a = await sample('music.flac', 24000, 1);
    const q = 1;
    const one = await c.encode(a, q);
    expect(await c.encode(a, q)).toEqual(one);
    const two = codec(2);
    expect(await two.encode(a, q)).toEqual(one);
    const x1 = (await c.decode(one)).channels[0]!;
    const x2 = (await two.decode(one)).channels[0]!;
    expect(Buffer.from(x2.buffer).equals(Buffer.from(x1.buffer))).toBe(true);
    const pieces: Float32Array[] = [];
    for await (const p of c.decodeChunks(one)) pieces.push(p.channels[0]!);
    const joined = new Float32Array(x1.length);
    let at = 0;
    for (const p of pieces) {
      joined.set(p, at);
      at += p.length;
    }
    expect(Buffer.from(joined.buffer).equals(Buffer.from(x1.buffer))).toBe(true);
  });

  it('codes a quiet recording as well as a loud one: the step follows each chunk\'s level', async () => {
    const a = await sample('speech.flac', 24000, 1);
    const scaled = (g: number): Audio => ({ sampleRate: 24000, channels: [a.channels[0]!.map((v) => v * g)] });
    const q = 3;
    const loud = await roundTrip(c, a, q);
    const g = 10 ** (-30 / 20); // 30 dB down
    const quiet = await roundTrip(c, scaled(g), q);
    const lv = c.parse(loud.bytes).levels;
    const qv = c.parse(quiet.bytes).levels;
    expect(lv.length).toBeGreaterThan(0);
    // 30 dB at 1.5 dB per index: 20 indexes finer
    for (let k = 0; k < lv.length; k++) expect(qv[k]! - lv[k]!).toBe(20);
    expect(quiet.bytes.length / loud.bytes.length).toBeGreaterThan(0.85);
    expect(quiet.bytes.length / loud.bytes.length).toBeLessThan(1.15);
    // Compared at the loud level (the mel distance's floor is absolute).
    const back: Audio = { sampleRate: 24000, channels: [quiet.out.channels[0]!.map((v) => v / g)] };
    expect(Math.abs(siSdr(a, back) - siSdr(a, loud.out))).toBeLessThan(1);
    expect(Math.abs(melDistance(a, back) - melDistance(a, loud.out))).toBeLessThan(0.05);
  });

  it('refuses a file whose chunk level is outside the model\'s range, or whose level section is missing a chunk', async () => {
    const a = await sample('speech.flac', 24000, 1);
    const bytes = await c.encode(a, 1);
    const file = readContainer(bytes);
    const range = c.model.levels!;
    const chunks = c.parse(bytes).levels.length;
    const at = file.sections.length - 1; // mono, 24 kHz: no high band, the level section is last
    expect(file.sections[at]!.length).toBe(chunks);
    const bad = file.sections.map((s) => s.slice());
    bad[at]![0] = (range.max + 1) & 0xff;
    expect(() => c.parse(writeContainer({ ...file, sections: bad }))).toThrow(CorruptFileError);
    const short = file.sections.map((s, i) => (i === at ? s.subarray(1) : s));
    expect(() => c.parse(writeContainer({ ...file, sections: short }))).toThrow(/chunk levels/);
  });

  it('codes a signal whose last chunk holds only the end of its last frame', async () => {
    const a = await sample('speech.flac', 24000, 1);
    const n = 40 * 480 - 10; // ⌈n / 480⌉ + 1 = 41 frames: chunk 1 (of 40-frame chunks) starts past the end
    const x = a.channels[0]!.slice(0, n);
    async function* once(): AsyncGenerator<Audio> {
      yield { sampleRate: 24000, channels: [x] };
    }
    const bytes = await c.encodeStream(once(), { sampleRate: 24000, channels: 1, samples: () => n }, 3, { chunkFrames: 40 });
    expect(c.parse(bytes).levels).toHaveLength(2);
    const out = await c.decode(bytes);
    expect(out.channels[0]!.length).toBe(n);
    expect(siSdr({ sampleRate: 24000, channels: [x] }, out)).toBeGreaterThan(8);
  });

  it('leaves no seam at chunk borders: small chunks decode as well as one chunk', async () => {
    const a = await sample('speech.flac', 24000, 1);
    const n = a.channels[0]!.length;
    const code = (chunkFrames?: number): Promise<Uint8Array> => {
      async function* once(): AsyncGenerator<Audio> {
        yield a;
      }
      return c.encodeStream(once(), { sampleRate: 24000, channels: 1, samples: () => n }, 3, chunkFrames ? { chunkFrames } : {});
    };
    const whole = await c.decode(await code());
    const chunked = await c.decode(await code(40)); // 0.8 s chunks: 8 borders
    expect(Math.abs(siSdr(a, chunked) - siSdr(a, whole))).toBeLessThan(0.3);
    expect(Math.abs(melDistance(a, chunked) - melDistance(a, whole))).toBeLessThan(0.05);
  });
});
