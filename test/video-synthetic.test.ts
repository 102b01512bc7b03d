/**
 * The synthetic training clips of bench/video-synthetic.ts on the sample photograph: camera
 * paths move the picture as specified (found again by the codec's own motion search), sprites
 * move on their own paths over it, and the noise has the stated size.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomSpec, rng, synthesizeClip, type ClipSpec } from '../bench/video-synthetic.js';
import { estimateMotion } from '../codecs/video/motion.js';
import { readImage } from '../src/io/image.js';
import type { RgbImage } from '../src/media.js';
import { packageRoot } from '../src/paths.js';

let photo: RgbImage;
beforeAll(async () => {
  const p = await readImage(path.join(packageRoot(), 'samples', 'landscape.png'));
  photo = { width: p.width, height: p.height, data: p.data };
});

const still = (over: Partial<ClipSpec['path']> = {}): ClipSpec => ({
  width: 128,
  height: 96,
  frames: 3,
  path: { x: 200, y: 160, vx: 0, vy: 0, scale: 1, zoom: 1, angle: 0, spin: 0, ...over },
  noise: 0,
  seed: 1,
});

describe('synthetic clips', () => {
  it('pans by whole pixels exactly, and by quarter pixels where the motion search finds them', () => {
    const whole = synthesizeClip(photo, still({ vx: 3, vy: -2 }));
    const [a, b] = [whole.frames[0]!.data, whole.frames[1]!.data];
    // Frame 1 at (x, y) is frame 0 at (x + 3, y − 2).
    for (let y = 2; y < 96; y++) for (let x = 0; x < 125; x++) for (let c = 0; c < 3; c++) expect(b[(y * 128 + x) * 3 + c]).toBe(a[((y - 2) * 128 + x + 3) * 3 + c]);
    const quarter = synthesizeClip(photo, { ...still({ vx: 1.25, vy: 0.5 }), width: 192, height: 128 });
    const f = estimateMotion(quarter.frames[1]!.data, quarter.frames[0]!.data, 192, 128, { lambda: 4 });
    let hits = 0;
    for (let by = 1; by < f.bh - 1; by++) for (let bx = 1; bx < f.bw - 1; bx++) hits += f.mv[2 * (by * f.bw + bx)] === 5 && f.mv[2 * (by * f.bw + bx) + 1] === 2 ? 1 : 0;
    expect(hits).toBeGreaterThan(0.8 * (f.bw - 2) * (f.bh - 2));
  });

  it('zooms and rotates about the frame centre, and moves a sprite on its own path over the picture', () => {
    const zoom = synthesizeClip(photo, still({ zoom: 1.05, spin: 0.02 }));
    // The centre sample stays; samples away from the centre move.
    const at = (k: number, x: number, y: number) => zoom.frames[k]!.data[(y * 128 + x) * 3];
    expect(Math.abs(at(1, 64, 48)! - at(0, 64, 48)!)).toBeLessThanOrEqual(1);
    let moved = 0;
    for (let y = 0; y < 96; y += 4) for (let x = 0; x < 128; x += 4) moved += Math.abs(at(1, x, y)! - at(0, x, y)!) > 2 ? 1 : 0;
    expect(moved).toBeGreaterThan(0.2 * 32 * 24);
    const patch: RgbImage = { width: 20, height: 10, data: new Uint8Array(20 * 10 * 3).fill(7) };
    const sprite = synthesizeClip(photo, { ...still(), sprite: { image: patch, x: 10, y: 20, vx: 4, vy: 2 } });
    for (const [k, x, y] of [[0, 10, 20], [2, 18, 24]] as const) {
      const d = sprite.frames[k]!.data;
      expect(d[(y * 128 + x) * 3]).toBe(7);
      expect(d[((y + 8) * 128 + x + 18) * 3 + 2]).toBe(7);
      expect(d[((y - 1) * 128 + x) * 3]).not.toBe(7);
    }
  });

  it('adds fresh noise of the stated size to every frame', () => {
    const clip = synthesizeClip(photo, { ...still(), noise: 3 });
    const clean = synthesizeClip(photo, still());
    let sum = 0;
    let n = 0;
    for (let i = 0; i < clip.frames[0]!.data.length; i++) {
      const e = clip.frames[1]!.data[i]! - clip.frames[0]!.data[i]!;
      const base = clean.frames[0]!.data[i]!;
      if (base < 10 || base > 245) continue; // clipping at 0 and 255 shrinks the noise
      sum += e * e;
      n++;
    }
    // The difference of two frames holds two draws: variance 2σ².
    expect(Math.sqrt(sum / n / 2)).toBeGreaterThan(2.7);
    expect(Math.sqrt(sum / n / 2)).toBeLessThan(3.3);
  });

  it('draws random paths that keep every frame inside the picture', () => {
    const r = rng(5);
    for (let k = 0; k < 24; k++) {
      const spec = randomSpec(photo, photo, 256, 192, 16, k % 4, r);
      const p = spec.path;
      for (const t of [0, 15]) {
        const s = p.scale * p.zoom ** t;
        const a = p.angle + p.spin * t;
        for (const [u, v] of [[-128, -96], [128, -96], [-128, 96], [128, 96]] as const) {
          const x = p.x + p.vx * t + s * (Math.cos(a) * u - Math.sin(a) * v);
          const y = p.y + p.vy * t + s * (Math.sin(a) * u + Math.cos(a) * v);
          expect(x, `clip ${k} frame ${t}`).toBeGreaterThanOrEqual(-1);
          expect(x).toBeLessThanOrEqual(photo.width);
          expect(y).toBeGreaterThanOrEqual(-1);
          expect(y).toBeLessThanOrEqual(photo.height);
        }
      }
    }
  });
});
