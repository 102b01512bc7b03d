/**
 * Runs evaluation tasks on N worker threads (or in this thread when N = 1 or when running
 * from TypeScript sources, where the compiled worker does not exist). Tasks are handed out
 * one at a time, so slow codecs do not hold up fast ones; the first failure stops the run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { runEvalTask, type EvalTask, type EvalTaskResult } from './task.js';
import type { WorkerMessage } from './worker.js';

export interface PoolOptions {
  jobs: number;
  /** Called as work is done, with the work units just done (see EvalTask.units). */
  onProgress?: (units: number) => void;
  /** Called as each task finishes (e.g. to write the cache). */
  onResult?: (task: EvalTask, result: EvalTaskResult) => Promise<void> | void;
}

const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));

/** Whether worker threads can be used (the compiled worker.js sits beside this module). */
export function workersAvailable(): boolean {
  return existsSync(workerFile);
}

export async function runTasks(tasks: readonly EvalTask[], options: PoolOptions): Promise<void> {
  const jobs = Math.max(1, Math.min(options.jobs, tasks.length));
  if (jobs === 1 || !workersAvailable()) {
    for (const task of tasks) {
      const result = await runEvalTask(task, options.onProgress);
      await options.onResult?.(task, result);
    }
    return;
  }

  const queue = [...tasks];
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: Error) => {
        if (!failed) {
          failed = true;
          reject(err);
        }
      };
      const feed = (worker: Worker) => {
        const task = queue.shift();
        if (!task) {
          if (running === 0) resolve();
          return;
        }
        running++;
        worker.postMessage(task);
      };
      const byId = new Map<number, EvalTask>(tasks.map((t) => [t.id, t]));
      for (let i = 0; i < jobs; i++) {
        const worker = new Worker(workerFile);
        workers.push(worker);
        worker.on('message', (msg: WorkerMessage) => {
          if (failed) return;
          if (msg.type === 'progress') {
            options.onProgress?.(msg.units);
          } else if (msg.type === 'done') {
            Promise.resolve(options.onResult?.(byId.get(msg.result.id)!, msg.result)).then(
              () => {
                running--; // only now: the run ends after the last result has been stored
                feed(worker);
              },
              (err: unknown) => fail(err as Error),
            );
          } else {
            fail(msg.name === 'InputError' ? new InputError(msg.message) : new Error(msg.message));
          }
        });
        worker.on('error', (err) => fail(err));
        worker.on('exit', (code) => {
          if (code !== 0) fail(new Error(`eval worker exited with code ${code}`));
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
