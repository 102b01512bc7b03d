/**
 * Video quality and rate, per clip, as learned-video papers (DVC, DCVC) report them:
 *
 * - `bpp`: compressed bits / (width × height × frames) — bits per pixel per frame.
 * - `kbps`: compressed bits / duration / 1000, duration = frames / fps.
 * - `psnr`: RGB PSNR (src/metrics/image.ts: one MSE over all three channels, peak 255) of
 *   each frame, averaged over the frames.
 * - `psnr_y`: PSNR of the 8-bit Y' plane (BT.601 limited range, peak 255 — the usual
 *   codec-literature PSNR-Y) of each frame, averaged. A frame's Y' is its source Y'CbCr
 *   when it carries one (a frame read from a file, a classical decoder's output; see
 *   `VideoFrame.yuv`), else computed from its RGB (src/io/yuv.ts); both agree exactly for
 *   in-gamut colours.
 * - `ms_ssim`: 5-scale RGB MS-SSIM of each frame (src/metrics/image.ts), averaged; NaN when
 *   the frames are too small (a side under 161 px).
 *
 * A frame identical to its original counts as 100 dB (PSNR_CAP), so that one perfect frame
 * does not make a clip's mean infinite (HM caps likewise).
 */
import type { Video, VideoFrame } from '../media.js';
import { videoFrames } from '../io/video.js';
import { frameLuma } from '../io/yuv.js';
import { MS_SSIM_MIN_SIDE, msSsim, mse } from './image.js';

/** Per-frame PSNR of identical frames, in dB. */
export const PSNR_CAP = 100;

export interface VideoMetrics {
  frames: number;
  bpp: number;
  kbps: number;
  psnr: number;
  psnr_y: number;
  ms_ssim: number;
}

export interface FrameMetrics {
  psnr: number;
  psnr_y: number;
  /** NaN when the frame is too small for 5-scale MS-SSIM. */
  ms_ssim: number;
}

const psnrOfMse = (e: number): number => (e === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10((255 * 255) / e)));

/** PSNR (dB, peak 255, capped at PSNR_CAP) between two 8-bit planes of equal length. */
export function planePsnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`planes differ in size: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return psnrOfMse(sum / a.length);
}

/** PSNR (RGB and Y') and MS-SSIM of one decoded frame against its original. */
export function frameMetrics(original: VideoFrame, decoded: VideoFrame, options: { msSsim?: boolean } = {}): FrameMetrics {
  const small = Math.min(original.width, original.height) < MS_SSIM_MIN_SIDE;
  return {
    psnr: psnrOfMse(mse(original, decoded)),
    psnr_y: planePsnr(frameLuma(original), frameLuma(decoded)),
    ms_ssim: options.msSsim === false || small ? NaN : msSsim(original, decoded),
  };
}

export interface VideoMetricsOptions {
  /** Compute MS-SSIM (the slowest metric; default true). */
  msSsim?: boolean;
  /** Called after each frame is measured, with the number of frames so far. */
  onFrame?: (frames: number) => void;
}

/**
 * Rate and quality of `decoded` against `original`, given the bitstream length in bytes. Both
 * are read frame by frame in lockstep (streams are never held whole). Throws RangeError when
 * the videos differ in size or frame count.
 */
export async function videoMetrics(
  original: Video,
  decoded: Video,
  bytes: number,
  options: VideoMetricsOptions = {},
): Promise<VideoMetrics> {
  if (decoded.width !== original.width || decoded.height !== original.height) {
    throw new RangeError(`decoded video is ${decoded.width}×${decoded.height}, original ${original.width}×${original.height}`);
  }
  const orig = videoFrames(original, 'original video');
  const dec = videoFrames(decoded, 'decoded video');
  let frames = 0;
  let psnr = 0;
  let psnrY = 0;
  let ms = 0;
  try {
    for (;;) {
      const [a, b] = await Promise.all([orig.next(), dec.next()]);
      if (a.done || b.done) {
        if (!a.done || !b.done) {
          throw new RangeError(`decoded video has ${a.done ? 'more' : 'fewer'} frames than the original (${frames} matched)`);
        }
        break;
      }
      const m = frameMetrics(a.value, b.value, options);
      psnr += m.psnr;
      psnrY += m.psnr_y;
      ms += m.ms_ssim;
      frames++;
      options.onFrame?.(frames);
    }
  } finally {
    await Promise.all([orig.return(undefined), dec.return(undefined)]);
  }
  if (frames === 0) throw new RangeError('videos have no frames');
  const bits = bytes * 8;
  const seconds = (frames * original.fps[1]) / original.fps[0];
  return {
    frames,
    bpp: bits / (original.width * original.height * frames),
    kbps: bits / seconds / 1000,
    psnr: psnr / frames,
    psnr_y: psnrY / frames,
    ms_ssim: ms / frames,
  };
}
