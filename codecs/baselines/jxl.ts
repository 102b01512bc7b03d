/**
 * JPEG XL (libjxl through ffmpeg), lossy VarDCT at effort 7 (libjxl's default). The file is
 * the bare JPEG XL codestream ffmpeg writes; its length is the rate.
 * Quality q (10–100) maps to a Butteraugli distance the way cjxl's `-q` does:
 * d = 0.1 + (100 − q)·0.09 for q ≥ 30, d = 6.4 + 2.5^((30 − q)/5)/6.25 below
 * (q 90 ≈ d 1.0, visually lossless).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../src/errors.js';
import type { RgbImage } from '../../src/media.js';
import { type BaselineImageCodec, checkImage, checkQuality, sweep } from './common.js';
import { ffmpegPath, requireFfmpegCodec, runTool, withTempDir } from './tools.js';

/** cjxl's quality → distance mapping. */
export function jxlDistance(quality: number): number {
  return quality >= 30 ? 0.1 + (100 - quality) * 0.09 : 6.4 + Math.pow(2.5, (30 - quality) / 5) / 6.25;
}

class JxlImageCodec implements BaselineImageCodec {
  readonly name = 'jxl';
  readonly modality = 'image' as const;
  readonly qualities = [...sweep(10, 80, 10), 85, 90];
  readonly qualityRange = [10, 100] as const; // ffmpeg caps the distance at 15 (q ≈ 8)
  readonly config: string;

  constructor(
    private readonly effort: number,
    ffmpegVersion: string,
  ) {
    this.config = `${ffmpegVersion} libjxl effort=${effort} distance=cjxl-q-mapping`;
  }

  async encode(img: RgbImage, quality: number): Promise<Uint8Array> {
    checkImage(this.name, img);
    checkQuality(this.name, quality, this.qualityRange);
    // prettier-ignore
    const args = [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${img.width}x${img.height}`, '-i', 'pipe:0',
      '-frames:v', '1', '-c:v', 'libjxl', '-distance', jxlDistance(quality).toFixed(4), '-effort', String(this.effort),
      '-f', 'image2pipe', 'pipe:1',
    ];
    const out = await runTool(ffmpegPath(), args, img.data);
    if (out.length === 0) throw new Error('jxl: encoder produced no output');
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    // ffmpeg 5.1 cannot probe JPEG XL from a pipe, so the decoder reads a temp file.
    return withTempDir(async (dir) => {
      const input = path.join(dir, 'in.jxl');
      const output = path.join(dir, 'out.ppm');
      await writeFile(input, bytes);
      // prettier-ignore
      const args = ['-hide_banner', '-loglevel', 'error', '-i', input, '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'image2', '-c:v', 'ppm', output];
      try {
        await runTool(ffmpegPath(), args);
        return parsePpm(await readFile(output));
      } catch (err) {
        throw new InputError(`jxl: cannot decode bitstream (${(err as Error).message})`);
      }
    });
  }
}

/** A binary PPM (P6, maxval 255) as an RgbImage. */
function parsePpm(ppm: Buffer): RgbImage {
  // Header: "P6", width, height, maxval, separated by whitespace, then one whitespace byte.
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4 && i < ppm.length) {
    while (i < ppm.length && /\s/.test(String.fromCharCode(ppm[i]))) i++;
    if (ppm[i] === 0x23) {
      while (i < ppm.length && ppm[i] !== 0x0a) i++; // comment
      continue;
    }
    const start = i;
    while (i < ppm.length && !/\s/.test(String.fromCharCode(ppm[i]))) i++;
    fields.push(ppm.subarray(start, i).toString('latin1'));
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  if (magic !== 'P6' || max !== '255' || !(width > 0 && height > 0) || ppm.length < i + 1 + width * height * 3) {
    throw new InputError('jxl: decoder output is not an 8-bit PPM');
  }
  return { width, height, data: new Uint8Array(ppm.subarray(i + 1, i + 1 + width * height * 3)) };
}

/** JPEG XL at effort 7 (see file header). Needs ffmpeg with libjxl. */
export async function createJxl(options: { effort?: number } = {}): Promise<BaselineImageCodec> {
  const caps = await requireFfmpegCodec('libjxl', 'libjxl', 'jxl');
  return new JxlImageCodec(options.effort ?? 7, caps.version);
}
