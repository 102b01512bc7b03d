/**
 * Entropy models: factorized (z), Gaussian conditional (y), categorical (VQ tokens), and
 * how a codec combines them — z then y in one stream, or in two sections.
 */
import { describe, expect, it } from 'vitest';
import {
  CategoricalModel,
  CdfTables,
  defaultScaleTable,
  detErfc,
  detExp,
  detLog,
  EntropyDecodeError,
  type EntropyModel,
  FactorizedModel,
  GaussianConditional,
  normalCdf,
  RansDecoder,
  RansEncoder,
} from '../entropy/index.js';
import { gaussianLatent, makeRng } from '../bench/entropy-data.js';

/** A small factorized bundle as a trainer would export it (per-channel pmf, JSON-able). */
function factorizedBundle(channels: number, seed: number) {
  const rng = makeRng(seed);
  const pmf: number[][] = [];
  const offset: number[] = [];
  const tailMass: number[] = [];
  const medians: number[] = [];
  for (let c = 0; c < channels; c++) {
    const half = 1 + Math.floor(rng() * 12);
    const width = 0.3 + rng() * 4;
    const row: number[] = [];
    for (let v = -half; v <= half; v++) row.push(Math.exp(-Math.abs(v) / width));
    pmf.push(row);
    offset.push(-half);
    tailMass.push(1e-9);
    medians.push(rng() - 0.5);
  }
  return { pmf, offset, tailMass, medians };
}

function drawFromModel(rng: () => number, tables: CdfTables, indexes: Int32Array): Int32Array {
  const out = new Int32Array(indexes.length);
  for (let i = 0; i < indexes.length; i++) {
    const t = indexes[i];
    const cdf = tables.tableCdf(t);
    const slot = Math.floor(rng() * 2 ** tables.precision);
    let s = 0;
    while (cdf[s + 1] <= slot) s++;
    out[i] = tables.tableOffset(t) + s;
  }
  return out;
}

describe('deterministic math', () => {
  it('matches the platform functions to the last bits and reference erfc values', () => {
    const rng = makeRng(1);
    for (let i = 0; i < 2000; i++) {
      const x = (rng() - 0.5) * 1400;
      const e = Math.exp(x);
      if (e > 0 && e < Infinity) expect(Math.abs(detExp(x) - e) / e).toBeLessThan(1e-15);
      const y = Math.exp((rng() - 0.5) * 1400);
      expect(Math.abs(detLog(y) - Math.log(y))).toBeLessThan(1e-15 * Math.max(1, Math.abs(Math.log(y))));
    }
    // Reference values: Python's math.erfc (correctly rounded to ~1 ulp).
    const reference: [number, number][] = [
      [0.1, 0.8875370839817152], [0.5, 0.4795001221869535], [1, 0.15729920705028513],
      [2, 0.004677734981047265], [3, 2.2090496998585438e-5], [5, 1.5374597944280351e-12],
      [10, 2.088487583762545e-45], [26, 5.663192408856143e-296],
    ];
    for (const [x, v] of reference) expect(Math.abs(detErfc(x) - v) / v).toBeLessThan(1e-14);
    expect(detErfc(-1)).toBeCloseTo(2 - 0.15729920705028513, 15);
    expect(normalCdf(0)).toBe(0.5);
  });
});

describe('GaussianConditional', () => {
  const model = GaussianConditional.fromScaleTable();

  it('uses CompressAI’s default scale table: 64 scales log-spaced over 0.11..256', () => {
    const table = defaultScaleTable();
    expect(table.length).toBe(64);
    expect(table[0]).toBeCloseTo(0.11, 14);
    expect(table[63]).toBeCloseTo(256, 11);
    for (let i = 1; i < 64; i++) expect(table[i] / table[i - 1]).toBeCloseTo((256 / 0.11) ** (1 / 63), 12);
    expect(model.tables.numTables).toBe(64);
  });

  it('builds tables like CompressAI: ±ceil(6.11σ) values, exact discretized-Gaussian masses', () => {
    for (const j of [0, 20, 40, 63]) {
      const s = model.scaleTable[j];
      const k = Math.ceil(s * 6.109410204869);
      expect(model.tables.tableOffset(j)).toBe(-k);
      expect(model.tables.tableSize(j)).toBe(2 * k + 2); // values −k..k and the escape
      const cdf = model.tables.tableCdf(j);
      // p(0) ≈ Φ(½/σ) − Φ(−½/σ), within the 2^-16 quantum (plus the forced-minimum slack).
      const p0 = (cdf[k + 1] - cdf[k]) / 65536;
      const exact = normalCdf(0.5 / s) - normalCdf(-0.5 / s);
      expect(Math.abs(p0 - exact)).toBeLessThan(2 * k / 65536 + 1 / 65536);
      // Symmetric distribution → symmetric frequencies (up to rounding ties).
      expect(Math.abs(cdf[k] - cdf[k - 1] - (cdf[k + 2] - cdf[k + 1]))).toBeLessThanOrEqual(1);
    }
  });

  it('builds the pinned tables on every machine (encoder and decoder must agree)', () => {
    let h = 0x811c9dc5;
    for (let j = 0; j < model.tables.numTables; j++) {
      const cdf = model.tables.tableCdf(j);
      for (let i = 0; i < cdf.length; i++) h = Math.imul(h ^ cdf[i], 0x01000193);
    }
    expect((h >>> 0).toString(16)).toBe(PINNED_GAUSSIAN_TABLES);
  });

  it('maps scales to table indexes by CompressAI’s rule, exactly', () => {
    const table = model.scaleTable;
    const rng = makeRng(2);
    const scales: number[] = [0, -1, 1e-9, 0.11, 256, 300, 1e30, NaN, Infinity, -Infinity];
    for (const v of table) scales.push(v, Math.fround(v), v * (1 + 1e-15), v * (1 - 1e-15));
    for (let i = 0; i < 10_000; i++) scales.push(Math.exp((rng() - 0.3) * 8));
    const got = model.indexesFromScales(Float64Array.from(scales));
    for (let i = 0; i < scales.length; i++) {
      // CompressAI: indexes = len − 1 − #{j < len − 1 : scale ≤ table[j]}
      let expected = table.length - 1;
      for (let j = 0; j < table.length - 1; j++) if (scales[i] <= table[j]) expected--;
      expect(got[i]).toBe(expected);
    }
    // Monotone in the scale.
    const sorted = Float32Array.from({ length: 1000 }, (_, i) => 0.05 * 1.01 ** i);
    const idx = model.indexesFromScales(sorted);
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThanOrEqual(idx[i - 1]);
  });

  it('round-trips from a bundle of exported integer CDFs (JSON) exactly like the built model', () => {
    const bundle = JSON.parse(JSON.stringify({
      scaleTable: Array.from(model.scaleTable),
      cdf: Array.from({ length: 64 }, (_, j) => Array.from(model.tables.tableCdf(j))),
      offset: Array.from({ length: 64 }, (_, j) => model.tables.tableOffset(j)),
    }));
    const loaded = GaussianConditional.fromBundle(bundle);
    const { scales, symbols } = gaussianLatent(50_000, 9);
    const indexes = model.indexesFromScales(scales);
    const bytes = model.compress(symbols, indexes);
    expect(loaded.compress(symbols, indexes)).toEqual(bytes);
    expect(loaded.decompress(bytes, loaded.indexesFromScales(scales))).toEqual(symbols);
    expect(() => GaussianConditional.fromBundle({ scaleTable: [1, 2], cdf: bundle.cdf.slice(0, 2) })).toThrow(/offset/);
    expect(() => GaussianConditional.fromScaleTable([1, 1])).toThrow(/strictly ascending/);
  });
});

describe('FactorizedModel', () => {
  it('loads per-channel pmfs from a JSON bundle and codes a C×H×W hyper-latent', () => {
    const bundle = JSON.parse(JSON.stringify(factorizedBundle(32, 1)));
    const model = FactorizedModel.fromBundle(bundle);
    expect(model.channels).toBe(32);
    expect(model.medians?.[3]).toBe(bundle.medians[3]);
    const indexes = FactorizedModel.channelIndexes(32, 8 * 12);
    expect(indexes[95]).toBe(0);
    expect(indexes[96]).toBe(1);
    const symbols = drawFromModel(makeRng(3), model.tables, indexes);
    symbols[5] = 1000; // an outlier: escape path
    expect(model.decompress(model.compress(symbols, indexes), indexes)).toEqual(symbols);
  });

  it('loads CompressAI-style integer CDFs (padded rows + lengths) and codes identically', () => {
    const fromPmf = FactorizedModel.fromBundle(factorizedBundle(8, 2));
    const rows = Array.from({ length: 8 }, (_, c) => [...fromPmf.tables.tableCdf(c), 0, 0, 0]);
    const fromCdf = FactorizedModel.fromBundle({
      cdf: rows,
      cdfLength: rows.map((r) => r.length - 3),
      offset: Array.from({ length: 8 }, (_, c) => fromPmf.tables.tableOffset(c)),
    });
    const indexes = FactorizedModel.channelIndexes(8, 100);
    const symbols = drawFromModel(makeRng(4), fromPmf.tables, indexes);
    expect(fromCdf.compress(symbols, indexes)).toEqual(fromPmf.compress(symbols, indexes));
  });

  it('names the bad field of a malformed bundle', () => {
    expect(() => FactorizedModel.fromBundle({ offset: [0] })).toThrow(/exactly one of `cdf`/);
    expect(() => FactorizedModel.fromBundle({ offset: [0], pmf: [[1]], cdf: [[0, 65536]] })).toThrow(/exactly one/);
    expect(() => FactorizedModel.fromBundle({ offset: [0, 0], pmf: [[1]] })).toThrow(/offsets has 2 entries/);
    expect(() => FactorizedModel.fromBundle({ offset: [0], pmf: [[1]], medians: [0, 1] })).toThrow(/medians/);
    expect(() => FactorizedModel.fromBundle({ offset: [0], cdf: [[0, 3, 2, 65536]] })).toThrow(/table 0: CDF entry 2/);
  });
});

describe('CategoricalModel', () => {
  const K = 512;
  const positions = 300;
  const rng = makeRng(5);
  const probs = new Float32Array(positions * K);
  for (let i = 0; i < positions; i++) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += probs[i * K + k] = Math.exp(8 * rng());
    for (let k = 0; k < K; k++) probs[i * K + k] /= sum;
  }
  const model = CategoricalModel.fromProbabilities(probs, K);

  it('codes VQ tokens with a table per position, over several token maps', () => {
    expect(model.positions).toBe(positions);
    const indexes = model.positionIndexes(3);
    expect(indexes[positions + 1]).toBe(1);
    const tokens = drawFromModel(makeRng(6), model.tables, indexes);
    const bytes = model.compress(tokens, indexes);
    expect(model.decompress(bytes, indexes)).toEqual(tokens);
  });

  it('decodes autoregressively: one table built per step, same stream as the batch', () => {
    const indexes = model.positionIndexes();
    const tokens = drawFromModel(makeRng(7), model.tables, indexes);
    const bytes = model.compress(tokens, indexes);
    const dec = new RansDecoder(bytes);
    for (let i = 0; i < positions; i++) {
      // A real prior would compute row i from tokens < i; here it is the stored row.
      const step = CategoricalModel.fromProbabilities(probs.subarray(i * K, (i + 1) * K), K);
      expect(dec.decodeSymbol(0, step.tables)).toBe(tokens[i]);
    }
    dec.finish();
  });

  it('rejects probabilities that do not fill whole rows', () => {
    expect(() => CategoricalModel.fromProbabilities(new Float32Array(10), 3)).toThrow(/multiple of 3/);
    expect(() => CategoricalModel.fromProbabilities([0.5, 0.5, 0, 0], 2)).toThrow(/table 1/);
  });
});

describe('combining models in a codec', () => {
  const zModel = FactorizedModel.fromBundle(factorizedBundle(16, 8));
  const yModel = GaussianConditional.fromScaleTable();
  const zIndexes = FactorizedModel.channelIndexes(16, 4 * 6);
  const zSymbols = drawFromModel(makeRng(9), zModel.tables, zIndexes);
  const { scales, symbols: ySymbols } = gaussianLatent(64 * 16 * 24, 10);

  it('codes z (factorized) then y (Gaussian conditional) in one stream', () => {
    const enc = new RansEncoder();
    zModel.encode(enc, zSymbols, zIndexes);
    yModel.encode(enc, ySymbols, yModel.indexesFromScales(scales));
    const bytes = enc.finish();

    const dec = new RansDecoder(bytes);
    expect(zModel.decode(dec, zIndexes)).toEqual(zSymbols);
    // A codec computes the scales from ẑ here (h_s); the stream continues with y.
    expect(yModel.decode(dec, yModel.indexesFromScales(scales))).toEqual(ySymbols);
    dec.finish();
  });

  it('codes z and y as two sections, each checked on its own', () => {
    const zBytes = zModel.compress(zSymbols, zIndexes);
    const yBytes = yModel.compress(ySymbols, yModel.indexesFromScales(scales));
    expect(zModel.decompress(zBytes, zIndexes)).toEqual(zSymbols);
    expect(yModel.decompress(yBytes, yModel.indexesFromScales(scales))).toEqual(ySymbols);
    // Swapped sections cannot pass for each other.
    expect(() => zModel.decompress(yBytes, zIndexes)).toThrow(EntropyDecodeError);
  });

  it('treats every model through the one EntropyModel interface', () => {
    const models: [EntropyModel, Int32Array][] = [
      [zModel, zIndexes],
      [yModel, yModel.indexesFromScales(scales)],
      [CategoricalModel.fromProbabilities([0.9, 0.1, 0.5, 0.5], 2), new Int32Array([0, 1, 1, 0])],
    ];
    const enc = new RansEncoder();
    const sent = models.map(([m, idx]) => {
      const s = drawFromModel(makeRng(idx.length), m.tables, idx);
      m.encode(enc, s, idx);
      return s;
    });
    const dec = new RansDecoder(enc.finish());
    models.forEach(([m, idx], k) => expect(m.decode(dec, idx)).toEqual(sent[k]));
    dec.finish();
  });
});

const PINNED_GAUSSIAN_TABLES = 'a7cf5c5';

describe('indexFromThresholds', () => {
  it('counts the thresholds at or below a value, on both sides of every threshold', async () => {
    const { indexFromThresholds } = await import('../entropy/index.js');
    const T = [-5, 0, 0, 7, 1000];
    const expected: [number, number][] = [[-6, 0], [-5, 1], [-1, 1], [0, 3], [6, 3], [7, 4], [999, 4], [1000, 5], [2 ** 31, 5]];
    for (const [v, want] of expected) expect(indexFromThresholds(T, v)).toBe(want);
    expect(indexFromThresholds([], 3)).toBe(0);
  });
});
