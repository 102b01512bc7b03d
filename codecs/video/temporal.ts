/**
 * The P-frame model of a learned video codec (models/<name>/temporal.json + h_a_p.onnx +
 * e_p_int.onnx, written by training/export_video.py): a spatiotemporal entropy model that
 * codes a frame's latent y_t given its own hyper-latent ẑ_t and the previous decoded
 * latent ŷ_{t-1}.
 *
 *   encoder only:  z_t = h_a_p([y_t, ŷ_{t-1}]) * zgain[q]  ->  ẑ_t (factorized prior)
 *   both sides:    e_p_int(codes(ẑ_t), codes(ŷ_{t-1}), bias[q]) -> int32 accumulator
 *                  mu = acc_mu · k_mu + c_mu + clamp(acc_g · k_g + c_g, 0, 1) · ŷ_{t-1}
 *                  scale index = #{i : acc_s >= T[c][i]}
 *
 * As for intra frames (codecs/image/hyperprior.ts), only integers decide probabilities: the
 * input codes come from ẑ_t and ŷ_{t-1} by the same IEEE arithmetic on both sides, and the
 * network is integer (ConvInteger), so a file decodes bit-exactly on any backend; the mean
 * needs only float64 multiplications, additions and comparisons (no transcendental
 * function), which IEEE 754 rounds alike everywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { getSession, ort, run1, type RuntimeOptions } from '../../src/runtime/onnx.js';
import type { ImageBundle } from '../image/bundle.js';
import { HyperpriorCoder } from '../learned/hyperprior.js';
import { codeFactors, inputCodes, meansAndIndexes } from '../learned/integer-hs.js';
import { LatentCoder } from '../learned/latent-coder.js';
import { quantizeZ, scaleChannels } from '../learned/quantize.js';

export interface TemporalBundle {
  format: 'lcodec-video-temporal/1';
  /** Default frames between intra frames. */
  intra_period: number;
  /** Per quality, per channel of z_t. */
  zgain: number[][];
  izgain: number[][];
  /** Factorized prior of the P-frame hyper-latent. */
  z: { pmfs: number[][]; offsets: number[] };
  e_p_int: {
    /** Real value of one input code step: ẑ_t * izgain and ŷ_{t-1} * igain. */
    s_z: number;
    s_y: number;
    k_mu: number[];
    c_mu: number[];
    thresholds: number[][];
    /** The gate that weighs ŷ_{t-1} into the mean. */
    k_gate: number[];
    c_gate: number[];
    /** Per quality, the integer bias of the fusion layer. */
    fuse_bias: number[][];
  };
}

export function loadTemporalBundle(dir: string): TemporalBundle {
  let b: TemporalBundle;
  try {
    b = JSON.parse(readFileSync(join(dir, 'temporal.json'), 'utf8')) as TemporalBundle;
  } catch (err) {
    throw new InputError(`cannot load the temporal model from ${dir}: ${(err as Error).message}`);
  }
  if (b.format !== 'lcodec-video-temporal/1') throw new InputError(`unsupported temporal model format ${b.format}`);
  return b;
}

export class TemporalModel {
  /** z_t under the P-frame factorized prior, y_t under the image model's Gaussian tables. */
  readonly coder: HyperpriorCoder;
  private readonly zFactor: Float64Array[];
  private readonly yFactor: Float64Array[];
  private readonly fuseBias: BigInt64Array[];

  constructor(readonly dir: string, readonly bundle: TemporalBundle, readonly image: ImageBundle, readonly runtime: RuntimeOptions = {}) {
    const { M, N } = image.arch;
    const e = bundle.e_p_int;
    if (bundle.zgain.length !== image.qualities || e.k_mu.length !== M || e.k_gate.length !== M || e.thresholds.length !== M || bundle.z.pmfs.length !== N) {
      throw new InputError(`temporal model in ${dir} does not match its image model`);
    }
    this.coder = new HyperpriorCoder(new LatentCoder({ z: bundle.z, y: image.y, precision: image.precision }));
    this.zFactor = codeFactors(bundle.izgain, e.s_z);
    this.yFactor = codeFactors(image.igain, e.s_y);
    this.fuseBias = e.fuse_bias.map((b) => BigInt64Array.from(b, (v) => BigInt(v)));
  }

  private session(name: 'h_a_p' | 'e_p_int'): Promise<ort.InferenceSession> {
    return getSession(join(this.dir, `${name}.onnx`), this.runtime);
  }

  /** Encoder side: ẑ_t of a tile from its latent y_t and the previous decoded ŷ_{t-1}. */
  async hyperLatent(y: Float32Array, yPrev: Float32Array, q: number, yh: number, yw: number): Promise<Int32Array> {
    const { M, N } = this.image.arch;
    const input = new Float32Array(2 * y.length);
    input.set(y, 0);
    input.set(yPrev, y.length);
    const z = (await run1(await this.session('h_a_p'), new ort.Tensor('float32', input, [1, 2 * M, yh, yw]))).data as Float32Array;
    return quantizeZ(scaleChannels(z, this.bundle.zgain[q]!, z.length / N));
  }

  /** Both sides: mean and scale-table index of every element of y_t. */
  async parameters(zHat: Int32Array, yPrev: Float32Array, q: number, yh: number, yw: number): Promise<{ mu: Float32Array; index: Int32Array }> {
    const { M, N } = this.image.arch;
    const yPlane = yh * yw;
    const zPlane = yPlane / 16;
    const feeds = {
      z: new ort.Tensor('uint8', inputCodes(zHat, this.zFactor[q]!, zPlane), [1, N, yh / 4, yw / 4]),
      y: new ort.Tensor('uint8', inputCodes(yPrev, this.yFactor[q]!, yPlane), [1, M, yh, yw]),
      f_bias: new ort.Tensor('int64', this.fuseBias[q]!, [1, this.fuseBias[q]!.length, 1, 1]),
    };
    const session = await this.session('e_p_int');
    const acc = (await session.run(feeds))['acc']!.data as Int32Array;
    const { k_gate, c_gate } = this.bundle.e_p_int;
    // The mean adds the gated previous latent before its one rounding to float32.
    const gBase = 2 * M * yPlane;
    return meansAndIndexes(acc, this.bundle.e_p_int, yPlane, 1, (mean, c, i, at) => {
      const g = acc[gBase + c * yPlane + i]! * k_gate[c]! + c_gate[c]!;
      const gate = g < 0 ? 0 : g > 1 ? 1 : g;
      return mean + gate * yPrev[at]!;
    });
  }
}
