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
import { getSession, nodeEngine, ort, run1, type RuntimeOptions } from '../../src/runtime/onnx.js';
import { HyperpriorCoder, checkQuality, type HyperLatents, type ZShape } from '../learned/hyperprior.js';
import { IntegerHyperSynthesis } from '../learned/integer-hs.js';
import { LatentCoder } from '../learned/latent-coder.js';
import { dequantize, quantizeZ, scaleChannels } from '../learned/quantize.js';
import type { AudioGraph, AudioModelFiles } from './bundle.js';
import { frameLayout, type AudioLatentModel, type ChunkStreams } from './model.js';

/** Latent frames per chunk: 600 frames = 8 s at 24 kHz with hop 320. */
export const CHUNK_FRAMES = 600;

export type { ChunkStreams } from './model.js';

/** The chunk layout of a signal of `samples` samples: latent frames per chunk (each a multiple of z_stride). */
export function chunkLayout(samples: number, hop: number, zStride: number, chunkFrames = CHUNK_FRAMES): number[] {
  return frameLayout(Math.max(1, Math.ceil(samples / hop)), zStride, chunkFrames);
}

export class AudioHyperpriorModel implements AudioLatentModel {
  readonly qualities: readonly number[];
  readonly sampleRate: number;
  readonly hop: number;
  readonly zStride: number;
  readonly context: number;
  private readonly coder: HyperpriorCoder;
  /** Predicts z_stride latent frames per z frame: output channel c · z_stride + j is frame t · z_stride + j. */
  private readonly hs: IntegerHyperSynthesis;

  constructor(readonly name: string, readonly files: AudioModelFiles, readonly runtime: RuntimeOptions = {}) {
    const b = files.bundle;
    this.qualities = Array.from({ length: b.qualities }, (_, i) => i);
    this.sampleRate = b.arch.sample_rate;
    this.hop = b.arch.hop;
    this.zStride = b.arch.z_stride;
    this.context = b.arch.context;
    this.coder = new HyperpriorCoder(new LatentCoder(b));
    this.hs = new IntegerHyperSynthesis(b.h_s_int, b.izgain, files.graph('h_s_int'), nodeEngine(runtime), this.zStride);
  }

  private session(name: Exclude<AudioGraph, 'h_s_int'>): Promise<ort.InferenceSession> {
    return getSession(this.files.graph(name), this.runtime);
  }

  checkQuality(quality: number): void {
    checkQuality(this.name, quality, this.qualities);
  }

  /** One latent frame per hop, the last one partly past the end. */
  frames(samples: number): number {
    return Math.max(1, Math.ceil(samples / this.hop));
  }

  /** The z grid of a chunk of `frames` latent frames. */
  private zShape(frames: number): ZShape {
    return { channels: this.files.bundle.arch.Nz, positions: frames / this.zStride };
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
    return this.coder.minZBytes(this.zShape(frames));
  }

  /** Entropy-codes one chunk's gained latent (M × frames). */
  async encodeLatent(y: Float32Array, frames: number, q: number): Promise<ChunkStreams> {
    const { M } = this.files.bundle.arch;
    const zFrames = frames / this.zStride;
    const z = (await run1(await this.session('h_a'), new ort.Tensor('float32', y, [1, M, frames]))).data as Float32Array;
    // The gained z in float64 (one rounding, in Math.round).
    const zHat = quantizeZ(scaleChannels(Float64Array.from(z), this.files.bundle.zgain[q]!, zFrames));
    return (await this.coder.encode(y, zHat, this.zShape(frames), (zh) => this.hyperSynthesis(zh, q, zFrames))).streams;
  }

  /** Entropy-decodes one chunk: its latents (ẑ, indexes, means, symbols) and y_hat · igain[q] (M × frames). */
  async decodeLatent(s: ChunkStreams, frames: number, q: number): Promise<HyperLatents & { yHat: Float32Array }> {
    const zFrames = frames / this.zStride;
    const latents = await this.coder.decode(s, this.zShape(frames), (zh) => this.hyperSynthesis(zh, q, zFrames));
    return { ...latents, yHat: dequantize(latents.symbols, latents.mu, this.files.bundle.igain[q]!) };
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
  private hyperSynthesis(zHat: Int32Array, q: number, zFrames: number): Promise<{ mu: Float32Array; index: Int32Array }> {
    return this.hs.run(zHat, q, [1, this.files.bundle.arch.Nz, 1, zFrames], zFrames);
  }
}
