/**
 * Image quality metrics on 8-bit RGB, defined as CompressAI reports them on Kodak.
 *
 * - PSNR: 10·log10(255² / MSE), the MSE taken over all pixels and all three channels at
 *   once (not an average of per-channel PSNRs).
 * - SSIM / MS-SSIM (Wang, Simoncelli & Bovik 2003): computed on each of R, G, B separately
 *   and the three values averaged, as pytorch_msssim (used by CompressAI) does for RGB.
 *   11×11 Gaussian window (σ = 1.5) applied separably and only where it fits ("valid"),
 *   K1 = 0.01, K2 = 0.03, data range 255; 5 scales with weights
 *   (0.0448, 0.2856, 0.3001, 0.2363, 0.1333); 2×2 average pooling between scales.
 *   Negative contrast-structure terms are clamped to 0 before the weighted product.
 *   An odd side is pooled like torch's avg_pool2d(2, padding=1): a zero row/column is added
 *   on both ends and every 2×2 cell is divided by 4, which keeps the numbers identical to
 *   pytorch_msssim's. The shorter side must exceed 160 px (4 halvings of an 11-px window).
 */
import type { RgbImage } from '../media.js';

const WINDOW_SIZE = 11;
const WINDOW_SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;
const DATA_RANGE = 255;
const C1 = (K1 * DATA_RANGE) ** 2;
const C2 = (K2 * DATA_RANGE) ** 2;

/** Weights of the 5 MS-SSIM scales, finest first (Wang et al. 2003). */
export const MS_SSIM_WEIGHTS: readonly number[] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/** Smallest side an image needs for 5-scale MS-SSIM: > (11 − 1) · 2⁴. */
export const MS_SSIM_MIN_SIDE = (WINDOW_SIZE - 1) * 2 ** (MS_SSIM_WEIGHTS.length - 1) + 1;

const GAUSS: Float64Array = (() => {
  const g = new Float64Array(WINDOW_SIZE);
  const half = (WINDOW_SIZE - 1) / 2;
  let sum = 0;
  for (let i = 0; i < WINDOW_SIZE; i++) {
    g[i] = Math.exp(-((i - half) ** 2) / (2 * WINDOW_SIGMA ** 2));
    sum += g[i];
  }
  for (let i = 0; i < WINDOW_SIZE; i++) g[i] /= sum;
  return g;
})();

function checkPair(a: RgbImage, b: RgbImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`images differ in size: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  }
  const n = a.width * a.height * 3;
  if (a.data.length !== n || b.data.length !== n) {
    throw new RangeError(`image data must hold width × height × 3 bytes (${n})`);
  }
}

/** Mean squared error over all pixels and channels. */
export function mse(a: RgbImage, b: RgbImage): number {
  checkPair(a, b);
  const x = a.data;
  const y = b.data;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - y[i];
    sum += d * d;
  }
  return sum / x.length;
}

/** PSNR in dB of `b` against `a` (RGB, peak 255); Infinity when the images are identical. */
export function psnr(a: RgbImage, b: RgbImage): number {
  const e = mse(a, b);
  return e === 0 ? Infinity : 10 * Math.log10((DATA_RANGE * DATA_RANGE) / e);
}

/** Single-scale SSIM (mean of the SSIM map, averaged over R, G, B). */
export function ssim(a: RgbImage, b: RgbImage): number {
  checkPair(a, b);
  if (Math.min(a.width, a.height) < WINDOW_SIZE) {
    throw new RangeError(`SSIM needs images of at least ${WINDOW_SIZE}×${WINDOW_SIZE}`);
  }
  const scratch = new Scratch(a.width, a.height);
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const x = plane(a, c);
    const y = plane(b, c);
    total += ssimAndCs(x, y, a.width, a.height, scratch).ssim;
  }
  return total / 3;
}

/** 5-scale MS-SSIM (Wang et al. 2003), per channel and averaged over R, G, B. In [0, 1]. */
export function msSsim(a: RgbImage, b: RgbImage): number {
  checkPair(a, b);
  if (Math.min(a.width, a.height) < MS_SSIM_MIN_SIDE) {
    throw new RangeError(
      `MS-SSIM needs both sides ≥ ${MS_SSIM_MIN_SIDE} px (5 scales of an 11-px window), got ${a.width}×${a.height}`,
    );
  }
  const scratch = new Scratch(a.width, a.height);
  const levels = MS_SSIM_WEIGHTS.length;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    let x = plane(a, c);
    let y = plane(b, c);
    let w = a.width;
    let h = a.height;
    let value = 1;
    for (let level = 0; level < levels; level++) {
      const r = ssimAndCs(x, y, w, h, scratch);
      const term = level < levels - 1 ? r.cs : r.ssim;
      value *= Math.max(term, 0) ** MS_SSIM_WEIGHTS[level];
      if (level < levels - 1) {
        const nw = (w >> 1) + (w & 1);
        const nh = (h >> 1) + (h & 1);
        x = avgPool2(x, w, h);
        y = avgPool2(y, w, h);
        w = nw;
        h = nh;
      }
    }
    total += value;
  }
  return total / 3;
}

/** One channel of an interleaved RGB image as float samples. */
function plane(img: RgbImage, channel: number): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  const d = img.data;
  for (let i = 0, j = channel; i < n; i++, j += 3) out[i] = d[j];
  return out;
}

/** 2×2 average pooling with torch avg_pool2d's zero padding of odd sides (see header). */
function avgPool2(src: Float64Array, w: number, h: number): Float64Array {
  const padX = w & 1;
  const padY = h & 1;
  const nw = (w >> 1) + padX;
  const nh = (h >> 1) + padY;
  const out = new Float64Array(nw * nh);
  for (let oy = 0; oy < nh; oy++) {
    const y0 = 2 * oy - padY;
    for (let ox = 0; ox < nw; ox++) {
      const x0 = 2 * ox - padX;
      let s = 0;
      for (let dy = 0; dy < 2; dy++) {
        const yy = y0 + dy;
        if (yy < 0 || yy >= h) continue;
        const row = yy * w;
        if (x0 >= 0) s += src[row + x0];
        if (x0 + 1 < w) s += src[row + x0 + 1];
      }
      out[oy * nw + ox] = s / 4;
    }
  }
  return out;
}

/** Buffers for the horizontally filtered moments, sized for the finest scale and reused. */
class Scratch {
  /** Horizontally filtered x, y, x² + y² and xy, (width − 10) × height each. */
  readonly hx: Float64Array;
  readonly hy: Float64Array;
  readonly hss: Float64Array;
  readonly hxy: Float64Array;
  constructor(width: number, height: number) {
    const wo = Math.max(0, width - WINDOW_SIZE + 1);
    this.hx = new Float64Array(wo * height);
    this.hy = new Float64Array(wo * height);
    this.hss = new Float64Array(wo * height);
    this.hxy = new Float64Array(wo * height);
  }
}

/**
 * Mean SSIM and mean contrast-structure term of one channel pair over the valid region.
 * Filtering is separable: a horizontal pass produces the moment images, a vertical pass
 * consumes them a row at a time and evaluates SSIM on the fly. Only σx² + σy² enters SSIM,
 * so x² and y² are filtered as one image (4 filtered images instead of 5). The Gaussian is
 * symmetric, so taps k and 10 − k share one multiplication. Hot loops sit in small
 * functions so that V8 optimises each of them well (≈ 80 ms for a 768×512 pair).
 */
function ssimAndCs(
  x: Float64Array,
  y: Float64Array,
  w: number,
  h: number,
  s: Scratch,
): { ssim: number; cs: number } {
  const wo = w - WINDOW_SIZE + 1;
  const ho = h - WINDOW_SIZE + 1;
  filterRows(x, y, w, h, s.hx, s.hy, s.hss, s.hxy);
  let ssimSum = 0;
  let csSum = 0;
  for (let ro = 0; ro < ho; ro++) {
    const r = filterColumnsAndSum(s.hx, s.hy, s.hss, s.hxy, wo, ro);
    ssimSum += r[0];
    csSum += r[1];
  }
  const n = wo * ho;
  return { ssim: ssimSum / n, cs: csSum / n };
}

const G0 = GAUSS[0], G1 = GAUSS[1], G2 = GAUSS[2], G3 = GAUSS[3], G4 = GAUSS[4], G5 = GAUSS[5];

/** Horizontal 11-tap pass over every row: x, y, x² + y², xy. */
function filterRows(
  x: Float64Array,
  y: Float64Array,
  w: number,
  h: number,
  hx: Float64Array,
  hy: Float64Array,
  hss: Float64Array,
  hxy: Float64Array,
): void {
  const wo = w - WINDOW_SIZE + 1;
  for (let r = 0; r < h; r++) {
    const src = r * w;
    const dst = r * wo;
    for (let c = 0; c < wo; c++) {
      const i = src + c;
      const x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3], x4 = x[i + 4], x5 = x[i + 5];
      const x6 = x[i + 6], x7 = x[i + 7], x8 = x[i + 8], x9 = x[i + 9], x10 = x[i + 10];
      const y0 = y[i], y1 = y[i + 1], y2 = y[i + 2], y3 = y[i + 3], y4 = y[i + 4], y5 = y[i + 5];
      const y6 = y[i + 6], y7 = y[i + 7], y8 = y[i + 8], y9 = y[i + 9], y10 = y[i + 10];
      hx[dst + c] = G0 * (x0 + x10) + G1 * (x1 + x9) + G2 * (x2 + x8) + G3 * (x3 + x7) + G4 * (x4 + x6) + G5 * x5;
      hy[dst + c] = G0 * (y0 + y10) + G1 * (y1 + y9) + G2 * (y2 + y8) + G3 * (y3 + y7) + G4 * (y4 + y6) + G5 * y5;
      hss[dst + c] =
        G0 * (x0 * x0 + x10 * x10 + y0 * y0 + y10 * y10) +
        G1 * (x1 * x1 + x9 * x9 + y1 * y1 + y9 * y9) +
        G2 * (x2 * x2 + x8 * x8 + y2 * y2 + y8 * y8) +
        G3 * (x3 * x3 + x7 * x7 + y3 * y3 + y7 * y7) +
        G4 * (x4 * x4 + x6 * x6 + y4 * y4 + y6 * y6) +
        G5 * (x5 * x5 + y5 * y5);
      hxy[dst + c] =
        G0 * (x0 * y0 + x10 * y10) + G1 * (x1 * y1 + x9 * y9) + G2 * (x2 * y2 + x8 * y8) +
        G3 * (x3 * y3 + x7 * y7) + G4 * (x4 * y4 + x6 * y6) + G5 * x5 * y5;
    }
  }
}

const rowSums: [number, number] = [0, 0];

/**
 * Vertical 11-tap pass for output row `ro`, fused with the SSIM formula: returns the row's
 * sums of the SSIM map and of the contrast-structure map.
 */
function filterColumnsAndSum(
  hx: Float64Array,
  hy: Float64Array,
  hss: Float64Array,
  hxy: Float64Array,
  wo: number,
  ro: number,
): [number, number] {
  const r0 = ro * wo, r1 = r0 + wo, r2 = r1 + wo, r3 = r2 + wo, r4 = r3 + wo, r5 = r4 + wo;
  const r6 = r5 + wo, r7 = r6 + wo, r8 = r7 + wo, r9 = r8 + wo, r10 = r9 + wo;
  let ssimSum = 0;
  let csSum = 0;
  for (let c = 0; c < wo; c++) {
    const mux =
      G0 * (hx[r0 + c] + hx[r10 + c]) + G1 * (hx[r1 + c] + hx[r9 + c]) + G2 * (hx[r2 + c] + hx[r8 + c]) +
      G3 * (hx[r3 + c] + hx[r7 + c]) + G4 * (hx[r4 + c] + hx[r6 + c]) + G5 * hx[r5 + c];
    const muy =
      G0 * (hy[r0 + c] + hy[r10 + c]) + G1 * (hy[r1 + c] + hy[r9 + c]) + G2 * (hy[r2 + c] + hy[r8 + c]) +
      G3 * (hy[r3 + c] + hy[r7 + c]) + G4 * (hy[r4 + c] + hy[r6 + c]) + G5 * hy[r5 + c];
    const ess =
      G0 * (hss[r0 + c] + hss[r10 + c]) + G1 * (hss[r1 + c] + hss[r9 + c]) + G2 * (hss[r2 + c] + hss[r8 + c]) +
      G3 * (hss[r3 + c] + hss[r7 + c]) + G4 * (hss[r4 + c] + hss[r6 + c]) + G5 * hss[r5 + c];
    const exy =
      G0 * (hxy[r0 + c] + hxy[r10 + c]) + G1 * (hxy[r1 + c] + hxy[r9 + c]) + G2 * (hxy[r2 + c] + hxy[r8 + c]) +
      G3 * (hxy[r3 + c] + hxy[r7 + c]) + G4 * (hxy[r4 + c] + hxy[r6 + c]) + G5 * hxy[r5 + c];
    const mxx = mux * mux;
    const myy = muy * muy;
    const mxy = mux * muy;
    const cs = (2 * (exy - mxy) + C2) / (ess - mxx - myy + C2);
    csSum += cs;
    ssimSum += ((2 * mxy + C1) / (mxx + myy + C1)) * cs;
  }
  rowSums[0] = ssimSum;
  rowSums[1] = csSum;
  return rowSums;
}
