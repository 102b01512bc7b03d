/**
 * Learned image codec with a channel-wise context model (Minnen & Singh 2020) on uneven slices
 * (He et al. 2022) and latent residual prediction, over a mean-scale hyperprior.
 *
 * Glossary: y latent (M channels), z hyper-latent, ẑ / ŷ quantized, H the integer h_s's hidden
 * activation (uint8) that the slice networks and g_s read, J the reach of a slice network's
 * shift of the table index.
 *
 * Per tile (training/export_channel.py gives the recipe; everything that picks a table or a
 * mean comes from integers, in float64 with the operations in this order):
 *   a0 = codes(ẑ · izgain[q] / s_in[q]);  (acc, H) = h_s_int(a0, m0[q])
 *   mu_hs[c] = acc[c] · k_mu[c] + c_mu[c];  i_hs[c] = #{j : acc[M + c] ≥ T[c][j]} − J
 *   per slice i (channels a..b, n = b − a), in order, one y stream each:
 *     ctx = codes(ŷ[c] · ctx_factor[q][c]) for c < a;  acc = slice_i_int(H, ctx, b_q[q])
 *     mu = mu_hs[c] + gain[q][c] · (acc[c − a] · k_mu + c_mu)
 *     index = clamp(i_hs[c] + #{j : acc[n + c − a] ≥ shift_T[j]} − J, 0, S − 1)
 *     ŷ[c] = symbol + mu
 *   x̂ = g_s(ŷ · igain[q], s_hidden · H, igain[q])
 * The decoder runs h_s, the slice networks and g_s: a fixed number of passes per tile.
 */
import { indexFromThresholds } from '../../entropy/index.js';
import { CorruptFileError } from '../../src/container/index.js';
import type { RgbImage } from '../../src/media.js';
import type { EngineInput, InferenceEngine } from '../../src/runtime/engine.js';
import type { AnyLatents, HyperLatents, SliceParameters, SlicedStreams } from '../learned/hyperprior.js';
import { codeFactors, inputCodes } from '../learned/integer-hs.js';
import { quantizeZ } from '../learned/quantize.js';
import type { ChannelBundle, ChannelGraph, ChannelModelFiles } from './bundle.js';
import { TiledImageModel, fromPlanar, tileDims, type Rect } from './tiled.js';

/** A tile's decoded latents: ẑ, indexes, float64 means, symbols, and what g_s reads besides. */
export interface ChannelLatents extends HyperLatents<Float64Array> {
  /** ŷ = symbols + mu (float64), planar M × positions. */
  yHat: Float64Array;
  /** The integer h_s's hidden activation H, planar HS[1] × positions. */
  hidden: Uint8Array;
}

const int64 = (v: readonly number[]): BigInt64Array => BigInt64Array.from(v, (x) => BigInt(x));

export class ImageChannelModel extends TiledImageModel<ChannelBundle, ChannelGraph> {
  readonly sectionsPerTile: number;
  /** Per quality and z channel: izgain / s_in[q], the factor of h_s's input codes. */
  private readonly zFactor: Float64Array[];
  /** Per quality and latent channel: the factor of the slice networks' context codes. */
  private readonly ctxFactor: Float64Array[];
  /** Per quality: h_s's first-layer multipliers. */
  private readonly m0: BigInt64Array[];
  /** Per slice and quality: the slice network's first-layer bias. */
  private readonly bias: BigInt64Array[][];

  constructor(name: string, files: ChannelModelFiles, engine: InferenceEngine) {
    super(name, files, engine);
    const b = files.bundle;
    this.sectionsPerTile = 1 + b.slices.length;
    this.zFactor = codeFactors(b.izgain, b.h_s_int.s_in);
    this.ctxFactor = b.ctx_factor.map((f) => Float64Array.from(f));
    this.m0 = b.h_s_int.m0.map(int64);
    this.bias = b.slices.map((s) => s.b_q.map(int64));
  }

  async codeSections(img: RgbImage, t: Rect, q: number): Promise<{ sections: Uint8Array[]; latents: ChannelLatents }> {
    const { streams, latents } = await this.codeTile(img, t, q);
    return { sections: [streams.z, ...streams.y], latents };
  }

  /** Codes one tile: its streams (z, then one y stream per slice) and the latents the decoder will see. */
  async codeTile(img: RgbImage, t: Rect, q: number): Promise<{ streams: SlicedStreams; latents: ChannelLatents }> {
    const { y, z } = await this.analysis(img, t, q);
    let hidden: Uint8Array | undefined;
    const { streams, latents } = await this.coder.encodeSlices(y, quantizeZ(z), this.zShape(t), async (zHat) => {
      const p = await this.sliceParameters(zHat, t, q);
      hidden = p.hidden;
      return p;
    });
    return { streams, latents: { ...latents, hidden: hidden! } };
  }

  decodeTile(sections: Uint8Array[], t: Rect, q: number): Promise<ChannelLatents> {
    return this.decodeLatents({ z: sections[0]!, y: sections.slice(1) }, t, q);
  }

  /** Entropy decoding of one tile: ẑ, the integer h_s, then slice after slice its network and symbols. */
  async decodeLatents(s: SlicedStreams, t: Rect, q: number): Promise<ChannelLatents> {
    const { yh, yw } = tileDims(t);
    let hidden: Uint8Array | undefined;
    const latents = await this.coder.decodeSlices(s, this.zShape(t), this.files.bundle.arch.M * yh * yw, async (zHat) => {
      const p = await this.sliceParameters(zHat, t, q);
      hidden = p.hidden;
      return p;
    });
    return { ...latents, hidden: hidden! };
  }

  synthesizeTile(latents: AnyLatents, t: Rect, q: number, out: RgbImage): Promise<void> {
    return this.synthesize(latents as ChannelLatents, t, q, out);
  }

  /** g_s (with latent residual prediction from H) of a tile's ŷ, into the tile's rectangle of `out`. */
  async synthesize(lat: ChannelLatents, t: Rect, q: number, out: RgbImage): Promise<void> {
    const b = this.files.bundle;
    const { M, HS } = b.arch;
    const { W, H, yh, yw } = tileDims(t);
    const plane = yh * yw;
    const igain = b.igain[q]!;
    const yn = new Float32Array(M * plane);
    const yHat = lat.yHat;
    for (let c = 0; c < M; c++) {
      const g = igain[c]!;
      // float32(ŷ) · igain: a product of two float32 values, rounded once to float32 on storing.
      for (let i = c * plane, end = i + plane; i < end; i++) yn[i] = Math.fround(yHat[i]!) * g;
    }
    const sHidden = b.h_s_int.s_hidden;
    const hidden = new Float32Array(lat.hidden.length);
    for (let i = 0; i < hidden.length; i++) hidden[i] = lat.hidden[i]! * sHidden;
    const out_ = await this.engine.runNamed(this.files.graph('g_s'), {
      yn: { type: 'float32', data: yn, dims: [1, M, yh, yw] },
      H: { type: 'float32', data: hidden, dims: [1, HS[1], yh, yw] },
      igain: { type: 'float32', data: Float32Array.from(igain), dims: [1, M, 1, 1] },
    });
    fromPlanar(out_['x_hat'] as Float32Array, W, H, t, out);
  }

  /**
   * The integer h_s of a tile's ẑ, and the slices' entropy parameters on top of it (see the
   * recipe above): what decides every table index, from integers only.
   */
  async sliceParameters(zHat: Int32Array, t: Rect, q: number): Promise<SliceParameters & { hidden: Uint8Array }> {
    const b = this.files.bundle;
    const { N, M, HS } = b.arch;
    const { yh, yw, zh, zw } = tileDims(t);
    const plane = yh * yw;
    const J = b.J;
    const S = b.y.scale_table.length;
    const hs = await this.engine.runNamed(this.files.graph('h_s_int'), {
      a0: { type: 'uint8', data: inputCodes(zHat, this.zFactor[q]!, zh * zw), dims: [1, N, zh, zw] },
      l0_m: { type: 'int64', data: this.m0[q]!, dims: [1, this.m0[q]!.length, 1, 1] },
    });
    const acc = hs['acc'] as Int32Array;
    const hidden = hs['hidden'] as Uint8Array;
    if (acc.length !== 2 * M * plane || hidden.length !== HS[1] * plane) throw new CorruptFileError(`integer h_s returned ${acc.length} and ${hidden.length} values`);
    const { k_mu, c_mu, thresholds } = b.h_s_int;
    const muHs = new Float64Array(M * plane);
    const iHs = new Int32Array(M * plane);
    for (let c = 0; c < M; c++) {
      const k = k_mu[c]!, m = c_mu[c]!, T = thresholds[c]!;
      for (let i = c * plane; i < (c + 1) * plane; i++) {
        muHs[i] = acc[i]! * k + m;
        iHs[i] = indexFromThresholds(T, acc[M * plane + i]!) - J;
      }
    }
    const gain = b.gain[q]!;
    const H: EngineInput = { type: 'uint8', data: hidden, dims: [1, HS[1], yh, yw] };
    const slice = async (i: number, yHat: Float64Array): Promise<{ mu: Float64Array; index: Int32Array }> => {
      const sl = b.slices[i]!;
      const a = sl.start, n = sl.end - sl.start;
      const bias = this.bias[i]![q]!;
      const inputs: Record<string, EngineInput> = { H, l0_bias: { type: 'int64', data: bias, dims: [1, bias.length, 1, 1] } };
      if (a) inputs['ctx'] = { type: 'uint8', data: inputCodes(yHat.subarray(0, a * plane), this.ctxFactor[q]!.subarray(0, a), plane), dims: [1, a, yh, yw] };
      const out = (await this.engine.runNamed(this.files.graph(`slice_${i}_int`), inputs))['acc'] as Int32Array;
      if (out.length !== 2 * n * plane) throw new CorruptFileError(`slice network ${i} returned ${out.length} values, expected ${2 * n * plane}`);
      const mu = new Float64Array(n * plane);
      const index = new Int32Array(n * plane);
      for (let o = 0; o < n; o++) {
        const c = a + o;
        const k = sl.k_mu[o]!, m = sl.c_mu[o]!, g = gain[c]!, T = sl.shift_thresholds[o]!;
        for (let p = 0; p < plane; p++) {
          const at = o * plane + p;
          mu[at] = muHs[c * plane + p]! + g * (out[at]! * k + m);
          const idx = iHs[c * plane + p]! + indexFromThresholds(T, out[n * plane + at]!) - J;
          index[at] = idx < 0 ? 0 : idx >= S ? S - 1 : idx;
        }
      }
      return { mu, index };
    };
    return { hidden, ranges: b.slices.map((s) => [s.start * plane, s.end * plane] as const), slice };
  }
}
