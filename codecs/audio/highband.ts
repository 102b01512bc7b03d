/**
 * High-band extension: what a learned codec at the model's rate (24 kHz, so nothing above
 * 12 kHz) cannot carry of a 32–48 kHz input is coded as a coarse spectral envelope and
 * rebuilt as shaped noise, as HE-AAC's SBR and Opus's CELT band energies do.
 *
 * Frames: hop h = the power of two nearest 20 ms at the input's rate, sine window of 2h;
 * frame t spans input samples [(t − 1)·h, (t + 1)·h) (zeros outside the signal), frames
 * 0 .. ceil(samples / h). Per frame and band, the level is the band's mean power per FFT bin,
 * coded as round(10·log10(power) / LEVEL_DB) (SILENT when below the floor), time-differenced
 * per band and entropy-coded with one fixed discrete-Laplacian table (entropy/).
 *
 * The decoder adds, per frame, noise with those band powers (random phases, deterministic per
 * channel and frame), windowed and overlap-added: any range of samples can be made on its own,
 * so a streaming decoder needs no state.
 */
import { CdfTables, IndexedEntropyModel } from '../../entropy/index.js';
import { RealFft } from '../../src/metrics/fft.js';

/**
 * Band edges in Hz above the first band's lower edge, which is the passband edge of the
 * resampler that feeds the model (11 kHz for a 24 kHz model).
 */
const EDGES_HZ = [12500, 14500, 16500, 19000, 22000, 24000];
const PASSBAND = 11 / 12;
/** A band narrower than this at the top is merged into the one below. */
const MIN_BAND_HZ = 600;
/** Frame hop: the power of two nearest this many seconds at the input's rate. */
const FRAME_SECONDS = 0.02;
/** Level step in dB. */
const LEVEL_DB = 4.5;
/** The level coded for silence: mean bin powers below −120 dB. */
export const SILENT = Math.round(-120 / LEVEL_DB);
/** The highest level (+58.5 dB). */
const MAX_LEVEL = 13;
/** Differences beyond ±DELTA_RANGE go through the coder's escape. */
const DELTA_RANGE = 24;
/** Scale (in level steps) of the Laplacian the differences are coded with. */
const DELTA_SCALE = 0.6;

export interface HighbandLayout {
  sampleRate: number;
  hop: number;
  /** FFT bins [from, to) of each band. */
  bands: [number, number][];
}

/** The layout for an input at `sampleRate`, or undefined when it has nothing above the model's band. */
export function highbandLayout(sampleRate: number, modelRate: number): HighbandLayout | undefined {
  const nyquist = sampleRate / 2;
  const low = (PASSBAND * modelRate) / 2;
  const top = Math.min(nyquist, EDGES_HZ[EDGES_HZ.length - 1]!);
  if (sampleRate <= modelRate || top < low + MIN_BAND_HZ) return undefined;
  const hop = 2 ** Math.round(Math.log2(sampleRate * FRAME_SECONDS));
  const n = 2 * hop;
  const edges = [low, ...EDGES_HZ.filter((e) => e > low + MIN_BAND_HZ && e < top - MIN_BAND_HZ), top];
  const bin = (hz: number): number => Math.min(hop, Math.round((hz * n) / sampleRate));
  const bands: [number, number][] = [];
  // The top band takes the Nyquist bin when it reaches it.
  for (let b = 0; b + 1 < edges.length; b++) bands.push([bin(edges[b]!), edges[b + 1] === nyquist ? hop + 1 : bin(edges[b + 1]!)]);
  return { sampleRate, hop, bands };
}

/** Frames of a signal of `samples` samples. */
export function highbandFrames(layout: HighbandLayout, samples: number): number {
  return Math.ceil(samples / layout.hop) + 1;
}

function sineWindow(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / n));
}

function levelOf(power: number): number {
  if (!(power > 0)) return SILENT;
  return Math.max(SILENT, Math.min(MAX_LEVEL, Math.round((10 * Math.log10(power)) / LEVEL_DB)));
}

function powerOf(level: number): number {
  return level <= SILENT ? 0 : 10 ** ((level * LEVEL_DB) / 10);
}

/**
 * Measures the band levels of one channel fed in consecutive pieces; finish() returns them,
 * frame-major (frames × bands). Holds one frame of signal besides the levels.
 */
export class HighbandAnalyser {
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly frame: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  /** The last 2·hop samples seen (frame t's span once `seen` reaches (t + 1)·hop). */
  private readonly tail: Float32Array;
  private seen = 0;
  private next = 0;
  private levels: Int8Array = new Int8Array(1024);

  constructor(readonly layout: HighbandLayout) {
    const n = 2 * layout.hop;
    this.fft = new RealFft(n);
    this.window = sineWindow(n);
    this.frame = new Float64Array(n);
    this.re = new Float64Array(this.fft.bins);
    this.im = new Float64Array(this.fft.bins);
    this.tail = new Float32Array(n);
  }

  push(x: Float32Array): void {
    const { hop } = this.layout;
    let at = 0;
    while (at < x.length) {
      // Fill up to the end of the next frame's span, then analyse it.
      const end = (this.next + 1) * hop;
      const take = Math.min(x.length - at, end - this.seen);
      this.tail.copyWithin(0, take);
      this.tail.set(x.subarray(at, at + take), this.tail.length - take);
      at += take;
      this.seen += take;
      if (this.seen === end) this.analyseFrame();
    }
  }

  /** The levels of all frames of the `samples` samples pushed. */
  finish(): Int8Array {
    const frames = highbandFrames(this.layout, this.seen);
    while (this.next < frames) {
      // Zeros beyond the signal complete the last frames' spans.
      const end = (this.next + 1) * this.layout.hop;
      const pad = end - this.seen;
      this.tail.copyWithin(0, pad);
      this.tail.fill(0, this.tail.length - pad);
      this.seen = end;
      this.analyseFrame();
    }
    return this.levels.slice(0, frames * this.layout.bands.length);
  }

  private analyseFrame(): void {
    const { bands } = this.layout;
    const n = this.frame.length;
    for (let i = 0; i < n; i++) this.frame[i] = this.tail[i]! * this.window[i]!;
    this.fft.forward(this.frame, this.re, this.im);
    const nb = bands.length;
    if ((this.next + 1) * nb > this.levels.length) {
      const grown = new Int8Array(this.levels.length * 2);
      grown.set(this.levels);
      this.levels = grown;
    }
    for (let b = 0; b < nb; b++) {
      const [from, to] = bands[b]!;
      let p = 0;
      for (let k = from; k < to; k++) p += this.re[k]! ** 2 + this.im[k]! ** 2;
      this.levels[this.next * nb + b] = levelOf(p / (to - from));
    }
    this.next++;
  }
}

let deltaModel: IndexedEntropyModel | undefined;

/** The one table of level differences: a discrete Laplacian over ±DELTA_RANGE. */
function levelDeltaModel(): IndexedEntropyModel {
  if (!deltaModel) {
    const pmf = Float64Array.from({ length: 2 * DELTA_RANGE + 1 }, (_, i) => Math.exp(-Math.abs(i - DELTA_RANGE) / DELTA_SCALE));
    deltaModel = new IndexedEntropyModel(CdfTables.fromPmfs({ pmfs: [pmf], offsets: [-DELTA_RANGE] }));
  }
  return deltaModel;
}

/** Entropy-codes levels (frames × bands): each band's differences from its previous frame (SILENT before the first). */
export function encodeLevels(levels: Int8Array, bands: number): Uint8Array {
  const d = new Int32Array(levels.length);
  for (let i = 0; i < levels.length; i++) d[i] = levels[i]! - (i >= bands ? levels[i - bands]! : SILENT);
  return levelDeltaModel().compress(d, new Int32Array(d.length));
}

/** Decodes `frames` frames of levels; throws on a damaged stream or a level out of range. */
export function decodeLevels(bytes: Uint8Array, frames: number, bands: number, onError: (message: string) => Error): Int8Array {
  const d = levelDeltaModel().decompress(bytes, new Int32Array(frames * bands));
  const levels = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]! + (i >= bands ? levels[i - bands]! : SILENT);
    if (v < SILENT || v > MAX_LEVEL) throw onError(`high-band level ${v} out of range`);
    levels[i] = v;
  }
  return levels;
}

/** mulberry32: a small deterministic generator, seeded per channel and frame. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rebuilds one channel's high band as shaped noise, samples [from, to) of the signal. */
export class HighbandSynthesiser {
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly frame: Float64Array;
  private readonly frames: number;

  constructor(readonly layout: HighbandLayout, private readonly levels: Int8Array, private readonly channel: number) {
    const n = 2 * layout.hop;
    this.fft = new RealFft(n);
    this.window = sineWindow(n);
    this.re = new Float64Array(this.fft.bins);
    this.im = new Float64Array(this.fft.bins);
    this.frame = new Float64Array(n);
    this.frames = levels.length / layout.bands.length;
  }

  /** Adds the high band of samples [from, to) into out[0 .. to − from). */
  addTo(out: Float32Array, from: number): void {
    const { hop } = this.layout;
    const to = from + out.length;
    const first = Math.floor(from / hop);
    const last = Math.min(this.frames - 1, Math.floor((to - 1) / hop) + 1);
    for (let t = first; t <= last; t++) {
      const start = (t - 1) * hop;
      if (!this.synthesiseFrame(t)) continue;
      const a = Math.max(start, from);
      const b = Math.min(start + 2 * hop, to);
      for (let i = a; i < b; i++) out[i - from]! += this.frame[i - start]!;
    }
  }

  /** Frame t's windowed noise into this.frame; false when the frame is silent. */
  private synthesiseFrame(t: number): boolean {
    const { bands } = this.layout;
    const nb = bands.length;
    this.re.fill(0);
    this.im.fill(0);
    let any = false;
    const rand = random(Math.imul(t + 1, 0x9e3779b1) ^ Math.imul(this.channel + 1, 0x85ebca77));
    for (let b = 0; b < nb; b++) {
      const p = powerOf(this.levels[t * nb + b]!);
      const [from, to] = bands[b]!;
      // Noise of mean bin power 2p comes out at power p per bin through the two sine windows.
      const amp = Math.sqrt(2 * p);
      for (let k = from; k < to; k++) {
        const phase = 2 * Math.PI * rand();
        this.re[k] = amp * Math.cos(phase);
        this.im[k] = amp * Math.sin(phase);
      }
      if (p > 0) any = true;
    }
    if (!any) return false;
    this.fft.inverse(this.re, this.im, this.frame);
    for (let i = 0; i < this.frame.length; i++) this.frame[i]! *= this.window[i]!;
    return true;
  }
}
