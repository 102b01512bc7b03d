/**
 * Gaussian conditional model (Ballé et al. 2018, CompressAI's GaussianConditional): each
 * latent element y_i is coded under a zero-mean discretized Gaussian whose scale σ_i the
 * hyper-synthesis predicts. Coding with a table per element is impossible, so σ is snapped
 * to a fixed scale table (typically 64 scales log-spaced over 0.11..256) and a symbol's
 * table index is a pure function of its predicted scale.
 *
 * Determinism: the decoder must pick the same table as the encoder. indexesFromScales uses
 * comparisons only; the tables are built with detmath (no engine-dependent Math.exp) and the
 * one deterministic CDF builder, or loaded as integers from the model bundle. Whether the
 * *scales* themselves agree across machines is up to the network (Ballé et al. 2019).
 */
import { checkPrecision, DEFAULT_PRECISION } from './cdf.js';
import { detExp, detLog, normalCdf, normalTailQuantile } from './detmath.js';
import { IndexedEntropyModel } from './model.js';
import { CdfTables } from './tables.js';

/** CompressAI's defaults: the probability mass left to the escape path, and the scale range. */
export const DEFAULT_TAIL_MASS = 1e-9;
export const SCALE_MIN = 0.11;
export const SCALE_MAX = 256;
export const SCALE_LEVELS = 64;

export interface GaussianConditionalOptions {
  /** Bits of CDF precision, default 16. */
  precision?: number;
  /** Mass beyond each table's ±K range, coded through the escape path; default 1e-9. */
  tailMass?: number;
}

/** A Gaussian conditional as a trainer exports it (JSON-able). */
export interface GaussianConditionalBundle extends GaussianConditionalOptions {
  /** Ascending scales, one table each. */
  scaleTable: ArrayLike<number>;
  /** Optional integer CDFs per scale (CompressAI `_quantized_cdf`); built here when absent. */
  cdf?: ArrayLike<ArrayLike<number>>;
  cdfLength?: ArrayLike<number>;
  offset?: ArrayLike<number>;
}

/** exp(linspace(log min, log max, levels)), as CompressAI's get_scale_table, deterministically. */
export function defaultScaleTable(min = SCALE_MIN, max = SCALE_MAX, levels = SCALE_LEVELS): Float64Array {
  if (!(min > 0 && max > min && Number.isInteger(levels) && levels >= 2)) {
    throw new RangeError(`scale table needs 0 < min < max and levels >= 2, got ${min}, ${max}, ${levels}`);
  }
  const a = detLog(min);
  const b = detLog(max);
  const out = new Float64Array(levels);
  for (let i = 0; i < levels; i++) out[i] = detExp(a + ((b - a) * i) / (levels - 1));
  return out;
}

/**
 * The scale-table index of a value given ascending integer thresholds: the number of
 * thresholds t <= v. A model whose hyper-synthesis outputs integers (Ballé et al. 2019) ships
 * thresholds in its own output units, so picking a table never touches a float.
 */
export function indexFromThresholds(thresholds: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class GaussianConditional extends IndexedEntropyModel {
  /** The scales the tables were built for, ascending; table j is the Gaussian of scaleTable[j]. */
  readonly scaleTable: Float64Array;

  constructor(tables: CdfTables, scaleTable: ArrayLike<number>) {
    super(tables);
    this.scaleTable = checkScaleTable(scaleTable);
    if (this.scaleTable.length !== tables.numTables) {
      throw new RangeError(`scale table has ${this.scaleTable.length} scales but there are ${tables.numTables} tables`);
    }
  }

  /**
   * Builds one table per scale σ, as CompressAI's update(): values −K..K with K = ceil(σ·q),
   * q the normal quantile leaving tailMass/2 in each tail; pmf(v) = Φ((½ − |v|)/σ) −
   * Φ((−½ − |v|)/σ); the mass beyond ±K goes to the escape symbol.
   */
  static fromScaleTable(scaleTable: ArrayLike<number> = defaultScaleTable(), opts: GaussianConditionalOptions = {}): GaussianConditional {
    const precision = opts.precision ?? DEFAULT_PRECISION;
    checkPrecision(precision);
    const tailMass = opts.tailMass ?? DEFAULT_TAIL_MASS;
    const scales = checkScaleTable(scaleTable);
    const multiplier = normalTailQuantile(tailMass / 2);
    // Keep every table (2K + 1 values + escape) within 2^precision symbols.
    const maxK = Math.max(0, (2 ** precision - 2) >> 1);
    const pmfs: Float64Array[] = [];
    const tails = new Float64Array(scales.length);
    const offsets = new Int32Array(scales.length);
    for (let j = 0; j < scales.length; j++) {
      const s = scales[j];
      const k = Math.min(maxK, Math.ceil(s * multiplier));
      const pmf = new Float64Array(2 * k + 1);
      // Symmetric: each |v| once, from the tail side where Φ is accurate. The lower edge of
      // |v| is the upper edge of |v| + 1 (the same double), so Φ is evaluated once per edge.
      let upper = normalCdf(0.5 / s);
      for (let a = 0; a <= k; a++) {
        const lower = normalCdf((-0.5 - a) / s);
        pmf[k + a] = upper - lower;
        pmf[k - a] = upper - lower;
        upper = lower;
      }
      tails[j] = 2 * normalCdf((-0.5 - k) / s);
      offsets[j] = -k;
      pmfs.push(pmf);
    }
    const tables = CdfTables.fromPmfs({ pmfs, tailMasses: tails, offsets, precision });
    return new GaussianConditional(tables, scales);
  }

  /** From a bundle: its integer CDFs when present (bit-exact with the trainer), else built. */
  static fromBundle(bundle: GaussianConditionalBundle): GaussianConditional {
    if (bundle.cdf === undefined) return GaussianConditional.fromScaleTable(bundle.scaleTable, bundle);
    if (bundle.offset === undefined) throw new RangeError('a Gaussian conditional bundle with `cdf` also needs `offset`');
    const tables = CdfTables.fromCdfs({
      cdfs: bundle.cdf,
      cdfLengths: bundle.cdfLength,
      offsets: bundle.offset,
      precision: bundle.precision,
    });
    return new GaussianConditional(tables, bundle.scaleTable);
  }

  /**
   * The table index for each predicted scale: the first table scale ≥ σ (the narrowest table
   * at least as wide as the prediction), the last table beyond the range. Same rule as
   * CompressAI's build_indexes; NaN also maps to the last (widest) table. Comparisons only,
   * so the function is exact on every machine.
   */
  indexesFromScales(scales: ArrayLike<number>, out?: Int32Array): Int32Array {
    const n = scales.length;
    if (out === undefined) out = new Int32Array(n);
    else if (out.length !== n) throw new RangeError(`out has length ${out.length}, expected ${n}`);
    const table = this.scaleTable;
    const last = table.length - 1;
    for (let i = 0; i < n; i++) {
      const s = scales[i];
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s <= table[mid]) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  }
}

function checkScaleTable(a: ArrayLike<number>): Float64Array {
  if (a.length < 1) throw new RangeError('scale table must not be empty');
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const s = a[i];
    if (!(s > 0 && s < Infinity) || (i > 0 && !(s > a[i - 1]))) {
      throw new RangeError(`scale table must be positive, finite and strictly ascending; entry ${i} is ${s}`);
    }
    out[i] = s;
  }
  return out;
}
