/**
 * Audio quality metrics, defined in docs/METRICS.md:
 *
 * - snr: signal-to-noise ratio in dB, 10·log10(Σ r² / Σ (r − t)²).
 * - si_sdr: scale-invariant SDR in dB (Le Roux et al. 2019), both signals made zero-mean.
 * - stft_distance: DAC's MultiScaleSTFTLoss (windows 2048 and 512, hop = window/4).
 * - mel_distance: DAC's MelSpectrogramLoss with DAC's training configuration (7 scales).
 *
 * All are computed at the reference's sample rate, channel by channel, and averaged over channels
 * (for the spectral distances this equals DAC's L1 mean over channels × bins × frames).
 * Glossary: r = reference samples, t = test samples, |X| = STFT magnitude.
 */
import type { Audio } from '../media.js';
import { InputError } from '../errors.js';
import { applyMel, cachedMelFilterbank, forEachStftMagnitudePair } from './spectral.js';

/** float32 machine epsilon: the guard torchmetrics adds to SNR/SI-SDR energies. */
export const ENERGY_EPS = 2 ** -23;

/** One resolution of a spectral distance. */
export interface SpectralScale {
  windowLength: number;
  /** Mel bands (mel distance only). */
  nMels?: number;
}

/** DAC `MultiScaleSTFTLoss` defaults (dac/nn/loss.py; conf/base.yml sets only the windows). */
export const STFT_DISTANCE = {
  scales: [{ windowLength: 2048 }, { windowLength: 512 }] as readonly SpectralScale[],
  clampEps: 1e-5,
  pow: 2,
  logWeight: 1,
  magWeight: 1,
} as const;

/** DAC `MelSpectrogramLoss` as configured for training in DAC's conf/base.yml. */
export const MEL_DISTANCE = {
  scales: [
    { windowLength: 32, nMels: 5 },
    { windowLength: 64, nMels: 10 },
    { windowLength: 128, nMels: 20 },
    { windowLength: 256, nMels: 40 },
    { windowLength: 512, nMels: 80 },
    { windowLength: 1024, nMels: 160 },
    { windowLength: 2048, nMels: 320 },
  ] as readonly SpectralScale[],
  clampEps: 1e-5,
  pow: 1,
  logWeight: 1,
  magWeight: 0,
} as const;

function assertComparable(ref: Audio, test: Audio): void {
  if (ref.sampleRate !== test.sampleRate) {
    throw new InputError(`audio metrics: sample rates differ (reference ${ref.sampleRate} Hz, test ${test.sampleRate} Hz)`);
  }
  if (ref.channels.length !== test.channels.length || ref.channels.length === 0) {
    throw new InputError(`audio metrics: channel counts differ (reference ${ref.channels.length}, test ${test.channels.length})`);
  }
  const n = ref.channels[0]!.length;
  for (const a of [ref, test]) {
    for (const c of a.channels) {
      if (c.length !== n) {
        throw new InputError(`audio metrics: lengths differ (reference ${n} samples, test ${test.channels[0]!.length})`);
      }
    }
  }
  if (n === 0) throw new InputError('audio metrics: audio has no samples');
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** SNR of one channel in dB: 10·log10((Σ r² + ε) / (Σ (r − t)² + ε)), ε = ENERGY_EPS. */
export function snrChannel(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const e = r - test[i]!;
    signal += r * r;
    noise += e * e;
  }
  return 10 * Math.log10((signal + ENERGY_EPS) / (noise + ENERGY_EPS));
}

/**
 * SI-SDR of one channel in dB (Le Roux et al. 2019, "SDR – half-baked or well done?"): with
 * zero-mean r and t, α = <t, r> / ‖r‖², SI-SDR = 10·log10(‖α r‖² / ‖t − α r‖²); ε = ENERGY_EPS
 * is added to numerators and denominators as torchmetrics does, so identical signals give a
 * large finite value instead of +∞.
 */
export function siSdrChannel(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  const n = ref.length;
  let meanR = 0;
  let meanT = 0;
  for (let i = 0; i < n; i++) {
    meanR += ref[i]!;
    meanT += test[i]!;
  }
  meanR /= n;
  meanT /= n;
  let dot = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const r = ref[i]! - meanR;
    dot += (test[i]! - meanT) * r;
    energy += r * r;
  }
  const alpha = (dot + ENERGY_EPS) / (energy + ENERGY_EPS);
  let target = 0;
  let residual = 0;
  for (let i = 0; i < n; i++) {
    const s = alpha * (ref[i]! - meanR);
    const e = s - (test[i]! - meanT);
    target += s * s;
    residual += e * e;
  }
  return 10 * Math.log10((target + ENERGY_EPS) / (residual + ENERGY_EPS));
}

/** SNR in dB, averaged over channels. */
export function snr(ref: Audio, test: Audio): number {
  assertComparable(ref, test);
  return mean(ref.channels.map((r, c) => snrChannel(r, test.channels[c]!)));
}

/** SI-SDR in dB, averaged over channels. */
export function siSdr(ref: Audio, test: Audio): number {
  assertComparable(ref, test);
  return mean(ref.channels.map((r, c) => siSdrChannel(r, test.channels[c]!)));
}

/** Running L1 sums of one scale, over all channels. */
interface ScaleSums {
  stftLog: number;
  stftMag: number;
  stftCount: number;
  melLog: number;
  melCount: number;
}

/**
 * One pass over the STFTs of every scale either distance needs, sharing the 512 and 2048
 * windows between them, and accumulating the L1 terms frame by frame (no spectrogram is kept).
 */
function spectralDistances(ref: Audio, test: Audio, wantStft: boolean, wantMel: boolean): { stft: number; mel: number } {
  const windows = new Map<number, { stft: boolean; nMels?: number }>();
  if (wantStft) for (const s of STFT_DISTANCE.scales) windows.set(s.windowLength, { stft: true });
  if (wantMel) {
    for (const s of MEL_DISTANCE.scales) {
      windows.set(s.windowLength, { stft: windows.get(s.windowLength)?.stft ?? false, nMels: s.nMels! });
    }
  }
  const stftEps = STFT_DISTANCE.clampEps;
  const melEps = MEL_DISTANCE.clampEps;
  let stft = 0;
  let mel = 0;
  for (const [windowLength, use] of windows) {
    const sums: ScaleSums = { stftLog: 0, stftMag: 0, stftCount: 0, melLog: 0, melCount: 0 };
    const bank = use.nMels ? cachedMelFilterbank(ref.sampleRate, windowLength, use.nMels) : undefined;
    const melX = new Float64Array(use.nMels ?? 0);
    const melY = new Float64Array(use.nMels ?? 0);
    for (let c = 0; c < ref.channels.length; c++) {
      forEachStftMagnitudePair(test.channels[c]!, ref.channels[c]!, windowLength, windowLength / 4, (mx, my) => {
        if (use.stft) {
          let logSum = 0;
          let magSum = 0;
          for (let k = 0; k < mx.length; k++) {
            const a = mx[k]!;
            const b = my[k]!;
            // |log10(clamp(a)^2) − log10(clamp(b)^2)| = 2·|log10(clamp(a) / clamp(b))|: one log.
            logSum += Math.abs(Math.log10((a > stftEps ? a : stftEps) / (b > stftEps ? b : stftEps)));
            magSum += Math.abs(a - b);
          }
          sums.stftLog += STFT_DISTANCE.pow * logSum;
          sums.stftMag += magSum;
          sums.stftCount += mx.length;
        }
        if (bank) {
          applyMel(bank, mx, melX);
          applyMel(bank, my, melY);
          let logSum = 0;
          for (let m = 0; m < melX.length; m++) {
            const a = melX[m]!;
            const b = melY[m]!;
            // |log10(clamp(a)) − log10(clamp(b))| (pow = 1) as one log of the ratio;
            // mag_weight = 0 drops the linear term.
            logSum += Math.abs(Math.log10((a > melEps ? a : melEps) / (b > melEps ? b : melEps)));
          }
          sums.melLog += MEL_DISTANCE.pow * logSum;
          sums.melCount += melX.length;
        }
      });
    }
    if (use.stft) {
      stft += STFT_DISTANCE.logWeight * (sums.stftLog / sums.stftCount) + STFT_DISTANCE.magWeight * (sums.stftMag / sums.stftCount);
    }
    if (bank) mel += MEL_DISTANCE.logWeight * (sums.melLog / sums.melCount);
  }
  return { stft, mel };
}

/**
 * Multi-resolution STFT distance, DAC's MultiScaleSTFTLoss: for windows 2048 and 512 (hop =
 * window/4, periodic Hann, centred with reflect padding), the sum over scales of
 * mean|log10(max(|X|, 1e-5)²) − log10(max(|Y|, 1e-5)²)| + mean||X| − |Y||. 0 for identical input.
 */
export function stftDistance(ref: Audio, test: Audio): number {
  assertComparable(ref, test);
  return spectralDistances(ref, test, true, false).stft;
}

/**
 * Mel distance, DAC's MelSpectrogramLoss as DAC trains with it: 7 scales (windows 32..2048 with
 * 5..320 Slaney mel bands, hop = window/4), the sum over scales of
 * mean|log10(max(mel(X), 1e-5)) − log10(max(mel(Y), 1e-5))|. 0 for identical input.
 */
export function melDistance(ref: Audio, test: Audio): number {
  assertComparable(ref, test);
  return spectralDistances(ref, test, false, true).mel;
}

/** The audio metrics of one item, with the keys of `lcodec eval`'s results JSON. */
export interface AudioMetrics {
  snr: number;
  si_sdr: number;
  stft_distance: number;
  mel_distance: number;
}

/**
 * All audio metrics of a decoded item against its reference (same rate, channels and length;
 * InputError otherwise). The evaluation runner's per-item hook for audio.
 *
 * @example
 * const m = audioMetrics(original, decoded); // { snr: 9.1, si_sdr: 8.7, stft_distance: 2.1, mel_distance: 1.3 }
 */
export function audioMetrics(ref: Audio, test: Audio): AudioMetrics {
  assertComparable(ref, test);
  const { stft, mel } = spectralDistances(ref, test, true, true);
  return {
    snr: mean(ref.channels.map((r, c) => snrChannel(r, test.channels[c]!))),
    si_sdr: mean(ref.channels.map((r, c) => siSdrChannel(r, test.channels[c]!))),
    stft_distance: stft,
    mel_distance: mel,
  };
}

/** Bitrate in kbit/s of `bits` spread over `durationSeconds`: bits / duration / 1000. */
export function kbps(bits: number, durationSeconds: number): number {
  if (!(durationSeconds > 0)) throw new RangeError(`kbps: duration must be > 0, got ${durationSeconds}`);
  return bits / durationSeconds / 1000;
}
