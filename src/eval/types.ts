/** The `lcodec eval` results (docs/EVAL.md, "Results JSON"; keep these keys). */
import type { Modality } from '../media.js';

/**
 * One rate–distortion point of one codec: its quality setting and the means over all items.
 * Image: `{ quality, bpp, psnr, ms_ssim, enc_s, dec_s }` in that key order. Audio and video
 * add their own metric keys. A metric that could not be computed (e.g. MS-SSIM of an image
 * under 161 px) is null.
 */
export interface EvalPoint {
  quality: number;
  enc_s: number;
  dec_s: number;
  [metric: string]: number | null;
}

export interface ImageEvalPoint extends EvalPoint {
  bpp: number;
  psnr: number;
  ms_ssim: number | null;
}

/** Video: `{ quality, bpp, kbps, psnr, psnr_y, ms_ssim, enc_s, dec_s }` (bpp per pixel per frame). */
export interface VideoEvalPoint extends EvalPoint {
  bpp: number;
  kbps: number;
  psnr: number;
  psnr_y: number;
  ms_ssim: number | null;
}

export interface EvalResults {
  modality: Modality;
  /** Number of items (images, clips) every point averages over. */
  items: number;
  /** The codec BD-rates are measured against. */
  anchor: string;
  /** Per codec, its points in ascending quality. */
  codecs: Record<string, EvalPoint[]>;
  /**
   * Per codec, BD-rate (%) against the anchor for each quality metric (image: psnr,
   * ms_ssim; video: psnr, psnr_y, ms_ssim); null where the curves share no quality range.
   * Negative = fewer bits.
   */
  bd_rate: Record<string, Record<string, number | null>>;
}
