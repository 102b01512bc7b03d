/**
 * rANS coder over integer CDF tables (CompressAI's "indexes" model: each symbol names its
 * table).
 *
 * Why rANS and not arithmetic/range coding: decoding a symbol is one multiply-add on an
 * integer state plus a table lookup — no division, no carry propagation, no underflow
 * cases — so it is the fastest of the exact coders, which matters in JavaScript where every
 * extra operation in the inner loop shows. Its price is last-in-first-out coding: the
 * encoder buffers the symbols and codes them backwards, which a learned codec can afford
 * (all latents are known before any byte is written). CompressAI and ryg_rans choose the same.
 *
 * Why this state layout: 31-bit states x in [2^23, 2^31) renormalized a byte at a time
 * (ryg_rans' "rans_byte" layout). Every intermediate value then fits a signed 32-bit
 * integer, so V8 keeps the loops in int32 registers; and the state interval is 2^7 times the
 * 16-bit probability range, which keeps the coder's loss near 1e-5 of the ideal code length.
 * (A 32-bit state with 16-bit renormalization pushes V8 to doubles and loses ~0.5 % on peaked
 * tables, whose state interval would equal the probability range.)
 *
 * Why two interleaved states: symbol j of the stream uses state j mod 2 (Giesen's
 * interleaved rANS). Decoding one state is a chain of dependent loads and multiplies; two
 * independent chains let the CPU overlap them — measured 1.3–1.6× faster decoding here.
 *
 * Stream layout (read front to back, after the encoder's final reversal):
 *   4 bytes  state 0, big-endian  } the encoder's final states,
 *   4 bytes  state 1, big-endian  } the decoder's initial ones
 *   n bytes  renormalization bytes in decoding order
 * A correct decode consumes every byte and ends with both states back at the encoder's
 * initial value 2^23; the decoder's finish() checks both, which catches truncation and all
 * but ~2^-31 of corruptions (apart from raw escape bits, see below).
 *
 * Escape ("bypass") coding of a value v outside a table: the table's escape symbol, then
 * 6 raw bits giving the bit length nb of r = (v < offset ? 2(offset − v) − 1 : 2(v − max − 1))
 * (the zigzag distance from the table's range), then r's nb − 1 bits below its leading 1, in
 * chunks of ≤ 16 bits, most significant first — all through the symbol's own state, as
 * uniform symbols, so the stream stays one rANS stream. Raw bits carry no redundancy, so a
 * flipped bit inside them changes one escaped value undetectably; the container's checksum
 * covers that.
 */
import { EntropyDecodeError } from './errors.js';
import type { CdfTables } from './tables.js';

/** Lower bound of the normalized state interval [RANS_L, 2^31). */
const RANS_L = 1 << 23;
/** Bits of the escape's length field: lengths 0..33 cover every int32 value and offset. */
const ESCAPE_LENGTH_BITS = 6;
const MAX_ESCAPE_LENGTH = 33;
/** A batch decoded with the bucket lookup needs this many symbols per table to pay for it. */
const LOOKUP_MIN_SYMBOLS_PER_TABLE = 16;
/** Table sets whose lookup would exceed this many entries (16 MiB) decode by binary search. */
const MAX_LOOKUP_ENTRIES = 1 << 22;

interface Batch {
  symbols: Int32Array;
  indexes: Int32Array;
  tables: CdfTables;
}

function checkInt32Array(name: string, a: unknown): asserts a is Int32Array {
  if (!(a instanceof Int32Array)) {
    throw new TypeError(`${name} must be an Int32Array, got ${a === null ? 'null' : typeof a === 'object' ? (a as object).constructor.name : typeof a}`);
  }
}

function badIndex(i: number, t: number, numTables: number): RangeError {
  return new RangeError(`indexes[${i}] = ${t} is out of range [0, ${numTables})`);
}

/**
 * Buffers batches of (symbols, table indexes, tables) and codes them all into one byte array
 * in finish(). Batches from different models (e.g. z with a factorized model, then y with a
 * Gaussian conditional) share one stream; a RansDecoder reads them back in the same order.
 *
 * The arrays are referenced, not copied: do not modify them before finish().
 */
export class RansEncoder {
  private batches: Batch[] = [];
  private buf = new Uint8Array(0);
  private pos = 0;
  private cur = RANS_L;
  private other = RANS_L;

  /** Queues symbols[i] to be coded with table indexes[i] of `tables`. */
  encode(symbols: Int32Array, indexes: Int32Array, tables: CdfTables): void {
    checkInt32Array('symbols', symbols);
    checkInt32Array('indexes', indexes);
    if (symbols.length !== indexes.length) {
      throw new RangeError(`symbols (${symbols.length}) and indexes (${indexes.length}) must have the same length`);
    }
    if (symbols.length > 0) this.batches.push({ symbols, indexes, tables });
  }

  /** Number of symbols queued since the last finish(). */
  get pendingSymbols(): number {
    let n = 0;
    for (const b of this.batches) n += b.symbols.length;
    return n;
  }

  /** Codes every queued batch and returns the stream; the encoder is then empty again. */
  finish(): Uint8Array {
    const batches = this.batches;
    this.batches = [];
    let n = 0;
    for (const b of batches) n += b.symbols.length;
    this.buf = new Uint8Array(Math.max(64, (n >> 1) + 16));
    this.pos = 0;
    // Coding runs backwards from the last symbol; `cur` is the state of the symbol being
    // coded and the two swap after every symbol. After symbol 0 (state 0) the swap leaves
    // state 0 in `other`, whatever n is.
    this.cur = RANS_L;
    this.other = RANS_L;
    try {
      for (let k = batches.length - 1; k >= 0; k--) this.encodeBatch(batches[k]);
      this.ensure(8);
      const buf = this.buf;
      let pos = this.pos;
      // Emitted backwards: state 1 first, so that state 0 leads the reversed stream.
      for (let x = this.cur, i = 0; i < 4; i++, x >>>= 8) buf[pos++] = x & 255;
      for (let x = this.other, i = 0; i < 4; i++, x >>>= 8) buf[pos++] = x & 255;
      return buf.subarray(0, pos).reverse().slice();
    } finally {
      this.buf = new Uint8Array(0);
      this.pos = 0;
    }
  }

  private ensure(room: number): void {
    if (this.pos + room <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + room));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /**
   * Hot loop: no allocation, no closures, int32 arithmetic only. The state alternates per
   * symbol: the body is written once and ends by swapping the two locals (no measurable cost).
   */
  private encodeBatch(batch: Batch): void {
    const { symbols, indexes, tables } = batch;
    const { cdf, base, size, offset, maxValue, numTables } = tables;
    const p = tables.precision;
    const maxShift = 31 - p;
    let buf = this.buf;
    let pos = this.pos;
    let x = this.cur;
    let y = this.other;
    // Room for one symbol's renormalization (≤ 2 bytes) with margin; escapes call ensure().
    let limit = buf.length - 8;
    for (let i = symbols.length - 1; i >= 0; i--) {
      if (pos > limit) {
        this.pos = pos;
        this.ensure(8);
        buf = this.buf;
        limit = buf.length - 8;
      }
      const t = indexes[i];
      if (t >>> 0 >= numTables) throw badIndex(i, t, numTables);
      const s = symbols[i];
      const lo = offset[t];
      let c: number;
      if (s >= lo && s <= maxValue[t]) {
        c = base[t] + (s - lo);
      } else {
        this.pos = pos;
        x = this.encodeEscapeBits(x, s < lo ? 2 * (lo - s) - 1 : 2 * (s - maxValue[t] - 1));
        buf = this.buf;
        pos = this.pos;
        limit = buf.length - 8;
        c = base[t] + size[t] - 1;
      }
      const start = cdf[c];
      const f = cdf[c + 1] - start;
      // Renormalize so that coding keeps x below 2^31: x < f · 2^(31−p). (Compared as
      // x >> (31−p) < f: the product overflows int32 when f = 2^p, a table's only symbol.)
      while (x >>> maxShift >= f) {
        buf[pos++] = x & 255;
        x >>>= 8;
      }
      const q = (x / f) | 0;
      const coded = (q << p) + (x - q * f) + start;
      x = y;
      y = coded;
    }
    this.pos = pos;
    this.cur = x;
    this.other = y;
  }

  /**
   * Codes the escape payload for the zigzag distance r (0 ≤ r < 2^33, so doubles): pushed in
   * reverse of the order the decoder reads it (length field first, then chunks high to low).
   */
  private encodeEscapeBits(x: number, r: number): number {
    this.ensure(16);
    let nb = 0;
    for (let v = r; v >= 1; v = Math.floor(v / 2)) nb++;
    const rest = nb > 0 ? r - 2 ** (nb - 1) : 0;
    // Chunk sizes in decoding order: 16, 16, ..., remainder.
    const chunks: number[] = [];
    for (let left = nb - 1; left > 0; left -= 16) chunks.push(Math.min(16, left));
    let low = 0;
    for (let j = chunks.length - 1; j >= 0; j--) {
      const k = chunks[j];
      const value = Math.floor(rest / 2 ** low) % 2 ** k;
      x = this.putBits(x, value, k);
      low += k;
    }
    return this.putBits(x, nb, ESCAPE_LENGTH_BITS);
  }

  /** Codes k ≤ 16 raw bits: a symbol of frequency 1 out of 2^k. */
  private putBits(x: number, value: number, k: number): number {
    const xMax = 1 << (31 - k);
    while (x >= xMax) {
      this.buf[this.pos++] = x & 255;
      x >>>= 8;
    }
    return (x << k) | value;
  }
}

/**
 * Reads a stream made by RansEncoder. Call decode() with the same indexes and tables, in the
 * same order, as the encoder's encode() calls, then finish() to verify the stream ended
 * exactly where the encoder began.
 *
 * Damaged input: every read is bounds-checked and every loop is bounded by the symbol count,
 * so a truncated or corrupted stream either throws EntropyDecodeError or yields values in
 * time linear in the symbols requested; finish() then throws unless both states and the byte
 * count match.
 */
export class RansDecoder {
  private readonly buf: Uint8Array;
  private pos: number;
  /** State of the next symbol. */
  private cur: number;
  /** State of the symbol after it. */
  private other: number;
  /** State left by the last readEscape (a second return value, without allocating). */
  private escState = 0;

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('RansDecoder needs a Uint8Array');
    if (bytes.length < 8) {
      throw new EntropyDecodeError(`entropy-coded stream too short: ${bytes.length} bytes, a stream has at least 8`);
    }
    this.buf = bytes;
    this.cur = readState(bytes, 0);
    this.other = readState(bytes, 4);
    this.pos = 8;
  }

  /** Bytes not yet consumed. */
  get remainingBytes(): number {
    return this.buf.length - this.pos;
  }

  /**
   * Decodes indexes.length symbols, symbol i with table indexes[i] of `tables`, into `out`
   * (allocated when not given).
   */
  decode(indexes: Int32Array, tables: CdfTables, out?: Int32Array): Int32Array {
    checkInt32Array('indexes', indexes);
    const n = indexes.length;
    if (out === undefined) out = new Int32Array(n);
    else {
      checkInt32Array('out', out);
      if (out.length !== n) throw new RangeError(`out has length ${out.length}, expected ${n}`);
    }
    if (n === 0) return out;
    const lookupEntries = tables.numTables * 2 ** tables.lookupBits;
    if (tables.hasLookupTable || (n >= tables.numTables * LOOKUP_MIN_SYMBOLS_PER_TABLE && lookupEntries <= MAX_LOOKUP_ENTRIES)) {
      this.decodeWithLookup(indexes, tables, out);
    } else {
      for (let i = 0; i < n; i++) {
        const t = indexes[i];
        if (t >>> 0 >= tables.numTables) throw badIndex(i, t, tables.numTables);
        out[i] = this.decodeSymbol(t, tables);
      }
    }
    return out;
  }

  /**
   * Decodes one symbol with table t — for models whose next table depends on the symbols
   * decoded so far (autoregressive priors). Binary search: no lookup table is built.
   */
  decodeSymbol(t: number, tables: CdfTables): number {
    if (!(t >>> 0 < tables.numTables) || t !== (t | 0)) {
      throw new RangeError(`table index ${t} is out of range [0, ${tables.numTables})`);
    }
    const { cdf, base, size, offset } = tables;
    const p = tables.precision;
    let x = this.cur;
    const slot = x & ((1 << p) - 1);
    let lo = base[t];
    let hi = lo + size[t] - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (cdf[mid] <= slot) lo = mid;
      else hi = mid - 1;
    }
    const start = cdf[lo];
    x = this.refill((cdf[lo + 1] - start) * (x >>> p) + slot - start);
    let value: number;
    if (lo - base[t] === size[t] - 1) {
      value = this.readEscape(x, tables, t);
      x = this.escState;
    } else {
      value = lo - base[t] + offset[t];
    }
    this.cur = this.other;
    this.other = x;
    return value;
  }

  /**
   * Throws EntropyDecodeError unless the stream ended exactly: every byte consumed and both
   * states back at the encoder's initial value.
   */
  finish(): void {
    const left = this.buf.length - this.pos;
    if (left !== 0) {
      throw new EntropyDecodeError(`entropy-coded stream is corrupt: ${left} bytes left over after the last symbol`);
    }
    if (this.cur !== RANS_L || this.other !== RANS_L) {
      throw new EntropyDecodeError('entropy-coded stream is corrupt: final state check failed');
    }
  }

  /**
   * Hot loop, two symbols per iteration (one per state) so their dependency chains overlap:
   * bucket lookup then a short forward scan (see CdfTables.decodeTables). Byte reads keep
   * the encoder's order: symbol i's renormalization and escape payload, then symbol i+1's.
   */
  private decodeWithLookup(indexes: Int32Array, tables: CdfTables, out: Int32Array): void {
    const { cdf, numTables } = tables;
    const { lut, escapeAt, valueShift } = tables.decodeTables();
    const p = tables.precision;
    const mask = (1 << p) - 1;
    const lookupBits = tables.lookupBits;
    const bucketShift = p - lookupBits;
    const buf = this.buf;
    const end = buf.length;
    let x0 = this.cur;
    let x1 = this.other;
    let pos = this.pos;
    const n = indexes.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const t0 = indexes[i];
      const t1 = indexes[i + 1];
      if (t0 >>> 0 >= numTables || t1 >>> 0 >= numTables) {
        this.cur = x0;
        this.other = x1;
        this.pos = pos;
        throw t0 >>> 0 >= numTables ? badIndex(i, t0, numTables) : badIndex(i + 1, t1, numTables);
      }
      const slot0 = x0 & mask;
      const slot1 = x1 & mask;
      let c0 = lut[(t0 << lookupBits) + (slot0 >>> bucketShift)];
      let c1 = lut[(t1 << lookupBits) + (slot1 >>> bucketShift)];
      while (cdf[c0 + 1] <= slot0) c0++;
      while (cdf[c1 + 1] <= slot1) c1++;
      const start0 = cdf[c0];
      const start1 = cdf[c1];
      // f · (x >> p) + (slot − start) < f · 2^(31−p) ≤ 2^31: stays int32 for any input bytes.
      x0 = Math.imul(cdf[c0 + 1] - start0, x0 >>> p) + slot0 - start0;
      x1 = Math.imul(cdf[c1 + 1] - start1, x1 >>> p) + slot1 - start1;
      while (x0 < RANS_L) {
        if (pos === end) throw this.truncatedAt(x0, x1, pos);
        x0 = (x0 << 8) | buf[pos++];
      }
      if (c0 === escapeAt[t0]) {
        this.pos = pos;
        out[i] = this.readEscape(x0, tables, t0);
        x0 = this.escState;
        pos = this.pos;
      } else {
        out[i] = c0 + valueShift[t0];
      }
      while (x1 < RANS_L) {
        if (pos === end) throw this.truncatedAt(x0, x1, pos);
        x1 = (x1 << 8) | buf[pos++];
      }
      if (c1 === escapeAt[t1]) {
        this.pos = pos;
        out[i + 1] = this.readEscape(x1, tables, t1);
        x1 = this.escState;
        pos = this.pos;
      } else {
        out[i + 1] = c1 + valueShift[t1];
      }
    }
    this.cur = x0;
    this.other = x1;
    this.pos = pos;
    if (i < n) {
      const t = indexes[i];
      if (t >>> 0 >= numTables) throw badIndex(i, t, numTables);
      out[i] = this.decodeSymbol(t, tables);
    }
  }

  private truncatedAt(x0: number, x1: number, pos: number): EntropyDecodeError {
    this.cur = x0;
    this.other = x1;
    this.pos = pos;
    return truncated();
  }

  /** Reads bytes into x until it is back in [2^23, 2^31). */
  private refill(x: number): number {
    const buf = this.buf;
    while (x < RANS_L) {
      if (this.pos === buf.length) throw truncated();
      x = (x << 8) | buf[this.pos++];
    }
    return x;
  }

  /** k raw bits from state x; the new state goes to escState. */
  private getBits(x: number, k: number): number {
    this.escState = this.refill(x >>> k);
    return x & ((1 << k) - 1);
  }

  /**
   * Reads the escape payload of table t from state x (just after its escape symbol, see the
   * module comment); returns the value and leaves the state in escState.
   */
  private readEscape(x: number, tables: CdfTables, t: number): number {
    const nb = this.getBits(x, ESCAPE_LENGTH_BITS);
    if (nb > MAX_ESCAPE_LENGTH) {
      throw new EntropyDecodeError(`entropy-coded stream is corrupt: escape length ${nb} > ${MAX_ESCAPE_LENGTH}`);
    }
    let r = 0;
    if (nb > 0) {
      let rest = 0;
      for (let left = nb - 1; left > 0; left -= 16) {
        const k = Math.min(16, left);
        rest = rest * 2 ** k + this.getBits(this.escState, k);
      }
      r = 2 ** (nb - 1) + rest;
    }
    const lo = tables.offset[t];
    const value = r % 2 === 1 ? lo - (r + 1) / 2 : tables.maxValue[t] + 1 + r / 2;
    if (value < -(2 ** 31) || value >= 2 ** 31) {
      throw new EntropyDecodeError(`entropy-coded stream is corrupt: escaped value ${value} is not an int32`);
    }
    return value;
  }
}

function readState(bytes: Uint8Array, at: number): number {
  const x = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  if (x < RANS_L || x >= 2 ** 31) {
    throw new EntropyDecodeError(`entropy-coded stream is corrupt: initial state ${x} outside [2^23, 2^31)`);
  }
  return x;
}

function truncated(): EntropyDecodeError {
  return new EntropyDecodeError('entropy-coded stream is truncated: it ended before the last symbol');
}

/**
 * The shortest stream that can hold `symbols` symbols whose ideal code lengths (Σ −log2 p,
 * e.g. from CdfTables.minSymbolBits) sum to at least `bits`. Each renormalization byte
 * carries 8 bits, the two final states at most 8 more each over their start 2^23, and one
 * coding step can undercut its ideal length by at most log2(1/(1 − 2^(precision−23)))
 * (x ≥ f·2^(23−precision) after renormalization). Decoders use it to refuse a declared
 * size that the stream cannot hold, before decoding or allocating anything.
 */
export function minStreamBytes(bits: number, symbols: number, precision: number): number {
  const slack = -Math.log2(1 - 2 ** (precision - 23));
  const payload = bits - symbols * slack - 16;
  return 8 + Math.max(0, Math.floor(payload / 8) - 1);
}

/** Codes one batch into a stream of its own (one section). */
export function encodeWithIndexes(symbols: Int32Array, indexes: Int32Array, tables: CdfTables): Uint8Array {
  const enc = new RansEncoder();
  enc.encode(symbols, indexes, tables);
  return enc.finish();
}

/** Decodes a stream made by encodeWithIndexes, verifying its end (throws EntropyDecodeError). */
export function decodeWithIndexes(bytes: Uint8Array, indexes: Int32Array, tables: CdfTables): Int32Array {
  const dec = new RansDecoder(bytes);
  const out = dec.decode(indexes, tables);
  dec.finish();
  return out;
}

/**
 * Ideal code length in bits of the symbols under the quantized tables: Σ −log2(f/2^precision)
 * plus the raw bits of escape payloads. The coder's output approaches this to within a few
 * bytes; codecs can use it as a rate estimate without coding.
 */
export function informationContent(symbols: Int32Array, indexes: Int32Array, tables: CdfTables): number {
  checkInt32Array('symbols', symbols);
  checkInt32Array('indexes', indexes);
  if (symbols.length !== indexes.length) {
    throw new RangeError(`symbols (${symbols.length}) and indexes (${indexes.length}) must have the same length`);
  }
  const { cdf, base, size, offset, maxValue, numTables } = tables;
  // Math.log2 is fine here: a statistic, never part of the bitstream.
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) {
    const t = indexes[i];
    if (t >>> 0 >= numTables) throw badIndex(i, t, numTables);
    const s = symbols[i];
    let c: number;
    if (s >= offset[t] && s <= maxValue[t]) {
      c = base[t] + s - offset[t];
    } else {
      c = base[t] + size[t] - 1;
      const r = s < offset[t] ? 2 * (offset[t] - s) - 1 : 2 * (s - maxValue[t] - 1);
      let nb = 0;
      for (let v = r; v >= 1; v = Math.floor(v / 2)) nb++;
      bits += ESCAPE_LENGTH_BITS + Math.max(0, nb - 1);
    }
    bits += tables.precision - Math.log2(cdf[c + 1] - cdf[c]);
  }
  return bits;
}
