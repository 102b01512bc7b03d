/**
 * The modified discrete cosine transform of the MDCT audio codec: a lapped orthogonal
 * transform (Princen & Bradley 1986) with a sine window of 2N samples and hop N. Frame t covers
 * samples [(t − 1) N, (t + 1) N); the inverse of frames t and t + 1, overlap-added, gives back
 * samples [t N, (t + 1) N) exactly (time-domain aliasing cancellation). The basis is
 * orthonormal, so an error in the coefficients is the same error (in energy) in the waveform.
 * training/lcodec_train/mdct.py defines the same transform (as a 2N × N matrix).
 *
 *   X[k] = √(2/N) Σ_{n<2N} w[n] x[n] cos(π/N · (n + ½ + N/2) · (k + ½))
 *
 * computed as an N-point DCT-IV of the folded windowed frame: with the frame's quarters
 * (a, b, c, d), the MDCT is the DCT-IV of (−c_R − d, a − b_R), and the inverse unfolds the DCT-IV
 * of X as (u₂, −u₂_R, −u₁_R, −u₁) (R: reversed): half the work of the 2N × N matrix.
 */
export class Mdct {
  /** The DCT-IV matrix, cos(π/N · (n + ½) · (k + ½)) · √(2/N), row n. */
  private readonly dct4: Float64Array;
  private readonly window: Float64Array;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new RangeError(`MDCT size must be an even integer ≥ 2, got ${n}`);
    const norm = Math.sqrt(2 / n);
    this.dct4 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) this.dct4[i * n + k] = Math.cos((Math.PI / n) * (i + 0.5) * (k + 0.5)) * norm;
    this.window = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / (2 * n)));
  }

  /** v = C u (C symmetric, N × N). */
  private dct(u: Float64Array, v: Float64Array): void {
    const n = this.n;
    v.fill(0);
    for (let i = 0; i < n; i++) {
      const a = u[i]!;
      if (a === 0) continue;
      const row = i * n;
      for (let k = 0; k < n; k++) v[k]! += a * this.dct4[row + k]!;
    }
  }

  /**
   * Coefficients of `frames` consecutive frames from `x`, whose sample 0 is the start of the
   * first frame (x holds (frames + 1) · N samples). Out: planar N × frames (coefficient-major).
   */
  forward(x: Float32Array, frames: number): Float32Array {
    const n = this.n;
    const h = n / 2;
    if (x.length < (frames + 1) * n) throw new RangeError(`MDCT: ${frames} frames need ${(frames + 1) * n} samples, got ${x.length}`);
    const w = this.window;
    const out = new Float32Array(n * frames);
    const u = new Float64Array(n);
    const v = new Float64Array(n);
    for (let t = 0; t < frames; t++) {
      const at = t * n;
      const a = (i: number): number => w[i]! * x[at + i]!;
      for (let i = 0; i < h; i++) {
        u[i] = -a(3 * h - 1 - i) - a(3 * h + i);
        u[h + i] = a(i) - a(n - 1 - i);
      }
      this.dct(u, v);
      for (let k = 0; k < n; k++) out[k * frames + t] = v[k]!;
    }
    return out;
  }

  /**
   * The signal from planar N × frames coefficients: (frames − 1) · N samples, sample 0 being
   * the middle of the first frame (frames t and t + 1 give samples [t N, (t + 1) N)).
   */
  inverse(X: Float32Array, frames: number): Float32Array {
    const n = this.n;
    const h = n / 2;
    const w = this.window;
    const out = new Float32Array(Math.max(0, frames - 1) * n);
    const coef = new Float64Array(n);
    const v = new Float64Array(n);
    for (let t = 0; t < frames; t++) {
      for (let k = 0; k < n; k++) coef[k] = X[k * frames + t]!;
      this.dct(coef, v);
      // Frame sample i lands on signal sample (t − 1) N + i; only [0, out.length) is kept.
      const base = (t - 1) * n;
      for (let i = 0; i < 2 * n; i++) {
        const s = base + i;
        if (s < 0 || s >= out.length) continue;
        const y = i < h ? v[h + i]! : i < 3 * h ? -v[3 * h - 1 - i]! : -v[i - 3 * h]!;
        out[s]! += w[i]! * y;
      }
    }
    return out;
  }
}
