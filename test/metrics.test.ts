import { describe, expect, it } from 'vitest';
import { msSsim, MS_SSIM_MIN_SIDE, mse, psnr, ssim } from '../src/metrics/image.js';
import { addNoise, blockMean, syntheticImage } from './helpers/synthetic.js';
import type { RgbImage } from '../src/media.js';

/**
 * Reference values made once by test/reference/metric_reference.py (Debian's /usr/bin/python3:
 * scikit-image 0.19.3 for PSNR and SSIM; MS-SSIM with torch 1.13 in float64 following
 * pytorch_msssim's algorithm, its first scale cross-checked against scikit-image's SSIM to 1e-9).
 * The checksums make sure both sides built the same pixels.
 */
const REFERENCE = {
  noise12_199x173: {
    psnr: 30.981124328850562, ssim: 0.9543999292898384, ms_ssim: 0.9917568475531566,
    checksum_a: 12832272, checksum_b: 12831593,
  },
  block4_256x192: {
    psnr: 22.241698039100967, ssim: 0.5055932646525524, ms_ssim: 0.9124349171137757,
    checksum_a: 18317788, checksum_b: 18249120,
  },
  block8_noise30_224x224: {
    psnr: 19.204653317899897, ssim: 0.2804329788419833, ms_ssim: 0.7959709723543759,
    checksum_a: 18704960, checksum_b: 18633692,
  },
};

function pairs(): [keyof typeof REFERENCE, RgbImage, RgbImage][] {
  const a1 = syntheticImage(199, 173, 7);
  const a2 = syntheticImage(256, 192, 3);
  const a3 = syntheticImage(224, 224, 11);
  return [
    ['noise12_199x173', a1, addNoise(a1, 12, 99)],
    ['block4_256x192', a2, blockMean(a2, 4)],
    ['block8_noise30_224x224', a3, addNoise(blockMean(a3, 8), 30, 5)],
  ];
}

const sum = (img: RgbImage): number => img.data.reduce((s, v) => s + v, 0);

describe('image metrics against scikit-image / pytorch_msssim reference values', () => {
  for (const [name, a, b] of pairs()) {
    const ref = REFERENCE[name];
    it(`${name}: same pixels as the Python reference`, () => {
      expect(sum(a)).toBe(ref.checksum_a);
      expect(sum(b)).toBe(ref.checksum_b);
    });
    it(`${name}: PSNR`, () => expect(psnr(a, b)).toBeCloseTo(ref.psnr, 9));
    it(`${name}: SSIM`, () => expect(ssim(a, b)).toBeCloseTo(ref.ssim, 9));
    it(`${name}: MS-SSIM`, () => expect(msSsim(a, b)).toBeCloseTo(ref.ms_ssim, 9));
  }
});

describe('metric properties', () => {
  const a = syntheticImage(192, 176, 1);
  it('identical images: MSE 0, PSNR infinite, SSIM and MS-SSIM exactly 1', () => {
    expect(mse(a, a)).toBe(0);
    expect(psnr(a, a)).toBe(Infinity);
    expect(ssim(a, a)).toBeCloseTo(1, 12);
    expect(msSsim(a, a)).toBeCloseTo(1, 12);
  });
  it('PSNR of a uniform offset of 1 on every sample is 20·log10(255)', () => {
    const b = { ...a, data: a.data.map((v) => (v === 255 ? 254 : v + 1)) };
    expect(psnr(a, b)).toBeCloseTo(20 * Math.log10(255), 12);
  });
  it('MS-SSIM is symmetric and decreases with more noise', () => {
    const b1 = addNoise(a, 5, 2);
    const b2 = addNoise(a, 40, 2);
    expect(msSsim(a, b1)).toBeCloseTo(msSsim(b1, a), 12);
    expect(msSsim(a, b2)).toBeLessThan(msSsim(a, b1));
  });
  it('rejects mismatched sizes and images too small for 5 scales', () => {
    expect(() => psnr(a, syntheticImage(192, 175, 1))).toThrow(/differ in size/);
    const small = syntheticImage(MS_SSIM_MIN_SIDE - 1, 200, 1);
    expect(() => msSsim(small, small)).toThrow(/MS-SSIM needs/);
    const ok = syntheticImage(MS_SSIM_MIN_SIDE, MS_SSIM_MIN_SIDE, 1);
    expect(msSsim(ok, ok)).toBeCloseTo(1, 12);
  });
});
