/**
 * Image codec speed: encode and decode time of learned models and baselines on the same
 * image in the same run (a Kodak image when ../shared/data is present, else the bundled
 * sample). Times are the median of `repeats` warm runs (sessions created, first run
 * discarded), so the figures compare codecs rather than start-up costs.
 */
import { join } from 'node:path';
import { getCodec } from '../codecs/registry.js';
import type { RgbImage } from '../src/media.js';
import type { Codec } from '../codecs/types.js';
import { readImage } from '../src/io/image.js';
import { psnr } from '../src/metrics/image.js';
import { packageRoot, sharedDataDir } from '../src/paths.js';

export interface CodecTiming {
  quality: number;
  bytes: number;
  bpp: number;
  psnr: number;
  encode_s: number;
  decode_s: number;
}

export function benchImagePath(): string {
  const data = sharedDataDir();
  return data ? join(data, 'images', 'kodak', 'kodim23.png') : join(packageRoot(), 'samples', 'photo.png'); // the same image
}

async function timeIt<T>(fn: () => Promise<T>, repeats: number): Promise<{ value: T; s: number }> {
  let value = await fn(); // warm-up: sessions, caches
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    value = await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { value, s: times[times.length >> 1]! };
}

export async function benchCodec(codec: Codec<'image'>, img: RgbImage, quality: number, repeats = 3): Promise<CodecTiming> {
  const enc = await timeIt(() => codec.encode(img, quality), repeats);
  const dec = await timeIt(() => codec.decode(enc.value), repeats);
  return {
    quality,
    bytes: enc.value.length,
    bpp: (enc.value.length * 8) / (img.width * img.height),
    psnr: psnr(img, dec.value),
    encode_s: enc.s,
    decode_s: dec.s,
  };
}

/** Middle quality of a codec's list (a representative operating point). */
export function middleQuality(codec: Codec<'image'>): number {
  return codec.qualities[Math.floor(codec.qualities.length / 2)]!;
}

export async function benchImages(models: string[], baselines: string[], repeats = 3) {
  const path = benchImagePath();
  const img = await readImage(path);
  const image: Record<string, CodecTiming & { width: number; height: number }> = {};
  for (const name of models) {
    const codec = await getCodec(name, 'image');
    image[name] = { width: img.width, height: img.height, ...(await benchCodec(codec, img, middleQuality(codec), repeats)) };
  }
  const base: Record<string, CodecTiming> = {};
  for (const name of baselines) {
    const codec = await getCodec(name, 'image');
    base[name] = await benchCodec(codec, img, middleQuality(codec), repeats);
  }
  return { file: path.startsWith(packageRoot()) ? path.slice(packageRoot().length + 1) : path.split('/').slice(-3).join('/'), image, baselines: base };
}
