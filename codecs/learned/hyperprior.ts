/**
 * The coding every learned codec here shares, after CompressAI's hyperprior latent codec: the
 * transforms (g_a, h_a, g_s) stay with each model; this part takes the quantized hyper-latent ẑ
 * and the latent y and, through an entropy-parameter function (an integer h_s, or a temporal
 * entropy network), produces the two streams, and on decoding the same integers back.
 *
 *   encode: ẑ → z stream;  params(ẑ) → (mu, index);  round(y − mu) → y stream under index
 *   decode: z stream → ẑ;  params(ẑ) → (mu, index);  y stream under index → symbols
 *
 * A channel-wise context model (Minnen & Singh 2020) codes y in slices instead, one y stream
 * each: slice i's (mu, index) come from ẑ and ŷ of slices 0..i−1, so the decoder decodes the
 * slices in order (`encodeSlices` / `decodeSlices`, with the same z coding and tables).
 *
 * Also here: the quality check and the `.lc` header check all learned codecs make.
 */
import { CorruptFileError, type Container } from '../../src/container/index.js';
import { Sha256 } from '../../src/container/sha256.js';
import { oneOf, type ErrorClass } from '../../src/check.js';
import { InputError } from '../../src/errors.js';
import type { Modality } from '../../src/media.js';
import { LatentCoder } from './latent-coder.js';
import { quantizeAround } from './quantize.js';
import type { IndexContext } from './scale-context.js';

/** A coded block (image tile, audio chunk, video tile): its z and y streams. */
export interface LatentStreams {
  z: Uint8Array;
  y: Uint8Array;
}

/** A block coded in slices: its z stream and one y stream per slice, in coding order. */
export interface SlicedStreams {
  z: Uint8Array;
  y: Uint8Array[];
}

/**
 * Everything of a block that decides its decoded symbols: integers only. (mu is a float, but
 * computed from an integer accumulator by exact IEEE arithmetic, and it feeds only g_s; the
 * channel-wise model keeps it in float64, as its context inputs are computed from ŷ = symbol + mu.)
 */
export interface HyperLatents<Mu extends Float32Array | Float64Array = Float32Array> {
  /** Quantized hyper-latent ẑ, planar channels × positions. */
  zHat: Int32Array;
  /** Scale-table index of every element of y. */
  index: Int32Array;
  /** Predicted means of y, planar like y. */
  mu: Mu;
  /** Coded symbols round(y − mu). */
  symbols: Int32Array;
}

/** The latents of a block of any learned codec (the hyperprior's float32 means, or float64 ones). */
export type AnyLatents = HyperLatents<Float32Array> | HyperLatents<Float64Array>;

/** ẑ → per element of y its mean and scale-table index. */
export type EntropyParameters = (zHat: Int32Array) => Promise<{ mu: Float32Array; index: Int32Array }>;

/**
 * A channel-wise context model's entropy parameters for one block, given its ẑ: the slices
 * of y in coding order, and each slice's means and table indexes from ŷ of the slices before it.
 */
export interface SliceParameters {
  /** Element ranges [start, end) of y (planar), in coding order, covering y once. */
  readonly ranges: readonly (readonly [number, number])[];
  /**
   * Means (float64) and table indexes of the elements of slice i. `yHat` holds ŷ = symbol + mu
   * of slices 0..i−1 (float64, the same on both sides); later elements are zero.
   */
  slice(i: number, yHat: Float64Array): Promise<{ mu: Float64Array; index: Int32Array }>;
}

/** ẑ → the slice parameters of a block. */
export type SlicedEntropyParameters = (zHat: Int32Array) => Promise<SliceParameters>;

/** Where ẑ lives: channels × positions (the z stream codes channel by channel). */
export interface ZShape {
  channels: number;
  positions: number;
}

export class HyperpriorCoder {
  constructor(readonly tables: LatentCoder) {}

  /** Codes one block from its gained latent y and quantized hyper-latent ẑ. */
  async encode(y: Float32Array, zHat: Int32Array, z: ZShape, params: EntropyParameters, context?: IndexContext): Promise<{ streams: LatentStreams; latents: HyperLatents }> {
    const zBytes = this.tables.encodeZ(zHat, z.channels, z.positions);
    const { mu, index: hyper } = await params(zHat);
    const symbols = quantizeAround(y, mu);
    const index = context ? context.adjust(symbols, hyper) : hyper;
    return { streams: { z: zBytes, y: this.tables.encodeY(symbols, index) }, latents: { zHat, index, mu, symbols } };
  }

  /**
   * Entropy decoding of one block: ẑ, then the entropy parameters, then the y symbols (with a
   * context, one by one, each with the index its decoded neighbours give; latents.index holds
   * the indexes used).
   */
  async decode(s: LatentStreams, z: ZShape, params: EntropyParameters, context?: IndexContext): Promise<HyperLatents> {
    const zHat = this.tables.decodeZ(s.z, z.channels, z.positions);
    const { mu, index } = await params(zHat);
    if (!context) return { zHat, index, mu, symbols: this.tables.decodeY(s.y, index) };
    return { zHat, mu, ...this.tables.decodeYWith(s.y, index, context) };
  }

  /**
   * Codes one block slice by slice (a channel-wise context model): the z stream, then per
   * slice its symbols round(y − mu) under the slice's table indexes, one y stream each.
   */
  async encodeSlices(y: Float32Array, zHat: Int32Array, z: ZShape, params: SlicedEntropyParameters): Promise<{ streams: SlicedStreams; latents: HyperLatents<Float64Array> & { yHat: Float64Array } }> {
    const zBytes = this.tables.encodeZ(zHat, z.channels, z.positions);
    const ys: Uint8Array[] = [];
    const latents = await this.slices(y.length, zHat, await params(zHat), (i, a, mu, symbols, index) => {
      for (let j = 0; j < mu.length; j++) symbols[j] = Math.round(y[a + j]! - mu[j]!);
      ys.push(this.tables.encodeY(symbols, index));
    });
    return { streams: { z: zBytes, y: ys }, latents };
  }

  /** Entropy decoding of a block coded in slices: ẑ, then slice after slice its parameters and symbols. */
  async decodeSlices(s: SlicedStreams, z: ZShape, length: number, params: SlicedEntropyParameters): Promise<HyperLatents<Float64Array> & { yHat: Float64Array }> {
    const zHat = this.tables.decodeZ(s.z, z.channels, z.positions);
    const sp = await params(zHat);
    if (s.y.length !== sp.ranges.length) throw new CorruptFileError(`corrupt .lc file (${s.y.length} y streams, expected ${sp.ranges.length})`);
    return this.slices(length, zHat, sp, (i, _a, _mu, symbols, index) => symbols.set(this.tables.decodeY(s.y[i]!, index)));
  }

  /** The slice loop both sides share; `code` fills a slice's symbols (encoder: quantizes y; decoder: reads its stream). */
  private async slices(
    length: number,
    zHat: Int32Array,
    sp: SliceParameters,
    code: (i: number, start: number, mu: Float64Array, symbols: Int32Array, index: Int32Array) => void,
  ): Promise<HyperLatents<Float64Array> & { yHat: Float64Array }> {
    const yHat = new Float64Array(length);
    const mu = new Float64Array(length);
    const index = new Int32Array(length);
    const symbols = new Int32Array(length);
    for (let i = 0; i < sp.ranges.length; i++) {
      const [a, b] = sp.ranges[i]!;
      const p = await sp.slice(i, yHat);
      if (p.mu.length !== b - a || p.index.length !== b - a) throw new RangeError(`slice ${i}: ${p.mu.length} parameters for ${b - a} elements`);
      const sym = symbols.subarray(a, b);
      code(i, a, p.mu, sym, p.index);
      for (let j = 0; j < sym.length; j++) yHat[a + j] = sym[j]! + p.mu[j]!;
      mu.set(p.mu, a);
      index.set(p.index, a);
    }
    return { zHat, index, mu, symbols, yHat };
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
 * indexes and the y symbols (int32, little-endian), `means` over mu (float32, or float64 where
 * the model keeps its means in float64). Both must be the
 * same on every machine (docs/DETERMINISM.md); test/golden.test.ts compares them with recorded ones.
 */
export function latentsDigest(blocks: readonly AnyLatents[]): { symbols: string; means: string } {
  // Portable (the browser build decodes with this core too): no node:crypto, no Buffer.
  const symbols = new Sha256();
  const means = new Sha256();
  const bytes = (a: Int32Array | Float32Array | Float64Array): Uint8Array => {
    const out = new DataView(new ArrayBuffer(a.length * a.BYTES_PER_ELEMENT));
    if (a instanceof Int32Array) a.forEach((v, i) => out.setInt32(i * 4, v, true));
    else if (a instanceof Float64Array) a.forEach((v, i) => out.setFloat64(i * 8, v, true));
    else a.forEach((v, i) => out.setFloat32(i * 4, v, true));
    return new Uint8Array(out.buffer);
  };
  for (const b of blocks) {
    symbols.update(bytes(b.zHat)).update(bytes(b.index)).update(bytes(b.symbols));
    means.update(bytes(b.mu));
  }
  return { symbols: symbols.digest(), means: means.digest() };
}
