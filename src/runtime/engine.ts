/**
 * What the learned image codecs need of an inference engine: run an ONNX graph on named
 * inputs. onnxruntime-node (src/runtime/onnx.ts) and onnxruntime-web (src/runtime/onnx-web.ts)
 * both provide it, so the codec's code is the same in Node and in a browser. Nothing here
 * may import a Node built-in: the browser bundle includes this file.
 */

/** A graph input: a dense tensor of one of the element types the models take. */
export type EngineInput =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'uint8'; data: Uint8Array; dims: readonly number[] }
  | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

/** A graph output's data. */
export type EngineOutput = Float32Array | Int32Array | Uint8Array;

export interface InferenceEngine {
  /**
   * Runs the graph found at `graph` (a file path in Node, a URL in a browser: whatever the
   * model files' `graph()` returns) on one input and returns its one output's data.
   * float32 graphs give a Float32Array, the integer hyper-synthesis an Int32Array.
   */
  run(graph: string, input: EngineInput): Promise<Float32Array | Int32Array>;
  /**
   * Runs a graph on several named inputs and returns every output by name (the channel-wise
   * model's integer networks take a quality's parameters beside their codes, and h_s also
   * returns the activation the slice networks read).
   */
  runNamed(graph: string, inputs: Readonly<Record<string, EngineInput>>): Promise<Record<string, EngineOutput>>;
}
