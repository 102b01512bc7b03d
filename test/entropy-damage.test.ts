/** Damaged streams fail fast with EntropyDecodeError: no hang, no out-of-bounds read, no crash. */
import { describe, expect, it } from 'vitest';
import {
  CdfTables,
  decodeWithIndexes,
  EntropyDecodeError,
  GaussianConditional,
  RansDecoder,
  encodeWithIndexes,
} from '../entropy/index.js';
import { gaussianLatent, makeRng } from '../bench/entropy-data.js';

const model = GaussianConditional.fromScaleTable();

function stream(n: number, seed: number, escapes = true) {
  const { scales, symbols } = gaussianLatent(n, seed);
  // Sprinkle escapes so the bypass path meets damage too.
  if (escapes) for (let i = 0; i < n; i += 97) symbols[i] = (i % 2 ? 1 : -1) * (1000 + i) * 1000;
  const indexes = model.indexesFromScales(scales);
  return { symbols, indexes, bytes: model.compress(symbols, indexes) };
}

type Outcome = 'error' | 'decoded';

/** Decodes damaged bytes; only EntropyDecodeError may escape; returns the outcome and time. */
function attempt(bytes: Uint8Array, indexes: Int32Array, tables: CdfTables): { outcome: Outcome; ms: number } {
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    const out = decodeWithIndexes(bytes, indexes, tables);
    expect(out.length).toBe(indexes.length);
    outcome = 'decoded';
  } catch (err) {
    if (!(err instanceof EntropyDecodeError)) throw err;
    expect(err.name).toBe('EntropyDecodeError');
    outcome = 'error';
  }
  return { outcome, ms: performance.now() - t0 };
}

describe('damaged streams', () => {
  it('rejects streams too short to hold the state, and invalid initial states', () => {
    const idx = new Int32Array(1);
    const valid = [0, 0x80, 0, 0];
    for (const bytes of [
      new Uint8Array(0),
      new Uint8Array(7),
      new Uint8Array([0, 0, 0, 0, ...valid]), // state 0 below 2^23
      new Uint8Array([...valid, 0x80, 0, 0, 0]), // state 1 at 2^31
    ]) {
      expect(() => new RansDecoder(bytes)).toThrow(EntropyDecodeError);
      expect(() => decodeWithIndexes(bytes, idx, model.tables)).toThrow(/entropy-coded stream/);
    }
  });

  it('detects every truncation of a stream, quickly', () => {
    const { indexes, bytes } = stream(2_000, 1);
    let worst = 0;
    for (let len = 0; len < bytes.length; len++) {
      const { outcome, ms } = attempt(bytes.subarray(0, len), indexes, model.tables);
      expect(outcome, `truncated to ${len} of ${bytes.length} bytes`).toBe('error');
      worst = Math.max(worst, ms);
    }
    expect(worst).toBeLessThan(250);
  });

  it('detects truncation and appended bytes on a large stream', () => {
    const { indexes, bytes } = stream(200_000, 2);
    const rng = makeRng(2);
    for (let k = 0; k < 20; k++) {
      const len = Math.floor(rng() * bytes.length);
      const { outcome, ms } = attempt(bytes.subarray(0, len), indexes, model.tables);
      expect(outcome).toBe('error');
      expect(ms).toBeLessThan(1000);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(attempt(longer, indexes, model.tables).outcome).toBe('error');
  });

  /** Flips 1–3 random bits per trial; returns how many trials were detected. */
  function flipTrials(bytes: Uint8Array, indexes: Int32Array, trials: number, seed: number): number {
    const rng = makeRng(seed);
    let detected = 0;
    for (let k = 0; k < trials; k++) {
      const damaged = bytes.slice();
      const flips = 1 + Math.floor(rng() * 3);
      for (let j = 0; j < flips; j++) damaged[Math.floor(rng() * damaged.length)] ^= 1 << Math.floor(rng() * 8);
      const { outcome, ms } = attempt(damaged, indexes, model.tables);
      expect(ms).toBeLessThan(500);
      if (outcome === 'error') detected++;
    }
    return detected;
  }

  it('detects every random bit flip in a stream of table-coded symbols', () => {
    const { symbols, indexes, bytes } = stream(20_000, 3, false);
    expect(decodeWithIndexes(bytes, indexes, model.tables)).toEqual(symbols);
    // Damage goes unnoticed only if the damaged bytes happen to be a valid stream: every
    // change shifts the state, and the final-state check sees it (odds of a miss ~2^-31).
    expect(flipTrials(bytes, indexes, 300, 3)).toBe(300);
  });

  it('detects bit flips in streams with escapes, except inside raw escape payloads', () => {
    const { symbols, indexes, bytes } = stream(20_000, 4);
    expect(decodeWithIndexes(bytes, indexes, model.tables)).toEqual(symbols);
    // Escape payload bits are uniform (every value is a valid value), so a flip there changes
    // one escaped value and nothing else: no coder can see it; the container's checksum does.
    // This stream is ~14 % raw payload; still nearly all flips are caught.
    expect(flipTrials(bytes, indexes, 300, 4)).toBeGreaterThanOrEqual(270);
  });

  it('catches damage that leaves the byte count intact through the final-state check', () => {
    // The stream's last byte is the last one read: flipping its lowest bit moves a state by
    // one slot with no reads left to go astray, so only the end state shows the damage.
    const { indexes, bytes } = stream(5_000, 5, false);
    const damaged = bytes.slice();
    damaged[damaged.length - 1] ^= 1;
    const dec = new RansDecoder(damaged);
    dec.decode(indexes, model.tables);
    expect(dec.remainingBytes).toBe(0);
    expect(() => dec.finish()).toThrow(/final state check failed/);
  });

  it('decodes random garbage to an error or to values, never hangs or reads out of bounds', () => {
    const rng = makeRng(4);
    const tables = CdfTables.fromPmfs({ pmfs: [[], [1, 1, 1], [5, 1]], offsets: [0, -1, 3] });
    const indexes = new Int32Array(5_000);
    for (let i = 0; i < indexes.length; i++) indexes[i] = i % 3;
    let errors = 0;
    for (let k = 0; k < 200; k++) {
      const garbage = new Uint8Array(4 + Math.floor(rng() * 40_000));
      for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rng() * 256);
      const { outcome, ms } = attempt(garbage, indexes, tables);
      expect(ms).toBeLessThan(500);
      if (outcome === 'error') errors++;
    }
    expect(errors).toBe(200);
  });

  it('flags bad escape payloads (length field beyond 33 bits) as corruption', () => {
    // Table 0 has only the escape symbol; find a corruption that yields an oversized length.
    const tables = CdfTables.fromPmfs({ pmfs: [[]], offsets: [0] });
    const indexes = new Int32Array(1);
    const bytes = encodeWithIndexes(new Int32Array([123456]), indexes, tables);
    let sawLengthError = false;
    for (let b = 0; b < bytes.length * 8 && !sawLengthError; b++) {
      const damaged = bytes.slice();
      damaged[b >> 3] ^= 1 << (b & 7);
      try {
        new RansDecoder(damaged).decode(indexes, tables);
      } catch (err) {
        expect(err).toBeInstanceOf(EntropyDecodeError);
        if (/escape length/.test((err as Error).message)) sawLengthError = true;
      }
    }
    expect(sawLengthError).toBe(true);
  });
});
