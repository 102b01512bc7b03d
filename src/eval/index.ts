/** Rate–distortion evaluation: the runner behind `lcodec eval`, BD-rate, CSV and reference curves. */
export { evaluate, evaluateWithStats, bdRateOf, type EvaluateOptions, type EvaluateStats } from './runner.js';
export type { EvalPoint, EvalResults, ImageEvalPoint } from './types.js';
export { bdRate, msSsimDb, pchipIntegral, type RdCurve } from './bdrate.js';
export { resultsToCsv } from './csv.js';
export { defaultCacheDir, ResultCache, type Measurement, type CacheKey } from './cache.js';
export {
  compareWithReference,
  defaultReferencePath,
  loadReferenceCurves,
  REFERENCE_COUNTERPARTS,
  type ReferenceComparison,
  type ReferenceCurve,
  type ReferenceCurves,
  plottedReference,
} from './reference.js';
export { IMAGE_EVAL, modalityEval, registerModalityEval, type ModalityEval } from './modalities.js';
