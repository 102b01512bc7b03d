/**
 * Image files in and out: any format sharp (libvips) reads, detected by content, becomes an
 * 8-bit RGB `RgbImage`; an `RgbImage` is written out as PNG.
 *
 * What is converted and what is refused, explicitly:
 * - palette and grayscale images are expanded to RGB;
 * - an alpha channel that is fully opaque is dropped; real transparency is refused
 *   (lcodec codes RGB only; flatten the image first);
 * - more than 8 bits per sample (16-bit PNG/TIFF, float) is refused: metrics and codecs
 *   here are defined on 8-bit RGB, and a silent down-conversion would change the content;
 * - CMYK and other non-RGB colour spaces are refused;
 * - multi-page / animated images are refused;
 * - pixels are taken as stored: no EXIF auto-rotation and no ICC colour management.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { RgbImage } from '../../codecs/types.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from './files.js';

/** Where an image comes from: a file path or the file's bytes. */
export type ImageSource = string | Uint8Array;

function describe(source: ImageSource): string {
  return typeof source === 'string' ? source : 'input buffer';
}

/** Reads an image file or buffer (format detected from its bytes) into 8-bit RGB. */
export async function readImage(source: ImageSource): Promise<RgbImage> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (err) {
      throw new InputError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else {
    bytes = source;
  }
  return decodeImageBytes(bytes, describe(source));
}

async function decodeImageBytes(bytes: Uint8Array, label: string): Promise<RgbImage> {
  if (bytes.length === 0) throw new InputError(`${label}: empty file, not an image`);
  // limitInputPixels guards against decompression bombs (default 268 Mpx in sharp).
  const input = sharp(bytes, { failOn: 'error' });
  let meta: Metadata;
  try {
    meta = await input.metadata();
  } catch {
    throw new InputError(`${label}: not an image in a supported format (PNG, JPEG, WebP, AVIF, TIFF, GIF, ...)`);
  }
  if ((meta.pages ?? 1) > 1) {
    throw new InputError(`${label}: image has ${meta.pages} pages/frames; only single images are supported`);
  }
  if (meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char') {
    throw new InputError(
      `${label}: ${meta.depth === 'ushort' ? '16-bit' : meta.depth} samples are not supported; convert to 8-bit RGB first`,
    );
  }
  const space = meta.space ?? 'srgb';
  if (space !== 'srgb' && space !== 'b-w' && space !== 'rgb') {
    throw new InputError(`${label}: colour space ${space} is not supported; convert to RGB first`);
  }

  let raw: { data: Buffer; info: OutputInfo };
  try {
    // Palette and grey images come out as RGB(A) of 8 bits after toColourspace('srgb').
    raw = await input.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new InputError(`${label}: corrupt or truncated image (${(err as Error).message})`);
  }
  const { width, height, channels } = raw.info;
  if (channels === 3) return { width, height, data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length) };
  if (channels !== 4) throw new InputError(`${label}: unexpected ${channels} channels after decoding`);

  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (raw.data[4 * i + 3] !== 255) {
      throw new InputError(`${label}: image has transparency; lcodec codes RGB only (flatten the alpha channel first)`);
    }
    rgb[3 * i] = raw.data[4 * i];
    rgb[3 * i + 1] = raw.data[4 * i + 1];
    rgb[3 * i + 2] = raw.data[4 * i + 2];
  }
  return { width, height, data: rgb };
}

/** Checks that `img` is a well-formed 8-bit RGB image; throws InputError otherwise. */
export function assertRgbImage(img: RgbImage): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InputError(`image dimensions must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new InputError(`image data has ${data.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`);
  }
}

/** Encodes an RGB image as a PNG file's bytes (lossless). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  assertRgbImage(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Writes `img` as PNG to `file`. The file appears only when complete (temp file + rename);
 * an existing file at `file` is replaced, so callers decide about overwriting.
 */
export async function writePng(file: string, img: RgbImage): Promise<void> {
  const png = await encodePng(img);
  await writeFileAtomic(file, png);
}
