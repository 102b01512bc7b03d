/**
 * Lossless coding of one 8-bit plane (an image's alpha channel) with the entropy layer.
 *
 * LOCO-I style: each sample x is predicted from its decoded neighbours by the median edge
 * detector (MED) over a = left, b = above, c = above-left; the residual (x − prediction)
 * modulo 256, taken in [−128, 127], is coded with one of CONTEXTS tables, chosen by the local
 * activity |a − c| + |b − c|. The encoder fits the tables to the plane and sends them ahead of
 * the stream as integer frequencies, so the decoder rebuilds the exact CDFs with no float
 * arithmetic at all. A typical alpha plane (flat 0 or 255 with anti-aliased edges) costs a few
 * dozen bytes of tables plus about a bit per edge sample.
 *
 * Section layout (docs/FORMAT.md):
 *   varint  method, 0 = MED + activity contexts
 *   per context: varint n (0 = unused); when n > 0: varint zigzag(lo), then n varints: the
 *           frequencies (≥ 1) of residuals lo .. lo + n − 1 out of 2^16; the escape symbol
 *           gets the rest (≥ 1), so a table is a valid CDF by construction
 *   rest    one rANS stream: the residuals in raster order
 */
import { CdfTables, RansDecoder, encodeWithIndexes, pmfToQuantizedCdf } from '../../entropy/index.js';
import { CorruptFileError } from '../../src/container/index.js';

const METHOD_MED = 0;
const PRECISION = 16;
const TOTAL = 1 << PRECISION;
/** Activity thresholds: context k holds activities up to LIMITS[k]. */
const LIMITS = [0, 2, 8, 32, 128, Infinity] as const;
const CONTEXTS = LIMITS.length;

function context(a: number, b: number, c: number): number {
  const activity = Math.abs(a - c) + Math.abs(b - c);
  let k = 0;
  while (activity > LIMITS[k]!) k++;
  return k;
}

/** Median edge detector (JPEG-LS). */
function predict(a: number, b: number, c: number): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  return c >= hi ? lo : c <= lo ? hi : a + b - c;
}

/** Neighbours of sample (x, y): missing ones copy the nearest present one (0 at the origin). */
function neighbours(p: Uint8Array, width: number, x: number, y: number, i: number): [number, number, number] {
  if (y === 0) {
    const a = x === 0 ? 0 : p[i - 1]!;
    return [a, a, a];
  }
  const b = p[i - width]!;
  if (x === 0) return [b, b, b];
  return [p[i - 1]!, b, p[i - width - 1]!];
}

/** Codes a width × height plane losslessly; returns the section's bytes. */
export function encodePlane(plane: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  if (plane.length !== n) throw new RangeError(`plane has ${plane.length} samples, expected ${n}`);
  const symbols = new Int32Array(n);
  const contexts = new Int32Array(n);
  const counts = Array.from({ length: CONTEXTS }, () => new Float64Array(256));
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const [a, b, c] = neighbours(plane, width, x, y, i);
      const r = ((plane[i]! - predict(a, b, c) + 128) & 255) - 128;
      const k = context(a, b, c);
      symbols[i] = r;
      contexts[i] = k;
      counts[k]![r + 128]!++;
    }
  }
  const head: number[] = [];
  pushVarint(head, METHOD_MED);
  const rows: { lo: number; freqs: Int32Array }[] = [];
  for (const hist of counts) {
    let first = 0;
    while (first < 256 && hist[first] === 0) first++;
    if (first === 256) {
      pushVarint(head, 0);
      rows.push(UNUSED);
      continue;
    }
    let last = 255;
    while (hist[last] === 0) last--;
    // The escape symbol (mass 0) still gets frequency 1 from the builder: never used.
    const cdf = pmfToQuantizedCdf([...hist.subarray(first, last + 1), 0], PRECISION);
    const freqs = new Int32Array(last - first + 1);
    for (let v = 0; v < freqs.length; v++) freqs[v] = cdf[v + 1]! - cdf[v]!;
    pushVarint(head, freqs.length);
    pushVarint(head, zigzag(first - 128));
    for (const f of freqs) pushVarint(head, f);
    rows.push({ lo: first - 128, freqs });
  }
  const stream = encodeWithIndexes(symbols, contexts, tablesOf(rows));
  const out = new Uint8Array(head.length + stream.length);
  out.set(head);
  out.set(stream, head.length);
  return out;
}

/** Decodes a plane section; throws CorruptFileError (or EntropyDecodeError) when damaged. */
export function decodePlane(section: Uint8Array, width: number, height: number): Uint8Array {
  const r = new ByteReader(section);
  const method = r.varint();
  if (method !== METHOD_MED) throw new CorruptFileError(`corrupt .lc file (unknown plane coding method ${method})`);
  const rows: { lo: number; freqs: Int32Array }[] = [];
  for (let k = 0; k < CONTEXTS; k++) {
    const n = r.varint();
    if (n === 0) {
      rows.push(UNUSED);
      continue;
    }
    const lo = unzigzag(r.varint());
    if (n > 256 || lo < -128 || lo + n > 128) throw new CorruptFileError('corrupt .lc file (plane table range)');
    const freqs = new Int32Array(n);
    let sum = 0;
    for (let v = 0; v < n; v++) {
      const f = r.varint();
      if (f < 1 || f >= TOTAL) throw new CorruptFileError('corrupt .lc file (plane table frequency)');
      freqs[v] = f;
      sum += f;
    }
    if (sum >= TOTAL) throw new CorruptFileError('corrupt .lc file (plane table frequencies exceed 2^16)');
    rows.push({ lo, freqs });
  }
  const tables = tablesOf(rows);
  const dec = new RansDecoder(section.subarray(r.pos));
  const plane = new Uint8Array(width * height);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const [a, b, c] = neighbours(plane, width, x, y, i);
      const v = dec.decodeSymbol(context(a, b, c), tables);
      // Only the escape path can produce a value outside [−128, 127]; the encoder never uses it.
      if (v < -128 || v > 127) throw new CorruptFileError('corrupt .lc file (plane residual out of range)');
      plane[i] = (predict(a, b, c) + v) & 255;
    }
  }
  dec.finish();
  return plane;
}

/** A context no sample used: any valid table (a damaged stream may still select it). */
const UNUSED = { lo: 0, freqs: Int32Array.of(TOTAL / 2) };

function tablesOf(rows: { lo: number; freqs: Int32Array }[]): CdfTables {
  const cdfs = rows.map(({ freqs }) => {
    const cdf = new Int32Array(freqs.length + 2);
    for (let v = 0; v < freqs.length; v++) cdf[v + 1] = cdf[v]! + freqs[v]!;
    cdf[freqs.length + 1] = TOTAL;
    return cdf;
  });
  return CdfTables.fromCdfs({ cdfs, offsets: rows.map((r) => r.lo), precision: PRECISION });
}

const zigzag = (v: number): number => (v < 0 ? -2 * v - 1 : 2 * v);
const unzigzag = (u: number): number => (u % 2 === 1 ? -(u + 1) / 2 : u / 2);

/** Appends v as an unsigned LEB128 varint. */
function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  /** Unsigned LEB128 of at most 3 bytes (values < 2^21: every field here is smaller). */
  varint(): number {
    let v = 0;
    for (let shift = 0; shift < 21; shift += 7) {
      if (this.pos >= this.buf.length) throw new CorruptFileError('truncated .lc file (plane section)');
      const b = this.buf[this.pos++]!;
      v |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw new CorruptFileError('corrupt .lc file (plane section varint)');
  }
}
