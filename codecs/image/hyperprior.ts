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
 * Tiles, analysis and payload checks are shared with the other image models (tiled.ts).
 */
import type { RgbImage } from '../../src/media.js';
import type { InferenceEngine } from '../../src/runtime/engine.js';
import type { AnyLatents, HyperLatents, LatentStreams } from '../learned/hyperprior.js';
import { IntegerHyperSynthesis } from '../learned/integer-hs.js';
import { dequantize, quantizeZ, scaleChannels } from '../learned/quantize.js';
import type { ImageBundle, ModelFiles } from './bundle.js';
import type { HyperpriorGraph } from '../learned/model-files-core.js';
import { TiledImageModel, fromPlanar, tileDims, type Rect } from './tiled.js';

export { TILE, checkTile, tileDims, tileGrid, type ImagePayload, type Rect } from './tiled.js';

export type TileStreams = LatentStreams;
export type TileLatents = HyperLatents;

/**
 * The mean-scale hyperprior image model: its transforms g_a, h_a, g_s and the integer h_s, on
 * the shared tiles and hyperprior coding. Each tile is two sections: z, y.
 */
export class ImageHyperpriorModel extends TiledImageModel<ImageBundle, HyperpriorGraph> {
  readonly sectionsPerTile = 2;
  private readonly hs: IntegerHyperSynthesis;

  constructor(name: string, files: ModelFiles, engine: InferenceEngine) {
    super(name, files, engine);
    const b = files.bundle;
    this.hs = new IntegerHyperSynthesis(b.h_s_int, b.izgain, files.graph('h_s_int'), engine);
  }

  async codeSections(img: RgbImage, t: Rect, q: number): Promise<{ sections: Uint8Array[]; latents: TileLatents }> {
    const { streams, latents } = await this.codeTile(img, t, q);
    return { sections: [streams.z, streams.y], latents };
  }

  decodeTile(sections: Uint8Array[], t: Rect, q: number): Promise<TileLatents> {
    return this.decodeLatents({ z: sections[0]!, y: sections[1]! }, t, q);
  }

  synthesizeTile(latents: AnyLatents, t: Rect, q: number, out: RgbImage): Promise<void> {
    return this.synthesize(latents as TileLatents, t, q, out);
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
