/**
 * Fuzz run over `.lc` decoding (bench/fuzz-harness.ts): N damaged files, decoded in a worker
 * thread under a watchdog (a case over 5 s is a hang: the worker is replaced and the run goes
 * on), then a handful of them through the real CLI (exit code, one stderr line, no output
 * file). Prints the counts; exits 1 if any case crashed or hung.
 *
 *   node dist/bench/fuzz.js --cases 10000 --modality image|image-channel|audio|audio-mdct|video|video-mc [--seed 1] [--only 1234] [--cli 12] [--json]
 *
 * `--inject-hang <id>` makes case <id> spin forever, to check the watchdog itself.
 *
 * Long: run it under `nice -n 10` on a shared machine.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Modality } from '../src/media.js';
import { packageRoot } from '../src/paths.js';
import {
  CASE_LIMIT_MS,
  FUZZ_TARGETS,
  isOneLine,
  makeCase,
  runCase,
  summarize,
  type CaseResult,
  type FuzzTarget,
} from './fuzz-harness.js';

interface Options {
  cases: number;
  /** The fuzz target's name (FUZZ_TARGETS): a modality, or `image-channel`, `video-mc`. */
  modality: string;
  seed: number;
  only?: number;
  cli: number;
  json: boolean;
  injectHang?: number;
}

interface WorkerInput {
  modality: string;
  seed: number;
  ids: number[];
  samples: { name: string; bytes: Uint8Array }[];
  injectHang?: number;
}

type WorkerMessage = { type: 'start'; id: number } | { type: 'done'; result: CaseResult; rss: number } | { type: 'end' };

function parseArgs(argv: string[]): Options {
  const o: Options = { cases: 10_000, modality: 'image', seed: 1, cli: 12, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--cases') o.cases = Number(next());
    else if (a === '--modality') o.modality = next();
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--only') o.only = Number(next());
    else if (a === '--cli') o.cli = Number(next());
    else if (a === '--json') o.json = true;
    else if (a === '--inject-hang') o.injectHang = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.cases) || o.cases < 1) throw new Error('--cases must be a positive integer');
  return o;
}

/** What `lcodec decode` writes by default, per modality. */
const OUTPUT_EXTENSION: Record<Modality, string> = { image: '.png', audio: '.wav', video: '.y4m' };

function targetFor(modality: string): FuzzTarget {
  const t = FUZZ_TARGETS[modality];
  if (!t) throw new Error(`no fuzz target for ${modality} yet (available: ${Object.keys(FUZZ_TARGETS).join(', ')})`);
  return t;
}

// ---- worker: decodes the cases it is given, reporting each start and result ----
async function workerMain(input: WorkerInput): Promise<void> {
  const target = targetFor(input.modality);
  await target.decode(input.samples[0]!.bytes); // warm-up: model sessions load outside any case's clock
  for (const id of input.ids) {
    parentPort!.postMessage({ type: 'start', id } satisfies WorkerMessage);
    if (id === input.injectHang) for (;;);
    const result = await runCase(target, makeCase(target, input.samples, input.seed, id));
    parentPort!.postMessage({ type: 'done', result, rss: process.memoryUsage().rss } satisfies WorkerMessage);
  }
  parentPort!.postMessage({ type: 'end' } satisfies WorkerMessage);
}

/** Runs `ids` in workers; a case that takes over the limit is a hang and its worker is replaced. */
async function runInWorkers(o: Options, target: FuzzTarget, ids: number[], samples: WorkerInput['samples'], progress: (n: number) => void) {
  const results: CaseResult[] = [];
  let peakRss = 0;
  let queue = ids;
  while (queue.length > 0) {
    const input: WorkerInput = { modality: o.modality, seed: o.seed, ids: queue, samples, injectHang: o.injectHang };
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: input });
    const done = new Set<number>();
    // How the worker's round ended: all cases run, a case over the limit, or the worker gone.
    let timer: NodeJS.Timeout | undefined;
    const ending = await new Promise<{ kind: 'end' } | { kind: 'hang'; id: number } | { kind: 'died'; id: number | null; why: string }>((resolve) => {
      let current: { id: number; since: number } | null = null;
      let started = false;
      // Generous until the first case starts (the worker loads the model); then the case limit.
      const since0 = performance.now();
      timer = setInterval(() => {
        if (current && performance.now() - current.since > CASE_LIMIT_MS + 1000) resolve({ kind: 'hang', id: current.id });
        else if (!started && performance.now() - since0 > 120_000) resolve({ kind: 'died', id: null, why: 'worker did not start' });
      }, 250);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'start') {
          started = true;
          current = { id: m.id, since: performance.now() };
        } else if (m.type === 'done') {
          results.push(m.result);
          done.add(m.result.id);
          peakRss = Math.max(peakRss, m.rss);
          current = null;
          progress(results.length);
        } else resolve({ kind: 'end' });
      });
      // A worker that dies (out of memory, a native crash) takes its current case with it.
      worker.on('error', (err) => resolve({ kind: 'died', id: current?.id ?? null, why: String(err) }));
      worker.on('exit', (code) => resolve({ kind: 'died', id: current?.id ?? null, why: `worker exited with code ${code}` }));
    });
    clearInterval(timer);
    await worker.terminate();
    if (ending.kind === 'hang') {
      const c = makeCase(target, samples, o.seed, ending.id);
      results.push({ id: ending.id, kind: c.kind, detail: c.detail, outcome: 'hang', ms: CASE_LIMIT_MS, message: 'no result within the time limit' });
      done.add(ending.id);
    } else if (ending.kind === 'died') {
      if (ending.id === null) throw new Error(`fuzz worker failed outside any case: ${ending.why}`);
      const c = makeCase(target, samples, o.seed, ending.id);
      results.push({ id: ending.id, kind: c.kind, detail: c.detail, outcome: 'crash', ms: 0, message: ending.why });
      done.add(ending.id);
    }
    queue = queue.filter((id) => !done.has(id));
  }
  return { results, peakRss };
}

/** Runs `lcodec decode` on a few cases: exit code 0 with an output, or 2 with one line and none. */
async function cliChecks(o: Options, target: FuzzTarget, results: CaseResult[], samples: WorkerInput['samples']) {
  const byOutcome = (out: string) => results.filter((r) => r.outcome === out);
  const chosen: CaseResult[] = [];
  const kinds = new Set<string>();
  for (const r of byOutcome('clean-error')) {
    if (chosen.length >= o.cli - 2) break;
    if (!kinds.has(r.kind)) (kinds.add(r.kind), chosen.push(r));
  }
  chosen.push(...byOutcome('decoded').slice(0, 2));
  const dir = await mkdtemp(path.join(tmpdir(), 'lcodec-fuzz-'));
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const problems: string[] = [];
  try {
    for (const r of chosen) {
      const file = path.join(dir, `case-${r.id}.lc`);
      const out = path.join(dir, `case-${r.id}${OUTPUT_EXTENSION[target.modality]}`);
      await writeFile(file, makeCase(target, samples, o.seed, r.id).bytes);
      const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [cli, 'decode', file, '-o', out], { timeout: 60_000 }, (err, _stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
        );
      });
      const files = await readdir(dir);
      const wrote = files.includes(path.basename(out));
      const stray = files.filter((f) => f.endsWith('.tmp'));
      const expectCode = r.outcome === 'decoded' ? 0 : 2;
      const lines = res.stderr.split('\n').filter((l) => l.length > 0);
      if (res.code !== expectCode) problems.push(`case ${r.id}: exit ${res.code}, expected ${expectCode} (${res.stderr.trim()})`);
      else if (expectCode === 2 && (lines.length !== 1 || !isOneLine(lines[0]!) || wrote)) {
        problems.push(`case ${r.id}: stderr ${JSON.stringify(res.stderr)}, output written: ${wrote}`);
      } else if (expectCode === 0 && !wrote) problems.push(`case ${r.id}: decoded but no output file`);
      if (stray.length) problems.push(`case ${r.id}: temp files left: ${stray.join(', ')}`);
      await rm(out, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { cases: chosen.length, problems };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const target = targetFor(o.modality);
  const t0 = performance.now();
  const samples = await target.samples();
  if (o.only !== undefined) {
    const c = makeCase(target, samples, o.seed, o.only);
    const r = await runCase(target, c);
    process.stdout.write(`case ${c.id} [${c.kind}] ${c.detail}\n  → ${r.outcome} in ${r.ms.toFixed(0)} ms: ${r.message}\n`);
    return;
  }
  const ids = Array.from({ length: o.cases }, (_, i) => i);
  const tty = process.stderr.isTTY;
  const { results, peakRss } = await runInWorkers(o, target, ids, samples, (n) => {
    if (tty && (n % 50 === 0 || n === o.cases)) process.stderr.write(`\r${n}/${o.cases} cases`);
  });
  if (tty) process.stderr.write('\n');
  const s = summarize(results.sort((a, b) => a.id - b.id));
  const cli = await cliChecks(o, target, results, samples);
  const seconds = (performance.now() - t0) / 1000;
  const report = {
    modality: o.modality,
    seed: o.seed,
    cases: s.cases,
    crashes: s.crashes,
    hangs: s.hangs,
    clean_errors: s.cleanErrors,
    decoded: s.decoded,
    slowest_ms: Math.round(s.slowestMs),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    seconds: Math.round(seconds),
    by_kind: s.byKind,
    cli: { cases: cli.cases, problems: cli.problems },
    failures: s.failures.slice(0, 20).map((f) => ({ id: f.id, kind: f.kind, detail: f.detail, outcome: f.outcome, message: f.message })),
  };
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    const lines = [
      `fuzz ${o.modality}, seed ${o.seed}: ${s.cases} cases in ${report.seconds} s`,
      `  crashes ${s.crashes}, hangs ${s.hangs}, clean errors ${s.cleanErrors}, decoded ${s.decoded}`,
      `  slowest case ${report.slowest_ms} ms, peak RSS ${report.peak_rss_mb} MB`,
      `  by kind [decoded, clean errors, crashes+hangs]:`,
      ...Object.entries(s.byKind).map(([k, v]) => `    ${k.padEnd(20)} ${v.join(', ')}`),
      `  CLI: ${cli.cases} cases through lcodec decode, ${cli.problems.length} problems`,
      ...cli.problems.map((p) => `    ${p}`),
      ...s.failures.slice(0, 20).map((f) => `  FAIL case ${f.id} [${f.kind}] ${f.detail}: ${f.outcome}: ${f.message.split('\n')[0]}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (s.crashes || s.hangs || cli.problems.length) process.exitCode = 1;
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`fuzz: ${(err as Error).message}\n`);
    process.exit(1);
  });
} else {
  await workerMain(workerData as WorkerInput);
}
