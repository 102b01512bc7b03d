/** lcodec public API. */
export const VERSION = '0.1.0';

// Evaluation (lcodec eval), metrics, image I/O and the codec registry.
export * from './eval/index.js';
export { mse, psnr, ssim, msSsim, MS_SSIM_WEIGHTS, MS_SSIM_MIN_SIDE } from './metrics/image.js';
export { readImage, writePng, encodePng, type ImageSource } from './io/image.js';
export { getCodec, getCodecEntry, listCodecs, registerCodec, type CodecEntry, type CodecInfo } from '../codecs/registry.js';
export type { Codec, ImageCodec, AudioCodec, VideoCodec, RgbImage, Audio, Video, Modality } from '../codecs/types.js';
