/**
 * Entropy coding of a learned codec's latents with entropy/: z under the factorized prior
 * (a table per channel), y under the Gaussian conditional (a table per scale-table entry,
 * chosen by the integer h_s or another integer entropy network). Tables are built once per
 * model from the bundle's pmfs by the one CDF builder.
 */
import { CdfTables, FactorizedModel, GaussianConditional, minStreamBytes } from '../../entropy/index.js';
import type { IndexContext } from './scale-context.js';
import type { LatentBundle } from './model-files.js';

/** Mass outside a pmf row, for the escape symbol. */
function tails(pmfs: number[][]): number[] {
  return pmfs.map((row) => Math.max(0, 1 - row.reduce((a, b) => a + b, 0)));
}

export class LatentCoder {
  private readonly z: FactorizedModel;
  private readonly y: GaussianConditional;
  /** Σ over z channels of the cheapest symbol's cost, in bits: a z position's minimum. */
  private readonly zMinBitsPerPosition: number;

  /** The tables of a bundle (bundle_tables in training/export.py): z pmfs per channel, y pmfs per scale. */
  constructor(b: Pick<LatentBundle, 'z' | 'y' | 'precision'>) {
    this.z = FactorizedModel.fromBundle({ offset: b.z.offsets, pmf: b.z.pmfs, tailMass: tails(b.z.pmfs), precision: b.precision });
    const yTables = CdfTables.fromPmfs({ pmfs: b.y.pmfs, offsets: b.y.offsets, tailMasses: tails(b.y.pmfs), precision: b.precision });
    this.y = new GaussianConditional(yTables, b.y.scale_table);
    this.zMinBitsPerPosition = this.z.tables.minSymbolBits().reduce((a, v) => a + v, 0);
  }

  /**
   * The shortest z stream that can hold `plane` positions of `channels` channels: a header
   * declaring more tiles' worth of pixels than its streams could hold is refused with it.
   */
  minZBytes(channels: number, plane: number): number {
    return minStreamBytes(this.zMinBitsPerPosition * plane, channels * plane, this.z.tables.precision);
  }

  /** z_hat is planar C x plane. */
  encodeZ(zHat: Int32Array, channels: number, plane: number): Uint8Array {
    return this.z.compress(zHat, FactorizedModel.channelIndexes(channels, plane));
  }

  decodeZ(bytes: Uint8Array, channels: number, plane: number): Int32Array {
    return this.z.decompress(bytes, FactorizedModel.channelIndexes(channels, plane));
  }

  /** Symbols round(y - mu), each coded with the scale-table entry index[i]. */
  encodeY(symbols: Int32Array, index: Int32Array): Uint8Array {
    return this.y.compress(symbols, index);
  }

  decodeY(bytes: Uint8Array, index: Int32Array): Int32Array {
    return this.y.decompress(bytes, index);
  }

  /** Symbols coded under a context on their indexes: the symbols and the indexes used. */
  decodeYWith(bytes: Uint8Array, index: Int32Array, context: IndexContext): { symbols: Int32Array; index: Int32Array } {
    return context.decode(bytes, index, this.y.tables);
  }
}
