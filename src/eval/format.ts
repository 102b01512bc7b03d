/**
 * Small text and number helpers shared by the RD plot and the HTML report: escaping for
 * XML/HTML, "nice" axis ticks, and fixed-decimal number formatting.
 */

/** Characters XML 1.0 forbids anywhere in a document (C0 controls except tab, LF, CR, lone surrogates, U+FFFE/U+FFFF). */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for XML and HTML, in element content and in quoted attributes alike.
 * Characters that cannot appear in XML at all are replaced by U+FFFD, so any name a user
 * gives a codec still yields a well-formed SVG.
 */
export function escapeXml(text: unknown): string {
  return String(text)
    .replace(XML_INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A finite number, or undefined for anything else (missing keys, null from JSON, NaN, ±Infinity). */
export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const MINUS = '\u2212';

/** Fixed decimals with a typographic minus sign; `-0.00` prints as `0.00`. */
export function formatFixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  if (/^-0(\.0*)?$/.test(text)) return text.slice(1);
  return text.startsWith('-') ? MINUS + text.slice(1) : text;
}

/** Decimals that show about `significant` digits of the largest magnitude in a column. */
export function decimalsFor(maxAbs: number, significant = 4): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 2;
  const digitsBeforePoint = Math.floor(Math.log10(maxAbs)) + 1;
  return Math.min(6, Math.max(0, significant - digitsBeforePoint));
}

export interface Scale {
  /** Domain after snapping outward to whole ticks. */
  min: number;
  max: number;
  step: number;
  ticks: number[];
  /** Decimals that print every tick exactly. */
  decimals: number;
  /** Tick labels, ready to print. */
  labels: string[];
  /** Logarithmic axis: position by log10 of the value. */
  log: boolean;
}

/** A 1, 2, 2.5 or 5 × 10^k step that splits `span` into about `target` intervals. */
export function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

/**
 * An axis scale covering [lo, hi] with a little padding, snapped outward to whole ticks.
 * Degenerate input (one value, or none) still yields a usable axis around it.
 */
export function niceScale(lo: number, hi: number, target = 6, padFraction = 0.04): Scale {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const half = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.5;
    lo -= half;
    hi += half;
  } else {
    const pad = (hi - lo) * padFraction;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const stepDecimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  // A 2.5 × 10^k step needs one more decimal than its magnitude suggests.
  const decimals = Math.min(10, stepDecimals + (Math.abs(step / 10 ** Math.floor(Math.log10(step) + 1e-9) - 2.5) < 1e-9 ? 1 : 0));
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return { min: first * step, max: last * step, step, ticks, decimals, labels: ticks.map((t) => formatFixed(t, decimals)), log: false };
}

/** Shortest plain decimal text of a tick value such as 0.5, 2 or 20. */
function tickLabel(value: number): string {
  return formatFixed(value, Math.max(0, -Math.floor(Math.log10(value) + 1e-9)));
}

/**
 * A logarithmic axis over [lo, hi] (both > 0) with ticks at 1, 2 and 5 × 10^k, or at
 * decades only when the range spans many of them. Suits rates that span orders of
 * magnitude, such as audio bitrates from 1.5 to 96 kbit/s.
 */
export function logScale(lo: number, hi: number): Scale {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return niceScale(lo, hi);
  if (lo > hi) [lo, hi] = [hi, lo];
  const pad = hi / lo > 1 + 1e-9 ? (hi / lo) ** 0.03 : 1.5;
  lo /= pad;
  hi *= pad;
  const firstDecade = Math.floor(Math.log10(lo) + 1e-9);
  const lastDecade = Math.ceil(Math.log10(hi) - 1e-9);
  const decades = lastDecade - firstDecade;
  const mantissas = decades > 4 ? [1] : [1, 2, 5];
  const candidates: number[] = [];
  for (let k = firstDecade; k <= lastDecade; k++) {
    for (const m of mantissas) candidates.push(Number((m * 10 ** k).toPrecision(12)));
  }
  // Unlike a linear axis, the domain is not snapped to ticks: the next 1-2-5 tick can be
  // more than twice as far as the data, which would waste half the plot.
  const ticks = candidates.filter((c) => c >= lo * (1 - 1e-9) && c <= hi * (1 + 1e-9));
  const min = lo;
  const max = hi;
  const decimals = Math.max(0, ...ticks.map((t) => -Math.floor(Math.log10(t) + 1e-9)));
  return { min, max, step: Number.NaN, ticks, decimals, labels: ticks.map(tickLabel), log: true };
}
