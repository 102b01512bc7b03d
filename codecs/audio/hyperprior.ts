/**
 * Learned audio codec, one mono signal at the model's rate: a transform codec with a mean-scale
 * hyperprior, run with ONNX Runtime and entropy-coded with entropy/.
 *
 * Glossary: x waveform, y latent (g_a, one frame per `hop` samples), z hyper-latent (h_a, one
 * frame per `z_stride` latent frames), z_hat / y_hat quantized, mu / scale index what the integer
 * hyper-synthesis predicts for y.
 *
 * The signal is cut into chunks of `chunkFrames` latent frames, coded independently (a z and a y
 * stream each), so memory does not grow with duration. g_a and g_s still see `context` frames of
 * the neighbouring chunks, so chunk borders leave no seams: the encoder reads that much signal
 * beyond the chunk, the decoder decodes the next chunk's latents before synthesising this one.
 *
 * Only integers decide probabilities (z_hat, the integer h_s output, integer thresholds), so a
 * file decodes bit-exactly in its symbols whatever the thread count, graph optimization or backend.
 */
import { indexFromThresholds } from '../../entropy/index.js';
import { CorruptFileError } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import { getSession, ort, run1, type RuntimeOptions } from '../../src/runtime/onnx.js';
import { LatentCoder } from '../image/latent-coding.js';
import type { AudioGraph, AudioModelFiles } from './bundle.js';

/** Latent frames per chunk: 600 frames = 8 s at 24 kHz with hop 320. */
export const CHUNK_FRAMES = 600;

export interface ChunkStreams {
  z: Uint8Array;
  y: Uint8Array;
}

/** The chunk layout of a signal of `samples` samples: latent frames per chunk (each a multiple of z_stride). */
export function chunkLayout(samples: number, hop: number, zStride: number, chunkFrames = CHUNK_FRAMES): number[] {
  if (chunkFrames % zStride !== 0) throw new RangeError(`chunk of ${chunkFrames} frames is not a multiple of ${zStride}`);
  const total = Math.max(1, Math.ceil(samples / hop));
  const out: number[] = [];
  for (let start = 0; start < total; start += chunkFrames) {
    const f = Math.min(chunkFrames, total - start);
    out.push(Math.ceil(f / zStride) * zStride);
  }
  return out;
}

export class AudioHyperpriorModel {
  readonly qualities: readonly number[];
  readonly sampleRate: number;
  readonly hop: number;
  readonly zStride: number;
  readonly context: number;
  private readonly coder: LatentCoder;
  /** Per quality and z channel: izgain / s_in, the input scale of the integer h_s. */
  private readonly hsInputFactor: Float64Array[];

  constructor(readonly name: string, readonly files: AudioModelFiles, readonly runtime: RuntimeOptions = {}) {
    const b = files.bundle;
    this.qualities = Array.from({ length: b.qualities }, (_, i) => i);
    this.sampleRate = b.arch.sample_rate;
    this.hop = b.arch.hop;
    this.zStride = b.arch.z_stride;
    this.context = b.arch.context;
    this.coder = new LatentCoder(b);
    this.hsInputFactor = b.izgain.map((g) => Float64Array.from(g, (v) => v / b.h_s_int.s_in));
  }

  private session(name: AudioGraph): Promise<ort.InferenceSession> {
    return getSession(this.files.graph(name), this.runtime);
  }

  checkQuality(quality: number): void {
    if (!Number.isInteger(quality) || quality < 0 || quality >= this.qualities.length) {
      throw new InputError(`quality ${quality} is out of range for ${this.name}: use an integer 0..${this.qualities.length - 1}`);
    }
  }

  /**
   * g_a over one chunk: `x` holds (context + frames + context) · hop samples, the chunk with its
   * context either side (zeros beyond the signal). Returns y · gain[q], M × frames, planar.
   */
  async analyse(x: Float32Array, frames: number, q: number): Promise<Float32Array> {
    const { M } = this.files.bundle.arch;
    const ctx = this.context;
    const total = frames + 2 * ctx;
    if (x.length !== total * this.hop) throw new RangeError(`analyse: expected ${total * this.hop} samples, got ${x.length}`);
    const yAll = (await run1(await this.session('g_a'), new ort.Tensor('float32', x, [1, 1, x.length]))).data as Float32Array;
    const y = new Float32Array(M * frames);
    const gain = this.files.bundle.gain[q]!;
    for (let c = 0; c < M; c++) {
      const g = gain[c]!;
      const src = c * total + ctx;
      for (let t = 0; t < frames; t++) y[c * frames + t] = yAll[src + t]! * g;
    }
    return y;
  }

  /**
   * The shortest z stream that can hold a chunk of `frames` latent frames (its minimum code
   * length under the z tables): a header declaring more audio than its streams could hold is
   * refused with it before anything is decoded or allocated.
   */
  minZStreamBytes(frames: number): number {
    return this.coder.minZBytes(this.files.bundle.arch.Nz, frames / this.zStride);
  }

  /** Entropy-codes one chunk's gained latent (M × frames). */
  async encodeLatent(y: Float32Array, frames: number, q: number): Promise<ChunkStreams> {
    const { M, Nz } = this.files.bundle.arch;
    const zFrames = frames / this.zStride;
    const z = (await run1(await this.session('h_a'), new ort.Tensor('float32', y, [1, M, frames]))).data as Float32Array;
    const zgain = this.files.bundle.zgain[q]!;
    const zHat = new Int32Array(Nz * zFrames);
    for (let c = 0; c < Nz; c++) {
      for (let t = 0; t < zFrames; t++) {
        const i = c * zFrames + t;
        zHat[i] = Math.max(-(1 << 24), Math.min(1 << 24, Math.round(z[i]! * zgain[c]!)));
      }
    }
    const zBytes = this.coder.encodeZ(zHat, Nz, zFrames);
    const { mu, index } = await this.hyperSynthesis(zHat, q, zFrames);
    const sym = new Int32Array(y.length);
    for (let i = 0; i < y.length; i++) sym[i] = Math.round(y[i]! - mu[i]!);
    return { z: zBytes, y: this.coder.encodeY(sym, index) };
  }

  /** Entropy-decodes one chunk: the symbols round(y − mu) and y_hat · igain[q] (M × frames). */
  async decodeLatent(s: ChunkStreams, frames: number, q: number): Promise<{ symbols: Int32Array; yHat: Float32Array }> {
    const { M, Nz } = this.files.bundle.arch;
    const zFrames = frames / this.zStride;
    const zHat = this.coder.decodeZ(s.z, Nz, zFrames);
    const { mu, index } = await this.hyperSynthesis(zHat, q, zFrames);
    const symbols = this.coder.decodeY(s.y, index);
    const yHat = new Float32Array(symbols.length);
    const igain = this.files.bundle.igain[q]!;
    for (let c = 0; c < M; c++) {
      const g = igain[c]!;
      for (let i = c * frames; i < (c + 1) * frames; i++) yHat[i] = (symbols[i]! + mu[i]!) * g;
    }
    return { symbols, yHat };
  }

  /**
   * g_s over one chunk with its neighbours' latents as context: `prev` and `next` are the
   * neighbouring chunks' y_hat (or undefined at the ends, read as zeros). Returns frames · hop samples.
   */
  async synthesise(cur: Float32Array, frames: number, prev?: { yHat: Float32Array; frames: number }, next?: { yHat: Float32Array; frames: number }): Promise<Float32Array> {
    const { M } = this.files.bundle.arch;
    const ctx = this.context;
    const total = frames + 2 * ctx;
    const input = new Float32Array(M * total);
    for (let c = 0; c < M; c++) {
      const row = c * total;
      input.set(cur.subarray(c * frames, (c + 1) * frames), row + ctx);
      if (prev) {
        const take = Math.min(ctx, prev.frames);
        const src = c * prev.frames + prev.frames - take;
        input.set(prev.yHat.subarray(src, src + take), row + ctx - take);
      }
      if (next) {
        const take = Math.min(ctx, next.frames);
        input.set(next.yHat.subarray(c * next.frames, c * next.frames + take), row + ctx + frames);
      }
    }
    const x = (await run1(await this.session('g_s'), new ort.Tensor('float32', input, [1, M, total]))).data as Float32Array;
    if (x.length !== total * this.hop) throw new Error(`g_s returned ${x.length} samples, expected ${total * this.hop}`);
    return x.slice(ctx * this.hop, (ctx + frames) * this.hop);
  }

  /** Integer h_s: z_hat → per latent element its mean and scale-table index. */
  private async hyperSynthesis(zHat: Int32Array, q: number, zFrames: number): Promise<{ mu: Float32Array; index: Int32Array }> {
    const { M, Nz } = this.files.bundle.arch;
    const r = this.zStride;
    const a0 = new Uint8Array(zHat.length);
    const f = this.hsInputFactor[q]!;
    for (let c = 0; c < Nz; c++) {
      const fc = f[c]!;
      for (let i = c * zFrames; i < (c + 1) * zFrames; i++) {
        const v = Math.round(zHat[i]! * fc) + 128;
        a0[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    const acc = (await run1(await this.session('h_s_int'), new ort.Tensor('uint8', a0, [1, Nz, 1, zFrames]))).data as Int32Array;
    if (acc.length !== 2 * M * r * zFrames) throw new CorruptFileError(`integer h_s returned ${acc.length} values, expected ${2 * M * r * zFrames}`);
    const frames = zFrames * r;
    const half = M * r;
    const { k_mu, c_mu, thresholds } = this.files.bundle.h_s_int;
    const mu = new Float32Array(M * frames);
    const index = new Int32Array(M * frames);
    for (let oc = 0; oc < half; oc++) {
      const c = Math.floor(oc / r);
      const j = oc % r;
      const k = k_mu[oc]!, b = c_mu[oc]!, T = thresholds[oc]!;
      const muRow = oc * zFrames, sRow = (half + oc) * zFrames;
      for (let t = 0; t < zFrames; t++) {
        const i = c * frames + t * r + j;
        mu[i] = acc[muRow + t]! * k + b;
        index[i] = indexFromThresholds(T, acc[sRow + t]!);
      }
    }
    return { mu, index };
  }
}

