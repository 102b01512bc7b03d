/** The rANS coder: exact round trips under any distribution, escapes, edge cases. */
import { describe, expect, it } from 'vitest';
import {
  CdfTables,
  decodeWithIndexes,
  encodeWithIndexes,
  EntropyDecodeError,
  RansDecoder,
  RansEncoder,
} from '../entropy/index.js';
import { makeRng } from '../bench/entropy-data.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Tables of assorted shapes: peaked, flat, near-zero probabilities, random, Laplacian. */
function randomTables(rng: () => number, count: number, precision: number): CdfTables {
  const pmfs: number[][] = [];
  const offsets: number[] = [];
  const tails: number[] = [];
  const maxLen = Math.min(2 ** precision - 1, 3000);
  for (let t = 0; t < count; t++) {
    const n = Math.floor(rng() * rng() * maxLen); // many small tables, some large; 0 = escape only
    const shape = t % 5;
    const pmf: number[] = [];
    const peak = Math.floor(rng() * n);
    for (let i = 0; i < n; i++) {
      if (shape === 0) pmf.push(i === peak ? 1 : 1e-9 * rng()); // peaked
      else if (shape === 1) pmf.push(1); // flat
      else if (shape === 2) pmf.push(rng() < 0.7 ? 1e-14 * rng() : rng()); // near-zero probabilities
      else if (shape === 3) pmf.push(rng() ** 4);
      else pmf.push(Math.exp(-Math.abs(i - peak) / (0.2 + 10 * rng())));
    }
    pmfs.push(pmf);
    offsets.push(Math.floor((rng() - 0.5) * 2000));
    tails.push(rng() < 0.5 ? 0 : 1e-3 * rng());
  }
  return CdfTables.fromPmfs({ pmfs, offsets, tailMasses: tails, precision });
}

/**
 * Symbols drawn from each table's own quantized distribution (so a frequency-1 symbol shows
 * up at its true rate 2^-precision), with a fraction `escapes` replaced by values outside
 * the table anywhere in int32.
 */
function drawSymbols(rng: () => number, tables: CdfTables, n: number, escapes: number) {
  const indexes = new Int32Array(n);
  const symbols = new Int32Array(n);
  const cdfs = Array.from({ length: tables.numTables }, (_, t) => tables.tableCdf(t));
  const total = 2 ** tables.precision;
  for (let i = 0; i < n; i++) {
    const t = Math.floor(rng() * tables.numTables);
    indexes[i] = t;
    const cdf = cdfs[t];
    const size = cdf.length - 1;
    const lo = tables.tableOffset(t);
    if (rng() < escapes || size === 1) {
      const r = rng();
      symbols[i] = r < 0.4 ? lo - 1 - Math.floor(rng() * 100) : r < 0.8 ? lo + size - 1 + Math.floor(rng() * 100) : Math.floor(INT32_MIN + rng() * 2 ** 32);
      continue;
    }
    const slot = Math.floor(rng() * total);
    let s = 0;
    while (cdf[s + 1] <= slot) s++;
    // The escape symbol's slot stands for some out-of-range value.
    symbols[i] = s === size - 1 ? lo + size - 1 + 7 : lo + s;
  }
  return { symbols, indexes };
}

function expectEqualArrays(actual: Int32Array, expected: Int32Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`symbol ${i}: decoded ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('rANS round trip', () => {
  it('decodes 1.2M symbols from random distributions, many tables, mixed precisions, one stream', () => {
    const rng = makeRng(99);
    const enc = new RansEncoder();
    const batches: { symbols: Int32Array; indexes: Int32Array; tables: CdfTables }[] = [];
    for (const [precision, count, n] of [[16, 300, 600_000], [12, 150, 300_000], [14, 40, 200_000], [8, 30, 100_000]] as const) {
      const tables = randomTables(rng, count, precision);
      const { symbols, indexes } = drawSymbols(rng, tables, n, 0.002);
      batches.push({ symbols, indexes, tables });
      enc.encode(symbols, indexes, tables);
    }
    expect(enc.pendingSymbols).toBe(1_200_000);
    const bytes = enc.finish();
    expect(enc.pendingSymbols).toBe(0);
    const dec = new RansDecoder(bytes);
    for (const b of batches) expectEqualArrays(dec.decode(b.indexes, b.tables), b.symbols);
    dec.finish();
  });

  it('decodes symbol by symbol (binary search path) exactly as in batches (lookup path)', () => {
    const rng = makeRng(5);
    const tables = randomTables(rng, 20, 16);
    const { symbols, indexes } = drawSymbols(rng, tables, 20_000, 0.01);
    const bytes = encodeWithIndexes(symbols, indexes, tables);
    const dec = new RansDecoder(bytes);
    for (let i = 0; i < 10_000; i++) expect(dec.decodeSymbol(indexes[i], tables)).toBe(symbols[i]);
    expectEqualArrays(dec.decode(indexes.subarray(10_000), tables), symbols.subarray(10_000));
    dec.finish();
    // Small batches (fewer symbols than tables) take the binary-search path inside decode().
    const few = randomTables(rng, 500, 16);
    const drawn = drawSymbols(rng, few, 100, 0.05);
    expectEqualArrays(decodeWithIndexes(encodeWithIndexes(drawn.symbols, drawn.indexes, few), drawn.indexes, few), drawn.symbols);
    expect(few.hasLookupTable).toBe(false);
  });

  it('keeps the two interleaved states in step across odd-length batches and single decodes', () => {
    const rng = makeRng(21);
    const tables = randomTables(rng, 6, 16);
    const enc = new RansEncoder();
    const sent: { symbols: Int32Array; indexes: Int32Array }[] = [];
    for (const n of [1, 3, 2, 0, 7, 1001, 1, 64, 999]) {
      const drawn = drawSymbols(rng, tables, n, 0.05);
      sent.push(drawn);
      enc.encode(drawn.symbols, drawn.indexes, tables);
    }
    const bytes = enc.finish();
    const dec = new RansDecoder(bytes);
    sent.forEach(({ symbols, indexes }, k) => {
      if (k % 2 === 0) {
        expectEqualArrays(dec.decode(indexes, tables), symbols);
      } else {
        // Odd batches: a few symbols one at a time, the rest as a batch.
        const m = Math.min(symbols.length, 3);
        for (let i = 0; i < m; i++) expect(dec.decodeSymbol(indexes[i], tables)).toBe(symbols[i]);
        expectEqualArrays(dec.decode(indexes.subarray(m), tables), symbols.subarray(m));
      }
    });
    dec.finish();
  });

  it('round-trips at every precision from 1 to 16 bits', () => {
    const rng = makeRng(3);
    for (let precision = 1; precision <= 16; precision++) {
      const tables = randomTables(rng, 8, precision);
      const { symbols, indexes } = drawSymbols(rng, tables, 5_000, 0.01);
      const bytes = encodeWithIndexes(symbols, indexes, tables);
      expectEqualArrays(decodeWithIndexes(bytes, indexes, tables), symbols);
    }
  });

  it('codes an empty stream in 8 bytes (the two states) and decodes it', () => {
    const tables = CdfTables.fromPmfs({ pmfs: [[1, 2, 3]], offsets: [0] });
    const none = new Int32Array(0);
    const bytes = encodeWithIndexes(none, none, tables);
    expect(bytes.length).toBe(8);
    expect(decodeWithIndexes(bytes, none, tables)).toEqual(none);
    expect(new RansEncoder().finish()).toEqual(bytes);
  });

  it('codes a single symbol, in range or escaped', () => {
    const tables = CdfTables.fromPmfs({ pmfs: [[1, 2, 3]], offsets: [-1] });
    const idx = new Int32Array([0]);
    for (const v of [-1, 0, 1, 2, -2, 1000, INT32_MIN, INT32_MAX]) {
      const sym = new Int32Array([v]);
      expect(decodeWithIndexes(encodeWithIndexes(sym, idx, tables), idx, tables)).toEqual(sym);
    }
  });

  it('codes streams of escape values only, including ±2^30 and the int32 extremes', () => {
    const rng = makeRng(17);
    // A table of one (escape) symbol: every value escapes. Offsets at the allowed extremes.
    const tables = CdfTables.fromPmfs({
      pmfs: [[], [1, 1], [1]],
      offsets: [0, 2 ** 30, -(2 ** 30)],
    });
    const specials = [0, 1, -1, 2 ** 30, -(2 ** 30), 2 ** 30 - 1, -(2 ** 30) + 1, INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1];
    const n = 30_000;
    const symbols = new Int32Array(n);
    const indexes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      indexes[i] = i % 3;
      symbols[i] = i < specials.length * 3 ? specials[Math.floor(i / 3)] : Math.floor(INT32_MIN + rng() * 2 ** 32);
      // Keep tables 1 and 2 escaping: avoid their few in-range values.
      if (indexes[i] === 1 && (symbols[i] === 2 ** 30 || symbols[i] === 2 ** 30 + 1)) symbols[i] = 5;
      if (indexes[i] === 2 && symbols[i] === -(2 ** 30)) symbols[i] = 5;
    }
    const bytes = encodeWithIndexes(symbols, indexes, tables);
    expectEqualArrays(decodeWithIndexes(bytes, indexes, tables), symbols);
  });

  it('codes ±2^30 on ordinary tables next to ordinary symbols', () => {
    const tables = CdfTables.fromPmfs({ pmfs: [[0.1, 0.8, 0.1]], offsets: [-1] });
    const symbols = new Int32Array([0, 2 ** 30, 1, -(2 ** 30), -1, 0, 2 ** 30 + 12345, -(2 ** 30) - 12345, 0]);
    const indexes = new Int32Array(symbols.length);
    expect(decodeWithIndexes(encodeWithIndexes(symbols, indexes, tables), indexes, tables)).toEqual(symbols);
  });

  it('codes tables loaded as integer CDFs (CompressAI layout, padded rows)', () => {
    const tables = CdfTables.fromCdfs({
      cdfs: [
        [0, 30000, 60000, 65535, 65536, 0, 0],
        [0, 1, 65536, 0, 0, 0, 0],
      ],
      cdfLengths: [5, 3],
      offsets: [-1, 7],
    });
    expect(tables.tableSize(0)).toBe(4);
    expect(tables.tableSize(1)).toBe(2);
    const symbols = new Int32Array([-1, 0, 1, 2, 99, 7, 8, 7, -5]);
    const indexes = new Int32Array([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(decodeWithIndexes(encodeWithIndexes(symbols, indexes, tables), indexes, tables)).toEqual(symbols);
  });

  it('rejects calling-code mistakes with TypeError/RangeError, not EntropyDecodeError', () => {
    const tables = CdfTables.fromPmfs({ pmfs: [[1, 1]], offsets: [0] });
    const enc = new RansEncoder();
    expect(() => enc.encode(new Int32Array(2), new Int32Array(3), tables)).toThrow(RangeError);
    expect(() => enc.encode([1, 2] as unknown as Int32Array, new Int32Array(2), tables)).toThrow(TypeError);
    enc.encode(new Int32Array(2), new Int32Array([0, 1]), tables);
    expect(() => enc.finish()).toThrow(/indexes\[1\] = 1 is out of range/);
    const bytes = encodeWithIndexes(new Int32Array(3), new Int32Array(3), tables);
    expect(() => new RansDecoder(bytes).decode(new Int32Array([0, -1, 0]), tables)).toThrow(RangeError);
    expect(() => new RansDecoder(bytes).decodeSymbol(1, tables)).toThrow(RangeError);
    expect(() => CdfTables.fromCdfs({ cdfs: [[0, 5, 5, 65536]], offsets: [0] })).toThrow(/table 0: CDF entry 2/);
    expect(() => CdfTables.fromCdfs({ cdfs: [[0, 5, 65535]], offsets: [0] })).toThrow(/end at 2\^16/);
    expect(() => CdfTables.fromPmfs({ pmfs: [[1]], offsets: [2 ** 31] })).toThrow(/offsets\[0\]/);
    expect(() => CdfTables.fromPmfs({ pmfs: [[1], [1]], offsets: [0] })).toThrow(/offsets has 1 entries, expected 2/);
    expect(() => CdfTables.fromPmfs({ pmfs: [[1, -1]], offsets: [0] })).toThrow(/table 0: pmf\[1\]/);
    expect(new EntropyDecodeError('x')).toBeInstanceOf(Error);
  });
});
