/**
 * Deterministic elementary functions for building probability tables.
 *
 * Why not Math.exp / Math.log: ECMAScript lets engines approximate them ("implementation-
 * approximated"), so two engines — or two versions of one — may disagree in the last bit.
 * Tables built on the encoder's machine must equal the decoder's bit for bit, and a last-bit
 * difference in a pmf can move a rounding decision in the CDF builder. Everything here uses
 * only IEEE-754 + - * / (correctly rounded, no FMA contraction in JS) and Math.round/floor/
 * abs, so the results are identical on every conforming engine. Accuracy is ~1e-15 relative,
 * far finer than a 2^-16 probability quantum.
 */

// ln 2 split so that k * LN2_HI is exact for |k| < 2^11 (Cody–Waite range reduction).
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = 1.4426950408889634;
const INV_SQRT_PI = 0.5641895835477563;

/** 2^k exactly (for k in the double range), by repeated squaring of 2 or 1/2. */
function pow2(k: number): number {
  let base = k < 0 ? 0.5 : 2;
  let e = Math.abs(k);
  let r = 1;
  while (e > 0) {
    if (e & 1) r *= base;
    base *= base;
    e >>>= 1;
  }
  return r;
}

/** e^x with IEEE basic operations only (see module comment). */
export function detExp(x: number): number {
  if (x !== x) return NaN;
  if (x > 709.78) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| <= 0.3466
  // Taylor series to degree 16 in Horner form: truncation error < 1e-20.
  let p = 1;
  for (let j = 16; j >= 1; j--) p = 1 + (r * p) / j;
  // Split the scaling so that 2^k never overflows/underflows on its own.
  if (k > 1000) return p * pow2(1000) * pow2(k - 1000);
  if (k < -1000) return p * pow2(-1000) * pow2(k + 1000);
  return p * pow2(k);
}

/** Natural logarithm with IEEE basic operations only (see module comment). */
export function detLog(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); scaling by 2 is exact.
  let m = x;
  let e = 0;
  while (m >= 1.4142135623730951) {
    m *= 0.5;
    e++;
  }
  while (m < 0.7071067811865476) {
    m *= 2;
    e--;
  }
  // log m = 2 atanh(u), u = (m-1)/(m+1), |u| < 0.1716: the odd series converges fast.
  const u = (m - 1) / (m + 1);
  const u2 = u * u;
  let s = 0;
  for (let j = 31; j >= 1; j -= 2) s = 1 / j + u2 * s;
  return 2 * u * s + e * LN2_HI + e * LN2_LO;
}

/** Complementary error function erfc(x) = 1 - erf(x), deterministic (see module comment). */
export function detErfc(x: number): number {
  if (x !== x) return NaN;
  if (x < 0) return 2 - detErfc(-x);
  if (x < 1) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); 40 terms reach 1e-30 at x = 1,
    // and erfc >= 0.157 here, so 1 - erf loses nothing to cancellation.
    const x2 = x * x;
    let term = x; // (-1)^n x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 40; n++) {
      term = (-term * x2) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - 2 * INV_SQRT_PI * sum;
  }
  if (x > 27.3) return 0; // below the smallest subnormal
  // Continued fraction erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
  // evaluated bottom-up. The depth is a fixed function of x (so the operation sequence is too),
  // sized to converge to full double precision: 200 terms at x = 1, ~25 in the far tail.
  const depth = Math.ceil(20 + 180 / (x * x));
  let f = x;
  for (let k = depth; k >= 1; k--) f = x + k / 2 / f;
  return (detExp(-x * x) * INV_SQRT_PI) / f;
}

/** Standard normal CDF Φ(x) = erfc(-x/√2)/2. */
export function normalCdf(x: number): number {
  return 0.5 * detErfc(-x * Math.SQRT1_2);
}

/**
 * Upper-tail quantile: the x > 0 with Φ(-x) = p, for p in (0, 0.5). Bisection with a fixed
 * iteration count, so it is as deterministic as normalCdf.
 */
export function normalTailQuantile(p: number): number {
  if (!(p > 0 && p < 0.5)) throw new RangeError(`tail probability must be in (0, 0.5), got ${p}`);
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (normalCdf(-mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}
