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
import { Sha256 } from '../../src/container/sha256.js';
import { oneOf, type ErrorClass } from '../../src/check.js';
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

/** Throws (InputError by default) unless `quality` is one of a model's quality `levels`. */
export function checkQuality(model: string, quality: unknown, levels: readonly number[], Err: ErrorClass = InputError): number {
  return oneOf(`quality for ${model}`, quality, levels, Err);
}

/**
 * Checks that an `.lc` file is of `modality` and was made by this model with these weights
 * (`hash`: the first bytes of the weights hash, as written), and that its quality is one of the
 * model's quality levels. InputError otherwise.
 */
export function checkHeader(c: Container, modality: Modality, model: string, hash: Uint8Array, qualities: readonly number[]): void {
  if (c.modality !== modality) throw new InputError(`this is an ${c.modality} file, not ${modality === 'video' ? 'a' : 'an'} ${modality} file`);
  if (c.model !== model) throw new InputError(`file was made by model ${c.model}, not ${model}`);
  if (!c.modelHash.every((b, i) => b === hash[i])) {
    throw new InputError(`file was made by other weights of ${c.model} than the installed ones; it cannot be decoded with this model`);
  }
  checkQuality(model, c.quality, qualities);
}

/**
 * Diagnostics: sha256 digests of decoded latents, block after block: `symbols` over ẑ, the table
 * indexes and the y symbols (int32, little-endian), `means` over mu (float32). Both must be the
 * same on every machine (docs/DETERMINISM.md); test/golden.test.ts compares them with recorded ones.
 */
export function latentsDigest(blocks: readonly HyperLatents[]): { symbols: string; means: string } {
  // Portable (the browser build decodes with this core too): no node:crypto, no Buffer.
  const symbols = new Sha256();
  const means = new Sha256();
  const bytes = (a: Int32Array | Float32Array): Uint8Array => {
    const out = new DataView(new ArrayBuffer(a.length * 4));
    if (a instanceof Int32Array) a.forEach((v, i) => out.setInt32(i * 4, v, true));
    else a.forEach((v, i) => out.setFloat32(i * 4, v, true));
    return new Uint8Array(out.buffer);
  };
  for (const b of blocks) {
    symbols.update(bytes(b.zHat)).update(bytes(b.index)).update(bytes(b.symbols));
    means.update(bytes(b.mu));
  }
  return { symbols: symbols.digest(), means: means.digest() };
}
