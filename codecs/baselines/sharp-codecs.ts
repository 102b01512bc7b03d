/**
 * Baselines encoded by libvips through sharp: JPEG (mozjpeg build), WebP (libwebp) and AVIF
 * (libheif + aom). Each file is exactly what sharp writes (no metadata), so its length is the rate.
 */
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { InputError } from '../../src/errors.js';
import type { RgbImage } from '../../src/media.js';
import { type BaselineImageCodec, checkImage, checkQuality, sweep } from './common.js';

type Configure = (pipeline: Sharp, quality: number) => Sharp;

class SharpImageCodec implements BaselineImageCodec {
  readonly modality = 'image' as const;
  constructor(
    readonly name: string,
    readonly qualities: readonly number[],
    readonly qualityRange: readonly [number, number],
    readonly config: string,
    private readonly configure: Configure,
  ) {}

  async encode(img: RgbImage, quality: number): Promise<Uint8Array> {
    checkImage(this.name, img);
    checkQuality(this.name, quality, this.qualityRange);
    const input = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
    const out = await this.configure(input, quality).toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      decoded = await sharp(bytes, { failOn: 'error' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw new InputError(`${this.name}: cannot decode bitstream (${(err as Error).message})`);
    }
    const { width, height, channels } = decoded.info;
    if (channels !== 3) throw new InputError(`${this.name}: decoded ${channels} channels, expected RGB`);
    return { width, height, data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length) };
  }
}

const v = sharp.versions;

/**
 * JPEG, configured like the libjpeg that produced the published Kodak JPEG curve (Pillow
 * 7.1's `save(quality=q)`): baseline, IJG Annex K quantisation tables scaled by quality,
 * standard Huffman tables, no trellis quantisation — i.e. mozjpeg with its extras off.
 * See docs/BASELINES.md for the measurement that holds it within ±3 % BD-rate.
 */
export function createJpeg(options: { subsampling: '4:2:0' | '4:4:4' } = { subsampling: '4:2:0' }): BaselineImageCodec {
  const jpegOptions = {
    chromaSubsampling: options.subsampling,
    mozjpeg: false,
    trellisQuantisation: false,
    overshootDeringing: false,
    optimiseScans: false,
    optimiseCoding: false,
    progressive: false,
    quantisationTable: 0,
  } as const;
  return new SharpImageCodec(
    options.subsampling === '4:4:4' ? 'jpeg-444' : 'jpeg',
    sweep(5, 95, 5),
    [1, 100],
    `sharp ${v.sharp} vips ${v.vips} mozjpeg ${v.mozjpeg} ${JSON.stringify(jpegOptions)}`,
    (p, q) => p.jpeg({ quality: q, ...jpegOptions }),
  );
}

/** WebP (libwebp lossy, method 4, sharp's defaults otherwise). */
export function createWebp(): BaselineImageCodec {
  const webpOptions = { effort: 4, smartSubsample: false, nearLossless: false, lossless: false } as const;
  return new SharpImageCodec(
    'webp',
    [1, ...sweep(10, 90, 10)],
    [0, 100],
    `sharp ${v.sharp} vips ${v.vips} webp ${v.webp} ${JSON.stringify(webpOptions)}`,
    (p, q) => p.webp({ quality: q, ...webpOptions }),
  );
}

/**
 * AVIF (libheif + aom, 8-bit 4:4:4) at effort 3 = aom speed 6, avifenc's default speed.
 * sharp's default effort 4 (speed 5) is 4.9 % better in BD-rate on Kodak but ~5× slower to
 * encode, which would make AVIF most of an eval run's time (docs/BASELINES.md).
 */
export function createAvif(): BaselineImageCodec {
  const avifOptions = { effort: 3, chromaSubsampling: '4:4:4', bitdepth: 8, lossless: false } as const;
  return new SharpImageCodec(
    'avif',
    sweep(10, 80, 10),
    [1, 100],
    `sharp ${v.sharp} vips ${v.vips} heif ${v.heif} aom ${v.aom} ${JSON.stringify(avifOptions)}`,
    (p, q) => p.avif({ quality: q, ...avifOptions }),
  );
}
