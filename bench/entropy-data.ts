/**
 * Synthetic Gaussian-conditional latents, shaped like what a learned image codec's
 * hyperprior produces: per-element scales σ spread log-uniformly over 0.11..256 but heavily
 * skewed to the small end (many near-dead channels), and each symbol drawn from the
 * discretized zero-mean Gaussian of its own σ. Seeded, so benchmarks and tests are
 * repeatable. Used by bench/entropy.ts and the entropy tests.
 */

/** Small fast PRNG (a splitmix32 variant): uniform doubles in [0, 1). */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export interface Latent {
  /** Predicted scale per element (float32, as a network would output). */
  scales: Float32Array;
  /** Quantized latent ŷ − μ per element. */
  symbols: Int32Array;
}

/**
 * n elements: σ = 0.11 · (256/0.11)^(u³) for uniform u (median σ ≈ 0.29, ~10 % above 30),
 * symbol = round(σ · N(0, 1)).
 */
export function gaussianLatent(n: number, seed = 1): Latent {
  const rng = makeRng(seed);
  const scales = new Float32Array(n);
  const symbols = new Int32Array(n);
  const lo = Math.log(0.11);
  const span = Math.log(256) - lo;
  for (let i = 0; i < n; i++) {
    const u = rng();
    const sigma = Math.exp(lo + span * u * u * u);
    // Box–Muller; 1 − rng() keeps the log argument in (0, 1].
    const g = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    scales[i] = sigma;
    symbols[i] = Math.round(sigma * g);
  }
  return { scales, symbols };
}
