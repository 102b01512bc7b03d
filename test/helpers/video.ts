/** Small test clips made with ffmpeg's lavfi sources, and synthetic frames. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { VideoFrame } from '../../src/media.js';
import { SHARED_DATA } from './data.js';
import { xorshift32 } from './synthetic.js';

const execFileAsync = promisify(execFile);

export interface ClipOptions {
  width: number;
  height: number;
  frames: number;
  /** Frame rate as ffmpeg writes it, e.g. "30" or "30000/1001". */
  rate?: string;
  /** lavfi source (default testsrc2: moving, saturated colours). */
  source?: 'testsrc2' | 'mandelbrot' | 'smptebars';
  /** Output options before the file name (codec, pixel format, muxer); default Y4M 4:2:0. */
  output?: string[];
}

/**
 * Writes a clip with ffmpeg. Sizes are made exact (also odd ones) by generating a larger
 * picture and cropping it in RGB.
 */
export async function makeClip(file: string, o: ClipOptions): Promise<void> {
  const rate = o.rate ?? '30';
  const w = o.width + (o.width % 2);
  const h = o.height + (o.height % 2);
  // prettier-ignore
  await execFileAsync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `${o.source ?? 'testsrc2'}=size=${w}x${h}:rate=${rate}`,
    '-vf', `format=rgb24,crop=${o.width}:${o.height}:0:0`, '-frames:v', String(o.frames),
    ...(o.output ?? ['-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe']),
    file,
  ]);
}

/** Runs ffprobe and returns its JSON output. */
export async function ffprobeJson(file: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-of', 'json', ...args, file], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/**
 * Smooth RGB frames whose colours stay well inside the RGB cube after BT.601 4:2:0
 * conversion (low saturation): their Y'CbCr → RGB → Y'CbCr round trip is exact.
 */
export function smoothFrames(width: number, height: number, count: number, seed = 1): VideoFrame[] {
  const frames: VideoFrame[] = [];
  let s = seed;
  for (let t = 0; t < count; t++) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        s = xorshift32(s);
        const base = 60 + ((x * 3 + y * 2 + t * 5) % 120) + (s % 9);
        const i = (y * width + x) * 3;
        data[i] = base + ((x + t) % 20);
        data[i + 1] = base + 10;
        data[i + 2] = base + ((y * 2) % 24);
      }
    }
    frames.push({ width, height, data });
  }
  return frames;
}

/** The video test set, or undefined (with a note on stderr) when this checkout has none. */
export function videoTestDir(): string | undefined {
  const dir = resolve(SHARED_DATA, 'video', 'test');
  if (existsSync(dir)) return dir;
  process.stderr.write(`video tests on real clips skipped: ${dir} not found (shared data absent)\n`);
  return undefined;
}
