/**
 * One ffmpeg setting: LCODEC_FFMPEG names the binary that capability probes check and that
 * every run uses (fluent-ffmpeg's runs included), and ffprobe beside it; fluent-ffmpeg's own
 * FFMPEG_PATH does not send runs elsewhere.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from './helpers/cli.js';

let dir: string;
const which = (tool: string): Promise<string> =>
  new Promise((resolve, reject) => execFile('sh', ['-c', `command -v ${tool}`], (err, out) => (err ? reject(err) : resolve(out.trim()))));

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'lcodec-ffpath-'));
  // Wrappers that log each call, then run the real tools.
  for (const tool of ['ffmpeg', 'ffprobe']) {
    const real = await which(tool);
    const file = path.join(dir, tool);
    writeFileSync(file, `#!/bin/sh\necho "${tool} $*" >> "${dir}/calls.log"\nexec "${real}" "$@"\n`);
    chmodSync(file, 0o755);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ffmpeg path', () => {
  it('probes, runs and probes files with the ffmpeg and ffprobe LCODEC_FFMPEG names', async () => {
    const code = `
      import { writeFile } from 'node:fs/promises';
      const lc = await import('lcodec');
      const opus = await lc.getCodec('opus', 'audio');
      const tone = Float32Array.from({ length: 24000 }, (_, i) => 0.3 * Math.sin(i / 10));
      const bytes = await opus.encode({ sampleRate: 24000, channels: [tone] }, 24);
      const back = await opus.decode(bytes);
      await writeFile(${JSON.stringify(path.join(dir, 'x.opus'))}, bytes);
      const read = await lc.readAudio(${JSON.stringify(path.join(dir, 'x.opus'))});
      process.stdout.write(JSON.stringify({ rate: back.sampleRate, read: read.channels[0].length > 0 }));`;
    const env = { ...process.env, LCODEC_FFMPEG: path.join(dir, 'ffmpeg'), FFMPEG_PATH: path.join(dir, 'no-such-ffmpeg'), FFPROBE_PATH: path.join(dir, 'no-such-ffprobe') };
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env }, (_err, stdout, stderr) => resolve({ stdout, stderr })));
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ rate: 24000, read: true });
    const calls = readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n');
    expect(calls.some((c) => c.startsWith('ffmpeg -version'))).toBe(true); // the capability probe
    expect(calls.some((c) => c.startsWith('ffmpeg ') && c.includes('libopus'))).toBe(true); // a fluent-ffmpeg run
    expect(calls.some((c) => c.startsWith('ffprobe '))).toBe(true); // reading the file probes it
  });
});
