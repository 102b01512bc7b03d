/**
 * Classical video baselines in the low-delay configuration learned-video papers compare with
 * (DVC, DCVC: ffmpeg's libx264 / libx265 with `-tune zerolatency`), through ffmpeg:
 *
 * - coding structure I P P P …: no B-frames, no frame reordering, no lookahead (zerolatency
 *   also turns off x264's mb-tree / x265's cu-tree, which need lookahead);
 * - a fixed intra period of 32 frames (an IDR every 32 frames, scene-cut detection off), the
 *   period DCVC's suggested test conditions give for 96-frame tests; a clip of ≤ 32 frames
 *   has one intra frame;
 * - preset `medium` (the encoders' default), one thread (bit-exact on any machine; encode/decode
 *   speed measured on one core);
 * - rate swept by CRF: quality q ↔ CRF = 51 − q (higher = better, as everywhere in lcodec);
 * - 8-bit 4:2:0, BT.601 limited range (the test clips' format). A frame that carries its source
 *   Y'CbCr (`VideoFrame.yuv`, set by readVideo) is coded from it exactly; other frames are
 *   converted by src/io/yuv.ts. Decoded frames carry the decoder's Y'CbCr the same way.
 *   4:2:0 H.264/HEVC cannot signal an odd width or height: such videos are refused.
 *
 * The bitstream is the raw Annex-B elementary stream (`.h264` / `.hevc`): parameter sets and
 * slices, no container. Its length is the rate. x264's informational SEI (its version and
 * option string, about 600 bytes per stream) is removed with ffmpeg's `filter_units` bitstream
 * filter; x265 is told not to write its own (`info=0`). Frame rate and size travel in the
 * parameter sets (VUI timing), so `decode` needs nothing else.
 */
import type { Video, VideoFrame } from '../../src/media.js';
import type { Codec } from '../types.js';
import { integer } from '../../src/check.js';
import { InputError } from '../../src/errors.js';
import { FfmpegError, probeVideo, runFfmpeg, streamFfmpeg } from '../../src/io/ffmpeg.js';
import { checkVideoShape, videoFrames } from '../../src/io/video.js';
import { parseY4mStream } from '../../src/io/y4m.js';
import { frameToYuv, yuvToVideoFrame } from '../../src/io/yuv.js';
import { withTempDir } from '../../src/io/temp.js';
import { checkQuality } from './common.js';
import { requireFfmpegCodec } from './tools.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface VideoBaselineOptions {
  /** Encoder preset (default `medium`). */
  preset: string;
  /** Frames between intra (IDR) frames (default 32). */
  intraPeriod: number;
  /** Encoder tune (default `zerolatency`). */
  tune: string;
  /** Extra encoder parameters (`-x264-params` / `-x265-params` entries, key=value). */
  params: readonly string[];
}

export const DEFAULT_VIDEO_BASELINE_OPTIONS: VideoBaselineOptions = {
  preset: 'medium',
  intraPeriod: 32,
  tune: 'zerolatency',
  params: [],
};

/** CRFs of the default sweep (quality = 51 − CRF): about 0.01–0.5 bpp on the test clips. */
const DEFAULT_CRFS = [40, 37, 34, 31, 28, 25, 22, 19];

interface EncoderSpec {
  name: 'x264' | 'x265';
  encoder: string;
  decoder: string;
  /** ffmpeg muxer/demuxer of the raw elementary stream. */
  format: string;
  description: string;
  /** Output options selecting and configuring the encoder. */
  encoderOptions(o: VideoBaselineOptions, crf: number): string[];
}

const X264: EncoderSpec = {
  name: 'x264',
  encoder: 'libx264',
  decoder: 'h264',
  format: 'h264',
  description: 'H.264 low-delay (x264 medium, zerolatency, no B-frames, intra period 32, CRF = 51 − quality) via ffmpeg',
  encoderOptions: (o, crf) => [
    '-c:v', 'libx264', '-preset', o.preset, '-tune', o.tune, '-crf', String(crf), '-threads', '1',
    '-x264-params', [`bframes=0`, `keyint=${o.intraPeriod}`, `min-keyint=${o.intraPeriod}`, 'scenecut=0', ...o.params].join(':'),
    // SEI NAL units (type 6): x264's version/options string; nothing a decoder needs here.
    '-bsf:v', 'filter_units=remove_types=6',
  ],
};

const X265: EncoderSpec = {
  name: 'x265',
  encoder: 'libx265',
  decoder: 'hevc',
  format: 'hevc',
  description: 'HEVC low-delay (x265 medium, zerolatency, no B-frames, intra period 32, CRF = 51 − quality) via ffmpeg',
  encoderOptions: (o, crf) => [
    '-c:v', 'libx265', '-preset', o.preset, '-tune', o.tune, '-crf', String(crf),
    '-x265-params',
    [
      'bframes=0', `keyint=${o.intraPeriod}`, `min-keyint=${o.intraPeriod}`, 'scenecut=0', 'open-gop=0',
      'pools=1', 'frame-threads=1', 'info=0', 'log-level=error', ...o.params,
    ].join(':'),
  ],
};

class FfmpegVideoBaseline implements Codec<'video'> {
  readonly modality = 'video' as const;
  readonly qualities = DEFAULT_CRFS.map((crf) => 51 - crf);
  readonly qualityRange = [0, 51] as const;
  readonly name: string;
  /** Everything that decides the bitstream: cached evaluation results are keyed by it. */
  readonly config: string;

  constructor(
    private readonly spec: EncoderSpec,
    private readonly options: VideoBaselineOptions,
    ffmpegVersion: string,
  ) {
    this.name = spec.name;
    this.config = `${ffmpegVersion} ${spec.encoder} ${JSON.stringify(options)} yuv420p-bt601-limited raw-annexb v1`;
  }

  async encode(video: Video, quality: number): Promise<Uint8Array> {
    checkQuality(this.name, quality, this.qualityRange);
    checkVideoShape(video, this.name);
    const { width, height } = video;
    if (width % 2 !== 0 || height % 2 !== 0) {
      throw new InputError(`${this.name}: 4:2:0 video needs an even width and height, got ${width}×${height}`);
    }
    let frames = 0;
    const name = this.name;
    async function* planes(): AsyncGenerator<Uint8Array> {
      for await (const frame of videoFrames(video, name)) {
        frames++;
        yield frameToYuv(frame, '420').data;
      }
    }
    // prettier-ignore
    const out = await runFfmpeg({
      input: planes(),
      inputOptions: [
        '-loglevel', 'error',
        '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', `${video.fps[0]}/${video.fps[1]}`,
        '-color_range', 'tv', '-colorspace', 'smpte170m',
      ],
      outputOptions: [
        ...this.spec.encoderOptions(this.options, 51 - quality),
        '-color_range', 'tv', '-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m',
        '-f', this.spec.format,
      ],
    });
    if (frames === 0) throw new InputError(`${this.name}: video has no frames`);
    if (out.length === 0) throw new Error(`${this.name}: encoder produced no output`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  /**
   * Reads the stream's size, rate and frame count (ffprobe), then returns a video whose
   * frames are decoded by ffmpeg as they are pulled (each pass over `frames` decodes again).
   */
  async decode(bytes: Uint8Array): Promise<Video> {
    const name = this.name;
    const format = this.spec.format;
    const info = await withTempDir(async (dir) => {
      const file = join(dir, `stream.${format}`);
      await writeFile(file, bytes);
      try {
        return await probeVideo(file, { countPackets: true });
      } catch (err) {
        if (err instanceof FfmpegError) throw new InputError(`${name}: not a decodable ${format} stream (${err.message})`);
        throw err;
      }
    });
    if (!(info.width > 0 && info.height > 0 && info.fps && info.frames)) {
      throw new InputError(`${name}: ${format} stream has no size, frame rate or frames`);
    }
    const { width, height } = info;
    async function* frames(): AsyncGenerator<VideoFrame> {
      const job = streamFfmpeg({
        input: bytes,
        inputOptions: ['-loglevel', 'error', '-f', format],
        outputOptions: ['-fps_mode', 'passthrough', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe'],
      });
      let finished = false;
      try {
        const y4m = await parseY4mStream(job.stream, name);
        if (y4m.header.width !== width || y4m.header.height !== height) {
          throw new InputError(`${name}: decoded ${y4m.header.width}×${y4m.header.height}, stream says ${width}×${height}`);
        }
        for await (const yuv of y4m.frames) yield yuvToVideoFrame(yuv);
        await job.done.catch((err: unknown) => {
          throw err instanceof FfmpegError ? new InputError(`${name}: cannot decode bitstream (${err.message})`) : err;
        });
        finished = true;
      } finally {
        if (!finished) job.kill();
      }
    }
    return {
      width,
      height,
      fps: info.fps,
      frameCount: info.frames,
      frames: { [Symbol.asyncIterator]: frames },
    };
  }
}

export type VideoBaseline = FfmpegVideoBaseline;

async function create(spec: EncoderSpec, options: Partial<VideoBaselineOptions>): Promise<FfmpegVideoBaseline> {
  const caps = await requireFfmpegCodec(spec.encoder, spec.decoder, spec.name);
  const merged = { ...DEFAULT_VIDEO_BASELINE_OPTIONS, ...options };
  integer(`intraPeriod for ${spec.name}`, merged.intraPeriod, 1, Infinity, RangeError);
  return new FfmpegVideoBaseline(spec, merged, caps.version);
}

/** H.264 low-delay baseline (see the file header). Needs ffmpeg with libx264. */
export function createX264Video(options: Partial<VideoBaselineOptions> = {}): Promise<VideoBaseline> {
  return create(X264, options);
}

/** HEVC low-delay baseline (see the file header). Needs ffmpeg with libx265. */
export function createX265Video(options: Partial<VideoBaselineOptions> = {}): Promise<VideoBaseline> {
  return create(X265, options);
}

/** One-line descriptions for the registry. */
export const VIDEO_BASELINE_DESCRIPTIONS = { x264: X264.description, x265: X265.description } as const;
