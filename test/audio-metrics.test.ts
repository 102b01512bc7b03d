import { describe, expect, it } from 'vitest';
import type { Audio } from '../src/media.js';
import { InputError } from '../src/errors.js';
import { audioMetrics, kbps, melDistance, siSdr, snr, stftDistance } from '../src/metrics/audio.js';
import { RealFft } from '../src/metrics/fft.js';
import { hannWindow, melFilterbank, reflectPad, stftFrameCount } from '../src/metrics/spectral.js';
import { noise, referenceCases, toAudio } from './helpers/signals.js';

/**
 * Computed once by test/reference/audio_metrics_reference.py (librosa 0.11.0, numpy 2.4.6):
 * librosa.stft (= torch.stft centred, reflect padding, periodic Hann; checked equal to 1e-14),
 * librosa.filters.mel (Slaney), DAC's loss formulas; SNR/SI-SDR as torchmetrics computes them.
 * The signals are rebuilt bit for bit by test/helpers/signals.ts and by that script.
 */
const REFERENCE: Record<string, { snr: number; si_sdr: number; stft_distance: number; mel_distance: number }> = {
  A: { snr: 13.68692053330994, si_sdr: 23.643346490402397, stft_distance: 3.182968124481041, mel_distance: 2.584813708216043 },
  B: { snr: 3.284961778675009, si_sdr: 0.7468381607754474, stft_distance: 5.274825309551479, mel_distance: 3.124542476421599 },
  C: { snr: 11.409667091989629, si_sdr: 11.408449595752753, stft_distance: 2.835778224381976, mel_distance: 1.7985341789945868 },
};

function naiveDft(x: ArrayLike<number>): { re: number[]; im: number[] } {
  const n = x.length;
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k <= n / 2; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      sr += x[t]! * Math.cos((2 * Math.PI * k * t) / n);
      si -= x[t]! * Math.sin((2 * Math.PI * k * t) / n);
    }
    re.push(sr);
    im.push(si);
  }
  return { re, im };
}

describe('RealFft', () => {
  for (const n of [4, 8, 16, 32, 64, 128, 256, 512, 2048]) {
    it(`matches a direct DFT at n = ${n}`, () => {
      const x = noise(n, n);
      const fft = new RealFft(n);
      const re = new Float64Array(fft.bins);
      const im = new Float64Array(fft.bins);
      fft.forward(x, re, im);
      const ref = naiveDft(x);
      const mag = new Float64Array(fft.bins);
      fft.magnitude(x, mag);
      for (let k = 0; k < fft.bins; k++) {
        expect(re[k]).toBeCloseTo(ref.re[k]!, 8);
        expect(im[k]).toBeCloseTo(ref.im[k]!, 8);
        expect(mag[k]).toBeCloseTo(Math.hypot(ref.re[k]!, ref.im[k]!), 8);
      }
    });
  }

  for (const n of [4, 8, 64, 1024]) {
    it(`inverts its forward transform at n = ${n}`, () => {
      const x = noise(n, 3 * n);
      const fft = new RealFft(n);
      const re = new Float64Array(fft.bins);
      const im = new Float64Array(fft.bins);
      fft.forward(x, re, im);
      const back = new Float64Array(n);
      fft.inverse(re, im, back);
      for (let t = 0; t < n; t++) expect(back[t]).toBeCloseTo(x[t]!, 10);
    });
  }

  it('rejects sizes that are not powers of two', () => {
    expect(() => new RealFft(48)).toThrow(RangeError);
    expect(() => new RealFft(2)).toThrow(RangeError);
  });
});

describe('spectral building blocks', () => {
  it('uses the periodic Hann window', () => {
    const w = hannWindow(8);
    expect(w[0]).toBe(0);
    expect(w[4]).toBeCloseTo(1, 15);
    expect(w[2]).toBeCloseTo(0.5, 15);
  });

  it('reflect-pads like torch (edge sample not repeated)', () => {
    expect(Array.from(reflectPad([1, 2, 3, 4], 2))).toEqual([3, 2, 1, 2, 3, 4, 3, 2]);
    // Shorter than the pad: keeps bouncing instead of failing.
    expect(Array.from(reflectPad([1, 2], 3))).toEqual([2, 1, 2, 1, 2, 1, 2, 1]);
  });

  it('counts centred frames as 1 + floor(n / hop)', () => {
    expect(stftFrameCount(1000, 128)).toBe(8);
    expect(stftFrameCount(1024, 128)).toBe(9);
  });

  it('builds Slaney mel filters with the Slaney area norm', () => {
    const bank = melFilterbank(22050, 2048, 128);
    expect(bank).toHaveLength(128);
    // Slaney norm: each triangle's area in Hz·weight is 1, i.e. Σ w · (sr / n_fft) ≈ 1.
    for (const m of [10, 60, 120]) {
      const sum = bank[m]!.weights.reduce((s, w) => s + w, 0) * (22050 / 2048);
      expect(sum).toBeGreaterThan(0.9);
      expect(sum).toBeLessThan(1.1);
    }
    // The first filter of librosa.filters.mel(sr=22050, n_fft=2048): peak near 0.0163 at bin 1.
    expect(bank[0]!.first).toBe(1);
    expect(bank[0]!.weights[0]).toBeCloseTo(0.01618, 4);
  });
});

describe('audio metrics against the reference implementation', () => {
  for (const c of referenceCases()) {
    it(`case ${c.name} (${c.ref.sampleRate} Hz, ${c.ref.channels.length} ch)`, () => {
      const expected = REFERENCE[c.name]!;
      const got = audioMetrics(c.ref, c.test);
      expect(got.snr).toBeCloseTo(expected.snr, 6);
      expect(got.si_sdr).toBeCloseTo(expected.si_sdr, 6);
      expect(Math.abs(got.stft_distance - expected.stft_distance) / expected.stft_distance).toBeLessThan(1e-7);
      expect(Math.abs(got.mel_distance - expected.mel_distance) / expected.mel_distance).toBeLessThan(1e-7);
      // The single-metric functions agree with the combined hook.
      expect(snr(c.ref, c.test)).toBe(got.snr);
      expect(siSdr(c.ref, c.test)).toBe(got.si_sdr);
      expect(stftDistance(c.ref, c.test)).toBeCloseTo(got.stft_distance, 12);
      expect(melDistance(c.ref, c.test)).toBeCloseTo(got.mel_distance, 12);
    });
  }
});

describe('audio metric sanity', () => {
  const n = 16000;
  const clean = toAudio(16000, [noise(11, n).map((v, i) => 0.3 * v * Math.sin((2 * Math.PI * 3 * i) / n))]);
  const withNoise = (amount: number): Audio => {
    const nz = noise(12, n);
    return toAudio(16000, [clean.channels[0]!.map((v, i) => v + amount * nz[i]!)]);
  };

  it('identical signals: distances 0, SNR and SI-SDR very large', () => {
    const m = audioMetrics(clean, clean);
    expect(m.stft_distance).toBe(0);
    expect(m.mel_distance).toBe(0);
    expect(m.snr).toBeGreaterThan(80);
    expect(m.si_sdr).toBeGreaterThan(80);
    expect(Number.isFinite(m.snr)).toBe(true);
  });

  it('more added noise is worse on every metric', () => {
    const a = audioMetrics(clean, withNoise(0.01));
    const b = audioMetrics(clean, withNoise(0.1));
    expect(b.snr).toBeLessThan(a.snr);
    expect(b.si_sdr).toBeLessThan(a.si_sdr);
    expect(b.stft_distance).toBeGreaterThan(a.stft_distance);
    expect(b.mel_distance).toBeGreaterThan(a.mel_distance);
  });

  it('SI-SDR ignores gain and DC offset; SNR does not', () => {
    const scaled = toAudio(16000, [clean.channels[0]!.map((v) => 0.5 * v + 0.01)]);
    expect(siSdr(clean, scaled)).toBeGreaterThan(60);
    expect(snr(clean, scaled)).toBeLessThan(10);
  });

  it('refuses mismatched rate, channels or length with an InputError', () => {
    expect(() => audioMetrics(clean, { ...clean, sampleRate: 8000 })).toThrow(InputError);
    expect(() => audioMetrics(clean, { sampleRate: 16000, channels: [clean.channels[0]!, clean.channels[0]!] })).toThrow(
      InputError,
    );
    expect(() => audioMetrics(clean, { sampleRate: 16000, channels: [clean.channels[0]!.subarray(1)] })).toThrow(/lengths differ/);
  });

  it('kbps = bits / seconds / 1000', () => {
    expect(kbps(96_000, 4)).toBe(24);
    expect(() => kbps(1, 0)).toThrow(RangeError);
  });

  it('mel distance of 10 s at 44.1 kHz takes well under a second', () => {
    const len = 441000;
    const ref = toAudio(44100, [noise(21, len)]);
    const test = toAudio(44100, [noise(22, len)]);
    melDistance(ref, test); // warm up the JIT and the filterbank cache
    // CPU time rather than wall time: other test files run beside this one on two cores.
    const start = process.cpuUsage();
    melDistance(ref, test);
    const used = process.cpuUsage(start);
    expect((used.user + used.system) / 1e6).toBeLessThan(1);
  });
});
