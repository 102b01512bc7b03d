/** lcodec public API. */
export const VERSION = '0.1.0';

// Audio: I/O, metrics (docs/METRICS.md) and the classical baselines.
export type { Audio, AudioCodec } from '../codecs/types.js';
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
