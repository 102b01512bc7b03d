/**
 * Temporal noise shaping for audio-mdct (as in AAC): per frame, a short linear predictor across
 * the coefficients above `k0` (an MDCT frame's spectrum is predictable along frequency where
 * its 40 ms window holds a sharp temporal envelope: an onset, a pitch pulse, a decay). The
 * encoder codes the prediction residual instead of the coefficients; the decoder runs the
 * all-pole inverse over the decoded residual, which shapes the quantization error and the noise
 * fill in time like the signal, instead of spreading them over the whole window.
 *
 * The predictor is coded per frame as one flag bit and, when on, `order` reflection
 * coefficients as 4-bit indexes into the bundle's `parcor` table (arcsine-spaced), in a
 * section of its own per chunk and coded channel, bits packed most significant first.
 */
import { CorruptFileError } from '../../src/container/index.js';

export interface TnsBundle {
  /** First coefficient the filter covers. */
  k0: number;
  order: number;
  /** Reflection coefficient of each index (index 0 = −7 … 14 = +7; 15 is not used). */
  parcor: number[];
  /** Encoder: the prediction gain (energy / residual energy) from which a frame uses it. */
  min_gain: number;
}

const BITS = 4;
const NONE = 2 ** BITS - 1;

/** Direct-form predictor a[0..p] (a[0] = 1) from reflection coefficients (step-up recursion). */
function lpcFromParcor(ks: readonly number[]): Float64Array {
  let a = new Float64Array([1]);
  for (const k of ks) {
    const m = a.length; // new order
    const next = new Float64Array(m + 1);
    next.set(a);
    for (let i = 1; i <= m; i++) next[i] = (i < m ? a[i]! : 0) + k * a[m - i]!;
    a = next;
  }
  return a;
}

export class Tns {
  readonly levels: number;

  constructor(readonly b: TnsBundle, readonly coefficients: number) {
    const ok = Number.isInteger(b.k0) && b.k0 >= 1 && b.k0 < coefficients && Number.isInteger(b.order) && b.order >= 1 && b.order <= 16 &&
      b.parcor.length >= 2 && b.parcor.length <= NONE && b.parcor.every((k) => Math.abs(k) < 1) && b.min_gain >= 1;
    if (!ok) throw new RangeError('TNS: inconsistent parameters');
    this.levels = b.parcor.length;
  }

  /**
   * Encoder: filters each frame of x (coefficient-major, C × T, any constant scale; `w` the step
   * shape per coefficient when x is divided by it) in place and returns the side section.
   */
  analyse(y: Float32Array, T: number, w: ArrayLike<number>): Uint8Array {
    const { k0, order, parcor, min_gain } = this.b;
    const C = this.coefficients;
    const n = C - k0;
    const bits = new BitWriter();
    const c = new Float64Array(n);
    const mid = (this.levels - 1) / 2;
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < n; k++) c[k] = y[(k0 + k) * T + t]! * w[k0 + k]!;
      const ks = reflection(c, order);
      if (!ks || ks.gain < min_gain) {
        bits.put(0, 1);
        continue;
      }
      const idx = ks.k.map((k) => Math.max(0, Math.min(this.levels - 1, Math.round(mid + (Math.asin(Math.max(-0.999, Math.min(0.999, k))) / (Math.PI / 2)) * (mid + 0.5)))));
      bits.put(1, 1);
      for (const i of idx) bits.put(i, BITS);
      const a = lpcFromParcor(idx.map((i) => parcor[i]!));
      // residual e[k] = c[k] + Σ a_i c[k − i] (coefficients below k0 count as 0)
      for (let k = n - 1; k >= 0; k--) {
        let e = c[k]!;
        for (let i = 1; i <= order && i <= k; i++) e += a[i]! * c[k - i]!;
        y[(k0 + k) * T + t] = e / w[k0 + k]!;
      }
    }
    return bits.finish();
  }

  /** Decoder: the per-frame predictors of a chunk of T frames (undefined: off), checked against the section. */
  read(section: Uint8Array | undefined, T: number): (Float64Array | undefined)[] {
    if (!section) throw new CorruptFileError('corrupt .lc file (missing TNS section)');
    const r = new BitReader(section);
    const out: (Float64Array | undefined)[] = [];
    for (let t = 0; t < T; t++) {
      if (r.get(1) === 0) {
        out.push(undefined);
        continue;
      }
      const ks: number[] = [];
      for (let i = 0; i < this.b.order; i++) {
        const v = r.get(BITS);
        if (v >= this.levels) throw new CorruptFileError(`corrupt .lc file (TNS index ${v})`);
        ks.push(this.b.parcor[v]!);
      }
      out.push(lpcFromParcor(ks));
    }
    r.end();
    return out;
  }

  /** Decoder: the inverse filter over each frame's coefficients from k0 up (x in any scale), in place. */
  synthesise(x: Float32Array, T: number, filters: readonly (Float64Array | undefined)[]): void {
    const { k0, order } = this.b;
    const n = this.coefficients - k0;
    const c = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      const a = filters[t];
      if (!a) continue;
      for (let k = 0; k < n; k++) {
        let v = x[(k0 + k) * T + t]!;
        for (let i = 1; i <= order && i <= k; i++) v -= a[i]! * c[k - i]!;
        c[k] = v;
        x[(k0 + k) * T + t] = v;
      }
    }
  }
}

/** Reflection coefficients of c's autocorrelation (lag-windowed) and the prediction gain; undefined for silence. */
function reflection(c: Float64Array, p: number): { k: number[]; gain: number } | undefined {
  const r = new Float64Array(p + 1);
  for (let i = 0; i <= p; i++) {
    let s = 0;
    for (let k = i; k < c.length; k++) s += c[k]! * c[k - i]!;
    r[i] = s * Math.exp(-0.5 * (0.02 * i) ** 2);
  }
  if (!(r[0]! > 1e-12)) return undefined;
  const a = new Float64Array(p + 1);
  a[0] = 1;
  let e = r[0]!;
  const ks: number[] = [];
  for (let i = 1; i <= p; i++) {
    let acc = r[i]!;
    for (let j = 1; j < i; j++) acc += a[j]! * r[i - j]!;
    const k = e > 0 ? -acc / e : 0;
    ks.push(k);
    const prev = a.slice();
    for (let j = 1; j < i; j++) a[j] = prev[j]! + k * prev[i - j]!;
    a[i] = k;
    e *= 1 - k * k;
  }
  return { k: ks, gain: r[0]! / Math.max(e, 1e-300) };
}

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;

  put(v: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((v >> i) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }

  finish(): Uint8Array {
    if (this.n > 0) this.bytes.push(this.acc << (8 - this.n));
    return Uint8Array.from(this.bytes);
  }
}

class BitReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get(bits: number): number {
    let v = 0;
    for (let i = 0; i < bits; i++) {
      const byte = this.pos >> 3;
      if (byte >= this.bytes.length) throw new CorruptFileError('corrupt .lc file (TNS section too short)');
      v = (v << 1) | ((this.bytes[byte]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  /** The section must end within the last byte, padded with zeros. */
  end(): void {
    if (Math.ceil(this.pos / 8) !== this.bytes.length) throw new CorruptFileError('corrupt .lc file (TNS section too long)');
    const rest = this.pos & 7;
    if (rest && (this.bytes[this.bytes.length - 1]! & ((1 << (8 - rest)) - 1)) !== 0) throw new CorruptFileError('corrupt .lc file (TNS padding)');
  }
}
