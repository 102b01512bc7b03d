/** The coder's output stays within a hair of the ideal code length under its tables. */
import { describe, expect, it } from 'vitest';
import { GaussianConditional, informationContent, RansEncoder, CdfTables, encodeWithIndexes } from '../entropy/index.js';
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
});
