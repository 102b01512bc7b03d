/**
 * What the eval (queue.ts) and the workers (queue-worker.ts) agree on when evaluation runs
 * on a BullMQ queue: the Redis keys, the job's data and result, and the timings of the
 * stalled-job handling that reruns the task of a worker that died.
 *
 * Each eval run has a queue of its own; runs and workers announce themselves in two sorted
 * sets scored by the Redis server's clock (machines' clocks may differ), so a worker finds
 * the runs to serve and an eval knows whether any worker is alive.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Measurement } from './cache.js';
import type { EvalTask } from './task.js';
import { redact, type RedisTarget } from './redis-url.js';

/** Sorted set: queue name of each running eval → Redis time (ms) of its last heartbeat. */
export const RUNS_KEY = 'lcodec:eval:runs';
/** Sorted set: `host:pid` of each worker → Redis time (ms) of its last heartbeat. */
export const WORKERS_KEY = 'lcodec:eval:workers';
export const HEARTBEAT_MS = 2_000;
/** A worker silent this long is taken for dead. */
export const WORKER_STALE_MS = 10_000;
/** A run silent this long was abandoned (its eval killed): workers remove its queue. */
export const RUN_STALE_MS = 30_000;

/**
 * Stalled-job handling. A worker renews the lock of each task it runs every LOCK_MS / 2;
 * tasks run in worker threads, so a busy codec never delays the renewal. A killed worker's
 * lock lapses within LOCK_MS and another worker's check (every STALLED_INTERVAL_MS) puts the
 * task back in the queue: it runs again within about 15 s. MAX_STALLED: how many deaths one
 * task survives before the eval fails with the reason.
 */
export const LOCK_MS = 10_000;
export const STALLED_INTERVAL_MS = 5_000;
export const MAX_STALLED = 3;

/** One (item, codec, quality) measurement to make. */
export interface QueueJobData {
  /** The task, with one quality and the item's absolute path. */
  task: EvalTask;
  /** SHA-256 of the item as the eval read it: a worker refuses a different file at that path. */
  hash: string;
  /** Codec version/config on the eval's side: a worker with another refuses the task. */
  version: string;
  /** Whether the worker may use its result cache (false under `eval --no-cache`). */
  cache: boolean;
}

/** Numbers as JSON carries them: non-finite values (a lossless PSNR) as strings. */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface QueueJobResult {
  /** `host:pid` of the worker that ran it. */
  worker: string;
  measurements?: { quality: number; bytes: number; metrics: Record<string, WireNumber>; enc_s: number; dec_s: number }[];
  /** Set instead of measurements when the task failed (name keeps the exit code: InputError → 2). */
  error?: { name: string; message: string };
  /** Whether the worker took it from its cache. */
  cached?: boolean;
}

export function toWire(m: Measurement): { bytes: number; metrics: Record<string, WireNumber>; enc_s: number; dec_s: number } {
  const metrics: Record<string, WireNumber> = {};
  for (const [k, v] of Object.entries(m.metrics)) metrics[k] = Number.isFinite(v) ? v : (String(v) as WireNumber);
  return { bytes: m.bytes, metrics, enc_s: m.enc_s, dec_s: m.dec_s };
}

export function fromWire(w: { bytes: number; metrics: Record<string, WireNumber | null>; enc_s: number; dec_s: number }): Measurement {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(w.metrics)) metrics[k] = v === null ? NaN : Number(v);
  return { bytes: w.bytes, metrics, enc_s: w.enc_s, dec_s: w.dec_s };
}

/** This process as workers and logs name it. */
export const PROCESS_ID = `${hostname()}:${process.pid}`;

/** Connection options for BullMQ (which makes its own connections from them). */
export function bullConnection(target: RedisTarget) {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    username: target.username,
    password: target.password,
    // BullMQ's blocking commands must wait as long as they need.
    maxRetriesPerRequest: null,
  };
}

/**
 * A plain client for the runs/workers sets. Fails fast with a clear, redacted message when
 * the server cannot be reached or refuses the password; reconnects on its own afterwards.
 */
export async function connectRedis(target: RedisTarget, connectTimeoutMs = 5_000): Promise<Redis> {
  const client = new Redis({
    ...bullConnection(target),
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      connectTimeoutMs,
    );
  } catch (err) {
    client.disconnect();
    const reason = (lastError ?? (err as Error)).message;
    throw new Error(redact(`cannot use Redis at ${target.display}: ${reason}`, target.password));
  }
  return client;
}

/** The Redis server's clock in ms. */
export async function redisNow(client: Redis): Promise<number> {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
