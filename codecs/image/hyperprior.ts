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
 * Large images are cut into independent tiles of TILE pixels to bound memory.
 */
import { CorruptFileError } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import { getSession, ort, run1, type RuntimeOptions } from '../../src/runtime/onnx.js';
import type { ImageCodec, RgbImage } from '../types.js';
import type { ModelFiles } from './bundle.js';
import { LatentCoder } from './latent-coding.js';

export const TILE = 1024;

export interface TileStreams {
  z: Uint8Array;
  y: Uint8Array;
}

export interface HyperpriorPayload {
  width: number;
  height: number;
  quality: number;
  tiles: TileStreams[];
}

/** Tile grid of an image: the rectangles, row-major. */
export function tileGrid(width: number, height: number, tile = TILE): { x: number; y: number; w: number; h: number }[] {
  const out = [];
  for (let y = 0; y < height; y += tile) {
    for (let x = 0; x < width; x += tile) out.push({ x, y, w: Math.min(tile, width - x), h: Math.min(tile, height - y) });
  }
  return out;
}

export class HyperpriorImageCodec {
  readonly modality = 'image' as const;
  readonly qualities: readonly number[];
  private readonly coder: LatentCoder;
  /** Per quality and z channel: izgain / s_in, the input scale of the integer h_s. */
  private readonly hsInputFactor: Float64Array[];

  constructor(readonly name: string, readonly files: ModelFiles, readonly runtime: RuntimeOptions = {}) {
    const b = files.bundle;
    this.qualities = Array.from({ length: b.qualities }, (_, i) => i);
    this.coder = new LatentCoder(b);
    this.hsInputFactor = b.izgain.map((g) => Float64Array.from(g, (v) => v / b.h_s_int.s_in));
  }

  private session(name: 'g_a' | 'h_a' | 'g_s' | 'h_s_int'): Promise<ort.InferenceSession> {
    return getSession(this.files.graph(name), this.runtime);
  }

  checkQuality(quality: number): void {
    if (!Number.isInteger(quality) || quality < 0 || quality >= this.qualities.length) {
      throw new InputError(`quality ${quality} is out of range for ${this.name}: use an integer 0..${this.qualities.length - 1}`);
    }
  }

  async encodePayload(img: RgbImage, quality: number): Promise<HyperpriorPayload> {
    this.checkQuality(quality);
    if (img.width < 1 || img.height < 1) throw new InputError('image has no pixels');
    const tiles: TileStreams[] = [];
    for (const t of tileGrid(img.width, img.height)) tiles.push(await this.encodeTile(img, t, quality));
    return { width: img.width, height: img.height, quality, tiles };
  }

  async decodePayload(p: HyperpriorPayload): Promise<RgbImage> {
    this.checkQuality(p.quality);
    const grid = tileGrid(p.width, p.height);
    if (grid.length !== p.tiles.length) throw new CorruptFileError(`corrupt .lc file (expected ${grid.length} tiles, found ${p.tiles.length})`);
    const out: RgbImage = { width: p.width, height: p.height, data: new Uint8Array(p.width * p.height * 3) };
    for (let i = 0; i < grid.length; i++) await this.decodeTile(p.tiles[i]!, grid[i]!, p.quality, out);
    return out;
  }

  private async encodeTile(img: RgbImage, t: { x: number; y: number; w: number; h: number }, q: number): Promise<TileStreams> {
    const { M, N, stride } = this.files.bundle.arch;
    const H = Math.ceil(t.h / stride) * stride;
    const W = Math.ceil(t.w / stride) * stride;
    const x = toPlanarPadded(img, t, W, H);
    const y = (await run1(await this.session('g_a'), new ort.Tensor('float32', x, [1, 3, H, W]))).data as Float32Array;
    const yh = H / 16, yw = W / 16, zh = H / 64, zw = W / 64;
    scaleChannels(y, this.files.bundle.gain[q]!, yh * yw);
    const z = (await run1(await this.session('h_a'), new ort.Tensor('float32', y, [1, M, yh, yw]))).data as Float32Array;
    scaleChannels(z, this.files.bundle.zgain[q]!, zh * zw);
    const zHat = new Int32Array(z.length);
    for (let i = 0; i < z.length; i++) zHat[i] = Math.max(-(1 << 24), Math.min(1 << 24, Math.round(z[i]!)));
    const zBytes = this.coder.encodeZ(zHat, N, zh * zw);
    const { mu, index } = await this.hyperSynthesis(zHat, q, zh, zw);
    const sym = new Int32Array(y.length);
    for (let i = 0; i < y.length; i++) sym[i] = Math.round(y[i]! - mu[i]!);
    return { z: zBytes, y: this.coder.encodeY(sym, index) };
  }

  private async decodeTile(s: TileStreams, t: { x: number; y: number; w: number; h: number }, q: number, out: RgbImage): Promise<void> {
    const { M, N, stride } = this.files.bundle.arch;
    const H = Math.ceil(t.h / stride) * stride;
    const W = Math.ceil(t.w / stride) * stride;
    const yh = H / 16, yw = W / 16, zh = H / 64, zw = W / 64;
    const zHat = this.coder.decodeZ(s.z, N, zh * zw);
    const { mu, index } = await this.hyperSynthesis(zHat, q, zh, zw);
    const sym = this.coder.decodeY(s.y, index);
    const yHat = new Float32Array(sym.length);
    for (let i = 0; i < sym.length; i++) yHat[i] = sym[i]! + mu[i]!;
    scaleChannels(yHat, this.files.bundle.igain[q]!, yh * yw);
    const xHat = (await run1(await this.session('g_s'), new ort.Tensor('float32', yHat, [1, M, yh, yw]))).data as Float32Array;
    fromPlanar(xHat, W, H, t, out);
  }

  /** Integer h_s: z_hat -> per element of y its mean and scale-table index. */
  private async hyperSynthesis(zHat: Int32Array, q: number, zh: number, zw: number): Promise<{ mu: Float32Array; index: Int32Array }> {
    const { N, M } = this.files.bundle.arch;
    const plane = zh * zw;
    const a0 = new Uint8Array(zHat.length);
    const f = this.hsInputFactor[q]!;
    for (let c = 0; c < N; c++) {
      const fc = f[c]!;
      for (let i = c * plane; i < (c + 1) * plane; i++) {
        const v = Math.round(zHat[i]! * fc) + 128;
        a0[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    const acc = (await run1(await this.session('h_s_int'), new ort.Tensor('uint8', a0, [1, N, zh, zw]))).data as Int32Array;
    const yPlane = plane * 16;
    const { k_mu, c_mu, thresholds } = this.files.bundle.h_s_int;
    const mu = new Float32Array(M * yPlane);
    const index = new Int32Array(M * yPlane);
    for (let c = 0; c < M; c++) {
      const k = k_mu[c]!, b = c_mu[c]!, T = thresholds[c]!;
      const muBase = c * yPlane, sBase = (M + c) * yPlane;
      for (let i = 0; i < yPlane; i++) {
        mu[muBase + i] = acc[muBase + i]! * k + b;
        index[muBase + i] = countAtMost(T, acc[sBase + i]!);
      }
    }
    return { mu, index };
  }
}

/** Number of sorted thresholds t with t <= v. */
function countAtMost(T: number[], v: number): number {
  let lo = 0, hi = T.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (T[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function scaleChannels(a: Float32Array, gains: number[], plane: number): void {
  for (let c = 0; c < gains.length; c++) {
    const g = gains[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) a[i] = a[i]! * g;
  }
}

/** RGB interleaved tile -> planar float [0, 1], padded to W x H by edge replication. */
function toPlanarPadded(img: RgbImage, t: { x: number; y: number; w: number; h: number }, W: number, H: number): Float32Array {
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

function fromPlanar(x: Float32Array, W: number, H: number, t: { x: number; y: number; w: number; h: number }, out: RgbImage): void {
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

export type { ImageCodec };
