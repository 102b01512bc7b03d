/**
 * The classical baselines of every modality as registry entries (see ../registry.ts):
 * `*_BASELINE_ENTRIES` are entries, created on demand; `AUDIO_BASELINES` (audio.ts) are codecs.
 */
import type { CodecEntry } from '../registry.js';
import type { BaselineImageCodec } from './common.js';
import { createAvif, createJpeg, createWebp } from './sharp-codecs.js';
import { createJxl } from './jxl.js';
import { AUDIO_BASELINES, type AudioBaseline } from './audio.js';
import { requireFfmpegCodec } from './tools.js';
import { createX265 } from './x265.js';
import { VIDEO_BASELINE_DESCRIPTIONS, createX264Video, createX265Video, type VideoBaseline } from './video.js';

export type { BaselineImageCodec } from './common.js';
export { createAvif, createJpeg, createWebp } from './sharp-codecs.js';
export { createJxl, jxlDistance } from './jxl.js';
export { createX265, type X265Options } from './x265.js';
export { createX264Video, createX265Video, type VideoBaseline, type VideoBaselineOptions } from './video.js';

/** An image baseline as a registry entry; `tool` is what it runs through (sharp or ffmpeg). */
const imageBaseline = (
  name: string,
  description: string,
  qualityRange: readonly [number, number],
  tool: 'sharp' | 'ffmpeg',
  create: () => BaselineImageCodec | Promise<BaselineImageCodec>,
): CodecEntry<'image'> => ({
  name,
  modality: 'image',
  kind: 'baseline',
  description,
  qualityRange,
  requires: [tool],
  create,
  version: async () => (await create()).config,
});

export const IMAGE_BASELINE_ENTRIES: readonly CodecEntry<'image'>[] = [
  imageBaseline('jpeg', 'JPEG (libjpeg-style baseline, 4:2:0, IJG quality 1–100) via sharp', [1, 100], 'sharp', () => createJpeg()),
  imageBaseline('jpeg-444', 'JPEG without chroma subsampling (4:4:4) via sharp', [1, 100], 'sharp', () =>
    createJpeg({ subsampling: '4:4:4' }),
  ),
  imageBaseline('webp', 'WebP lossy (libwebp, method 4, quality 0–100) via sharp', [0, 100], 'sharp', createWebp),
  imageBaseline('avif', 'AVIF (aom speed 6, 8-bit 4:4:4, quality 1–100) via sharp', [1, 100], 'sharp', createAvif),
  imageBaseline('jxl', 'JPEG XL (libjxl, effort 7, quality 10–100 as cjxl -q) via ffmpeg', [10, 100], 'ffmpeg', createJxl),
  imageBaseline('x265', 'HEVC intra like BPG (x265 slow, 4:4:4 full-range BT.601, quality = 51 − QP) via ffmpeg', [0, 51], 'ffmpeg', createX265),
];


const videoBaseline = (name: 'x264' | 'x265', create: () => Promise<VideoBaseline>): CodecEntry<'video'> => ({
  name,
  modality: 'video',
  kind: 'baseline',
  description: VIDEO_BASELINE_DESCRIPTIONS[name],
  qualityRange: [0, 51],
  requires: ['ffmpeg'],
  create,
  version: async () => (await create()).config,
});

/** The classical video baselines (low-delay x264 / x265; see video.ts). */
export const VIDEO_BASELINE_ENTRIES: readonly CodecEntry<'video'>[] = [
  videoBaseline('x264', () => createX264Video()),
  videoBaseline('x265', () => createX265Video()),
];

/**
 * An audio baseline (audio.ts) as a registry entry: quality = target bitrate in kbit/s, the
 * codec's accepted range (opus, aac) or bitrates (mp3); its default sweep is its `qualities`.
 */
const audioBaseline = (codec: AudioBaseline, description: string): CodecEntry<'audio'> => {
  const caps = () => requireFfmpegCodec(codec.encoder, codec.decoder, codec.name);
  const { accepts } = codec;
  return {
    name: codec.name,
    modality: 'audio',
    kind: 'baseline',
    description,
    ...('min' in accepts ? { qualityRange: [accepts.min, accepts.max] as const } : { qualityValues: accepts }),
    requires: ['ffmpeg'],
    create: async () => {
      await caps();
      return codec;
    },
    version: async () => `${(await caps()).version} ${codec.config}`,
  };
};

/** The classical audio baselines (Opus, MP3, AAC through ffmpeg; see audio.ts). */
export const AUDIO_BASELINE_ENTRIES: readonly CodecEntry<'audio'>[] = [
  audioBaseline(AUDIO_BASELINES.opus, 'Opus (libopus VBR, application audio, complexity 10) in Ogg, quality = target kbit/s, via ffmpeg'),
  audioBaseline(AUDIO_BASELINES.mp3, 'MP3 (LAME CBR, -q 2, LAME\'s sample rate for the bitrate) with LAME tag, quality = kbit/s, via ffmpeg'),
  audioBaseline(AUDIO_BASELINES.aac, 'AAC-LC (ffmpeg native encoder, average bitrate) in ADTS, quality = target kbit/s, via ffmpeg'),
];
