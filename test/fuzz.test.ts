/**
 * Damaged `.lc` files end in a decoded image or a clean one-line error (exit code 2), never
 * a crash, a hang or a runaway allocation. A fast subset of bench/fuzz.ts (which runs
 * 10,000+ cases): a few hundred cases in-process, every boundary truncation, and a handful
 * through the real CLI.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boundaryTruncations,
  CASE_LIMIT_MS,
  IMAGE_TARGET,
  isCleanError,
  makeCase,
  runCase,
  summarize,
  type CaseResult,
} from '../bench/fuzz-harness.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

let samples: { name: string; bytes: Uint8Array }[];
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  samples = await IMAGE_TARGET.samples();
  await IMAGE_TARGET.decode(samples[0]!.bytes); // model sessions load outside any case's clock
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fuzzing .lc decoding (in-process subset)', () => {
  it('300 mutated files: 0 crashes, 0 hangs, every error clean and one line, memory bounded', async () => {
    const results: CaseResult[] = [];
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    for (let id = 0; id < 300; id++) {
      results.push(await runCase(IMAGE_TARGET, makeCase(samples, 20240, id)));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const s = summarize(results);
    const failures = s.failures.map((f) => `case ${f.id} [${f.kind}] ${f.detail}: ${f.outcome}: ${f.message}`);
    expect(failures).toEqual([]);
    expect(s.crashes + s.hangs).toBe(0);
    expect(s.cleanErrors).toBeGreaterThan(200); // the mutations do reach the decoder's checks...
    expect(s.decoded).toBeGreaterThan(0); // ...and harmless ones still decode
    expect(Object.keys(s.byKind).length).toBeGreaterThanOrEqual(8);
    expect(s.slowestMs).toBeLessThan(CASE_LIMIT_MS);
    expect(peak - rss0).toBeLessThan(1024 * 2 ** 20);
  });

  it('every truncation at a field or section boundary is a clean error (CRC appended or not)', async () => {
    for (const { name, bytes } of samples) {
      for (const cut of boundaryTruncations(bytes)) {
        const identical = cut.length === bytes.length && Buffer.from(cut).equals(Buffer.from(bytes));
        try {
          await IMAGE_TARGET.decode(cut);
          expect(identical, `${name} cut to ${cut.length} bytes decoded`).toBe(true);
        } catch (err) {
          expect(isCleanError(err), `${name} cut to ${cut.length}: ${String(err)}`).toBe(true);
        }
      }
    }
  });

  it('refuses a huge declared image made of many tiny tiles before allocating it', async () => {
    const c = readContainer(samples[0]!.bytes);
    // 16384 × 16384 in 64-pixel tiles: 65536 tiles, but the format allows 65536 sections.
    const tiles = 128 * 256;
    // The first tile is intact (so a decoder without the size check would allocate 400 MB
    // for the output before failing on the second); the others are 12-byte stubs.
    const sections = Array.from({ length: 2 * tiles }, (_, i) => (i < 2 ? c.sections[i]! : c.sections[i % 2]!.subarray(0, 12)));
    const bogus = writeContainer({ ...c, shape: [64 * 128, 64 * 256, 64, 3], sections });
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    // The length guard or the entropy decoder refuses it, depending on how peaked the model's
    // tables are (a near-certain symbol costs almost no bits, so a short stream can be legal).
    await expect(IMAGE_TARGET.decode(bogus)).rejects.toThrow(/too short for the declared image size|truncated/);
    expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * 2 ** 20);
  });
});

describe('fuzzing .lc decoding through the CLI', () => {
  it('exit 2 with one line and no output for damaged files; exit 0 with an output for intact ones', async () => {
    const cases: { bytes: Uint8Array; code: number }[] = [
      { bytes: samples[0]!.bytes, code: 0 },
      { bytes: samples[1]!.bytes.subarray(0, 300), code: 2 },
    ];
    // Clean errors of different kinds from the mutation set.
    const kinds = new Set<string>();
    for (let id = 0; cases.length < 7 && id < 200; id++) {
      const c = makeCase(samples, 99, id);
      if (kinds.has(c.kind)) continue;
      const r = await runCase(IMAGE_TARGET, c);
      if (r.outcome === 'clean-error') {
        kinds.add(c.kind);
        cases.push({ bytes: c.bytes, code: 2 });
      }
    }
    const results = await Promise.all(
      cases.map(async ({ bytes }, i) => {
        const file = path.join(dir, `case-${i}.lc`);
        await writeFile(file, bytes);
        return runCli(['decode', file, '-o', path.join(dir, `case-${i}.png`)]);
      }),
    );
    const files = await readdir(dir);
    results.forEach((r, i) => {
      expect(r.code, `case ${i}: ${r.stderr}`).toBe(cases[i]!.code);
      if (cases[i]!.code === 2) {
        expect(r.stderr.trimEnd().split('\n'), `case ${i}`).toHaveLength(1);
        expect(r.stderr).toMatch(/^lcodec: /);
        expect(files).not.toContain(`case-${i}.png`);
      } else {
        expect(files).toContain(`case-${i}.png`);
      }
    });
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
