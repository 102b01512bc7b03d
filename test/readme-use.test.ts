/**
 * The README's "Use" section runs as written: every line of its first sh block is run by
 * bash, in order, in an empty folder that holds only a link to samples/ (so the lines see
 * the repository's layout and their outputs go nowhere else), with `lcodec` being this
 * checkout's CLI. Each must exit 0 with no warning or error line, and every file
 * it names as an output must exist afterwards.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../codecs/models.js';
import { CLI, ROOT, ensureBuilt } from './helpers/cli.js';

/** The commands of the README's "Use" block, continuation lines joined. */
function useLines(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use\n'));
  if (!section) throw new Error('README has no "## Use" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the "Use" section has no sh block');
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Paths a line writes: the values of its output options. */
function outputsOf(line: string): string[] {
  const words = line.replace(/\s#.*$/, '').split(/\s+/);
  const outs: string[] = [];
  words.forEach((w, k) => {
    if (['-o', '--out', '--csv', '--plot', '--report'].includes(w) && words[k + 1]) outs.push(words[k + 1]!);
  });
  return outs;
}

function bash(line: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `lcodec() { "${process.execPath}" "${CLI}" "$@"; }\n${line}\n`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const LINES = useLines();

describe('README "Use" lines', () => {
  let dir = '';
  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'lcodec-readme-'));
    await symlink(join(ROOT, 'samples'), join(dir, 'samples'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('name only files that are in samples/, and cover each modality, batches, eval and the demo', () => {
    const text = LINES.join('\n');
    for (const f of text.match(/samples\/[\w.-]+/g) ?? []) expect(existsSync(join(ROOT, f)), f).toBe(true);
    for (const needed of ['lcodec demo', 'samples/photo.png', 'samples/speech.flac', 'samples/clip.mp4', 'lcodec eval', 'lcodec bench', 'lcodec models', 'lcodec info']) {
      expect(text).toContain(needed);
    }
    expect(LINES.some((l) => l.startsWith('lcodec encode') && (l.match(/samples\//g) ?? []).length > 1), 'a batch encode line').toBe(true);
    expect(LINES.every((l) => l.startsWith('lcodec '))).toBe(true);
  });

  it('npx lcodec, as the README offers it, prints no npm warning', async () => {
    // --no-install: never fetch anything; the command must resolve to this package's bin.
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('npx', ['--no-install', 'lcodec', 'models'], { cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^hyperprior-mse\timage/m);
  });

  // In order: later lines read what earlier ones wrote (photo.lc, encoded/*.lc).
  it.each(LINES.map((line, k) => [k + 1, line] as const))('line %i runs as written: %s', async (_k, line) => {
    const r = await bash(line, dir, { LCODEC_CACHE_DIR: join(dir, '.eval-cache') });
    expect(r.code, r.stderr).toBe(0);
    // Status lines may go to stderr (eval's summary); warnings and errors may not.
    expect(r.stderr).not.toMatch(/warn|error|deprecat/i);
    expect(r.stdout.length).toBeGreaterThan(0);
    for (const out of outputsOf(line)) {
      if (out === '-') continue;
      expect(existsSync(join(dir, out)), `${out} written by: ${line}`).toBe(true);
    }
    if (line.startsWith('lcodec demo')) {
      // The learned codecs beside the baselines, and the decoded files where it says they are.
      for (const name of [DEFAULT_MODEL.image, 'jpeg', 'avif', DEFAULT_MODEL.audio, 'opus']) expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\s`, 'm'));
      const decoded = [...r.stdout.matchAll(/decoded: (.*)$/gm)].flatMap((m) => m[1]!.split(', '));
      expect(decoded).toHaveLength(5);
      for (const f of decoded) expect(existsSync(join(dir, f)), f).toBe(true);
    }
  }, 600_000);
});
