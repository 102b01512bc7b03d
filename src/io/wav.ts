/**
 * RIFF/WAVE: a header inspector (to pick a decoder and give clear errors) and a small writer.
 * Decoding the samples themselves is wav-decoder's job (see audio.ts).
 */
import type { Audio } from '../media.js';
import { InputError } from '../errors.js';

export const WAVE_FORMAT_PCM = 0x0001;
export const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export interface WavInfo {
  /** wFormatTag of the fmt chunk (1 = integer PCM, 3 = IEEE float, 0xFFFE = extensible, ...). */
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per sample frame (all channels). */
  blockAlign: number;
  /** Whole sample frames in the data chunk (a truncated chunk counts what is there). */
  frames: number;
  /**
   * Whether a chunk before `data` has an odd size. RIFF pads such chunks to an even length;
   * wav-decoder does not skip that pad byte, so such files go to ffmpeg instead.
   */
  oddChunkBeforeData: boolean;
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

export function isRiffWave(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && fourcc(bytes, 0) === 'RIFF' && fourcc(bytes, 8) === 'WAVE';
}

/** Walks the chunks of a RIFF/WAVE file. InputError when it is not one or lacks fmt/data. */
export function inspectWav(bytes: Uint8Array, name = 'input'): WavInfo {
  if (!isRiffWave(bytes)) throw new InputError(`${name}: not a RIFF/WAVE file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: Omit<WavInfo, 'frames' | 'oddChunkBeforeData'> | undefined;
  let oddChunk = false;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new InputError(`${name}: WAV fmt chunk is truncated`);
      fmt = {
        formatTag: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new InputError(`${name}: WAV data chunk comes before the fmt chunk`);
      if (fmt.channels === 0 || fmt.sampleRate === 0 || fmt.blockAlign === 0) {
        throw new InputError(
          `${name}: WAV header is invalid (channels ${fmt.channels}, sample rate ${fmt.sampleRate}, block align ${fmt.blockAlign})`,
        );
      }
      // Streams written without seeking carry a size of 0 or 0xFFFFFFFF: take what is there.
      const available = bytes.length - body;
      const dataBytes = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      return { ...fmt, frames: Math.floor(dataBytes / fmt.blockAlign), oddChunkBeforeData: oddChunk };
    }
    if (size % 2 === 1) oddChunk = true;
    at = body + size + (size % 2);
  }
  throw new InputError(`${name}: WAV file has no ${fmt ? 'data' : 'fmt'} chunk`);
}

export type WavSampleFormat = 'pcm16' | 'float32';

/**
 * Encodes audio as a canonical WAV file. `pcm16` (default) rounds x·32768 to the nearest integer
 * and clips to [-32768, 32767], no dither; this is the inverse of the x = s/32768 mapping that
 * readAudio (and ffmpeg) use, so 16-bit files round-trip exactly. `float32` stores samples as is.
 */
export function encodeWav(audio: Audio, format: WavSampleFormat = 'pcm16'): Uint8Array {
  const channels = audio.channels.length;
  if (channels === 0) throw new RangeError('encodeWav: audio has no channels');
  if (!Number.isInteger(audio.sampleRate) || audio.sampleRate <= 0) {
    throw new RangeError(`encodeWav: sample rate must be a positive integer, got ${audio.sampleRate}`);
  }
  const frames = audio.channels[0]!.length;
  if (audio.channels.some((c) => c.length !== frames)) throw new RangeError('encodeWav: channels differ in length');
  const isFloat = format === 'float32';
  const bytesPerSample = isFloat ? 4 : 2;
  const blockAlign = channels * bytesPerSample;
  const dataBytes = frames * blockAlign;
  // IEEE float WAVs carry an 18-byte fmt chunk (cbSize = 0) and a fact chunk, as the format asks.
  const fmtSize = isFloat ? 18 : 16;
  const factBytes = isFloat ? 12 : 0;
  const headerBytes = 12 + 8 + fmtSize + factBytes + 8;
  if (headerBytes - 8 + dataBytes > 0xffffffff) throw new RangeError('encodeWav: audio too long for a WAV file (4 GiB)');
  const out = new Uint8Array(headerBytes + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, headerBytes - 8 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, isFloat ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let at = 20 + fmtSize;
  if (isFloat) {
    view.setUint16(36, 0, true);
    ascii(at, 'fact');
    view.setUint32(at + 4, 4, true);
    view.setUint32(at + 8, frames, true);
    at += 12;
  }
  ascii(at, 'data');
  view.setUint32(at + 4, dataBytes, true);
  at += 8;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const x = audio.channels[c]![i]!;
      if (isFloat) {
        view.setFloat32(at, x, true);
      } else {
        const s = Math.round(x * 32768);
        view.setInt16(at, s > 32767 ? 32767 : s < -32768 ? -32768 : s, true);
      }
      at += bytesPerSample;
    }
  }
  return out;
}
