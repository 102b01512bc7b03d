/**
 * `lcodec worker`: serves every eval run announced on a Redis server. For each run it keeps
 * one BullMQ Worker on that run's queue, whose tasks run in worker threads (queue-job.ts),
 * so the main thread stays free to renew task locks. Runs whose eval vanished without
 * cleaning up (killed) are removed after RUN_STALE_MS.
 */
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { integer } from '../check.js';
import type { QueueJobSettings } from './queue-job.js';
import {
  bullConnection,
  connectRedis,
  HEARTBEAT_MS,
  LOCK_MS,
  MAX_STALLED,
  PROCESS_ID,
  type QueueJobData,
  type QueueJobResult,
  redisNow,
  RUN_STALE_MS,
  RUNS_KEY,
  STALLED_INTERVAL_MS,
  WORKER_STALE_MS,
  WORKERS_KEY,
} from './queue-shared.js';
import { parseRedisUrl, redact } from './redis-url.js';

export interface QueueWorkerOptions {
  url: string;
  password?: string;
  /** Tasks run at once (worker threads), per run. Default 1. */
  concurrency?: number;
  /** Result cache folder, or false. */
  cache: string | false;
  /** One line per event worth logging (already free of secrets). */
  log: (line: string) => void;
  /** Aborting stops taking tasks, lets running ones finish, and resolves. */
  signal?: AbortSignal;
}

const processorFile = fileURLToPath(new URL('./queue-job.js', import.meta.url));
const RUNS_POLL_MS = 1_000;

export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const target = parseRedisUrl(options.url, options.password);
  const secret = target.password;
  const say = (line: string) => options.log(redact(line, secret));
  const concurrency = integer('concurrency', options.concurrency ?? 1, 1);
  const client = await connectRedis(target);
  const connection = bullConnection(target);
  const settings: QueueJobSettings = { cache: options.cache };
  const workers = new Map<string, Worker<QueueJobData, QueueJobResult>>();
  let lastError = '';
  const reportError = (err: Error) => {
    const line = `error: ${err.message}`;
    if (line !== lastError) say(line); // one line per distinct error, not one per retry
    lastError = line;
  };
  client.on('error', reportError);

  const join = (run: string) => {
    const worker = new Worker<QueueJobData, QueueJobResult>(run, processorFile, {
      connection,
      concurrency,
      useWorkerThreads: true,
      workerThreadsOptions: { workerData: settings },
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED,
    });
    worker.on('error', reportError);
    worker.on('completed', (job, result) => {
      const how = result.error ? `failed: ${result.error.message}` : result.cached ? 'from cache' : `${((Date.now() - (job.processedOn ?? Date.now())) / 1000).toFixed(1)} s`;
      say(`${job.name}: ${how}`);
    });
    worker.on('failed', (job, err) => say(`${job?.name ?? 'a task'}: failed: ${err.message}`));
    workers.set(run, worker);
    say(`serving ${run}`);
  };
  /** Stops serving `run`; `ended`: the run is over, so whatever this worker left of it goes. */
  const leave = async (run: string, ended: boolean) => {
    const worker = workers.get(run);
    if (!worker) return;
    workers.delete(run);
    await worker.close().catch(reportError);
    // Until it closed, the worker's stalled-job check may have written to the queue the eval
    // had already removed.
    if (ended) await removeQueue(run);
    say(`done with ${run}`);
  };
  const removeQueue = async (run: string) => {
    // skipMetasUpdate: a queue opened only to remove it must not write its settings back.
    const queue = new Queue(run, { connection, skipMetasUpdate: true });
    await queue.obliterate({ force: true }).catch(reportError);
    await queue.close().catch(reportError);
  };

  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const now = await redisNow(client);
      await client.zadd(WORKERS_KEY, now, PROCESS_ID);
      await client.zremrangebyscore(WORKERS_KEY, '-inf', now - 6 * WORKER_STALE_MS); // the killed ones
      const live = new Set(await client.zrangebyscore(RUNS_KEY, now - RUN_STALE_MS, '+inf'));
      for (const run of live) if (!workers.has(run)) join(run);
      for (const run of [...workers.keys()]) if (!live.has(run)) await leave(run, true);
      // An eval killed outright leaves its queue behind: the first worker to notice removes it.
      for (const run of await client.zrangebyscore(RUNS_KEY, '-inf', now - RUN_STALE_MS)) {
        if ((await client.zrem(RUNS_KEY, run)) === 1) {
          await removeQueue(run);
          say(`removed abandoned ${run}`);
        }
      }
      lastError = '';
    } catch (err) {
      reportError(err as Error);
    } finally {
      polling = false;
    }
  };

  say(`worker ${PROCESS_ID} on ${target.display}, ${concurrency} task${concurrency > 1 ? 's' : ''} at a time`);
  await poll();
  const timer = setInterval(() => void poll(), Math.min(RUNS_POLL_MS, HEARTBEAT_MS));
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  say('stopping: finishing the tasks in hand');
  // A run that ended since the last poll is cleaned up after too; one still going is left alone.
  const live = await redisNow(client)
    .then((now) => client.zrangebyscore(RUNS_KEY, now - RUN_STALE_MS, '+inf'))
    .catch(() => [...workers.keys()]);
  await Promise.all([...workers.keys()].map((run) => leave(run, !live.includes(run))));
  await client.zrem(WORKERS_KEY, PROCESS_ID).catch(() => undefined);
  client.disconnect();
}
