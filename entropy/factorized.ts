/**
 * Factorized entropy model (Ballé et al. 2018's "EntropyBottleneck" at test time): the
 * hyper-latent z has one learned distribution per channel, fixed after training, so the
 * tables come from the model bundle and a symbol's table is simply its channel.
 */
import { CdfTables } from './tables.js';
import { blockIndexes, IndexedEntropyModel } from './model.js';

/**
 * The per-channel distributions as a trainer exports them (JSON-able). Give either integer
 * CDFs (`cdf`, CompressAI's `_quantized_cdf`, escape symbol included) or float pmfs (`pmf`,
 * quantized here by the one CDF builder, escape symbol appended with `tailMass`).
 */
export interface FactorizedBundle {
  /** Value of entry 0 of each channel's table (CompressAI `_offset`). */
  offset: ArrayLike<number>;
  cdf?: ArrayLike<ArrayLike<number>>;
  /** Valid entries of each `cdf` row (CompressAI `_cdf_length`); default: the row length. */
  cdfLength?: ArrayLike<number>;
  pmf?: ArrayLike<ArrayLike<number>>;
  /** Valid entries of each `pmf` row; default: the row length. */
  pmfLength?: ArrayLike<number>;
  /** Mass outside each pmf row (given to the escape symbol); default 0. */
  tailMass?: ArrayLike<number>;
  /** Bits of CDF precision, default 16. */
  precision?: number;
  /**
   * Per-channel medians, carried for the codec's quantization (ẑ = round(z − median) +
   * median); the entropy model itself codes integers only.
   */
  medians?: ArrayLike<number>;
}

export class FactorizedModel extends IndexedEntropyModel {
  /** Per-channel medians from the bundle, or null when the bundle had none. */
  readonly medians: Float64Array | null;

  constructor(tables: CdfTables, medians: ArrayLike<number> | null = null) {
    super(tables);
    if (medians !== null && medians.length !== tables.numTables) {
      throw new RangeError(`medians has ${medians.length} entries, expected ${tables.numTables} (one per channel)`);
    }
    this.medians = medians === null ? null : Float64Array.from(medians);
  }

  /** Builds the model from a bundle; throws RangeError naming the bad field. */
  static fromBundle(bundle: FactorizedBundle): FactorizedModel {
    if ((bundle.cdf === undefined) === (bundle.pmf === undefined)) {
      throw new RangeError('a factorized bundle needs exactly one of `cdf` (integer CDFs) or `pmf` (float pmfs)');
    }
    const tables =
      bundle.cdf !== undefined
        ? CdfTables.fromCdfs({
            cdfs: bundle.cdf,
            cdfLengths: bundle.cdfLength,
            offsets: bundle.offset,
            precision: bundle.precision,
          })
        : CdfTables.fromPmfs({
            pmfs: bundle.pmf!,
            pmfLengths: bundle.pmfLength,
            tailMasses: bundle.tailMass,
            offsets: bundle.offset,
            precision: bundle.precision,
          });
    return new FactorizedModel(tables, bundle.medians ?? null);
  }

  get channels(): number {
    return this.tables.numTables;
  }

  /** Indexes for a planar C×(elementsPerChannel) tensor: every element uses its channel's table. */
  static channelIndexes(channels: number, elementsPerChannel: number): Int32Array {
    return blockIndexes(channels, elementsPerChannel);
  }
}
