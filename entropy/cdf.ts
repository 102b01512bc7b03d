/**
 * The one CDF builder: float pmf → integer CDF, as every entropy model here needs it.
 *
 * Contract (what the coder relies on):
 * - every symbol gets a frequency ≥ 1, so any symbol stays codable however unlikely;
 * - the frequencies sum to exactly 2^precision;
 * - the result is a pure function of the input doubles, identical on every machine. Only
 *   IEEE-754 + - * / and Math.round decide anything (all correctly rounded in JS), and every
 *   tie is broken by the lower symbol index. No Math.log/exp: engines may differ in their
 *   last bit, and the decoder must rebuild exactly the encoder's tables.
 *
 * Method: give one slot to every symbol too unlikely for more, share the rest by rounding
 * p·scale, then move the total onto 2^precision one unit at a time, each time changing the symbol whose code-length cost changes least
 * (largest p/(f+½) to grow, smallest p/(f−½) to shrink — the midpoint approximations of
 * p·ln((f+1)/f) and p·ln(f/(f−1))). A heap keeps this O(n log n).
 */

export const DEFAULT_PRECISION = 16;
/** Highest supported CDF precision: the rANS state interval [2^23, 2^31) keeps 2^7 headroom over it. */
export const MAX_PRECISION = 16;
/** Bounds the tail-forcing passes (usually 2–3 suffice); the heap corrects whatever is left. */
const MAX_FORCING_PASSES = 8;

/** Throws a RangeError unless `precision` is an integer in [1, MAX_PRECISION]. */
export function checkPrecision(precision: number): void {
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_PRECISION) {
    throw new RangeError(`precision must be an integer in [1, ${MAX_PRECISION}], got ${precision}`);
  }
}

/**
 * Quantizes `pmf` (non-negative, finite, not all zero; need not sum to 1) to an integer CDF
 * of `pmf.length + 1` entries: cdf[0] = 0, cdf[n] = 2^precision, cdf[i+1] − cdf[i] ≥ 1.
 *
 * @example
 * pmfToQuantizedCdf([0.5, 0.25, 0.25], 4); // Int32Array [0, 8, 12, 16]
 */
export function pmfToQuantizedCdf(pmf: ArrayLike<number>, precision = DEFAULT_PRECISION): Int32Array {
  checkPrecision(precision);
  const out = new Int32Array(pmf.length + 1);
  quantizePmf(pmf, 0, pmf.length, -1, precision, out, 0);
  return out;
}

/**
 * The builder itself, in a form the table constructors can use without copying: quantizes
 * pmf[from .. from+count) followed, when `extra >= 0`, by one more symbol of mass `extra`
 * (the escape symbol), writing count(+1)+1 CDF entries at out[at..].
 * @internal
 */
export function quantizePmf(
  pmf: ArrayLike<number>,
  from: number,
  count: number,
  extra: number,
  precision: number,
  out: Int32Array,
  at: number,
): void {
  const n = extra >= 0 ? count + 1 : count;
  const total = 2 ** precision;
  if (n < 1) throw new RangeError('pmf must have at least one symbol');
  if (n > total) {
    throw new RangeError(`a table of ${n} symbols needs precision > ${precision} (at most 2^precision symbols)`);
  }
  const p = new Float64Array(n);
  let mass = 0;
  for (let i = 0; i < n; i++) {
    const v = i < count ? pmf[from + i] : extra;
    if (!(v >= 0 && v < Infinity)) {
      throw new RangeError(`pmf[${i}] must be a finite number >= 0, got ${v}`);
    }
    p[i] = v;
    mass += v;
  }
  if (!(mass > 0 && mass < Infinity)) throw new RangeError(`pmf must have a finite positive sum, got ${mass}`);

  // Symbols whose share would round below one slot get exactly one; the others share the
  // rest in proportion. Taking the forced slots out first keeps the final correction small
  // (a few units instead of up to n when a long tail of tiny symbols is clamped to 1).
  const f = new Int32Array(n);
  let forced = 0;
  let free = mass;
  for (let pass = 0; pass < MAX_FORCING_PASSES; pass++) {
    const scale = (total - forced) / free;
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (f[i] === 0 && p[i] * scale < 1) {
        f[i] = 1;
        forced++;
        free -= p[i];
        changed = true;
      }
    }
    if (!changed || !(free > 0)) break;
  }
  let sum = forced;
  if (free > 0) {
    const scale = (total - forced) / free;
    for (let i = 0; i < n; i++) {
      if (f[i] === 0) {
        const q = Math.round(p[i] * scale);
        f[i] = q < 1 ? 1 : q;
        sum += f[i];
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (f[i] === 0) {
        f[i] = 1;
        sum++;
      }
    }
  }
  if (sum !== total) rebalance(p, f, total - sum);

  out[at] = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    c += f[i];
    out[at + i + 1] = c;
  }
}

/** Adds (d > 0) or removes (d < 0) |d| units of frequency where they cost the fewest bits. */
function rebalance(p: Float64Array, f: Int32Array, d: number): void {
  const n = p.length;
  const grow = d > 0;
  const key = new Float64Array(n);
  const heap = new Int32Array(n);
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (grow) {
      key[i] = p[i] / (f[i] + 0.5);
      heap[size++] = i;
    } else if (f[i] > 1) {
      key[i] = p[i] / (f[i] - 0.5);
      heap[size++] = i;
    }
  }
  for (let k = (size >> 1) - 1; k >= 0; k--) siftDown(heap, size, key, grow, k);
  for (let left = Math.abs(d); left > 0 && size > 0; left--) {
    const i = heap[0];
    if (grow) {
      f[i]++;
      key[i] = p[i] / (f[i] + 0.5);
    } else {
      f[i]--;
      if (f[i] === 1) heap[0] = heap[--size];
      else key[i] = p[i] / (f[i] - 0.5);
    }
    siftDown(heap, size, key, grow, 0);
  }
}

/**
 * Heap order: when growing, the largest gain first; when shrinking, the smallest loss first;
 * equal keys, the lower index first (determinism).
 */
function siftDown(heap: Int32Array, size: number, key: Float64Array, grow: boolean, k: number): void {
  const item = heap[k];
  const itemKey = key[item];
  for (;;) {
    let child = 2 * k + 1;
    if (child >= size) break;
    let c = heap[child];
    let ck = key[c];
    if (child + 1 < size) {
      const r = heap[child + 1];
      const rk = key[r];
      if (rk !== ck ? (grow ? rk > ck : rk < ck) : r < c) {
        child++;
        c = r;
        ck = rk;
      }
    }
    if (!(ck !== itemKey ? (grow ? ck > itemKey : ck < itemKey) : c < item)) break;
    heap[k] = c;
    k = child;
  }
  heap[k] = item;
}
