/**
 * ONNX Runtime sessions: created once per (graph, device, threads) and reused.
 */
import * as ort from 'onnxruntime-node';
import { UsageError } from '../errors.js';
import type { EngineInput, EngineOutput, InferenceEngine } from './engine.js';

export type Device = 'cpu' | 'cuda';

export interface RuntimeOptions {
  /** Execution provider; 'cuda' needs onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12. */
  device?: Device;
  /** Intra-op threads (default: ONNX Runtime's choice, all cores). */
  threads?: number;
  /** Graph optimization level (default 'all'); results never depend on it for decoding. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Keep ONNX Runtime's memory arena (default: off). Off, a session hands its activations back
   * after each run, so one large image tile does not hold its peak memory for the process's
   * lifetime; on, many runs of the same graph at the same size (a video's frames) skip the
   * allocations: 17 % faster P-frame decoding in bench/video-model.ts.
   */
  arena?: boolean;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

// ORT's own log lines (e.g. a missing CUDA provider library) would go to stderr beside our
// one-line error; its failures still reach us as exceptions, which say what to do.
ort.env.logLevel = 'fatal';

export const CUDA_HELP =
  'the CUDA execution provider is not installed: reinstall onnxruntime-node with ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node` on a machine with CUDA 12, or use --device cpu';

export function getSession(path: string, opts: RuntimeOptions = {}): Promise<ort.InferenceSession> {
  const device = opts.device ?? 'cpu';
  const key = `${path}|${device}|${opts.threads ?? 0}|${opts.optimization ?? 'all'}|${opts.arena === true}`;
  let s = sessions.get(key);
  if (!s) {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      graphOptimizationLevel: opts.optimization ?? 'all',
      // Without the arena ORT returns a tile's activations to the allocator after each run:
      // decoding a 1024x1024 tile peaks at ~0.5 GB instead of holding ~0.9 GB for the
      // process's lifetime (measured in bench/image-memory.ts), at no measurable speed cost
      // for an image; a video's frames ask for it (`arena`).
      enableCpuMemArena: opts.arena === true,
    };
    if (opts.threads) {
      options.intraOpNumThreads = opts.threads;
      options.interOpNumThreads = 1;
    }
    s = ort.InferenceSession.create(path, options).catch((err: unknown) => {
      sessions.delete(key);
      if (device === 'cuda' && /cuda/i.test(String(err))) throw new UsageError(CUDA_HELP);
      throw err;
    });
    sessions.set(key, s);
  }
  return s;
}

/** Runs a single-input, single-output graph. */
export async function run1(session: ort.InferenceSession, input: ort.Tensor): Promise<ort.Tensor> {
  const out = await session.run({ [session.inputNames[0]!]: input });
  return out[session.outputNames[0]!]!;
}

/** onnxruntime-node as the codecs' inference engine: sessions from graph files, cached. */
export function nodeEngine(opts: RuntimeOptions = {}): InferenceEngine {
  return {
    async run(graph: string, input: EngineInput) {
      const out = await run1(await getSession(graph, opts), new ort.Tensor(input.type, input.data, input.dims));
      return out.data as Float32Array | Int32Array;
    },
    async runNamed(graph: string, inputs: Readonly<Record<string, EngineInput>>) {
      const session = await getSession(graph, opts);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, input] of Object.entries(inputs)) feeds[name] = new ort.Tensor(input.type, input.data, input.dims);
      const out = await session.run(feeds);
      return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as EngineOutput]));
    },
  };
}

export { ort };
