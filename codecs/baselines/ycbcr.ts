/**
 * RGB ↔ Y'CbCr 4:4:4 with BT.601 coefficients at full range (0–255 for all three planes),
 * the "JPEG" / JFIF convention that BPG uses by default (`bpgenc -c ycbcr`). Done here
 * rather than in ffmpeg so that no limited-range (16–235) step can sneak into the round trip.
 */
import type { RgbImage } from '../../src/media.js';

const KR = 0.299;
const KB = 0.114;
const KG = 1 - KR - KB;
const CB_SCALE = 0.5 / (1 - KB); // 1 / 1.772
const CR_SCALE = 0.5 / (1 - KR); // 1 / 1.402
const R_FROM_CR = 2 * (1 - KR); // 1.402
const B_FROM_CB = 2 * (1 - KB); // 1.772
const G_FROM_CB = (2 * KB * (1 - KB)) / KG; // 0.344136
const G_FROM_CR = (2 * KR * (1 - KR)) / KG; // 0.714136

const toByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Interleaved RGB → planar Y, Cb, Cr (yuv444p layout), rounded to 8 bits. */
export function rgbToYcbcr444(img: RgbImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(3 * n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const r = d[3 * i];
    const g = d[3 * i + 1];
    const b = d[3 * i + 2];
    const y = KR * r + KG * g + KB * b;
    out[i] = toByte(y);
    out[n + i] = toByte(128 + (b - y) * CB_SCALE);
    out[2 * n + i] = toByte(128 + (r - y) * CR_SCALE);
  }
  return out;
}

/** Planar Y, Cb, Cr (yuv444p layout) → interleaved RGB, rounded and clamped to 8 bits. */
export function ycbcr444ToRgb(planes: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (planes.length !== 3 * n) throw new RangeError(`expected ${3 * n} bytes of yuv444p, got ${planes.length}`);
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const y = planes[i];
    const cb = planes[n + i] - 128;
    const cr = planes[2 * n + i] - 128;
    data[3 * i] = toByte(y + R_FROM_CR * cr);
    data[3 * i + 1] = toByte(y - G_FROM_CB * cb - G_FROM_CR * cr);
    data[3 * i + 2] = toByte(y + B_FROM_CB * cb);
  }
  return { width, height, data };
}
