/**
 * Deterministic test signals built only from integer arithmetic and IEEE +, −, ×, ÷ in a fixed
 * order, so that test/reference/audio_metrics_reference.py reproduces them bit for bit.
 */
import type { Audio } from '../../src/media.js';

/** White noise in [-1, 1) from xorshift32. */
export function noise(seed: number, n: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = 2 * (s / 4294967296) - 1;
  }
  return out;
}

/** One-pole low-pass y[i] = 0.75·y[i−1] + 0.25·x[i]. */
export function lowpass(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  let y = 0;
  for (let i = 0; i < x.length; i++) {
    y = 0.75 * y + 0.25 * x[i]!;
    out[i] = y;
  }
  return out;
}

/** Sawtooth in [-1, 1) with an integer period in samples. */
export function saw(period: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i % period) / period) * 2 - 1;
  return out;
}

/** Reference channel: 0.4·saw + 0.3·lowpass(noise), silent over [n/3, n/2). */
export function referenceChannel(n: number, period: number, seed: number): Float64Array {
  const s = saw(period, n);
  const l = lowpass(noise(seed, n));
  const out = new Float64Array(n);
  const quietFrom = Math.floor(n / 3);
  const quietTo = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i >= quietFrom && i < quietTo ? 0 : 0.4 * s[i]! + 0.3 * l[i]!;
  return out;
}

export function toAudio(sampleRate: number, channels: ArrayLike<number>[]): Audio {
  return { sampleRate, channels: channels.map((c) => Float32Array.from(c)) };
}

export interface ReferenceCase {
  name: string;
  ref: Audio;
  test: Audio;
}

/** The three cases whose metrics test/reference/audio_metrics_reference.py computed. */
export function referenceCases(): ReferenceCase[] {
  // A: mono 16 kHz, gain 0.8 plus a little noise.
  const nA = 24000;
  const refA = referenceChannel(nA, 101, 1);
  const nzA = noise(2, nA);
  const testA = refA.map((v, i) => 0.8 * v + 0.02 * nzA[i]!);

  // B: stereo 44.1 kHz, low-passed, delayed by 2 samples, plus noise.
  const nB = 30000;
  const refB = [referenceChannel(nB, 101, 3), referenceChannel(nB, 67, 4)];
  const testB = refB.map((ch, c) => {
    const lp = lowpass(ch);
    const nz = noise(5 + c, nB);
    return ch.map((_, i) => (i >= 2 ? lp[i - 2]! : 0) + 0.01 * nz[i]!);
  });

  // C: short mono 24 kHz clip, loud noise.
  const nC = 3000;
  const refC = referenceChannel(nC, 50, 7);
  const nzC = noise(8, nC);
  const testC = refC.map((v, i) => v + 0.1 * nzC[i]!);

  return [
    { name: 'A', ref: toAudio(16000, [refA]), test: toAudio(16000, [testA]) },
    { name: 'B', ref: toAudio(44100, refB), test: toAudio(44100, testB) },
    { name: 'C', ref: toAudio(24000, [refC]), test: toAudio(24000, [testC]) },
  ];
}

/**
 * A codec-friendly test clip: a 220 Hz harmonic tone with vibrato, plus low-passed noise bursts
 * (broadband content, so cross-correlation finds the alignment sharply). Channel c is shifted in
 * pitch and noise so that stereo is not dual mono.
 */
export function musicLike(sampleRate: number, seconds: number, channels = 1): Audio {
  const n = Math.round(sampleRate * seconds);
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const nz = lowpass(noise(100 + c, n));
    const x = new Float32Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const t = i / sampleRate;
      const f0 = 220 * (1 + 0.1 * c) * (1 + 0.01 * Math.sin(2 * Math.PI * 5 * t));
      phase += (2 * Math.PI * f0) / sampleRate;
      let tone = 0;
      for (let h = 1; h <= 8; h++) tone += Math.sin(h * phase) / h;
      const burst = Math.sin(2 * Math.PI * 2 * t) > 0.3 ? 1 : 0.1;
      x[i] = 0.15 * tone + 0.4 * burst * nz[i]!;
    }
    out.push(x);
  }
  return { sampleRate, channels: out };
}

/** Lag (in samples, positive = `test` late) that maximises the cross-correlation. */
export function bestLag(ref: ArrayLike<number>, test: ArrayLike<number>, maxLag: number): number {
  let best = -Infinity;
  let bestL = 0;
  for (let l = -maxLag; l <= maxLag; l++) {
    let s = 0;
    for (let i = Math.max(0, -l); i < ref.length && i + l < test.length; i++) s += ref[i]! * test[i + l]!;
    if (s > best) {
      best = s;
      bestL = l;
    }
  }
  return bestL;
}
