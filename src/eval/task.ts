/**
 * One unit of evaluation work: one item through one codec at several qualities. Runs the
 * same way inside a worker thread and in the main thread.
 */
import { getCodec } from '../../codecs/registry.js';
import type { Codec, Modality } from '../../codecs/types.js';
import type { Measurement } from './cache.js';
import { modalityEval } from './modalities.js';

export interface EvalTask {
  id: number;
  modality: Modality;
  file: string;
  codec: string;
  qualities: number[];
}

export interface EvalTaskResult {
  id: number;
  measurements: { quality: number; measurement: Measurement }[];
}

/** Codec instances are made once per thread and reused across tasks. */
const codecs = new Map<string, Promise<Codec>>();

function codecFor(name: string): Promise<Codec> {
  let codec = codecs.get(name);
  if (!codec) {
    codec = getCodec(name);
    codecs.set(name, codec);
    codec.catch(() => codecs.delete(name));
  }
  return codec;
}

/** Runs `task`; `onQuality` is called after each quality is measured. */
export async function runEvalTask(task: EvalTask, onQuality?: () => void): Promise<EvalTaskResult> {
  const table = modalityEval(task.modality);
  const codec = await codecFor(task.codec);
  const original = await table.load(task.file);
  const measurements: EvalTaskResult['measurements'] = [];
  for (const quality of task.qualities) {
    try {
      let t = performance.now();
      const bytes = await codec.encode(original as never, quality);
      const encS = (performance.now() - t) / 1000;
      t = performance.now();
      const decoded = await codec.decode(bytes);
      const decS = (performance.now() - t) / 1000;
      const metrics = table.measure(original as never, decoded as never, bytes.length);
      measurements.push({ quality, measurement: { bytes: bytes.length, metrics, enc_s: encS, dec_s: decS } });
    } catch (err) {
      throw new Error(`${task.codec} at quality ${quality} on ${task.file}: ${(err as Error).message}`);
    }
    onQuality?.();
  }
  return { id: task.id, measurements };
}
