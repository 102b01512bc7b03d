/**
 * A real redis-server for a test (bench/redis-server.ts) and real `lcodec worker` processes
 * against it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CLI, ROOT } from './cli.js';

export { startRedis, stopProcess, type LocalRedis as TestRedis } from '../../bench/redis-server.js';

export interface TestWorker {
  child: ChildProcess;
  /** Everything the worker printed so far. */
  output(): string;
  /** Resolves once the worker's output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts `lcodec worker --queue <url> ...args` (a real process). */
export function startWorker(url: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): TestWorker {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    child,
    output: () => text,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker did not print ${pattern} in ${timeoutMs} ms:\n${text}`)), timeoutMs);
        const check = () => {
          if (pattern.test(text)) {
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`worker exited (${child.exitCode}) before printing ${pattern}:\n${text}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      }),
  };
}

/** Runs `lcodec args...` in the background, collecting its output. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    // 'close', not 'exit': the pipes are drained by then.
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}
