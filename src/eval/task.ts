/**
 * One unit of evaluation work: one item through one codec at several qualities. Runs the
 * same way inside a worker thread and in the main thread.
 */
import { getCodec } from '../../codecs/registry.js';
import type { Modality } from '../media.js';
import type { Codec } from '../../codecs/types.js';
import type { Measurement } from './cache.js';
import { InputError } from '../errors.js';
import { modalityEval } from './modalities.js';

export interface EvalTask {
  id: number;
  modality: Modality;
  file: string;
  codec: string;
  qualities: number[];
  /** Progress units one quality is worth (video: the item's frames); default 1. */
  units?: number;
}

export interface EvalTaskResult {
  id: number;
  measurements: { quality: number; measurement: Measurement }[];
}

/** Codec instances are made once per thread and reused across tasks. */
const codecs = new Map<string, Promise<Codec>>();

function codecFor(name: string, modality: Modality): Promise<Codec> {
  const key = `${modality}/${name}`;
  let codec = codecs.get(key);
  if (!codec) {
    codec = getCodec(name, modality);
    codecs.set(key, codec);
    codec.catch(() => codecs.delete(key));
  }
  return codec;
}

/**
 * Runs `task`; `onProgress(units)` reports work as it is done: `task.units` per quality in
 * all (one per quality by default; video reports frame by frame).
 */
export async function runEvalTask(task: EvalTask, onProgress?: (units: number) => void): Promise<EvalTaskResult> {
  const table = modalityEval(task.modality);
  const codec = await codecFor(task.codec, task.modality);
  const original = await table.load(task.file);
  const measurements: EvalTaskResult['measurements'] = [];
  const units = task.units ?? 1;
  for (const quality of task.qualities) {
    // Never more than `units` per quality, whatever the table reports.
    let reported = 0;
    const progress = (n: number) => {
      const take = Math.min(n, units - reported);
      if (take > 0) {
        reported += take;
        onProgress?.(take);
      }
    };
    try {
      let t = performance.now();
      const bytes = await codec.encode(original as never, quality);
      const encS = (performance.now() - t) / 1000;
      t = performance.now();
      let decoded = await codec.decode(bytes);
      if (table.complete) decoded = await table.complete(decoded as never);
      const decS = (performance.now() - t) / 1000;
      const metrics = await table.measure(original as never, decoded as never, bytes.length, { progress });
      measurements.push({ quality, measurement: { bytes: bytes.length, metrics, enc_s: encS, dec_s: decS } });
    } catch (err) {
      // Bad input stays bad input (exit code 2) with the codec, quality and file in front.
      const message = `${task.codec} at quality ${quality} on ${task.file}: ${(err as Error).message}`;
      throw err instanceof InputError || (err as Error)?.name === 'EntropyDecodeError' ? new InputError(message) : new Error(message);
    }
    progress(units - reported);
  }
  return { id: task.id, measurements };
}
