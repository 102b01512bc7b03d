/**
 * A context on the scale index from neighbours already decoded: the hyperprior's scale for a
 * symbol is raised or lowered by how much larger or smaller its decoded neighbours came out
 * than their own scales predicted. No network: an integer rule whose tables travel in the
 * bundle, so the indexes, and therefore the decoding, are the same on every machine.
 *
 * For a latent of C rows (coefficients) × T columns (frames) coded row-major (row c's T
 * symbols, then row c + 1's), the neighbours of (c, t) are symbols at (c − dc, t − dt) that
 * come before it: dc > 0 (any dt: the whole lower row is known), or dc = 0 and dt > 0.
 * With weights w:
 *   S_obs = Σ w · |symbol|,  S_exp = Σ w · E|symbol| under the neighbour's own scale index,
 *   index' = clamp(index + d, 0, tables − 1), d the integer with
 *   ρ^((d − ½)/λ) ≤ (S_obs + κ) / (S_exp + κ) < ρ^((d + ½)/λ)
 * (ρ the scale table's ratio between entries: d = round(λ · log ratio) in index steps). In fixed
 * point: E|symbol| and κ times 2^q_bits, the bounds ρ^((d ± ½)/λ) times 2^16 (`thresholds`),
 * every product below 2^53. A position with a neighbour outside the latent keeps its index.
 */
import type { CdfTables } from '../../entropy/index.js';
import { RansDecoder } from '../../entropy/index.js';

/** What the hyperprior coder needs of a context on the y symbols' table indexes. */
export interface IndexContext {
  /** Encoder: the indexes the symbols are coded with. */
  adjust(symbols: Int32Array, index: Int32Array): Int32Array;
  /** Decoder: the symbols, decoded in order, and the indexes they were decoded with. */
  decode(bytes: Uint8Array, index: Int32Array, tables: CdfTables): { symbols: Int32Array; index: Int32Array };
}

export interface ScaleContextBundle {
  /** [dc, dt, weight] per neighbour: the symbol at (c − dc, t − dt). */
  neighbours: [number, number, number][];
  /** Per scale-table entry: E|symbol| · 2^q_bits, rounded. */
  mean_abs: number[];
  q_bits: number;
  /** κ · 2^q_bits. */
  kappa: number;
  /** The d of thresholds[0]: thresholds[k] = round(2^16 · ρ^((d_min + k − ½) / λ)), ascending. */
  d_min: number;
  thresholds: number[];
}

/** Symbols' magnitudes above this count as this (keeps every product exact). */
const MAX_ABS = 1 << 15;

export class ScaleContext {
  private readonly dc: Int32Array;
  private readonly dt: Int32Array;
  private readonly w: Float64Array;
  private readonly one: number;

  constructor(readonly b: ScaleContextBundle, readonly tables: number) {
    // Bounds that keep every product below 2^53: Σ weights ≤ 64, |symbol| ≤ 2^15, q_bits ≤ 12
    // (observed side < 2^49); mean_abs and κ < 2^20, thresholds < 2^26 (expected side < 2^52).
    const n = b.neighbours.length;
    const ok = n > 0 && b.neighbours.every(([dc, dt, w]) => Number.isInteger(dc) && Number.isInteger(dt) && Number.isInteger(w) && w > 0 && dc >= 0 && dc <= 8 && Math.abs(dt) <= 8 && (dc > 0 || dt > 0));
    const weightsOk = b.neighbours.reduce((a, v) => a + v[2], 0) <= 64;
    const meansOk = b.mean_abs.length === tables && b.mean_abs.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 20);
    const thrOk = b.thresholds.length >= 1 && b.thresholds.length <= 128 && b.thresholds.every((v, i) => Number.isInteger(v) && v > 0 && v < 2 ** 26 && (i === 0 || v > b.thresholds[i - 1]!));
    if (!ok || !weightsOk || !meansOk || !thrOk || !Number.isInteger(b.q_bits) || b.q_bits < 0 || b.q_bits > 12 || !Number.isInteger(b.kappa) || b.kappa < 1 || b.kappa >= 2 ** 20 || !Number.isInteger(b.d_min) || Math.abs(b.d_min) > 128) {
      throw new RangeError('scale context: inconsistent tables');
    }
    this.dc = Int32Array.from(b.neighbours, (v) => v[0]);
    this.dt = Int32Array.from(b.neighbours, (v) => v[1]);
    this.w = Float64Array.from(b.neighbours, (v) => v[2]);
    this.one = 2 ** b.q_bits;
  }

  /** The index of position (c, t) of a C × T latent (row-major), from the symbols before it and their indexes. */
  at(symbols: Int32Array, index: Int32Array, c: number, t: number, T: number): number {
    const own = index[c * T + t]!;
    let obs = 0;
    let exp = 0;
    for (let k = 0; k < this.w.length; k++) {
      const cc = c - this.dc[k]!;
      const tt = t - this.dt[k]!;
      if (cc < 0 || tt < 0 || tt >= T) return own;
      const j = cc * T + tt;
      const s = symbols[j]!;
      obs += this.w[k]! * Math.min(MAX_ABS, s < 0 ? -s : s);
      exp += this.w[k]! * this.b.mean_abs[index[j]!]!;
    }
    // (obs · 2^q + κ) · 2^16 against (exp + κ) · thresholds[k]: the largest k with threshold ≤ ratio.
    const num = (obs * this.one + this.b.kappa) * 65536;
    const den = exp + this.b.kappa;
    const thr = this.b.thresholds;
    let lo = 0;
    let hi = thr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (den * thr[mid]! <= num) lo = mid + 1;
      else hi = mid;
    }
    // lo thresholds are ≤ the ratio: d = d_min + lo − 1 (d_min − 1 below them all).
    const d = this.b.d_min + lo - 1;
    const v = own + d;
    return v < 0 ? 0 : v >= this.tables ? this.tables - 1 : v;
  }

  /** The context of a latent of T columns, as the hyperprior coder takes it. */
  forColumns(T: number): IndexContext {
    return { adjust: (symbols, index) => this.adjust(symbols, index, T), decode: (bytes, index, tables) => this.decode(bytes, index, T, tables) };
  }

  /** Encoder: every position's index at once (the symbols are all known). */
  adjust(symbols: Int32Array, index: Int32Array, T: number): Int32Array {
    const out = new Int32Array(index.length);
    const C = index.length / T;
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) out[c * T + t] = this.at(symbols, index, c, t, T);
    return out;
  }

  /**
   * Decoder: the symbols one by one in stream order, each with the index its decoded
   * neighbours give; checks the stream's end. Returns the symbols and the indexes used.
   */
  decode(bytes: Uint8Array, index: Int32Array, T: number, tables: CdfTables): { symbols: Int32Array; index: Int32Array } {
    const symbols = new Int32Array(index.length);
    const used = new Int32Array(index.length);
    const C = index.length / T;
    const dec = new RansDecoder(bytes);
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < T; t++) {
        const i = c * T + t;
        const k = this.at(symbols, index, c, t, T);
        used[i] = k;
        symbols[i] = dec.decodeSymbol(k, tables);
      }
    }
    dec.finish();
    return { symbols, index: used };
  }
}
