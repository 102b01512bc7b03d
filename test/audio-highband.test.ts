/**
 * The high-band extension of the learned audio codec (codecs/audio/highband.ts): band levels
 * measured and rebuilt at the right power, the same whatever the piece sizes, coded and
 * decoded exactly, and carried by the codec for inputs above the model's rate only.
 */
import { describe, expect, it } from 'vitest';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import {
  decodeLevels,
  encodeLevels,
  HighbandAnalyser,
  highbandFrames,
  highbandLayout,
  HighbandSynthesiser,
  SILENT,
} from '../codecs/audio/highband.js';
import { CorruptFileError, readContainer, writeContainer } from '../src/container/index.js';
import { melDistance } from '../src/metrics/audio.js';
import { loadModel } from '../codecs/models.js';
import { musicLike, noise } from './helpers/signals.js';

function analyse(x: Float32Array, rate: number, piece = x.length): Int8Array {
  const a = new HighbandAnalyser(highbandLayout(rate, 24000)!);
  for (let at = 0; at < x.length; at += piece) a.push(x.subarray(at, at + piece));
  return a.finish();
}

describe('high band layout', () => {
  it('covers 11 kHz up to Nyquist (at most 24 kHz) in bands, only above the model rate', () => {
    expect(highbandLayout(24000, 24000)).toBeUndefined();
    expect(highbandLayout(16000, 24000)).toBeUndefined();
    for (const rate of [32000, 44100, 48000, 96000]) {
      const l = highbandLayout(rate, 24000)!;
      const n = 2 * l.hop;
      expect(l.hop / rate).toBeGreaterThan(0.01);
      expect(l.hop / rate).toBeLessThan(0.03);
      expect((l.bands[0]![0] * rate) / n).toBeCloseTo(11000, -2);
      const top = (l.bands[l.bands.length - 1]![1] * rate) / n;
      expect(top).toBeGreaterThanOrEqual(Math.min(rate / 2, 24000) - rate / n);
      expect(top).toBeLessThanOrEqual(Math.min(rate / 2 + rate / n, 24000 + rate / n));
      for (let b = 1; b < l.bands.length; b++) expect(l.bands[b]![0]).toBe(l.bands[b - 1]![1]);
    }
    // 44.1 kHz: 11–12.5–14.5–16.5–19–22.05 kHz.
    expect(highbandLayout(44100, 24000)!.bands).toHaveLength(5);
  });
});

describe('high band analysis and synthesis', () => {
  const rate = 44100;
  const layout = highbandLayout(rate, 24000)!;
  const nb = layout.bands.length;
  const n = rate * 2;

  it('measures the same levels whatever the piece sizes', () => {
    const x = Float32Array.from(noise(5, n), (v) => 0.3 * v);
    const whole = analyse(x, rate);
    expect(whole.length).toBe(highbandFrames(layout, n) * nb);
    expect(analyse(x, rate, 1000)).toEqual(whole);
    expect(analyse(x, rate, 4099)).toEqual(whole);
  });

  it('rebuilds noise whose levels measure as coded (within one step) and nothing below 11 kHz', () => {
    const frames = highbandFrames(layout, n);
    const levels = new Int8Array(frames * nb);
    for (let t = 0; t < frames; t++) for (let b = 0; b < nb; b++) levels[t * nb + b] = b % 2 === 0 ? 2 : -3;
    const y = new Float32Array(n);
    new HighbandSynthesiser(layout, levels, 0).addTo(y, 0);
    const measured = analyse(y, rate);
    // Away from the ends (where frames are half outside the signal).
    for (let t = 2; t < frames - 2; t++) {
      for (let b = 0; b < nb; b++) expect(Math.abs(measured[t * nb + b]! - levels[t * nb + b]!)).toBeLessThanOrEqual(1);
    }
    // The band below 11 kHz stays empty: the learned codec's band is not touched.
    const low = highbandLayout(rate, 24000)!;
    const below = new HighbandAnalyser({ ...low, bands: [[Math.round((8000 * 2 * low.hop) / rate), low.bands[0]![0] - 2]] });
    below.push(y);
    const lv = below.finish();
    for (let t = 2; t < frames - 2; t++) expect(lv[t]).toBeLessThan(2 - 6);
  });

  it('makes any range of samples on its own: pieces equal the whole', () => {
    const frames = highbandFrames(layout, n);
    const levels = Int8Array.from({ length: frames * nb }, (_, i) => (i * 7) % 5 - 2);
    const s = new HighbandSynthesiser(layout, levels, 1);
    const whole = new Float32Array(n);
    s.addTo(whole, 0);
    const parts = new Float32Array(n);
    for (let at = 0; at < n; at += 3001) {
      const piece = new Float32Array(Math.min(3001, n - at));
      s.addTo(piece, at);
      parts.set(piece, at);
    }
    expect(parts).toEqual(whole);
    expect(whole.some((v) => v !== 0)).toBe(true);
  });

  it('codes levels losslessly, refuses a damaged stream, and spends little on steady bands', () => {
    const frames = 500;
    const levels = Int8Array.from({ length: frames * nb }, (_, i) => (Math.floor(i / (nb * 40)) % 3) - 1);
    levels[17] = SILENT;
    levels[300] = 13;
    const bytes = encodeLevels(levels, nb);
    const err = (m: string): Error => new CorruptFileError(m);
    expect(decodeLevels(bytes, frames, nb, err)).toEqual(levels);
    // Unchanged levels cost about 0.55 bit each (the table's cost of a zero difference); jumps
    // of more than ±24 steps (from SILENT, before the first frame) go through the escape.
    const steady = Int8Array.from({ length: frames * nb }, () => 2);
    expect(encodeLevels(steady, nb).length * 8).toBeLessThan(frames * nb * 0.6 + nb * 64);
    expect(() => decodeLevels(bytes.subarray(0, bytes.length - 3), frames, nb, err)).toThrow();
  });
});

describe('learned audio codec with the high band', () => {
  const model = loadModel('audio-hyperprior', { threads: 1 }) as LearnedAudioCodec;

  it('carries the band above 11 kHz for a 44.1 kHz input: a lower mel distance for well under 1 kbit/s', async () => {
    const audio = musicLike(44100, 3, 2);
    // Add a steady hiss above 11 kHz (differenced noise is mostly high frequency).
    for (const [c, ch] of audio.channels.entries()) {
      const w = noise(11 + c, ch.length + 1);
      for (let i = 0; i < ch.length; i++) ch[i]! += 0.05 * (w[i + 1]! - w[i]!);
    }
    const bytes = await model.encode(audio, 0);
    const c = readContainer(bytes);
    expect(c.shape).toHaveLength(6);
    expect(c.shape[5]).toBe(1);
    const hfBytes = c.sections.slice(-2).reduce((s, x) => s + x.length, 0);
    expect((hfBytes * 8) / 3).toBeLessThan(1000);
    const withHf = await model.decode(bytes);
    // The same file without the high band sections: what the codec gave before.
    const without = await model.decode(
      writeContainer({ modality: 'audio', model: c.model, modelHash: c.modelHash, quality: c.quality, shape: [...c.shape.slice(0, 5)], sections: c.sections.slice(0, -2) }),
    );
    const gain = melDistance(audio, without) - melDistance(audio, withHf);
    expect(gain).toBeGreaterThan(0.2);
  });

  it('adds no high band at the model rate or below', async () => {
    for (const rate of [24000, 16000]) {
      const c = readContainer(await model.encode(musicLike(rate, 1), 0));
      expect(c.shape[5]).toBe(0);
    }
  });

  it('refuses a file whose high band is damaged or declared where it cannot be', async () => {
    const bytes = await model.encode(musicLike(44100, 1), 0);
    const c = readContainer(bytes);
    const last = c.sections[c.sections.length - 1]!;
    const cut = writeContainer({ ...c, sections: [...c.sections.slice(0, -1), last.subarray(0, 1)] });
    await expect(model.decode(cut)).rejects.toThrow(CorruptFileError);
    const at16k = readContainer(await model.encode(musicLike(16000, 1), 0));
    const declared = writeContainer({ ...at16k, shape: [...at16k.shape.slice(0, 5), 1], sections: [...at16k.sections, last] });
    await expect(model.decode(declared)).rejects.toThrow(CorruptFileError);
  });
});
