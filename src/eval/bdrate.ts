/**
 * Bjøntegaard delta rate (VCEG-M33; piecewise-cubic variant of JCTVC-L0242 / the common
 * Python implementations): the average difference in log-rate between two RD curves over
 * the quality range both cover, reported as a percentage of the anchor's rate.
 *
 * log(rate) is interpolated as a function of quality with a monotone piecewise cubic
 * Hermite interpolant (PCHIP, Fritsch–Carlson with scipy's end-point rule) and integrated
 * exactly; scipy's `PchipInterpolator(...).integrate(lo, hi)` gives the same numbers.
 * Negative = the test codec needs fewer bits than the anchor for the same quality.
 */

/** A rate–distortion curve: one rate (bpp, kbps, ...) and one quality (dB, ...) per point. */
export interface RdCurve {
  rate: readonly number[];
  quality: readonly number[];
}

/** MS-SSIM on a dB scale, −10·log10(1 − MS-SSIM): near-linear in log-rate, used for BD-rate. */
export function msSsimDb(msSsim: number): number {
  return -10 * Math.log10(1 - msSsim);
}

/**
 * BD-rate (%) of `test` against `anchor`. Returns null when the curves share no quality
 * range (or a curve has fewer than 2 distinct qualities). Throws RangeError on rates ≤ 0
 * or non-finite values.
 */
export function bdRate(anchor: RdCurve, test: RdCurve): number | null {
  const a = prepare(anchor, 'anchor');
  const t = prepare(test, 'test');
  if (a.x.length < 2 || t.x.length < 2) return null;
  const lo = Math.max(a.x[0], t.x[0]);
  const hi = Math.min(a.x[a.x.length - 1], t.x[t.x.length - 1]);
  if (!(hi > lo)) return null;
  const intA = pchipIntegral(a.x, a.y, lo, hi);
  const intT = pchipIntegral(t.x, t.y, lo, hi);
  return (Math.exp((intT - intA) / (hi - lo)) - 1) * 100;
}

/** Sorted by quality, log-rates, duplicate qualities merged (mean log-rate). */
function prepare(curve: RdCurve, label: string): { x: number[]; y: number[] } {
  const { rate, quality } = curve;
  if (rate.length !== quality.length) {
    throw new RangeError(`${label} curve: ${rate.length} rates but ${quality.length} qualities`);
  }
  const points = rate.map((r, i) => {
    const q = quality[i];
    if (!(r > 0) || !Number.isFinite(r)) throw new RangeError(`${label} curve: rate must be > 0 and finite, got ${r}`);
    if (!Number.isFinite(q)) throw new RangeError(`${label} curve: quality must be finite, got ${q}`);
    return { q, lr: Math.log(r) };
  });
  points.sort((p1, p2) => p1.q - p2.q);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < points.length; ) {
    let j = i;
    let sum = 0;
    while (j < points.length && points[j].q === points[i].q) sum += points[j++].lr;
    x.push(points[i].q);
    y.push(sum / (j - i));
    i = j;
  }
  return { x, y };
}

/** PCHIP slopes at the knots (scipy.interpolate.PchipInterpolator's rule). */
export function pchipSlopes(x: readonly number[], y: readonly number[]): number[] {
  const n = x.length;
  const h: number[] = [];
  const m: number[] = [];
  for (let k = 0; k < n - 1; k++) {
    h.push(x[k + 1] - x[k]);
    m.push((y[k + 1] - y[k]) / h[k]);
  }
  if (n === 2) return [m[0], m[0]];
  const d = new Array<number>(n).fill(0);
  for (let k = 1; k < n - 1; k++) {
    const m0 = m[k - 1];
    const m1 = m[k];
    if (m0 === 0 || m1 === 0 || Math.sign(m0) !== Math.sign(m1)) continue; // local extremum: flat
    const w1 = 2 * h[k] + h[k - 1];
    const w2 = h[k] + 2 * h[k - 1];
    d[k] = (w1 + w2) / (w1 / m0 + w2 / m1); // weighted harmonic mean
  }
  d[0] = edgeSlope(h[0], h[1], m[0], m[1]);
  d[n - 1] = edgeSlope(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
  return d;
}

/** One-sided three-point end slope, limited to keep the interpolant shape-preserving. */
function edgeSlope(h0: number, h1: number, m0: number, m1: number): number {
  const d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (Math.sign(d) !== Math.sign(m0)) return 0;
  if (Math.sign(m0) !== Math.sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) return 3 * m0;
  return d;
}

/** Exact integral over [lo, hi] (inside [x₀, xₙ₋₁]) of the PCHIP through (x, y). */
export function pchipIntegral(x: readonly number[], y: readonly number[], lo: number, hi: number): number {
  const d = pchipSlopes(x, y);
  let total = 0;
  for (let k = 0; k < x.length - 1; k++) {
    const a = Math.max(lo, x[k]);
    const b = Math.min(hi, x[k + 1]);
    if (!(b > a)) continue;
    const h = x[k + 1] - x[k];
    total += h * (hermiteAntiderivative(y[k], y[k + 1], d[k] * h, d[k + 1] * h, (b - x[k]) / h) -
      hermiteAntiderivative(y[k], y[k + 1], d[k] * h, d[k + 1] * h, (a - x[k]) / h));
  }
  return total;
}

/**
 * ∫₀ᵗ of the cubic Hermite segment p(s) = y0·h00 + m0·h10 + y1·h01 + m1·h11 in the unit
 * parameter s (m0, m1 are slopes already scaled by the interval length).
 */
function hermiteAntiderivative(y0: number, y1: number, m0: number, m1: number, t: number): number {
  const t2 = t * t;
  const t3 = t2 * t;
  const t4 = t3 * t;
  return (
    y0 * (t - t3 + t4 / 2) +
    m0 * (t2 / 2 - (2 * t3) / 3 + t4 / 4) +
    y1 * (t3 - t4 / 2) +
    m1 * (-t3 / 3 + t4 / 4)
  );
}
