/** The CDF builder: exact totals, no zero frequencies, near-optimal, the same bits everywhere. */
import { describe, expect, it } from 'vitest';
import { pmfToQuantizedCdf } from '../entropy/index.js';
import { makeRng } from '../bench/entropy-data.js';

function checkCdf(cdf: Int32Array, n: number, precision: number): void {
  expect(cdf.length).toBe(n + 1);
  expect(cdf[0]).toBe(0);
  expect(cdf[n]).toBe(2 ** precision);
  for (let i = 0; i < n; i++) {
    if (!(cdf[i + 1] - cdf[i] >= 1)) throw new Error(`symbol ${i} has frequency ${cdf[i + 1] - cdf[i]}`);
  }
}

/** A random pmf of one of several shapes, sized to fit `precision`. */
function randomPmf(rng: () => number, precision: number): number[] {
  const maxN = Math.min(2 ** precision, 5000);
  const n = 1 + Math.floor(rng() * maxN);
  const shape = Math.floor(rng() * 6);
  const pmf: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (shape) {
      case 0: pmf.push(1); break; // flat: all ties
      case 1: pmf.push(i === 0 ? 1 : 1e-12 * rng()); break; // peaked, near-zero rest
      case 2: pmf.push(rng() < 0.5 ? 0 : rng()); break; // exact zeros
      case 3: pmf.push(Math.exp(-Math.abs(i - n / 2) / (1 + rng() * 20))); break; // Laplacian
      case 4: pmf.push(rng() ** 8 * 1e300); break; // huge dynamic range, huge magnitudes
      default: pmf.push(rng() < 0.1 ? 1 - rng() : 1e-300 * rng()); // sparse, denormal-small rest
    }
  }
  if (pmf.every((v) => v === 0)) pmf[0] = 1;
  return pmf;
}

/** FNV-1a over the CDF entries: a fingerprint to pin the exact output. */
function fingerprint(cdfs: Int32Array[]): string {
  let h = 0x811c9dc5;
  for (const cdf of cdfs) {
    for (let i = 0; i < cdf.length; i++) {
      h = Math.imul(h ^ (cdf[i] & 0xffff), 0x01000193);
      h = Math.imul(h ^ (cdf[i] >>> 16), 0x01000193);
    }
  }
  return (h >>> 0).toString(16);
}

describe('pmfToQuantizedCdf', () => {
  it('quantizes a dyadic pmf exactly', () => {
    expect(Array.from(pmfToQuantizedCdf([0.5, 0.25, 0.25], 4))).toEqual([0, 8, 12, 16]);
    expect(Array.from(pmfToQuantizedCdf([2, 1, 1], 4))).toEqual([0, 8, 12, 16]); // need not sum to 1
  });

  it('breaks ties by the lower symbol index', () => {
    // 4 slots over 3 equal symbols: the spare slot goes to symbol 0.
    expect(Array.from(pmfToQuantizedCdf([1, 1, 1], 2))).toEqual([0, 2, 3, 4]);
    // Removing: 5 equal symbols get round(16/5) = 3 each (15), one slot left for symbol 0.
    expect(Array.from(pmfToQuantizedCdf([1, 1, 1, 1, 1], 4))).toEqual([0, 4, 7, 10, 13, 16]);
  });

  it('gives every symbol at least 1 and totals exactly 2^precision (random pmfs, all precisions)', () => {
    const rng = makeRng(7);
    for (let trial = 0; trial < 400; trial++) {
      const precision = 1 + (trial % 16);
      const pmf = randomPmf(rng, precision);
      checkCdf(pmfToQuantizedCdf(pmf, precision), pmf.length, precision);
    }
  });

  it('uses all 2^precision slots when there are exactly that many symbols', () => {
    const cdf = pmfToQuantizedCdf(new Float64Array(256).fill(1e-9).fill(1, 0, 1), 8);
    for (let i = 0; i < 256; i++) expect(cdf[i + 1] - cdf[i]).toBe(1);
  });

  it('is deterministic: same input, same bits; scaling the pmf by 2^k changes nothing', () => {
    const rng = makeRng(11);
    for (let trial = 0; trial < 40; trial++) {
      const pmf = randomPmf(rng, 16).map((v) => Math.min(v, 1e290));
      const a = pmfToQuantizedCdf(pmf, 16);
      const b = pmfToQuantizedCdf(Float64Array.from(pmf), 16);
      const c = pmfToQuantizedCdf(pmf.map((v) => v * 1024), 16);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
    }
  });

  it('produces the pinned output on every machine', () => {
    // If this fails on a new platform, its encoder and decoder would build different tables.
    const rng = makeRng(12345);
    const cdfs: Int32Array[] = [];
    for (let trial = 0; trial < 60; trial++) {
      const precision = 8 + (trial % 9);
      cdfs.push(pmfToQuantizedCdf(randomPmf(rng, precision), precision));
    }
    expect(fingerprint(cdfs)).toBe(PINNED_FINGERPRINT);
  });

  it('costs almost nothing over the entropy on a smooth distribution', () => {
    const sigma = 3;
    const pmf: number[] = [];
    for (let v = -40; v <= 40; v++) pmf.push(Math.exp((-v * v) / (2 * sigma * sigma)));
    const total = pmf.reduce((a, b) => a + b, 0);
    const cdf = pmfToQuantizedCdf(pmf, 16);
    let entropy = 0;
    let crossEntropy = 0;
    for (let i = 0; i < pmf.length; i++) {
      const p = pmf[i] / total;
      entropy -= p * Math.log2(p);
      crossEntropy -= p * Math.log2((cdf[i + 1] - cdf[i]) / 65536);
    }
    // The tails' forced frequency 1 costs a little; everything else rounds near-optimally.
    expect(crossEntropy - entropy).toBeLessThan(2e-3);
    expect(crossEntropy).toBeGreaterThanOrEqual(entropy);
  });

  it('rejects what it cannot quantize, naming the problem', () => {
    expect(() => pmfToQuantizedCdf([], 16)).toThrow(/at least one symbol/);
    expect(() => pmfToQuantizedCdf([1, -1], 16)).toThrow(/pmf\[1\]/);
    expect(() => pmfToQuantizedCdf([1, NaN], 16)).toThrow(/pmf\[1\]/);
    expect(() => pmfToQuantizedCdf([1, Infinity], 16)).toThrow(/pmf\[1\]/);
    expect(() => pmfToQuantizedCdf([0, 0], 16)).toThrow(/positive sum/);
    expect(() => pmfToQuantizedCdf([1e308, 1e308], 16)).toThrow(/positive sum/);
    expect(() => pmfToQuantizedCdf([1, 1, 1], 1)).toThrow(/precision/);
    expect(() => pmfToQuantizedCdf([1], 17)).toThrow(RangeError);
    expect(() => pmfToQuantizedCdf([1], 0)).toThrow(RangeError);
  });
});

const PINNED_FINGERPRINT = 'c8d2ffd1';
