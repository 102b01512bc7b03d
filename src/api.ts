/**
 * The library API: `encode` and `decode` over any installed model, `inspect` for headers.
 *
 * @example
 * import { encode, decode } from 'lcodec';
 * const bytes = await encode('photo.png', { model: 'hyperprior-mse', quality: 4 });
 * const media = await decode(bytes);
 * if (media.modality === 'image') console.log(media.image.width, media.image.height);
 *
 * const lc = await encode('speech.flac', { quality: 1 });      // audio-hyperprior, ~12 kbit/s
 * const { audio } = (await decode(lc)) as { audio: Audio };      // the input's rate, channels, length
 */
import { open, readFile } from 'node:fs/promises';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import type { Audio, Codec, Modality, RgbImage, Video } from '../codecs/types.js';
import { looksLikeContainer, readContainer } from './container/index.js';
import { InputError } from './errors.js';
import { detectAudioFormat, readAudio, SNIFF_BYTES, writeWav, writeWavChunks } from './io/audio.js';
import { sniffModality } from './io/detect.js';
import { readImage } from './io/image.js';
import { DEFAULT_MODEL, DEFAULT_QUALITIES, loadModel } from './models.js';
import type { RuntimeOptions } from './runtime/onnx.js';

export interface EncodeOptions extends RuntimeOptions {
  /** Model name (default `hyperprior-mse` for images, `audio-hyperprior` for audio). */
  model?: string;
  /** The model's quality index (default 4 for images, 1 for audio); higher = better quality, more bits. */
  quality?: number;
}

/**
 * A file path, encoded media bytes (PNG, JPEG, WAV, FLAC, MP3, ...), decoded RGB pixels, or
 * decoded PCM (`{ sampleRate, channels: Float32Array[] }`).
 */
export type EncodeInput = string | Uint8Array | RgbImage | Audio;

export type DecodedMedia =
  | { modality: 'image'; image: RgbImage; model: string; quality: number }
  | { modality: 'audio'; audio: Audio; model: string; quality: number }
  | { modality: 'video'; video: Video; model: string; quality: number };

function isRgbImage(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && 'width' in x && 'height' in x && 'data' in x;
}

function isAudio(x: unknown): x is Audio {
  return typeof x === 'object' && x !== null && 'sampleRate' in x && 'channels' in x;
}

/** The modality of media bytes from their first bytes (audio formats beyond the common ones too). */
function modalityOf(head: Uint8Array): Modality | null {
  const kind = sniffModality(head);
  const brand = String.fromCharCode(...head.subarray(8, 12));
  if (kind === 'video' && detectAudioFormat(head) === 'mp4' && /^M4[ABP] $/.test(brand)) return 'audio'; // .m4a
  return kind ?? (detectAudioFormat(head) ? 'audio' : null);
}

async function fileHead(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r').catch(() => {
    throw new InputError(`${path}: no such file or not readable`);
  });
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await file.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

function codecFor(modality: Modality, opts: EncodeOptions): Codec {
  const fallback = (DEFAULT_MODEL as Record<string, string | undefined>)[modality];
  if (!opts.model && !fallback) throw new InputError(`${modality} input is not supported yet by this lcodec`);
  const codec = loadModel(opts.model ?? fallback!, opts);
  if (codec.modality !== modality) throw new InputError(`model ${codec.name} codes ${codec.modality}, not ${modality}`);
  return codec;
}

function qualityFor(modality: 'image' | 'audio', opts: EncodeOptions): number {
  return opts.quality ?? DEFAULT_QUALITIES[modality];
}

/**
 * Encodes media to an `.lc` bitstream. Audio files given by path are streamed (decoded,
 * resampled and coded chunk by chunk).
 * @example const lc = await encode(await readFile('photo.png'), { quality: 2 });
 */
export async function encode(input: EncodeInput, opts: EncodeOptions = {}): Promise<Uint8Array> {
  if (isRgbImage(input)) return codecFor('image', opts).encode(input as never, qualityFor('image', opts));
  if (isAudio(input)) return codecFor('audio', opts).encode(input as never, qualityFor('audio', opts));
  const head = typeof input === 'string' ? await fileHead(input) : input.subarray(0, SNIFF_BYTES);
  if (looksLikeContainer(head)) throw new InputError('input is already an .lc file');
  const kind = modalityOf(head);
  if (kind === 'video') throw new InputError('video input is not supported yet by this lcodec');
  if (kind === 'audio') {
    const codec = codecFor('audio', opts);
    const quality = qualityFor('audio', opts);
    if (typeof input === 'string' && codec instanceof LearnedAudioCodec) return codec.encodeFile(input, quality);
    return codec.encode((await readAudio(input)) as never, quality);
  }
  const bytes = typeof input === 'string' ? new Uint8Array(await readFile(input)) : input;
  const image = await readImage(bytes);
  return codecFor('image', opts).encode(image as never, qualityFor('image', opts));
}

/** Decodes an `.lc` bitstream with the model named in its header. */
export async function decode(bytes: Uint8Array, opts: RuntimeOptions = {}): Promise<DecodedMedia> {
  const header = readContainer(bytes);
  const codec = loadModel(header.model, opts);
  if (codec.modality !== header.modality) throw new InputError(`file says ${header.modality} but model ${header.model} codes ${codec.modality}`);
  const media = await codec.decode(bytes);
  if (header.modality === 'audio') return { modality: 'audio', audio: media as Audio, model: header.model, quality: header.quality };
  return { modality: 'image', image: media as RgbImage, model: header.model, quality: header.quality };
}

/**
 * Decodes an audio `.lc` bitstream into a 16-bit WAV file at the input's rate, channel count
 * and length. Learned audio models decode chunk by chunk, so memory does not grow with duration.
 * @example await decodeAudioToWav(await readFile('talk.lc'), 'talk.wav');
 */
export async function decodeAudioToWav(bytes: Uint8Array, path: string, opts: RuntimeOptions = {}): Promise<void> {
  const header = readContainer(bytes);
  if (header.modality !== 'audio') throw new InputError(`this is an ${header.modality} file, not an audio file`);
  const codec = loadModel(header.model, opts);
  if (codec.modality !== 'audio') throw new InputError(`file says audio but model ${header.model} codes ${codec.modality}`);
  if (codec instanceof LearnedAudioCodec) {
    const { info } = codec.parse(bytes);
    await writeWavChunks(path, codec.decodeChunks(bytes), { sampleRate: info.sampleRate, channels: info.channels, frames: info.samples });
    return;
  }
  await writeWav(path, (await codec.decode(bytes)) as Audio);
}

export interface FileInfo {
  modality: string;
  model: string;
  quality: number;
  bytes: number;
  sections: number[];
  width?: number;
  height?: number;
  bpp?: number;
  /** Audio: the input's sample rate, channel count and length, and the rate of this file. */
  sampleRate?: number;
  channels?: number;
  samples?: number;
  seconds?: number;
  kbps?: number;
}

/** What an `.lc` header says, without decoding. */
export function inspect(bytes: Uint8Array): FileInfo {
  const c = readContainer(bytes);
  const info: FileInfo = { modality: c.modality, model: c.model, quality: c.quality, bytes: bytes.length, sections: c.sections.map((s) => s.length) };
  if (c.modality === 'image') {
    info.width = c.shape[0];
    info.height = c.shape[1];
    info.bpp = (bytes.length * 8) / (info.width! * info.height!);
  }
  if (c.modality === 'audio' && c.shape.length >= 3 && c.shape[0]! > 0) {
    info.sampleRate = c.shape[0];
    info.channels = c.shape[1];
    info.samples = c.shape[2];
    info.seconds = info.samples! / info.sampleRate!;
    if (info.seconds > 0) info.kbps = (bytes.length * 8) / info.seconds / 1000;
  }
  return info;
}
