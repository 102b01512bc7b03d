/**
 * Block motion of the motion-compensated video codec (mc.ts): estimation at the encoder,
 * compensation and the coding of the motion field, shared by encoder and decoder.
 *
 * - One motion vector per BLOCK × BLOCK block of the frame, in quarter pixels, the same for
 *   the three RGB planes (the codec works in RGB, the image model's colour space).
 * - Compensation is exact integer arithmetic, on a reference padded by edge replication, so
 *   prediction is a pure function of the reference pixels and the vectors: separable 8-tap
 *   interpolation filters in 64ths (the DCT-based quarter-pel filters of HEVC), rounded once
 *   after both passes. A sharp filter matters because every P-frame predicts from the
 *   previous one: bilinear blending low-passes the texture again at every frame, and the
 *   residual has to put it back.
 * - Each block's prediction may then be smoothed (SMOOTHING): chosen by the encoder on squared
 *   error, coded per block; on noisy clips it takes the reference's noise out of the residual.
 * - Vectors are coded as differences to the median of the left, top and top-right vectors
 *   (H.264's predictor), binarized as in CABAC (zero flag, sign, unary magnitude up to
 *   UNARY_BINS, then Exp-Golomb bypass bits) with adaptive binary contexts: per context an
 *   integer probability updated after every bin, so parsing is exact on any machine. Contexts:
 *   the skip flag by its left and top neighbours' flags; a component's zero flag by the block's
 *   skip flag and the size of its neighbours' differences; sign and magnitude bins per
 *   component; the smoothing index's first bin by its neighbours' indexes. Motion fields are
 *   noisy at quarter-pel precision and their statistics change from clip to clip; adaptive
 *   contexts follow them without a table in the stream.
 * - Estimation (encoder only): candidates (zero, predictor, neighbours, the co-located vector
 *   of the previous frame), integer full search around the best, then half- and quarter-pel
 *   refinement; the cost is SAD on luma + λ · the vector's bits.
 */
import { CdfTables, RansDecoder, RansEncoder } from '../../entropy/index.js';

/** Block edge in pixels. */
export const BLOCK = 16;
/** Largest vector component, in quarter pixels (64 pixels); larger ones are corrupt. */
export const MAX_MV = 256;
/** Padding of a reference plane: the largest vector plus the filter's reach. */
const PAD = MAX_MV / 4 + 4;
/** Interpolation taps (64ths) at offsets −3..+4 for quarter-pel phases 0..3. */
const TAPS = [
  [0, 0, 0, 64, 0, 0, 0, 0],
  [-1, 4, -10, 58, 17, -5, 1, 0],
  [-1, 4, -11, 40, 40, -11, 4, -1],
  [0, 1, -5, 17, 58, -10, 4, -1],
] as const;
/** Magnitude bins with a context of their own; larger differences escape to Exp-Golomb. */
const UNARY_BINS = 12;
/** Longest Exp-Golomb prefix a valid stream holds (differences are at most 2 · MAX_MV). */
const MAX_EG_PREFIX = 12;
/** Probability levels of the binary tables: P(1) = k / PROB_LEVELS, k = 1 .. PROB_LEVELS − 1. */
const PROB_LEVELS = 256;
/**
 * Adaptation: a context's probability is the mean of a fast and a slow estimate, each moving
 * 1/2^shift of the way to every bin it sees (quick to learn a frame's statistics, steady after).
 */
const FAST_SHIFT = 3;
const SLOW_SHIFT = 6;

/**
 * Prediction smoothing, per block: index k moves each compensated sample SMOOTHING[k] eighths
 * of the way to its 3 × 3 binomial blur ([1 2 1] ⊗ [1 2 1] / 16). A reference that holds
 * camera noise or coding artefacts predicts a noisy frame better through a low-pass: the
 * residual then carries the current frame's noise, not the reference's as well.
 */
export const SMOOTHING = [0, 2, 4, 8] as const;

/** The motion of one P-frame: vectors (x, y per block, quarter pixels), skip flags and smoothing indexes, raster order. */
export interface MotionField {
  bw: number;
  bh: number;
  mv: Int32Array;
  skip: Uint8Array;
  filter: Uint8Array;
}

/** Blocks across and down a frame. */
export function blockGrid(width: number, height: number): { bw: number; bh: number } {
  return { bw: Math.ceil(width / BLOCK), bh: Math.ceil(height / BLOCK) };
}

/** Binary tables, one per probability level (16-bit precision; the escape keeps frequency 1). */
let binaryTables: CdfTables | undefined;
function binaries(): CdfTables {
  if (!binaryTables) {
    const cdfs: number[][] = [];
    for (let k = 0; k < PROB_LEVELS; k++) {
      const f0 = k === 0 ? 32768 : (PROB_LEVELS - k) * (65536 / PROB_LEVELS);
      cdfs.push([0, f0, 65535, 65536]);
    }
    binaryTables = CdfTables.fromCdfs({ cdfs, offsets: new Array<number>(PROB_LEVELS).fill(0) });
  }
  return binaryTables;
}
/** Table of a bypass bit (P = 1/2). */
const BYPASS = PROB_LEVELS / 2;

/**
 * The adaptive contexts of the motion streams of one group of pictures: 16-bit probabilities
 * of a 1, each the mean of a fast and a slow estimate, all starting at 1/2 at an intra frame
 * and carried from each P-frame's stream to the next (a clip's motion statistics change slowly;
 * a lone frame has too few bins to learn them). Decoding is sequential anyway: every P-frame
 * needs the previous frame.
 */
export class MotionContexts {
  private readonly fast = new Int32Array(CONTEXTS).fill(32768);
  private readonly slow = new Int32Array(CONTEXTS).fill(32768);

  /** Codes one bin under context `ctx` through `io` (which records or reads it) and adapts. */
  code(io: BinIo, ctx: number, value: number): number {
    const f = this.fast[ctx]!;
    const s = this.slow[ctx]!;
    const k = Math.min(PROB_LEVELS - 1, Math.max(1, (f + s + 256) >> 9));
    const bit = io(value, k);
    this.fast[ctx] = f + (((bit << 16) - f) >> FAST_SHIFT);
    this.slow[ctx] = s + (((bit << 16) - s) >> SLOW_SHIFT);
    return bit;
  }
}

/** Codes a bin (encoder: records `value` under binary table `table`; decoder: reads it) and returns it. */
type BinIo = (value: number, table: number) => number;

// Context layout: 3 skip, then per component (x, y): 6 zero-flag, 1 sign, UNARY_BINS magnitude;
// then the smoothing index: 3 for its first bin (by the neighbours), one per further bin.
const SKIP_CTX = 0;
const COMPONENT_CTX = 6 + 1 + UNARY_BINS;
const zeroCtx = (c: number) => 3 + c * COMPONENT_CTX;
const signCtx = (c: number) => zeroCtx(c) + 6;
const binCtx = (c: number) => signCtx(c) + 1;
const FILTER_CTX = 3 + 2 * COMPONENT_CTX;
const CONTEXTS = FILTER_CTX + 3 + SMOOTHING.length - 2;

/** Neighbourhood class of a component's difference: its left and top neighbours' sizes. */
function sizeClass(mvd: Int32Array, bw: number, bx: number, by: number, c: number): number {
  const i = by * bw + bx;
  const e = (bx > 0 ? Math.abs(mvd[2 * (i - 1) + c]!) : 0) + (by > 0 ? Math.abs(mvd[2 * (i - bw) + c]!) : 0);
  return e === 0 ? 0 : e <= 8 ? 1 : 2;
}

/**
 * Codes (encoder) or decodes (decoder: `value`s are ignored) one motion field in stream order:
 * per block its skip flag, its two vector differences, then its smoothing index (truncated
 * unary). Returns the differences, flags and indexes.
 */
function codeField(ctx: MotionContexts, io: BinIo, bw: number, bh: number, input: { mvd: Int32Array; skip: Uint8Array; filter: Uint8Array } | undefined): { mvd: Int32Array; skip: Uint8Array; filter: Uint8Array } {
  const n = bw * bh;
  const mvd = new Int32Array(2 * n);
  const skip = new Uint8Array(n);
  const filter = new Uint8Array(n);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const i = by * bw + bx;
      const sc = (bx > 0 ? skip[i - 1]! : 0) + (by > 0 ? skip[i - bw]! : 0);
      const s = ctx.code(io, SKIP_CTX + sc, input?.skip[i] ?? 0);
      skip[i] = s;
      for (let c = 0; c < 2; c++) {
        const d = input?.mvd[2 * i + c] ?? 0;
        if (!ctx.code(io, zeroCtx(c) + 3 * s + sizeClass(mvd, bw, bx, by, c), d !== 0 ? 1 : 0)) continue;
        const negative = ctx.code(io, signCtx(c), d < 0 ? 1 : 0);
        // |d| − 1 in unary over the context bins, the rest in order-0 Exp-Golomb bypass bits.
        const m = Math.abs(d) - 1;
        let v = 0;
        while (v < UNARY_BINS && ctx.code(io, binCtx(c) + v, m > v ? 1 : 0)) v++;
        if (v === UNARY_BINS) {
          const rest = m - UNARY_BINS + 1;
          let len = 0;
          while (io(rest >= 2 << len ? 1 : 0, BYPASS)) {
            if (++len > MAX_EG_PREFIX) throw new RangeError('motion vector difference escape is too long');
          }
          let bits = 0;
          for (let k = len - 1; k >= 0; k--) bits = (bits << 1) | io((rest >> k) & 1, BYPASS);
          v = UNARY_BINS - 1 + (1 << len) + bits;
        }
        mvd[2 * i + c] = negative ? -(v + 1) : v + 1;
      }
      const k = input?.filter[i] ?? 0;
      const fc = (bx > 0 && filter[i - 1] ? 1 : 0) + (by > 0 && filter[i - bw] ? 1 : 0);
      let v = ctx.code(io, FILTER_CTX + fc, k > 0 ? 1 : 0);
      if (v) while (v < SMOOTHING.length - 1 && ctx.code(io, FILTER_CTX + 2 + v, k > v ? 1 : 0)) v++;
      filter[i] = v;
    }
  }
  return { mvd, skip, filter };
}

const median3 = (a: number, b: number, c: number) => Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));

/** The predicted vector of block (bx, by) from its decoded neighbours (component c: 0 x, 1 y). */
function predictMv(mv: Int32Array, bw: number, bx: number, by: number, c: number): number {
  const has = (x: number, y: number) => x >= 0 && x < bw && y >= 0;
  const at = (x: number, y: number) => mv[(y * bw + x) * 2 + c]!;
  const left = bx > 0;
  const top = by > 0;
  if (!left && !top) return 0;
  if (!top) return at(bx - 1, by);
  if (!left && !has(bx + 1, by - 1)) return at(bx, by - 1);
  const a = left ? at(bx - 1, by) : 0;
  const b = at(bx, by - 1);
  const d = has(bx + 1, by - 1) ? at(bx + 1, by - 1) : at(bx - 1, by - 1);
  return median3(a, b, d);
}

/** Codes a motion field into one rANS stream; `contexts`: those of its group of pictures, adapted in place. */
export function encodeMotion(f: MotionField, contexts: MotionContexts): Uint8Array {
  const n = f.bw * f.bh;
  const mvd = new Int32Array(2 * n);
  for (let by = 0; by < f.bh; by++) {
    for (let bx = 0; bx < f.bw; bx++) {
      const i = by * f.bw + bx;
      for (let c = 0; c < 2; c++) mvd[2 * i + c] = f.mv[2 * i + c]! - predictMv(f.mv, f.bw, bx, by, c);
    }
  }
  const bins: number[] = [];
  const tables: number[] = [];
  codeField(contexts, (v, t) => (bins.push(v), tables.push(t), v), f.bw, f.bh, { mvd, skip: f.skip, filter: f.filter });
  const enc = new RansEncoder();
  enc.encode(Int32Array.from(bins), Int32Array.from(tables), binaries());
  return enc.finish();
}

/**
 * Decodes the motion field of a width × height frame. A damaged stream throws the coder's
 * EntropyDecodeError, a vector or flag out of range a RangeError (the codec maps both to
 * CorruptFileError).
 */
export function decodeMotion(bytes: Uint8Array, width: number, height: number, contexts: MotionContexts): MotionField {
  const { bw, bh } = blockGrid(width, height);
  const dec = new RansDecoder(bytes);
  const t = binaries();
  const read: BinIo = (_v, k) => {
    const b = dec.decodeSymbol(k, t);
    if (b !== 0 && b !== 1) throw new RangeError(`motion bin ${b}`);
    return b;
  };
  const { mvd, skip, filter } = codeField(contexts, read, bw, bh, undefined);
  dec.finish();
  const mv = new Int32Array(2 * bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const i = by * bw + bx;
      for (let c = 0; c < 2; c++) {
        const v = mvd[2 * i + c]! + predictMv(mv, bw, bx, by, c);
        if (!(Math.abs(v) <= MAX_MV)) throw new RangeError(`motion vector component ${v} is over ${MAX_MV}`);
        mv[2 * i + c] = v;
      }
    }
  }
  return { bw, bh, mv, skip, filter };
}

/** A plane padded by PAD pixels of edge replication on every side. */
interface PaddedPlane {
  data: Uint8Array;
  stride: number;
}

/** Pads channel `c` of an interleaved image with `channels` channels (1: a plane). */
function padPlane(src: Uint8Array, width: number, height: number, channels: number, c: number): PaddedPlane {
  const stride = width + 2 * PAD;
  const data = new Uint8Array(stride * (height + 2 * PAD));
  for (let r = 0; r < height + 2 * PAD; r++) {
    const sr = Math.min(height - 1, Math.max(0, r - PAD));
    const row = r * stride;
    const srow = sr * width;
    const left = src[srow * channels + c]!;
    const right = src[(srow + width - 1) * channels + c]!;
    data.fill(left, row, row + PAD);
    for (let x = 0; x < width; x++) data[row + PAD + x] = src[(srow + x) * channels + c]!;
    data.fill(right, row + PAD + width, row + stride);
  }
  return { data, stride };
}

/** Luma (BT.601 weights in 256ths) of an interleaved RGB image: what the search compares. */
export function lumaOf(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 3) out[i] = (77 * rgb[j]! + 150 * rgb[j + 1]! + 29 * rgb[j + 2]! + 128) >> 8;
  return out;
}

/**
 * The motion-compensated prediction of a frame from the reference `ref` (interleaved RGB,
 * width × height): 8-tap interpolation at quarter pixels, edges replicated, then each block's
 * smoothing.
 */
export function compensate(ref: Uint8Array, width: number, height: number, f: MotionField): Uint8Array {
  return smooth(interpolateFrame(ref, width, height, f), width, height, f);
}

/** The prediction before smoothing (what the encoder chooses the smoothing on). */
export function interpolateFrame(ref: Uint8Array, width: number, height: number, f: MotionField): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const block = new Uint8Array(BLOCK * BLOCK);
  for (let c = 0; c < 3; c++) {
    const p = padPlane(ref, width, height, 3, c);
    for (let by = 0; by < f.bh; by++) {
      for (let bx = 0; bx < f.bw; bx++) {
        const i = by * f.bw + bx;
        const x0 = bx * BLOCK;
        const y0 = by * BLOCK;
        const w = Math.min(BLOCK, width - x0);
        const h = Math.min(BLOCK, height - y0);
        interpolate(p, f.mv[2 * i]!, f.mv[2 * i + 1]!, x0, y0, w, h, block);
        for (let r = 0; r < h; r++) {
          for (let k = 0, d = ((y0 + r) * width + x0) * 3 + c; k < w; k++, d += 3) out[d] = block[r * w + k]!;
        }
      }
    }
  }
  return out;
}

/** Calls `fn(x0, y0, x1, y1, i)` for every block of the field (its pixel bounds and index). */
export function forBlocks(width: number, height: number, f: MotionField, fn: (x0: number, y0: number, x1: number, y1: number, i: number) => void): void {
  for (let by = 0; by < f.bh; by++) {
    for (let bx = 0; bx < f.bw; bx++) {
      fn(bx * BLOCK, by * BLOCK, Math.min(width, (bx + 1) * BLOCK), Math.min(height, (by + 1) * BLOCK), by * f.bw + bx);
    }
  }
}

/** 16 × the binomial blur of sample (x, y, channel c) of an RGB image, edges replicated. */
function blur16(p: Uint8Array, width: number, height: number, x: number, y: number, c: number): number {
  const l = (x > 0 ? -3 : 0) + c;
  const r = (x < width - 1 ? 3 : 0) + c;
  const row = width * 3;
  const m = (y * width + x) * 3;
  const t = y > 0 ? m - row : m;
  const b = y < height - 1 ? m + row : m;
  return p[t + l]! + 2 * p[t + c]! + p[t + r]! + 2 * (p[m + l]! + 2 * p[m + c]! + p[m + r]!) + p[b + l]! + 2 * p[b + c]! + p[b + r]!;
}

/** Sample v moved k eighths of the way to its blur b16 / 16 (integers, rounded). */
const toward = (v: number, b16: number, k: number) => v + (((b16 - 16 * v) * k + 64) >> 7);

/** The prediction with each block's smoothing applied (blurs read the unsmoothed prediction). */
function smooth(pred: Uint8Array, width: number, height: number, f: MotionField): Uint8Array {
  if (f.filter.every((k) => k === 0)) return pred;
  const out = pred.slice();
  forBlocks(width, height, f, (x0, y0, x1, y1, i) => {
    const k = SMOOTHING[f.filter[i]!]!;
    if (k === 0) return;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 3; c++) {
          const j = (y * width + x) * 3 + c;
          out[j] = toward(pred[j]!, blur16(pred, width, height, x, y, c), k);
        }
      }
    }
  });
  return out;
}

/**
 * Encoder: per block the smoothing index of least squared error against `cur` (RGB) plus
 * `lambda` per bin of the index; sets `f.filter` and returns the smoothed prediction.
 */
export function chooseSmoothing(cur: Uint8Array, pred: Uint8Array, width: number, height: number, f: MotionField, lambda: number): Uint8Array {
  forBlocks(width, height, f, (x0, y0, x1, y1, i) => {
    const sse = new Float64Array(SMOOTHING.length);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 3; c++) {
          const j = (y * width + x) * 3 + c;
          const b = blur16(pred, width, height, x, y, c);
          for (let s = 0; s < SMOOTHING.length; s++) {
            const e = cur[j]! - toward(pred[j]!, b, SMOOTHING[s]!);
            sse[s] += e * e;
          }
        }
      }
    }
    let best = 0;
    for (let s = 1; s < SMOOTHING.length; s++) {
      if (sse[s]! + lambda * Math.min(s + 1, SMOOTHING.length - 1) < sse[best]! + lambda * Math.min(best + 1, SMOOTHING.length - 1)) best = s;
    }
    f.filter[i] = best;
  });
  return smooth(pred, width, height, f);
}

/** Rows of horizontally filtered samples of one block (a reused scratch: the filter runs per block). */
let scratch = new Int32Array((BLOCK + 7) * BLOCK);

/**
 * The w × h block at (x0, y0) displaced by the quarter-pel vector (mx, my), interpolated from
 * the padded plane into `dst` (row-major, stride w): integers only, one rounding at the end.
 */
function interpolate(p: PaddedPlane, mx: number, my: number, x0: number, y0: number, w: number, h: number, dst: Uint8Array): void {
  const { data, stride } = p;
  const hx = TAPS[mx & 3];
  const vy = TAPS[my & 3];
  const top = (y0 + PAD + (my >> 2)) * stride + x0 + PAD + (mx >> 2);
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  if ((mx & 3) === 0 && (my & 3) === 0) {
    for (let r = 0; r < h; r++) for (let k = 0; k < w; k++) dst[r * w + k] = data[top + r * stride + k]!;
    return;
  }
  // Horizontal pass over h + 7 rows (unscaled, exact), then the vertical pass and one rounding.
  // Phase 0's taps are the identity (64 at offset 0), so one path serves every fractional vector.
  const rows = h + 7;
  if (scratch.length < rows * w) scratch = new Int32Array(rows * w);
  const t = scratch;
  for (let r = 0; r < rows; r++) {
    for (let k = 0, s = top + (r - 3) * stride - 3; k < w; k++, s++) {
      t[r * w + k] = hx[0] * data[s]! + hx[1] * data[s + 1]! + hx[2] * data[s + 2]! + hx[3] * data[s + 3]! + hx[4] * data[s + 4]! + hx[5] * data[s + 5]! + hx[6] * data[s + 6]! + hx[7] * data[s + 7]!;
    }
  }
  for (let r = 0; r < h; r++) {
    for (let k = 0; k < w; k++) {
      const j = r * w + k;
      const v = vy[0] * t[j]! + vy[1] * t[j + w]! + vy[2] * t[j + 2 * w]! + vy[3] * t[j + 3 * w]! + vy[4] * t[j + 4 * w]! + vy[5] * t[j + 5 * w]! + vy[6] * t[j + 6 * w]! + vy[7] * t[j + 7 * w]!;
      dst[j] = clamp((v + 2048) >> 12);
    }
  }
}

/** Approximate bits of one vector-difference component (for the search's rate term). */
function mvdBits(d: number): number {
  const a = d < 0 ? -d : d;
  return a === 0 ? 1 : 2 * (31 - Math.clz32(a)) + 3;
}

export interface SearchOptions {
  /** Weight of a vector's bits against luma SAD. */
  lambda: number;
  /** Integer full-search range around the best candidate, pixels. */
  range?: number;
  /** The previous P-frame's vectors (same grid), a search candidate. */
  previous?: Int32Array;
}

/**
 * Motion estimation of `cur` against the reference `ref` (both interleaved RGB): per block
 * the vector of least SAD + λ · bits, in raster order so that each block's predictor is known.
 * Skip flags are left clear.
 */
export function estimateMotion(cur: Uint8Array, ref: Uint8Array, width: number, height: number, opts: SearchOptions): MotionField {
  const { bw, bh } = blockGrid(width, height);
  const yc = lumaOf(cur, width, height);
  const yr = padPlane(lumaOf(ref, width, height), width, height, 1, 0);
  const mv = new Int32Array(2 * bw * bh);
  const range = opts.range ?? 8;
  const lim = MAX_MV - 4;
  const clampMv = (v: number) => Math.max(-lim, Math.min(lim, v));
  const block = new Uint8Array(BLOCK * BLOCK);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const x0 = bx * BLOCK;
      const y0 = by * BLOCK;
      const w = Math.min(BLOCK, width - x0);
      const h = Math.min(BLOCK, height - y0);
      const px = predictMv(mv, bw, bx, by, 0);
      const py = predictMv(mv, bw, bx, by, 1);
      const cost = (mx: number, my: number) =>
        blockSad(yc, width, yr, x0, y0, w, h, mx, my, block) + opts.lambda * (mvdBits(mx - px) + mvdBits(my - py));
      // Integer candidates: zero, the predictor, neighbours, the previous frame's vector.
      const cands: number[] = [0, 0, px, py];
      const i = by * bw + bx;
      if (bx > 0) cands.push(mv[2 * (i - 1)]!, mv[2 * (i - 1) + 1]!);
      if (by > 0) cands.push(mv[2 * (i - bw)]!, mv[2 * (i - bw) + 1]!);
      if (opts.previous) cands.push(opts.previous[2 * i]!, opts.previous[2 * i + 1]!);
      let bx0 = 0;
      let by0 = 0;
      let best = Infinity;
      for (let k = 0; k < cands.length; k += 2) {
        const cx = clampMv(Math.round(cands[k]! / 4) * 4);
        const cy = clampMv(Math.round(cands[k + 1]! / 4) * 4);
        const v = cost(cx, cy);
        if (v < best) [best, bx0, by0] = [v, cx, cy];
      }
      let bestX = bx0;
      let bestY = by0;
      for (let dy = -range; dy <= range; dy++) {
        for (let dx = -range; dx <= range; dx++) {
          const mx = clampMv(bx0 + 4 * dx);
          const my = clampMv(by0 + 4 * dy);
          const v = cost(mx, my);
          if (v < best) [best, bestX, bestY] = [v, mx, my];
        }
      }
      // Half-, then quarter-pel refinement.
      for (const step of [2, 1]) {
        const cx = bestX;
        const cy = bestY;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            if (dx === 0 && dy === 0) continue;
            const mx = clampMv(cx + step * dx);
            const my = clampMv(cy + step * dy);
            const v = cost(mx, my);
            if (v < best) [best, bestX, bestY] = [v, mx, my];
          }
        }
      }
      // The candidates at their exact quarter-pel positions: a neighbour's vector (above all
      // the predictor's, which codes as zero differences) often predicts as well for fewer bits.
      for (let k = 0; k < cands.length; k += 2) {
        const cx = clampMv(cands[k]!);
        const cy = clampMv(cands[k + 1]!);
        const v = cost(cx, cy);
        if (v < best) [best, bestX, bestY] = [v, cx, cy];
      }
      mv[2 * i] = bestX;
      mv[2 * i + 1] = bestY;
    }
  }
  return { bw, bh, mv, skip: new Uint8Array(bw * bh), filter: new Uint8Array(bw * bh) };
}

/** SAD between a block of `cur` and the reference interpolated at quarter-pel vector (mx, my). */
function blockSad(cur: Uint8Array, width: number, p: PaddedPlane, x0: number, y0: number, w: number, h: number, mx: number, my: number, block: Uint8Array): number {
  interpolate(p, mx, my, x0, y0, w, h, block);
  let sad = 0;
  for (let r = 0; r < h; r++) {
    for (let k = 0, d = (y0 + r) * width + x0; k < w; k++, d++) {
      const e = cur[d]! - block[r * w + k]!;
      sad += e < 0 ? -e : e;
    }
  }
  return sad;
}
