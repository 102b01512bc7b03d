/**
 * Video files in and out, as streams of frames.
 *
 * Reading: anything ffmpeg reads (Y4M, Matroska/WebM, MP4/MOV, AVI, ...) is decoded by ffmpeg
 * into a Y4M pipe and handed out one frame at a time: `readVideo` returns a `Video` whose
 * `frames` is an async iterable. Nothing runs until the frames are iterated; ffmpeg is then
 * paused by back-pressure while the consumer works, so memory does not grow with the number
 * of frames (one frame plus about 1 MiB of pipe). Breaking out of the loop stops ffmpeg.
 * Each iteration of `frames` decodes the file again from the start.
 *
 * - Size, frame rate: the stream's own (ffprobe's average rate). Every decoded frame is kept
 *   (`-fps_mode passthrough`: no frames dropped or duplicated to reach a constant rate).
 * - Pixels as stored: no auto-rotation from display matrices (as image I/O ignores EXIF).
 * - Colour: sources are read as 8-bit Y'CbCr and converted to RGB by src/io/yuv.ts (BT.601,
 *   limited range). 4:2:0 sources (and everything that is neither 4:4:4 nor RGB: 4:2:2,
 *   10-bit, ...) are read as `yuv420p` — for 8-bit `yuv420p` sources, the test clips, that is
 *   bit-exact; 4:4:4 and RGB sources as `yuv444p`, so no chroma is lost. Full-range
 *   (JPEG-style `yuvj*`) sources are brought to limited range by ffmpeg's swscale first.
 * - Odd sizes are kept: a 4:2:0 source of w × h has ⌈w/2⌉ × ⌈h/2⌉ chroma samples, each
 *   covering the pixels of its 2×2 block that exist.
 * - Errors (InputError): missing or empty file, content that is an image or audio file, no
 *   video stream, a stream that cannot be decoded, or zero frames (reported when iterated).
 *
 * Writing (`writeVideo`): Y4M by default, written by lcodec itself (4:2:0 by default, or
 * 4:4:4), or MP4 / Matroska through ffmpeg's libx264 at a high-quality setting (CRF 12,
 * preset medium, 4:2:0 — not lossless: for exact output use Y4M; x264 and MP4 refuse some
 * sizes and frame rates Y4M takes: InputError). The file appears only when complete (a
 * temporary name beside it, then a rename).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { once } from 'node:events';
import type { Video, VideoFrame } from '../media.js';
import { InputError } from '../errors.js';
import { readFileHead, sniffModality } from './detect.js';
import { FfmpegError, type VideoStreamInfo, probeVideo, runFfmpeg, streamFfmpeg } from './ffmpeg.js';
import { Y4M_FRAME_LINE, formatY4mHeader, parseY4mStream } from './y4m.js';
import { type ChromaFormat, type YuvFrame, frameToYuv, yuvToVideoFrame } from './yuv.js';

/** A video file path, or the file's bytes. */
export type VideoSource = string | Uint8Array;

/** A video as planar Y'CbCr frames (BT.601 limited range), before any RGB conversion. */
export interface YuvVideo {
  width: number;
  height: number;
  fps: [number, number];
  chroma: ChromaFormat;
  frameCount?: number;
  frames: AsyncIterable<YuvFrame>;
}

export interface ReadVideoOptions {
  /** Name used in error messages (defaults to the path, or "input" for bytes). */
  name?: string;
  /**
   * Count the frames up front when the container does not store the count (MKV, Y4M): the
   * file is demuxed once without decoding. Default false (`frameCount` may then be absent).
   */
  countFrames?: boolean;
}

/** RGB source formats and 4:4:4 Y'CbCr are read as 4:4:4; everything else as 4:2:0. */
function chromaFor(pixFmt: string): ChromaFormat {
  return /444|^(rgb|bgr|gbr|argb|abgr|0rgb|0bgr|x?rgb|x?bgr)/.test(pixFmt) ? '444' : '420';
}

interface Opened {
  path: string;
  cleanup(): Promise<void>;
}

/** A path to read: the file itself, or the bytes written to a private temp file (MP4 needs to seek). */
async function openSource(input: VideoSource): Promise<Opened> {
  if (typeof input === 'string') return { path: input, cleanup: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'lcodec-video-'));
  const path = join(dir, 'input');
  await writeFile(path, input);
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function readHead(path: string, name: string): Promise<Uint8Array> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new InputError(`${name}: no such file`);
  if (!info.isFile()) throw new InputError(`${name}: not a file`);
  if (info.size === 0) throw new InputError(`${name}: empty file, not a video`);
  return readFileHead(path, 64);
}

/** Checks the content and asks ffprobe for the video stream; InputError when it is not video. */
async function probeSource(path: string, name: string, countFrames: boolean): Promise<VideoStreamInfo> {
  const kind = sniffModality(await readHead(path, name));
  if (kind === 'image' || kind === 'audio') throw new InputError(`${name}: not a video (looks like an ${kind} file)`);
  let info: VideoStreamInfo;
  try {
    info = await probeVideo(path, { countPackets: countFrames });
  } catch (err) {
    if (err instanceof FfmpegError) throw new InputError(`${name}: not a readable video file (${err.message})`);
    throw err;
  }
  if (!(info.width > 0 && info.height > 0)) throw new InputError(`${name}: video stream has no frame size`);
  if (countFrames && info.frames === 0) throw new InputError(`${name}: video stream has no frames`);
  return info;
}

/** The frames of one pass over the file, decoded by ffmpeg into a Y4M pipe. */
async function* decodeFrames(input: VideoSource, info: VideoStreamInfo, chroma: ChromaFormat, name: string): AsyncGenerator<YuvFrame> {
  const source = await openSource(input);
  const job = streamFfmpeg({
    input: source.path,
    inputOptions: ['-loglevel', 'error', '-noautorotate'],
    // prettier-ignore
    outputOptions: [
      '-map', `0:${info.index}`, '-fps_mode', 'passthrough',
      '-pix_fmt', chroma === '420' ? 'yuv420p' : 'yuv444p', '-f', 'yuv4mpegpipe',
    ],
  });
  let finished = false;
  let count = 0;
  try {
    try {
      const y4m = await parseY4mStream(job.stream, name);
      if (y4m.header.width !== info.width || y4m.header.height !== info.height) {
        throw new InputError(`${name}: decoded frames are ${y4m.header.width}×${y4m.header.height}, the stream says ${info.width}×${info.height}`);
      }
      for await (const frame of y4m.frames) {
        count++;
        yield frame;
      }
      await job.done;
    } catch (err) {
      // A pipe that ended early means ffmpeg failed: its message says why.
      if (job.stream.readableEnded) {
        const failure = await job.done.then(
          () => undefined,
          (e: unknown) => e,
        );
        if (failure instanceof FfmpegError) throw new InputError(`${name}: cannot decode video (${failure.message})`);
      }
      throw err;
    }
    finished = true;
    if (count === 0) throw new InputError(`${name}: video has no frames`);
  } finally {
    if (!finished) job.kill();
    await source.cleanup();
  }
}

/**
 * Opens a video file (or its bytes) as planar Y'CbCr frames, without converting to RGB: what
 * a classical encoder or a YUV metric wants. See the file header for what is read and how.
 */
export async function readVideoYuv(input: VideoSource, options: ReadVideoOptions = {}): Promise<YuvVideo> {
  const name = options.name ?? (typeof input === 'string' ? input : 'input');
  const source = await openSource(input);
  let info: VideoStreamInfo;
  try {
    info = await probeSource(source.path, name, options.countFrames ?? false);
  } finally {
    await source.cleanup();
  }
  const chroma = chromaFor(info.pixFmt);
  return {
    width: info.width,
    height: info.height,
    fps: info.fps ?? [25, 1],
    chroma,
    ...(info.frames !== undefined ? { frameCount: info.frames } : {}),
    frames: { [Symbol.asyncIterator]: () => decodeFrames(input, info, chroma, name) },
  };
}

/**
 * Opens a video file (or its bytes) as a stream of 8-bit RGB frames (see the file header).
 *
 * @example
 * const video = await readVideo('clip.mkv');
 * for await (const frame of video.frames) console.log(frame.width, frame.height);
 */
export async function readVideo(input: VideoSource, options: ReadVideoOptions = {}): Promise<Video> {
  const yuv = await readVideoYuv(input, options);
  return {
    width: yuv.width,
    height: yuv.height,
    fps: yuv.fps,
    ...(yuv.frameCount !== undefined ? { frameCount: yuv.frameCount } : {}),
    frames: mapFrames(yuv.frames, yuvToVideoFrame),
  };
}

/** A re-iterable async view of `source` with `fn` applied to each item. */
export function mapFrames<A, B>(source: AsyncIterable<A>, fn: (a: A) => B): AsyncIterable<B> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const a of source) yield fn(a);
    },
  };
}

/** Throws RangeError unless `video` has a positive size, a positive frame rate and frames. */
export function checkVideoShape(video: Video, what = 'video'): void {
  if (!(Number.isInteger(video.width) && video.width > 0 && Number.isInteger(video.height) && video.height > 0)) {
    throw new RangeError(`${what}: width and height must be positive integers, got ${video.width}×${video.height}`);
  }
  const [num, den] = video.fps ?? [];
  if (!(Number.isInteger(num) && num > 0 && Number.isInteger(den) && den > 0)) {
    throw new RangeError(`${what}: fps must be a fraction [num, den] of positive integers, got ${JSON.stringify(video.fps)}`);
  }
}

/**
 * The frames of `video` in order (array or stream alike), each checked to be a well-formed
 * RGB image of the video's size.
 */
export async function* videoFrames(video: Video, what = 'video'): AsyncGenerator<VideoFrame> {
  checkVideoShape(video, what);
  let i = 0;
  for await (const frame of video.frames) {
    if (frame.width !== video.width || frame.height !== video.height || frame.data.length !== video.width * video.height * 3) {
      throw new RangeError(`${what}: frame ${i} is not a ${video.width}×${video.height} RGB image`);
    }
    i++;
    yield frame;
  }
}

/** The same video with all frames in memory (an array): for consumers that need them more than once. */
export async function collectVideo(video: Video): Promise<Video & { frames: VideoFrame[] }> {
  const frames: VideoFrame[] = [];
  for await (const frame of videoFrames(video)) frames.push(frame);
  return { width: video.width, height: video.height, fps: video.fps, frameCount: frames.length, frames };
}

/**
 * Counts the frames of a video file: the container's count, or one demuxing pass (no decoding)
 * when it stores none. InputError for anything that is not a readable video.
 */
export async function countVideoFrames(input: VideoSource, options: { name?: string } = {}): Promise<number> {
  const video = await readVideoYuv(input, { ...options, countFrames: true });
  return video.frameCount ?? 0;
}

/**
 * Y4M bytes of a video, produced frame by frame as the consumer pulls them. A frame that carries
 * its source Y'CbCr (read from a file) is written from it unchanged.
 */
export async function* encodeY4m(video: Video, chroma: ChromaFormat = '420', onFrame?: () => void): AsyncGenerator<Uint8Array> {
  checkVideoShape(video);
  yield Buffer.from(formatY4mHeader({ width: video.width, height: video.height, fps: video.fps, chroma }), 'latin1');
  const frameLine = Buffer.from(Y4M_FRAME_LINE, 'latin1');
  let frames = 0;
  for await (const frame of videoFrames(video)) {
    yield frameLine;
    yield frameToYuv(frame, chroma).data;
    frames++;
    onFrame?.();
  }
  if (frames === 0) throw new RangeError('video has no frames');
}

export type VideoFileFormat = 'y4m' | 'mp4' | 'mkv';

export interface WriteVideoOptions {
  /** Container; default from the file extension (.mp4/.m4v/.mov → mp4, .mkv/.webm → mkv), else y4m. */
  format?: VideoFileFormat;
  /** Y4M chroma sampling (default 4:2:0). MP4/MKV are 4:2:0 unless the size is odd (then 4:4:4). */
  chroma?: ChromaFormat;
  /** x264 CRF for MP4/MKV (default 12: visually lossless, not bit-exact). */
  crf?: number;
}

/** The container `writeVideo` picks for a file name. */
export function videoFormatFor(file: string): VideoFileFormat {
  const ext = extname(file).toLowerCase();
  if (['.mp4', '.m4v', '.mov'].includes(ext)) return 'mp4';
  if (['.mkv', '.webm'].includes(ext)) return 'mkv';
  return 'y4m';
}

/** High-quality x264 for decoded output (see the file header); BT.601 limited range signalled. */
export const MP4_DEFAULT_CRF = 12;

/**
 * Writes a video as Y4M (default) or MP4/MKV, complete or not at all. Streams: one frame is
 * converted and written at a time, with back-pressure. Returns the number of frames written.
 *
 * @example
 * await writeVideo('decoded.y4m', video);                  // 4:2:0 Y4M
 * await writeVideo('decoded.mp4', video);                  // x264 CRF 12
 */
export async function writeVideo(file: string, video: Video, options: WriteVideoOptions = {}): Promise<{ frames: number }> {
  checkVideoShape(video);
  const format = options.format ?? videoFormatFor(file);
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let frames = 0;
  const y4m = (chroma: ChromaFormat) => encodeY4m(video, chroma, () => frames++);
  let out: WriteStream | undefined;
  try {
    if (format === 'y4m') {
      out = createWriteStream(tmp);
      const failed = once(out, 'error').then(([e]) => Promise.reject(e as Error));
      failed.catch(() => undefined);
      for await (const chunk of y4m(options.chroma ?? '420')) {
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      }
      out.end();
      await Promise.race([once(out, 'finish'), failed]);
      await new Promise<void>((resolve, reject) => out!.close((e) => (e ? reject(e) : resolve())));
    } else {
      const odd = video.width % 2 === 1 || video.height % 2 === 1;
      const crf = options.crf ?? MP4_DEFAULT_CRF;
      if (!(Number.isInteger(crf) && crf >= 0 && crf <= 51)) throw new RangeError(`writeVideo: crf must be an integer 0..51, got ${crf}`);
      await runFfmpeg({
        input: y4m(odd ? '444' : '420'),
        inputOptions: ['-loglevel', 'error', '-f', 'yuv4mpegpipe'],
        // prettier-ignore
        outputOptions: [
          '-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf), '-pix_fmt', odd ? 'yuv444p' : 'yuv420p',
          '-color_range', 'tv', '-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m',
          ...(format === 'mp4' ? ['-movflags', '+faststart', '-f', 'mp4'] : ['-f', 'matroska']),
        ],
        output: tmp,
      }).catch((err: unknown) => {
        // ffmpeg's own failure (the frames' errors come through unchanged): x264 and MP4 have
        // limits Y4M has not (x264 takes at most 16384 pixels a side; MP4 refuses some very
        // low frame rates, such as 1/65536 or 25/2^27 fps), which a video's size or rate can exceed.
        if (!(err instanceof FfmpegError)) throw err;
        const what = `a ${video.width}x${video.height} video at ${video.fps[0]}/${video.fps[1]} fps`;
        throw new InputError(`cannot write ${file}: ffmpeg (x264, ${format === 'mp4' ? 'MP4' : 'Matroska'}) refused ${what} (${err.message}); write .y4m instead`);
      });
    }
    await rename(tmp, file);
  } catch (err) {
    // The stream opens its file asynchronously: close it first, or a failure in the first
    // frames would remove the temporary file before it exists, and leave it behind.
    const stream = out;
    if (stream && !stream.closed) await new Promise<void>((resolve) => (stream.once('close', () => resolve()), stream.destroy()));
    await rm(tmp, { force: true });
    throw err;
  }
  return { frames };
}
