/**
 * Bad and unusual media through the real CLI (`node dist/src/cli/main.js`): every case
 * either works (exit 0) or fails with exit code 2 (bad input) or 1 (usage), with ONE clear
 * line on stderr, and leaves no output file and no temporary file behind.
 *
 * Test media are generated here with sharp (nothing large is committed).
 *
 * TODO when the modalities exist — audio: empty/truncated WAV, 8-bit and 24-bit/float WAV,
 * 0 channels, 8 channels, 1 sample, 8 kHz and 192 kHz, 10 hours declared in the header,
 * MP3/FLAC/Ogg by content with a wrong extension, WAV with a lying data-chunk size.
 * Video: truncated Y4M, odd dimensions, 4:2:0 vs 4:4:4 Y4M, 0 frames, variable frame
 * rate MP4, a video stream without frames, audio-only MP4, huge declared frame count.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../src/api.js';
import { formatError } from '../src/cli/errors.js';
import { crc32 } from '../src/container/crc32.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { encodeWav } from '../src/io/wav.js';
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
  'not a media file': { inputs: ['notes.txt'], args: enc('notes.txt'), code: 2, stderr: /not an image in a supported format/ },
  'audio file given to the image model': { inputs: ['sound.wav'], args: enc('sound.wav', '-m', 'hyperprior-mse'), code: 2, stderr: /model hyperprior-mse codes image, not audio/ },
  'an .lc file given to encode': { inputs: ['photo.lc'], args: enc('photo.lc', '-o', 'X/again.lc'), code: 2, stderr: /already an \.lc file/ },

  // --- .lc inputs that must be refused (exit 2) ---
  '.lc from another model': { inputs: ['other-model.lc'], args: dec('other-model.lc'), code: 2, stderr: /model 'hyperprior-ms-ssim', which is not installed/ },
  '.lc from other weights of the model': { inputs: ['other-weights.lc'], args: dec('other-weights.lc'), code: 2, stderr: /other weights of hyperprior-mse/ },
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
  'output is a directory': { inputs: ['photo.png'], args: enc('photo.png', '-o', 'X/', '--force'), code: 1, stderr: /is a directory/ },
  'missing input file': { inputs: [], args: enc('missing.png'), code: 1, stderr: /no such file: .*missing\.png/ },

  // --- options ---
  'quality out of range': { inputs: ['photo.png'], args: enc('photo.png', '-q', '99'), code: 1, stderr: /quality 99 is out of range for hyperprior-mse: use 0\.\.7/ },
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

describe.concurrent('bad media through the CLI', () => {
  for (const [name, c] of Object.entries(CASES)) {
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

it('lists at least 30 bad-media cases', () => {
  expect(Object.keys(CASES).length + 1).toBeGreaterThanOrEqual(30);
});

it('error lines are one printable line whatever the message holds', () => {
  const line = formatError(new Error('libvips: first\nsecond\r\x1b[31mred'), false);
  expect(line).toBe('lcodec: libvips: first; second\\x0d\\x1b[31mred');
  expect(formatError(new Error(''), false)).toBe('lcodec: Error');
});
