/**
 * Entropy-coder benchmark (the `entropy` key of `lcodec bench --json`): rANS encode and
 * decode throughput on Gaussian-conditional latents with CompressAI's 64-scale table, and
 * the coder's size overhead over the ideal code length under the same quantized tables.
 */
import { GaussianConditional, RansDecoder, RansEncoder, defaultScaleTable, informationContent } from '../entropy/index.js';
import { gaussianLatent } from './entropy-data.js';

export interface EntropyBenchResult {
  symbols: number;
  /** Symbols per second of wall-clock time, best of the repeats (keys: docs/EVAL.md). */
  encode_sym_per_s: number;
  decode_sym_per_s: number;
  /** (bytes · 8 / ideal bits − 1) · 100, ideal = Σ −log2 p under the quantized tables. */
  overhead_pct: number;
  /** The same throughput per second of this process's CPU time: steadier on a shared machine. */
  encode_cpu_sym_per_s: number;
  decode_cpu_sym_per_s: number;
  bytes: number;
  bits_per_symbol: number;
}

/**
 * Times encode (queue + finish) and decode (+ finish check) separately over `symbols`
 * (default 5M) symbols, best of `repeats` (default 7) after warm-up, and verifies the round
 * trip. Table building, data generation and scale→index mapping are not timed.
 */
export async function benchEntropy(opts: { symbols?: number; repeats?: number } = {}): Promise<EntropyBenchResult> {
  const n = opts.symbols ?? 5_000_000;
  const repeats = opts.repeats ?? 7;
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`symbols must be a positive integer, got ${n}`);
  const model = GaussianConditional.fromScaleTable(defaultScaleTable());
  const { scales, symbols } = gaussianLatent(n, 2024);
  const indexes = model.indexesFromScales(scales);
  const out = new Int32Array(n);

  const encode = (s: Int32Array, idx: Int32Array): Uint8Array => {
    const enc = new RansEncoder();
    model.encode(enc, s, idx);
    return enc.finish();
  };
  const decode = (bytes: Uint8Array, idx: Int32Array, into: Int32Array): void => {
    const dec = new RansDecoder(bytes);
    model.decode(dec, idx, into);
    dec.finish();
  };

  // Warm-up: let V8 optimize both loops before timing.
  const w = Math.min(n, 200_000);
  for (let r = 0; r < 5; r++) decode(encode(symbols.subarray(0, w), indexes.subarray(0, w)), indexes.subarray(0, w), out.subarray(0, w));

  let bestEnc = Infinity;
  let bestDec = Infinity;
  let bestEncCpu = Infinity;
  let bestDecCpu = Infinity;
  let bytes: Uint8Array = new Uint8Array(0);
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    bytes = encode(symbols, indexes);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    decode(bytes, indexes, out);
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    bestEnc = Math.min(bestEnc, t1 - t0);
    bestDec = Math.min(bestDec, t2 - t1);
    bestEncCpu = Math.min(bestEncCpu, (c1.user + c1.system - c0.user - c0.system) / 1000);
    bestDecCpu = Math.min(bestDecCpu, (c2.user + c2.system - c1.user - c1.system) / 1000);
    // Yield between repeats so a timer or GC does not land inside the next measurement.
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let i = 0; i < n; i++) {
    if (out[i] !== symbols[i]) throw new Error(`entropy benchmark: round trip failed at symbol ${i}`);
  }
  const ideal = informationContent(symbols, indexes, model.tables);
  return {
    symbols: n,
    encode_sym_per_s: Math.round(n / (bestEnc / 1000)),
    decode_sym_per_s: Math.round(n / (bestDec / 1000)),
    overhead_pct: Number((((bytes.length * 8) / ideal - 1) * 100).toFixed(5)),
    encode_cpu_sym_per_s: Math.round(n / (bestEncCpu / 1000)),
    decode_cpu_sym_per_s: Math.round(n / (bestDecCpu / 1000)),
    bytes: bytes.length,
    bits_per_symbol: Number(((bytes.length * 8) / n).toFixed(4)),
  };
}
