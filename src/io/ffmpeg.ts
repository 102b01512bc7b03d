/**
 * A small promise layer over fluent-ffmpeg: run one ffmpeg command with a file or raw bytes as
 * input and a file or a byte stream as output, and probe a file's first audio stream.
 *
 * Callers decide what a failure means (corrupt user input → InputError; a failure while encoding
 * samples we produced ourselves → plain Error): this module only reports ffmpeg's own message.
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

/**
 * The ffmpeg binary, one setting for every run and probe: `LCODEC_FFMPEG`, else `ffmpeg` on
 * PATH. fluent-ffmpeg's own FFMPEG_PATH is not read, so that a capability probe and the run it
 * vouches for always use the same binary.
 */
export function ffmpegPath(): string {
  return process.env.LCODEC_FFMPEG || 'ffmpeg';
}

/** The ffprobe binary: `LCODEC_FFPROBE`, else the ffprobe beside LCODEC_FFMPEG, else `ffprobe` on PATH. */
export function ffprobePath(): string {
  if (process.env.LCODEC_FFPROBE) return process.env.LCODEC_FFPROBE;
  const ff = process.env.LCODEC_FFMPEG;
  return ff && ff.includes('/') ? join(dirname(ff), 'ffprobe') : 'ffprobe';
}

/** ffmpeg ran and failed (bad input, unsupported stream, ...). */
export class FfmpegError extends Error {
  override name = 'FfmpegError';
}

/** A missing ffmpeg/ffprobe is a broken installation, not bad input: a plain Error. */
function toError(err: unknown): Error {
  const message = ffmpegMessage(err);
  if (/Cannot find ff(mpeg|probe)/i.test(message)) {
    return new Error(`${message}: install ffmpeg (Debian: apt-get install ffmpeg) or set LCODEC_FFMPEG / LCODEC_FFPROBE`);
  }
  return new FfmpegError(message);
}

export interface FfmpegJob {
  /**
   * A file path, or raw bytes fed to ffmpeg's stdin (then give `-f` in `inputOptions`): all at
   * once, or as a stream of chunks (a Readable or any async iterable) pulled only as fast as
   * ffmpeg reads.
   */
  input: string | Uint8Array | Readable | AsyncIterable<Uint8Array>;
  inputOptions?: string[];
  outputOptions: string[];
  /** A file path to write; when absent, ffmpeg writes to stdout (give `-f` in `outputOptions`). */
  output?: string;
}

function inputSource(input: FfmpegJob['input']): string | Readable {
  if (typeof input === 'string' || input instanceof Readable) return input;
  // Wrapped in an array: Readable.from(buffer) would emit it byte by byte.
  if (input instanceof Uint8Array) return Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]);
  return Readable.from(input, { objectMode: false });
}

/** ffmpeg's version banner (ffprobe prints it on errors too): no help in an error line. */
const BANNER_LINE = /^(ff(mpeg|probe) version |built with |configuration: |lib[a-z]+\s+\d+\.\s*\d+\.\s*\d+ \/)/;

/**
 * fluent-ffmpeg's message ends with ffmpeg's last stderr lines; keep it short and on one line:
 * the last three lines that are not the version banner, without `[demuxer @ 0x...]` prefixes.
 */
export function ffmpegMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .replace(/^ff(mpeg|probe) exited with code \d+:? ?/, '')
    .split('\n')
    .map((line) => line.trim().replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, ''))
    .filter((line) => line.length > 0 && !BANNER_LINE.test(line))
    .slice(-3)
    .join('; ');
}

/**
 * Runs ffmpeg to completion. With `output` set, writes that file and returns an empty buffer;
 * otherwise returns everything ffmpeg wrote to stdout.
 */
export function runFfmpeg(job: FfmpegJob): Promise<Buffer> {
  const { stream, done } = streamFfmpeg(job);
  const chunks: Buffer[] = [];
  const collected = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return Promise.all([done, collected]).then(() => Buffer.concat(chunks));
}

export interface FfmpegStream {
  /** ffmpeg's stdout (empty when the job writes a file). Back-pressure pauses ffmpeg. */
  stream: Readable;
  /** Settles when ffmpeg has exited: rejects with an FfmpegError if it failed. */
  done: Promise<void>;
  /** Stops ffmpeg early (for readers that leave before the end). */
  kill(): void;
}

/** Starts ffmpeg and hands back its stdout as a stream, for output that must not be held whole. */
export function streamFfmpeg(job: FfmpegJob, highWaterMark = 1 << 20): FfmpegStream {
  // No auto-destroy: fluent-ffmpeg takes a 'close' of the output stream for a reader that left,
  // and fails the job if ffmpeg has not exited 20 ms later, which a loaded machine can miss
  // after a complete read. A reader that does leave destroys the stream (or calls kill).
  const out = new PassThrough({ highWaterMark, autoDestroy: false });
  const inputIsPath = typeof job.input === 'string';
  const source = inputSource(job.input);
  // -nostdin only where stdin is not the input: ffmpeg then never waits on a terminal.
  const command = ffmpeg(source)
    .setFfmpegPath(ffmpegPath())
    .inputOptions([...(inputIsPath ? ['-nostdin'] : []), '-hide_banner', ...(job.inputOptions ?? [])])
    .outputOptions(job.outputOptions);
  let killed = false;
  // fluent-ffmpeg reports some failures (a failing input stream) before the process is gone:
  // `done` also waits for the exit, so that no file ffmpeg writes can appear afterwards.
  let exited = Promise.resolve();
  command.on('start', () => {
    const proc = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
    if (proc && proc.exitCode === null && proc.signalCode === null) exited = new Promise((r) => proc.once('exit', () => r()));
  });
  const finished = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (err: unknown) => {
      if (killed) resolve();
      // A streamed input that failed: its own error, not ffmpeg's view of it. fluent-ffmpeg
      // only sends SIGTERM then, which ffmpeg, blocked reading a stdin that never ends, does
      // not act on: it would wait forever (and `done` with it).
      else if (err instanceof Error && 'inputStreamError' in err && err.inputStreamError instanceof Error) {
        command.kill('SIGKILL');
        reject(err.inputStreamError);
      } else reject(toError(err));
    });
  });
  const done = finished.then(
    () => exited,
    (err: unknown) => exited.then(() => Promise.reject(err)),
  );
  if (job.output !== undefined) {
    command.output(job.output).run();
    out.end();
  } else {
    command.pipe(out, { end: true });
  }
  // A failed run must also end the stream, or a reader would wait forever.
  done.catch(() => out.end());
  // Once ffmpeg has exited, nothing reads stdin any more: release a streamed input (this runs
  // its generator's cleanup, e.g. stops the ffmpeg that produces it).
  if (typeof source !== 'string') void done.catch(() => undefined).then(() => source.destroy());
  return {
    stream: out,
    done,
    kill: () => {
      killed = true;
      command.kill('SIGKILL');
      out.destroy();
    },
  };
}

export interface AudioStreamInfo {
  sampleRate: number;
  channels: number;
  codec: string;
  /** Container and stream tags merged, keys lower-cased. */
  tags: Record<string, string>;
}

/** The first audio stream of a file, as ffprobe sees it; FfmpegError if there is none. */
export function probeAudio(path: string): Promise<AudioStreamInfo> {
  return new Promise((resolve, reject) => {
    ffmpeg(path).setFfprobePath(ffprobePath()).ffprobe((err: unknown, data: ffmpeg.FfprobeData) => {
      if (err) {
        reject(toError(err));
        return;
      }
      const stream = data.streams.find((s) => s.codec_type === 'audio');
      if (!stream) {
        reject(new FfmpegError('no audio stream'));
        return;
      }
      const tags: Record<string, string> = {};
      for (const source of [data.format.tags, stream.tags]) {
        for (const [key, value] of Object.entries(source ?? {})) tags[key.toLowerCase()] = String(value);
      }
      resolve({
        sampleRate: Number(stream.sample_rate),
        channels: Number(stream.channels),
        codec: String(stream.codec_name),
        tags,
      });
    });
  });
}

export interface VideoStreamInfo {
  /** Index of the stream in the file (for `-map 0:<index>`). */
  index: number;
  codec: string;
  width: number;
  height: number;
  /** ffmpeg's pixel format name (`yuv420p`, `yuv444p`, `rgb24`, ...). */
  pixFmt: string;
  /** Frame rate as a fraction (average rate, else the stream's base rate); undefined if unknown. */
  fps: [number, number] | undefined;
  /** Number of frames when the container says (`nb_frames`) or when counted; undefined otherwise. */
  frames: number | undefined;
}

/** "30000/1001" → [30000, 1001]; undefined for "0/0" and the like. */
function parseRate(rate: unknown): [number, number] | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(String(rate ?? ''));
  if (!m) return undefined;
  const [num, den] = [Number(m[1]), Number(m[2])];
  return num > 0 && den > 0 ? [num, den] : undefined;
}

/**
 * The first video stream of a file that is not a cover picture, as ffprobe sees it;
 * FfmpegError if there is none. `countPackets` demuxes the whole file to count its packets
 * (= frames for video; fast, nothing is decoded) when the container does not store the count.
 */
export function probeVideo(path: string, options: { countPackets?: boolean } = {}): Promise<VideoStreamInfo> {
  const args = ['-select_streams', 'v', ...(options.countPackets ? ['-count_packets'] : [])];
  return new Promise((resolve, reject) => {
    ffmpeg(path).setFfprobePath(ffprobePath()).ffprobe(args, (err: unknown, data: ffmpeg.FfprobeData) => {
      if (err) {
        reject(toError(err));
        return;
      }
      const stream = data.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
      if (!stream) {
        reject(new FfmpegError('no video stream'));
        return;
      }
      const count = Number(options.countPackets ? stream.nb_read_packets : stream.nb_frames);
      resolve({
        index: stream.index,
        codec: String(stream.codec_name),
        width: Number(stream.width),
        height: Number(stream.height),
        pixFmt: String(stream.pix_fmt ?? ''),
        fps: parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate),
        frames: Number.isInteger(count) && count >= 0 ? count : undefined,
      });
    });
  });
}

let soxrAvailable: Promise<boolean> | undefined;

/** Whether this ffmpeg was built with libsoxr (Debian's is); checked once per process. */
export function hasSoxr(): Promise<boolean> {
  soxrAvailable ??= runFfmpeg({
    input: new Uint8Array(64),
    inputOptions: ['-f', 'f32le', '-ar', '8000', '-ac', '1'],
    outputOptions: ['-af', 'aresample=16000:resampler=soxr', '-f', 'f32le'],
  }).then(
    () => true,
    () => false,
  );
  return soxrAvailable;
}

/** The `aresample` filter to a given rate, with soxr where this ffmpeg has it. */
export async function resampleFilter(rate: number): Promise<string> {
  return (await hasSoxr()) ? `aresample=${rate}:resampler=soxr` : `aresample=${rate}`;
}
