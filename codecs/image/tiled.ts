/**
 * What every learned image model shares: independent tiles (TILE pixels by default, padded to
 * the model stride), the analysis transforms g_a and h_a with the per-quality gains, the z/y
 * entropy coding (codecs/learned/), and the payload checks. A model adds its entropy model and
 * its synthesis: the mean-scale hyperprior (hyperprior.ts) or the channel-wise context model
 * (channel.ts). The inference engine is injected (onnxruntime-node, or onnxruntime-web in a
 * browser), so this file imports nothing from Node.
 *
 * Glossary: x image, y latent (g_a), z hyper-latent (h_a), ẑ / ŷ quantized.
 */
import { multipleOf, type ErrorClass } from '../../src/check.js';
import { CorruptFileError } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import { MAX_IMAGE_PIXELS, type RgbImage } from '../../src/media.js';
import type { EngineInput, InferenceEngine } from '../../src/runtime/engine.js';
import { HyperpriorCoder, checkQuality, type AnyLatents, type ZShape } from '../learned/hyperprior.js';
import { LatentCoder } from '../learned/latent-coder.js';
import type { LatentBundle, LearnedModelFiles } from '../learned/model-files-core.js';
import { scaleChannels } from '../learned/quantize.js';

/** Default tile edge: independent tiles of at most TILE × TILE pixels bound memory. */
export const TILE = 1024;
/** Model stride: tiles are padded to multiples of it (the z grid is 1/64 of the pixels). */
export const STRIDE = 64;

/** A tile's rectangle in the image. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The coded image: size, quality, tile edge, and per tile its container sections (z, then y streams). */
export interface ImagePayload {
  width: number;
  height: number;
  quality: number;
  /** Tile edge in pixels: a multiple of 64, at most TILE. */
  tile: number;
  tiles: Uint8Array[][];
}

/** `tile` as a tile edge this codec can work with (a multiple of the stride up to TILE); throws `Err` otherwise. */
export function checkTile(tile: unknown, name = 'tile', Err: ErrorClass = RangeError): number {
  return multipleOf(name, tile, STRIDE, STRIDE, TILE, Err);
}

/** Tile grid of an image: the rectangles, row-major. */
export function tileGrid(width: number, height: number, tile = TILE): Rect[] {
  const out = [];
  for (let y = 0; y < height; y += tile) {
    for (let x = 0; x < width; x += tile) out.push({ x, y, w: Math.min(tile, width - x), h: Math.min(tile, height - y) });
  }
  return out;
}

/** Padded size of a tile and of its latent grids. */
export function tileDims(t: Rect): { W: number; H: number; yh: number; yw: number; zh: number; zw: number } {
  const H = Math.ceil(t.h / STRIDE) * STRIDE;
  const W = Math.ceil(t.w / STRIDE) * STRIDE;
  return { W, H, yh: H / 16, yw: W / 16, zh: H / 64, zw: W / 64 };
}

/** The part of a bundle every image model has. */
export interface ImageModelBundle extends LatentBundle {
  format: string;
  arch: { N: number; M: number; stride: number; y_stride: number };
}

/** A learned image model on tiles. Not a Codec: LearnedImageCodec (index.ts) wraps it in the container. */
export abstract class TiledImageModel<B extends ImageModelBundle = ImageModelBundle, G extends string = string> {
  readonly qualities: readonly number[];
  /** @internal The entropy coding of z and y (the video codec codes its intra frames with it). */
  readonly coder: HyperpriorCoder;
  /** Container sections per tile: the z stream, then the y stream(s). */
  abstract readonly sectionsPerTile: number;

  constructor(readonly name: string, readonly files: LearnedModelFiles<B, G>, readonly engine: InferenceEngine) {
    const b = files.bundle;
    if (b.arch.stride !== STRIDE) throw new InputError(`model ${name}: stride ${b.arch.stride} is not supported (expected ${STRIDE})`);
    this.qualities = Array.from({ length: b.qualities }, (_, i) => i);
    this.coder = new HyperpriorCoder(new LatentCoder(b));
  }

  /** Codes one tile: its container sections (sectionsPerTile), and the latents the decoder will see. */
  abstract codeSections(img: RgbImage, t: Rect, q: number): Promise<{ sections: Uint8Array[]; latents: AnyLatents }>;
  /** Entropy decoding of one tile's sections: its latents (what must decode alike everywhere). */
  abstract decodeTile(sections: Uint8Array[], t: Rect, q: number): Promise<AnyLatents>;
  /** Synthesis of one tile from its decoded latents, into the tile's rectangle of `out`. */
  abstract synthesizeTile(latents: AnyLatents, t: Rect, q: number, out: RgbImage): Promise<void>;

  protected async run(name: G, input: EngineInput): Promise<Float32Array> {
    return (await this.engine.run(this.files.graph(name), input)) as Float32Array;
  }

  checkQuality(quality: number): void {
    checkQuality(this.name, quality, this.qualities);
  }

  /** The z grid of a tile. */
  zShape(t: Rect): ZShape {
    const { zh, zw } = tileDims(t);
    return { channels: this.files.bundle.arch.N, positions: zh * zw };
  }

  async encodePayload(img: RgbImage, quality: number, tile = TILE): Promise<ImagePayload> {
    this.checkQuality(quality);
    checkTile(tile);
    if (img.width < 1 || img.height < 1) throw new InputError('image has no pixels');
    const tiles: Uint8Array[][] = [];
    for (const t of tileGrid(img.width, img.height, tile)) tiles.push((await this.codeSections(img, t, quality)).sections);
    return { width: img.width, height: img.height, quality, tile, tiles };
  }

  /**
   * Checks a payload's declared size against its streams before anything is allocated:
   * the tile count, each tile's section count, and for every tile a z stream long enough to
   * hold its symbols (see LatentCoder.minZBytes). Throws CorruptFileError.
   */
  checkPayload(p: ImagePayload): Rect[] {
    this.checkQuality(p.quality);
    try {
      checkTile(p.tile);
    } catch {
      throw new CorruptFileError(`corrupt .lc file (tile size ${p.tile})`);
    }
    if (!(p.width >= 1 && p.height >= 1 && p.width * p.height <= MAX_IMAGE_PIXELS)) {
      throw new CorruptFileError(`corrupt .lc file (image ${p.width}x${p.height} is empty or over the ${MAX_IMAGE_PIXELS} pixel limit)`);
    }
    const tilesAcross = Math.ceil(p.width / p.tile) * Math.ceil(p.height / p.tile);
    if (tilesAcross !== p.tiles.length) throw new CorruptFileError(`corrupt .lc file (expected ${tilesAcross} tiles, found ${p.tiles.length})`);
    const grid = tileGrid(p.width, p.height, p.tile);
    for (let i = 0; i < grid.length; i++) {
      const s = p.tiles[i]!;
      if (s.length !== this.sectionsPerTile) throw new CorruptFileError(`corrupt .lc file (tile ${i} has ${s.length} sections, expected ${this.sectionsPerTile})`);
      if (s[0]!.length < this.coder.minZBytes(this.zShape(grid[i]!))) {
        throw new CorruptFileError(`corrupt .lc file (tile ${i}: its stream is too short for the declared image size)`);
      }
    }
    return grid;
  }

  async decodePayload(p: ImagePayload): Promise<RgbImage> {
    const grid = this.checkPayload(p);
    let out: RgbImage | undefined;
    for (let i = 0; i < grid.length; i++) {
      const latents = await this.decodeTile(p.tiles[i]!, grid[i]!, p.quality);
      // Allocated once the first tile's streams decoded: a damaged file fails before this.
      out ??= { width: p.width, height: p.height, data: new Uint8Array(p.width * p.height * 3) };
      await this.synthesizeTile(latents, grid[i]!, p.quality, out);
    }
    return out!;
  }

  /** g_a and h_a of one tile: the float latent y and hyper-latent z, gains applied. */
  async analysis(img: RgbImage, t: Rect, q: number): Promise<{ y: Float32Array; z: Float32Array }> {
    const y = await this.latent(img, t, q);
    return { y, z: await this.hyperAnalysis(y, t, q) };
  }

  /** g_a of one tile: the float latent y, planar M × yh × yw, quality q's gains applied. */
  async latent(img: RgbImage, t: Rect, q: number): Promise<Float32Array> {
    const { W, H, yh, yw } = tileDims(t);
    const x = toPlanarPadded(img, t, W, H);
    const y = await this.run('g_a' as G, { type: 'float32', data: x, dims: [1, 3, H, W] });
    return scaleChannels(y, this.files.bundle.gain[q]!, yh * yw);
  }

  /** h_a of one tile's (gain-scaled) y: the float hyper-latent z, its gain applied. */
  async hyperAnalysis(y: Float32Array, t: Rect, q: number): Promise<Float32Array> {
    const { M } = this.files.bundle.arch;
    const { yh, yw, zh, zw } = tileDims(t);
    const z = await this.run('h_a' as G, { type: 'float32', data: y, dims: [1, M, yh, yw] });
    return scaleChannels(z, this.files.bundle.zgain[q]!, zh * zw);
  }
}

/** RGB interleaved tile -> planar float [0, 1], padded to W x H by edge replication. */
function toPlanarPadded(img: RgbImage, t: Rect, W: number, H: number): Float32Array {
  const out = new Float32Array(3 * W * H);
  const plane = W * H;
  for (let r = 0; r < H; r++) {
    const sr = t.y + Math.min(r, t.h - 1);
    for (let col = 0; col < W; col++) {
      const sc = t.x + Math.min(col, t.w - 1);
      const si = (sr * img.width + sc) * 3;
      const di = r * W + col;
      out[di] = img.data[si]! / 255;
      out[plane + di] = img.data[si + 1]! / 255;
      out[2 * plane + di] = img.data[si + 2]! / 255;
    }
  }
  return out;
}

/** g_s's planar output (W x H, [0, 1]) -> the tile's rectangle of `out` (8-bit RGB). */
export function fromPlanar(x: Float32Array, W: number, H: number, t: Rect, out: RgbImage): void {
  const plane = W * H;
  for (let r = 0; r < t.h; r++) {
    for (let col = 0; col < t.w; col++) {
      const si = r * W + col;
      const di = ((t.y + r) * out.width + t.x + col) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const v = Math.round(x[ch * plane + si]! * 255);
        out.data[di + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
}
