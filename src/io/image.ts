/**
 * Image files in and out: any format sharp (libvips) reads, detected by content, becomes a
 * `Picture` (8-bit RGB, plus alpha and a grayscale flag when the file has them); a Picture
 * is written out as PNG with the same channels.
 *
 * What is kept, converted and refused, explicitly (a conversion that loses anything says
 * so through `onWarning`):
 * - grayscale images: expanded to RGB (R = G = B) and flagged `grayscale`;
 * - palette images: expanded to RGB(A);
 * - alpha: kept as `alpha` when any pixel is not fully opaque; a fully opaque alpha channel
 *   is dropped (nothing is lost);
 * - 16-bit samples: converted to 8 bits (high byte), with a warning;
 * - CMYK: converted to sRGB (embedded profile or libvips' default CMYK profile), with a warning;
 * - float samples, other colour spaces and multi-page / animated images: refused;
 * - images over `maxPixels`: refused from the header, before any pixel is decoded;
 * - pixels are taken as stored: no EXIF auto-rotation and no ICC colour management (both
 *   warned when the file asks for them: an orientation, a profile other than sRGB).
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { MAX_IMAGE_PIXELS, type Picture, type RgbImage } from '../media.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from './files.js';

/** Where an image comes from: a file path or the file's bytes. */
export type ImageSource = string | Uint8Array;

/** The input is empty or in no image format lcodec reads (as opposed to a bad image). */
export class NotAnImageError extends InputError {
  override name = 'NotAnImageError';
}

export interface ReadImageOptions {
  /**
   * Receives one line per lossy conversion (16-bit → 8-bit, CMYK → sRGB, an ignored EXIF
   * rotation or non-sRGB colour profile). Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
  /** Largest image accepted, in pixels; checked from the file header before decoding. */
  maxPixels?: number;
  /** How messages name the input (default: its path, or `input buffer`). */
  name?: string;
}

function describe(source: ImageSource): string {
  return typeof source === 'string' ? source : 'input buffer';
}

function defaultWarning(message: string): void {
  process.emitWarning(message, 'LcodecWarning');
}

const megapixels = (n: number): string => `${(n / 1e6).toFixed(1)} Mpx`;

/** Reads an image file or buffer (format detected from its bytes) into a Picture. */
export async function readImage(source: ImageSource, opts: ReadImageOptions = {}): Promise<Picture> {
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
  return decodeImageBytes(bytes, opts.name ?? describe(source), opts);
}

async function decodeImageBytes(bytes: Uint8Array, label: string, opts: ReadImageOptions): Promise<Picture> {
  const warn = opts.onWarning ?? defaultWarning;
  const maxPixels = opts.maxPixels ?? MAX_IMAGE_PIXELS;
  if (bytes.length === 0) throw new NotAnImageError(`${label}: empty file, not an image`);
  let meta: Metadata;
  try {
    // Header only: the pixel limit is checked here, with a clear message, before decoding.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new NotAnImageError(`${label}: not an image in a supported format (PNG, JPEG, WebP, AVIF, TIFF, GIF, ...)`);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > maxPixels) {
    throw new InputError(
      `${label}: image is ${width}x${height} (${megapixels(width * height)}); lcodec reads images up to ${megapixels(maxPixels)}`,
    );
  }
  if ((meta.pages ?? 1) > 1) {
    throw new InputError(`${label}: image has ${meta.pages} pages/frames; only single images are supported`);
  }
  const depth = meta.depth ?? 'uchar';
  if (depth === 'ushort') {
    warn(`${label}: 16-bit samples converted to 8 bits (lcodec codes 8-bit images)`);
  } else if (depth !== 'uchar' && depth !== 'char') {
    throw new InputError(`${label}: ${depth} samples are not supported; convert to 8-bit RGB first`);
  }
  const space = meta.space ?? 'srgb';
  const grayscale = space === 'b-w' || space === 'grey16';
  if (space === 'cmyk') {
    warn(`${label}: CMYK image converted to sRGB${meta.icc ? ' with its embedded profile' : ' with a generic CMYK profile'}`);
  } else if (!grayscale && space !== 'srgb' && space !== 'rgb' && space !== 'rgb16') {
    throw new InputError(`${label}: colour space ${space} is not supported; convert to RGB first`);
  }
  if (meta.icc && space !== 'cmyk' && !/srgb/i.test(iccDescription(meta.icc))) {
    const desc = iccDescription(meta.icc);
    warn(`${label}: embedded ICC profile${desc ? ` "${desc}"` : ''} is not kept; pixels are coded as stored (as if sRGB)`);
  }
  if (meta.orientation !== undefined && meta.orientation > 1) {
    warn(`${label}: EXIF orientation ${meta.orientation} ignored; pixels are coded as stored`);
  }

  let raw: { data: Buffer; info: OutputInfo };
  try {
    // Palette, grey and 16-bit images come out as 8-bit RGB(A) after toColourspace('srgb').
    raw = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new InputError(`${label}: corrupt or truncated image (${(err as Error).message.trim().split('\n')[0]})`);
  }
  const { channels } = raw.info;
  const n = raw.info.width * raw.info.height;
  const view = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length);
  if (channels === 3) return picture(raw.info.width, raw.info.height, view, undefined, grayscale);
  if (channels !== 4) throw new InputError(`${label}: unexpected ${channels} channels after decoding`);

  const rgb = new Uint8Array(n * 3);
  let opaque = true;
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = view[4 * i]!;
    rgb[3 * i + 1] = view[4 * i + 1]!;
    rgb[3 * i + 2] = view[4 * i + 2]!;
    if (view[4 * i + 3] !== 255) opaque = false;
  }
  let alpha: Uint8Array | undefined;
  if (!opaque) {
    alpha = new Uint8Array(n);
    for (let i = 0; i < n; i++) alpha[i] = view[4 * i + 3]!;
  }
  return picture(raw.info.width, raw.info.height, rgb, alpha, grayscale);
}

/** The profile description of an ICC profile ('desc' tag, v2 text or v4 'mluc'), or ''. */
export function iccDescription(icc: Uint8Array): string {
  const v = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  const ascii = (at: number, n: number): string => String.fromCharCode(...icc.subarray(at, at + n));
  try {
    const count = v.getUint32(128);
    for (let i = 0; i < Math.min(count, 100); i++) {
      const entry = 132 + 12 * i;
      if (ascii(entry, 4) !== 'desc') continue;
      const at = v.getUint32(entry + 4);
      const type = ascii(at, 4);
      if (type === 'desc') return ascii(at + 12, Math.min(v.getUint32(at + 8), 256)).replace(/\0+$/, '');
      if (type === 'mluc' && v.getUint32(at + 8) > 0) {
        const len = v.getUint32(at + 20);
        const off = v.getUint32(at + 24);
        let text = '';
        for (let k = 0; k + 1 < Math.min(len, 512); k += 2) text += String.fromCharCode(v.getUint16(at + off + k));
        return text.replace(/\0+$/, '');
      }
    }
  } catch {
    // a malformed profile: no description
  }
  return '';
}

function picture(width: number, height: number, data: Uint8Array, alpha: Uint8Array | undefined, grayscale: boolean): Picture {
  const p: Picture = { width, height, data };
  if (alpha) p.alpha = alpha;
  if (grayscale) p.grayscale = true;
  return p;
}

/** Checks that `img` is a well-formed 8-bit RGB image (with a well-formed alpha plane, if any). */
export function assertRgbImage(img: RgbImage | Picture): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InputError(`image dimensions must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new InputError(`image data has ${data.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`);
  }
  const alpha = (img as Picture).alpha;
  if (alpha !== undefined && alpha.length !== width * height) {
    throw new InputError(`alpha plane has ${alpha.length} bytes, expected ${width}×${height} = ${width * height}`);
  }
}

/**
 * Encodes a picture as a PNG file's bytes (lossless): RGB, RGBA when it has alpha, and
 * grayscale (+ alpha) when it is flagged grayscale (the first channel is written).
 */
export async function encodePng(img: RgbImage | Picture): Promise<Buffer> {
  assertRgbImage(img);
  const { width, height, data } = img;
  const { alpha, grayscale } = img as Picture;
  const n = width * height;
  let pixels: Uint8Array = data;
  let channels: 1 | 2 | 3 | 4 = 3;
  if (grayscale || alpha) {
    const colour = grayscale ? 1 : 3;
    channels = (colour + (alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
    pixels = new Uint8Array(n * channels);
    for (let i = 0, o = 0; i < n; i++) {
      for (let c = 0; c < colour; c++) pixels[o++] = data[3 * i + c]!;
      if (alpha) pixels[o++] = alpha[i]!;
    }
  }
  let out = sharp(pixels, { raw: { width, height, channels }, limitInputPixels: false });
  if (grayscale) out = out.toColourspace('b-w');
  return out.png({ compressionLevel: 6 }).toBuffer();
}

/**
 * Writes `img` as PNG to `file`. The file appears only when complete (temp file + rename);
 * an existing file at `file` is replaced, so callers decide about overwriting.
 */
export async function writePng(file: string, img: RgbImage | Picture): Promise<void> {
  const png = await encodePng(img);
  await writeFileAtomic(file, png);
}
