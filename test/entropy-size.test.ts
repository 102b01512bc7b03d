/** The coder's output stays within a hair of the ideal code length under its tables. */
import { describe, expect, it } from 'vitest';
import { GaussianConditional, informationContent, RansEncoder, CdfTables, encodeWithIndexes, minStreamBytes } from '../entropy/index.js';
import { gaussianLatent, makeRng } from '../bench/entropy-data.js';

describe('compressed size', () => {
  it('is within 0.2 % + 16 bytes of Σ −log2 p on 1M Gaussian-conditional symbols', () => {
    const model = GaussianConditional.fromScaleTable();
    const { scales, symbols } = gaussianLatent(1_000_000, 42);
    const indexes = model.indexesFromScales(scales);
    const enc = new RansEncoder();
    model.encode(enc, symbols, indexes);
    const bytes = enc.finish();
    const idealBytes = informationContent(symbols, indexes, model.tables) / 8;
    expect(bytes.length).toBeLessThanOrEqual(idealBytes * 1.002 + 16);
    // And no coder can beat the information content (beyond the 8 bytes of state it carries).
    expect(bytes.length).toBeGreaterThanOrEqual(idealBytes - 8);
  });

  it('stays within the bound on very peaked tables (≈ 0.0003 bits per symbol)', () => {
    // Where a coder's per-symbol rounding would show most.
    const tables = CdfTables.fromCdfs({ cdfs: [[0, 65534, 65535, 65536]], offsets: [0] });
    const rng = makeRng(8);
    const n = 1_000_000;
    const symbols = new Int32Array(n);
    for (let i = 0; i < n; i++) symbols[i] = rng() < 1 / 65536 ? 1 : 0;
    const indexes = new Int32Array(n);
    const bytes = encodeWithIndexes(symbols, indexes, tables);
    const idealBytes = informationContent(symbols, indexes, tables) / 8;
    expect(bytes.length).toBeLessThanOrEqual(idealBytes * 1.002 + 16);
  });

  it('minStreamBytes is a true lower bound: no real stream is shorter', () => {
    const rng = makeRng(21);
    const uniform = CdfTables.fromCdfs({ cdfs: [Array.from({ length: 257 }, (_, i) => i * 256)], offsets: [0] });
    const peaked = CdfTables.fromCdfs({ cdfs: [[0, 65534, 65535, 65536]], offsets: [0] });
    const gaussian = GaussianConditional.fromScaleTable().tables;
    const cases: [CdfTables, (i: number) => [number, number]][] = [
      [uniform, () => [Math.floor(rng() * 255), 0]], // 8 bits a symbol: the tightest case
      [uniform, () => [0, 0]],
      [peaked, () => [0, 0]], // the most probable symbol every time: where rounding slack shows
      [peaked, () => [rng() < 0.001 ? 1 : 0, 0]],
      [gaussian, (i) => [Math.round((rng() - 0.5) * 8), i % gaussian.numTables]],
    ];
    for (const [tables, draw] of cases) {
      const minBits = tables.minSymbolBits();
      for (const n of [0, 1, 2, 7, 100, 10_000, 200_000]) {
        const symbols = new Int32Array(n);
        const indexes = new Int32Array(n);
        for (let i = 0; i < n; i++) [symbols[i], indexes[i]] = draw(i);
        const bytes = encodeWithIndexes(symbols, indexes, tables);
        let cheapest = 0;
        for (let i = 0; i < n; i++) cheapest += minBits[indexes[i]!]!;
        const ideal = informationContent(symbols, indexes, tables);
        expect(bytes.length).toBeGreaterThanOrEqual(minStreamBytes(ideal, n, tables.precision));
        expect(minStreamBytes(cheapest, n, tables.precision)).toBeLessThanOrEqual(minStreamBytes(ideal, n, tables.precision));
      }
    }
    // and it is not vacuous: 8-bit symbols need about a byte each
    expect(minStreamBytes(8 * 10_000, 10_000, 16)).toBeGreaterThan(9_900);
  });
});
