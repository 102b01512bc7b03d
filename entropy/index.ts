/**
 * lcodec's entropy-coding layer: integer CDF tables, one rANS coder, and the entropy models
 * learned codecs use (factorized, Gaussian conditional, categorical). It knows nothing of
 * images, audio or video: models hand the coder symbols, a table index per symbol, and tables.
 *
 * @example Hyperprior image codec: z with the factorized model, then y with the Gaussian
 * conditional, in one stream.
 * ```ts
 * const enc = new RansEncoder();
 * zModel.encode(enc, zSymbols, FactorizedModel.channelIndexes(C, Hz * Wz));
 * yModel.encode(enc, ySymbols, yModel.indexesFromScales(scales));
 * const bytes = enc.finish();
 *
 * const dec = new RansDecoder(bytes);
 * const z = zModel.decode(dec, FactorizedModel.channelIndexes(C, Hz * Wz));
 * // ... scales = h_s(ẑ) ...
 * const y = yModel.decode(dec, yModel.indexesFromScales(scales));
 * dec.finish(); // throws EntropyDecodeError unless the stream ended exactly
 * ```
 */
export { EntropyDecodeError } from './errors.js';
export { DEFAULT_PRECISION, MAX_PRECISION, pmfToQuantizedCdf } from './cdf.js';
export { CdfTables, type CdfInit, type PmfInit } from './tables.js';
export {
  RansEncoder,
  RansDecoder,
  encodeWithIndexes,
  decodeWithIndexes,
  informationContent,
  minStreamBytes,
} from './rans.js';
export { type EntropyModel, IndexedEntropyModel, blockIndexes } from './model.js';
export { FactorizedModel, type FactorizedBundle } from './factorized.js';
export {
  GaussianConditional,
  indexFromThresholds,
  type GaussianConditionalBundle,
  type GaussianConditionalOptions,
  defaultScaleTable,
  DEFAULT_TAIL_MASS,
} from './gaussian.js';
export { CategoricalModel, type CategoricalOptions } from './categorical.js';
export { detExp, detLog, detErfc, normalCdf } from './detmath.js';
