/** lcodec public API. */
export { VERSION } from './version.js';
export { encode, decode, inspect, type EncodeOptions, type EncodeInput, type DecodedMedia, type FileInfo } from './api.js';
export { loadModel, listModels, type ModelCard } from './models.js';
export { InputError, UsageError } from './errors.js';
export { CorruptFileError, UnsupportedFileError } from './container/index.js';
export type { Codec, RgbImage, Picture, Audio, AudioCodec, Video, Modality } from '../codecs/types.js';

// Audio: I/O, metrics (docs/METRICS.md) and the classical baselines.
export {
  readAudio,
  readAudioChunks,
  writeWav,
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
