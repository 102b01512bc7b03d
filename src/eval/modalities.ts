/**
 * What evaluation needs to know per modality: how to load an item, how to measure a decoded
 * item against its original, which keys an RD point has, and which metrics get a BD-rate.
 * Image, audio and video plug in here with their own loaders and metrics; the runner is generic.
 */
import type { Audio, MediaByModality, Modality, RgbImage, Video } from '../media.js';
import { InputError } from '../errors.js';
import { audioDuration, readAudio } from '../io/audio.js';
import { readImage } from '../io/image.js';
import { collectVideo, countVideoFrames, readVideo } from '../io/video.js';
import { audioMetrics, kbps } from '../metrics/audio.js';
import { msSsim, psnr } from '../metrics/image.js';
import { videoMetrics } from '../metrics/video.js';
import { msSsimDb } from './bdrate.js';

export interface ModalityEval<M extends Modality = Modality> {
  readonly modality: M;
  /** Metric keys of an RD point, in JSON order (between `quality` and `enc_s`). */
  readonly metricKeys: readonly string[];
  /** The rate key BD-rate integrates over (e.g. `bpp`). */
  readonly rateKey: string;
  /**
   * Metrics that get a BD-rate, with the scale the curve is interpolated on (MS-SSIM is
   * taken in dB, −10·log10(1 − v), where its RD curve is close to linear in log-rate).
   */
  readonly bdMetrics: readonly { key: string; scale?: (v: number) => number }[];
  /**
   * The metrics `lcodec eval --plot` draws against the rate, the first into the named file
   * (default: the BD-rate metrics).
   */
  readonly plots?: readonly string[];
  load(file: string): Promise<MediaByModality[M]>;
  /**
   * Finishes decoding where a codec decodes lazily (video frames are decoded as they are
   * pulled): runs inside the timed decode, so `dec_s` covers all decoding work.
   */
  complete?(decoded: MediaByModality[M]): Promise<MediaByModality[M]>;
  /**
   * Metrics of `decoded` against `original`, given the bitstream length in bytes. NaN = not
   * computable. May report progress in work units as it goes (see `workUnits`).
   */
  measure(
    original: MediaByModality[M],
    decoded: MediaByModality[M],
    bytes: number,
    context?: MeasureContext,
  ): Record<string, number> | Promise<Record<string, number>>;
  /**
   * Progress units one measurement of `file` is worth (video: its frames), for progress
   * bars; absent: one per measurement.
   */
  workUnits?(file: string): Promise<number>;
  /** What a progress unit is called (e.g. `frames`); absent: measurements. */
  readonly unitName?: string;
}

export interface MeasureContext {
  /** `units` more work units of this measurement are done. */
  progress(units: number): void;
}

/** Image: bpp = bits / (width × height); PSNR and MS-SSIM on 8-bit RGB (src/metrics/image.ts). */
export const IMAGE_EVAL: ModalityEval<'image'> = {
  modality: 'image',
  metricKeys: ['bpp', 'psnr', 'ms_ssim'],
  rateKey: 'bpp',
  bdMetrics: [{ key: 'psnr' }, { key: 'ms_ssim', scale: msSsimDb }],
  plots: ['psnr', 'ms_ssim'],
  // Metrics are defined on RGB: an image with transparency has no one right colour to compare.
  async load(file) {
    const img = await readImage(file);
    if (img.alpha) throw new InputError(`${file}: image has transparency; evaluation compares RGB only (flatten it first)`);
    return { width: img.width, height: img.height, data: img.data };
  },
  measure(original: RgbImage, decoded: RgbImage, bytes: number) {
    if (decoded.width !== original.width || decoded.height !== original.height) {
      throw new Error(
        `decoded image is ${decoded.width}×${decoded.height}, original ${original.width}×${original.height}`,
      );
    }
    let ms = NaN;
    try {
      ms = msSsim(original, decoded);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err; // too small for 5 scales: reported as null
    }
    return { bpp: (bytes * 8) / (original.width * original.height), psnr: psnr(original, decoded), ms_ssim: ms };
  },
};

/**
 * Video: the results keys (docs/EVAL.md) `bpp` (bits per pixel per frame), `kbps`, `psnr` (RGB), `psnr_y` (Y'),
 * `ms_ssim` (RGB), each frame measured and averaged over the clip (src/metrics/video.ts).
 * The original clip is held in memory during its measurements (it is coded once per
 * quality), and so is the decoded clip: `complete` decodes it whole inside the timed decode,
 * so `dec_s` is the full decoding time. Progress counts frames measured.
 */
export const VIDEO_EVAL: ModalityEval<'video'> = {
  modality: 'video',
  metricKeys: ['bpp', 'kbps', 'psnr', 'psnr_y', 'ms_ssim'],
  rateKey: 'bpp',
  bdMetrics: [{ key: 'psnr' }, { key: 'psnr_y' }, { key: 'ms_ssim', scale: msSsimDb }],
  plots: ['psnr', 'ms_ssim'],
  load: async (file) => collectVideo(await readVideo(file)),
  complete: (decoded: Video) => collectVideo(decoded),
  async measure(original: Video, decoded: Video, bytes: number, context?: MeasureContext) {
    const m = await videoMetrics(original, decoded, bytes, { onFrame: () => context?.progress(1) });
    return { bpp: m.bpp, kbps: m.kbps, psnr: m.psnr, psnr_y: m.psnr_y, ms_ssim: m.ms_ssim };
  },
  workUnits: (file) => countVideoFrames(file),
  unitName: 'frames',
};

/**
 * Audio: `kbps` = bits / duration / 1000 (the complete stored file), and the metrics of
 * src/metrics/audio.ts at the original's own sample rate and channels (codecs return exactly
 * the input's shape). BD-rates on mel distance (lower is better: interpolated on −mel_distance,
 * so negative still means fewer bits for the same mel distance) and SI-SDR.
 */
export const AUDIO_EVAL: ModalityEval<'audio'> = {
  modality: 'audio',
  metricKeys: ['kbps', 'mel_distance', 'stft_distance', 'si_sdr', 'snr'],
  rateKey: 'kbps',
  bdMetrics: [{ key: 'mel_distance', scale: (v) => -v }, { key: 'si_sdr' }],
  plots: ['mel_distance', 'si_sdr'],
  load: (file) => readAudio(file),
  measure(original: Audio, decoded: Audio, bytes: number) {
    const m = audioMetrics(original, decoded);
    return {
      kbps: kbps(bytes * 8, audioDuration(original)),
      mel_distance: m.mel_distance,
      stft_distance: m.stft_distance,
      si_sdr: m.si_sdr,
      snr: m.snr,
    };
  },
};

const MODALITIES: { [M in Modality]?: ModalityEval<M> } = { image: IMAGE_EVAL, audio: AUDIO_EVAL, video: VIDEO_EVAL };

/** The evaluation table of `modality`, or an Error if that modality cannot be evaluated yet. */
export function modalityEval<M extends Modality>(modality: M): ModalityEval<M> {
  const m = MODALITIES[modality];
  if (!m) throw new Error(`evaluation of ${modality} is not available yet`);
  return m as ModalityEval<M>;
}

/** Registers (or replaces) the evaluation table of a modality. */
export function registerModalityEval<M extends Modality>(table: ModalityEval<M>): void {
  (MODALITIES as Record<Modality, ModalityEval<Modality>>)[table.modality] = table as unknown as ModalityEval<Modality>;
}
