/**
 * Learned image codecs behind the common codec interface: the bitstream is an `.lc`
 * container whose sections are the tiles' z and y streams (one y stream per tile for the
 * hyperprior models, one per slice for the channel-wise ones), then, for images with
 * transparency, the losslessly coded alpha plane (docs/FORMAT.md).
 */
import { CorruptFileError, readContainer, writeContainer } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import type { Picture, RgbImage } from '../../src/media.js';
import type { InferenceEngine } from '../../src/runtime/engine.js';
import type { ImageCodec } from '../types.js';
import { checkHeader, type AnyLatents } from '../learned/hyperprior.js';
import { isHyperpriorFiles, type ImageModelFiles } from './bundle.js';
import { ImageChannelModel } from './channel.js';
import { ImageHyperpriorModel } from './hyperprior.js';
import { TILE, checkTile, type ImagePayload } from './tiled.js';
import { decodePlane, encodePlane } from './plane.js';

/** Channel layouts (shape[3]): what the decoder writes back. */
const CHANNELS = { gray: 1, grayAlpha: 2, rgb: 3, rgba: 4 } as const;

export interface ImageEncodeOptions {
  /** Tile edge in pixels: a multiple of 64 up to 1024 (default). Smaller tiles use less memory. */
  tile?: number;
}

export class LearnedImageCodec implements ImageCodec {
  readonly modality = 'image' as const;
  readonly qualities: readonly number[];
  /** @internal The model itself (tiles, latents, transforms), for tests and tools. */
  readonly model: ImageHyperpriorModel | ImageChannelModel;

  /**
   * `files` and `engine` come from the platform: in Node the model folder and onnxruntime-node
   * (codecs/models.ts), in a browser fetched files and onnxruntime-web (src/web/). The bundle's
   * format picks the model: mean-scale hyperprior or channel-wise context model.
   */
  constructor(readonly name: string, files: ImageModelFiles, engine: InferenceEngine) {
    this.model = isHyperpriorFiles(files) ? new ImageHyperpriorModel(name, files, engine) : new ImageChannelModel(name, files, engine);
    this.qualities = this.model.qualities;
  }

  /** Codes the RGB colour with the model; a Picture's alpha plane and grayscale flag are kept. */
  async encode(img: RgbImage | Picture, quality: number, opts: ImageEncodeOptions = {}): Promise<Uint8Array> {
    const tile = checkTile(opts.tile ?? TILE, 'tile', InputError);
    const { alpha, grayscale } = img as Picture;
    if (alpha !== undefined && alpha.length !== img.width * img.height) {
      throw new InputError(`alpha plane has ${alpha.length} bytes, expected ${img.width * img.height}`);
    }
    const p = await this.model.encodePayload(img, quality, tile);
    const channels = (grayscale ? CHANNELS.gray : CHANNELS.rgb) + (alpha ? 1 : 0);
    const sections = p.tiles.flat();
    if (alpha) sections.push(encodePlane(alpha, img.width, img.height));
    return writeContainer({
      modality: 'image',
      model: this.name,
      modelHash: this.model.files.hash,
      quality,
      shape: [p.width, p.height, tile, channels],
      sections,
    });
  }

  async decode(bytes: Uint8Array): Promise<Picture> {
    const { payload, channels, alphaSection } = this.parse(bytes);
    // The alpha plane first: cheap, and a damaged one fails before the model runs.
    const alpha = alphaSection && decodePlane(alphaSection, payload.width, payload.height);
    const picture: Picture = await this.model.decodePayload(payload);
    if (alpha) picture.alpha = alpha;
    if (channels <= CHANNELS.grayAlpha) {
      picture.grayscale = true;
      toGray(picture.data);
    }
    return picture;
  }

  /**
   * Diagnostics: the latents (ẑ, table indexes, means, symbols) of every tile, in stream order:
   * what must decode alike on every machine (test/golden.test.ts).
   */
  async decodeSymbols(bytes: Uint8Array): Promise<AnyLatents[]> {
    const { payload } = this.parse(bytes);
    const grid = this.model.checkPayload(payload);
    const out: AnyLatents[] = [];
    for (let i = 0; i < grid.length; i++) out.push(await this.model.decodeTile(payload.tiles[i]!, grid[i]!, payload.quality));
    return out;
  }

  /** An image `.lc` file's header and sections, checked. */
  private parse(bytes: Uint8Array): { payload: ImagePayload; channels: number; alphaSection?: Uint8Array } {
    const c = readContainer(bytes);
    checkHeader(c, 'image', this.name, this.model.files.hash, this.qualities);
    // Files written before the channel field (3 shape values) are RGB.
    if (c.shape.length !== 3 && c.shape.length !== 4) throw new CorruptFileError('corrupt .lc file (image shape)');
    const [width, height, tile] = c.shape as [number, number, number];
    const channels = c.shape[3] ?? CHANNELS.rgb;
    if (channels < 1 || channels > 4) throw new CorruptFileError(`corrupt .lc file (${channels} channels)`);
    const hasAlpha = channels === CHANNELS.grayAlpha || channels === CHANNELS.rgba;
    const tileSections = c.sections.length - (hasAlpha ? 1 : 0);
    const per = this.model.sectionsPerTile;
    if (tileSections < 0 || tileSections % per) throw new CorruptFileError('corrupt .lc file (section count)');
    const tiles: Uint8Array[][] = [];
    for (let i = 0; i < tileSections; i += per) tiles.push(c.sections.slice(i, i + per));
    const payload: ImagePayload = { width, height, tile, quality: c.quality, tiles };
    this.model.checkPayload(payload);
    return { payload, channels, ...(hasAlpha ? { alphaSection: c.sections[tileSections]! } : {}) };
  }
}

/** Sets R = G = B to the rounded mean of each decoded pixel (a grayscale source's estimate). */
function toGray(rgb: Uint8Array): void {
  for (let i = 0; i < rgb.length; i += 3) {
    const v = Math.round((rgb[i]! + rgb[i + 1]! + rgb[i + 2]!) / 3);
    rgb[i] = v;
    rgb[i + 1] = v;
    rgb[i + 2] = v;
  }
}
