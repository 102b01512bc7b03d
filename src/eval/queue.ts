/**
 * Runs evaluation tasks on a BullMQ queue instead of local threads (pool.ts): every
 * (item, codec, quality) measurement becomes a job on a queue of this run's own, `lcodec
 * worker` processes anywhere run them with the same runEvalTask() the local pool runs, and
 * the results come back here in any order. Each job is counted once, whatever reruns
 * stalled-job handling makes after a worker dies.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { inRange } from '../check.js';
import { InputError, InterruptedError } from '../errors.js';
import type { PoolOptions } from './pool.js';
import {
  bullConnection,
  connectRedis,
  fromWire,
  HEARTBEAT_MS,
  type QueueJobData,
  type QueueJobResult,
  redisNow,
  RUNS_KEY,
  WORKER_STALE_MS,
  WORKERS_KEY,
  withTimeout,
} from './queue-shared.js';
import { parseRedisUrl, redact, type RedisTarget } from './redis-url.js';
import type { EvalTask, EvalTaskResult } from './task.js';

export interface QueueRunOptions {
  /** `redis://[:password@]host:port[/db]`. */
  url: string;
  /** Password when the URL has none (e.g. from `$LCODEC_REDIS_PASSWORD`). */
  password?: string;
  /** Fail when no worker has taken or worked on a task for this long (default 120 s). */
  timeoutS?: number;
  /** Aborting removes the run's pending tasks from the queue and rejects. */
  signal?: AbortSignal;
  /** Things worth telling while the run goes on (a worker lost, its task rerun). */
  onNotice?: (message: string) => void;
}

export interface QueueTaskIdentity {
  /** The item's content hash. */
  hash: string;
  /** The codec's version/config. */
  version: string;
}

/**
 * Runs `tasks` through workers on the queue at `options.url`; results and progress reach
 * `options.onResult` / `onProgress` as with runTasks(). `identity` tells each task's item
 * hash and codec version, which workers check against their own.
 */
export async function runTasksOnQueue(
  tasks: readonly EvalTask[],
  options: Omit<PoolOptions, 'jobs'> &
    QueueRunOptions & { identity: (task: EvalTask) => QueueTaskIdentity; workerCache: boolean },
): Promise<void> {
  const target = parseRedisUrl(options.url, options.password);
  const secret = target.password;
  const timeoutMs = inRange('queue.timeoutS', options.timeoutS ?? 120, 0.1, 86_400) * 1000;
  if (tasks.length === 0) return;
  if (options.signal?.aborted) throw new InterruptedError('interrupted before any task was queued');

  // One job per (item, codec, quality): the finest split, so a lost worker costs one measurement.
  const jobs: { id: string; task: EvalTask; data: QueueJobData }[] = [];
  for (const task of tasks) {
    const { hash, version } = options.identity(task);
    for (const quality of task.qualities) {
      const one: EvalTask = { ...task, file: path.resolve(task.file), qualities: [quality] };
      jobs.push({ id: `m${jobs.length}`, task, data: { task: one, hash, version, cache: options.workerCache } });
    }
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));

  const client = await connectRedis(target);
  const name = `lcodec-eval-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const connection = bullConnection(target);
  const queue = new Queue(name, { connection, streams: { events: { maxLen: Math.max(10_000, jobs.length * 12) } } });
  // A new queue's event stream holds only this run's events: read it from the start, so no
  // event is missed between subscribing and the first job.
  const events = new QueueEvents(name, { connection, lastEventId: '0' });
  const connectionErrors: string[] = [];
  const onClientError = (err: Error) => connectionErrors.push(redact(err.message, secret));
  queue.on('error', onClientError);
  events.on('error', onClientError);

  let heartbeat: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let finish!: (err?: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    let settled = false;
    finish = (err) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
  });
  const onAbort = () =>
    finish(new InterruptedError(`interrupted: removed ${jobs.length - counted.size} pending tasks from queue ${name}`));

  const counted = new Set<string>(); // jobs whose result was taken: never twice
  const reported = new Map<string, number>(); // progress units counted per job so far
  const workersSeen = new Map<string, number>();
  let lastActivity = Date.now();
  let storing = Promise.resolve();

  const progressTo = (id: string, units: number) => {
    const job = byId.get(id);
    if (!job || counted.has(id)) return;
    const cap = job.task.units ?? 1;
    const before = reported.get(id) ?? 0;
    const now = Math.min(cap, units);
    // A rerun after a stall starts again from 0: count only what goes beyond the first run.
    if (now > before) {
      reported.set(id, now);
      options.onProgress?.(now - before);
    }
  };

  const take = (id: string, value: QueueJobResult | undefined, failedReason?: string) => {
    const job = byId.get(id);
    if (!job || counted.has(id)) return;
    counted.add(id);
    lastActivity = Date.now();
    const what = describe(job.data.task);
    if (failedReason !== undefined || !value) {
      finish(new Error(redact(`${what} failed on a worker: ${failedReason ?? 'no result'}`, secret)));
      return;
    }
    workersSeen.set(value.worker, (workersSeen.get(value.worker) ?? 0) + 1);
    if (value.error) {
      const message = redact(`worker ${value.worker}: ${value.error.message}`, secret);
      finish(value.error.name === 'InputError' ? new InputError(message) : new Error(message));
      return;
    }
    progressTo(id, job.task.units ?? 1);
    const result: EvalTaskResult = {
      id: job.task.id,
      measurements: (value.measurements ?? []).map(({ quality, ...m }) => ({ quality, measurement: fromWire(m) })),
    };
    storing = storing
      .then(() => options.onResult?.(job.task, result))
      .then(
        () => {
          if (counted.size === jobs.length) finish();
        },
        (err: unknown) => finish(err as Error),
      );
  };

  events.on('active', ({ jobId }) => {
    if (byId.has(jobId)) lastActivity = Date.now();
  });
  events.on('progress', ({ jobId, data }) => {
    lastActivity = Date.now();
    if (typeof data === 'number') progressTo(jobId, data);
  });
  events.on('completed', ({ jobId, returnvalue }) => take(jobId, parseResult(returnvalue)));
  events.on('failed', ({ jobId, failedReason }) => take(jobId, undefined, failedReason));
  events.on('stalled', ({ jobId }) => {
    const job = byId.get(jobId);
    if (job) options.onNotice?.(`a worker stopped during ${describe(job.data.task)}; it runs again on another worker`);
  });

  // Results whose events were missed (a dropped connection) are read from the jobs themselves;
  // and the timeout: no task taken, no progress, no live worker on a running task.
  let polling = false;
  let missedBefore = false;
  const check = async () => {
    if (polling) return;
    polling = true;
    try {
      const counts = await withTimeout(queue.getJobCounts('completed', 'failed', 'active'), 5_000);
      // A result's event usually follows its job's state at once: read the jobs only when
      // results have been missing for two checks in a row.
      const missing = counts.completed + counts.failed > counted.size;
      const reconcile = missing && missedBefore;
      missedBefore = missing;
      if (reconcile) {
        const done: Job[] = await queue.getJobs(['completed', 'failed']);
        for (const j of done) {
          if (!j.id || counted.has(j.id)) continue;
          if (j.failedReason && !j.returnvalue) take(j.id, undefined, j.failedReason);
          else take(j.id, parseResult(j.returnvalue));
        }
      }
      if (counts.active > 0) {
        const now = await redisNow(client);
        if ((await client.zcount(WORKERS_KEY, now - WORKER_STALE_MS, '+inf')) > 0) lastActivity = Date.now();
      }
    } catch {
      // Redis not answering: the timeout below decides.
    } finally {
      polling = false;
    }
    if (Date.now() - lastActivity > timeoutMs) {
      const why = connectionErrors.length > 0 ? ` (Redis: ${connectionErrors[connectionErrors.length - 1]})` : '';
      finish(
        new Error(
          `no worker took a task from queue ${name} at ${target.display} for ${timeoutMs / 1000} s${why}; ` +
            `${counted.size} of ${jobs.length} tasks done. Start workers with: lcodec worker --queue ${target.display}`,
        ),
      );
    }
  };

  let announcing = Promise.resolve();
  let withdrawn = false;
  const announce = () => {
    announcing = announcing
      .then(async () => {
        const now = await redisNow(client);
        if (!withdrawn) await client.zadd(RUNS_KEY, now, name);
      })
      .catch(() => undefined);
    return announcing;
  };

  try {
    options.signal?.addEventListener('abort', onAbort);
    await withTimeout(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), 10_000).catch((err: Error) => {
      throw new Error(redact(`cannot use Redis at ${target.display}: ${err.message}`, secret));
    });
    options.onProgress?.(0);
    await queue.addBulk(jobs.map((j) => ({ name: describe(j.data.task), data: j.data, opts: { jobId: j.id } })));
    await announce();
    lastActivity = Date.now();
    heartbeat = setInterval(() => void announce(), HEARTBEAT_MS);
    poll = setInterval(() => void check(), 1_000);
    await finished;
    await storing;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    clearInterval(heartbeat);
    clearInterval(poll);
    withdrawn = true;
    // Whatever happened, leave nothing behind: the run's queue and its announcement go.
    await withTimeout(
      (async () => {
        await announcing; // a heartbeat in flight must not announce the run again
        await client.zrem(RUNS_KEY, name).catch(() => undefined);
        await queue.obliterate({ force: true }).catch(() => undefined);
      })(),
      10_000,
    ).catch(() => undefined);
    await withTimeout(Promise.allSettled([events.close(), queue.close()]), 10_000).catch(() => undefined);
    client.disconnect();
  }
  if (workersSeen.size > 0) {
    const by = [...workersSeen].map(([w, n]) => `${w} ${n}`).join(', ');
    options.onNotice?.(`${jobs.length} tasks on queue ${name}; by worker: ${by}`);
  }
}

function describe(task: EvalTask): string {
  return `${task.codec} at quality ${task.qualities.join(',')} on ${task.file}`;
}

function parseResult(value: unknown): QueueJobResult | undefined {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as QueueJobResult;
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' ? (value as QueueJobResult) : undefined;
}
