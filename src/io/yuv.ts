/**
 * The one RGB ↔ Y'CbCr conversion of lcodec's video path (video I/O, video metrics, video
 * baselines and the learned video codec all use it):
 *
 * - BT.601 matrix (Kr = 0.299, Kb = 0.114), **limited range** (Y' 16–235, Cb/Cr 16–240 for
 *   in-gamut colours; codes 0–255 are accepted and clipped in RGB), 8 bit. This is what the
 *   test clips are (`yuv420p`, untagged SD content) and what ffmpeg's swscale assumes for
 *   untagged `yuv420p`, so a frame converted here looks like the one ffmpeg would show.
 *   The matrix is BT.601 whatever a source is tagged with; metrics only need one fixed,
 *   shared definition.
 * - 4:2:0 chroma: **nearest (sample-and-hold) upsampling** — each chroma sample covers its 2×2
 *   block, as swscale's unscaled yuv420p→rgb24 path does — and **2×2 box averaging** when
 *   downsampling, i.e. chroma sited at the centre of its block (Y4M `C420jpeg`). The pair is
 *   chosen because it makes YUV 4:2:0 → RGB → YUV 4:2:0 the identity for every frame whose
 *   colours are inside the RGB cube (rounding errors stay below half a code; see the tests):
 *   a classical codec fed with our RGB frames sees exactly the source's YUV, so the RGB step
 *   adds no error of its own to a baseline. Only out-of-gamut pixels (clipped in RGB) change.
 * - Odd sizes: a 4:2:0 plane is ⌈w/2⌉ × ⌈h/2⌉ (ffmpeg's layout); the last chroma column/row
 *   covers one pixel column/row, and its average is taken over the pixels it covers.
 * - Arithmetic: IEEE double, in the order written below; rounding half up as floor(v + 0.5),
 *   then clamping to 0–255 — easy to reproduce exactly elsewhere (numpy: `np.floor(v + 0.5)`).
 *
 * Planes are stored back to back in one buffer, Y then Cb then Cr: ffmpeg's `rawvideo`
 * layout for `yuv420p` / `yuv444p`, and a Y4M frame's payload.
 */
import type { RgbImage, VideoFrame, YuvFrame } from '../media.js';

export type { YuvFrame } from '../media.js';
export type ChromaFormat = YuvFrame['chroma'];

const KR = 0.299;
const KB = 0.114;
const KG = 1 - KR - KB;
/** Limited range: Y' = 16 + 219·E'y, Cb/Cr = 128 + 224·E'c, E in [0, 1] / [-0.5, 0.5]. */
const Y_SCALE = 219 / 255;
const C_SCALE = 224 / 255;
const CB_FROM_BY = C_SCALE / (2 * (1 - KB)); // (B − Y) → Cb
const CR_FROM_RY = C_SCALE / (2 * (1 - KR)); // (R − Y) → Cr
const Y_INV = 255 / 219;
const R_FROM_CR = (2 * (1 - KR) * 255) / 224;
const B_FROM_CB = (2 * (1 - KB) * 255) / 224;
const G_FROM_CB = (2 * KB * (1 - KB) * 255) / (224 * KG);
const G_FROM_CR = (2 * KR * (1 - KR) * 255) / (224 * KG);

/** Rounds half up as floor(v + 0.5) in double precision (numpy: np.floor(v + 0.5)), then clamps. */
const toByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5));

/**
 * Per-code products of the formulas below, tabulated once. Each table entry is the very
 * product the formula computes and sums are taken in the formula's order, so results are
 * bit-identical to evaluating the formulas pixel by pixel; only faster.
 */
const table = (f: (v: number) => number): Float64Array => Float64Array.from({ length: 256 }, (_, v) => f(v));
const T_YR = table((v) => KR * v);
const T_YG = table((v) => KG * v);
const T_YB = table((v) => KB * v);
const T_L = table((v) => (v - 16) * Y_INV);
const T_R_CR = table((v) => R_FROM_CR * (v - 128));
const T_G_CB = table((v) => G_FROM_CB * (v - 128));
const T_G_CR = table((v) => G_FROM_CR * (v - 128));
const T_B_CB = table((v) => B_FROM_CB * (v - 128));

/** Width and height of one chroma plane. */
export function chromaSize(width: number, height: number, chroma: ChromaFormat): [number, number] {
  return chroma === '420' ? [(width + 1) >> 1, (height + 1) >> 1] : [width, height];
}

/** Bytes of one planar frame (Y + Cb + Cr). */
export function yuvFrameBytes(width: number, height: number, chroma: ChromaFormat): number {
  const [cw, ch] = chromaSize(width, height, chroma);
  return width * height + 2 * cw * ch;
}

/** The three planes of a frame, as views into its buffer. */
export function yuvPlanes(frame: YuvFrame): { y: Uint8Array; cb: Uint8Array; cr: Uint8Array } {
  const n = frame.width * frame.height;
  const [cw, ch] = chromaSize(frame.width, frame.height, frame.chroma);
  const c = cw * ch;
  if (frame.data.length !== n + 2 * c) {
    throw new RangeError(`yuv${frame.chroma}p ${frame.width}×${frame.height} frame needs ${n + 2 * c} bytes, got ${frame.data.length}`);
  }
  return { y: frame.data.subarray(0, n), cb: frame.data.subarray(n, n + c), cr: frame.data.subarray(n + c, n + 2 * c) };
}

/** BT.601 luma of an RGB triple on the 0–255 scale (not yet offset/scaled to limited range). */
const luma = (r: number, g: number, b: number): number => T_YR[r] + T_YG[g] + T_YB[b];

/** RGB → Y'CbCr (BT.601 limited range), 4:2:0 by 2×2 box averaging or 4:4:4. */
export function rgbToYuv(img: RgbImage, chroma: ChromaFormat = '420'): YuvFrame {
  const { width: w, height: h, data: rgb } = img;
  if (!(w > 0 && h > 0) || rgb.length !== w * h * 3) {
    throw new RangeError(`expected a ${w}×${h} RGB image of ${w * h * 3} bytes, got ${rgb.length}`);
  }
  const frame: YuvFrame = { width: w, height: h, chroma, data: new Uint8Array(yuvFrameBytes(w, h, chroma)) };
  const { y: yp, cb: cbp, cr: crp } = yuvPlanes(frame);
  if (chroma === '444') {
    for (let i = 0; i < w * h; i++) {
      const r = rgb[3 * i];
      const g = rgb[3 * i + 1];
      const b = rgb[3 * i + 2];
      const l = luma(r, g, b);
      yp[i] = toByte(16 + Y_SCALE * l);
      cbp[i] = toByte(128 + CB_FROM_BY * (b - l));
      crp[i] = toByte(128 + CR_FROM_RY * (r - l));
    }
    return frame;
  }
  const [cw, ch] = chromaSize(w, h, chroma);
  const cbSum = new Float64Array(cw * ch);
  const crSum = new Float64Array(cw * ch);
  for (let row = 0; row < h; row++) {
    const crow = (row >> 1) * cw;
    for (let col = 0; col < w; col++) {
      const i = row * w + col;
      const r = rgb[3 * i];
      const g = rgb[3 * i + 1];
      const b = rgb[3 * i + 2];
      const l = luma(r, g, b);
      yp[i] = toByte(16 + Y_SCALE * l);
      const c = crow + (col >> 1);
      cbSum[c] += b - l;
      crSum[c] += r - l;
    }
  }
  for (let cy = 0; cy < ch; cy++) {
    const rows = Math.min(2, h - 2 * cy);
    for (let cx = 0; cx < cw; cx++) {
      const count = rows * Math.min(2, w - 2 * cx);
      const c = cy * cw + cx;
      cbp[c] = toByte(128 + (CB_FROM_BY * cbSum[c]) / count);
      crp[c] = toByte(128 + (CR_FROM_RY * crSum[c]) / count);
    }
  }
  return frame;
}

/** Y'CbCr (BT.601 limited range, 4:2:0 upsampled by sample-and-hold, or 4:4:4) → 8-bit RGB. */
export function yuvToRgb(frame: YuvFrame): RgbImage {
  const { width: w, height: h } = frame;
  const { y: yp, cb: cbp, cr: crp } = yuvPlanes(frame);
  const data = new Uint8Array(w * h * 3);
  const sub = frame.chroma === '420' ? 1 : 0;
  const cw = chromaSize(w, h, frame.chroma)[0];
  for (let row = 0; row < h; row++) {
    const crow = (row >> sub) * cw;
    for (let col = 0; col < w; col++) {
      const i = row * w + col;
      const c = crow + (col >> sub);
      const l = T_L[yp[i]];
      const cb = cbp[c];
      const cr = crp[c];
      data[3 * i] = toByte(l + T_R_CR[cr]);
      data[3 * i + 1] = toByte(l - T_G_CB[cb] - T_G_CR[cr]);
      data[3 * i + 2] = toByte(l + T_B_CB[cb]);
    }
  }
  return { width: w, height: h, data };
}

/** The Y' plane (BT.601 limited range, 8 bit) of an RGB image: what `rgbToYuv` puts in Y. */
export function lumaPlane(img: RgbImage): Uint8Array {
  const n = img.width * img.height;
  if (img.data.length !== n * 3) throw new RangeError(`expected ${n * 3} bytes of RGB, got ${img.data.length}`);
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = toByte(16 + Y_SCALE * luma(d[3 * i], d[3 * i + 1], d[3 * i + 2]));
  return out;
}

/** An RGB frame that carries the Y'CbCr it was converted from (`frame.yuv`). */
export function yuvToVideoFrame(frame: YuvFrame): VideoFrame {
  return { ...yuvToRgb(frame), yuv: frame };
}

/**
 * The source Y'CbCr of a video frame in the requested chroma format, if it carries one that
 * still converts to exactly its RGB pixels; undefined otherwise (then convert with rgbToYuv).
 */
export function sourceYuv(frame: VideoFrame, chroma?: ChromaFormat): YuvFrame | undefined {
  const yuv = frame.yuv;
  if (!yuv || yuv.width !== frame.width || yuv.height !== frame.height) return undefined;
  if (chroma !== undefined && yuv.chroma !== chroma) return undefined;
  if (yuv.data.length !== yuvFrameBytes(yuv.width, yuv.height, yuv.chroma)) return undefined;
  const rgb = yuvToRgb(yuv).data;
  const d = frame.data;
  if (d.length !== rgb.length) return undefined;
  for (let i = 0; i < d.length; i++) if (d[i] !== rgb[i]) return undefined;
  return yuv;
}

/** A frame's Y'CbCr: its verified source samples (see sourceYuv), else converted from RGB. */
export function frameToYuv(frame: VideoFrame, chroma: ChromaFormat = '420'): YuvFrame {
  return sourceYuv(frame, chroma) ?? rgbToYuv(frame, chroma);
}

/** A frame's Y' plane: its verified source luma when it has one, else computed from RGB. */
export function frameLuma(frame: VideoFrame): Uint8Array {
  const yuv = sourceYuv(frame);
  return yuv ? yuv.data.subarray(0, frame.width * frame.height) : lumaPlane(frame);
}
