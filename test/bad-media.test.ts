/**
 * Bad and unusual media through the real CLI (`node dist/src/cli/main.js`): every case
 * either works (exit 0) or fails with exit code 2 (bad input) or 1 (usage), with ONE clear
 * line on stderr, and leaves no output file and no temporary file behind, and the input as
 * it was.
 *
 * Images, audio and video. Test media are generated here (sharp, WAV bytes written by hand,
 * ffmpeg for FLAC, MP4, MKV and Y4M), nothing is committed. Video goes through `lcodec encode`
 * (the default learned video codec, video-mc) and `lcodec decode`, and through `lcodec eval --codecs
 * x264`, which reads video the same way (src/io/video.ts) without a learned model.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../codecs/models.js';
import { encode, inspect } from '../src/api.js';
import { formatError } from '../src/cli/errors.js';
import { crc32 } from '../src/container/crc32.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { encodeWav, inspectWav } from '../src/io/wav.js';
import { yuvFrameBytes } from '../src/io/yuv.js';
import { ensureBuilt, ROOT, runCli, runCliMeasured } from './helpers/cli.js';

let dir: string;
const media = (name: string): string => path.join(dir, 'media', name);

/** A PNG chunk: length, type, data, CRC. */
function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** A PNG that declares width × height 8-bit RGB but holds only a few rows: a header bomb. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(3 * width + 1))), pngChunk('IEND', new Uint8Array(0))]);
}

/**
 * A RIFF/WAVE file of a tone (a different pitch per channel): 8-bit unsigned, 16/24-bit
 * signed or 32-bit float samples. `declaredBytes` overrides the data chunk's size field.
 */
function wav(o: { rate: number; channels: number; bits: 8 | 16 | 24 | 32; frames: number; declaredBytes?: number }): Buffer {
  const float = o.bits === 32;
  const bytes = o.bits / 8;
  const fmt = Buffer.alloc(float ? 18 : 16);
  fmt.writeUInt16LE(float ? 3 : 1, 0);
  fmt.writeUInt16LE(o.channels, 2);
  fmt.writeUInt32LE(o.rate, 4);
  fmt.writeUInt32LE(o.rate * o.channels * bytes, 8);
  fmt.writeUInt16LE(o.channels * bytes, 12);
  fmt.writeUInt16LE(o.bits, 14);
  const data = Buffer.alloc(o.frames * o.channels * bytes);
  for (let i = 0, at = 0; i < o.frames; i++) {
    for (let c = 0; c < o.channels; c++, at += bytes) {
      const x = 0.5 * Math.sin((2 * Math.PI * 220 * (c + 1) * i) / o.rate);
      if (o.bits === 8) data[at] = 128 + Math.round(127 * x);
      else if (o.bits === 16) data.writeInt16LE(Math.round(32767 * x), at);
      else if (o.bits === 24) data.writeIntLE(Math.round(8388607 * x), at, 3);
      else data.writeFloatLE(x, at);
    }
  }
  const chunk = (id: string, body: Buffer, size = body.length): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(size, 4);
    return Buffer.concat([head, body]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('data', data, o.declaredBytes ?? data.length)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** Runs ffmpeg (quiet); rejects with its stderr. */
function ffmpeg(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], (err, _out, stderr) => (err ? reject(new Error(`ffmpeg ${args.join(' ')}: ${stderr}`)) : resolve()));
  });
}

/** A test clip from ffmpeg's testsrc2, `frames` frames at 10 fps, written to `media(name)`. */
function clip(name: string, size: string, frames: number, ...format: string[]): Promise<void> {
  return ffmpeg('-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=10`, '-frames:v', String(frames), ...format, media(name));
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-bad-'));
  await mkdir(path.join(dir, 'media'));
  const { data, info } = await sharp(path.join(ROOT, 'samples', 'landscape.png'))
    .extract({ left: 200, top: 60, width: 64, height: 48 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
  const png = await sharp(data, raw).png().toBuffer();
  const jpg = await sharp(data, raw).jpeg({ quality: 90 }).toBuffer();
  const rgba = Buffer.alloc(64 * 48 * 4);
  for (let i = 0; i < 64 * 48; i++) {
    data.copy(rgba, 4 * i, 3 * i, 3 * i + 3);
    rgba[4 * i + 3] = (i % 64) * 4; // a horizontal fade
  }
  const lc = await encode(png, { quality: 2 });
  const c = readContainer(lc);
  const future = lc.slice();
  future[2] = 2;
  const crc = crc32(future, 0, future.length - 4);
  future.set([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255], future.length - 4);
  const frame = (colour: string) => sharp({ create: { width: 16, height: 12, channels: 3, background: colour } }).png().toBuffer();
  const files: Record<string, Uint8Array | string> = {
    'photo.png': png,
    'empty.png': new Uint8Array(0),
    'truncated.png': png.subarray(0, Math.floor(png.length * 0.6)),
    'truncated.jpg': jpg.subarray(0, Math.floor(jpg.length * 0.5)),
    'one.png': await sharp({ create: { width: 1, height: 1, channels: 3, background: '#3080c0' } }).png().toBuffer(),
    'tall.png': await sharp(data, raw).resize(1, 10000, { fit: 'fill' }).png().toBuffer(),
    'wide.png': await sharp(data, raw).resize(10000, 1, { fit: 'fill' }).png().toBuffer(),
    'deep16.png': await sharp(Uint16Array.from(data, (v) => v * 257), raw).toColourspace('rgb16').png().toBuffer(),
    'cmyk.jpg': await sharp(data, raw).toColourspace('cmyk').jpeg().toBuffer(),
    'gray.png': await sharp(data, raw).toColourspace('b-w').png().toBuffer(),
    'gray-alpha.png': await sharp(Buffer.from(rgba.filter((_, i) => i % 4 === 1 || i % 4 === 3)), { raw: { width: 64, height: 48, channels: 2 } })
      .toColourspace('b-w')
      .png()
      .toBuffer(),
    'rgba.png': await sharp(rgba, { raw: { width: 64, height: 48, channels: 4 } }).png().toBuffer(),
    'palette.png': await sharp(data, raw).png({ palette: true, colours: 16 }).toBuffer(),
    'animated.gif': await sharp(await Promise.all(['red', 'green', 'blue'].map(frame)), { join: { animated: true } }).gif().toBuffer(),
    'huge.png': pngHeaderOnly(20000, 20000),
    'notes.txt': 'these are notes, not an image\n',
    'really-a-png.jpg': png,
    'sound.wav': encodeWav({ sampleRate: 16000, channels: [new Float32Array(1600)] }),
    'photo.lc': lc,
    'other-model.lc': writeContainer({ ...c, model: 'hyperprior-ms-ssim' }),
    'other-weights.lc': writeContainer({ ...c, modelHash: Uint8Array.of(1, 2, 3, 4) }),
    'wrong-magic.lc': Uint8Array.of(0x4c, 0x44, ...lc.subarray(2)),
    'zero.lc': new Uint8Array(0),
    'truncated.lc': lc.subarray(0, lc.length >> 1),
    'future.lc': future,
  };
  for (const [name, bytes] of Object.entries(files)) await writeFile(media(name), bytes);

  // --- audio ---
  const tone = wav({ rate: 24000, channels: 1, bits: 16, frames: 12000 });
  const lying = wav({ rate: 24000, channels: 1, bits: 16, frames: 12000 });
  lying.writeUInt32LE(0xfffffff0, 40); // a data chunk of ~4 GiB: 24 hours declared, 0.5 s present
  const noChannels = Buffer.from(tone);
  noChannels.writeUInt16LE(0, 22);
  const audioLc = await encode(tone, { quality: 0 });
  const audio: Record<string, Uint8Array | string> = {
    'tone.wav': tone,
    'no-samples.wav': wav({ rate: 24000, channels: 1, bits: 16, frames: 0 }),
    'empty.wav': new Uint8Array(0),
    'truncated.wav': tone.subarray(0, 44 + 2 * 4000), // declares 12000 samples, holds 4000
    'lying-size.wav': lying,
    'zero-channels.wav': noChannels,
    'one-sample.wav': wav({ rate: 24000, channels: 1, bits: 16, frames: 1 }),
    '8ch.wav': wav({ rate: 24000, channels: 8, bits: 16, frames: 7200 }),
    '8k.wav': wav({ rate: 8000, channels: 1, bits: 16, frames: 4000 }),
    '192k.wav': wav({ rate: 192000, channels: 2, bits: 24, frames: 38400 }),
    'u8.wav': wav({ rate: 22050, channels: 1, bits: 8, frames: 8820 }),
    's24.wav': wav({ rate: 48000, channels: 2, bits: 24, frames: 14400 }),
    'f32.wav': wav({ rate: 44100, channels: 1, bits: 32, frames: 13230 }),
    'wav-named.mp3': tone,
    'notes.flac': 'a shopping list, not a FLAC file\n',
    'broken.flac': Buffer.concat([Buffer.from('fLaC'), Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 97 + 13) & 255))]),
    'speech.lc': audioLc,
    'other-model-audio.lc': writeContainer({ ...readContainer(audioLc), model: 'audio-hyperprior-v9' }),
    'truncated-audio.lc': audioLc.subarray(0, audioLc.length - 9),
  };
  for (const [name, bytes] of Object.entries(audio)) await writeFile(media(name), bytes);
  await ffmpeg('-i', media('tone.wav'), '-c:a', 'flac', '-f', 'flac', media('flac-named.wav'));

  // --- video ---
  // testsrc2 rounds its size down to even numbers: scale to the odd size instead.
  await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10,scale=321:241', '-frames:v', '2', '-pix_fmt', 'yuv420p', media('odd.y4m'));
  await clip('one-frame.y4m', '64x48', 1, '-pix_fmt', 'yuv420p');
  await clip('three.y4m', '64x48', 3, '-pix_fmt', 'yuv420p');
  await clip('deep10.y4m', '64x48', 2, '-pix_fmt', 'yuv420p10le', '-strict', '-1');
  await clip('clip.mp4', '64x48', 3, '-c:v', 'libx264', '-pix_fmt', 'yuv420p');
  await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=24000:duration=0.5', '-c:a', 'aac', media('audio-only.mp4'));
  await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=24000:duration=0.5', '-c:a', 'flac', '-f', 'matroska', media('audio-only.mkv'));
  const three = await readFile(media('three.y4m'));
  const mp4 = await readFile(media('clip.mp4'));
  // A video .lc of the learned video codec (the default, video-mc), 3 frames with a P-frame.
  await writeFile(media('three.lc'), await encode(media('three.y4m'), { quality: 2, intraPeriod: 2 }));
  const video: Record<string, Uint8Array | string> = {
    'truncated.y4m': three.subarray(0, three.length - 2000), // the last frame cut short
    'cut-header.y4m': three.subarray(0, 20),
    'no-frames.y4m': 'YUV4MPEG2 W64 H48 F10:1 Ip A1:1 C420jpeg\n',
    'huge-frames.y4m': 'YUV4MPEG2 W100000 H100000 F10:1 Ip C420jpeg\nFRAME\n',
    // 16000 × 16000 (a 384 MB frame) holding 14 kB of its first frame.
    'big-partial.y4m': Buffer.concat([Buffer.from('YUV4MPEG2 W16000 H16000 F10:1 Ip C420jpeg\nFRAME\n'), three]),
    // Three FRAME lines and not one byte of picture.
    'zero-byte-frames.y4m': 'YUV4MPEG2 W64 H48 F10:1 Ip A1:1 C420jpeg\nFRAME\nFRAME\nFRAME\n',
    'notes.mkv': 'a film script, not a Matroska file\n',
    'empty.mp4': new Uint8Array(0),
    'truncated.mp4': mp4.subarray(0, mp4.length >> 1),
    'mp4-named.avi': mp4,
  };
  for (const [name, bytes] of Object.entries(video)) await writeFile(media(name), bytes);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Case {
  /** The command line, given the case's own directory (inputs are copied into it). */
  args: (d: string) => string[];
  inputs: string[];
  code: 0 | 1 | 2;
  /** What the one stderr line says (errors), or the warning (successes). */
  stderr?: RegExp;
  /** The file a successful command writes (relative to the case directory). */
  output?: string;
  /** Files that exist before the run (name → content), checked untouched afterwards. */
  existing?: Record<string, string>;
  check?: (d: string) => Promise<void>;
}

const enc = (input: string, ...rest: string[]) => (d: string) => ['encode', path.join(d, input), ...rest];
const dec = (input: string, ...rest: string[]) => (d: string) => ['decode', path.join(d, input), ...rest];

async function pngInfo(file: string): Promise<{ width: number; height: number; channels: number; space: string }> {
  const m = await sharp(file).metadata();
  return { width: m.width!, height: m.height!, channels: m.channels!, space: m.space! };
}

/** Encodes `input` (in d), decodes the result, and returns the decoded PNG's metadata. */
async function roundTrip(d: string, input: string): Promise<{ width: number; height: number; channels: number; space: string }> {
  const lc = path.join(d, `${input}.lc`);
  const r = await runCli(['decode', lc, '-o', path.join(d, 'back.png')]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return pngInfo(path.join(d, 'back.png'));
}

/** Decodes `lc` (in d) to back.wav and returns what its header says. */
async function wavRoundTrip(d: string, lc: string): Promise<{ sampleRate: number; channels: number; frames: number }> {
  const r = await runCli(['decode', path.join(d, lc), '-o', path.join(d, 'back.wav')]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const { sampleRate, channels, frames } = inspectWav(new Uint8Array(await readFile(path.join(d, 'back.wav'))));
  return { sampleRate, channels, frames };
}

/** `lcodec eval <video> --codecs x264` at one quality, results to r.json, no result cache. */
const evalVideo = (input: string) => (d: string) => ['eval', path.join(d, input), '--codecs', 'x264', '--qualities', '30', '--no-cache', '--out', path.join(d, 'r.json')];

async function evalPoints(d: string): Promise<{ modality: string; items: number; points: number; bpp: number }> {
  const r = JSON.parse(await readFile(path.join(d, 'r.json'), 'utf8')) as { modality: string; items: number; codecs: Record<string, { bpp: number }[]> };
  return { modality: r.modality, items: r.items, points: r.codecs.x264!.length, bpp: r.codecs.x264![0]!.bpp };
}

/** Size and frame count of a Y4M file lcodec wrote (4:2:0), checked against its length. */
async function y4mInfo(file: string): Promise<{ width: number; height: number; frames: number }> {
  const bytes = await readFile(file);
  const header = bytes.subarray(0, bytes.indexOf(0x0a) + 1).toString('latin1');
  const width = Number(/ W(\d+)/.exec(header)![1]);
  const height = Number(/ H(\d+)/.exec(header)![1]);
  const frameBytes = 'FRAME\n'.length + yuvFrameBytes(width, height, '420');
  const frames = (bytes.length - header.length) / frameBytes;
  expect(Number.isInteger(frames), `${file}: ${bytes.length} bytes is not a whole number of frames`).toBe(true);
  return { width, height, frames };
}

/** Decodes the video .lc in d (which the case's `lcodec encode` wrote) to back.y4m: its size and frame count. */
async function videoRoundTrip(d: string, lc: string): Promise<{ width: number; height: number; frames: number }> {
  const r = await runCli(['decode', path.join(d, lc), '-o', path.join(d, 'back.y4m')]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return y4mInfo(path.join(d, 'back.y4m'));
}

/** What the header of a video .lc in d says. */
async function lcVideo(d: string, lc: string): Promise<{ model: string; width?: number; height?: number; frames?: number; intraPeriod?: number }> {
  const { model, width, height, frames, intraPeriod } = inspect(new Uint8Array(await readFile(path.join(d, lc))));
  return { model, width, height, frames, intraPeriod };
}

/** ffprobe's view of a video file's first stream: codec, size and frame count. */
function probe(file: string): Promise<{ codec: string; width: number; height: number; frames: number }> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], (err, out) => {
      if (err) return reject(err);
      const s = (JSON.parse(out) as { streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[] }).streams[0]!;
      resolve({ codec: s.codec_name, width: s.width, height: s.height, frames: Number(s.nb_read_frames) });
    });
  });
}

const AUDIO_CASES: Record<string, Case> = {
  // --- audio inputs that must work (decoded back to the input's rate, channels and length) ---
  '8-channel WAV': {
    inputs: ['8ch.wav'],
    args: enc('8ch.wav'),
    code: 0,
    output: '8ch.lc',
    check: async (d) => expect(await wavRoundTrip(d, '8ch.lc')).toEqual({ sampleRate: 24000, channels: 8, frames: 7200 }),
  },
  '8 kHz WAV': {
    inputs: ['8k.wav'],
    args: enc('8k.wav'),
    code: 0,
    output: '8k.lc',
    check: async (d) => expect(await wavRoundTrip(d, '8k.lc')).toEqual({ sampleRate: 8000, channels: 1, frames: 4000 }),
  },
  '192 kHz 24-bit stereo WAV': {
    inputs: ['192k.wav'],
    args: enc('192k.wav'),
    code: 0,
    output: '192k.lc',
    check: async (d) => expect(await wavRoundTrip(d, '192k.lc')).toEqual({ sampleRate: 192000, channels: 2, frames: 38400 }),
  },
  '8-bit WAV': {
    inputs: ['u8.wav'],
    args: enc('u8.wav'),
    code: 0,
    output: 'u8.lc',
    check: async (d) => expect(await wavRoundTrip(d, 'u8.lc')).toEqual({ sampleRate: 22050, channels: 1, frames: 8820 }),
  },
  '24-bit WAV': { inputs: ['s24.wav'], args: enc('s24.wav'), code: 0, output: 's24.lc' },
  'float WAV': {
    inputs: ['f32.wav'],
    args: enc('f32.wav'),
    code: 0,
    output: 'f32.lc',
    check: async (d) => expect(await wavRoundTrip(d, 'f32.lc')).toEqual({ sampleRate: 44100, channels: 1, frames: 13230 }),
  },
  'WAV of one sample': {
    inputs: ['one-sample.wav'],
    args: enc('one-sample.wav'),
    code: 0,
    output: 'one-sample.lc',
    check: async (d) => expect(await wavRoundTrip(d, 'one-sample.lc')).toEqual({ sampleRate: 24000, channels: 1, frames: 1 }),
  },
  'truncated WAV: the samples present are coded': {
    inputs: ['truncated.wav'],
    args: enc('truncated.wav'),
    code: 0,
    output: 'truncated.lc',
    check: async (d) => expect(await wavRoundTrip(d, 'truncated.lc')).toEqual({ sampleRate: 24000, channels: 1, frames: 4000 }),
  },
  'WAV whose data chunk declares 24 hours: the samples present are coded': {
    inputs: ['lying-size.wav'],
    args: enc('lying-size.wav'),
    code: 0,
    output: 'lying-size.lc',
    check: async (d) => expect(await wavRoundTrip(d, 'lying-size.lc')).toEqual({ sampleRate: 24000, channels: 1, frames: 12000 }),
  },
  'WAV named .mp3 works by content': { inputs: ['wav-named.mp3'], args: enc('wav-named.mp3'), code: 0, output: 'wav-named.lc' },
  'FLAC named .wav works by content': {
    inputs: ['flac-named.wav'],
    args: enc('flac-named.wav'),
    code: 0,
    output: 'flac-named.lc',
    check: async (d) => expect(await wavRoundTrip(d, 'flac-named.lc')).toEqual({ sampleRate: 24000, channels: 1, frames: 12000 }),
  },
  'audio .lc decodes to a WAV': { inputs: ['speech.lc'], args: dec('speech.lc'), code: 0, output: 'speech.wav' },

  // --- audio inputs that must be refused ---
  'WAV with 0 samples': { inputs: ['no-samples.wav'], args: enc('no-samples.wav'), code: 2, stderr: /no-samples\.wav: .*has no samples/ },
  'empty .wav': { inputs: ['empty.wav'], args: enc('empty.wav'), code: 2, stderr: /empty\.wav: empty file$/ },
  'WAV with 0 channels': { inputs: ['zero-channels.wav'], args: enc('zero-channels.wav'), code: 2, stderr: /zero-channels\.wav: / },
  'text file named .flac': {
    inputs: ['notes.flac'],
    args: enc('notes.flac'),
    code: 2,
    stderr: /notes\.flac: not an image, audio or video file lcodec reads \(looks like a text file\)/,
  },
  'FLAC signature followed by garbage': { inputs: ['broken.flac'], args: enc('broken.flac'), code: 2, stderr: /broken\.flac: not a readable audio file/ },
  'audio quality out of range': { inputs: ['tone.wav'], args: enc('tone.wav', '-q', '10'), code: 1, stderr: /quality for audio-mdct must be an integer 0\.\.9, not 10/ },
  'audio .lc from a model not installed': {
    inputs: ['other-model-audio.lc'],
    args: dec('other-model-audio.lc'),
    code: 2,
    stderr: /model 'audio-hyperprior-v9', which is not installed/,
  },
  'truncated audio .lc': { inputs: ['truncated-audio.lc'], args: dec('truncated-audio.lc'), code: 2, stderr: /damaged or truncated/ },
  'audio decode: output exists without --force': {
    inputs: ['speech.lc'],
    existing: { 'speech.wav': 'keep me' },
    args: dec('speech.lc'),
    code: 1,
    stderr: /speech\.wav already exists; use --force/,
  },
};

const VIDEO_CASES: Record<string, Case> = {
  // --- video inputs that must work ---
  'video with odd dimensions (321x241): x264 (4:2:0) refuses it, exit 2': {
    // Until the clip really was odd (testsrc2 rounds its size down to even) this case passed
    // on 320x240; an odd size then made eval exit with code 1.
    inputs: ['odd.y4m'],
    args: evalVideo('odd.y4m'),
    code: 2,
    stderr: /x264 at quality 30 on .*odd\.y4m: x264: 4:2:0 video needs an even width and height, got 321×241$/,
  },
  'one-frame video': {
    inputs: ['one-frame.y4m'],
    args: evalVideo('one-frame.y4m'),
    code: 0,
    stderr: /^1 measurements/,
    output: 'r.json',
    check: async (d) => expect(await evalPoints(d)).toMatchObject({ modality: 'video', items: 1, points: 1 }),
  },
  'Y4M cut inside its last frame: the complete frames are used': {
    inputs: ['truncated.y4m'],
    args: evalVideo('truncated.y4m'),
    code: 0,
    stderr: /^1 measurements/,
    output: 'r.json',
  },
  '10-bit Y4M: read as 8 bits': { inputs: ['deep10.y4m'], args: evalVideo('deep10.y4m'), code: 0, stderr: /^1 measurements/, output: 'r.json' },
  'MP4 named .avi works by content': { inputs: ['mp4-named.avi'], args: evalVideo('mp4-named.avi'), code: 0, stderr: /^1 measurements/, output: 'r.json' },

  // --- video inputs that must be refused ---
  'Y4M cut inside its header': { inputs: ['cut-header.y4m'], args: evalVideo('cut-header.y4m'), code: 2, stderr: /cut-header\.y4m: not a readable video file/ },
  'Y4M with no frames': { inputs: ['no-frames.y4m'], args: evalVideo('no-frames.y4m'), code: 2, stderr: /no-frames\.y4m: video has no frames/ },
  'Y4M declaring 100000x100000 frames': {
    inputs: ['huge-frames.y4m'],
    args: evalVideo('huge-frames.y4m'),
    code: 2,
    stderr: /huge-frames\.y4m: not a readable video file \(.*100000x100000/,
  },
  'Y4M declaring 16000x16000 with a partial first frame': {
    inputs: ['big-partial.y4m'],
    args: evalVideo('big-partial.y4m'),
    code: 2,
    stderr: /big-partial\.y4m: video has no frames/,
  },
  'empty .mp4': { inputs: ['empty.mp4'], args: evalVideo('empty.mp4'), code: 2, stderr: /empty\.mp4: not an image, audio or video file/ },
  'empty .mp4 given to encode': { inputs: ['empty.mp4'], args: enc('empty.mp4'), code: 2, stderr: /empty\.mp4: empty file$/ },
  'truncated MP4': { inputs: ['truncated.mp4'], args: evalVideo('truncated.mp4'), code: 2, stderr: /truncated\.mp4: not a readable video file/ },
  'audio-only MP4 given to a video codec': {
    inputs: ['audio-only.mp4'],
    args: evalVideo('audio-only.mp4'),
    code: 2,
    stderr: /audio-only\.mp4: not a readable video file \(no video stream\)/,
  },
};

/**
 * Video through `lcodec encode` (the learned video codec) and `lcodec decode`: the inputs
 * above again, and what only a codec that writes files has (options, outputs, .lc files).
 */
const VIDEO_CODEC_CASES: Record<string, Case> = {
  // --- video inputs that must work ---
  'encode: video with odd dimensions (321x241), decoded back to 321x241': {
    inputs: ['odd.y4m'],
    args: enc('odd.y4m', '-q', '0'),
    code: 0,
    output: 'odd.lc',
    async check(d) {
      expect(await lcVideo(d, 'odd.lc')).toMatchObject({ model: 'video-mc', width: 321, height: 241, frames: 2 });
      expect(await videoRoundTrip(d, 'odd.lc')).toEqual({ width: 321, height: 241, frames: 2 });
    },
  },
  'encode: one-frame video': {
    inputs: ['one-frame.y4m'],
    args: enc('one-frame.y4m'),
    code: 0,
    output: 'one-frame.lc',
    check: async (d) => expect(await videoRoundTrip(d, 'one-frame.lc')).toEqual({ width: 64, height: 48, frames: 1 }),
  },
  'encode: Y4M cut inside its last frame: the complete frames are coded': {
    inputs: ['truncated.y4m'],
    args: enc('truncated.y4m', '--intra-period', '1'),
    code: 0,
    output: 'truncated.lc',
    check: async (d) => expect(await lcVideo(d, 'truncated.lc')).toMatchObject({ width: 64, height: 48, frames: 2, intraPeriod: 1 }),
  },
  'encode: MP4 named .avi works by content': {
    inputs: ['mp4-named.avi'],
    args: enc('mp4-named.avi', '--intra-period', '2'),
    code: 0,
    output: 'mp4-named.lc',
    check: async (d) => expect(await lcVideo(d, 'mp4-named.lc')).toMatchObject({ frames: 3, intraPeriod: 2 }),
  },
  'decode: video .lc to .y4m (the default)': {
    inputs: ['three.lc'],
    args: dec('three.lc'),
    code: 0,
    output: 'three.y4m',
    check: async (d) => expect(await y4mInfo(path.join(d, 'three.y4m'))).toEqual({ width: 64, height: 48, frames: 3 }),
  },
  'decode: video .lc to .mp4 (x264 through ffmpeg)': {
    inputs: ['three.lc'],
    args: dec('three.lc', '-o', 'X/three.mp4'),
    code: 0,
    output: 'three.mp4',
    check: async (d) => expect(await probe(path.join(d, 'three.mp4'))).toEqual({ codec: 'h264', width: 64, height: 48, frames: 3 }),
  },

  // --- video inputs that must be refused ---
  'encode: Y4M cut inside its header': { inputs: ['cut-header.y4m'], args: enc('cut-header.y4m'), code: 2, stderr: /cut-header\.y4m: not a readable video file/ },
  'encode: Y4M with no frames': { inputs: ['no-frames.y4m'], args: enc('no-frames.y4m'), code: 2, stderr: /no-frames\.y4m: video has no frames/ },
  'encode: Y4M whose frames are 0 bytes': { inputs: ['zero-byte-frames.y4m'], args: enc('zero-byte-frames.y4m'), code: 2, stderr: /zero-byte-frames\.y4m: video has no frames$/ },
  'encode: Y4M declaring 100000x100000 frames': {
    inputs: ['huge-frames.y4m'],
    args: enc('huge-frames.y4m'),
    code: 2,
    stderr: /huge-frames\.y4m: not a readable video file \(.*100000x100000/,
  },
  'encode: Y4M declaring 16000x16000 with a partial first frame': {
    inputs: ['big-partial.y4m'],
    args: enc('big-partial.y4m'),
    code: 2,
    stderr: /big-partial\.y4m: video frames are 16000x16000 \(256\.0 Mpx\); lcodec reads frames up to 134\.2 Mpx$/,
  },
  'encode: truncated MP4': { inputs: ['truncated.mp4'], args: enc('truncated.mp4'), code: 2, stderr: /truncated\.mp4: not a readable video file/ },
  'encode: audio-only MP4': { inputs: ['audio-only.mp4'], args: enc('audio-only.mp4'), code: 2, stderr: /audio-only\.mp4: not a readable video file \(no video stream\)$/ },
  'encode: MKV that is not video (audio only)': {
    inputs: ['audio-only.mkv'],
    args: enc('audio-only.mkv'),
    code: 2,
    stderr: /audio-only\.mkv: not a readable video file \(no video stream\)$/,
  },
  'encode: text file named .mkv': {
    inputs: ['notes.mkv'],
    args: enc('notes.mkv'),
    code: 2,
    stderr: /notes\.mkv: not an image, audio or video file lcodec reads \(looks like a text file\)/,
  },

  // --- options and outputs ---
  'encode: --intra-period 0': { inputs: ['three.y4m'], args: enc('three.y4m', '--intra-period', '0'), code: 1, stderr: /--intra-period must be an integer 1\.\.65535, not 0/ },
  'encode: --intra-period abc': { inputs: ['three.y4m'], args: enc('three.y4m', '--intra-period', 'abc'), code: 1, stderr: /--intra-period must be an integer 1\.\.65535, not abc/ },
  'encode: --intra-period on an image': { inputs: ['photo.png'], args: enc('photo.png', '--intra-period', '4'), code: 1, stderr: /--intra-period is for video, not image/ },
  'encode: video quality out of range': { inputs: ['three.y4m'], args: enc('three.y4m', '-q', '99'), code: 1, stderr: /quality for video-mc must be an integer 0\.\.9, not 99/ },
  'encode: video output exists without --force': {
    inputs: ['three.y4m'],
    existing: { 'three.lc': 'keep me' },
    args: enc('three.y4m'),
    code: 1,
    stderr: /three\.lc already exists; use --force/,
  },
  'decode: video output exists without --force': {
    inputs: ['three.lc'],
    existing: { 'three.y4m': 'keep me' },
    args: dec('three.lc'),
    code: 1,
    stderr: /three\.y4m already exists; use --force/,
  },
};

const CASES: Record<string, Case> = {
  // --- image inputs that must work ---
  '1x1 image': {
    inputs: ['one.png'],
    args: enc('one.png', '-o', 'X/one.png.lc'),
    code: 0,
    output: 'one.png.lc',
    check: async (d) => expect(await roundTrip(d, 'one.png')).toMatchObject({ width: 1, height: 1, channels: 3 }),
  },
  '1x10000 image': {
    inputs: ['tall.png'],
    args: enc('tall.png', '-o', 'X/tall.png.lc'),
    code: 0,
    output: 'tall.png.lc',
    check: async (d) => expect(await roundTrip(d, 'tall.png')).toMatchObject({ width: 1, height: 10000 }),
  },
  '10000x1 image': {
    inputs: ['wide.png'],
    args: enc('wide.png', '-o', 'X/wide.png.lc'),
    code: 0,
    output: 'wide.png.lc',
    check: async (d) => expect(await roundTrip(d, 'wide.png')).toMatchObject({ width: 10000, height: 1 }),
  },
  '16-bit PNG: converted to 8 bits with a warning': {
    inputs: ['deep16.png'],
    args: enc('deep16.png'),
    code: 0,
    stderr: /^lcodec: warning: .*deep16\.png: 16-bit samples converted to 8 bits/,
    output: 'deep16.lc',
  },
  'CMYK JPEG: converted to sRGB with a warning': {
    inputs: ['cmyk.jpg'],
    args: enc('cmyk.jpg'),
    code: 0,
    stderr: /^lcodec: warning: .*CMYK image converted to sRGB/,
    output: 'cmyk.lc',
  },
  'grayscale PNG: decodes to a grayscale PNG': {
    inputs: ['gray.png'],
    args: enc('gray.png', '-o', 'X/gray.png.lc'),
    code: 0,
    output: 'gray.png.lc',
    check: async (d) => expect(await roundTrip(d, 'gray.png')).toMatchObject({ channels: 1, space: 'b-w' }),
  },
  'grayscale + alpha PNG: decodes to gray + alpha': {
    inputs: ['gray-alpha.png'],
    args: enc('gray-alpha.png', '-o', 'X/gray-alpha.png.lc'),
    code: 0,
    output: 'gray-alpha.png.lc',
    check: async (d) => expect(await roundTrip(d, 'gray-alpha.png')).toMatchObject({ channels: 2, space: 'b-w' }),
  },
  'RGBA with real transparency: alpha kept exactly': {
    inputs: ['rgba.png'],
    args: enc('rgba.png', '-o', 'X/rgba.png.lc'),
    code: 0,
    output: 'rgba.png.lc',
    async check(d) {
      expect(await roundTrip(d, 'rgba.png')).toMatchObject({ channels: 4 });
      const alphaOf = async (f: string) => (await sharp(f).extractChannel(3).raw().toBuffer()).toString('hex');
      expect(await alphaOf(path.join(d, 'back.png'))).toBe(await alphaOf(path.join(d, 'rgba.png')));
    },
  },
  'palette PNG': { inputs: ['palette.png'], args: enc('palette.png'), code: 0, output: 'palette.lc' },
  'PNG named .jpg works by content': { inputs: ['really-a-png.jpg'], args: enc('really-a-png.jpg'), code: 0, output: 'really-a-png.lc' },

  // --- image inputs that must be refused (exit 2) ---
  'empty file': { inputs: ['empty.png'], args: enc('empty.png'), code: 2, stderr: /empty file/ },
  'truncated PNG': { inputs: ['truncated.png'], args: enc('truncated.png'), code: 2, stderr: /corrupt or truncated image/ },
  'truncated JPEG': { inputs: ['truncated.jpg'], args: enc('truncated.jpg'), code: 2, stderr: /corrupt or truncated image/ },
  'animated GIF': { inputs: ['animated.gif'], args: enc('animated.gif'), code: 2, stderr: /3 pages\/frames; only single images/ },
  'not a media file': { inputs: ['notes.txt'], args: enc('notes.txt'), code: 2, stderr: /notes\.txt: not an image, audio or video file lcodec reads \(looks like a text file\)/ },
  'audio file given to the image model': { inputs: ['sound.wav'], args: enc('sound.wav', '-m', 'hyperprior-mse'), code: 2, stderr: /model hyperprior-mse codes image, not audio/ },
  'an .lc file given to encode': { inputs: ['photo.lc'], args: enc('photo.lc', '-o', 'X/again.lc'), code: 2, stderr: /already an \.lc file/ },

  // --- .lc inputs that must be refused (exit 2) ---
  '.lc from another model': { inputs: ['other-model.lc'], args: dec('other-model.lc'), code: 2, stderr: /model 'hyperprior-ms-ssim', which is not installed/ },
  '.lc from other weights of the model': { inputs: ['other-weights.lc'], args: dec('other-weights.lc'), code: 2, stderr: new RegExp(`other weights of ${DEFAULT_MODEL.image}`) },
  '.lc with wrong magic': { inputs: ['wrong-magic.lc'], args: dec('wrong-magic.lc'), code: 2, stderr: /not an \.lc file \(wrong magic\)/ },
  '0-byte .lc': { inputs: ['zero.lc'], args: dec('zero.lc'), code: 2, stderr: /empty \.lc file/ },
  'truncated .lc': { inputs: ['truncated.lc'], args: dec('truncated.lc'), code: 2, stderr: /damaged or truncated/ },
  '.lc from a future version': { inputs: ['future.lc'], args: dec('future.lc'), code: 2, stderr: /version 2 is newer than this lcodec supports.*upgrade/ },
  'a PNG given to decode': { inputs: ['photo.png'], args: dec('photo.png', '-o', 'X/out.png'), code: 2, stderr: /not an \.lc file/ },
  'info on a truncated .lc': { inputs: ['truncated.lc'], args: (d) => ['info', path.join(d, 'truncated.lc')], code: 2, stderr: /damaged or truncated/ },

  // --- outputs ---
  'encode: output exists without --force': {
    inputs: ['photo.png'],
    existing: { 'photo.lc': 'keep me' },
    args: enc('photo.png'),
    code: 1,
    stderr: /photo\.lc already exists; use --force/,
  },
  'decode: default output exists without --force': {
    inputs: ['photo.lc', 'photo.png'],
    args: dec('photo.lc'),
    code: 1,
    stderr: /photo\.png already exists/,
  },
  'encode: --force replaces the output': {
    inputs: ['photo.png'],
    args: enc('photo.png', '--force'),
    code: 0,
    output: 'photo.lc',
    async check(d) {
      expect((await readFile(path.join(d, 'photo.lc'))).subarray(0, 2).toString()).toBe('LC');
    },
  },
  'output is the input': { inputs: ['photo.png'], args: enc('photo.png', '-o', 'X/photo.png', '--force'), code: 1, stderr: /is the input file/ },
  'output directory does not exist': { inputs: ['photo.png'], args: enc('photo.png', '-o', 'X/nowhere/out.lc'), code: 1, stderr: /cannot write .*no such directory/ },
  'output directory is a file': {
    inputs: ['photo.png', 'notes.txt'],
    args: enc('photo.png', '-o', 'X/notes.txt/out.lc'),
    code: 1,
    stderr: /cannot write .*out\.lc/,
  },
  'several inputs, -o a file': {
    inputs: ['photo.png', 'notes.txt'],
    args: (d: string) => ['encode', path.join(d, 'photo.png'), path.join(d, 'photo.png'), '-o', path.join(d, 'notes.txt')],
    code: 1,
    stderr: /-o names a folder; .*notes\.txt is a file/,
  },
  'missing input file': { inputs: [], args: enc('missing.png'), code: 1, stderr: /no such file: .*missing\.png/ },

  // --- options ---
  'quality out of range': { inputs: ['photo.png'], args: enc('photo.png', '-q', '99'), code: 1, stderr: /quality for channel-mse must be an integer 0\.\.11, not 99/ },
  'quality not a number': { inputs: ['photo.png'], args: enc('photo.png', '-q', 'best'), code: 1, stderr: /-q must be an integer/ },
  'quality not an integer': { inputs: ['photo.png'], args: enc('photo.png', '-q', '2.5'), code: 1, stderr: /-q must be an integer/ },
  '--threads 0': { inputs: ['photo.png'], args: enc('photo.png', '--threads', '0'), code: 1, stderr: /--threads must be an integer 1\.\.256/ },
  '--threads not a number': { inputs: ['photo.lc'], args: dec('photo.lc', '-o', 'X/o.png', '--threads', 'many'), code: 1, stderr: /--threads must be/ },
  'unknown model': { inputs: ['photo.png'], args: enc('photo.png', '-m', 'jpeg-2000-deluxe'), code: 1, stderr: /unknown model 'jpeg-2000-deluxe' \(installed: .*hyperprior-mse/ },
  '--device cuda without CUDA: how to install it': {
    inputs: ['photo.png'],
    args: enc('photo.png', '--device', 'cuda'),
    code: 1,
    stderr: /CUDA execution provider is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node.*--device cpu/,
  },
  '--device unknown': { inputs: ['photo.png'], args: enc('photo.png', '--device', 'tpu'), code: 1, stderr: /--device must be cpu or cuda/ },
  '--tile not a multiple of 64': { inputs: ['photo.png'], args: enc('photo.png', '--tile', '100'), code: 1, stderr: /--tile must be a multiple of 64/ },
};

const ALL_CASES: Record<string, Case> = { ...CASES, ...AUDIO_CASES, ...VIDEO_CASES, ...VIDEO_CODEC_CASES };

describe.concurrent('bad media through the CLI', () => {
  for (const [name, c] of Object.entries(ALL_CASES)) {
    it(name, async () => {
      const d = path.join(dir, name.replace(/[^a-z0-9]+/gi, '-'));
      await mkdir(d);
      for (const f of c.inputs) await copyFile(media(f), path.join(d, f));
      for (const [f, content] of Object.entries(c.existing ?? {})) await writeFile(path.join(d, f), content);
      const before = new Map<string, string>();
      for (const f of await readdir(d)) {
        if ((await stat(path.join(d, f))).isFile()) before.set(f, (await readFile(path.join(d, f))).toString('hex'));
      }
      const args = c.args(d).map((a) => (a.startsWith('X/') ? path.join(d, a.slice(2)) : a));
      const r = await runCli(args);
      expect(r.code, `stderr: ${r.stderr}`).toBe(c.code);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      if (c.code === 0) {
        expect(lines.length, r.stderr).toBe(c.stderr ? 1 : 0);
      } else {
        expect(lines, 'one line on stderr').toHaveLength(1);
        expect(lines[0]).toMatch(/^lcodec: /);
        expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
        expect(lines[0]).not.toMatch(/\blib[a-z]+ +\d+\. *\d+|@ 0x[0-9a-f]+|exited with code/); // no ffmpeg banner or internals
      }
      if (c.stderr) expect(lines[0]).toMatch(c.stderr);

      const after = await readdir(d);
      expect(after.filter((f) => f.includes('.tmp')), 'no temporary files').toEqual([]);
      const created = after.filter((f) => !before.has(f));
      expect(created).toEqual(c.code === 0 && c.output ? [c.output] : []);
      for (const [f, hex] of before) {
        if (c.code !== 0 || f !== c.output) expect((await readFile(path.join(d, f))).toString('hex'), `${f} untouched`).toBe(hex);
      }
      await c.check?.(d);
    });
  }

  it('20000x20000 PNG: refused from its header, without allocating the pixels', async () => {
    const d = path.join(dir, 'huge');
    await mkdir(d);
    await copyFile(media('huge.png'), path.join(d, 'huge.png'));
    const t0 = performance.now();
    const r = await runCliMeasured(['encode', path.join(d, 'huge.png')], path.join(dir, 'huge-rss.txt'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/image is 20000x20000 \(400\.0 Mpx\); lcodec reads images up to 134\.2 Mpx/);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(r.maxRssMb).toBeLessThan(400); // the pixels alone would be 1.2 GB
    expect(await readdir(d)).toEqual(['huge.png']);
  });
});

it('lists at least 30 bad-media cases, at least 12 each for audio and video', () => {
  expect(Object.keys(ALL_CASES).length + 1).toBeGreaterThanOrEqual(30);
  expect(Object.keys(AUDIO_CASES).length).toBeGreaterThanOrEqual(12);
  expect(Object.keys(VIDEO_CASES).length).toBeGreaterThanOrEqual(12);
  expect(Object.keys(VIDEO_CODEC_CASES).length).toBeGreaterThanOrEqual(20);
});

it('error lines are one printable line whatever the message holds', () => {
  const line = formatError(new Error('libvips: first\nsecond\r\x1b[31mred'), false);
  expect(line).toBe('lcodec: libvips: first; second\\x0d\\x1b[31mred');
  expect(formatError(new Error(''), false)).toBe('lcodec: Error');
});
