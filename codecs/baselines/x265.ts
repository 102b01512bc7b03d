/**
 * HEVC intra (x265 through ffmpeg) configured like BPG, the field's HEVC still-image anchor
 * (`bpgenc -f 444 -c ycbcr -b 8`, as in the published Kodak curve):
 * - Y'CbCr 4:4:4, 8 bit, BT.601 matrix at full range, converted here (ycbcr.ts) so that no
 *   limited-range step enters the round trip; the VUI signals full range / BT.601 / sRGB;
 * - one intra frame, constant QP, x265 `slow` preset with `tune ssim` (bpgenc calls
 *   x265_param_default_preset(p, preset, "ssim"): psy-rd and psy-rdoq off, which alone is
 *   worth ~14 % BD-rate on Kodak), no x265 info SEI (BPG drops it too);
 * - the file is the raw Annex-B HEVC stream (`-f hevc`): parameter sets + one slice; its
 *   length is the rate (a BPG header would add about 10 bytes).
 * Quality q ↔ QP = 51 − q (higher = better, as everywhere in lcodec).
 */
import { InputError } from '../../src/errors.js';
import type { RgbImage } from '../../src/media.js';
import { type BaselineImageCodec, checkImage, checkQuality } from './common.js';
import { ffmpegPath, requireFfmpegCodec, runTool } from './tools.js';
import { rgbToYcbcr444, ycbcr444ToRgb } from './ycbcr.js';

export interface X265Options {
  /** x265 preset (default `slow`). */
  preset: string;
  /** x265 tune (default `ssim`, as bpgenc sets it: turns psycho-visual RD off). */
  tune?: string;
  /** Extra `-x265-params` entries, key=value. */
  params: readonly string[];
}

const DEFAULT_OPTIONS: X265Options = { preset: 'slow', tune: 'ssim', params: [] };

/** QPs of the default sweep: about 0.1–2 bpp on Kodak. */
const DEFAULT_QPS = [45, 42, 39, 36, 33, 30, 27, 24, 21];

class X265ImageCodec implements BaselineImageCodec {
  readonly name = 'x265';
  readonly modality = 'image' as const;
  readonly qualities = DEFAULT_QPS.map((qp) => 51 - qp);
  readonly qualityRange = [0, 51] as const;
  readonly config: string;

  constructor(
    private readonly options: X265Options,
    ffmpegVersion: string,
  ) {
    this.config = `${ffmpegVersion} libx265 ${JSON.stringify(options)} ycbcr=bt601-full-444`;
  }

  async encode(img: RgbImage, quality: number): Promise<Uint8Array> {
    checkImage(this.name, img);
    checkQuality(this.name, quality, this.qualityRange);
    const qp = 51 - quality;
    const x265Params = [
      `qp=${qp}`,
      'keyint=1',
      'info=0',
      'range=full',
      'colorprim=bt709',
      'transfer=iec61966-2-1',
      'colormatrix=smpte170m',
      'log-level=error',
      ...this.options.params,
    ].join(':');
    // prettier-ignore
    const args = [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'yuv444p', '-color_range', 'pc', '-s', `${img.width}x${img.height}`, '-r', '1', '-i', 'pipe:0',
      '-frames:v', '1', '-c:v', 'libx265', '-preset', this.options.preset,
      ...(this.options.tune ? ['-tune', this.options.tune] : []),
      '-x265-params', x265Params,
      '-f', 'hevc', 'pipe:1',
    ];
    const out = await runTool(ffmpegPath(), args, rgbToYcbcr444(img));
    if (out.length === 0) throw new Error('x265: encoder produced no output');
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    // prettier-ignore
    const args = [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'hevc', '-i', 'pipe:0', '-frames:v', '1',
      '-f', 'yuv4mpegpipe', '-pix_fmt', 'yuv444p', '-strict', '-1', 'pipe:1',
    ];
    let y4m: Buffer;
    try {
      y4m = await runTool(ffmpegPath(), args, bytes);
    } catch (err) {
      throw new InputError(`x265: cannot decode bitstream (${(err as Error).message})`);
    }
    const frame = parseY4m444(y4m);
    return ycbcr444ToRgb(frame.planes, frame.width, frame.height);
  }
}

/** The first frame of a YUV4MPEG2 stream in 4:4:4: its size and planar samples. */
function parseY4m444(y4m: Buffer): { width: number; height: number; planes: Uint8Array } {
  const headerEnd = y4m.indexOf(0x0a);
  const header = headerEnd > 0 ? y4m.subarray(0, headerEnd).toString('latin1') : '';
  if (!header.startsWith('YUV4MPEG2 ')) throw new InputError('x265: decoder output is not a YUV4MPEG2 stream');
  const field = (tag: string) => header.split(' ').find((f) => f.startsWith(tag))?.slice(1);
  const width = Number(field('W'));
  const height = Number(field('H'));
  const chroma = field('C') ?? '420';
  if (!chroma.startsWith('444')) throw new InputError(`x265: decoded chroma ${chroma}, expected 4:4:4`);
  const frameStart = y4m.indexOf(0x0a, headerEnd + 1) + 1; // after "FRAME...\n"
  const size = width * height * 3;
  if (!(width > 0 && height > 0) || frameStart <= 0 || y4m.length < frameStart + size) {
    throw new InputError('x265: decoded stream holds no complete frame');
  }
  return { width, height, planes: y4m.subarray(frameStart, frameStart + size) };
}

/** x265 HEVC intra like BPG (see file header). Needs ffmpeg with libx265. */
export async function createX265(options: Partial<X265Options> = {}): Promise<BaselineImageCodec> {
  const caps = await requireFfmpegCodec('libx265', 'hevc', 'x265');
  return new X265ImageCodec({ ...DEFAULT_OPTIONS, ...options }, caps.version);
}
