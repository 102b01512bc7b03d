/**
 * Integer entropy networks (Ballé et al. 2019): what decides a probability table is computed
 * from integers only, so a file decodes to the same symbols on every machine, thread count and
 * graph optimization (docs/DETERMINISM.md).
 *
 *   codes   = clip(round(x · factor[c]) + 128, 0, 255)        uint8 input, same IEEE arithmetic both sides
 *   acc     = ConvInteger network(codes)                        int32 accumulator (ONNX Runtime)
 *   mu      = acc_mu · k_mu[c] + c_mu[c]                        float64, one rounding to float32
 *   index   = #{i : acc_s ≥ T[c][i]}                            integer thresholds → scale-table entry
 *
 * The hyper-synthesis h_s of the image and audio codecs is one such network (IntegerHyperSynthesis);
 * the video codec's P-frame entropy network is another, built from the same pieces, and so are
 * the channel-wise image model's h_s and slice networks (codecs/image/channel.ts), which keep
 * their means in float64 and move the hyperprior's table index by integer thresholds.
 */
import { indexFromThresholds } from '../../entropy/index.js';
import { CorruptFileError } from '../../src/container/index.js';
import type { InferenceEngine } from '../../src/runtime/engine.js';

/** The parameters of an integer network's output (training/lcodec_train/int_hs.py), per output channel. */
export interface IntegerOutputParams {
  k_mu: number[];
  c_mu: number[];
  thresholds: number[][];
}

/** uint8 codes clip(round(x · factor[c]) + 128, 0, 255) of a planar C × plane signal (C = factor.length). */
export function inputCodes(x: ArrayLike<number>, factor: Float64Array, plane: number): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let c = 0; c < factor.length; c++) {
    const f = factor[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const v = Math.round(x[i]! * f) + 128;
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/**
 * Per quality and channel: gain / step, the factor that turns a latent into its input codes
 * (`step`: one input scale, or one per quality).
 */
export function codeFactors(gains: number[][], step: number | readonly number[]): Float64Array[] {
  return gains.map((g, q) => {
    const s = typeof step === 'number' ? step : step[q]!;
    return Float64Array.from(g, (v) => v / s);
  });
}

/**
 * Means and scale-table indexes from an integer accumulator laid out as C mean channels, then
 * C scale channels (then whatever else the network outputs), each `plane` positions.
 *
 * `interleave` r > 1 puts output channel o at latent channel ⌊o / r⌋, position t · r + (o mod r)
 * (a network that predicts r latent frames per position, as the audio h_s does). `adjust` may add
 * to each mean before its one rounding to float32 (the video gate); it gets the float64 mean,
 * the output channel, the position and the latent index.
 */
export function meansAndIndexes(
  acc: Int32Array,
  p: IntegerOutputParams,
  plane: number,
  interleave = 1,
  adjust?: (mean: number, channel: number, i: number, at: number) => number,
): { mu: Float32Array; index: Int32Array } {
  const C = p.k_mu.length;
  if (acc.length < 2 * C * plane) throw new CorruptFileError(`integer entropy network returned ${acc.length} values, expected ${2 * C * plane}`);
  const mu = new Float32Array(C * plane);
  const index = new Int32Array(C * plane);
  const r = interleave;
  for (let o = 0; o < C; o++) {
    const k = p.k_mu[o]!, b = p.c_mu[o]!, T = p.thresholds[o]!;
    const muRow = o * plane, sRow = (C + o) * plane;
    const base = Math.floor(o / r) * plane * r + (o % r);
    for (let i = 0; i < plane; i++) {
      const at = base + i * r;
      const m = acc[muRow + i]! * k + b;
      mu[at] = adjust ? adjust(m, o, i, at) : m;
      index[at] = indexFromThresholds(T, acc[sRow + i]!);
    }
  }
  return { mu, index };
}

/** The parameters of an integer hyper-synthesis: input step and output parameters. */
export interface IntegerHyperSynthesisParams extends IntegerOutputParams {
  s_in: number;
}

/** The integer h_s: ẑ → per element of y its mean and scale-table index (and the raw accumulator). */
export class IntegerHyperSynthesis {
  /** Per quality and z channel: izgain / s_in. */
  private readonly inputFactor: Float64Array[];

  /**
   * `izgain`: per quality, the inverse z gains; `graph`: the ONNX graph's path or URL (uint8
   * input, int32 output), run by `engine`; `interleave`: see meansAndIndexes.
   */
  constructor(
    private readonly params: IntegerHyperSynthesisParams,
    izgain: number[][],
    private readonly graph: string,
    private readonly engine: InferenceEngine,
    private readonly interleave = 1,
  ) {
    this.inputFactor = codeFactors(izgain, params.s_in);
  }

  /**
   * `zHat` is planar over `dims` = [1, channels, ...spatial]; `plane` is the positions per
   * output channel of the network.
   */
  async run(zHat: Int32Array, q: number, dims: readonly number[], plane: number): Promise<{ mu: Float32Array; index: Int32Array; acc: Int32Array }> {
    const codes = inputCodes(zHat, this.inputFactor[q]!, zHat.length / dims[1]!);
    const acc = (await this.engine.run(this.graph, { type: 'uint8', data: codes, dims })) as Int32Array;
    return { ...meansAndIndexes(acc, this.params, plane, this.interleave), acc };
  }
}
