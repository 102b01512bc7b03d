/** Running the built CLI (dist/) from tests; builds it first when missing or older than the sources. */
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Makes sure dist/ is at least as new as src/, codecs/ and entropy/ (runs tsc otherwise). */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    built = 0;
  }
  const sources = Math.max(...['src', 'codecs', 'entropy'].map((d) => newestSource(path.join(ROOT, d))));
  if (built < sources) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lcodec args...` with pipes (not a TTY) and resolves with its exit code and output. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like runCli, and also reports the CLI process's peak RSS in MiB (via max-rss.cjs). */
export function runCliMeasured(args: readonly string[], rssFile: string): Promise<CliResult & { maxRssMb: number }> {
  const preload = path.join(ROOT, 'bench', 'max-rss.cjs');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', preload, CLI, ...args],
      { cwd: ROOT, env: { ...process.env, LCODEC_MAX_RSS_FILE: rssFile } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        let maxRssMb = NaN;
        try {
          maxRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
        } catch {
          // no report: maxRssMb stays NaN and the caller's check fails
        }
        resolve({ code, stdout, stderr, maxRssMb });
      },
    );
  });
}
