/**
 * Synthetic training clips for the motion-compensated video model: camera motion over still
 * photographs of ../shared/data/images/train (never Kodak), beside the 16 real clips of
 * ../shared/data/video/train, whose motion is too little and too alike to train on alone
 * (training/README.md, video-mc).
 *
 * Each clip follows one photograph through a smooth affine camera path — a pan at a
 * sub-pixel speed, a zoom, a rotation, or all three — sampled bilinearly, and may carry a
 * patch of another photograph moving across it on a path of its own (occlusion and
 * disocclusion, as a moving object makes), and sensor noise drawn anew for every frame (the
 * noise no prediction removes). Clips are written as 4:2:0 Y4M, as the real clips decode.
 *
 *   node dist/bench/video-synthetic.js --out dir [--count 64] [--frames 16] [--size 256x192] [--seed 1]
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readImage } from '../src/io/image.js';
import { writeVideo } from '../src/io/video.js';
import type { RgbImage, Video, VideoFrame } from '../src/media.js';
import { sharedDataDir } from '../src/paths.js';
import { benchArgs } from './args.js';

/** A camera path: the frame's centre in source pixels, its scale (source pixels per output pixel) and angle, each linear in time. */
export interface CameraPath {
  x: number;
  y: number;
  /** Centre velocity, source pixels per frame. */
  vx: number;
  vy: number;
  scale: number;
  /** Scale factor per frame (> 1 zooms out). */
  zoom: number;
  /** Angle (radians) and its change per frame. */
  angle: number;
  spin: number;
}

/** A patch of another picture moving over the frame (output pixels), on a straight path. */
export interface Sprite {
  image: RgbImage;
  /** Its top-left corner in the output frame at frame 0, and its velocity per frame. */
  x: number;
  y: number;
  vx: number;
  vy: number;
}

export interface ClipSpec {
  width: number;
  height: number;
  frames: number;
  path: CameraPath;
  sprite?: Sprite;
  /** Standard deviation of the per-frame Gaussian noise, in 8-bit levels (0: none). */
  noise: number;
  seed: number;
}

/** A pseudo-random generator (xorshift32) in [0, 1). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Bilinear sample of channel c of `src` at (x, y), edges clamped. */
function sample(src: RgbImage, x: number, y: number, c: number): number {
  const cx = Math.min(src.width - 1, Math.max(0, x));
  const cy = Math.min(src.height - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(src.width - 1, x0 + 1);
  const y1 = Math.min(src.height - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (xx: number, yy: number) => src.data[(yy * src.width + xx) * 3 + c]!;
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

/** Frame t of a clip: the source seen through the camera at time t, the sprite over it, noise on top. */
export function synthesizeFrame(src: RgbImage, spec: ClipSpec, t: number, noise: () => number): VideoFrame {
  const { width, height, path: p } = spec;
  const data = new Uint8Array(width * height * 3);
  const s = p.scale * p.zoom ** t;
  const a = p.angle + p.spin * t;
  const [cos, sin] = [Math.cos(a) * s, Math.sin(a) * s];
  const cx = p.x + p.vx * t;
  const cy = p.y + p.vy * t;
  const sp = spec.sprite;
  const sx = sp ? Math.round((sp.x + sp.vx * t) * 4) / 4 : 0;
  const sy = sp ? Math.round((sp.y + sp.vy * t) * 4) / 4 : 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x - width / 2;
      const v = y - height / 2;
      const inSprite = sp && x >= sx && y >= sy && x < sx + sp.image.width - 1 && y < sy + sp.image.height - 1;
      for (let c = 0; c < 3; c++) {
        const value = inSprite ? sample(sp.image, x - sx, y - sy, c) : sample(src, cx + cos * u - sin * v, cy + sin * u + cos * v, c);
        const n = spec.noise > 0 ? spec.noise * noise() : 0;
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(value + n)));
      }
    }
  }
  return { width, height, data };
}

/** A clip of `spec.frames` frames (in memory). */
export function synthesizeClip(src: RgbImage, spec: ClipSpec): Video & { frames: VideoFrame[] } {
  const r = rng(spec.seed);
  const noise = () => gaussian(r);
  const frames = Array.from({ length: spec.frames }, (_, t) => synthesizeFrame(src, spec, t, noise));
  return { width: spec.width, height: spec.height, fps: [25, 1], frameCount: frames.length, frames };
}

/**
 * A random clip over `src` (and a sprite cut from `other`): the camera path keeps every frame
 * inside the picture. Kinds, by `kind`: 0 pan, 1 zoom, 2 rotation, 3 all three; half the clips
 * carry a sprite; noise σ from 0 to 4 levels.
 */
export function randomSpec(src: RgbImage, other: RgbImage, width: number, height: number, frames: number, kind: number, r: () => number): ClipSpec {
  const between = (lo: number, hi: number) => lo + (hi - lo) * r();
  const sign = () => (r() < 0.5 ? -1 : 1);
  const pan = kind === 0 || kind === 3;
  const zooming = kind === 1 || kind === 3;
  const rotating = kind === 2 || kind === 3;
  const vx = pan ? sign() * between(0.2, 3) : between(-0.3, 0.3);
  const vy = pan ? sign() * between(0, 1.5) : between(-0.3, 0.3);
  const zoom = zooming ? (r() < 0.5 ? between(1.004, 1.02) : 1 / between(1.004, 1.02)) : 1;
  const spin = rotating ? sign() * between(0.002, 0.012) : 0;
  // The largest scale over the clip, and the half extent a rotated frame covers, fix how far
  // the centre may start from the edges.
  const scaleEnd = zoom ** (frames - 1);
  const fitScale = Math.min(src.width / width, src.height / height) / Math.max(1, scaleEnd) / 1.15;
  const scale = Math.min(1, fitScale);
  const angle = rotating ? between(-0.05, 0.05) : 0;
  const reach = (s: number) => {
    const a = Math.abs(angle) + Math.abs(spin) * frames;
    return [(width / 2) * s * Math.cos(a) + (height / 2) * s * Math.sin(a), (width / 2) * s * Math.sin(a) + (height / 2) * s * Math.cos(a)] as const;
  };
  const [rx, ry] = reach(scale * Math.max(1, scaleEnd));
  const travel = (v: number) => Math.abs(v) * (frames - 1);
  const start = (size: number, r0: number, v: number) => {
    const lo = r0 + (v < 0 ? travel(v) : 0);
    const hi = size - 1 - r0 - (v > 0 ? travel(v) : 0);
    return hi > lo ? between(lo, hi) : size / 2;
  };
  const path: CameraPath = { x: start(src.width, rx, vx), y: start(src.height, ry, vy), vx, vy, scale, zoom, angle, spin };
  let sprite: Sprite | undefined;
  if (r() < 0.5) {
    const w = Math.min(other.width, Math.round(between(0.2, 0.4) * width));
    const h = Math.min(other.height, Math.round(between(0.25, 0.5) * height));
    const ox = Math.floor(between(0, other.width - w));
    const oy = Math.floor(between(0, other.height - h));
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) data.set(other.data.subarray(((oy + y) * other.width + ox) * 3, ((oy + y) * other.width + ox + w) * 3), y * w * 3);
    sprite = { image: { width: w, height: h, data }, x: between(0, width - w), y: between(0, height - h), vx: sign() * between(0.5, 4), vy: sign() * between(0, 2) };
  }
  return { width, height, frames, path, ...(sprite ? { sprite } : {}), noise: r() < 0.25 ? 0 : between(0.5, 4), seed: Math.floor(r() * 2 ** 31) };
}

async function main(): Promise<void> {
  const { opt } = benchArgs();
  const outDir = opt('out');
  const data = sharedDataDir();
  const trainDir = data && join(data, 'images', 'train');
  if (!outDir || !trainDir) {
    process.stderr.write('usage: video-synthetic --out dir [--count N] [--frames N] [--size WxH] [--seed S] (needs ../shared/data/images/train)\n');
    process.exit(1);
  }
  const [width, height] = (opt('size') ?? '256x192').split('x').map(Number) as [number, number];
  const count = Number(opt('count') ?? 64);
  const frames = Number(opt('frames') ?? 16);
  const r = rng(Number(opt('seed') ?? 1));
  const files = readdirSync(trainDir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  mkdirSync(outDir, { recursive: true });
  for (let k = 0; k < count; k++) {
    const pick = async () => {
      const img = await readImage(join(trainDir, files[Math.floor(r() * files.length)]!));
      return { width: img.width, height: img.height, data: img.data } as RgbImage;
    };
    const src = await pick();
    const other = await pick();
    if (src.width < width || src.height < height) continue;
    const spec = randomSpec(src, other, width, height, frames, k % 4, r);
    const name = `synthetic_${String(k).padStart(3, '0')}_${['pan', 'zoom', 'rotate', 'mixed'][k % 4]}${spec.sprite ? '_sprite' : ''}_${width}x${height}.y4m`;
    await writeVideo(join(outDir, name), synthesizeClip(src, spec));
    process.stderr.write(`${name}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
