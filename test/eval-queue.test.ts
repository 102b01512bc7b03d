/**
 * `lcodec eval --queue` with real `lcodec worker` processes on a real redis-server: results
 * equal a local run's, a worker killed mid-task has its task rerun elsewhere, failures and
 * timeouts reach the eval with clear messages, Ctrl-C takes the run off the queue, and the
 * password is never printed.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, redact } from '../src/eval/redis-url.js';
import type { EvalResults } from '../src/eval/types.js';
import { encodePng } from '../src/io/image.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { startCli, startRedis, startWorker, stopProcess, type TestRedis, type TestWorker } from './helpers/redis.js';
import { smoothImage } from './helpers/synthetic.js';

const RUNS_KEY = 'lcodec:eval:runs';
const CODEC_ARGS = ['--codecs', 'jpeg,hyperprior-mse', '--qualities', 'jpeg=30,70', '--qualities', 'hyperprior-mse=2,5'];

let redis: TestRedis;
let client: Redis;
let dir: string;
let images: string;
let local: EvalResults;
const workers: TestWorker[] = [];
/** Everything any lcodec process printed: the password must appear nowhere. */
const printed: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  client = new Redis({ host: '127.0.0.1', port: redis.port, password: redis.password });
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-queue-'));
  images = path.join(dir, 'images');
  await mkdir(images);
  await writeFile(path.join(images, 'a.png'), await encodePng(smoothImage(512, 384, 1)));
  await writeFile(path.join(images, 'b.png'), await encodePng(smoothImage(256, 192, 2)));
  const out = path.join(dir, 'local.json');
  const r = await runCli(['eval', images, ...CODEC_ARGS, '--no-cache', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  local = JSON.parse(await readFile(out, 'utf8')) as EvalResults;
});

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w.child, 'SIGKILL')));
  client?.disconnect();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const text of printed) expect(text).not.toContain(redis.password);
});

function worker(args: string[] = [], env: NodeJS.ProcessEnv = {}, url = redis.url): TestWorker {
  const w = startWorker(url, args, env);
  workers.push(w);
  return w;
}

async function stopWorkers(): Promise<void> {
  await Promise.all(workers.splice(0).map(async (w) => {
    await stopProcess(w.child);
    printed.push(w.output());
  }));
}

async function evalOnQueue(args: string[]) {
  const run = startCli(['eval', ...args, '--queue', redis.url]);
  const done = run.done.then((r) => {
    printed.push(r.stdout, r.stderr);
    return r;
  });
  return { child: run.child, done };
}

/** The queue name of the one eval run announced on the server (waits for it). */
async function announcedRun(timeoutMs = 60_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const runs = await client.zrange(RUNS_KEY, 0, -1);
    if (runs.length === 1) return runs[0];
    if (Date.now() > end) throw new Error(`expected one announced run, found ${runs.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether Redis still holds anything of a run. */
async function leftovers(run: string): Promise<string[]> {
  const keys = await client.keys(`bull:${run}:*`);
  const announced = (await client.zrange(RUNS_KEY, 0, -1)).filter((r) => r === run);
  return [...keys, ...announced];
}

/** bpp, PSNR, MS-SSIM and BD-rates equal exactly; timings are the machines' own. */
function expectSameResults(queued: EvalResults, reference: EvalResults): void {
  expect(queued.items).toBe(reference.items);
  expect(Object.keys(queued.codecs)).toEqual(Object.keys(reference.codecs));
  for (const [codec, points] of Object.entries(reference.codecs)) {
    expect(queued.codecs[codec].length).toBe(points.length);
    points.forEach((p, i) => {
      const q = queued.codecs[codec][i];
      expect({ quality: q.quality, bpp: q.bpp, psnr: q.psnr, ms_ssim: q.ms_ssim }).toEqual({
        quality: p.quality,
        bpp: p.bpp,
        psnr: p.psnr,
        ms_ssim: p.ms_ssim,
      });
    });
  }
  expect(queued.bd_rate).toEqual(reference.bd_rate);
}

describe('redis URLs', () => {
  it('parses host, port, database and password, and shows the URL without the password', () => {
    const t = parseRedisUrl('redis://:p%40ss@10.0.0.2:6380/3');
    expect(t).toMatchObject({ host: '10.0.0.2', port: 6380, db: 3, password: 'p@ss', display: 'redis://:***@10.0.0.2:6380/3' });
    expect(parseRedisUrl('redis://localhost', 'fromenv')).toMatchObject({ port: 6379, db: 0, password: 'fromenv' });
    expect(() => parseRedisUrl('http://:secret@host:1')).toThrow(/redis:\/\/ URL, got "http:\/\/:\*\*\*@host:1"/);
    expect(() => parseRedisUrl('redis://:secret@host:1/x')).toThrow(/database in redis:\/\/:\*\*\*@host:1\/x must be a number/);
    expect(redact('failed at redis://u:p%40ss@h:1/0 with p@ss and p%40ss', 'p@ss')).toBe('failed at redis://u:***@h:1/0 with *** and ***');
  });
});

describe('lcodec eval --queue', () => {
  it('gives the results of a local run, measured by two workers; workers reuse their caches', async () => {
    const cache = path.join(dir, 'worker-cache');
    // One worker takes the password from the environment, as `ps` would show arguments.
    const bare = redis.url.replace(`:${redis.password}@`, '');
    const w1 = worker(['--cache', cache], { LCODEC_REDIS_PASSWORD: redis.password }, bare);
    const w2 = worker(['--cache', cache, '--concurrency', '2']);
    await Promise.all([w1.waitFor(/worker .* on redis:\/\/:\*\*\*@127\.0\.0\.1/), w2.waitFor(/2 tasks at a time/)]);

    const out = path.join(dir, 'queued.json');
    const evalCache = path.join(dir, 'eval-cache-1');
    const run = await evalOnQueue([images, ...CODEC_ARGS, '--cache', evalCache, '--out', out]);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expectSameResults(JSON.parse(await readFile(out, 'utf8')) as EvalResults, local);
    // Each of the 8 measurements counted once, whoever ran it.
    const by = /8 tasks on queue \S+; by worker: (.*)/.exec(r.stderr);
    expect(by, r.stderr).not.toBeNull();
    expect(by![1].split(', ').reduce((s, e) => s + Number(e.split(' ').pop()), 0)).toBe(8);

    // A second eval with an empty cache of its own: the workers answer from theirs.
    const out2 = path.join(dir, 'queued-2.json');
    const r2 = await (await evalOnQueue([images, ...CODEC_ARGS, '--cache', path.join(dir, 'eval-cache-2'), '--out', out2])).done;
    expect(r2.code, r2.stderr).toBe(0);
    expectSameResults(JSON.parse(await readFile(out2, 'utf8')) as EvalResults, local);
    expect((w1.output() + w2.output()).match(/: from cache/g)?.length).toBe(8);
    expect(await client.zcard(RUNS_KEY)).toBe(0);
    await stopWorkers();
    expect(await client.keys('bull:*')).toEqual([]); // both runs' queues are gone
  }, 240_000);

  it('reruns the task of a worker killed mid-task on another worker; no point lost or counted twice', async () => {
    const out = path.join(dir, 'killed.json');
    const run = await evalOnQueue([images, ...CODEC_ARGS, '--no-cache', '--out', out]);
    const name = await announcedRun();
    const doomed = worker();
    // Kill it while it runs a learned-codec task (those take long enough to be caught).
    for (;;) {
      const active = await client.lrange(`bull:${name}:active`, 0, -1);
      const names = await Promise.all(active.map((id) => client.hget(`bull:${name}:${id}`, 'name')));
      if (names.some((n) => n?.startsWith('hyperprior-mse'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    doomed.child.kill('SIGKILL');
    await new Promise((r) => doomed.child.once('exit', r));
    printed.push(doomed.output());
    worker();

    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/a worker stopped during hyperprior-mse at quality \d on .*\.png; it runs again on another worker/);
    expectSameResults(JSON.parse(await readFile(out, 'utf8')) as EvalResults, local);
    const by = /8 tasks on queue \S+; by worker: (.*)/.exec(r.stderr);
    expect(by![1].split(', ').reduce((s, e) => s + Number(e.split(' ').pop()), 0)).toBe(8);
    await stopWorkers();
    expect(await leftovers(name)).toEqual([]);
  }, 240_000);

  it('fails with a clear error when a worker cannot read an input, and the worker goes on', async () => {
    const only = path.join(dir, 'vanishing');
    await mkdir(only);
    const file = path.join(only, 'c.png');
    await writeFile(file, await encodePng(smoothImage(192, 176, 3)));
    const run = await evalOnQueue([only, '--codecs', 'jpeg', '--qualities', '50', '--no-cache']);
    const name = await announcedRun();
    await rm(file); // the eval read it; the worker will not find it
    const w = worker();
    const r = await run.done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lcodec: worker \S+: cannot read .*vanishing\/c\.png \(ENOENT\): every worker must see the eval's inputs at the same path/);
    expect(w.child.exitCode).toBeNull();
    await stopWorkers();
    expect(await leftovers(name)).toEqual([]);
  });

  it('fails with a clear message when no worker takes a task, leaving nothing behind', async () => {
    const start = Date.now();
    const run = await evalOnQueue([images, '--codecs', 'jpeg', '--no-cache', '--queue-timeout', '2']);
    const name = await announcedRun();
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`no worker took a task from queue ${name} at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0 for 2 s; 0 of \\d+ tasks done\\. Start workers with: lcodec worker --queue redis://:\\*\\*\\*@`),
    );
    expect(Date.now() - start).toBeLessThan(30_000);
    expect(await leftovers(name)).toEqual([]);
  });

  it('removes its pending tasks on Ctrl-C', async () => {
    const run = await evalOnQueue([images, ...CODEC_ARGS, '--no-cache']);
    const name = await announcedRun();
    expect(await client.llen(`bull:${name}:wait`)).toBe(8);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`interrupted: removed 8 pending tasks from queue ${name}`);
    expect(await leftovers(name)).toEqual([]);
  });

  it('refuses a wrong password without printing it', async () => {
    const wrong = redis.url.replace(redis.password, 'not-the-Password-9');
    const r = await runCli(['eval', images, '--codecs', 'jpeg', '--no-cache', '--queue', wrong]);
    printed.push(r.stdout, r.stderr);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: WRONGPASS/);
    expect(r.stderr).not.toContain('not-the-Password-9');
    const w = await runCli(['worker', '--queue', wrong]);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/cannot use Redis at redis:\/\/:\*\*\*@/);
    expect(w.stderr).not.toContain('not-the-Password-9');
  });
});
