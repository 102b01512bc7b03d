import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Video, VideoFrame } from '../src/media.js';
import { InputError } from '../src/errors.js';
import { sniffModality } from '../src/io/detect.js';
import { encodeWav } from '../src/io/wav.js';
import { encodePng } from '../src/io/image.js';
import { collectVideo, countVideoFrames, readVideo, readVideoYuv, writeVideo } from '../src/io/video.js';
import { parseY4mStream } from '../src/io/y4m.js';
import { rgbToYuv, yuvFrameBytes, yuvToRgb } from '../src/io/yuv.js';
import { psnr } from '../src/metrics/image.js';
import { xorshift32 } from './helpers/synthetic.js';
import { makeClip, smoothFrames } from './helpers/video.js';

const execFileAsync = promisify(execFile);

let dir: string;
let y4m: string; // 96×64, 10 frames, 30000/1001 fps, testsrc2
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-video-io-'));
  y4m = path.join(dir, 'clip.y4m');
  await makeClip(y4m, { width: 96, height: 64, frames: 10, rate: '30000/1001' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The frame payloads of a Y4M file, split by hand (independent of src/io/y4m.ts). */
function y4mPayloads(bytes: Buffer, frameBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let at = bytes.indexOf(0x0a) + 1;
  while (at < bytes.length) {
    const nl = bytes.indexOf(0x0a, at);
    expect(bytes.subarray(at, nl).toString('latin1')).toBe('FRAME');
    out.push(bytes.subarray(nl + 1, nl + 1 + frameBytes));
    at = nl + 1 + frameBytes;
  }
  return out;
}

const frameOf = (width: number, height: number, rgb: number[]): VideoFrame => ({ width, height, data: Uint8Array.from(rgb) });

describe("RGB ↔ Y'CbCr (BT.601, limited range)", () => {
  it('maps black, white and the primaries to the standard 8-bit codes', () => {
    const colours: [number[], number[]][] = [
      [[0, 0, 0], [16, 128, 128]],
      [[255, 255, 255], [235, 128, 128]],
      [[255, 0, 0], [81, 90, 240]],
      [[0, 255, 0], [145, 54, 34]],
      [[0, 0, 255], [41, 240, 110]],
    ];
    for (const [rgb, yuv] of colours) {
      expect([...rgbToYuv(frameOf(1, 1, rgb), '444').data]).toEqual(yuv);
      expect([...rgbToYuv(frameOf(1, 1, rgb), '420').data]).toEqual(yuv);
      // Back within a level (8-bit codes are rounded).
      const back = yuvToRgb({ width: 1, height: 1, chroma: '444', data: Uint8Array.from(yuv) }).data;
      back.forEach((v, c) => expect(Math.abs(v - rgb[c])).toBeLessThanOrEqual(1));
    }
  });

  it("Y'CbCr → RGB → Y'CbCr is the identity for in-gamut colours, 4:2:0 (odd size) and 4:4:4", () => {
    for (const chroma of ['420', '444'] as const) {
      const [w, h] = [33, 17];
      const data = new Uint8Array(yuvFrameBytes(w, h, chroma));
      let s = 7;
      for (let i = 0; i < data.length; i++) {
        s = xorshift32(s);
        data[i] = i < w * h ? 60 + (s % 130) : 112 + (s % 33); // luma 60..189, chroma 112..144
      }
      const frame = { width: w, height: h, chroma, data };
      expect(rgbToYuv(yuvToRgb(frame), chroma).data).toEqual(data);
    }
  });

  it("agrees with ffmpeg's own yuv420p → rgb24 conversion within 3 levels", async () => {
    const video = await collectVideo(await readVideo(y4m));
    const { stdout } = await execFileAsync(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-i', y4m, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'],
      { encoding: 'buffer', maxBuffer: 16 << 20 },
    );
    const n = 96 * 64 * 3;
    expect(stdout.length).toBe(10 * n);
    let maxDiff = 0;
    let sum = 0;
    video.frames.forEach((frame, k) => {
      for (let i = 0; i < n; i++) {
        const d = Math.abs(frame.data[i] - stdout[k * n + i]);
        maxDiff = Math.max(maxDiff, d);
        sum += d;
      }
    });
    expect(maxDiff).toBeLessThanOrEqual(3);
    expect(sum / (10 * n)).toBeLessThan(1.5);
  });
});

describe('readVideo / writeVideo', () => {
  it('reads a Y4M clip with its size, frame rate and exact samples', async () => {
    const video = await readVideo(y4m);
    expect([video.width, video.height, video.fps]).toEqual([96, 64, [30000, 1001]]);
    const payloads = y4mPayloads(await readFile(y4m), yuvFrameBytes(96, 64, '420'));
    expect(payloads.length).toBe(10);
    let k = 0;
    for await (const frame of video.frames) {
      expect(frame.yuv?.data).toEqual(new Uint8Array(payloads[k]));
      expect(frame.data).toEqual(yuvToRgb(frame.yuv!).data);
      k++;
    }
    expect(k).toBe(10);
    // Each pass decodes again from the start.
    expect((await collectVideo(video)).frames.length).toBe(10);
    expect(await countVideoFrames(y4m)).toBe(10);
  });

  it('round-trips Y4M → frames → Y4M byte for byte (4:2:0 from the source samples)', async () => {
    const out = path.join(dir, 'copy.y4m');
    expect(await writeVideo(out, await readVideo(y4m))).toEqual({ frames: 10 });
    const written = await readFile(out);
    const source = await readFile(y4m);
    const header = (b: Buffer) => b.subarray(0, b.indexOf(0x0a)).toString('latin1').split(' ');
    expect(header(written)).toEqual(expect.arrayContaining(['YUV4MPEG2', 'W96', 'H64', 'F30000:1001', 'C420jpeg']));
    const size = yuvFrameBytes(96, 64, '420');
    expect(y4mPayloads(written, size)).toEqual(y4mPayloads(source, size));
  });

  it('writes RGB frames (no source samples) as Y4M 4:2:0 and 4:4:4 that read back to the same samples', async () => {
    for (const chroma of ['420', '444'] as const) {
      const original: Video = { width: 40, height: 24, fps: [25, 1], frames: smoothFrames(40, 24, 3) };
      const first = path.join(dir, `rgb-${chroma}.y4m`);
      await writeVideo(first, original, { chroma });
      const back = await collectVideo(await readVideo(first));
      expect(back.frames.length).toBe(3);
      expect(back.frames[0].yuv?.chroma).toBe(chroma);
      // Converting the decoded RGB again (source samples dropped) gives the same file.
      const second = path.join(dir, `rgb-${chroma}-again.y4m`);
      await writeVideo(second, { ...back, frames: back.frames.map(({ width, height, data }) => ({ width, height, data })) }, { chroma });
      expect(await readFile(second)).toEqual(await readFile(first));
      // 4:4:4 keeps RGB within a level (limited range has fewer codes than RGB).
      if (chroma === '444') for (let k = 0; k < 3; k++) expect(psnr(original.frames[k] as VideoFrame, back.frames[k])).toBeGreaterThan(48);
    }
  });

  it('reads Matroska (FFV1, lossless) and MP4 (H.264), detected by content, not by name', async () => {
    const mkv = path.join(dir, 'ffv1.dat');
    const mp4 = path.join(dir, 'h264.bin');
    await makeClip(mkv, { width: 96, height: 64, frames: 10, rate: '30000/1001', output: ['-pix_fmt', 'yuv420p', '-c:v', 'ffv1', '-f', 'matroska'] });
    await makeClip(mp4, { width: 96, height: 64, frames: 10, rate: '30000/1001', output: ['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '18', '-f', 'mp4'] });
    const reference = await collectVideo(await readVideo(y4m));
    const lossless = await collectVideo(await readVideo(mkv));
    expect([lossless.width, lossless.height, lossless.fps, lossless.frames.length]).toEqual([96, 64, [30000, 1001], 10]);
    lossless.frames.forEach((f, k) => expect(f.data).toEqual(reference.frames[k].data));
    const lossy = await readVideo(await readFile(mp4)); // from bytes
    expect([lossy.width, lossy.height, lossy.fps, lossy.frameCount]).toEqual([96, 64, [30000, 1001], 10]);
    const frames = (await collectVideo(lossy)).frames;
    expect(frames.length).toBe(10);
    frames.forEach((f, k) => expect(psnr(reference.frames[k], f)).toBeGreaterThan(30));
  });

  it('writes MP4 and Matroska with x264 at high quality, atomically', async () => {
    const original = await collectVideo(await readVideo(y4m));
    for (const name of ['out.mp4', 'out.mkv']) {
      const file = path.join(dir, name);
      expect(await writeVideo(file, original)).toEqual({ frames: 10 });
      const back = await collectVideo(await readVideo(file));
      expect([back.width, back.height, back.fps, back.frames.length]).toEqual([96, 64, [30000, 1001], 10]);
      back.frames.forEach((f, k) => expect(psnr(original.frames[k], f)).toBeGreaterThan(38));
    }
    const head = (await readFile(path.join(dir, 'out.mp4'))).subarray(4, 8).toString('latin1');
    expect(head).toBe('ftyp');
  });

  it('keeps odd sizes: 4:2:0 chroma of ⌈w/2⌉ × ⌈h/2⌉, exact Y4M copy, MP4 in 4:4:4', async () => {
    const odd = path.join(dir, 'odd.y4m');
    await makeClip(odd, { width: 65, height: 33, frames: 3 });
    const video = await collectVideo(await readVideo(odd));
    expect([video.width, video.height, video.frames.length]).toEqual([65, 33, 3]);
    expect(video.frames[0].yuv?.data.length).toBe(65 * 33 + 2 * 33 * 17);
    const copy = path.join(dir, 'odd-copy.y4m');
    await writeVideo(copy, video);
    const size = yuvFrameBytes(65, 33, '420');
    expect(y4mPayloads(await readFile(copy), size)).toEqual(y4mPayloads(await readFile(odd), size));
    const mp4 = path.join(dir, 'odd.mp4');
    await writeVideo(mp4, video);
    const back = await collectVideo(await readVideo(mp4));
    expect([back.width, back.height, back.frames.length]).toEqual([65, 33, 3]);
    expect(back.frames[0].yuv?.chroma).toBe('444');
    back.frames.forEach((f, k) => expect(psnr(video.frames[k], f)).toBeGreaterThan(34));
  });

  it('detects AVI and FLV by content too', async () => {
    for (const [name, output] of [
      ['clip.avi', ['-c:v', 'mpeg4', '-f', 'avi']],
      ['clip.flv', ['-c:v', 'flv1', '-f', 'flv']],
    ] as const) {
      const file = path.join(dir, name);
      await makeClip(file, { width: 48, height: 32, frames: 3, output: ['-pix_fmt', 'yuv420p', ...output] });
      expect(sniffModality(new Uint8Array((await readFile(file)).subarray(0, 32)))).toBe('video');
      expect((await collectVideo(await readVideo(file))).frames.length).toBe(3);
    }
  });

  it('reads an RGB source as 4:4:4', async () => {
    const rgb = path.join(dir, 'rgb.mkv');
    await makeClip(rgb, { width: 48, height: 32, frames: 2, output: ['-c:v', 'ffv1', '-pix_fmt', 'bgr0', '-f', 'matroska'] });
    const video = await readVideoYuv(rgb);
    expect(video.chroma).toBe('444');
  });
});

describe('streaming', () => {
  it('parses Y4M lazily: pulls only the bytes the frames taken so far need', async () => {
    const bytes = await readFile(y4m);
    let pulled = 0;
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 1000) {
        const c = bytes.subarray(at, at + 1000);
        pulled += c.length;
        yield c;
      }
    }
    const stream = await parseY4mStream(chunks());
    const size = yuvFrameBytes(96, 64, '420');
    const headerBytes = bytes.indexOf(0x0a) + 1;
    await stream.frames.next();
    await stream.frames.next();
    expect(pulled).toBeLessThanOrEqual(headerBytes + 2 * (size + 6) + 1000);
    expect(pulled).toBeLessThan(bytes.length / 2);
    await stream.frames.return(undefined);
  });

  it('keeps memory flat on a long clip: ffmpeg waits while the consumer does', async () => {
    // 600 frames of 320×240: 69 MB of 4:2:0 samples (138 MB as RGB) from a ~1 MB file.
    const long = path.join(dir, 'long.mkv');
    await makeClip(long, {
      width: 320,
      height: 240,
      frames: 600,
      output: ['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '35', '-f', 'matroska'],
    });
    const video = await readVideo(long);
    const it = video.frames[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const before = process.memoryUsage().arrayBuffers;
    await new Promise((r) => setTimeout(r, 1500)); // ample time to decode everything, were nothing holding ffmpeg back
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(24 << 20);
    let count = 1;
    while (!(await it.next()).done) count++;
    expect(count).toBe(600);

    // Leaving early stops the decoder: the loop ends at once.
    const t = performance.now();
    let taken = 0;
    for await (const _ of video.frames) if (++taken === 3) break;
    expect(taken).toBe(3);
    expect(performance.now() - t).toBeLessThan(5000);
  });
});

describe('bad inputs', () => {
  it('refuses missing, empty and non-video files with InputError', async () => {
    const empty = path.join(dir, 'empty.mkv');
    const text = path.join(dir, 'notes.mp4');
    const png = path.join(dir, 'image.y4m');
    const wav = path.join(dir, 'sound.mkv');
    await writeFile(empty, '');
    await writeFile(text, 'this is not a video file at all\n'.repeat(20));
    await writeFile(png, await encodePng({ width: 2, height: 2, data: new Uint8Array(12) }));
    await writeFile(wav, encodeWav({ sampleRate: 8000, channels: [new Float32Array(800)] }, 'pcm16'));
    const cases: [string | Uint8Array, RegExp][] = [
      [path.join(dir, 'missing.y4m'), /no such file/],
      [empty, /empty file/],
      [new Uint8Array(0), /empty file/],
      [text, /not a readable video/],
      [png, /looks like an image/],
      [wav, /looks like an audio/],
    ];
    for (const [input, message] of cases) {
      const err = await readVideo(input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('reports a video with zero frames as InputError when its frames are read', async () => {
    const headerOnly = path.join(dir, 'header-only.y4m');
    await writeFile(headerOnly, 'YUV4MPEG2 W16 H16 F25:1 Ip A1:1 C420jpeg\n');
    const err = await (async () => {
      const video = await readVideo(headerOnly);
      for await (const _ of video.frames) return 'got a frame';
      return 'no error';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/no frames|not a readable video|cannot decode/);
  });

  it('writes nothing when the frames fail part way or there are none', async () => {
    const out = path.join(dir, 'atomic', 'x.y4m');
    await execFileAsync('mkdir', ['-p', path.dirname(out)]);
    async function* failing(): AsyncGenerator<VideoFrame> {
      yield* smoothFrames(16, 16, 2);
      throw new Error('source broke');
    }
    for (const format of ['y4m', 'mp4'] as const) {
      await expect(writeVideo(out, { width: 16, height: 16, fps: [25, 1], frames: failing() }, { format })).rejects.toThrow(/source broke/);
    }
    await expect(writeVideo(out, { width: 16, height: 16, fps: [25, 1], frames: [] })).rejects.toThrow(RangeError);
    await expect(
      writeVideo(out, { width: 16, height: 16, fps: [25, 1], frames: [{ width: 8, height: 8, data: new Uint8Array(192) }] }),
    ).rejects.toThrow(/frame 0/);
    expect(await readdir(path.dirname(out))).toEqual([]);
  });

  it('Y4M: a failure in the first frame leaves no temporary file, however soon it comes', async () => {
    // The write stream opens its file asynchronously: removing the temporary file before the
    // open completed left it behind (a few in 300 runs, more under load).
    const d = path.join(dir, 'first-frame');
    await execFileAsync('mkdir', ['-p', d]);
    async function* failing(): AsyncGenerator<VideoFrame> {
      throw new Error('frame 0 is damaged');
    }
    for (let i = 0; i < 300; i++) {
      await expect(writeVideo(path.join(d, `x${i}.y4m`), { width: 16, height: 16, fps: [25, 1], frames: failing() })).rejects.toThrow(/frame 0/);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(d)).toEqual([]);
  });

  it('MP4/MKV: a size or frame rate x264 or MP4 refuse is bad input (InputError) naming them, and leaves no file', async () => {
    // Found by fuzzing: a video .lc whose header says 25/134217728 fps decoded to .mp4 ended in
    // an FfmpegError (exit code 1 from lcodec decode). Y4M writes both.
    const d = path.join(dir, 'refused');
    await execFileAsync('mkdir', ['-p', d]);
    const still = (w: number, h: number, n: number): VideoFrame[] => Array.from({ length: n }, () => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(90) }));
    const cases = [
      { file: 'slow.mp4', video: { width: 16, height: 16, fps: [25, 134217728] as [number, number], frames: still(16, 16, 3) }, what: /16x16 video at 25\/134217728 fps/ },
      { file: 'wide.mkv', video: { width: 20000, height: 8, fps: [25, 1] as [number, number], frames: still(20000, 8, 2) }, what: /20000x8 video at 25\/1 fps/ },
    ];
    for (const { file, video, what } of cases) {
      const err = await writeVideo(path.join(d, file), video).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/^cannot write .*: ffmpeg \(x264, (MP4|Matroska)\) refused /);
      expect((err as Error).message).toMatch(what);
      expect((err as Error).message).not.toMatch(/\n/);
      expect(await writeVideo(path.join(d, file.replace(/\.\w+$/, '.y4m')), video)).toEqual({ frames: video.frames.length });
    }
    expect((await readdir(d)).sort()).toEqual(['slow.y4m', 'wide.y4m']);
  });

  it('MP4/MKV: frames that fail after ffmpeg started reading end the write, not hang it', async () => {
    // Found by fuzzing video .lc files decoded to .mp4 (a damaged last frame): ffmpeg, blocked
    // on its stdin, ignored fluent-ffmpeg's SIGTERM and the write never settled.
    const out = path.join(dir, 'slow-fail', 'x.mp4');
    await execFileAsync('mkdir', ['-p', path.dirname(out)]);
    async function* slowFailing(): AsyncGenerator<VideoFrame> {
      for (const frame of smoothFrames(16, 16, 3)) {
        await new Promise((r) => setTimeout(r, 150));
        yield frame;
      }
      throw new Error('frame 3 is damaged');
    }
    for (const format of ['mp4', 'mkv'] as const) {
      const t0 = performance.now();
      await expect(writeVideo(out, { width: 16, height: 16, fps: [25, 1], frames: slowFailing() }, { format })).rejects.toThrow(/frame 3 is damaged/);
      expect(performance.now() - t0).toBeLessThan(10_000);
    }
    expect(await readdir(path.dirname(out))).toEqual([]);
  }, 30_000);
});
