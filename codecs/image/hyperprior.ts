/**
 * Learned image codec: mean-scale hyperprior with per-quality gains, run with ONNX Runtime,
 * entropy-coded with entropy/.
 *
 * Glossary: x image, y latent (g_a), z hyper-latent (h_a), z_hat / y_hat quantized,
 * mu / sigma the Gaussian mean and scale that the hyper-synthesis predicts for y.
 *
 * Encoding, per tile:  x -> g_a -> y * gain[q] -> h_a -> z * zgain[q] -> z_hat (factorized prior)
 *                      z_hat -> integer h_s -> (mu, scale index) -> round(y - mu) (Gaussian conditional)
 * Decoding mirrors it and ends with g_s(y_hat * igain[q]).
 *
 * Only integers decide probabilities: z_hat, the integer h_s output and integer thresholds,
 * so a file decodes bit-exactly whatever the thread count, graph optimization or backend.
 * Large images are cut into independent tiles (TILE pixels by default) to bound memory.
 * The inference engine is injected (onnxruntime-node, or onnxruntime-web in a browser), so this
 * file imports nothing from Node.
 */
import { multipleOf, type ErrorClass } from '../../src/check.js';
import { CorruptFileError } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import { MAX_IMAGE_PIXELS, type RgbImage } from '../../src/media.js';
import type { EngineInput, InferenceEngine } from '../../src/runtime/engine.js';
import { HyperpriorCoder, checkQuality, type HyperLatents, type LatentStreams, type ZShape } from '../learned/hyperprior.js';
import { IntegerHyperSynthesis } from '../learned/integer-hs.js';
import { LatentCoder } from '../learned/latent-coder.js';
import { dequantize, quantizeZ, scaleChannels } from '../learned/quantize.js';
import type { ModelFiles } from './bundle.js';

/** Default tile edge: independent tiles of at most TILE × TILE pixels bound memory. */
export const TILE = 1024;
/** Model stride: tiles are padded to multiples of it (the z grid is 1/64 of the pixels). */
const STRIDE = 64;

/** A tile's rectangle in the image. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type TileStreams = LatentStreams;
export type TileLatents = HyperLatents;

export interface HyperpriorPayload {
  width: number;
  height: number;
  quality: number;
  /** Tile edge in pixels: a multiple of 64, at most TILE. */
  tile: number;
  tiles: TileStreams[];
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

/**
 * The image model: its transforms g_a, h_a, g_s and the integer h_s, on the shared hyperprior
 * coding (codecs/learned/). Not a Codec: LearnedImageCodec (index.ts) wraps it in the container.
 */
export class ImageHyperpriorModel {
  readonly qualities: readonly number[];
  /** @internal The entropy coding of z and y (the video codec codes its intra frames with it). */
  readonly coder: HyperpriorCoder;
  private readonly hs: IntegerHyperSynthesis;

  constructor(readonly name: string, readonly files: ModelFiles, readonly engine: InferenceEngine) {
    const b = files.bundle;
    if (b.arch.stride !== STRIDE) throw new InputError(`model ${name}: stride ${b.arch.stride} is not supported (expected ${STRIDE})`);
    this.qualities = Array.from({ length: b.qualities }, (_, i) => i);
    this.coder = new HyperpriorCoder(new LatentCoder(b));
    this.hs = new IntegerHyperSynthesis(b.h_s_int, b.izgain, files.graph('h_s_int'), engine);
  }

  private async run(name: 'g_a' | 'h_a' | 'g_s', input: EngineInput): Promise<Float32Array> {
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

  async encodePayload(img: RgbImage, quality: number, tile = TILE): Promise<HyperpriorPayload> {
    this.checkQuality(quality);
    checkTile(tile);
    if (img.width < 1 || img.height < 1) throw new InputError('image has no pixels');
    const tiles: TileStreams[] = [];
    for (const t of tileGrid(img.width, img.height, tile)) tiles.push((await this.codeTile(img, t, quality)).streams);
    return { width: img.width, height: img.height, quality, tile, tiles };
  }

  /**
   * Checks a payload's declared size against its streams before anything is allocated:
   * the tile count, and for every tile a z stream long enough to hold its symbols (see
   * LatentCoder.minZBytes). Throws CorruptFileError.
   */
  checkPayload(p: HyperpriorPayload): Rect[] {
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
      if (p.tiles[i]!.z.length < this.coder.minZBytes(this.zShape(grid[i]!))) {
        throw new CorruptFileError(`corrupt .lc file (tile ${i}: its stream is too short for the declared image size)`);
      }
    }
    return grid;
  }

  async decodePayload(p: HyperpriorPayload): Promise<RgbImage> {
    const grid = this.checkPayload(p);
    let out: RgbImage | undefined;
    for (let i = 0; i < grid.length; i++) {
      const latents = await this.decodeLatents(p.tiles[i]!, grid[i]!, p.quality);
      // Allocated once the first tile's streams decoded: a damaged file fails before this.
      out ??= { width: p.width, height: p.height, data: new Uint8Array(p.width * p.height * 3) };
      await this.synthesize(latents, grid[i]!, p.quality, out);
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
    const y = await this.run('g_a', { type: 'float32', data: x, dims: [1, 3, H, W] });
    return scaleChannels(y, this.files.bundle.gain[q]!, yh * yw);
  }

  /** h_a of one tile's (gain-scaled) y: the float hyper-latent z, its gain applied. */
  async hyperAnalysis(y: Float32Array, t: Rect, q: number): Promise<Float32Array> {
    const { M } = this.files.bundle.arch;
    const { yh, yw, zh, zw } = tileDims(t);
    const z = await this.run('h_a', { type: 'float32', data: y, dims: [1, M, yh, yw] });
    return scaleChannels(z, this.files.bundle.zgain[q]!, zh * zw);
  }

  /** Codes one tile: its streams, and the latents the decoder will see. */
  async codeTile(img: RgbImage, t: Rect, q: number): Promise<{ streams: TileStreams; latents: TileLatents }> {
    const { zh, zw } = tileDims(t);
    const { y, z } = await this.analysis(img, t, q);
    return this.coder.encode(y, quantizeZ(z), this.zShape(t), (zHat) => this.hyperSynthesis(zHat, q, zh, zw));
  }

  /** Entropy decoding of one tile: ẑ, then the integer h_s, then the y symbols. */
  async decodeLatents(s: TileStreams, t: Rect, q: number): Promise<TileLatents> {
    const { zh, zw } = tileDims(t);
    return this.coder.decode(s, this.zShape(t), (zHat) => this.hyperSynthesis(zHat, q, zh, zw));
  }

  /** ŷ = symbols + mu, then g_s, into the tile's rectangle of `out`. */
  async synthesize(lat: TileLatents, t: Rect, q: number, out: RgbImage): Promise<void> {
    await this.synthesizeLatent(dequantize(lat.symbols, lat.mu), t, q, out);
  }

  /** g_s of a tile's decoded latent ŷ (gained), into the tile's rectangle of `out`. */
  async synthesizeLatent(yHatGained: Float32Array, t: Rect, q: number, out: RgbImage): Promise<void> {
    const { M } = this.files.bundle.arch;
    const { W, H, yh, yw } = tileDims(t);
    const yHat = scaleChannels(Float32Array.from(yHatGained), this.files.bundle.igain[q]!, yh * yw);
    const xHat = await this.run('g_s', { type: 'float32', data: yHat, dims: [1, M, yh, yw] });
    fromPlanar(xHat, W, H, t, out);
  }

  /**
   * Integer h_s: ẑ -> per element of y its mean and scale-table index. The index depends on
   * ẑ alone, through integer arithmetic (codecs/learned/integer-hs.ts, docs/DETERMINISM.md).
   */
  hyperSynthesis(zHat: Int32Array, q: number, zh: number, zw: number): Promise<{ mu: Float32Array; index: Int32Array; acc: Int32Array }> {
    return this.hs.run(zHat, q, [1, this.files.bundle.arch.N, zh, zw], zh * zw * 16);
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

function fromPlanar(x: Float32Array, W: number, H: number, t: Rect, out: RgbImage): void {
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

