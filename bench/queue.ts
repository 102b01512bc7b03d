/**
 * `lcodec eval --queue` against a local run: a throwaway redis-server, `lcodec worker`
 * processes, and the same evaluation four ways — local (`--jobs 2`), one worker, two
 * workers, and two workers of which one is killed (SIGKILL) `--kill-after` seconds in.
 * Checks that every queued run has every point with bpp, PSNR and MS-SSIM equal to the
 * local run's, and reports each run's wall time.
 *
 *   node dist/bench/queue.js [image folder] [--images 6] [--codecs jpeg,webp,hyperprior-mse]
 *                            [--kill-after 25] [--out folder]
 * Default folder: Kodak from ../shared/data/images/kodak. Exits 1 if any check fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalResults } from '../src/eval/types.js';
import { packageRoot, sharedDataDir } from '../src/paths.js';
import { benchArgs } from './args.js';
import { startRedis, stopProcess } from './redis-server.js';

const { opt, positional: [positional] } = benchArgs();
const data = sharedDataDir();
const folder = positional ?? (data ? join(data, 'images', 'kodak') : undefined);
if (!folder) {
  process.stderr.write('usage: queue [image folder] (no shared data found for the default Kodak folder)\n');
  process.exit(1);
}
const count = Number(opt('images') ?? 6);
const codecs = opt('codecs') ?? 'jpeg,webp,hyperprior-mse';
const killAfterS = Number(opt('kill-after') ?? 25);
const outDir = opt('out') ?? (await mkdtemp(join(tmpdir(), 'lcodec-queue-bench-')));
await mkdir(outDir, { recursive: true });
const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

const files = (await readdir(folder))
  .filter((f) => /\.(png|jpe?g|ppm|webp|tiff?)$/i.test(f))
  .sort()
  .slice(0, count)
  .map((f) => join(folder, f));
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Run {
  wall_s: number;
  code: number | null;
  stderr: string;
  results?: EvalResults;
}

function lcodec(cliArgs: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...cliArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function evalRun(name: string, extra: string[], during?: (elapsedMs: () => number) => void): Promise<Run> {
  const out = join(outDir, `${name}.json`);
  const t0 = performance.now();
  const child = lcodec(['eval', ...files, '--codecs', codecs, '--no-cache', '--force', '--out', out, ...extra]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  during?.(() => performance.now() - t0);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const wall_s = (performance.now() - t0) / 1000;
  await writeFile(join(outDir, `${name}.stderr.txt`), stderr);
  // Other work on the machine moves these times: the load average says how much there was.
  log(`${name}: exit ${code}, ${wall_s.toFixed(1)} s (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
  const results = code === 0 ? (JSON.parse(await readFile(out, 'utf8')) as EvalResults) : undefined;
  return { wall_s, code, stderr, results };
}

async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  const workers = Array.from({ length: n }, () => lcodec(['worker', '--queue', url, '--no-cache']));
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let text = '';
          w.stderr!.on('data', (d: Buffer) => {
            text += d.toString();
            if (/ worker \S+ on redis:/.test(text)) resolve();
          });
          w.on('exit', (c) => reject(new Error(`worker exited with ${c}: ${text}`)));
        }),
    ),
  );
  return workers;
}

/** Points whose bpp, PSNR or MS-SSIM differ from the reference, or are missing. */
function differences(test: EvalResults | undefined, ref: EvalResults): string[] {
  if (!test) return ['no results'];
  const out: string[] = [];
  for (const [codec, points] of Object.entries(ref.codecs)) {
    points.forEach((p, i) => {
      const q = test.codecs[codec]?.[i];
      for (const key of ['quality', 'bpp', 'psnr', 'ms_ssim']) {
        if (!q || q[key] !== p[key]) out.push(`${codec} #${i} ${key}: ${q?.[key]} vs ${p[key]}`);
      }
    });
    if ((test.codecs[codec]?.length ?? 0) !== points.length) out.push(`${codec}: ${test.codecs[codec]?.length} points vs ${points.length}`);
  }
  return out;
}

const redis = await startRedis();
const report: Record<string, unknown> = { images: files.length, codecs, kill_after_s: killAfterS, cores: cpus().length };
let failed = false;
try {
  log(`${files.length} images from ${folder}; codecs ${codecs}; outputs in ${outDir}`);
  const local = await evalRun('local-jobs2', ['--jobs', '2']);
  if (!local.results) throw new Error(`local run failed:\n${local.stderr}`);
  const points = Object.values(local.results.codecs).reduce((s, p) => s + p.length, 0);
  report.points = points;
  report.local_jobs2_s = round(local.wall_s);

  for (const n of [1, 2]) {
    const workers = await startWorkers(redis.url, n);
    const run = await evalRun(`queue-${n}-worker${n > 1 ? 's' : ''}`, ['--queue', redis.url]);
    await Promise.all(workers.map((w) => stopProcess(w)));
    const diff = differences(run.results, local.results);
    report[`queue_${n}_worker${n > 1 ? 's' : ''}_s`] = round(run.wall_s);
    report[`queue_${n}_worker${n > 1 ? 's' : ''}_equal`] = diff.length === 0;
    if (diff.length > 0) {
      failed = true;
      log(`${n} worker(s): ${diff.length} differences, e.g. ${diff.slice(0, 3).join('; ')}`);
    }
  }

  const workers = await startWorkers(redis.url, 2);
  let killedAt: number | undefined;
  const killed = await evalRun('queue-2-workers-one-killed', ['--queue', redis.url], (elapsed) => {
    const timer = setTimeout(() => {
      killedAt = elapsed() / 1000;
      workers[0].kill('SIGKILL');
      log(`killed worker ${workers[0].pid} (SIGKILL) at ${killedAt.toFixed(1)} s`);
    }, killAfterS * 1000);
    timer.unref();
  });
  await Promise.all(workers.map((w) => stopProcess(w)));
  const diff = differences(killed.results, local.results);
  report.killed_worker_at_s = killedAt === undefined ? null : round(killedAt);
  report.queue_one_killed_s = round(killed.wall_s);
  report.queue_one_killed_equal = diff.length === 0;
  report.queue_one_killed_notices = killed.stderr.split('\n').filter((l) => /stopped during|by worker/.test(l));
  if (diff.length > 0 || killedAt === undefined) {
    failed = true;
    log(`one killed: ${killedAt === undefined ? 'the run ended before the kill; ' : ''}${diff.length} differences ${diff.slice(0, 3).join('; ')}`);
  }
} finally {
  await redis.stop();
}
report.load_average_15min_at_end = Math.round(loadavg()[2] * 10) / 10;
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
await writeFile(join(outDir, 'summary.json'), JSON.stringify(report, null, 2) + '\n');
process.exit(failed ? 1 : 0);

function round(s: number): number {
  return Math.round(s * 10) / 10;
}
