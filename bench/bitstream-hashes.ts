/**
 * Bitstream fingerprints: encodes a fixed set of inputs with every installed learned model at
 * its lowest, a middle and its highest quality and prints the sha256 of each `.lc` file and of
 * what it decodes to. Run before and after a change that must not alter the format (a
 * refactor): the two outputs must be identical on the same machine (encoding runs float
 * transforms, so another CPU may differ in rare elements; test/golden.test.ts checks decoding
 * across machines).
 *
 *   node dist/bench/bitstream-hashes.js > before.json   # ... change ...   then diff the outputs
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { listModels, loadModel, type Audio, type Codec, type RgbImage, type Video, type VideoFrame } from '../src/index.js';
import { packageRoot } from '../src/paths.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** sha256 of decoded media: pixels, or the float samples' bytes, frame after frame. */
async function mediaHash(m: RgbImage | Audio | Video): Promise<string> {
  const h = createHash('sha256');
  if ('sampleRate' in m) for (const c of m.channels) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  else if ('fps' in m) for await (const f of m.frames) h.update(f.data);
  else h.update(m.data);
  return h.digest('hex');
}

/** A deterministic chirp plus harmonics and seeded noise, `seconds` long. */
function signal(sampleRate: number, seconds: number, channels: number): Audio {
  const n = Math.round(sampleRate * seconds);
  let s = 12345;
  return {
    sampleRate,
    channels: Array.from({ length: channels }, (_, c) => {
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const t = i / sampleRate;
        s = (s * 1103515245 + 12345) >>> 0;
        x[i] = 0.3 * Math.sin(2 * Math.PI * (220 + 180 * t) * t * (c + 1)) + 0.1 * Math.sin(2 * Math.PI * 3300 * t) + 0.02 * ((s >>> 16) / 65536 - 0.5);
      }
      return x;
    }),
  };
}

/** Frames of a crop that moves two pixels right per frame. */
function frames(src: RgbImage, w: number, h: number, count: number): VideoFrame[] {
  return Array.from({ length: count }, (_, f) => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) data.set(src.data.subarray((y * src.width + 2 * f) * 3, (y * src.width + 2 * f + w) * 3), y * w * 3);
    return { width: w, height: h, data };
  });
}

async function main(): Promise<void> {
  const { data, info } = await sharp(join(packageRoot(), 'samples', 'landscape.png'))
    .extract({ left: 96, top: 48, width: 150, height: 100 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const crop: RgbImage = { width: info.width, height: info.height, data: new Uint8Array(data) };
  const out: Record<string, string> = {};
  const record = async (key: string, codec: Codec, bytes: Uint8Array): Promise<void> => {
    out[key] = sha(bytes);
    out[`${key}/decoded`] = await mediaHash(await codec.decode(bytes));
  };
  for (const card of listModels()) {
    const codec = loadModel(card.name) as Codec;
    const qs = codec.qualities;
    const picks = [...new Set([qs[0]!, qs[Math.floor(qs.length / 2)]!, qs[qs.length - 1]!])];
    for (const q of picks) {
      if (card.modality === 'image') {
        const enc = codec.encode as (m: RgbImage, q: number, o?: { tile?: number }) => Promise<Uint8Array>;
        await record(`${card.name}/q${q}/crop`, codec, await enc.call(codec, crop, q));
        await record(`${card.name}/q${q}/crop-tile64`, codec, await enc.call(codec, crop, q, { tile: 64 }));
      } else if (card.modality === 'audio') {
        await record(`${card.name}/q${q}/mono24k`, codec, await codec.encode(signal(24000, 1.3, 1) as never, q));
        await record(`${card.name}/q${q}/stereo48k`, codec, await codec.encode(signal(48000, 1.1, 2) as never, q));
      } else {
        const video: Video = { width: 96, height: 64, fps: [25, 1], frames: frames(crop, 96, 64, 4) };
        await record(`${card.name}/q${q}/clip`, codec, await codec.encode(video as never, q));
        const p2 = loadModel(card.name, {}, { intraPeriod: 2 }) as Codec;
        await record(`${card.name}/q${q}/clip-period2`, p2, await p2.encode(video as never, q));
      }
    }
  }
  console.log(JSON.stringify(out, null, 2));
}

await main();
