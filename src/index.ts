/** lcodec public API. */
export { VERSION } from './version.js';
export { encode, decode, decodeAudioToWav, inspect, type EncodeOptions, type EncodeInput, type DecodedMedia, type FileInfo } from './api.js';
export { encodeMany, decodeMany, decodeToFile, mapMany, DECODED_EXTENSION, type ItemResult, type ManyOptions } from './batch.js';
export { loadModel, listModels, installedModels, type ModelCard, type InstalledModel } from '../codecs/models.js';
export { LearnedAudioCodec } from '../codecs/audio/index.js';
export { InputError, UsageError } from './errors.js';
export { CorruptFileError, UnsupportedFileError } from './container/index.js';
export type { RgbImage, Picture, Audio, Video, VideoFrame, YuvFrame, Modality } from './media.js';
export type { Codec, ImageCodec, AudioCodec, VideoCodec } from '../codecs/types.js';

// Audio: I/O, metrics (docs/METRICS.md) and the classical baselines.
export {
  readAudio,
  readAudioChunks,
  writeWav,
  writeWavChunks,
  resampleChunks,
  encodeWav,
  resample,
  detectAudioFormat,
  audioDuration,
  type AudioFormat,
  type AudioChunkOptions,
  type ReadAudioOptions,
  type WriteWavOptions,
  type WavSampleFormat,
} from './io/audio.js';
export { audioMetrics, snr, siSdr, stftDistance, melDistance, kbps, type AudioMetrics } from './metrics/audio.js';
export { AUDIO_BASELINES, opus, mp3, aac } from '../codecs/baselines/audio.js';

// Video: streaming I/O, the one RGB ↔ Y'CbCr conversion, metrics and the low-delay baselines
// (docs/BASELINES.md, Video).
export {
  readVideo,
  readVideoYuv,
  writeVideo,
  collectVideo,
  countVideoFrames,
  encodeY4m,
  type VideoSource,
  type YuvVideo,
  type ReadVideoOptions,
  type WriteVideoOptions,
  type VideoFileFormat,
} from './io/video.js';
export { rgbToYuv, yuvToRgb, lumaPlane, type ChromaFormat } from './io/yuv.js';
export { videoMetrics, frameMetrics, type VideoMetrics } from './metrics/video.js';
export { createX264Video, createX265Video, type VideoBaseline, type VideoBaselineOptions } from '../codecs/baselines/video.js';

// Evaluation (lcodec eval), metrics, image I/O and the codec registry.
export * from './eval/index.js';
export { mse, psnr, ssim, msSsim, MS_SSIM_WEIGHTS, MS_SSIM_MIN_SIDE } from './metrics/image.js';
export { readImage, writePng, encodePng, type ImageSource } from './io/image.js';
export { getCodec, getCodecEntry, listCodecs, registerCodec, type CodecEntry, type CodecInfo } from '../codecs/registry.js';
