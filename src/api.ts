/**
 * The library API: `encode` and `decode` over any installed model, `inspect` for headers.
 *
 * @example
 * import { encode, decode } from 'lcodec';
 * const bytes = await encode('photo.png', { model: 'hyperprior-mse', quality: 4 });
 * const media = await decode(bytes);
 * if (media.modality === 'image') console.log(media.image.width, media.image.height);
 *
 * const lc = await encode('speech.flac', { quality: 2 });      // audio-mdct, about 9 kbit/s (README)
 * const { audio } = (await decode(lc)) as { audio: Audio };      // the input's rate, channels, length
 */
import { readFile } from 'node:fs/promises';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import { LearnedImageCodec } from '../codecs/image/index.js';
import { MAX_IMAGE_PIXELS, type Audio, type Modality, type Picture, type RgbImage, type Video } from './media.js';
import { type Codec } from '../codecs/types.js';
import { readVideo } from './io/video.js';
import { type Container, CorruptFileError, looksLikeContainer, readContainer, UnsupportedFileError } from './container/index.js';
import { InputError, UsageError } from './errors.js';
import { describeNonAudio, readAudio, SNIFF_BYTES, writeWav, writeWavChunks } from './io/audio.js';
import { readFileHead, sniffModality } from './io/detect.js';
import { NotAnImageError, readImage } from './io/image.js';
import { checkQuality } from '../codecs/learned/hyperprior.js';
import { DEFAULT_MODEL, DEFAULT_QUALITIES, installedModels, loadModel } from '../codecs/models.js';
import type { RuntimeOptions } from './runtime/onnx.js';

export interface EncodeOptions extends RuntimeOptions {
  /** Model name (default `hyperprior-mse` for images, `audio-mdct` for audio, `video-mc` for video). */
  model?: string;
  /** The model's quality index (default: DEFAULT_QUALITIES, 4 for images and video, 3 for audio); higher = better quality, more bits. */
  quality?: number;
  /** Image and video models: tile edge in pixels (multiple of 64, at most and by default 1024). */
  tile?: number;
  /** Video models: frames between intra frames (default: the model's, 32); 1 = all intra. */
  intraPeriod?: number;
  /**
   * Receives one line for each lossy conversion of the input (16-bit → 8-bit, CMYK → sRGB,
   * ignored EXIF rotation). Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
  /** How messages name the input (default: its path, or `input buffer`). */
  name?: string;
}

/**
 * A file path, encoded media bytes (PNG, JPEG, WAV, FLAC, MP3, Y4M, MP4, MKV, ...), decoded
 * RGB pixels, decoded PCM (`{ sampleRate, channels: Float32Array[] }`) or a decoded video
 * (`{ width, height, fps, frames }`).
 */
export type EncodeInput = string | Uint8Array | RgbImage | Picture | Audio | Video;

export type DecodedMedia =
  | { modality: 'image'; image: Picture; model: string; quality: number }
  | { modality: 'audio'; audio: Audio; model: string; quality: number }
  | { modality: 'video'; video: Video; model: string; quality: number };

function isVideo(x: unknown): x is Video {
  return typeof x === 'object' && x !== null && 'fps' in x && 'frames' in x;
}

function isRgbImage(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && 'width' in x && 'height' in x && 'data' in x;
}

function isAudio(x: unknown): x is Audio {
  return typeof x === 'object' && x !== null && 'sampleRate' in x && 'channels' in x;
}

function codecFor(modality: Modality, opts: EncodeOptions): Codec {
  const video = modality === 'video' ? { intraPeriod: opts.intraPeriod, tile: opts.tile } : {};
  if (modality !== 'video' && opts.intraPeriod !== undefined) throw new UsageError(`--intra-period is for video, not ${modality}`);
  const codec = loadModel(opts.model ?? DEFAULT_MODEL[modality], opts, video);
  if (codec.modality !== modality) throw new InputError(`model ${codec.name} codes ${codec.modality}, not ${modality}`);
  return codec;
}

/** The requested (or default) quality, checked against the model's levels (a usage error). */
function qualityFor(codec: Codec, modality: Modality, opts: EncodeOptions): number {
  return checkQuality(codec.name, opts.quality ?? DEFAULT_QUALITIES[modality], codec.qualities, UsageError);
}

/** Image models: checks the options before any input is read, then codes the picture. */
function imageEncoder(opts: EncodeOptions): (image: Picture) => Promise<Uint8Array> {
  const codec = codecFor('image', opts);
  const quality = qualityFor(codec, 'image', opts);
  if (opts.tile !== undefined && !(codec instanceof LearnedImageCodec)) throw new UsageError(`model ${codec.name} has no tile option`);
  return (image) => (codec instanceof LearnedImageCodec ? codec.encode(image, quality, { tile: opts.tile }) : codec.encode(image, quality));
}

/** Video models: the options are checked first, then the frames stream through the model. */
async function encodeVideo(input: string | Uint8Array | Video, opts: EncodeOptions): Promise<Uint8Array> {
  const codec = codecFor('video', opts);
  const quality = qualityFor(codec, 'video', opts);
  const name = opts.name ?? (typeof input === 'string' ? input : undefined);
  const video = isVideo(input) ? input : await readVideo(input, { name });
  if (video.width * video.height > MAX_IMAGE_PIXELS) {
    // Before any frame is read; the codec checks again, without the file's name.
    const mpx = (n: number): string => `${(n / 1e6).toFixed(1)} Mpx`;
    throw new InputError(`${name ?? 'input'}: video frames are ${video.width}x${video.height} (${mpx(video.width * video.height)}); lcodec reads frames up to ${mpx(MAX_IMAGE_PIXELS)}`);
  }
  return codec.encode(video as never, quality);
}

/**
 * Encodes media to an `.lc` bitstream. Audio files given by path are streamed (decoded,
 * resampled and coded chunk by chunk).
 * @example const lc = await encode(await readFile('photo.png'), { quality: 2 });
 */
export async function encode(input: EncodeInput, opts: EncodeOptions = {}): Promise<Uint8Array> {
  if (isVideo(input)) return encodeVideo(input, opts);
  if (isRgbImage(input)) return imageEncoder(opts)(input);
  if (isAudio(input)) {
    const codec = codecFor('audio', opts);
    return codec.encode(input as never, qualityFor(codec, 'audio', opts));
  }
  const head = typeof input === 'string'
    ? await readFileHead(input, SNIFF_BYTES).catch(() => {
      throw new InputError(`${input}: no such file or not readable`);
    })
    : input.subarray(0, SNIFF_BYTES);
  if (looksLikeContainer(head)) throw new InputError('input is already an .lc file');
  const kind = sniffModality(head);
  if (kind === 'video') return encodeVideo(input, opts);
  if (kind === 'audio') {
    const codec = codecFor('audio', opts);
    const quality = qualityFor(codec, 'audio', opts);
    if (typeof input === 'string' && codec instanceof LearnedAudioCodec) return codec.encodeFile(input, quality);
    return codec.encode((await readAudio(input)) as never, quality);
  }
  const encodeImage = imageEncoder(opts); // options first: a bad option fails before a large input is read
  const bytes = typeof input === 'string' ? new Uint8Array(await readFile(input)) : input;
  const name = opts.name ?? (typeof input === 'string' ? input : undefined);
  if (kind === null && bytes.length === 0) throw new InputError(`${name ?? 'input'}: empty file`);
  let image: Picture;
  try {
    image = await readImage(bytes, { onWarning: opts.onWarning, name });
  } catch (err) {
    // Content no sniffer knew and the image reader could not read either: say what lcodec
    // reads, whatever the file's name suggests (a text file named .flac is not a FLAC).
    if (kind !== null || !(err instanceof NotAnImageError)) throw err;
    const looks = describeNonAudio(head);
    throw new InputError(`${name ?? 'input'}: not an image, audio or video file lcodec reads${looks ? ` (looks like ${looks})` : ''}`);
  }
  return encodeImage(image);
}

/**
 * The installed codec that decodes a file with this header. A model the file names but this
 * lcodec lacks is bad input (InputError, exit code 2), not a usage error.
 */
function codecForFile(header: Container, opts: RuntimeOptions): Codec {
  const installed = installedModels().find((m) => m.name === header.model);
  if (!installed) throw new InputError(`file was made by model '${header.model}', which is not installed (see \`lcodec models\`)`);
  if (installed.problem) throw new InputError(`file was made by model '${header.model}', which is unavailable here: ${installed.problem}`);
  const codec = loadModel(header.model, opts);
  if (codec.modality !== header.modality) throw new InputError(`file says ${header.modality} but model ${header.model} codes ${codec.modality}`);
  return codec;
}

/** Decodes an `.lc` bitstream with the model named in its header. */
export async function decode(bytes: Uint8Array, opts: RuntimeOptions = {}): Promise<DecodedMedia> {
  const header = readContainer(bytes);
  const codec = codecForFile(header, opts);
  const media = await codec.decode(bytes);
  if (header.modality === 'audio') return { modality: 'audio', audio: media as Audio, model: header.model, quality: header.quality };
  if (header.modality === 'video') return { modality: 'video', video: media as Video, model: header.model, quality: header.quality };
  return { modality: 'image', image: media as Picture, model: header.model, quality: header.quality };
}

/**
 * Decodes an audio `.lc` bitstream into a 16-bit WAV file at the input's rate, channel count
 * and length. Learned audio models decode chunk by chunk, so memory does not grow with duration.
 * @example await decodeAudioToWav(await readFile('talk.lc'), 'talk.wav');
 */
export async function decodeAudioToWav(bytes: Uint8Array, path: string, opts: RuntimeOptions = {}): Promise<void> {
  const header = readContainer(bytes);
  if (header.modality !== 'audio') throw new InputError(`this is an ${header.modality} file, not an audio file`);
  const codec = codecForFile(header, opts);
  if (codec instanceof LearnedAudioCodec) {
    const { info } = codec.parse(bytes);
    if (44 + info.samples * info.channels * 2 > 0xffffffff) {
      throw new UnsupportedFileError(`audio of ${info.samples} samples × ${info.channels} channels is too long for a WAV file (4 GiB)`);
    }
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
  /** Image: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Audio: the input's channel count. */
  channels?: number;
  /** Video: frames, frame rate (frames per second) and intra period. */
  frames?: number;
  fps?: number;
  intraPeriod?: number;
  /** Audio: the input's sample rate and length, and the rate of this file. */
  sampleRate?: number;
  samples?: number;
  seconds?: number;
  kbps?: number;
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
  if (c.modality === 'video') {
    const [width = 0, height = 0, num = 0, den = 0, frames = 0, intraPeriod = 0] = c.shape;
    if (width < 1 || height < 1 || num < 1 || den < 1 || frames < 1) throw new CorruptFileError(`corrupt .lc file (video ${width}x${height}, ${frames} frames, ${num}/${den} fps)`);
    Object.assign(info, { width, height, frames, fps: num / den, intraPeriod, seconds: (frames * den) / num });
    info.bpp = (bytes.length * 8) / (width * height * frames);
    info.kbps = (bytes.length * 8) / info.seconds! / 1000;
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
