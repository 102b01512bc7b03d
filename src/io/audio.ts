/**
 * Audio I/O: read any audio file or buffer into `Audio` (float PCM, one array per channel),
 * write WAV, resample, and stream long files in chunks.
 *
 * Reading picks the decoder from the content, not the extension: RIFF/WAVE with 16/24/32-bit
 * integer or 32/64-bit float samples goes through the npm package wav-decoder; everything else
 * (FLAC, MP3, Ogg, MP4/M4A, AIFF, WAV variants wav-decoder lacks, ...) is decoded by ffmpeg to
 * 32-bit float PCM. Integer samples map to floats as s / 2^(bits-1), as ffmpeg does.
 */
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { basename, dirname, join } from 'node:path';
import * as wavDecoder from 'wav-decoder';
import type { Audio } from '../media.js';
import { InputError } from '../errors.js';
import { SNIFF_BYTES, describeNonAudio, detectAudioFormat, readFileHead } from './detect.js';
import { type AudioStreamInfo, FfmpegError, probeAudio, resampleFilter, runFfmpeg, streamFfmpeg } from './ffmpeg.js';
import { writeFileAtomic } from './files.js';
import { withTempDir } from './temp.js';
import { WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_PCM, encodeWav, inspectWav, type WavSampleFormat } from './wav.js';

export { encodeWav, inspectWav, type WavInfo, type WavSampleFormat } from './wav.js';
export { SNIFF_BYTES, describeNonAudio, detectAudioFormat, type AudioFormat } from './detect.js';

/** Duration in seconds. */
export function audioDuration(audio: Audio): number {
  return (audio.channels[0]?.length ?? 0) / audio.sampleRate;
}

/** Checks the shape of an `Audio`: a positive integer rate, at least one channel, equal lengths. */
export function assertAudio(audio: Audio, name = 'audio'): void {
  if (!Number.isInteger(audio.sampleRate) || audio.sampleRate <= 0) {
    throw new InputError(`${name}: sample rate must be a positive integer, got ${audio.sampleRate}`);
  }
  if (audio.channels.length === 0) throw new InputError(`${name}: has no channels`);
  const n = audio.channels[0]!.length;
  if (audio.channels.some((c) => c.length !== n)) throw new InputError(`${name}: channels differ in length`);
}

/** Interleaves channels into one f32 array (frame by frame), as raw PCM streams expect. */
export function interleave(audio: Audio): Float32Array {
  const ch = audio.channels.length;
  const n = audio.channels[0]?.length ?? 0;
  const out = new Float32Array(n * ch);
  for (let c = 0; c < ch; c++) {
    const src = audio.channels[c]!;
    for (let i = 0, j = c; i < n; i++, j += ch) out[j] = src[i]!;
  }
  return out;
}

/** Splits interleaved little-endian f32 PCM bytes into channels. */
export function deinterleave(pcm: Uint8Array, channels: number, sampleRate: number): Audio {
  const frames = Math.floor(pcm.byteLength / (4 * channels));
  // A Float32Array view needs 4-byte alignment; Buffers from a pool may not have it.
  const aligned = pcm.byteOffset % 4 === 0 ? pcm : pcm.slice();
  const samples = new Float32Array(aligned.buffer, aligned.byteOffset, frames * channels);
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const dst = new Float32Array(frames);
    for (let i = 0, j = c; i < frames; i++, j += channels) dst[i] = samples[j]!;
    out.push(dst);
  }
  return { sampleRate, channels: out };
}

/** Cuts or zero-pads every channel to exactly `frames` samples. */
export function fitLength(audio: Audio, frames: number): Audio {
  return {
    sampleRate: audio.sampleRate,
    channels: audio.channels.map((c) => {
      if (c.length === frames) return c;
      if (c.length > frames) return c.slice(0, frames);
      const out = new Float32Array(frames);
      out.set(c);
      return out;
    }),
  };
}

function pcmBytes(audio: Audio): Uint8Array {
  const pcm = interleave(audio);
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** ffmpeg input options describing raw f32le PCM of this audio. */
export function rawPcmInputOptions(audio: Audio): string[] {
  return ['-f', 'f32le', '-ar', String(audio.sampleRate), '-ac', String(audio.channels.length)];
}

function decodeWithWavDecoder(bytes: Uint8Array, name: string): Audio | undefined {
  const info = inspectWav(bytes, name);
  if (info.frames === 0) throw new InputError(`${name}: WAV file has no samples`);
  const supported =
    (info.formatTag === WAVE_FORMAT_PCM && [16, 24, 32].includes(info.bitsPerSample)) ||
    (info.formatTag === WAVE_FORMAT_IEEE_FLOAT && [32, 64].includes(info.bitsPerSample));
  // Anything else (8-bit, extensible, µ-law, ADPCM, odd-sized chunks): ffmpeg.
  if (!supported || info.oddChunkBeforeData) return undefined;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let decoded: wavDecoder.DecodedWav;
  try {
    decoded = wavDecoder.decode.sync(buffer, { symmetric: true });
  } catch (err) {
    throw new InputError(`${name}: corrupt WAV file (${err instanceof Error ? err.message : String(err)})`);
  }
  if (info.formatTag === WAVE_FORMAT_PCM && info.bitsPerSample === 24) {
    // wav-decoder reads the 24-bit code -2^23 as +2^23 (it compares with > instead of >=), i.e.
    // as +1.0, which no 24-bit code means otherwise: put the sign back.
    for (const channel of decoded.channelData) {
      for (let i = 0; i < channel.length; i++) if (channel[i] === 1) channel[i] = -1;
    }
  }
  return { sampleRate: decoded.sampleRate, channels: decoded.channelData };
}

/** ffprobe's view of the first audio stream, with failures as InputError. */
async function probeInput(path: string, name: string): Promise<AudioStreamInfo> {
  let info;
  try {
    info = await probeAudio(path);
  } catch (err) {
    if (err instanceof FfmpegError) throw new InputError(`${name}: not a readable audio file (${err.message})`);
    throw err;
  }
  if (!(info.sampleRate > 0) || !(info.channels > 0)) {
    throw new InputError(`${name}: not a readable audio file (audio stream has no sample rate or channel count)`);
  }
  return info;
}

/** The first bytes of a file; InputError when it is missing, not a file, or empty. */
async function readHead(path: string, name: string): Promise<Uint8Array> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new InputError(`${name}: no such file`);
  if (!info.isFile()) throw new InputError(`${name}: not a file`);
  return readFileHead(path, SNIFF_BYTES);
}

/** InputError for content that is plainly not audio (empty, text, images, archives, ...). */
function rejectNonAudio(head: Uint8Array, name: string): void {
  if (head.length === 0) throw new InputError(`${name}: empty file`);
  const other = describeNonAudio(head);
  if (other) throw new InputError(`${name}: not audio (looks like ${other})`);
}

async function decodeFileWithFfmpeg(path: string, name: string): Promise<Audio> {
  const info = await probeInput(path, name);
  const audio = await decodePcm(path, info.channels, info.sampleRate, [], `${name}: cannot decode audio`);
  if (audio.channels[0]!.length === 0) throw new InputError(`${name}: audio stream has no samples`);
  return audio;
}

/** ffmpeg output options: the first audio stream, through the `filters` (if any), as raw f32le PCM. */
function pcmOutputOptions(channels: number, sampleRate: number, filters: string[]): string[] {
  return [
    '-map', '0:a:0',
    ...(filters.length > 0 ? ['-af', filters.join(',')] : []),
    '-ac', String(channels),
    '-ar', String(sampleRate),
    '-c:a', 'pcm_f32le',
    '-f', 'f32le',
  ];
}

/**
 * The first audio stream of a file as float PCM of `channels` at `sampleRate`, through the
 * ffmpeg `filters` (if any). InputError `<failure> (<ffmpeg's message>)` when ffmpeg fails.
 */
export async function decodePcm(path: string, channels: number, sampleRate: number, filters: string[], failure: string): Promise<Audio> {
  let pcm: Buffer;
  try {
    pcm = await runFfmpeg({ input: path, outputOptions: pcmOutputOptions(channels, sampleRate, filters) });
  } catch (err) {
    if (err instanceof FfmpegError) throw new InputError(`${failure} (${err.message})`);
    throw err;
  }
  return deinterleave(pcm, channels, sampleRate);
}

export interface ReadAudioOptions {
  /** Name used in error messages (defaults to the path, or "input" for bytes). */
  name?: string;
}

/**
 * Reads a whole audio file (a path, or the file's bytes) into float PCM at its own sample rate
 * and channel count. InputError for an empty or missing file, non-audio content, a WAV without
 * samples, or anything ffmpeg cannot decode.
 *
 * @example
 * const audio = await readAudio('speech.flac'); // { sampleRate: 24000, channels: [Float32Array] }
 */
export async function readAudio(input: string | Uint8Array, options: ReadAudioOptions = {}): Promise<Audio> {
  const name = options.name ?? (typeof input === 'string' ? input : 'input');
  const head = typeof input === 'string' ? await readHead(input, name) : input.subarray(0, SNIFF_BYTES);
  rejectNonAudio(head, name);

  if (detectAudioFormat(head) === 'wav') {
    const bytes = typeof input === 'string' ? new Uint8Array(await readFile(input)) : input;
    const audio = decodeWithWavDecoder(bytes, name);
    if (audio) return audio;
  }
  // Unknown content still goes to ffmpeg, which knows far more formats; it reports non-audio.
  if (typeof input === 'string') return decodeFileWithFfmpeg(input, name);
  // Bytes go through a file rather than a pipe: MP4 and others need to seek.
  return withTempDir(async (dir) => {
    const path = join(dir, 'input');
    await writeFileAtomic(path, input);
    return decodeFileWithFfmpeg(path, name);
  });
}

export interface WriteWavOptions {
  /** Sample format: 16-bit integer PCM (default) or 32-bit float. */
  format?: WavSampleFormat;
}

/** Writes a WAV file (complete or not at all: a temporary name, then a rename). */
export async function writeWav(path: string, audio: Audio, options: WriteWavOptions = {}): Promise<void> {
  assertAudio(audio);
  await writeFileAtomic(path, encodeWav(audio, options.format ?? 'pcm16'));
}

/**
 * Converts to another sample rate with ffmpeg's aresample filter (SoX resampler where ffmpeg has
 * it). The result has exactly round(n · rate / sampleRate) samples per channel, time-aligned with
 * the input (aresample compensates its own filter delay).
 */
export async function resample(audio: Audio, sampleRate: number): Promise<Audio> {
  assertAudio(audio);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new RangeError(`resample: rate must be a positive integer, got ${sampleRate}`);
  }
  const n = audio.channels[0]!.length;
  if (sampleRate === audio.sampleRate || n === 0) {
    return { sampleRate, channels: audio.channels.map((c) => c.slice()) };
  }
  const pcm = await runFfmpeg({
    input: pcmBytes(audio),
    inputOptions: rawPcmInputOptions(audio),
    outputOptions: ['-af', await resampleFilter(sampleRate), '-c:a', 'pcm_f32le', '-f', 'f32le'],
  });
  const out = deinterleave(pcm, audio.channels.length, sampleRate);
  return fitLength(out, Math.round((n * sampleRate) / audio.sampleRate));
}

export interface AudioChunkOptions {
  /** Output sample rate; defaults to the file's own. */
  sampleRate?: number;
  /** Output channel count (ffmpeg down/up-mixes); defaults to the file's own. */
  channels?: number;
  /** Length of each chunk in seconds (the last one may be shorter). Default 10. */
  chunkSeconds?: number;
}

/**
 * Streams a file's audio as consecutive chunks of float PCM, decoded (and resampled) by ffmpeg
 * on the fly. Memory stays bounded by the chunk size whatever the duration: ffmpeg is paused by
 * back-pressure while a chunk is being consumed, and stopped if the caller leaves the loop early.
 *
 * @example
 * for await (const chunk of readAudioChunks('long.flac', { sampleRate: 24000, chunkSeconds: 5 })) { ... }
 */
export async function* readAudioChunks(path: string, options: AudioChunkOptions = {}): AsyncGenerator<Audio> {
  const chunkSeconds = options.chunkSeconds ?? 10;
  if (!(chunkSeconds > 0)) throw new RangeError(`readAudioChunks: chunkSeconds must be > 0, got ${chunkSeconds}`);
  rejectNonAudio(await readHead(path, path), path);
  const info = await probeInput(path, path);
  const sampleRate = options.sampleRate ?? info.sampleRate;
  const channels = options.channels ?? info.channels;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`readAudioChunks: bad sample rate ${sampleRate}`);
  if (!Number.isInteger(channels) || channels <= 0) throw new RangeError(`readAudioChunks: bad channel count ${channels}`);
  const filters = sampleRate === info.sampleRate ? [] : [await resampleFilter(sampleRate)];
  const job = streamFfmpeg({ input: path, outputOptions: pcmOutputOptions(channels, sampleRate, filters) });

  const chunkFrames = Math.max(1, Math.round(chunkSeconds * sampleRate));
  const frameBytes = 4 * channels;
  let chunk = new Float32Array(chunkFrames * channels); // interleaved
  let filled = 0; // samples (not frames) in `chunk`
  let carry = new Uint8Array(0); // bytes of an incomplete sample left from the last read
  const split = (interleaved: Float32Array, frames: number): Audio =>
    deinterleave(new Uint8Array(interleaved.buffer, 0, frames * frameBytes), channels, sampleRate);
  let finished = false;
  let total = 0;
  try {
    for await (const data of job.stream as AsyncIterable<Buffer>) {
      let bytes: Uint8Array = data;
      if (carry.length > 0) {
        const joined = new Uint8Array(carry.length + bytes.length);
        joined.set(carry);
        joined.set(bytes, carry.length);
        bytes = joined;
      }
      const usable = bytes.length - (bytes.length % 4);
      const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
      const samples = new Float32Array(aligned.buffer, aligned.byteOffset, usable / 4);
      carry = bytes.slice(usable);
      let at = 0;
      while (at < samples.length) {
        const take = Math.min(samples.length - at, chunk.length - filled);
        chunk.set(samples.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === chunk.length) {
          total += chunkFrames;
          yield split(chunk, chunkFrames);
          chunk = new Float32Array(chunkFrames * channels);
          filled = 0;
        }
      }
    }
    try {
      await job.done;
    } catch (err) {
      if (err instanceof FfmpegError) throw new InputError(`${path}: cannot decode audio (${err.message})`);
      throw err;
    }
    finished = true;
    const frames = Math.floor(filled / channels);
    if (total + frames === 0) throw new InputError(`${path}: audio stream has no samples`);
    if (frames > 0) yield split(chunk, frames);
  } finally {
    // The caller left early (break/return/throw): stop ffmpeg instead of letting it run on.
    if (!finished) job.kill();
  }
}

/**
 * Resamples a stream of chunks (all of one rate and channel count) through one ffmpeg process,
 * as `resample` does for a whole signal: the same filter, no seams between chunks, and in total
 * exactly round(n · rate / fromRate) samples per channel for n input samples. Memory stays
 * bounded by the chunk sizes (back-pressure on both pipes). The output comes in pieces of any
 * length. Errors of the source are passed on as they are.
 *
 * @example
 * for await (const piece of resampleChunks(readAudioChunks('in.flac'), 24000)) { ... }
 */
export async function* resampleChunks(source: AsyncIterable<Audio>, sampleRate: number): AsyncGenerator<Audio> {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`resampleChunks: rate must be a positive integer, got ${sampleRate}`);
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const fromRate = first.value.sampleRate;
  const channels = first.value.channels.length;
  assertAudio(first.value);
  if (fromRate === sampleRate) {
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  let inFrames = 0;
  let inputDone = false;
  let sourceError: unknown;
  async function* pcm(): AsyncGenerator<Buffer> {
    try {
      for (let r: IteratorResult<Audio> = first; !r.done; r = await it.next()) {
        const a = r.value;
        assertAudio(a);
        if (a.sampleRate !== fromRate || a.channels.length !== channels) {
          throw new RangeError('resampleChunks: chunks differ in sample rate or channel count');
        }
        inFrames += a.channels[0]!.length;
        const bytes = interleave(a);
        yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      inputDone = true;
    } catch (err) {
      sourceError = err;
      throw err;
    }
  }
  const job = streamFfmpeg({
    input: Readable.from(pcm()),
    inputOptions: ['-f', 'f32le', '-ar', String(fromRate), '-ac', String(channels)],
    outputOptions: ['-af', await resampleFilter(sampleRate), '-c:a', 'pcm_f32le', '-f', 'f32le'],
  });
  // The last HOLD frames stay back until the input has ended and the exact total is known.
  const HOLD = 8192;
  const frameBytes = 4 * channels;
  let pending = new Uint8Array(0);
  let emitted = 0;
  let finished = false;
  try {
    for await (const data of job.stream as AsyncIterable<Buffer>) {
      if (sourceError !== undefined) throw sourceError;
      const joined = new Uint8Array(pending.length + data.length);
      joined.set(pending);
      joined.set(data, pending.length);
      const frames = Math.floor(joined.length / frameBytes);
      const give = frames - HOLD;
      if (give > 0) {
        yield deinterleave(joined.subarray(0, give * frameBytes), channels, sampleRate);
        emitted += give;
        pending = joined.slice(give * frameBytes);
      } else {
        pending = joined;
      }
    }
    try {
      await job.done;
    } catch (err) {
      throw sourceError ?? err;
    }
    if (sourceError !== undefined || !inputDone) throw sourceError ?? new Error('resampleChunks: input ended early');
    finished = true;
    const total = Math.round((inFrames * sampleRate) / fromRate);
    const rest = Math.max(0, total - emitted);
    if (rest > 0) yield fitLength(deinterleave(pending, channels, sampleRate), rest);
  } finally {
    if (!finished) job.kill();
  }
}

/**
 * Writes a 16-bit PCM WAV file from pieces of audio without holding the whole signal (the
 * total length must be known up front, for the header). Like `writeWav`: the same sample
 * mapping, and the file appears only when complete (a temporary name, then a rename).
 */
export async function writeWavChunks(
  path: string,
  pieces: AsyncIterable<Audio>,
  info: { sampleRate: number; channels: number; frames: number },
): Promise<void> {
  const header = encodeWav({ sampleRate: info.sampleRate, channels: Array.from({ length: info.channels }, () => new Float32Array(0)) });
  const dataBytes = info.frames * info.channels * 2;
  if (header.length !== 44 || 36 + dataBytes > 0xffffffff) throw new RangeError('writeWavChunks: audio too long for a WAV file (4 GiB)');
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  view.setUint32(4, 36 + dataBytes, true);
  view.setUint32(40, dataBytes, true);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const file = await open(temp, 'w');
  let written = 0;
  try {
    await file.write(header);
    for await (const a of pieces) {
      if (a.sampleRate !== info.sampleRate || a.channels.length !== info.channels) {
        throw new RangeError('writeWavChunks: a piece differs in sample rate or channel count');
      }
      const n = a.channels[0]!.length;
      if (written + n > info.frames) throw new RangeError(`writeWavChunks: more than the declared ${info.frames} frames`);
      const out = new Uint8Array(n * info.channels * 2);
      const dv = new DataView(out.buffer);
      for (let i = 0, at = 0; i < n; i++) {
        for (let c = 0; c < info.channels; c++, at += 2) {
          const s = Math.round(a.channels[c]![i]! * 32768);
          dv.setInt16(at, s > 32767 ? 32767 : s < -32768 ? -32768 : s, true);
        }
      }
      await file.write(out);
      written += n;
    }
    if (written !== info.frames) throw new RangeError(`writeWavChunks: got ${written} frames, declared ${info.frames}`);
    await file.close();
    await rename(temp, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}
