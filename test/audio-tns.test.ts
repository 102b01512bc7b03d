/**
 * Temporal noise shaping of audio-mdct (codecs/audio/tns.ts), with the installed model's
 * parameters: the decoder's filter undoes the encoder's exactly, it turns on for a frame with a
 * sharp onset and off for white noise, its side section is read bit by bit and refused when
 * damaged, and the coding noise of a click comes out after the click more than before it,
 * instead of spread over the whole 40 ms window.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadMdctModelFiles } from '../codecs/audio/bundle.js';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import { Mdct } from '../codecs/audio/mdct.js';
import { Tns } from '../codecs/audio/tns.js';
import { loadModel } from '../codecs/models.js';
import { CorruptFileError } from '../src/container/index.js';
import { modelsDir } from '../src/paths.js';

const bundle = loadMdctModelFiles(join(modelsDir(), 'audio-mdct')).bundle;
const N = bundle.arch.M;
const tns = new Tns(bundle.tns!, N);
const flat = new Float64Array(N).fill(1);

/** MDCT frames (coefficient-major, N × T) of a signal of T + 1 hops. */
function frames(x: Float32Array, T: number): Float32Array {
  return new Mdct(N).forward(x, T);
}

/** T + 1 hops: frame 1 holds a click at `at` samples into the signal, over a quiet tone (white noise when `at` is negative). */
function signal(T: number, at: number): Float32Array {
  const x = new Float32Array((T + 1) * N);
  let h = 12345;
  for (let i = 0; i < x.length; i++) {
    h = (Math.imul(h, 1103515245) + 12345) >>> 0;
    x[i] = at < 0 ? 0.3 * (h / 2 ** 32 - 0.5) : 0.01 * Math.sin(i * 0.05);
  }
  if (at >= 0) for (let i = 0; i < 24; i++) x[at + i]! += 0.8 * Math.exp(-i / 6) * (i % 2 ? -1 : 1);
  return x;
}

/** A side section from bits given as a string of 0 and 1, zero-padded to whole bytes. */
function section(bits: string): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

describe('temporal noise shaping', () => {
  it('turns on for a click and off for white noise; the decoder filter inverts the encoder filter', () => {
    const T = 3;
    for (const [at, on] of [[N + 300, true], [-1, false]] as const) {
      const X = frames(signal(T, at), T);
      const y = X.slice();
      const side = tns.analyse(y, T, flat);
      const filters = tns.read(side, T);
      expect(filters[1] !== undefined, `click at ${at}`).toBe(on);
      if (on) expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - X[i]!)))).toBeGreaterThan(1e-3);
      tns.synthesise(y, T, filters);
      let err = 0;
      for (let i = 0; i < X.length; i++) err = Math.max(err, Math.abs(y[i]! - X[i]!));
      expect(err).toBeLessThan(1e-4);
    }
  });

  it('reads a side section bit by bit, and refuses one that is short, long, badly padded or holds an unused index', () => {
    // two frames: frame 0 off, frame 1 on with four reflection indexes of 7 (0 after the table's middle)
    const bits = '0' + '1' + '0111'.repeat(4);
    const filters = tns.read(section(bits), 2);
    expect(filters[0]).toBeUndefined();
    expect(Array.from(filters[1]!)).toEqual([1, 0, 0, 0, 0]);
    expect(() => tns.read(section(bits).subarray(0, 2), 2)).toThrow(/too short/);
    expect(() => tns.read(Uint8Array.from([...section(bits), 0]), 2)).toThrow(/too long/);
    expect(() => tns.read(section(bits + '0001'), 2)).toThrow(/padding/);
    expect(() => tns.read(section('01' + '1111' + '0111'.repeat(3)), 2)).toThrow(/TNS index 15/);
    expect(() => tns.read(undefined, 2)).toThrow(CorruptFileError);
  });

  it('shapes a click\'s coding noise in time: less of it in the 15 ms before the click than in the 15 ms after', async () => {
    const c = loadModel('audio-mdct', { threads: 1 });
    if (!(c instanceof LearnedAudioCodec)) throw new Error('not an audio model');
    // 24 kHz mono: quiet tone, a click at 0.5 s; error energy in the 15 ms before the click
    const x = new Float32Array(24000);
    for (let i = 0; i < x.length; i++) x[i] = 0.01 * Math.sin(i * 0.05);
    for (let i = 0; i < 48; i++) x[12000 + i]! += 0.8 * Math.exp(-i / 10) * (i % 2 ? -1 : 1);
    const out = (await c.decode(await c.encode({ sampleRate: 24000, channels: [x] }, 3))).channels[0]!;
    let before = 0;
    let after = 0;
    for (let i = 12000 - 360; i < 12000; i++) before += (out[i]! - x[i]!) ** 2;
    for (let i = 12000; i < 12000 + 360; i++) after += (out[i]! - x[i]!) ** 2;
    // Without TNS the window's error is spread around the click (measured: before / after ≈ 1.3).
    expect(before).toBeLessThan(0.6 * after);
  });
});
