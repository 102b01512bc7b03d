/**
 * Many inputs in one process: `lcodec encode a b c -o dir/` and `lcodec decode dir/*.lc -o
 * out/` through the real CLI (real models, ffmpeg, files), and encodeMany / decodeMany in the
 * library. A batch writes what a single call writes; a failing input is reported on one line
 * while the others are still written (exit code 2); argument mistakes stop it before any work
 * (exit code 1); progress shows on a terminal only.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMany, encodeMany } from '../src/batch.js';
import { readAudio } from '../src/io/audio.js';
import { readImage } from '../src/io/image.js';
import { CLI, ROOT, ensureBuilt, runCli } from './helpers/cli.js';

const PHOTO = join(ROOT, 'samples', 'photo.png');
const SPEECH = join(ROOT, 'samples', 'speech.flac');
const LANDSCAPE = join(ROOT, 'samples', 'landscape.png');

describe('lcodec encode / decode with many inputs', () => {
  let dir = '';
  let bad = '';
  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'lcodec-batch-'));
    bad = join(dir, 'broken.png');
    // A PNG signature followed by garbage: the image reader refuses it.
    await writeFile(bad, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 7)]));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encodes every good input, reports the bad one on one line, ends with a summary, exits 2', async () => {
    const out = join(dir, 'enc') + '/';
    const r = await runCli(['encode', PHOTO, bad, SPEECH, LANDSCAPE, '-o', out, '--jobs', '2', '--threads', '1']);
    expect(r.code).toBe(2);
    const errLines = r.stderr.trim().split('\n');
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(/^lcodec: .*broken\.png/);
    expect((await readdir(out)).sort()).toEqual(['landscape.lc', 'photo.lc', 'speech.lc']);
    for (const name of ['photo.lc', 'speech.lc', 'landscape.lc']) expect(r.stdout).toContain(join(out, name) + ':');
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^encoded 3 of 4 files in [\d.]+ s, 1 failed: \d+ → \d+ bytes$/);

    // What a batch writes is what one call writes (same model, same bytes).
    const single = join(dir, 'single-photo.lc');
    expect((await runCli(['encode', PHOTO, '-o', single])).code).toBe(0);
    expect(Buffer.compare(await readFile(single), await readFile(join(out, 'photo.lc')))).toBe(0);
  });

  it('decodes many .lc files into a folder, each by its modality, and skips a damaged one (exit 2)', async () => {
    const enc = join(dir, 'enc');
    const damaged = join(enc, 'damaged.lc');
    const photo = await readFile(join(enc, 'photo.lc'));
    const cut = photo.subarray(0, photo.length - 40);
    await writeFile(damaged, cut);
    const out = join(dir, 'dec');
    const r = await runCli(['decode', join(enc, 'photo.lc'), damaged, join(enc, 'speech.lc'), join(enc, 'landscape.lc'), '-o', out, '--jobs', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('damaged.lc');
    expect((await readdir(out)).sort()).toEqual(['landscape.png', 'photo.png', 'speech.wav']);
    const img = await readImage(join(out, 'photo.png'));
    expect([img.width, img.height]).toEqual([768, 512]);
    const speech = await readAudio(join(out, 'speech.wav'));
    const original = await readAudio(SPEECH);
    expect(speech.sampleRate).toBe(original.sampleRate);
    expect(speech.channels[0]!.length).toBe(original.channels[0]!.length);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^decoded 3 of 4 files in [\d.]+ s, 1 failed: \d+ → \d+ bytes$/);
    await rm(damaged);
  });

  it('all good: exit 0; outputs beside the inputs without -o', async () => {
    const sub = join(dir, 'beside');
    await mkdir(sub);
    await copyFile(PHOTO, join(sub, 'a.png'));
    await copyFile(LANDSCAPE, join(sub, 'b.png'));
    const r = await runCli(['encode', join(sub, 'a.png'), join(sub, 'b.png'), '-q', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^encoded 2 of 2 files in /m);
    // The decoded PNGs go where the inputs were.
    await rm(join(sub, 'a.png'));
    await rm(join(sub, 'b.png'));
    const d = await runCli(['decode', join(sub, 'a.lc'), join(sub, 'b.lc')]);
    expect(d.code).toBe(0);
    expect(existsSync(join(sub, 'a.png')) && existsSync(join(sub, 'b.png'))).toBe(true);
    expect(d.stdout).toMatch(/^decoded 2 of 2 files in /m);
  });

  it('stops before any work on argument mistakes (exit 1, one line, nothing written)', async () => {
    const other = join(dir, 'other');
    await mkdir(other);
    await copyFile(LANDSCAPE, join(other, 'photo.png'));
    const out = join(dir, 'clash');
    const cases: [string[], RegExp][] = [
      [['encode', PHOTO, join(other, 'photo.png'), '-o', out + '/'], /would both be written to/],
      [['encode', PHOTO, LANDSCAPE, '-o', out + '/', '--jobs', '0'], /--jobs must be an integer 1\.\.64/],
      [['encode', PHOTO, LANDSCAPE, '-o', out + '/', '-m', 'hyperprior-mse', '-q', '42'], /quality for hyperprior-mse must be an integer 0\.\.9, not 42/],
      [['encode', PHOTO, LANDSCAPE, '-o', PHOTO], /-o names a folder/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(out, 'photo.lc'))).toBe(false);
    }
    // An output that exists is not replaced without --force; with it, it is.
    const again = await runCli(['encode', PHOTO, LANDSCAPE, '-o', join(dir, 'enc') + '/']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; use --force/);
    const forced = await runCli(['encode', PHOTO, LANDSCAPE, '-o', join(dir, 'enc') + '/', '--force']);
    expect(forced.code).toBe(0);
  });

  it('draws progress on a terminal, and none when piped', async () => {
    const out = join(dir, 'tty');
    // `script` gives the command a pseudo-terminal; everything it writes comes back on stdout.
    const cmd = [process.execPath, CLI, 'encode', PHOTO, LANDSCAPE, '-o', out + '/', '-q', '0'].map((a) => `'${a}'`).join(' ');
    const tty = await new Promise<string>((resolve, reject) => {
      execFile('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    expect(tty).toMatch(/\rencode \[[#.]+\] [12]\/2 files/);
    expect(tty).toMatch(/encoded 2 of 2 files/);
    const piped = await runCli(['encode', PHOTO, LANDSCAPE, '-o', join(dir, 'piped') + '/', '-q', '0']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('\r');
  });
});

describe('encodeMany / decodeMany', () => {
  it('yields one result per input with its index, errors per item, and decodes what it encoded', async () => {
    const inputs = [PHOTO, new Uint8Array([1, 2, 3, 4]), LANDSCAPE];
    const results = [];
    for await (const r of encodeMany(inputs, { quality: 0, jobs: 2, threads: 1 })) results.push(r);
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    const byIndex = results.sort((a, b) => a.index - b.index);
    expect(byIndex[0]!.ok && byIndex[2]!.ok).toBe(true);
    expect(byIndex[1]!.ok).toBe(false);
    if (!byIndex[1]!.ok) expect(byIndex[1]!.error.name).toBe('InputError');
    const streams = byIndex.flatMap((r) => (r.ok ? [r.value] : []));

    const decoded = [];
    for await (const d of decodeMany(streams, { jobs: 2, threads: 1 })) decoded.push(d);
    const sizes = decoded.sort((a, b) => a.index - b.index).map((d) => (d.ok && d.value.modality === 'image' ? [d.value.image.width, d.value.image.height] : null));
    expect(sizes).toEqual([[768, 512], [512, 384]]);
  });

  it('a bad option fails the whole call before any input is read', async () => {
    const run = async () => {
      for await (const r of encodeMany([PHOTO], { model: 'no-such-model' })) void r;
    };
    await expect(run()).rejects.toThrow(/unknown model 'no-such-model'/);
  });
});
