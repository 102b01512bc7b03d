/**
 * What the chunk engine of the learned audio codecs (index.ts) needs from a model: a mono
 * signal at the model's rate cut into latent frames of `hop` samples, coded chunk by chunk as a
 * z and a y stream. Two models fill it: AudioHyperpriorModel (learned transforms, hyperprior.ts)
 * and AudioMdctModel (a fixed MDCT with a learned entropy model, mdct-model.ts).
 */
import type { HyperLatents, LatentStreams } from '../learned/hyperprior.js';

/** A chunk's streams of one coded channel: z, y and, for models with side information, its section. */
export type ChunkStreams = LatentStreams & { side?: Uint8Array };

/** Where a chunk's latent sits in the file: its first latent frame and its coded channel. */
export interface LatentPlace {
  frame: number;
  channel: number;
}

export interface AudioLatentModel {
  readonly name: string;
  readonly files: { hash: Uint8Array };
  readonly qualities: readonly number[];
  readonly sampleRate: number;
  /** Samples per latent frame. */
  readonly hop: number;
  /** Latent frames per hyper-latent frame: chunk lengths are multiples of it. */
  readonly zStride: number;
  /** Latent frames of signal each side of a chunk that analyse reads and synthesise needs. */
  readonly context: number;
  /**
   * Models whose step follows each chunk's loudness: `of` gives a chunk's level index (in
   * [min, max]) from its own samples, every coded channel; the file stores one per chunk.
   * Absent: every chunk is at level 0.
   */
  readonly levels?: { min: number; max: number; of(chunk: Float32Array[]): number };
  /** Whether each chunk and coded channel has a third section (`side`) after its z and y. */
  readonly sideStreams?: boolean;
  checkQuality(quality: number): void;
  /** Latent frames that code `samples` samples at the model's rate. */
  frames(samples: number): number;
  /** One chunk's gained latent (M × frames) from (context + frames + context) · hop samples, at the chunk's level. */
  analyse(x: Float32Array, frames: number, q: number, level: number): Promise<Float32Array>;
  encodeLatent(y: Float32Array, frames: number, q: number): Promise<ChunkStreams>;
  /** The latents of one chunk and what the synthesis reads (yHat). */
  decodeLatent(s: ChunkStreams, frames: number, q: number, at: LatentPlace, level: number): Promise<HyperLatents & { yHat: Float32Array }>;
  /** frames · hop samples of one chunk from its latent and its neighbours'. */
  synthesise(cur: Float32Array, frames: number, prev?: { yHat: Float32Array; frames: number }, next?: { yHat: Float32Array; frames: number }): Promise<Float32Array>;
  /** The shortest z stream that can hold a chunk of `frames` latent frames. */
  minZStreamBytes(frames: number): number;
}

/** Latent frames per chunk for `total` latent frames: chunks of `chunkFrames`, each rounded up to a multiple of z_stride. */
export function frameLayout(total: number, zStride: number, chunkFrames: number): number[] {
  if (chunkFrames % zStride !== 0) throw new RangeError(`chunk of ${chunkFrames} frames is not a multiple of ${zStride}`);
  const out: number[] = [];
  for (let start = 0; start < total; start += chunkFrames) {
    const f = Math.min(chunkFrames, total - start);
    out.push(Math.ceil(f / zStride) * zStride);
  }
  return out;
}
