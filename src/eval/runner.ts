/**
 * `evaluate()`: rate–distortion evaluation of codecs over a set of items, producing the
 * results JSON of docs/EVAL.md. Generic over modality (see modalities.ts); parallel over worker
 * threads; every per-item measurement is cached on disk, so a re-run only computes what
 * changed (new items, codecs, qualities, or a codec whose version/config changed).
 */
import type { Modality } from '../media.js';
import { acceptedQualities, acceptsQuality, getCodec, getCodecEntry, isBuiltinCodec, listCodecs } from '../../codecs/registry.js';
import { invalid } from '../check.js';
import { UsageError } from '../errors.js';
import { bdRate } from './bdrate.js';
import { defaultCacheDir, type Measurement, ResultCache } from './cache.js';
import { collectItems, type EvalItem } from './inputs.js';
import { modalityEval } from './modalities.js';
import { runTasks } from './pool.js';
import type { QueueRunOptions } from './queue.js';
import type { EvalTask, EvalTaskResult } from './task.js';
import type { EvalPoint, EvalResults } from './types.js';

export interface EvaluateOptions {
  /** Files and/or directories of media (one modality). */
  inputs: readonly string[];
  /** Registry names of the codecs to evaluate. */
  codecs: readonly string[];
  /**
   * Qualities to evaluate: one list for all codecs, or per codec name (codecs not named use
   * their default sweep). Default: each codec's own `qualities`.
   */
  qualities?: readonly number[] | Readonly<Record<string, readonly number[]>>;
  /** BD-rate anchor; default `jpeg` when evaluated, else the first codec. Added to the run if missing. */
  anchor?: string;
  /**
   * Worker threads (default 1). Needs the compiled package and built-in codecs only
   * (codecs added with registerCodec() at run time are evaluated in this thread).
   */
  jobs?: number;
  /** Cache folder (default: see defaultCacheDir), or false to compute everything afresh. */
  cache?: string | false;
  /**
   * Run the measurements on `lcodec worker` processes through a BullMQ queue on this Redis
   * server instead of local threads (`jobs` is then ignored). Built-in codecs only.
   */
  queue?: QueueRunOptions;
  /**
   * Progress: work done so far out of the total to compute (cached measurements excluded),
   * counted in `unit`s: measurements, or frames for video.
   */
  onProgress?: (done: number, total: number, unit: string) => void;
  /**
   * Called once the inputs' modality is known and the request is valid, before any
   * measurement (the CLI checks the output files that depend on the modality there).
   */
  onStart?: (modality: Modality) => void | Promise<void>;
}

export interface EvaluateStats {
  /** (item, codec, quality) measurements in the run. */
  measurements: number;
  /** Of those, taken from the cache. */
  cached: number;
}

/** Runs the evaluation and returns the results (exactly the keys of docs/EVAL.md). */
export async function evaluate(options: EvaluateOptions): Promise<EvalResults> {
  return (await evaluateWithStats(options)).results;
}

/** Like evaluate(), also telling how many measurements came from the cache. */
export async function evaluateWithStats(options: EvaluateOptions): Promise<{ results: EvalResults; stats: EvaluateStats }> {
  const codecNames = [...new Set(options.codecs)];
  if (codecNames.length === 0) throw new UsageError('no codecs given (e.g. --codecs jpeg,webp,x265)');
  const anchor = options.anchor ?? (codecNames.includes('jpeg') ? 'jpeg' : codecNames[0]);
  if (!codecNames.includes(anchor)) codecNames.unshift(anchor);
  // Unknown names fail before the inputs are read; a name means its codec for the inputs' modality.
  const registered = listCodecs();
  for (const name of codecNames) if (!registered.some((c) => c.name === name)) getCodecEntry(name);
  const { modality, items } = await collectItems(options.inputs);
  const entries = codecNames.map((name) => {
    if (!registered.some((c) => c.name === name && c.modality === modality)) {
      const other = registered.filter((c) => c.name === name).map((c) => c.modality);
      throw new UsageError(`codec ${name} is for ${other.join(' and ')}, but the inputs are ${modality}`);
    }
    return getCodecEntry(name, modality);
  });
  const table = modalityEval(modality);

  // Which qualities each codec runs at, validated against what the codec accepts.
  const plan: { name: string; version: string; qualities: number[] }[] = [];
  for (const entry of entries) {
    const codec = await getCodec(entry.name, modality);
    const requested = qualitiesFor(entry.name, options.qualities) ?? [...codec.qualities];
    const bad = requested.filter((q) => !acceptsQuality(entry, codec, q));
    if (bad.length > 0) {
      throw invalid(`quality for ${entry.name}`, acceptedQualities(entry, codec), bad.join(', '), UsageError);
    }
    const qualities = [...new Set(requested)].sort((a, b) => a - b);
    plan.push({ name: entry.name, version: String(await entry.version()), qualities });
  }
  await options.onStart?.(modality);

  // Look everything up in the cache; what is missing becomes tasks of (item, codec).
  const cache = options.cache === false ? undefined : new ResultCache(options.cache ?? defaultCacheDir());
  const measured = new Map<string, Measurement>(); // key: itemIndex|codec|quality
  const slot = (i: number, codec: string, q: number) => `${i}|${codec}|${q}`;
  const tasks: EvalTask[] = [];
  const taskItem = new Map<number, number>();
  const itemUnits = new Map<number, number>(); // progress units per measurement of an item
  const unitsOf = async (i: number): Promise<number> => {
    if (!table.workUnits) return 1;
    let u = itemUnits.get(i);
    if (u === undefined) {
      u = Math.max(1, await table.workUnits(items[i].file));
      itemUnits.set(i, u);
    }
    return u;
  };
  let total = 0;
  let cached = 0;
  let toCompute = 0;
  for (const p of plan) {
    for (let i = 0; i < items.length; i++) {
      const missing: number[] = [];
      for (const q of p.qualities) {
        total++;
        const hit = await cache?.get(cacheKey(items[i], p, q));
        if (hit) {
          measured.set(slot(i, p.name, q), hit);
          cached++;
        } else {
          missing.push(q);
        }
      }
      if (missing.length > 0) {
        const id = tasks.length;
        const units = await unitsOf(i);
        tasks.push({ id, modality, file: items[i].file, codec: p.name, qualities: missing, units });
        taskItem.set(id, i);
        toCompute += units * missing.length;
      }
    }
  }

  const unit = table.unitName ?? 'measurements';
  let done = 0;
  options.onProgress?.(0, toCompute, unit);
  const versions = new Map(plan.map((p) => [p.name, p]));
  // Worker threads only know built-in codecs; a run-time registration keeps the run here.
  const builtin = plan.every((p) => isBuiltinCodec(p.name, modality));
  const execution = {
    onProgress: (units: number) => options.onProgress?.((done += units), toCompute, unit),
    onResult: async (task: EvalTask, result: EvalTaskResult) => {
      const i = taskItem.get(task.id)!;
      for (const { quality, measurement } of result.measurements) {
        measured.set(slot(i, task.codec, quality), measurement);
        await cache?.set(cacheKey(items[i], versions.get(task.codec)!, quality), measurement);
      }
    },
  };
  if (options.queue) {
    const local = plan.filter((p) => !isBuiltinCodec(p.name, modality)).map((p) => p.name);
    if (local.length > 0) throw new UsageError(`codec ${local.join(', ')} is registered in this process only; queue workers cannot run it`);
    // Same tasks, other executor: workers run runEvalTask() as the pool does. Loaded on
    // demand: local runs do not load the Redis client.
    const { runTasksOnQueue } = await import('./queue.js');
    await runTasksOnQueue(tasks, {
      ...options.queue,
      ...execution,
      identity: (task) => ({ hash: items[taskItem.get(task.id)!].hash, version: versions.get(task.codec)!.version }),
      workerCache: options.cache !== false,
    });
  } else {
    await runTasks(tasks, { jobs: builtin ? (options.jobs ?? 1) : 1, ...execution });
  }

  // Average each point over the items (bpp and metrics per item, as CompressAI does).
  const codecs: Record<string, EvalPoint[]> = {};
  for (const p of plan) {
    codecs[p.name] = p.qualities.map((quality) => {
      const ms = items.map((_, i) => measured.get(slot(i, p.name, quality))!);
      // Built key by key so that the JSON reads quality, <metrics...>, enc_s, dec_s.
      const point = { quality } as EvalPoint;
      for (const key of table.metricKeys) point[key] = finiteOrNull(mean(ms.map((m) => m.metrics[key])));
      point.enc_s = mean(ms.map((m) => m.enc_s));
      point.dec_s = mean(ms.map((m) => m.dec_s));
      return point;
    });
  }

  const bd_rate: EvalResults['bd_rate'] = {};
  for (const p of plan) {
    bd_rate[p.name] = {};
    for (const { key, scale } of table.bdMetrics) {
      bd_rate[p.name][key] = bdRateOf(codecs[anchor], codecs[p.name], table.rateKey, key, scale);
    }
  }

  return {
    results: { modality, items: items.length, anchor, codecs, bd_rate },
    stats: { measurements: total, cached },
  };
}

function cacheKey(item: EvalItem, p: { name: string; version: string }, quality: number) {
  return { item: item.hash, codec: p.name, version: p.version, quality };
}

function qualitiesFor(
  codec: string,
  q: EvaluateOptions['qualities'],
): number[] | undefined {
  if (q === undefined) return undefined;
  if (Array.isArray(q)) return [...q];
  const perCodec = (q as Readonly<Record<string, readonly number[]>>)[codec];
  return perCodec ? [...perCodec] : undefined;
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** BD-rate of `test` vs `anchor` on one metric; null if a curve lacks that metric anywhere. */
export function bdRateOf(
  anchor: readonly EvalPoint[],
  test: readonly EvalPoint[],
  rateKey: string,
  metric: string,
  scale: (v: number) => number = (v) => v,
): number | null {
  const curve = (pts: readonly EvalPoint[]) => {
    const ok = pts.filter((p) => typeof p[rateKey] === 'number' && typeof p[metric] === 'number');
    return { rate: ok.map((p) => p[rateKey] as number), quality: ok.map((p) => scale(p[metric] as number)) };
  };
  const a = curve(anchor);
  const t = curve(test);
  if (a.rate.length < 2 || t.rate.length < 2) return null;
  const v = bdRate(a, t);
  return v === null || !Number.isFinite(v) ? null : v;
}
