/**
 * Deterministic synthetic test images. Integer-only arithmetic so that
 * test/reference/metric_reference.py produces exactly the same pixels in Python.
 */
import type { RgbImage } from '../../src/media.js';

/** xorshift32 generator; returns the next state (an unsigned 32-bit integer). */
export function xorshift32(state: number): number {
  let x = state >>> 0;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * A photo-like test image: per-channel gradients, a checker of 16-px cells, a diagonal
 * ramp, and ±20 pseudo-random texture.
 */
export function syntheticImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        s = xorshift32(s);
        const gradient = Math.floor(((c + 1) * 85 * x) / width) / 2 + Math.floor((255 * y) / height) / 4;
        const checker = ((x >> 4) + (y >> 4) + c) % 2 === 0 ? 40 : 0;
        const ramp = ((x + 2 * y) * (c + 3)) % 64;
        const texture = (s % 41) - 20;
        data[(y * width + x) * 3 + c] = clamp(Math.floor(gradient) + checker + ramp + texture);
      }
    }
  }
  return { width, height, data };
}

/** `img` plus uniform integer noise in [-k, k], clamped to [0, 255]. */
export function addNoise(img: RgbImage, k: number, seed: number): RgbImage {
  const data = new Uint8Array(img.data.length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = xorshift32(s);
    data[i] = clamp(img.data[i] + (s % (2 * k + 1)) - k);
  }
  return { width: img.width, height: img.height, data };
}

/** Mean over non-overlapping b×b blocks (integer division), a blocky blur. */
export function blockMean(img: RgbImage, b: number): RgbImage {
  const { width, height } = img;
  const data = new Uint8Array(img.data.length);
  for (let by = 0; by < height; by += b) {
    for (let bx = 0; bx < width; bx += b) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let y = by; y < Math.min(by + b, height); y++) {
          for (let x = bx; x < Math.min(bx + b, width); x++) {
            sum += img.data[(y * width + x) * 3 + c];
            n++;
          }
        }
        const mean = Math.floor(sum / n);
        for (let y = by; y < Math.min(by + b, height); y++) {
          for (let x = bx; x < Math.min(bx + b, width); x++) data[(y * width + x) * 3 + c] = mean;
        }
      }
    }
  }
  return { width, height, data };
}

/**
 * A smooth, natural-looking test image (soft colour waves, a few soft-edged discs, mild
 * noise): what codecs are made for, unlike the hard synthetic patterns above.
 */
export function smoothImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  const discs = Array.from({ length: 4 }, () => {
    s = xorshift32(s);
    const cx = (s % 1000) / 1000;
    s = xorshift32(s);
    const cy = (s % 1000) / 1000;
    s = xorshift32(s);
    return { cx: cx * width, cy: cy * height, r: (0.1 + ((s % 100) / 100) * 0.25) * Math.min(width, height), c: s % 3 };
  });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        s = xorshift32(s);
        let v = 128 + 60 * Math.sin((x / width) * (2 + c) * Math.PI + c) * Math.cos((y / height) * (1 + c) * Math.PI);
        for (const d of discs) {
          const dist = Math.hypot(x - d.cx, y - d.cy);
          v += (d.c === c ? 50 : -20) / (1 + Math.exp((dist - d.r) / 2));
        }
        data[(y * width + x) * 3 + c] = clamp(Math.round(v + (s % 5) - 2));
      }
    }
  }
  return { width, height, data };
}
