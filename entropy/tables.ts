/**
 * CdfTables: a set of integer CDF tables in the layout the rANS coder reads directly.
 *
 * The CompressAI "indexes" model: each symbol names its table, each table t codes the values
 * offset[t] .. offset[t] + size[t] − 2 with symbols 0 .. size[t] − 2, and its last symbol
 * (size[t] − 1) is the escape: a value outside the table is coded as that symbol followed by
 * the value itself in bypass bits (tensorflow-compression's "overflow"), so any int32 is
 * codable whatever the tables say.
 *
 * All tables live in one flat Int32Array (plus per-table base/size/offset arrays) so the
 * coder's inner loop does a few typed-array loads per symbol and never touches an object.
 */
import { checkPrecision, DEFAULT_PRECISION, quantizePmf } from './cdf.js';

/** Offsets are limited so that offset + table size never leaves the int32 range. */
const MAX_ABS_OFFSET = 2 ** 30;
/** The decoder's bucket lookup has 2^LOOKUP_BITS entries per table (see decodeTables()). */
const LOOKUP_BITS = 10;

/** Integer CDF rows, CompressAI style (`_quantized_cdf`, `_cdf_length`, `_offset`). */
export interface CdfInit {
  /**
   * One row per table: row[0] = 0, strictly increasing, row[len − 1] = 2^precision. The last
   * symbol of each row is the escape symbol. Rows may be padded beyond their length.
   */
  cdfs: ArrayLike<ArrayLike<number>>;
  /** Valid entries of each row (number of symbols + 1); default: each row's own length. */
  cdfLengths?: ArrayLike<number>;
  /** The value that symbol 0 of each table stands for. */
  offsets: ArrayLike<number>;
  /** Bits of CDF precision, 1..16; default 16. */
  precision?: number;
}

/** Float pmf rows, turned into integer CDFs by the one builder (pmfToQuantizedCdf). */
export interface PmfInit {
  /** One row per table: probabilities of the values offset, offset + 1, ... (need not sum to 1). */
  pmfs: ArrayLike<ArrayLike<number>>;
  /** Valid entries of each row; default: each row's own length. */
  pmfLengths?: ArrayLike<number>;
  /**
   * Probability mass of the values outside each row, given to the escape symbol; default 0
   * (the builder still gives the escape the minimum frequency 1, so it stays codable).
   */
  tailMasses?: ArrayLike<number>;
  /** The value that entry 0 of each row stands for. */
  offsets: ArrayLike<number>;
  /** Bits of CDF precision, 1..16; default 16. */
  precision?: number;
}

/** @internal See CdfTables.decodeTables(). */
export interface DecodeTables {
  lut: Int32Array;
  escapeAt: Int32Array;
  valueShift: Int32Array;
}

export class CdfTables {
  /** Bits of probability precision: every table's frequencies sum to 2^precision. */
  readonly precision: number;
  readonly numTables: number;
  /** @internal All tables' CDF entries, table t at base[t] .. base[t] + size[t]. */
  readonly cdf: Int32Array;
  /** @internal Start of table t in `cdf`. */
  readonly base: Int32Array;
  /** @internal Symbols in table t, the escape symbol (the last one) included. */
  readonly size: Int32Array;
  /** @internal Value of symbol 0 of table t. */
  readonly offset: Int32Array;
  /** @internal Highest value table t codes without escape: offset + size − 2. */
  readonly maxValue: Int32Array;
  private decoding: DecodeTables | null = null;

  /** @internal Use the static constructors; this one trusts its (validated) arguments. */
  constructor(precision: number, cdf: Int32Array, base: Int32Array, size: Int32Array, offset: Int32Array) {
    this.precision = precision;
    this.numTables = size.length;
    this.cdf = cdf;
    this.base = base;
    this.size = size;
    this.offset = offset;
    this.maxValue = new Int32Array(size.length);
    for (let t = 0; t < size.length; t++) this.maxValue[t] = offset[t] + size[t] - 2;
  }

  /**
   * The fewest bits a symbol of each table can cost: precision − log2(largest frequency).
   * With rans.minStreamBytes it bounds from below the length of any stream holding a given
   * number of symbols, so decoders can refuse headers that declare far more symbols than
   * their stream could hold. (Math.log2: a bound, never part of the bitstream.)
   */
  minSymbolBits(): Float64Array {
    const out = new Float64Array(this.numTables);
    for (let t = 0; t < this.numTables; t++) {
      let most = 0;
      for (let c = this.base[t]; c < this.base[t] + this.size[t]; c++) most = Math.max(most, this.cdf[c + 1] - this.cdf[c]);
      out[t] = this.precision - Math.log2(most);
    }
    return out;
  }

  /**
   * Tables from integer CDFs, e.g. exported by a trainer (CompressAI's `_quantized_cdf`,
   * `_cdf_length`, `_offset`). Each row is checked: 0 first, 2^precision last, every step ≥ 1.
   */
  static fromCdfs(init: CdfInit): CdfTables {
    const precision = init.precision ?? DEFAULT_PRECISION;
    checkPrecision(precision);
    const rows = init.cdfs;
    const n = rows.length;
    checkLength('offsets', init.offsets, n);
    if (init.cdfLengths !== undefined) checkLength('cdfLengths', init.cdfLengths, n);
    const total = 2 ** precision;
    const size = new Int32Array(n);
    const base = new Int32Array(n);
    let entries = 0;
    for (let t = 0; t < n; t++) {
      const len = init.cdfLengths !== undefined ? init.cdfLengths[t] : rows[t].length;
      if (!Number.isInteger(len) || len < 2 || len > rows[t].length || len - 1 > total) {
        throw new RangeError(`table ${t}: CDF length ${len} must be an integer in [2, min(row length, 2^precision + 1)]`);
      }
      base[t] = entries;
      size[t] = len - 1;
      entries += len;
    }
    const cdf = new Int32Array(entries);
    for (let t = 0; t < n; t++) {
      const row = rows[t];
      const at = base[t];
      const len = size[t] + 1;
      if (row[0] !== 0 || row[len - 1] !== total) {
        throw new RangeError(`table ${t}: a CDF must start at 0 and end at 2^${precision} = ${total}`);
      }
      cdf[at] = 0;
      for (let i = 1; i < len; i++) {
        const v = row[i];
        if (!Number.isInteger(v) || v <= row[i - 1]) {
          throw new RangeError(`table ${t}: CDF entry ${i} (${v}) must be an integer above entry ${i - 1} (${row[i - 1]})`);
        }
        cdf[at + i] = v;
      }
    }
    return new CdfTables(precision, cdf, base, size, toOffsets(init.offsets));
  }

  /**
   * Tables from float pmfs through the one CDF builder; each table gets an escape symbol
   * carrying its tail mass.
   */
  static fromPmfs(init: PmfInit): CdfTables {
    const precision = init.precision ?? DEFAULT_PRECISION;
    checkPrecision(precision);
    const rows = init.pmfs;
    const n = rows.length;
    checkLength('offsets', init.offsets, n);
    if (init.pmfLengths !== undefined) checkLength('pmfLengths', init.pmfLengths, n);
    if (init.tailMasses !== undefined) checkLength('tailMasses', init.tailMasses, n);
    const size = new Int32Array(n);
    const base = new Int32Array(n);
    let entries = 0;
    for (let t = 0; t < n; t++) {
      const len = init.pmfLengths !== undefined ? init.pmfLengths[t] : rows[t].length;
      if (!Number.isInteger(len) || len < 0 || len > rows[t].length) {
        throw new RangeError(`table ${t}: pmf length ${len} must be an integer in [0, row length ${rows[t].length}]`);
      }
      base[t] = entries;
      size[t] = len + 1;
      entries += len + 2;
    }
    const cdf = new Int32Array(entries);
    for (let t = 0; t < n; t++) {
      let tail = init.tailMasses !== undefined ? init.tailMasses[t] : 0;
      if (!(tail >= 0)) throw new RangeError(`table ${t}: tail mass must be >= 0, got ${tail}`);
      // An empty row leaves only the escape symbol, which then has all the probability.
      if (size[t] === 1) tail = 1;
      try {
        quantizePmf(rows[t], 0, size[t] - 1, tail, precision, cdf, base[t]);
      } catch (err) {
        throw err instanceof RangeError ? new RangeError(`table ${t}: ${err.message}`) : err;
      }
    }
    return new CdfTables(precision, cdf, base, size, toOffsets(init.offsets));
  }

  /** The integer CDF of table t (size(t) + 1 entries, escape symbol last). */
  tableCdf(t: number): Int32Array {
    this.checkTable(t);
    return this.cdf.slice(this.base[t], this.base[t] + this.size[t] + 1);
  }

  /** Number of symbols of table t, the escape symbol included. */
  tableSize(t: number): number {
    this.checkTable(t);
    return this.size[t];
  }

  /** The value symbol 0 of table t stands for. */
  tableOffset(t: number): number {
    this.checkTable(t);
    return this.offset[t];
  }

  /** True once the decoder's lookup table exists (built on first use by a large batch). */
  get hasLookupTable(): boolean {
    return this.decoding !== null;
  }

  /** log2 of the decoder's lookup buckets per table. */
  get lookupBits(): number {
    return Math.min(this.precision, LOOKUP_BITS);
  }

  /**
   * @internal What the batch decoder reads, built on first use:
   * - `lut`: the symbol lookup, 2^lookupBits buckets per table; bucket j of table t (the top
   *   lookupBits bits of a slot) holds the position in `cdf` of the symbol whose interval
   *   contains the bucket's first slot, and the decoder steps forward over the few symbols
   *   sharing the bucket.
   * - `escapeAt[t]`: position in `cdf` of table t's escape symbol.
   * - `valueShift[t]`: offset[t] − base[t], so a decoded position c is the value c + valueShift[t].
   *
   * Why buckets: a full slot→symbol table (2^16 entries per table, 8 MiB for 64 tables) was
   * measured 5–10× slower since it does not stay in cache. Buckets sized per table (~4 per
   * symbol, so most Gaussian tables fit a few cache lines) measured no faster than this
   * uniform 1,024, whose constant shift keeps the inner loop simplest.
   */
  decodeTables(): DecodeTables {
    if (this.decoding !== null) return this.decoding;
    const bits = this.lookupBits;
    const shift = this.precision - bits;
    const buckets = 1 << bits;
    const { cdf, base, size, offset, numTables } = this;
    const escapeAt = new Int32Array(numTables);
    const valueShift = new Int32Array(numTables);
    const lut = new Int32Array(numTables * buckets);
    for (let t = 0; t < numTables; t++) {
      escapeAt[t] = base[t] + size[t] - 1;
      valueShift[t] = offset[t] - base[t];
      let c = base[t];
      for (let j = 0; j < buckets; j++) {
        const slot = j << shift;
        while (c < escapeAt[t] && cdf[c + 1] <= slot) c++;
        lut[t * buckets + j] = c;
      }
    }
    this.decoding = { lut, escapeAt, valueShift };
    return this.decoding;
  }

  private checkTable(t: number): void {
    if (!Number.isInteger(t) || t < 0 || t >= this.numTables) {
      throw new RangeError(`table index ${t} out of range [0, ${this.numTables})`);
    }
  }
}

function checkLength(name: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new RangeError(`${name} has ${a.length} entries, expected ${n} (one per table)`);
}

function toOffsets(a: ArrayLike<number>): Int32Array {
  const out = new Int32Array(a.length);
  for (let t = 0; t < a.length; t++) {
    const v = a[t];
    if (!Number.isInteger(v) || Math.abs(v) > MAX_ABS_OFFSET) {
      throw new RangeError(`offsets[${t}] must be an integer in [-2^30, 2^30], got ${v}`);
    }
    out[t] = v;
  }
  return out;
}
