/**
 * Quantization of a learned codec's latents, the same on the encoder and the decoder side.
 * Glossary: y latent, z hyper-latent, ŷ / ẑ quantized, mu the mean the entropy model predicts
 * for y; symbols round(y − mu) are what the Gaussian conditional codes.
 */

/** Largest |ẑ|: a hyper-latent far outside its tables is clamped so that escapes stay small. */
const Z_LIMIT = 1 << 24;

/** ẑ = round(z), clamped to ±2²⁴. `z` holds the gained hyper-latent (float32 or float64 products). */
export function quantizeZ(z: ArrayLike<number>): Int32Array {
  const zHat = new Int32Array(z.length);
  for (let i = 0; i < z.length; i++) zHat[i] = Math.max(-Z_LIMIT, Math.min(Z_LIMIT, Math.round(z[i]!)));
  return zHat;
}

/** The symbols round(y − mu) coded under a Gaussian of mean mu. */
export function quantizeAround(y: Float32Array, mu: Float32Array): Int32Array {
  const sym = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) sym[i] = Math.round(y[i]! - mu[i]!);
  return sym;
}

/**
 * The decoded latent ŷ = symbols + mu (float32, identical on both sides). With `igain`
 * (per channel of a planar C × plane latent), ŷ · igain in one rounding: the latent g_s reads.
 */
export function dequantize(symbols: Int32Array, mu: Float32Array, igain?: readonly number[]): Float32Array {
  const yHat = new Float32Array(symbols.length);
  if (!igain) {
    for (let i = 0; i < yHat.length; i++) yHat[i] = symbols[i]! + mu[i]!;
    return yHat;
  }
  const plane = symbols.length / igain.length;
  for (let c = 0; c < igain.length; c++) {
    const g = igain[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) yHat[i] = (symbols[i]! + mu[i]!) * g;
  }
  return yHat;
}

/** Multiplies each channel of a planar C × plane signal by its gain, in place. */
export function scaleChannels<T extends Float32Array | Float64Array>(a: T, gains: readonly number[], plane: number): T {
  for (let c = 0; c < gains.length; c++) {
    const g = gains[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) a[i] = a[i]! * g;
  }
  return a;
}
