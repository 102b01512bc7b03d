/**
 * The coding every learned codec here shares, after CompressAI's hyperprior latent codec: the
 * transforms (g_a, h_a, g_s) stay with each model; this part takes the quantized hyper-latent ẑ
 * and the latent y and, through an entropy-parameter function (an integer h_s, or a temporal
 * entropy network), produces the two streams, and on decoding the same integers back.
 *
 *   encode: ẑ → z stream;  params(ẑ) → (mu, index);  round(y − mu) → y stream under index
 *   decode: z stream → ẑ;  params(ẑ) → (mu, index);  y stream under index → symbols
 *
 * Also here: the quality check and the `.lc` header check all learned codecs make.
 */
import type { Container } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import type { Modality } from '../../src/media.js';
import { LatentCoder } from './latent-coder.js';
import { quantizeAround } from './quantize.js';

/** A coded block (image tile, audio chunk, video tile): its z and y streams. */
export interface LatentStreams {
  z: Uint8Array;
  y: Uint8Array;
}

/**
 * Everything of a block that decides its decoded symbols: integers only. (mu is a float, but
 * computed from an integer accumulator by exact IEEE arithmetic, and it feeds only g_s.)
 */
export interface HyperLatents {
  /** Quantized hyper-latent ẑ, planar channels × positions. */
  zHat: Int32Array;
  /** Scale-table index of every element of y. */
  index: Int32Array;
  /** Predicted means of y, planar like y. */
  mu: Float32Array;
  /** Coded symbols round(y − mu). */
  symbols: Int32Array;
}

/** ẑ → per element of y its mean and scale-table index. */
export type EntropyParameters = (zHat: Int32Array) => Promise<{ mu: Float32Array; index: Int32Array }>;

/** Where ẑ lives: channels × positions (the z stream codes channel by channel). */
export interface ZShape {
  channels: number;
  positions: number;
}

export class HyperpriorCoder {
  constructor(readonly tables: LatentCoder) {}

  /** Codes one block from its gained latent y and quantized hyper-latent ẑ. */
  async encode(y: Float32Array, zHat: Int32Array, z: ZShape, params: EntropyParameters): Promise<{ streams: LatentStreams; latents: HyperLatents }> {
    const zBytes = this.tables.encodeZ(zHat, z.channels, z.positions);
    const { mu, index } = await params(zHat);
    const symbols = quantizeAround(y, mu);
    return { streams: { z: zBytes, y: this.tables.encodeY(symbols, index) }, latents: { zHat, index, mu, symbols } };
  }

  /** Entropy decoding of one block: ẑ, then the entropy parameters, then the y symbols. */
  async decode(s: LatentStreams, z: ZShape, params: EntropyParameters): Promise<HyperLatents> {
    const zHat = this.tables.decodeZ(s.z, z.channels, z.positions);
    const { mu, index } = await params(zHat);
    return { zHat, index, mu, symbols: this.tables.decodeY(s.y, index) };
  }

  /** The shortest z stream that can hold ẑ of this shape (a header declaring more is refused with it). */
  minZBytes(z: ZShape): number {
    return this.tables.minZBytes(z.channels, z.positions);
  }
}

/** Throws InputError unless `quality` is one of a learned model's levels 0..count − 1. */
export function checkQuality(model: string, quality: number, count: number): void {
  if (!Number.isInteger(quality) || quality < 0 || quality >= count) {
    throw new InputError(`quality ${quality} is out of range for ${model}: use an integer 0..${count - 1}`);
  }
}

/**
 * Checks that an `.lc` file is of `modality` and was made by this model with these weights
 * (`hash`: the first bytes of the weights hash, as written), and that its quality is one of the
 * model's `qualities` levels. InputError otherwise.
 */
export function checkHeader(c: Container, modality: Modality, model: string, hash: Uint8Array, qualities: number): void {
  if (c.modality !== modality) throw new InputError(`this is an ${c.modality} file, not ${modality === 'video' ? 'a' : 'an'} ${modality} file`);
  if (c.model !== model) throw new InputError(`file was made by model ${c.model}, not ${model}`);
  if (!c.modelHash.every((b, i) => b === hash[i])) {
    throw new InputError(`file was made by other weights of ${c.model} than the installed ones; it cannot be decoded with this model`);
  }
  checkQuality(model, c.quality, qualities);
}
