/**
 * The shape every entropy model shares, so a codec can combine them in one stream.
 *
 * As in CompressAI, a model only supplies integer CDF tables and a rule for which table each
 * symbol uses (its "indexes"); the one rANS coder turns symbols + tables into bytes. Models
 * differ only in where tables and indexes come from:
 *   FactorizedModel      — one table per channel (the hyper-latent z), loaded from a bundle;
 *   GaussianConditional  — one table per scale of a scale table; index = f(predicted scale);
 *   CategoricalModel     — one table per position (vector-quantized tokens).
 */
import { decodeWithIndexes, encodeWithIndexes, type RansDecoder, type RansEncoder } from './rans.js';
import type { CdfTables } from './tables.js';

export interface EntropyModel {
  /** The integer CDF tables; indexes[i] selects the table of symbol i. */
  readonly tables: CdfTables;
  /** Queues symbols on a shared encoder (one stream for several models). */
  encode(enc: RansEncoder, symbols: Int32Array, indexes: Int32Array): void;
  /** Decodes indexes.length symbols from a shared decoder, in the encoder's order. */
  decode(dec: RansDecoder, indexes: Int32Array, out?: Int32Array): Int32Array;
  /** Codes the symbols as a stream of their own (one section). */
  compress(symbols: Int32Array, indexes: Int32Array): Uint8Array;
  /** Decodes a compress() stream and checks its end; throws EntropyDecodeError if damaged. */
  decompress(bytes: Uint8Array, indexes: Int32Array): Int32Array;
}

/** EntropyModel over a fixed CdfTables; the concrete models add where indexes come from. */
export class IndexedEntropyModel implements EntropyModel {
  constructor(readonly tables: CdfTables) {}

  encode(enc: RansEncoder, symbols: Int32Array, indexes: Int32Array): void {
    enc.encode(symbols, indexes, this.tables);
  }

  decode(dec: RansDecoder, indexes: Int32Array, out?: Int32Array): Int32Array {
    return dec.decode(indexes, this.tables, out);
  }

  compress(symbols: Int32Array, indexes: Int32Array): Uint8Array {
    return encodeWithIndexes(symbols, indexes, this.tables);
  }

  decompress(bytes: Uint8Array, indexes: Int32Array): Int32Array {
    return decodeWithIndexes(bytes, indexes, this.tables);
  }
}

/**
 * Indexes for planar data of `blocks` blocks of `blockSize` consecutive symbols each, block b
 * using table b: index i → floor(i / blockSize). E.g. a C×H×W latent with one table per
 * channel: blockIndexes(C, H * W).
 */
export function blockIndexes(blocks: number, blockSize: number): Int32Array {
  if (!Number.isInteger(blocks) || blocks < 0 || !Number.isInteger(blockSize) || blockSize < 0) {
    throw new RangeError(`blocks and blockSize must be integers >= 0, got ${blocks} and ${blockSize}`);
  }
  const out = new Int32Array(blocks * blockSize);
  for (let b = 0; b < blocks; b++) out.fill(b, b * blockSize, (b + 1) * blockSize);
  return out;
}
