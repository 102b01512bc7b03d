/** Worker-thread entry for `evaluate({ jobs > 1 })`: runs tasks posted by the pool (pool.ts). */
import { parentPort } from 'node:worker_threads';
import { runEvalTask, type EvalTask } from './task.js';

export type WorkerMessage =
  | { type: 'progress'; id: number; units: number }
  | { type: 'done'; result: Awaited<ReturnType<typeof runEvalTask>> }
  | { type: 'error'; id: number; name: string; message: string };

if (!parentPort) throw new Error('eval worker must run in a worker thread');
const port = parentPort;

port.on('message', (task: EvalTask) => {
  runEvalTask(task, (units) => port.postMessage({ type: 'progress', id: task.id, units } satisfies WorkerMessage)).then(
    (result) => port.postMessage({ type: 'done', result } satisfies WorkerMessage),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ type: 'error', id: task.id, name: e.name, message: e.message } satisfies WorkerMessage);
    },
  );
});
