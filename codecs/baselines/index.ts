/** The classical image baselines, as registry entries (see ../registry.ts). */
import type { CodecEntry } from '../registry.js';
import { createAvif, createJpeg, createWebp } from './sharp-codecs.js';
import { createJxl } from './jxl.js';
import { createX265 } from './x265.js';
import { VIDEO_BASELINE_DESCRIPTIONS, createX264Video, createX265Video, type VideoBaseline } from './video.js';

export type { BaselineImageCodec } from './common.js';
export { createAvif, createJpeg, createWebp } from './sharp-codecs.js';
export { createJxl, jxlDistance } from './jxl.js';
export { createX265, type X265Options } from './x265.js';
export { createX264Video, createX265Video, type VideoBaseline, type VideoBaselineOptions } from './video.js';

const sharpBaseline = (
  name: string,
  description: string,
  qualityRange: readonly [number, number],
  create: () => ReturnType<typeof createJpeg>,
): CodecEntry<'image'> => ({
  name,
  modality: 'image',
  kind: 'baseline',
  description,
  qualityRange,
  requires: ['sharp'],
  create,
  version: () => create().config,
});

const ffmpegBaseline = (
  name: string,
  description: string,
  qualityRange: readonly [number, number],
  create: () => ReturnType<typeof createX265>,
): CodecEntry<'image'> => ({
  name,
  modality: 'image',
  kind: 'baseline',
  description,
  qualityRange,
  requires: ['ffmpeg'],
  create,
  version: async () => (await create()).config,
});

export const IMAGE_BASELINES: readonly CodecEntry<'image'>[] = [
  sharpBaseline('jpeg', 'JPEG (libjpeg-style baseline, 4:2:0, IJG quality 1–100) via sharp', [1, 100], () => createJpeg()),
  sharpBaseline('jpeg-444', 'JPEG without chroma subsampling (4:4:4) via sharp', [1, 100], () =>
    createJpeg({ subsampling: '4:4:4' }),
  ),
  sharpBaseline('webp', 'WebP lossy (libwebp, method 4, quality 0–100) via sharp', [0, 100], createWebp),
  sharpBaseline('avif', 'AVIF (aom speed 6, 8-bit 4:4:4, quality 1–100) via sharp', [1, 100], createAvif),
  ffmpegBaseline('jxl', 'JPEG XL (libjxl, effort 7, quality 10–100 as cjxl -q) via ffmpeg', [10, 100], createJxl),
  ffmpegBaseline('x265', 'HEVC intra like BPG (x265 slow, 4:4:4 full-range BT.601, quality = 51 − QP) via ffmpeg', [0, 51], createX265),
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
export const VIDEO_BASELINES: readonly CodecEntry<'video'>[] = [
  videoBaseline('x264', () => createX264Video()),
  videoBaseline('x265', () => createX265Video()),
];
