/**
 * The MDCT audio codec, one mono signal at the model's rate: a fixed MDCT (mdct.ts) whose
 * scaled, rounded coefficients are the latent, coded under a learned mean-scale hyperprior;
 * the decoder rebuilds the waveform by the inverse MDCT.
 *
 * Glossary: X the MDCT frames (hop N coefficients each), gain[q][c] = 1 / (step[q] · w[c]) the
 * perceptual step of quality q and coefficient c, y = X · gain the latent, ŷ its symbols
 * (round after a dead zone), z the hyper-latent (h_a of log(|y| + 10⁻⁴), y before the dead
 * zone: the levels far below a step tell the fill), σ the scale the integer
 * h_s predicts for each symbol (its mean is 0), f the log spread it predicts for the
 * coefficients coded as 0 (in the half of its output other models use for means).
 *
 * Noise filling: a coefficient coded as 0 is rebuilt as deterministic pseudo-random noise (a hash
 * of its frame, channel and index) of spread min(exp(f), the dead zone's half width) ·
 * noise_fill[q] · fill_shape[c]: at low rates whole bands quantize to zero, and without it they
 * would go silent (the mel distance sees that), while the coded coefficients keep the waveform.
 * fill_shape rises above 1 kHz: the predicted spread alone left the upper bands too quiet. f
 * comes from the same integers as the table indexes, so the filled noise is the same on every
 * machine up to float rounding.
 *
 * Level: with a `level` in the bundle, the encoder picks one index per chunk from the chunk's
 * loudness and multiplies y by 10^(index · step_db / 20), the decoder divides ŷ by it: the step
 * follows the signal, so a quiet recording (or a quiet passage, chunk by chunk) keeps the
 * detail a loud one gets; the mel distance, like the ear, sees errors relative to the signal's
 * own level, and an absolute step coarsened quiet audio into noise fill.
 *
 * Entropy coding (bundle `context`, `tns`): the σ index of each symbol is moved by a context on
 * the symbols decoded before it (codecs/learned/scale-context.ts); the bundle's tables are
 * Laplacian. With TNS (tns.ts) the coded coefficients above 1 kHz are a prediction residual
 * along frequency in the frames where that pays, filtered back after the noise fill.
 *
 * Frame t covers samples [(t − 1) N, (t + 1) N), so a signal of n samples takes ⌈n / N⌉ + 1
 * frames; a chunk reads one frame of signal either side (context 1) and its synthesis needs the
 * next chunk's first frame.
 */
import { getSession, nodeEngine, ort, run1, type RuntimeOptions } from '../../src/runtime/onnx.js';
import { HyperpriorCoder, checkQuality, type HyperLatents, type ZShape } from '../learned/hyperprior.js';
import { IntegerHyperSynthesis } from '../learned/integer-hs.js';
import { LatentCoder } from '../learned/latent-coder.js';
import { quantizeZ, scaleChannels } from '../learned/quantize.js';
import { ScaleContext } from '../learned/scale-context.js';
import { Tns } from './tns.js';
import type { MdctModelFiles } from './bundle.js';
import { Mdct } from './mdct.js';
import type { AudioLatentModel, ChunkStreams, LatentPlace } from './model.js';

/** Uniform in [−1, 1) from a frame, a channel and a coefficient: the same everywhere. */
export function noiseValue(frame: number, channel: number, k: number): number {
  let h = Math.imul(frame ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(channel + 1, 0xc2b2ae35) ^ Math.imul(k + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 2 ** 31 - 1;
}

export class AudioMdctModel implements AudioLatentModel {
  readonly qualities: readonly number[];
  readonly sampleRate: number;
  readonly hop: number;
  readonly zStride: number;
  readonly context = 1;
  private readonly mdct: Mdct;
  private readonly coder: HyperpriorCoder;
  private readonly hs: IntegerHyperSynthesis;
  private readonly scaleContext?: ScaleContext;
  private readonly tns?: Tns;
  readonly sideStreams: boolean;
  readonly levels?: { min: number; max: number; of(chunk: Float32Array[]): number };

  constructor(readonly name: string, readonly files: MdctModelFiles, readonly runtime: RuntimeOptions = {}) {
    const b = files.bundle;
    this.qualities = Array.from({ length: b.qualities }, (_, i) => i);
    this.sampleRate = b.arch.sample_rate;
    this.hop = b.arch.hop;
    this.zStride = b.arch.z_stride;
    this.mdct = new Mdct(this.hop);
    this.coder = new HyperpriorCoder(new LatentCoder(b));
    this.hs = new IntegerHyperSynthesis(b.h_s_int, b.izgain, files.graph('h_s_int'), nodeEngine(runtime), this.zStride);
    if (b.context) this.scaleContext = new ScaleContext(b.context, b.y.scale_table.length);
    if (b.tns) this.tns = new Tns(b.tns, b.arch.M);
    this.sideStreams = this.tns !== undefined;
    const lv = b.level;
    if (lv) {
      this.levels = {
        min: lv.min,
        max: lv.max,
        of(chunk: Float32Array[]): number {
          let e = 0;
          let n = 0;
          for (const x of chunk) {
            for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
            n += x.length;
          }
          const db = 10 * Math.log10(n > 0 ? e / n : 0);
          const index = Number.isFinite(db) ? Math.round((lv.ref_db - db) / lv.step_db) : lv.max;
          return Math.min(lv.max, Math.max(lv.min, index));
        },
      };
    }
  }

  /** The factor on y of a chunk at level index `level`. */
  private levelGain(level: number): number {
    return this.files.bundle.level ? 10 ** ((level * this.files.bundle.level.step_db) / 20) : 1;
  }

  checkQuality(quality: number): void {
    checkQuality(this.name, quality, this.qualities);
  }

  frames(samples: number): number {
    return Math.ceil(samples / this.hop) + 1;
  }

  private zShape(frames: number): ZShape {
    return { channels: this.files.bundle.arch.Nz, positions: frames / this.zStride };
  }

  minZStreamBytes(frames: number): number {
    return this.coder.minZBytes(this.zShape(frames));
  }

  /**
   * `x` holds (frames + 2) · N samples, sample 0 being sample (first − 1) · N of the signal
   * (the chunk with one frame of context either side), which is where the chunk's first frame
   * starts. Returns y = X · gain[q] · (the level's factor) (before the dead zone), M × frames.
   */
  async analyse(x: Float32Array, frames: number, q: number, level = 0): Promise<Float32Array> {
    const n = this.hop;
    if (x.length !== (frames + 2) * n) throw new RangeError(`analyse: expected ${(frames + 2) * n} samples, got ${x.length}`);
    const m = this.levelGain(level);
    return scaleChannels(this.mdct.forward(x, frames), this.files.bundle.gain[q]!.map((g) => g * m), frames);
  }

  /** h_a reads y; the coded symbols are round(y shrunk toward 0 by the dead zone θ). */
  async encodeLatent(y0: Float32Array, frames: number, q: number): Promise<ChunkStreams> {
    let y = y0;
    let side: Uint8Array | undefined;
    if (this.tns) {
      // the filter works on the coefficients (y times the step shape w[c] = gain[0] / gain[c])
      const gain = this.files.bundle.gain[q]!;
      y = y0.slice();
      side = this.tns.analyse(y, frames, gain.map((g) => gain[0]! / g));
    }
    const z = (await run1(await getSession(this.files.graph('h_a'), this.runtime), new ort.Tensor('float32', y, [1, this.hop, frames]))).data as Float32Array;
    const zHat = quantizeZ(scaleChannels(Float64Array.from(z), this.files.bundle.zgain[q]!, frames / this.zStride));
    const theta = this.files.bundle.deadzone;
    const shrunk = y.map((v) => (v > theta ? v - theta : v < -theta ? v + theta : 0));
    const params = async (zh: Int32Array) => (await this.hyperSynthesis(zh, q, frames / this.zStride)).params;
    const { streams } = await this.coder.encode(shrunk, zHat, this.zShape(frames), params, this.scaleContext?.forColumns(frames));
    return side ? { ...streams, side } : streams;
  }

  /** The chunk's symbols, and yHat: the coefficients, noise-filled where a symbol is 0. */
  async decodeLatent(s: ChunkStreams, frames: number, q: number, at: LatentPlace, chunkLevel = 0): Promise<HyperLatents & { yHat: Float32Array }> {
    let level: Float32Array = new Float32Array(0);
    const latents = await this.coder.decode(s, this.zShape(frames), async (zh) => {
      const r = await this.hyperSynthesis(zh, q, frames / this.zStride);
      level = r.level;
      return r.params;
    }, this.scaleContext?.forColumns(frames));
    const { symbols } = latents;
    const b = this.files.bundle;
    const m = this.levelGain(chunkLevel);
    const igain = b.igain[q]!.map((g) => g / m);
    const fill = b.noise_fill[q]! * Math.sqrt(3); // uniform noise of unit variance
    const cap = 0.5 + b.deadzone;
    const yHat = new Float32Array(symbols.length);
    for (let c = 0; c < this.hop; c++) {
      const g = igain[c]!;
      const fillC = fill * b.fill_shape[c]!;
      for (let t = 0; t < frames; t++) {
        const i = c * frames + t;
        const v = symbols[i]!;
        yHat[i] = v !== 0 ? v * g : fillC * Math.min(cap, Math.exp(Math.min(4, level[i]!))) * noiseValue(at.frame + t, at.channel, c) * g;
      }
    }
    if (this.tns) this.tns.synthesise(yHat, frames, this.tns.read(s.side, frames));
    return { ...latents, yHat };
  }

  /** Samples [first · N, (first + frames) · N) from this chunk's frames and the next chunk's first. */
  async synthesise(cur: Float32Array, frames: number, _prev?: { yHat: Float32Array; frames: number }, next?: { yHat: Float32Array; frames: number }): Promise<Float32Array> {
    const n = this.hop;
    const X = new Float32Array(n * (frames + 1));
    for (let c = 0; c < n; c++) {
      X.set(cur.subarray(c * frames, (c + 1) * frames), c * (frames + 1));
      if (next) X[c * (frames + 1) + frames] = next.yHat[c * next.frames]!;
    }
    return this.mdct.inverse(X, frames + 1);
  }

  /** Integer h_s: the coder's parameters (zero means, scale indexes) and the fill level f. */
  private async hyperSynthesis(zHat: Int32Array, q: number, zFrames: number): Promise<{ params: { mu: Float32Array; index: Int32Array }; level: Float32Array }> {
    const { mu, index } = await this.hs.run(zHat, q, [1, this.files.bundle.arch.Nz, 1, zFrames], zFrames);
    return { params: { mu: new Float32Array(mu.length), index }, level: mu };
  }
}
