/**
 * Categorical model for vector-quantized tokens: one distribution per position (e.g. a
 * learned per-position prior over a codebook of K entries), values 0..K−1.
 *
 * For an autoregressive prior, whose table for position i depends on tokens before i, the
 * encoder still codes all positions in one batch (it knows every token), while the decoder
 * builds one position's table at a time and calls RansDecoder.decodeSymbol(0, table).
 */
import { checkPrecision, DEFAULT_PRECISION } from './cdf.js';
import { IndexedEntropyModel } from './model.js';
import { CdfTables } from './tables.js';

export interface CategoricalOptions {
  /** Bits of CDF precision, default 16 (allows codebooks up to 65,535 entries). */
  precision?: number;
}

export class CategoricalModel extends IndexedEntropyModel {
  readonly categories: number;

  constructor(tables: CdfTables, categories: number) {
    super(tables);
    this.categories = categories;
  }

  /**
   * One table per position from row-major probabilities `probs` [positions × categories]
   * (e.g. a softmax output). Tokens are values 0..categories−1; anything else still codes,
   * through the escape symbol.
   */
  static fromProbabilities(probs: ArrayLike<number>, categories: number, opts: CategoricalOptions = {}): CategoricalModel {
    const precision = opts.precision ?? DEFAULT_PRECISION;
    checkPrecision(precision);
    if (!Number.isInteger(categories) || categories < 1) {
      throw new RangeError(`categories must be an integer >= 1, got ${categories}`);
    }
    if (probs.length % categories !== 0) {
      throw new RangeError(`probs has ${probs.length} entries, not a multiple of ${categories} categories`);
    }
    const positions = probs.length / categories;
    const flat = probs instanceof Float32Array || probs instanceof Float64Array ? probs : Float64Array.from(probs);
    const rows: ArrayLike<number>[] = [];
    for (let i = 0; i < positions; i++) rows.push(flat.subarray(i * categories, (i + 1) * categories));
    const tables = CdfTables.fromPmfs({ pmfs: rows, offsets: new Int32Array(positions), precision });
    return new CategoricalModel(tables, categories);
  }

  get positions(): number {
    return this.tables.numTables;
  }

  /**
   * Indexes for `repeats` consecutive sequences of all positions (e.g. several images' token
   * maps under one per-position prior): index i → i mod positions.
   */
  positionIndexes(repeats = 1): Int32Array {
    if (!Number.isInteger(repeats) || repeats < 0) throw new RangeError(`repeats must be an integer >= 0, got ${repeats}`);
    const n = this.positions;
    const out = new Int32Array(n * repeats);
    for (let i = 0; i < out.length; i++) out[i] = i % n;
    return out;
  }
}
