/**
 * FFT for real signals of power-of-two length: one complex radix-2 FFT of half the length on the
 * even/odd samples packed as real/imaginary parts, then a split step that separates the two.
 * Tables are built once per size; an instance reuses its work buffers (not re-entrant).
 */
export class RealFft {
  /** Transform length n (a power of two, ≥ 4). */
  readonly size: number;
  /** Output bins: n/2 + 1 (DC to Nyquist). */
  readonly bins: number;
  private readonly half: number;
  private readonly reverse: Uint32Array;
  /**
   * Twiddles of the complex FFT, stage by stage: for a stage of butterfly span `size`, entries
   * size/2 .. size-1 hold e^{-2πik/size}, k < size/2 (contiguous for the inner loop).
   */
  private readonly twRe: Float64Array;
  private readonly twIm: Float64Array;
  /** e^{-2πik/n} for k ≤ half: twiddles of the split step. */
  private readonly splitRe: Float64Array;
  private readonly splitIm: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new RangeError(`RealFft: size must be a power of two >= 4, got ${size}`);
    }
    this.size = size;
    this.bins = size / 2 + 1;
    const half = size / 2;
    this.half = half;
    const bits = Math.log2(half);
    this.reverse = new Uint32Array(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
      this.reverse[i] = r;
    }
    this.twRe = new Float64Array(half);
    this.twIm = new Float64Array(half);
    for (let size = 2; size <= half; size <<= 1) {
      for (let k = 0; k < size / 2; k++) {
        this.twRe[size / 2 + k] = Math.cos((2 * Math.PI * k) / size);
        this.twIm[size / 2 + k] = -Math.sin((2 * Math.PI * k) / size);
      }
    }
    this.splitRe = new Float64Array(half + 1);
    this.splitIm = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.splitRe[k] = Math.cos((2 * Math.PI * k) / size);
      this.splitIm[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(half);
    this.im = new Float64Array(half);
  }

  /** In-place complex FFT of (re, im), length half, after loading in bit-reversed order. */
  private transformHalf(): void {
    const { re, im, twRe, twIm } = this;
    const m = this.half;
    // The first two stages have twiddles 1 and -i only: one radix-4 pass without multiplies.
    if (m >= 4) {
      for (let a = 0; a < m; a += 4) {
        const r0 = re[a]!, i0 = im[a]!, r1 = re[a + 1]!, i1 = im[a + 1]!;
        const r2 = re[a + 2]!, i2 = im[a + 2]!, r3 = re[a + 3]!, i3 = im[a + 3]!;
        const sr = r0 + r1, si = i0 + i1, dr = r0 - r1, di = i0 - i1;
        const tr = r2 + r3, ti = i2 + i3, ur = r2 - r3, ui = i2 - i3;
        re[a] = sr + tr;
        im[a] = si + ti;
        re[a + 2] = sr - tr;
        im[a + 2] = si - ti;
        // (ur + i·ui)·(−i) = ui − i·ur
        re[a + 1] = dr + ui;
        im[a + 1] = di - ur;
        re[a + 3] = dr - ui;
        im[a + 3] = di + ur;
      }
    } else {
      const r0 = re[0]!, i0 = im[0]!, r1 = re[1]!, i1 = im[1]!;
      re[0] = r0 + r1;
      im[0] = i0 + i1;
      re[1] = r0 - r1;
      im[1] = i0 - i1;
    }
    let size = 8;
    // With an odd number of stages left, one radix-2 stage first; then two stages per pass.
    if (size <= m && (Math.log2(m) - 2) % 2 === 1) {
      const h = size >> 1;
      for (let start = 0; start < m; start += size) {
        for (let k = 0; k < h; k++) {
          const wr = twRe[h + k]!;
          const wi = twIm[h + k]!;
          const a = start + k;
          const b = a + h;
          const br = re[b]!;
          const bi = im[b]!;
          const tr = br * wr - bi * wi;
          const ti = br * wi + bi * wr;
          const ar = re[a]!;
          const ai = im[a]!;
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
      size <<= 1;
    }
    // Spans size (twiddles W_size^k) and 2·size (W_2size^k, and W_2size^(k+q) = −i·W_2size^k)
    // fused: each pass reads and writes every element once for two stages.
    for (; size <= m; size <<= 2) {
      const q = size >> 1;
      const block = size << 1;
      for (let start = 0; start < m; start += block) {
        for (let k = 0; k < q; k++) {
          const war = twRe[q + k]!;
          const wai = twIm[q + k]!;
          const wbr = twRe[size + k]!;
          const wbi = twIm[size + k]!;
          const i0 = start + k;
          const i1 = i0 + q;
          const i2 = i1 + q;
          const i3 = i2 + q;
          // Stage of span `size`: (i0, i1) and (i2, i3) with W_size^k.
          let xr = re[i1]!;
          let xi = im[i1]!;
          let tr = xr * war - xi * wai;
          let ti = xr * wai + xi * war;
          const a0r = re[i0]! + tr;
          const a0i = im[i0]! + ti;
          const a1r = re[i0]! - tr;
          const a1i = im[i0]! - ti;
          xr = re[i3]!;
          xi = im[i3]!;
          tr = xr * war - xi * wai;
          ti = xr * wai + xi * war;
          const a2r = re[i2]! + tr;
          const a2i = im[i2]! + ti;
          const a3r = re[i2]! - tr;
          const a3i = im[i2]! - ti;
          // Stage of span 2·size: (i0, i2) with W^k, (i1, i3) with −i·W^k.
          const u2r = a2r * wbr - a2i * wbi;
          const u2i = a2r * wbi + a2i * wbr;
          const v3r = a3r * wbr - a3i * wbi;
          const v3i = a3r * wbi + a3i * wbr;
          // −i·(v3r + i·v3i) = v3i − i·v3r
          re[i0] = a0r + u2r;
          im[i0] = a0i + u2i;
          re[i2] = a0r - u2r;
          im[i2] = a0i - u2i;
          re[i1] = a1r + v3i;
          im[i1] = a1i - v3r;
          re[i3] = a1r - v3i;
          im[i3] = a1i + v3r;
        }
      }
    }
  }

  /**
   * Packs the n samples of x from `offset`, times `window` if given, as z[k] = x[2k] + i·x[2k+1]
   * in bit-reversed order, and transforms them.
   */
  private load(x: ArrayLike<number>, offset: number, window: ArrayLike<number> | undefined): void {
    const { re, im, reverse } = this;
    if (window) {
      for (let k = 0; k < this.half; k++) {
        const j = reverse[k]!;
        re[j] = x[offset + 2 * k]! * window[2 * k]!;
        im[j] = x[offset + 2 * k + 1]! * window[2 * k + 1]!;
      }
    } else {
      for (let k = 0; k < this.half; k++) {
        const j = reverse[k]!;
        re[j] = x[offset + 2 * k]!;
        im[j] = x[offset + 2 * k + 1]!;
      }
    }
    this.transformHalf();
  }

  /** Spectrum X[k] = Σ x[t]·e^{-2πikt/n}, k = 0..n/2, into outRe/outIm (length ≥ bins). */
  forward(x: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    this.load(x, 0, undefined);
    const { re, im, splitRe, splitIm } = this;
    const m = this.half;
    outRe[0] = re[0]! + im[0]!;
    outIm[0] = 0;
    outRe[m] = re[0]! - im[0]!;
    outIm[m] = 0;
    for (let k = 1; k < m; k++) {
      // E (spectrum of even samples) and O (odd samples) from Z[k] and conj(Z[m-k]).
      const a = re[k]!;
      const b = im[k]!;
      const c = re[m - k]!;
      const d = im[m - k]!;
      const er = 0.5 * (a + c);
      const ei = 0.5 * (b - d);
      const or = 0.5 * (b + d);
      const oi = -0.5 * (a - c);
      const wr = splitRe[k]!;
      const wi = splitIm[k]!;
      outRe[k] = er + wr * or - wi * oi;
      outIm[k] = ei + wr * oi + wi * or;
    }
  }

  /**
   * The inverse of forward(): the n real samples x[t] = (1/n)·Σ_k X[k]·e^{2πikt/n} of the
   * Hermitian spectrum given by its bins k = 0..n/2 (imaginary parts of bins 0 and n/2 ignored).
   */
  inverse(inRe: ArrayLike<number>, inIm: ArrayLike<number>, out: Float64Array): void {
    const { re, im, splitRe, splitIm, reverse } = this;
    const m = this.half;
    // Z[k] = E[k] + i·O[k], the half-length spectrum of z[j] = x[2j] + i·x[2j+1], where
    // E[k] = (X[k] + conj(X[m−k]))/2 and O[k] = (X[k] − conj(X[m−k]))·e^{2πik/n}/2; loaded
    // conjugated, so that the forward transform computes the inverse one.
    for (let k = 0; k < m; k++) {
      const a = inRe[k]!, b = k === 0 ? 0 : inIm[k]!;
      const c = inRe[m - k]!, d = k === 0 ? 0 : -inIm[m - k]!;
      const er = 0.5 * (a + c);
      const ei = 0.5 * (b + d);
      const dr = 0.5 * (a - c);
      const di = 0.5 * (b - d);
      const wr = splitRe[k]!;
      const wi = -splitIm[k]!;
      const or = dr * wr - di * wi;
      const oi = dr * wi + di * wr;
      const j = reverse[k]!;
      re[j] = er - oi;
      im[j] = -(ei + or);
    }
    this.transformHalf();
    const scale = 1 / m;
    for (let j = 0; j < m; j++) {
      out[2 * j] = re[j]! * scale;
      out[2 * j + 1] = -im[j]! * scale;
    }
  }

  /**
   * |X[k]| for k = 0..n/2 into out (length ≥ bins), of the n samples of x from `offset`, each
   * multiplied by `window` when one is given (one STFT frame without a copy).
   */
  magnitude(x: ArrayLike<number>, out: Float64Array, offset = 0, window?: ArrayLike<number>): void {
    this.load(x, offset, window);
    const { re, im, splitRe, splitIm } = this;
    const m = this.half;
    out[0] = Math.abs(re[0]! + im[0]!);
    out[m] = Math.abs(re[0]! - im[0]!);
    for (let k = 1; k < m; k++) {
      const a = re[k]!;
      const b = im[k]!;
      const c = re[m - k]!;
      const d = im[m - k]!;
      const er = 0.5 * (a + c);
      const ei = 0.5 * (b - d);
      const or = 0.5 * (b + d);
      const oi = -0.5 * (a - c);
      const wr = splitRe[k]!;
      const wi = splitIm[k]!;
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      out[k] = Math.sqrt(xr * xr + xi * xi);
    }
  }
}
