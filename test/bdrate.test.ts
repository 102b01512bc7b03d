import { describe, expect, it } from 'vitest';
import { bdRate, msSsimDb, pchipIntegral } from '../src/eval/bdrate.js';

// Published Kodak curves (CompressAI results files; ../shared/data/images/reference).
const JPEG = {
  rate: [0.2212, 0.3266, 0.4231, 0.5084, 0.5879, 0.6601, 0.7289, 0.786, 0.8497, 0.906, 0.9644, 1.0372, 1.1274, 1.2398,
    1.3688, 1.5718, 1.8588, 2.3502, 3.4013],
  psnr: [23.7799, 26.5772, 28.0422, 29.0418, 29.7847, 30.3783, 30.9032, 31.3078, 31.7048, 32.0587, 32.3993, 32.7899,
    33.2347, 33.7926, 34.3943, 35.239, 36.3289, 37.9121, 40.5567],
  msssim: [0.803071, 0.889862, 0.923584, 0.942709, 0.953349, 0.960616, 0.966143, 0.969692, 0.97265, 0.975253, 0.977267,
    0.979276, 0.981364, 0.983707, 0.98575, 0.988191, 0.990552, 0.992981, 0.995637],
};
const BPG = {
  rate: [0.0678, 0.161, 0.3516, 0.6847, 1.1997, 1.9297, 3.0579, 4.7031],
  psnr: [26.1951, 28.6815, 31.5947, 34.8575, 38.2599, 41.4789, 44.7031, 47.6325],
  msssim: [0.86859, 0.924205, 0.961144, 0.980799, 0.990467, 0.994933, 0.997546, 0.998802],
};

/**
 * Made by test/reference/bdrate_reference.py with numpy 1.24 / scipy 1.10 (Debian 12):
 * scipy PchipInterpolator over quality, exact integral over the common range. (A
 * 100-sample trapezoid, as some scripts use, differs by ≤ 0.005 percentage points.)
 */
const SCIPY = {
  bpgVsJpegPsnr: -58.85325740069405,
  bpgVsJpegMsssimDb: -47.8427038019483,
  jpegVsBpgPsnr: 143.03260399934246,
  quirkyBVsA: 5.571310376166605,
};

describe('bdRate', () => {
  it('is 0 for identical curves', () => {
    expect(bdRate({ rate: JPEG.rate, quality: JPEG.psnr }, { rate: JPEG.rate, quality: JPEG.psnr })).toBeCloseTo(0, 12);
  });

  it('is −50 % when the rate is halved at every quality, +100 % when doubled', () => {
    const anchor = { rate: BPG.rate, quality: BPG.psnr };
    expect(bdRate(anchor, { rate: BPG.rate.map((r) => r / 2), quality: BPG.psnr })).toBeCloseTo(-50, 10);
    expect(bdRate(anchor, { rate: BPG.rate.map((r) => r * 2), quality: BPG.psnr })).toBeCloseTo(100, 10);
  });

  it('does not depend on the order of the points', () => {
    const shuffled = { rate: [...BPG.rate].reverse(), quality: [...BPG.psnr].reverse() };
    const anchor = { rate: JPEG.rate, quality: JPEG.psnr };
    expect(bdRate(anchor, shuffled)).toBeCloseTo(SCIPY.bpgVsJpegPsnr, 9);
  });

  it('matches scipy on the published BPG vs JPEG Kodak curves (PSNR and MS-SSIM dB)', () => {
    const jpegPsnr = { rate: JPEG.rate, quality: JPEG.psnr };
    const bpgPsnr = { rate: BPG.rate, quality: BPG.psnr };
    expect(bdRate(jpegPsnr, bpgPsnr)).toBeCloseTo(SCIPY.bpgVsJpegPsnr, 9);
    expect(bdRate(bpgPsnr, jpegPsnr)).toBeCloseTo(SCIPY.jpegVsBpgPsnr, 9);
    expect(
      bdRate({ rate: JPEG.rate, quality: JPEG.msssim.map(msSsimDb) }, { rate: BPG.rate, quality: BPG.msssim.map(msSsimDb) }),
    ).toBeCloseTo(SCIPY.bpgVsJpegMsssimDb, 9);
  });

  it('matches scipy on uneven, non-monotone curves (PCHIP extrema and end-slope rules)', () => {
    const a = { rate: [0.1, 0.25, 0.3, 0.8, 1.6, 2.0], quality: [24.0, 27.5, 27.9, 31.0, 35.5, 35.7] };
    const b = { rate: [0.12, 0.2, 0.45, 0.5, 1.1, 1.9, 3.0], quality: [25.0, 26.0, 29.5, 29.4, 33.0, 36.8, 40.0] };
    expect(bdRate(a, b)).toBeCloseTo(SCIPY.quirkyBVsA, 9);
  });

  it('returns null without a common quality range, and rejects bad rates', () => {
    expect(bdRate({ rate: [1, 2], quality: [20, 25] }, { rate: [1, 2], quality: [30, 35] })).toBeNull();
    expect(bdRate({ rate: [1], quality: [20] }, { rate: [1, 2], quality: [20, 35] })).toBeNull();
    expect(() => bdRate({ rate: [0, 2], quality: [20, 25] }, { rate: [1, 2], quality: [20, 25] })).toThrow(/rate/);
    expect(() => bdRate({ rate: [1, 2, 3], quality: [20, 25] }, { rate: [1, 2], quality: [20, 25] })).toThrow(/qualities/);
  });
});

describe('pchipIntegral', () => {
  it('integrates a straight line exactly', () => {
    // PCHIP reproduces linear data; ∫₁³ (2x + 1) dx = 10.
    expect(pchipIntegral([0, 1, 2, 3, 4], [1, 3, 5, 7, 9], 1, 3)).toBeCloseTo(10, 12);
  });
});
