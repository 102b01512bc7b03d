/**
 * The model zoo is found on first use: importing lcodec reads no file of its own, and a model
 * whose card is damaged or missing is unavailable by itself (one line in `lcodec models`) while
 * every other model works.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, runCli } from './helpers/cli.js';

const MODELS = path.join(ROOT, 'models');
const shipped = readdirSync(MODELS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const DAMAGED = 'hyperprior-msssim';
const MISSING = 'video-sem';
let dir: string;

/** Runs an ES module snippet in a fresh node inside the package (so `import('lcodec')` resolves to it). */
function runModule(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

beforeAll(() => {
  ensureBuilt();
  // The shipped models, linked file by file; one card replaced by invalid JSON, one removed.
  dir = mkdtempSync(path.join(tmpdir(), 'lcodec-zoo-'));
  for (const name of shipped) {
    mkdirSync(path.join(dir, name));
    for (const f of readdirSync(path.join(MODELS, name))) {
      if (name === MISSING && f === 'card.json') continue;
      if (name === DAMAGED && f === 'card.json') writeFileSync(path.join(dir, name, f), '{"name": "hyperprior-msssim", ');
      else symlinkSync(path.join(MODELS, name, f), path.join(dir, name, f));
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model zoo', () => {
  it('ships the models this test damages', () => {
    expect(shipped).toContain(DAMAGED);
    expect(shipped).toContain(MISSING);
  });

  it('imports lcodec without reading any file of its own, whatever the models folder holds', async () => {
    // Every fs call is recorded; module loading reads sources under node_modules, nothing else.
    const code = `
      import fs from 'node:fs';
      import { syncBuiltinESMExports } from 'node:module';
      const seen = [];
      for (const f of ['readFileSync', 'readdirSync', 'existsSync', 'statSync', 'openSync', 'readFile', 'readdir', 'stat', 'access', 'accessSync']) {
        const orig = fs[f];
        fs[f] = function (p, ...rest) { seen.push(String(p)); return orig.call(this, p, ...rest); };
      }
      syncBuiltinESMExports();
      const lc = await import('lcodec');
      process.stdout.write(JSON.stringify({ exports: Object.keys(lc).length, seen }));`;
    const r = await runModule(code, { LCODEC_MODELS: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { exports, seen } = JSON.parse(r.stdout) as { exports: number; seen: string[] };
    expect(exports).toBeGreaterThan(20);
    const own = seen.filter((p) => !p.includes(`${path.sep}node_modules${path.sep}`) && !p.startsWith('/proc/'));
    expect(own).toEqual([]);
  });

  it('lists the other models and one line for each unusable one', async () => {
    const r = await runCli(['models'], { LCODEC_MODELS: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(shipped.length);
    for (const name of shipped.filter((n) => n !== DAMAGED && n !== MISSING)) {
      expect(lines.some((l) => l.startsWith(`${name}\t`) && !l.includes('unavailable'))).toBe(true);
    }
    expect(lines.filter((l) => l.startsWith(`${DAMAGED}\t`))).toEqual([expect.stringMatching(/^hyperprior-msssim\tunavailable: card\.json is unreadable: .*JSON/)]);
    expect(lines.filter((l) => l.startsWith(`${MISSING}\t`))).toEqual([`${MISSING}\tunavailable: card.json is missing`]);
  });

  it('codes with the usable models and names the reason for an unusable one', async () => {
    const code = `
      const lc = await import('lcodec');
      const codecs = lc.listCodecs().filter((c) => c.kind === 'learned').map((c) => c.name);
      const img = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(120) };
      const bytes = await lc.encode(img, { model: 'hyperprior-mse', quality: 0 });
      const decoded = await lc.decode(bytes);
      let error = '';
      try { await lc.encode(img, { model: '${DAMAGED}' }); } catch (e) { error = e.message; }
      let registry = '';
      try { await lc.getCodec('${DAMAGED}'); } catch (e) { registry = e.message; }
      process.stdout.write(JSON.stringify({ codecs, width: decoded.image.width, error, registry }));`;
    const r = await runModule(code, { LCODEC_MODELS: dir });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { codecs: string[]; width: number; error: string; registry: string };
    // A video model also registers its all-intra mode, `<name>-intra`.
    const usable = shipped.filter((n) => n !== DAMAGED && n !== MISSING).flatMap((n) => (n.startsWith('video-') ? [n, `${n}-intra`] : [n]));
    expect(out.codecs.sort()).toEqual(usable.sort());
    expect(out.width).toBe(64);
    expect(out.error).toMatch(/model hyperprior-msssim is unavailable: card\.json is unreadable/);
    expect(out.registry).toMatch(/hyperprior-msssim is unavailable: card\.json is unreadable/);
  });
});
