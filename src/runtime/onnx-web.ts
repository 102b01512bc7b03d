/**
 * onnxruntime-web (its WebAssembly CPU backend) as the codecs' inference engine, for the
 * browser bundle (src/web/). Graph files are fetched by URL; sessions are created once per URL.
 * The WASM kernels are ONNX Runtime's own CPU kernels compiled to WebAssembly, ConvInteger
 * included, so the integer hyper-synthesis gives the same integers as in Node.
 */
import * as ort from 'onnxruntime-web/wasm';
import { InputError } from '../errors.js';
import type { EngineInput, EngineOutput, InferenceEngine } from './engine.js';

export interface WebEngineOptions {
  /**
   * Where ort-wasm-simd-threaded.{wasm,mjs} are served (a URL prefix ending in '/'). The
   * build copies them beside the bundle (dist/web/), which is the default.
   */
  wasmPaths?: string;
  /**
   * WebAssembly threads. Threads need SharedArrayBuffer, which a page has only when it is
   * cross-origin isolated (COOP/COEP headers); the default is 1 otherwise, else up to 4.
   */
  threads?: number;
}

/** Fetches a URL's bytes; an HTTP error or a network failure becomes an InputError naming it. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new InputError(`cannot fetch ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new InputError(`cannot fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

let configured = false;

function configure(opts: WebEngineOptions): void {
  // ORT reads its wasm settings once, when the first session is created.
  if (configured) return;
  configured = true;
  ort.env.logLevel = 'fatal';
  ort.env.wasm.wasmPaths = opts.wasmPaths ?? new URL('./', import.meta.url).href;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = opts.threads ?? (isolated ? Math.min(4, cores) : 1);
  ort.env.wasm.proxy = false;
}

export function webEngine(opts: WebEngineOptions = {}): InferenceEngine {
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const session = (url: string): Promise<ort.InferenceSession> => {
    let s = sessions.get(url);
    if (!s) {
      configure(opts);
      s = fetchBytes(url).then((bytes) => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
      s.catch(() => sessions.delete(url));
      sessions.set(url, s);
    }
    return s;
  };
  return {
    async run(graph: string, input: EngineInput) {
      const s = await session(graph);
      const tensor = new ort.Tensor(input.type, input.data, input.dims);
      const out = await s.run({ [s.inputNames[0]!]: tensor });
      const result = out[s.outputNames[0]!]!;
      const data = result.data as Float32Array | Int32Array;
      tensor.dispose();
      return data;
    },
    async runNamed(graph: string, inputs: Readonly<Record<string, EngineInput>>) {
      const s = await session(graph);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, input] of Object.entries(inputs)) feeds[name] = new ort.Tensor(input.type, input.data, input.dims);
      const out = await s.run(feeds);
      for (const t of Object.values(feeds)) t.dispose();
      return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as EngineOutput]));
    },
  };
}
