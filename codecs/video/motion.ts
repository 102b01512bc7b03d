/**
 * Block motion of the motion-compensated video codec (mc.ts): estimation at the encoder,
 * compensation and the coding of the motion field, shared by encoder and decoder.
 *
 * - One motion vector per BLOCK × BLOCK block of the frame, in quarter pixels, the same for
 *   the three RGB planes (the codec works in RGB, the image model's colour space).
 * - Compensation is exact integer arithmetic (bilinear with weights in sixteenths and
 *   rounding), on a reference padded by edge replication, so prediction is a pure function
 *   of the reference pixels and the vectors.
 * - Vectors are coded as differences to the median of the left, top and top-right vectors
 *   (H.264's predictor) with the project's rANS coder. Each frame picks, per component class,
 *   one of a fixed family of geometric tables whose frequencies come from integer recurrences,
 *   and one of fifteen fixed tables for the per-block skip flags (residual not coded): every
 *   probability the decoder uses is an integer, so parsing is exact on any machine.
 * - Estimation (encoder only): candidates (zero, predictor, neighbours, the co-located vector
 *   of the previous frame), integer full search around the best, then half- and quarter-pel
 *   refinement; the cost is SAD on luma + λ · the vector's bits.
 */
import { CdfTables, RansDecoder, RansEncoder, informationContent } from '../../entropy/index.js';

/** Block edge in pixels. */
export const BLOCK = 16;
/** Largest vector component, in quarter pixels (64 pixels); larger ones are corrupt. */
export const MAX_MV = 256;
/** Padding of a reference plane: the largest vector plus the bilinear tap. */
const PAD = MAX_MV / 4 + 2;
/** Vector differences in [-MVD_RANGE, MVD_RANGE] have a table entry; others escape. */
const MVD_RANGE = 64;
/** Per 256: decay of the geometric vector-difference tables, sharp to flat. */
const MVD_DECAY = [8, 32, 64, 96, 128, 160, 184, 204, 220, 232, 242, 249];
/** Skip-flag tables: P(skip) = i/16 for i = 1..15. */
const SKIP_LEVELS = 15;

/** The motion of one P-frame: vectors (x, y per block, quarter pixels) and skip flags, raster order. */
export interface MotionField {
  bw: number;
  bh: number;
  mv: Int32Array;
  skip: Uint8Array;
}

/** Blocks across and down a frame. */
export function blockGrid(width: number, height: number): { bw: number; bh: number } {
  return { bw: Math.ceil(width / BLOCK), bh: Math.ceil(height / BLOCK) };
}

function uniformTables(n: number): CdfTables {
  return CdfTables.fromPmfs({ pmfs: [new Array<number>(n).fill(1)], offsets: [0] });
}

/** Geometric pmfs over [-MVD_RANGE, MVD_RANGE] from integer recurrences (no float math). */
function mvdTables(): CdfTables {
  const pmfs: number[][] = [];
  const tails: number[] = [];
  for (const decay of MVD_DECAY) {
    const w = new Array<number>(2 * MVD_RANGE + 1);
    let v = 1 << 24;
    for (let d = 0; d <= MVD_RANGE; d++) {
      w[MVD_RANGE + d] = v;
      w[MVD_RANGE - d] = v;
      v = Math.max(1, Math.floor((v * decay) / 256));
    }
    pmfs.push(w);
    tails.push(Math.max(1, v * 64));
  }
  return CdfTables.fromPmfs({ pmfs, tailMasses: tails, offsets: new Array<number>(MVD_DECAY.length).fill(-MVD_RANGE) });
}

function skipTables(): CdfTables {
  const pmfs: number[][] = [];
  for (let i = 1; i <= SKIP_LEVELS; i++) pmfs.push([16 - i, i]);
  return CdfTables.fromPmfs({ pmfs, offsets: new Array<number>(SKIP_LEVELS).fill(0) });
}

let tables: { mvd: CdfTables; skip: CdfTables; mvdChoice: CdfTables; skipChoice: CdfTables } | undefined;
function motionTables() {
  tables ??= { mvd: mvdTables(), skip: skipTables(), mvdChoice: uniformTables(MVD_DECAY.length), skipChoice: uniformTables(SKIP_LEVELS) };
  return tables;
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

/** Codes a motion field into one rANS stream. */
export function encodeMotion(f: MotionField): Uint8Array {
  const t = motionTables();
  const n = f.bw * f.bh;
  const mvd = new Int32Array(2 * n);
  for (let by = 0; by < f.bh; by++) {
    for (let bx = 0; bx < f.bw; bx++) {
      const i = by * f.bw + bx;
      for (let c = 0; c < 2; c++) mvd[2 * i + c] = f.mv[2 * i + c]! - predictMv(f.mv, f.bw, bx, by, c);
    }
  }
  const skip = Int32Array.from(f.skip);
  const kMv = cheapest(mvd, t.mvd, MVD_DECAY.length);
  const kSkip = cheapest(skip, t.skip, SKIP_LEVELS);
  const enc = new RansEncoder();
  enc.encode(Int32Array.of(kMv), new Int32Array(1), t.mvdChoice);
  enc.encode(Int32Array.of(kSkip), new Int32Array(1), t.skipChoice);
  enc.encode(mvd, new Int32Array(2 * n).fill(kMv), t.mvd);
  enc.encode(skip, new Int32Array(n).fill(kSkip), t.skip);
  return enc.finish();
}

/** The table of `tables` (all of which could code `symbols`) that codes them in the fewest bits. */
function cheapest(symbols: Int32Array, tables: CdfTables, count: number): number {
  let best = 0;
  let bestBits = Infinity;
  for (let k = 0; k < count; k++) {
    const bits = informationContent(symbols, new Int32Array(symbols.length).fill(k), tables);
    if (bits < bestBits) {
      bestBits = bits;
      best = k;
    }
  }
  return best;
}

/**
 * Decodes the motion field of a width × height frame. A damaged stream throws the coder's
 * EntropyDecodeError, a table choice, vector or flag out of range a RangeError (the codec maps
 * both to CorruptFileError).
 */
export function decodeMotion(bytes: Uint8Array, width: number, height: number): MotionField {
  const t = motionTables();
  const { bw, bh } = blockGrid(width, height);
  const n = bw * bh;
  const dec = new RansDecoder(bytes);
  const kMv = dec.decodeSymbol(0, t.mvdChoice);
  const kSkip = dec.decodeSymbol(0, t.skipChoice);
  if (!(kMv >= 0 && kMv < MVD_DECAY.length && kSkip >= 0 && kSkip < SKIP_LEVELS)) throw new RangeError(`motion table ${kMv} / skip table ${kSkip} out of range`);
  const mvd = dec.decode(new Int32Array(2 * n).fill(kMv), t.mvd);
  const skipSym = dec.decode(new Int32Array(n).fill(kSkip), t.skip);
  dec.finish();
  const mv = new Int32Array(2 * n);
  const skip = new Uint8Array(n);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const i = by * bw + bx;
      for (let c = 0; c < 2; c++) {
        const v = mvd[2 * i + c]! + predictMv(mv, bw, bx, by, c);
        if (!(Math.abs(v) <= MAX_MV)) throw new RangeError(`motion vector component ${v} is over ${MAX_MV}`);
        mv[2 * i + c] = v;
      }
      const s = skipSym[i]!;
      if (s !== 0 && s !== 1) throw new RangeError(`skip flag ${s}`);
      skip[i] = s;
    }
  }
  return { bw, bh, mv, skip };
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
 * width × height): integer bilinear interpolation at quarter pixels, clamped at the edges.
 */
export function compensate(ref: Uint8Array, width: number, height: number, f: MotionField): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let c = 0; c < 3; c++) {
    const p = padPlane(ref, width, height, 3, c);
    for (let by = 0; by < f.bh; by++) {
      for (let bx = 0; bx < f.bw; bx++) {
        const i = by * f.bw + bx;
        predictBlock(p, f.mv[2 * i]!, f.mv[2 * i + 1]!, bx * BLOCK, by * BLOCK, Math.min(BLOCK, width - bx * BLOCK), Math.min(BLOCK, height - by * BLOCK), out, width, c);
      }
    }
  }
  return out;
}

function predictBlock(p: PaddedPlane, mx: number, my: number, x0: number, y0: number, w: number, h: number, out: Uint8Array, width: number, c: number): void {
  const { data, stride } = p;
  const fx = mx & 3;
  const fy = my & 3;
  const w00 = (4 - fx) * (4 - fy);
  const w10 = fx * (4 - fy);
  const w01 = (4 - fx) * fy;
  const w11 = fx * fy;
  for (let r = 0; r < h; r++) {
    let s = (y0 + r + PAD + (my >> 2)) * stride + x0 + PAD + (mx >> 2);
    let d = ((y0 + r) * width + x0) * 3 + c;
    for (let k = 0; k < w; k++, s++, d += 3) {
      out[d] = (w00 * data[s]! + w10 * data[s + 1]! + w01 * data[s + stride]! + w11 * data[s + stride + 1]! + 8) >> 4;
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
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const x0 = bx * BLOCK;
      const y0 = by * BLOCK;
      const w = Math.min(BLOCK, width - x0);
      const h = Math.min(BLOCK, height - y0);
      const px = predictMv(mv, bw, bx, by, 0);
      const py = predictMv(mv, bw, bx, by, 1);
      const cost = (mx: number, my: number) =>
        blockSad(yc, width, yr, x0, y0, w, h, mx, my) + opts.lambda * (mvdBits(mx - px) + mvdBits(my - py));
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
      mv[2 * i] = bestX;
      mv[2 * i + 1] = bestY;
    }
  }
  return { bw, bh, mv, skip: new Uint8Array(bw * bh) };
}

/** SAD between a block of `cur` and the reference at quarter-pel vector (mx, my). */
function blockSad(cur: Uint8Array, width: number, p: PaddedPlane, x0: number, y0: number, w: number, h: number, mx: number, my: number): number {
  const { data, stride } = p;
  const fx = mx & 3;
  const fy = my & 3;
  let sad = 0;
  if (fx === 0 && fy === 0) {
    for (let r = 0; r < h; r++) {
      let s = (y0 + r + PAD + (my >> 2)) * stride + x0 + PAD + (mx >> 2);
      let d = (y0 + r) * width + x0;
      for (let k = 0; k < w; k++, s++, d++) {
        const e = cur[d]! - data[s]!;
        sad += e < 0 ? -e : e;
      }
    }
    return sad;
  }
  const w00 = (4 - fx) * (4 - fy);
  const w10 = fx * (4 - fy);
  const w01 = (4 - fx) * fy;
  const w11 = fx * fy;
  for (let r = 0; r < h; r++) {
    let s = (y0 + r + PAD + (my >> 2)) * stride + x0 + PAD + (mx >> 2);
    let d = (y0 + r) * width + x0;
    for (let k = 0; k < w; k++, s++, d++) {
      const e = cur[d]! - ((w00 * data[s]! + w10 * data[s + 1]! + w01 * data[s + stride]! + w11 * data[s + stride + 1]! + 8) >> 4);
      sad += e < 0 ? -e : e;
    }
  }
  return sad;
}
