import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Audio } from '../src/media.js';
import { InputError } from '../src/errors.js';
import {
  detectAudioFormat,
  encodeWav,
  readAudio,
  readAudioChunks,
  resample,
  writeWav,
} from '../src/io/audio.js';
import { snr } from '../src/metrics/audio.js';
import { bestLag, musicLike, noise } from './helpers/signals.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lcodec-audio-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Audio whose samples are exact 16-bit codes k / 32768, including both extremes. */
function pcm16Exact(sampleRate: number, frames: number, channels: number): Audio {
  const nz = noise(77, frames * channels);
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const x = new Float32Array(frames);
    for (let i = 0; i < frames; i++) x[i] = Math.round(nz[i * channels + c]! * 32767) / 32768;
    x[0] = -1;
    x[1] = 32767 / 32768;
    out.push(x);
  }
  return { sampleRate, channels: out };
}

function expectSameAudio(a: Audio, b: Audio): void {
  expect(b.sampleRate).toBe(a.sampleRate);
  expect(b.channels).toHaveLength(a.channels.length);
  a.channels.forEach((c, i) => expect(Array.from(b.channels[i]!)).toEqual(Array.from(c)));
}

async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', ...args]);
}

describe('WAV write → read', () => {
  it('16-bit PCM round-trips exactly (mono and stereo)', async () => {
    for (const channels of [1, 2]) {
      const audio = pcm16Exact(22050, 5000, channels);
      const path = join(dir, `exact${channels}.wav`);
      await writeWav(path, audio);
      expectSameAudio(audio, await readAudio(path));
    }
  });

  it('16-bit writing rounds to the nearest code and clips at full scale', async () => {
    const audio: Audio = { sampleRate: 8000, channels: [Float32Array.from([0.4 / 32768, 0.6 / 32768, 1.5, -1.5, 1])] };
    const back = await readAudio(encodeWav(audio));
    expect(Array.from(back.channels[0]!)).toEqual([0, 1 / 32768, 32767 / 32768, -1, 32767 / 32768]);
  });

  it('32-bit float round-trips exactly', async () => {
    const x = Float32Array.from(noise(5, 3000), (v) => 1.2 * v);
    const audio: Audio = { sampleRate: 48000, channels: [x, x.map((v) => -v)] };
    const path = join(dir, 'float.wav');
    await writeWav(path, audio, { format: 'float32' });
    expectSameAudio(audio, await readAudio(path));
  });

  it('reads 24-bit PCM through wav-decoder, including the most negative code', async () => {
    const codes = [-8388608, -1, 0, 1, 8388607, 4194304];
    const data = new Uint8Array(codes.length * 3);
    codes.forEach((v, i) => {
      const u = v < 0 ? v + 0x1000000 : v;
      data[3 * i] = u & 0xff;
      data[3 * i + 1] = (u >> 8) & 0xff;
      data[3 * i + 2] = (u >> 16) & 0xff;
    });
    const header = new DataView(new ArrayBuffer(44));
    const ascii = (at: number, s: string) => [...s].forEach((ch, i) => header.setUint8(at + i, ch.charCodeAt(0)));
    ascii(0, 'RIFF');
    header.setUint32(4, 36 + data.length, true);
    ascii(8, 'WAVE');
    ascii(12, 'fmt ');
    header.setUint32(16, 16, true);
    header.setUint16(20, 1, true);
    header.setUint16(22, 1, true);
    header.setUint32(24, 16000, true);
    header.setUint32(28, 48000, true);
    header.setUint16(32, 3, true);
    header.setUint16(34, 24, true);
    ascii(36, 'data');
    header.setUint32(40, data.length, true);
    const bytes = new Uint8Array(44 + data.length);
    bytes.set(new Uint8Array(header.buffer));
    bytes.set(data, 44);
    const audio = await readAudio(bytes);
    expect(Array.from(audio.channels[0]!)).toEqual(codes.map((v) => Math.fround(v / 8388608)));
  });

  it('8-bit and extensible WAVs go through ffmpeg', async () => {
    const source = pcm16Exact(16000, 4000, 2);
    const src = join(dir, 'src16.wav');
    await writeWav(src, source);
    const u8 = join(dir, 'u8.wav');
    await ffmpeg('-i', src, '-c:a', 'pcm_u8', u8);
    const a = await readAudio(u8);
    expect(a.channels).toHaveLength(2);
    expect(a.channels[0]!.length).toBe(4000);
    expect(snr(source, a)).toBeGreaterThan(35); // 8-bit quantisation: ~48 dB for full-scale noise
    const ext = join(dir, 'ext.wav');
    await ffmpeg('-i', src, '-c:a', 'pcm_s24le', ext); // 24-bit: ffmpeg writes WAVE_FORMAT_EXTENSIBLE
    expectSameAudio(source, await readAudio(ext));
  });
});

describe('reading other formats through ffmpeg', () => {
  const audio = pcm16Exact(24000, 12000, 1);
  let wavPath: string;
  let flacPath: string;

  beforeAll(async () => {
    wavPath = join(dir, 'ref.wav');
    flacPath = join(dir, 'ref.flac');
    await writeWav(wavPath, audio);
    await ffmpeg('-i', wavPath, '-c:a', 'flac', flacPath);
  });

  it('FLAC decodes losslessly, from a path and from bytes', async () => {
    expectSameAudio(audio, await readAudio(flacPath));
    expectSameAudio(audio, await readAudio(new Uint8Array(await readFile(flacPath))));
  });

  it('detects by content, not extension: FLAC named .wav still reads', async () => {
    const misnamed = join(dir, 'actually-flac.wav');
    await writeFile(misnamed, await readFile(flacPath));
    expectSameAudio(audio, await readAudio(misnamed));
  });

  it('MP3 decodes gapless to the original length, time-aligned', async () => {
    const clip = musicLike(44100, 1, 1);
    const src = join(dir, 'clip.wav');
    const mp3 = join(dir, 'clip.mp3');
    await writeWav(src, clip, { format: 'float32' });
    await ffmpeg('-i', src, '-c:a', 'libmp3lame', '-b:a', '128k', mp3);
    const decoded = await readAudio(mp3);
    expect(decoded.sampleRate).toBe(44100);
    expect(decoded.channels[0]!.length).toBe(44100);
    expect(bestLag(clip.channels[0]!, decoded.channels[0]!, 2000)).toBe(0);
    expect(snr(clip, decoded)).toBeGreaterThan(10);
  });
});

describe('content detection', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

  it('recognises common audio containers from their first bytes', () => {
    expect(detectAudioFormat(bytes('RIFF', [0, 0, 0, 0], 'WAVE'))).toBe('wav');
    expect(detectAudioFormat(bytes('fLaC', [0, 0, 0, 34]))).toBe('flac');
    expect(detectAudioFormat(bytes('OggS', [0, 2]))).toBe('ogg');
    expect(detectAudioFormat(bytes([0, 0, 0, 32], 'ftypM4A '))).toBe('mp4');
    expect(detectAudioFormat(bytes('FORM', [0, 0, 0, 0], 'AIFF'))).toBe('aiff');
    // MPEG-1 layer III, 128 kbit/s, 44.1 kHz frame header; ADTS AAC-LC header.
    expect(detectAudioFormat(bytes([0xff, 0xfb, 0x90, 0x64]))).toBe('mp3');
    expect(detectAudioFormat(bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]))).toBe('aac');
    // ID3v2 tag (size 4) followed by ADTS.
    expect(detectAudioFormat(bytes('ID3', [4, 0, 0, 0, 0, 0, 4], [0, 0, 0, 0], [0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]))).toBe(
      'aac',
    );
  });

  it('does not take other content for audio', () => {
    expect(detectAudioFormat(bytes([0x89], 'PNG', [13, 10, 26, 10]))).toBeUndefined();
    expect(detectAudioFormat(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBeUndefined();
    expect(detectAudioFormat(bytes('RIFF', [0, 0, 0, 0], 'WEBP'))).toBeUndefined();
    expect(detectAudioFormat(bytes('hello world'))).toBeUndefined();
  });
});

describe('errors on bad input', () => {
  it('empty file, missing file, directory', async () => {
    const empty = join(dir, 'empty.wav');
    await writeFile(empty, new Uint8Array(0));
    await expect(readAudio(empty)).rejects.toThrow(InputError);
    await expect(readAudio(empty)).rejects.toThrow(/empty file/);
    await expect(readAudio(join(dir, 'missing.wav'))).rejects.toThrow(/no such file/);
    await expect(readAudio(dir)).rejects.toThrow(/not a file/);
    await expect(readAudio(new Uint8Array(0))).rejects.toThrow(/empty file/);
  });

  it('a WAV with 0 samples', async () => {
    const zero = encodeWav({ sampleRate: 16000, channels: [new Float32Array(0)] });
    await expect(readAudio(zero)).rejects.toThrow(/no samples/);
  });

  it('a WAV header without data chunk, or with a zero channel count', async () => {
    const wav = encodeWav({ sampleRate: 16000, channels: [new Float32Array(10)] });
    await expect(readAudio(wav.subarray(0, 36))).rejects.toThrow(/no data chunk/);
    const broken = wav.slice();
    new DataView(broken.buffer).setUint16(22, 0, true);
    await expect(readAudio(broken)).rejects.toThrow(/header is invalid/);
  });

  it('content that is not audio', async () => {
    const text = join(dir, 'notes.wav');
    await writeFile(text, 'this is not audio\n');
    await expect(readAudio(text)).rejects.toThrow(/not audio \(looks like a text file\)/);
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13]);
    await expect(readAudio(png, { name: 'picture.mp3' })).rejects.toThrow(/picture\.mp3: not audio \(looks like a PNG image\)/);
    // Random bytes match no signature: ffmpeg gets them and finds no audio.
    const random = Uint8Array.from(noise(9, 4096), (v) => Math.floor((v + 1) * 127.5));
    random[0] = 0x00;
    await expect(readAudio(random)).rejects.toThrow(InputError);
  });
});

describe('resample', () => {
  it('gives round(n · rate / sr) samples and keeps a tone where it was', async () => {
    const sr = 16000;
    const n = 8000;
    const tone = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr));
    const up = await resample({ sampleRate: sr, channels: [tone] }, 44100);
    expect(up.sampleRate).toBe(44100);
    expect(up.channels[0]!.length).toBe(Math.round((n * 44100) / sr));
    const expected = Float32Array.from({ length: up.channels[0]!.length }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44100));
    // Ignore the edges, where the resampler's filter sees the signal start and stop.
    const mid = (x: Float32Array) => x.subarray(2000, x.length - 2000);
    expect(snr({ sampleRate: 44100, channels: [mid(expected)] }, { sampleRate: 44100, channels: [mid(up.channels[0]!)] })).toBeGreaterThan(
      50,
    );
  });

  it('16 → 48 → 16 kHz is near transparent for band-limited content', async () => {
    const clip = musicLike(16000, 0.5, 2);
    const back = await resample(await resample(clip, 48000), 16000);
    expect(back.channels[0]!.length).toBe(8000);
    expect(snr(clip, back)).toBeGreaterThan(30);
  });

  it('returns a copy at the same rate', async () => {
    const clip = musicLike(8000, 0.1);
    const same = await resample(clip, 8000);
    expectSameAudio(clip, same);
    expect(same.channels[0]).not.toBe(clip.channels[0]);
  });
});

describe('readAudioChunks', () => {
  it('streams chunks that concatenate to the whole file, resampled on request', async () => {
    const clip = pcm16Exact(16000, 16000 * 3 + 123, 2);
    const path = join(dir, 'chunks.flac');
    const wav = join(dir, 'chunks.wav');
    await writeWav(wav, clip);
    await ffmpeg('-i', wav, path);
    const lengths: number[] = [];
    const joined: number[][] = [[], []];
    for await (const chunk of readAudioChunks(path, { chunkSeconds: 1 })) {
      lengths.push(chunk.channels[0]!.length);
      chunk.channels.forEach((c, i) => joined[i]!.push(...c));
    }
    expect(lengths).toEqual([16000, 16000, 16000, 123]);
    expect(joined[0]).toEqual(Array.from(clip.channels[0]!));
    expect(joined[1]).toEqual(Array.from(clip.channels[1]!));

    let total = 0;
    for await (const chunk of readAudioChunks(path, { sampleRate: 8000, channels: 1, chunkSeconds: 0.5 })) {
      expect(chunk.sampleRate).toBe(8000);
      expect(chunk.channels).toHaveLength(1);
      total += chunk.channels[0]!.length;
    }
    expect(Math.abs(total - Math.round((clip.channels[0]!.length * 8000) / 16000))).toBeLessThanOrEqual(1);
  });

  it('leaving early stops the decoder instead of reading a long file to the end', async () => {
    // Two minutes of 48 kHz stereo (46 MB as float PCM) as a small FLAC.
    const long = join(dir, 'long.flac');
    await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=120', '-ac', '2', '-c:a', 'flac', long);
    const ffmpegChildren = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { stdout } = await run('ps', ['-o', 'comm=', '--ppid', String(process.pid)]);
      return stdout.split('\n').filter((name) => name.trim() === 'ffmpeg').length;
    };
    let chunks = 0;
    for await (const chunk of readAudioChunks(long, { chunkSeconds: 2 })) {
      expect(chunk.channels[0]!.length).toBe(96000);
      // While we hold a chunk, back-pressure keeps ffmpeg waiting, not racing to the end.
      if (chunks === 0) expect(await ffmpegChildren()).toBe(1);
      if (++chunks === 2) break;
    }
    // Leaving the loop stopped it.
    expect(await ffmpegChildren()).toBe(0);
  });

  it('reports unreadable files as InputError', async () => {
    const iterate = async (path: string) => {
      for await (const _ of readAudioChunks(path)) void _;
    };
    const text = join(dir, 'text.flac');
    await writeFile(text, 'not audio at all, but long enough to probe\n'.repeat(20));
    await expect(iterate(text)).rejects.toThrow(/not audio \(looks like a text file\)/);
    const random = join(dir, 'random.flac');
    await writeFile(random, Uint8Array.from(noise(10, 8192), (v) => Math.floor((v + 1) * 127.5)).fill(0, 0, 1));
    await expect(iterate(random)).rejects.toThrow(InputError);
    await expect(iterate(join(dir, 'missing.flac'))).rejects.toThrow(/no such file/);
  });
});
