/**
 * The spectral building blocks of the audio distances, matching what DAC's losses compute through
 * audiotools: torch.stft(center=True, pad_mode='reflect') with a periodic Hann window and
 * n_fft = window length, and librosa's mel filterbank (Slaney mel scale, Slaney area norm).
 */
import { RealFft } from './fft.js';

/** Periodic Hann window (scipy.signal.get_window('hann', n), what audiotools uses). */
export function hannWindow(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return w;
}

/**
 * Pads `pad` samples on each side by reflection without repeating the edge sample, as
 * torch's 'reflect' mode does. Where the signal is not longer than `pad` (torch refuses that
 * case) the reflection keeps bouncing between the two ends.
 */
export function reflectPad(x: ArrayLike<number>, pad: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n + 2 * pad);
  const period = 2 * (n - 1);
  for (let i = 0; i < out.length; i++) {
    let j = i - pad;
    if (n === 1) j = 0;
    else if (j < 0 || j >= n) {
      j = ((j % period) + period) % period;
      if (j >= n) j = period - j;
    }
    out[i] = x[j]!;
  }
  return out;
}

/** Frames of a centred STFT of a signal of `length` samples: 1 + floor(length / hop). */
export function stftFrameCount(length: number, hop: number): number {
  return 1 + Math.floor(length / hop);
}

/**
 * Visits the magnitude spectrum of every frame of the centred STFT of `x` (window = n_fft =
 * `windowLength`, given hop), reusing one output buffer: copy it if you keep it.
 */
export function forEachStftMagnitude(
  x: ArrayLike<number>,
  windowLength: number,
  hop: number,
  visit: (magnitude: Float64Array, frame: number) => void,
): void {
  const fft = cachedFft(windowLength);
  const window = cachedHann(windowLength);
  const padded = reflectPad(x, windowLength / 2);
  const frames = stftFrameCount(x.length, hop);
  const mag = new Float64Array(fft.bins);
  for (let t = 0; t < frames; t++) {
    fft.magnitude(padded, mag, t * hop, window);
    visit(mag, t);
  }
}

/** Two signals' magnitude spectra frame by frame, for distances that compare them as they go. */
export function forEachStftMagnitudePair(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  windowLength: number,
  hop: number,
  visit: (magX: Float64Array, magY: Float64Array, frame: number) => void,
): void {
  if (x.length !== y.length) throw new RangeError('forEachStftMagnitudePair: signals differ in length');
  const fft = cachedFft(windowLength);
  const window = cachedHann(windowLength);
  const px = reflectPad(x, windowLength / 2);
  const py = reflectPad(y, windowLength / 2);
  const frames = stftFrameCount(x.length, hop);
  const mx = new Float64Array(fft.bins);
  const my = new Float64Array(fft.bins);
  for (let t = 0; t < frames; t++) {
    fft.magnitude(px, mx, t * hop, window);
    fft.magnitude(py, my, t * hop, window);
    visit(mx, my, t);
  }
}

const ffts = new Map<number, RealFft>();
function cachedFft(n: number): RealFft {
  let fft = ffts.get(n);
  if (!fft) ffts.set(n, (fft = new RealFft(n)));
  return fft;
}

const hanns = new Map<number, Float64Array>();
function cachedHann(n: number): Float64Array {
  let w = hanns.get(n);
  if (!w) hanns.set(n, (w = hannWindow(n)));
  return w;
}

// Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMelSlaney(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

export function melToHzSlaney(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** One triangular mel filter, stored sparsely: weights of bins first..first+weights.length-1. */
export interface MelFilter {
  first: number;
  weights: Float64Array;
}

/**
 * The mel filterbank librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax) returns (Slaney mel
 * scale, Slaney normalisation 2 / (f[i+2] - f[i]), weights rounded to float32 as librosa stores
 * them). Filters that fall between FFT bins are all zero, as in librosa.
 */
export function melFilterbank(sampleRate: number, nFft: number, nMels: number, fmin = 0, fmax = sampleRate / 2): MelFilter[] {
  const bins = Math.floor(nFft / 2) + 1;
  const lo = hzToMelSlaney(fmin);
  const hi = hzToMelSlaney(fmax);
  const points = nMels + 2;
  const step = (hi - lo) / (points - 1);
  const hz = new Float64Array(points);
  // Like numpy.linspace: start + i·step, last point exactly the end.
  for (let i = 0; i < points; i++) hz[i] = melToHzSlaney(i === points - 1 ? hi : lo + i * step);
  // As numpy.fft.rfftfreq(n_fft, d=1/sr) computes the bin frequencies.
  const binHz = 1 / (nFft * (1 / sampleRate));
  const filters: MelFilter[] = [];
  for (let m = 0; m < nMels; m++) {
    const left = hz[m]!;
    const centre = hz[m + 1]!;
    const right = hz[m + 2]!;
    const norm = 2 / (right - left);
    const row = new Float64Array(bins);
    let first = -1;
    let last = -1;
    for (let k = 0; k < bins; k++) {
      const f = k * binHz;
      const rising = (f - left) / (centre - left);
      const falling = (right - f) / (right - centre);
      const w = Math.max(0, Math.min(rising, falling));
      if (w > 0) {
        // librosa stores the triangle in float32, then scales it in place.
        row[k] = Math.fround(Math.fround(w) * norm);
        if (first < 0) first = k;
        last = k;
      }
    }
    filters.push(first < 0 ? { first: 0, weights: new Float64Array(0) } : { first, weights: row.slice(first, last + 1) });
  }
  return filters;
}

const melCache = new Map<string, MelFilter[]>();
export function cachedMelFilterbank(sampleRate: number, nFft: number, nMels: number): MelFilter[] {
  const key = `${sampleRate}/${nFft}/${nMels}`;
  let bank = melCache.get(key);
  if (!bank) melCache.set(key, (bank = melFilterbank(sampleRate, nFft, nMels)));
  return bank;
}

/** Applies a sparse filterbank to one magnitude spectrum. */
export function applyMel(filters: MelFilter[], magnitude: Float64Array, out: Float64Array): void {
  for (let m = 0; m < filters.length; m++) {
    const { first, weights } = filters[m]!;
    let s = 0;
    for (let i = 0; i < weights.length; i++) s += weights[i]! * magnitude[first + i]!;
    out[m] = s;
  }
}
