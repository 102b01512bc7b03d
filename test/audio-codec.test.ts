/**
 * The learned audio codec (models/audio-hyperprior) through the library: shapes at any rate
 * and channel count, rate = file size, quality ordering, chunked processing with bounded
 * memory and no seams, determinism of the decoded symbols, and clear errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import { CHUNK_FRAMES, chunkLayout } from '../codecs/audio/hyperprior.js';
import type { Audio } from '../src/media.js';
import { decode, decodeAudioToWav, encode, inspect } from '../src/api.js';
import { CorruptFileError, readContainer } from '../src/container/index.js';
import { InputError } from '../src/errors.js';
import { readAudio, resample, resampleChunks, writeWav } from '../src/io/audio.js';
import { melDistance, snr } from '../src/metrics/audio.js';
import { loadModel } from '../codecs/models.js';
import { musicLike } from './helpers/signals.js';

const MODEL = 'audio-hyperprior';

function codec(threads = 1, optimization?: 'disabled' | 'all'): LearnedAudioCodec {
  const c = loadModel(MODEL, { threads, ...(optimization ? { optimization } : {}) });
  if (!(c instanceof LearnedAudioCodec)) throw new Error(`${MODEL} is not an audio model`);
  return c;
}

function expectShape(decoded: Audio, source: Audio): void {
  expect(decoded.sampleRate).toBe(source.sampleRate);
  expect(decoded.channels).toHaveLength(source.channels.length);
  for (const c of decoded.channels) {
    expect(c.length).toBe(source.channels[0]!.length);
    expect(c.every(Number.isFinite)).toBe(true);
  }
}

/** Audio given as pieces of `piece` samples, counting how many samples were pulled. */
function pieces(audio: Audio, piece: number, pulled: { samples: number }): AsyncGenerator<Audio> {
  return (async function* () {
    const n = audio.channels[0]!.length;
    for (let at = 0; at < n; at += piece) {
      pulled.samples = Math.min(n, at + piece);
      yield { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.subarray(at, Math.min(n, at + piece))) };
    }
  })();
}

describe('learned audio codec (audio-hyperprior)', () => {
  const model = codec();
  const { hop, context, zStride, sampleRate } = model.model;

  it('is an audio model with ascending qualities at the 24 kHz model rate', () => {
    expect(model.modality).toBe('audio');
    // Three trained qualities with one interpolated between each pair (the card lists which).
    expect(model.qualities).toEqual([0, 1, 2, 3, 4]);
    expect(sampleRate).toBe(24000);
    expect(hop * zStride).toBe(1280);
  });

  it('round-trips 24 kHz mono, 8 kHz mono and 44.1 kHz stereo to the exact rate, channels and length', async () => {
    for (const source of [musicLike(24000, 1.5, 1), musicLike(8000, 1.3, 1), musicLike(44100, 1.1, 2)]) {
      const lc = await encode(source, { model: MODEL, quality: 1, threads: 1 });
      const info = inspect(lc);
      expect(info).toMatchObject({ modality: 'audio', model: MODEL, quality: 1, sampleRate: source.sampleRate,
        channels: source.channels.length, samples: source.channels[0]!.length });
      const out = await decode(lc, { threads: 1 });
      expect(out.modality).toBe('audio');
      if (out.modality !== 'audio') return;
      expectShape(out.audio, source);
      expect(Number.isFinite(melDistance(source, out.audio))).toBe(true);
    }
  });

  it('counts the whole file as the rate: kbps = bytes · 8 / seconds, and more bits at higher quality', async () => {
    const source = musicLike(24000, 3, 1);
    const sizes: number[] = [];
    for (const q of model.qualities) {
      const lc = await model.encode(source, q);
      const info = inspect(lc);
      expect(info.bytes).toBe(lc.length);
      expect(info.kbps).toBeCloseTo((lc.length * 8) / 3 / 1000, 10);
      sizes.push(lc.length);
    }
    for (let q = 1; q < sizes.length; q++) expect(sizes[q]).toBeGreaterThan(sizes[q - 1]!);
  });

  it('codes the latent more finely at higher quality', async () => {
    const m = model.model;
    const { M } = m.files.bundle.arch;
    const frames = 160;
    const x = musicLike(24000, ((frames + 2 * context) * hop) / 24000, 1).channels[0]!;
    const errors: number[] = [];
    for (const q of model.qualities) {
      const yg = await m.analyse(x, frames, q); // y · gain[q]
      const { yHat } = await m.decodeLatent(await m.encodeLatent(yg, frames, q), frames, q); // ŷ · igain[q]
      const gain = m.files.bundle.gain[q]!;
      const igain = m.files.bundle.igain[q]!;
      let err = 0;
      let energy = 0;
      for (let c = 0; c < M; c++) {
        for (let t = 0; t < frames; t++) {
          const y = yg[c * frames + t]! / gain[c]!;
          const y2 = yHat[c * frames + t]! / igain[c]! / gain[c]!;
          err += (y2 - y) ** 2;
          energy += y * y;
        }
      }
      errors.push(err / energy);
    }
    for (let q = 1; q < errors.length; q++) expect(errors[q]).toBeLessThan(errors[q - 1]!);
  });

  it('decodes with a lower mel distance at the highest quality than at the lowest', async () => {
    const source = musicLike(24000, 3, 1);
    const mel = [];
    for (const q of [0, model.qualities.length - 1]) mel.push(melDistance(source, await model.decode(await model.encode(source, q))));
    expect(mel[0]).toBeGreaterThan(0);
    expect(mel[1]).toBeLessThan(mel[0]!);
  });

  it('codes a long input chunk by chunk, holding one chunk and its context at a time', async () => {
    const seconds = 40;
    const source = musicLike(24000, seconds, 1);
    const piece = 24000; // 1 s pieces
    const pulled = { samples: 0 };
    const progress: { chunk: number; buffered: number; pulled: number }[] = [];
    const lc = await model.encodeStream(pieces(source, piece, pulled), { sampleRate: 24000, channels: 1, samples: () => seconds * 24000 }, 0, {
      onChunk: (p) => progress.push({ chunk: p.chunk, buffered: p.bufferedSamples, pulled: pulled.samples }),
    });
    const chunkSamples = CHUNK_FRAMES * hop;
    const layout = chunkLayout(seconds * 24000, hop, zStride);
    expect(progress.map((p) => p.chunk)).toEqual(layout.map((_, k) => k));
    expect(readContainer(lc).sections).toHaveLength(2 * layout.length);
    for (const p of progress) {
      // Never more than a chunk, its context and the last piece in the buffer...
      expect(p.buffered).toBeLessThanOrEqual(chunkSamples + 2 * context * hop + piece);
      // ...and never reading further ahead than the chunk's right context plus one piece.
      expect(p.pulled).toBeLessThanOrEqual(Math.min(seconds * 24000, (p.chunk + 1) * chunkSamples + context * hop + piece));
    }
    const out = await model.decode(lc);
    expectShape(out, source);
  });

  it('leaves no seams at chunk borders: chunked g_a and g_s equal the transforms of the whole signal', async () => {
    const m = model.model;
    const { M } = m.files.bundle.arch;
    const frames = 300;
    const chunk = 100;
    const x = musicLike(24000, (frames * hop) / 24000, 1).channels[0]!;
    // Zeros beyond the signal on both sides, as the encoder reads them.
    const window = (from: number, to: number): Float32Array => {
      const out = new Float32Array(to - from);
      for (let i = Math.max(0, from); i < Math.min(x.length, to); i++) out[i - from] = x[i]!;
      return out;
    };
    const yWhole = await m.analyse(window(-context * hop, (frames + context) * hop), frames, 1);
    const yChunks: Float32Array[] = [];
    let maxDiff = 0;
    let maxAbs = 0;
    for (let k = 0; k < frames / chunk; k++) {
      const y = await m.analyse(window((k * chunk - context) * hop, ((k + 1) * chunk + context) * hop), chunk, 1);
      yChunks.push(y);
      for (let c = 0; c < M; c++) {
        for (let t = 0; t < chunk; t++) {
          const w = yWhole[c * frames + k * chunk + t]!;
          maxDiff = Math.max(maxDiff, Math.abs(y[c * chunk + t]! - w));
          maxAbs = Math.max(maxAbs, Math.abs(w));
        }
      }
    }
    expect(maxDiff).toBeLessThan(1e-4 * Math.max(1, maxAbs));
    // Synthesis from chunks with their neighbours' borders as context = synthesis of the whole latent.
    const xWhole = await m.synthesise(yWhole, frames);
    let err = 0;
    let energy = 0;
    for (let k = 0; k < frames / chunk; k++) {
      const part = await m.synthesise(
        yChunks[k]!, chunk,
        k > 0 ? { yHat: yChunks[k - 1]!, frames: chunk } : undefined,
        k + 1 < yChunks.length ? { yHat: yChunks[k + 1]!, frames: chunk } : undefined,
      );
      for (let i = 0; i < part.length; i++) {
        const w = xWhole[k * chunk * hop + i]!;
        err = Math.max(err, Math.abs(part[i]! - w));
        energy = Math.max(energy, Math.abs(w));
      }
    }
    expect(err).toBeLessThan(1e-4 * Math.max(1, energy));
    // End to end, many small chunks code about as well as a few large ones.
    const source = musicLike(24000, 4, 1);
    const info = { sampleRate: 24000, channels: 1, samples: () => 4 * 24000 };
    const small = await model.encodeStream(pieces(source, 5000, { samples: 0 }), info, 1, { chunkFrames: 40 });
    const large = await model.encodeStream(pieces(source, 5000, { samples: 0 }), info, 1, { chunkFrames: 400 });
    expect(readContainer(small).shape[3]).toBe(40);
    const melSmall = melDistance(source, await model.decode(small));
    const melLarge = melDistance(source, await model.decode(large));
    expect(Math.abs(melSmall - melLarge)).toBeLessThan(0.1 * melLarge);
  });

  it('decodes bit-exactly in its symbols with 1 or 2 threads and with graph optimizations off', async () => {
    const lc = await codec(2).encode(musicLike(24000, 2.5, 2), 2);
    const reference = (await codec(1).decodeSymbols(lc)).map((b) => [...b.symbols]);
    expect(reference.length).toBe(2);
    for (const other of [codec(2), codec(1, 'disabled')]) {
      const symbols = (await other.decodeSymbols(lc)).map((b) => [...b.symbols]);
      expect(symbols).toEqual(reference);
    }
    // And the waveform follows the symbols: identical audio from both thread counts' decoders.
    const a = await codec(1).decode(lc);
    const b = await codec(2).decode(lc);
    expect(snr(a, b)).toBeGreaterThan(60);
  });

  it('refuses a damaged file, a wrong quality and an empty input with clear errors', async () => {
    const lc = await model.encode(musicLike(24000, 0.5, 1), 0);
    const damaged = lc.slice();
    damaged[Math.floor(lc.length / 2)]! ^= 0x10;
    await expect(model.decode(damaged)).rejects.toThrow(CorruptFileError);
    await expect(model.encode(musicLike(24000, 0.5, 1), 5)).rejects.toThrow(/quality for audio-hyperprior must be an integer 0\.\.4, not 5/);
    await expect(model.encode({ sampleRate: 24000, channels: [new Float32Array(0)] }, 0)).rejects.toThrow(InputError);
  });

  describe('files', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lcodec-audio-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('streams a 44.1 kHz stereo file through one resampler: like the decoded file resampled whole', async () => {
      const source = musicLike(44100, 9, 2);
      const path = join(dir, 'in.wav');
      await writeWav(path, source, { format: 'float32' });
      const fromFile = await model.encodeFile(path, 1, 2);
      const fromPcm = await model.encode(await readAudio(path), 1);
      expect(readContainer(fromFile).shape).toEqual(readContainer(fromPcm).shape);
      const a = await model.decode(fromFile);
      const b = await model.decode(fromPcm);
      expectShape(a, source);
      expect(snr(b, a)).toBeGreaterThan(30);
    });

    it('decodes chunk by chunk into a WAV file equal to the whole decode', async () => {
      const source = musicLike(44100, 3, 2);
      const info = { sampleRate: 44100, channels: 2, samples: () => source.channels[0]!.length };
      const resampled = await resample(source, 24000);
      const lc = await model.encodeStream(pieces(resampled, 7000, { samples: 0 }), info, 1, { chunkFrames: 80 });
      let count = 0;
      for await (const piece of model.decodeChunks(lc)) {
        expect(piece.sampleRate).toBe(44100);
        count++;
      }
      expect(count).toBeGreaterThan(1);
      const path = join(dir, 'out.wav');
      await decodeAudioToWav(lc, path, { threads: 1 });
      const fromFile = await readAudio(path);
      const whole = await model.decode(lc);
      expectShape(fromFile, source);
      let maxDiff = 0;
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < whole.channels[c]!.length; i++) {
          const w = Math.max(-1, Math.min(32767 / 32768, whole.channels[c]![i]!));
          maxDiff = Math.max(maxDiff, Math.abs(fromFile.channels[c]![i]! - w));
        }
      }
      expect(maxDiff).toBeLessThanOrEqual(0.5 / 32768 + 1e-9);
    });
  });
});

describe('resampleChunks', () => {
  it('gives the whole-signal resampling in pieces, exact in length', async () => {
    const source = musicLike(44100, 3.3, 2);
    const whole = await resample(source, 24000);
    const got: Float32Array[][] = [];
    for await (const p of resampleChunks(pieces(source, 10000, { samples: 0 }), 24000)) got.push(p.channels);
    const joined = [0, 1].map((c) => {
      const n = got.reduce((s, p) => s + p[c]!.length, 0);
      const out = new Float32Array(n);
      let at = 0;
      for (const p of got) {
        out.set(p[c]!, at);
        at += p[c]!.length;
      }
      return out;
    });
    expect(joined[0]!.length).toBe(whole.channels[0]!.length);
    expect(snr(whole, { sampleRate: 24000, channels: joined })).toBeGreaterThan(60);
  });
});
