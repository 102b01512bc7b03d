/**
 * One queued measurement, as a worker runs it (in a worker thread BullMQ starts, see
 * queue-worker.ts): checks that this machine sees the same item and has the same codec
 * as the eval, consults this worker's result cache, and otherwise runs the same
 * runEvalTask() as a local eval. Never throws: a failure is the result, so that the eval
 * gets its clear message (and exit code) and never waits for a retry that cannot succeed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import type { Job } from 'bullmq';
import { getCodecEntry } from '../../codecs/registry.js';
import { InputError } from '../errors.js';
import { ResultCache } from './cache.js';
import { PROCESS_ID, type QueueJobData, type QueueJobResult, toWire } from './queue-shared.js';
import { runEvalTask } from './task.js';

/** What the worker command passes to its threads. */
export interface QueueJobSettings {
  /** This worker's result cache folder, or false for none. */
  cache: string | false;
}

/** Progress reports at most this often (video reports frame by frame). */
const PROGRESS_MS = 250;

export async function runQueueJob(
  data: QueueJobData,
  settings: QueueJobSettings,
  onProgress: (unitsSoFar: number) => Promise<void>,
): Promise<QueueJobResult> {
  const { task } = data;
  const quality = task.qualities[0];
  try {
    let bytes: Buffer;
    try {
      bytes = await readFile(task.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(`cannot read ${task.file}${code ? ` (${code})` : ''}: every worker must see the eval's inputs at the same path`);
    }
    if (createHash('sha256').update(bytes).digest('hex') !== data.hash) {
      throw new InputError(`${task.file} differs from the eval's file at that path (content hash)`);
    }
    const version = String(await getCodecEntry(task.codec, task.modality).version());
    if (version !== data.version) {
      throw new Error(`codec ${task.codec} here is ${version}, the eval's is ${data.version}: run the same lcodec and models on both`);
    }

    const cache = data.cache && settings.cache !== false ? new ResultCache(settings.cache) : undefined;
    const key = { item: data.hash, codec: task.codec, version, quality };
    const hit = await cache?.get(key);
    if (hit) return { worker: PROCESS_ID, cached: true, measurements: [{ quality, ...toWire(hit) }] };

    let units = 0;
    let sent = 0;
    let lastSent = 0;
    const result = await runEvalTask(task, (n) => {
      units += n;
      const now = Date.now();
      if (now - lastSent >= PROGRESS_MS) {
        lastSent = now;
        sent = units;
        void onProgress(units).catch(() => undefined);
      }
    });
    if (sent < units) await onProgress(units).catch(() => undefined);
    for (const m of result.measurements) await cache?.set({ ...key, quality: m.quality }, m.measurement);
    return { worker: PROCESS_ID, measurements: result.measurements.map((m) => ({ quality: m.quality, ...toWire(m.measurement) })) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { worker: PROCESS_ID, error: { name: e.name, message: e.message } };
  }
}

/** BullMQ's entry in a sandboxed worker thread. */
export default function processQueueJob(job: Job<QueueJobData>): Promise<QueueJobResult> {
  const settings = (workerData as QueueJobSettings | undefined) ?? { cache: false };
  return runQueueJob(job.data, settings, (units) => job.updateProgress(units));
}
