/**
 * `lcodec encode` / `decode` / `info` on audio: x.wav → x.lc → .wav with the input's rate,
 * channels and length; the .lc file's size is the rate the CLI reports; exit codes.
 */
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../src/api.js';
import { readAudio, writeWav } from '../src/io/audio.js';
import { runFfmpeg } from '../src/io/ffmpeg.js';
import { melDistance } from '../src/metrics/audio.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { musicLike } from './helpers/signals.js';

describe('lcodec encode/decode on audio', () => {
  let dir = '';
  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'lcodec-audio-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a 44.1 kHz stereo WAV and an 8 kHz mono FLAC to WAVs of the same rate, channels and length', async () => {
    const cases = [
      { name: 'stereo.wav', audio: musicLike(44100, 2.2, 2) },
      { name: 'mono8k.flac', audio: musicLike(8000, 1.7, 1) },
    ];
    for (const { name, audio } of cases) {
      const input = join(dir, name);
      const wav = join(dir, `${name}.src.wav`);
      await writeWav(wav, audio);
      if (name.endsWith('.flac')) await runFfmpeg({ input: wav, outputOptions: ['-c:a', 'flac'], output: input });
      else await rename(wav, input);
      const enc = await runCli(['encode', input, '-q', '2', '--threads', '1']);
      expect(enc.stderr).toBe('');
      expect(enc.code).toBe(0);
      const lcPath = input.replace(/\.(wav|flac)$/, '.lc');
      const size = (await stat(lcPath)).size;
      const seconds = audio.channels[0]!.length / audio.sampleRate;
      // The printed rate is the file's size over the duration.
      expect(enc.stdout).toContain(`${size} bytes`);
      expect(enc.stdout).toContain(`${((size * 8) / seconds / 1000).toFixed(2)} kbps`);
      expect(enc.stdout).toContain('audio-mdct q2');

      const info = await runCli(['info', lcPath, '--json']);
      expect(info.code).toBe(0);
      expect(JSON.parse(info.stdout)).toMatchObject({ modality: 'audio', bytes: size, sampleRate: audio.sampleRate, channels: audio.channels.length });

      const output = join(dir, `${name}.decoded.wav`);
      const dec = await runCli(['decode', lcPath, '-o', output]);
      expect(dec.code).toBe(0);
      const back = await readAudio(output);
      expect(back.sampleRate).toBe(audio.sampleRate);
      expect(back.channels).toHaveLength(audio.channels.length);
      expect(back.channels[0]!.length).toBe(audio.channels[0]!.length);
      expect(Number.isFinite(melDistance(audio, back))).toBe(true);
    }
  });

  it('writes the same bytes as the library and decodes to .wav by default', async () => {
    const audio = musicLike(24000, 1.5, 1);
    const input = join(dir, 'lib.wav');
    await writeWav(input, audio);
    expect((await runCli(['encode', input, '-o', join(dir, 'lib.lc'), '-q', '0'])).code).toBe(0);
    const fromCli = new Uint8Array(await readFile(join(dir, 'lib.lc')));
    expect(Buffer.compare(Buffer.from(fromCli), Buffer.from(await encode(input, { quality: 0 })))).toBe(0);
    await rm(input);
    const dec = await runCli(['decode', join(dir, 'lib.lc')]);
    expect(dec.code).toBe(0);
    expect(dec.stdout).toContain('lib.wav');
    expect((await readAudio(join(dir, 'lib.wav'))).channels[0]!.length).toBe(audio.channels[0]!.length);
  });

  it('exits with 2 on a damaged .lc file and on non-audio input, with one line on stderr', async () => {
    const audio = musicLike(24000, 0.5, 1);
    const input = join(dir, 'short.wav');
    await writeWav(input, audio);
    expect((await runCli(['encode', input])).code).toBe(0);
    const lc = new Uint8Array(await readFile(join(dir, 'short.lc')));
    lc[lc.length - 10]! ^= 0xff;
    await writeFile(join(dir, 'bad.lc'), lc);
    const bad = await runCli(['decode', join(dir, 'bad.lc'), '-o', join(dir, 'bad.wav')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const text = join(dir, 'notes.wav');
    await writeFile(text, 'just some text, not audio at all\n');
    const notAudio = await runCli(['encode', text, '-m', 'audio-hyperprior']);
    expect(notAudio.code).toBe(2);
    expect(notAudio.stderr.trim().split('\n')).toHaveLength(1);
    const wrongQuality = await runCli(['encode', input, '-q', '10', '-o', join(dir, 'q10.lc')]);
    expect(wrongQuality.code).not.toBe(0);
    expect(wrongQuality.stderr).toMatch(/quality for audio-mdct must be an integer 0\.\.9, not 10/);
  });
});
