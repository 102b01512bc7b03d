/**
 * A small promise layer over fluent-ffmpeg: run one ffmpeg command with a file or raw bytes as
 * input and a file or a byte stream as output, and probe a file's first audio stream.
 *
 * Callers decide what a failure means (corrupt user input → InputError; a failure while encoding
 * samples we produced ourselves → plain Error): this module only reports ffmpeg's own message.
 */
import { PassThrough, Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

/** ffmpeg ran and failed (bad input, unsupported stream, ...). */
export class FfmpegError extends Error {
  override name = 'FfmpegError';
}

/** A missing ffmpeg/ffprobe is a broken installation, not bad input: a plain Error. */
function toError(err: unknown): Error {
  const message = ffmpegMessage(err);
  if (/Cannot find ff(mpeg|probe)/i.test(message)) {
    return new Error(`${message}: install ffmpeg (Debian: apt-get install ffmpeg) or set FFMPEG_PATH/FFPROBE_PATH`);
  }
  return new FfmpegError(message);
}

export interface FfmpegJob {
  /**
   * A file path, or raw bytes or a byte stream fed to ffmpeg's stdin (then give `-f` in
   * `inputOptions`).
   */
  input: string | Uint8Array | Readable;
  inputOptions?: string[];
  outputOptions: string[];
  /** A file path to write; when absent, ffmpeg writes to stdout (give `-f` in `outputOptions`). */
  output?: string;
}

function inputSource(input: string | Uint8Array | Readable): string | Readable {
  if (typeof input === 'string' || input instanceof Readable) return input;
  // Wrapped in an array: Readable.from(buffer) would emit it byte by byte.
  return Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]);
}

/** fluent-ffmpeg's message ends with ffmpeg's last stderr lines; keep it short and on one line. */
function ffmpegMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .replace(/^ff(mpeg|probe) exited with code \d+: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
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
  const out = new PassThrough({ highWaterMark });
  const inputIsPath = typeof job.input === 'string';
  // -nostdin only where stdin is not the input: ffmpeg then never waits on a terminal.
  const command = ffmpeg(inputSource(job.input))
    .inputOptions([...(inputIsPath ? ['-nostdin'] : []), '-hide_banner', ...(job.inputOptions ?? [])])
    .outputOptions(job.outputOptions);
  let killed = false;
  const done = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (err: unknown) => {
      if (killed) resolve();
      else reject(toError(err));
    });
  });
  if (job.output !== undefined) {
    command.output(job.output).run();
    out.end();
  } else {
    command.pipe(out, { end: true });
  }
  // A failed run must also end the stream, or a reader would wait forever.
  done.catch(() => out.end());
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
    ffmpeg.ffprobe(path, (err: unknown, data: ffmpeg.FfprobeData) => {
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
