/**
 * The modified discrete cosine transform of the MDCT audio codec: a lapped orthogonal
 * transform (Princen & Bradley 1986) with a sine window of 2N samples and hop N. Frame t covers
 * samples [(t − 1) N, (t + 1) N); the inverse of frames t and t + 1, overlap-added, gives back
 * samples [t N, (t + 1) N) exactly (time-domain aliasing cancellation). The basis is
 * orthonormal, so an error in the coefficients is the same error (in energy) in the waveform.
 * training/lcodec_train/mdct.py defines the same transform.
 */
export class Mdct {
  /** basis[n · N + k] = w[n] · √(2/N) · cos(π/N · (n + ½ + N/2) · (k + ½)), n < 2N, k < N. */
  private readonly basis: Float64Array;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new RangeError(`MDCT size must be an even integer ≥ 2, got ${n}`);
    this.basis = new Float64Array(2 * n * n);
    const norm = Math.sqrt(2 / n);
    for (let i = 0; i < 2 * n; i++) {
      const w = Math.sin((Math.PI * (i + 0.5)) / (2 * n)) * norm;
      for (let k = 0; k < n; k++) this.basis[i * n + k] = w * Math.cos((Math.PI / n) * (i + 0.5 + n / 2) * (k + 0.5));
    }
  }

  /**
   * Coefficients of `frames` consecutive frames from `x`, whose sample 0 is the start of the
   * first frame (x holds (frames + 1) · N samples). Out: planar N × frames (coefficient-major).
   */
  forward(x: Float32Array, frames: number): Float32Array {
    const n = this.n;
    if (x.length < (frames + 1) * n) throw new RangeError(`MDCT: ${frames} frames need ${(frames + 1) * n} samples, got ${x.length}`);
    const out = new Float32Array(n * frames);
    const acc = new Float64Array(n);
    for (let t = 0; t < frames; t++) {
      acc.fill(0);
      const at = t * n;
      for (let i = 0; i < 2 * n; i++) {
        const v = x[at + i]!;
        if (v === 0) continue;
        const row = i * n;
        for (let k = 0; k < n; k++) acc[k]! += v * this.basis[row + k]!;
      }
      for (let k = 0; k < n; k++) out[k * frames + t] = acc[k]!;
    }
    return out;
  }

  /**
   * The signal from planar N × frames coefficients: (frames − 1) · N samples, sample 0 being
   * the middle of the first frame (frames t and t + 1 give samples [t N, (t + 1) N)).
   */
  inverse(X: Float32Array, frames: number): Float32Array {
    const n = this.n;
    const out = new Float32Array(Math.max(0, frames - 1) * n);
    const frame = new Float64Array(2 * n);
    const coef = new Float64Array(n);
    for (let t = 0; t < frames; t++) {
      let any = false;
      for (let k = 0; k < n; k++) {
        coef[k] = X[k * frames + t]!;
        if (coef[k] !== 0) any = true;
      }
      if (!any) continue;
      for (let i = 0; i < 2 * n; i++) {
        const row = i * n;
        let s = 0;
        for (let k = 0; k < n; k++) s += coef[k]! * this.basis[row + k]!;
        frame[i] = s;
      }
      // First half of frame t lands on samples [(t − 1) N, t N), the second on [t N, (t + 1) N).
      for (let i = 0; i < n; i++) {
        const a = (t - 1) * n + i;
        const b = t * n + i;
        if (a >= 0 && a < out.length) out[a]! += frame[i]!;
        if (b < out.length) out[b]! += frame[n + i]!;
      }
    }
    return out;
  }
}
