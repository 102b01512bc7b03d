/**
 * The library API: `encode` and `decode` over any installed model, `inspect` for headers.
 *
 * @example
 * import { encode, decode } from 'lcodec';
 * const bytes = await encode('photo.png', { model: 'hyperprior-mse', quality: 4 });
 * const media = await decode(bytes);
 * if (media.modality === 'image') console.log(media.image.width, media.image.height);
 */
import { readFile } from 'node:fs/promises';
import { LearnedImageCodec } from '../codecs/image/index.js';
import type { Audio, Picture, RgbImage, Video } from '../codecs/types.js';
import { CorruptFileError, looksLikeContainer, readContainer } from './container/index.js';
import { InputError, UsageError } from './errors.js';
import { sniffModality } from './io/detect.js';
import { readImage } from './io/image.js';
import { DEFAULT_MODEL, DEFAULT_QUALITY, listModels, loadModel } from './models.js';
import type { RuntimeOptions } from './runtime/onnx.js';

export interface EncodeOptions extends RuntimeOptions {
  /** Model name (default `hyperprior-mse` for images). */
  model?: string;
  /** The model's quality index (default 4); higher = better quality, more bits. */
  quality?: number;
  /** Image models: tile edge in pixels (multiple of 64, at most and by default 1024). */
  tile?: number;
  /**
   * Receives one line for each lossy conversion of the input (16-bit → 8-bit, CMYK → sRGB,
   * ignored EXIF rotation). Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
  /** How messages name the input (default: its path, or `input buffer`). */
  name?: string;
}

/** A file path, encoded media bytes (PNG, JPEG, ...), or decoded RGB pixels (alpha optional). */
export type EncodeInput = string | Uint8Array | RgbImage | Picture;

export type DecodedMedia =
  | { modality: 'image'; image: Picture; model: string; quality: number }
  | { modality: 'audio'; audio: Audio; model: string; quality: number }
  | { modality: 'video'; video: Video; model: string; quality: number };

function isRgbImage(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && 'width' in x && 'height' in x && 'data' in x;
}

/**
 * Encodes media to an `.lc` bitstream.
 * @example const lc = await encode(await readFile('photo.png'), { quality: 2 });
 */
export async function encode(input: EncodeInput, opts: EncodeOptions = {}): Promise<Uint8Array> {
  // Options first: a bad option fails before a large input is read.
  const codec = loadModel(opts.model ?? DEFAULT_MODEL.image, opts);
  if (codec.modality !== 'image') throw new InputError(`model ${codec.name} codes ${codec.modality}, not images`);
  const quality = opts.quality ?? DEFAULT_QUALITY;
  if (!codec.qualities.includes(quality)) {
    throw new UsageError(`quality ${quality} is out of range for ${codec.name}: use ${codec.qualities[0]}..${codec.qualities[codec.qualities.length - 1]}`);
  }
  if (opts.tile !== undefined && !(codec instanceof LearnedImageCodec)) throw new UsageError(`model ${codec.name} has no tile option`);

  let image: Picture;
  if (isRgbImage(input)) {
    image = input;
  } else {
    const bytes = typeof input === 'string' ? new Uint8Array(await readFile(input)) : input;
    if (looksLikeContainer(bytes)) throw new InputError('input is already an .lc file');
    const kind = sniffModality(bytes.subarray(0, 32));
    if (kind === 'audio' || kind === 'video') throw new InputError(`${kind} input is not supported yet by this lcodec`);
    const name = opts.name ?? (typeof input === 'string' ? input : undefined);
    image = await readImage(bytes, { onWarning: opts.onWarning, name });
  }
  if (codec instanceof LearnedImageCodec) return codec.encode(image, quality, { tile: opts.tile });
  return codec.encode(image, quality);
}

/** Decodes an `.lc` bitstream with the model named in its header. */
export async function decode(bytes: Uint8Array, opts: RuntimeOptions = {}): Promise<DecodedMedia> {
  const header = readContainer(bytes);
  if (!listModels().some((m) => m.name === header.model)) {
    throw new InputError(`file was made by model '${header.model}', which is not installed (see \`lcodec models\`)`);
  }
  const codec = loadModel(header.model, opts);
  if (codec.modality !== header.modality) throw new InputError(`file says ${header.modality} but model ${header.model} codes ${codec.modality}`);
  const media = await codec.decode(bytes);
  return { modality: 'image', image: media as Picture, model: header.model, quality: header.quality };
}

export interface FileInfo {
  modality: string;
  model: string;
  quality: number;
  bytes: number;
  sections: number[];
  width?: number;
  height?: number;
  /** Image: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels?: number;
  bpp?: number;
}

/** What an `.lc` header says, without decoding. */
export function inspect(bytes: Uint8Array): FileInfo {
  const c = readContainer(bytes);
  const info: FileInfo = { modality: c.modality, model: c.model, quality: c.quality, bytes: bytes.length, sections: c.sections.map((s) => s.length) };
  if (c.modality === 'image') {
    const [width = 0, height = 0, , channels = 3] = c.shape;
    if (width < 1 || height < 1 || !(channels >= 1 && channels <= 4)) throw new CorruptFileError(`corrupt .lc file (image ${width}x${height}, ${channels} channels)`);
    Object.assign(info, { width, height, channels, bpp: (bytes.length * 8) / (width * height) });
  }
  return info;
}
