/**
 * PLACEHOLDER — the real RD plot / HTML report is written in another branch and replaces
 * this file on merge. Only the signatures the eval command calls are fixed here.
 */
import type { ReferenceCurves } from './reference.js';
import type { EvalResults } from './types.js';

export interface ReportOptions {
  /** Published curves drawn beside the measured ones. */
  reference?: ReferenceCurves;
}

/** An SVG rate–distortion plot (bpp vs `metric`) of the results. */
export function renderRdSvg(_results: EvalResults, _metric: 'psnr' | 'ms_ssim', _opts?: ReportOptions): string {
  throw new Error('report not available');
}

/** A self-contained HTML report of the results. */
export function renderHtmlReport(_results: EvalResults, _opts?: ReportOptions): string {
  throw new Error('report not available');
}
