/**
 * Exact decoding across machines (docs/DETERMINISM.md): the golden files in test/golden/ were
 * encoded once (bench/make-golden.ts); on whatever machine runs this test they must decode to the
 * latents recorded in golden.json — ẑ, table indexes, y symbols and means — and to the recorded
 * integer-exact outputs (alpha plane, high-band levels). Encoding may differ in rare elements
 * between CPUs; decoding may not.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GoldenEntry } from '../bench/make-golden.js';
import type { LearnedAudioCodec } from '../codecs/audio/index.js';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import { latentsDigest, type AnyLatents } from '../codecs/learned/hyperprior.js';
import { loadModel } from '../codecs/models.js';
import type { LearnedVideoCodec } from '../codecs/video/index.js';
import type { MotionCompensatedVideoCodec } from '../codecs/video/mc.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import type { Picture, Video } from '../src/media.js';
import { ROOT } from './helpers/cli.js';

const DIR = path.join(ROOT, 'test', 'golden');
const { files } = JSON.parse(readFileSync(path.join(DIR, 'golden.json'), 'utf8')) as { files: GoldenEntry[] };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const REGENERATE = 'if the model was retrained on purpose, regenerate: npm run build && node dist/bench/make-golden.js';

describe('golden files', () => {
  it('cover every shipped model', () => {
    const shipped = (JSON.parse(readFileSync(path.join(ROOT, 'models', 'index.json'), 'utf8')) as { models: { name: string }[] }).models.map((m) => m.name);
    for (const name of shipped) expect(files.filter((f) => f.model === name).length, name).toBeGreaterThanOrEqual(2);
  });

  it.each(files.map((f) => [f.file, f] as const))('%s decodes to its recorded latents and exact outputs', async (_name, g) => {
    const bytes = new Uint8Array(readFileSync(path.join(DIR, g.file)));
    expect(sha(bytes), `${g.file} itself changed`).toBe(g.sha256);
    const header = readContainer(bytes);
    expect(header.model).toBe(g.model);
    expect(header.quality).toBe(g.quality);
    const codec = loadModel(g.model) as LearnedImageCodec | LearnedAudioCodec | LearnedVideoCodec | MotionCompensatedVideoCodec;
    let blocks: AnyLatents[];
    try {
      blocks = await codec.decodeSymbols(bytes);
    } catch (err) {
      throw new Error(`${g.file}: ${(err as Error).message} (${REGENERATE})`);
    }
    expect(blocks.length).toBe(g.blocks);
    const d = latentsDigest(blocks);
    expect(d.symbols, 'ẑ, table indexes and y symbols').toBe(g.symbols_sha256);
    expect(d.means, 'means of y').toBe(g.means_sha256);

    // The whole decode: sizes, and the outputs that are exact by construction.
    const media = await codec.decode(bytes);
    if (header.modality === 'image') {
      const p = media as Picture;
      expect({ width: p.width, height: p.height }).toEqual(g.decoded);
      if (g.alpha_sha256) expect(sha(p.alpha!), 'decoded alpha plane').toBe(g.alpha_sha256);
      else expect(p.alpha).toBeUndefined();
    } else if (header.modality === 'audio') {
      const a = media as { sampleRate: number; channels: Float32Array[] };
      expect({ sampleRate: a.sampleRate, channels: a.channels.length, samples: a.channels[0]!.length }).toEqual(g.decoded);
      const levels = (codec as LearnedAudioCodec).parse(bytes).highband?.levels;
      if (g.highband_sha256) {
        const h = createHash('sha256');
        for (const l of levels!) h.update(new Uint8Array(l.buffer, l.byteOffset, l.byteLength));
        expect(h.digest('hex'), 'decoded high-band levels').toBe(g.highband_sha256);
      } else expect(levels).toBeUndefined();
    } else {
      const v = media as Video;
      let frames = 0;
      for await (const f of v.frames) {
        expect(f.data.length).toBe(v.width * v.height * 3);
        frames++;
      }
      expect({ width: v.width, height: v.height, frames }).toEqual(g.decoded);
    }
  });

  it('notices a changed symbol: one flipped bit in a y stream changes the digest', async () => {
    const g = files.find((f) => f.model === 'hyperprior-mse')!;
    const c = readContainer(new Uint8Array(readFileSync(path.join(DIR, g.file))));
    const y = Uint8Array.from(c.sections[1]!);
    y[y.length >> 1]! ^= 0x10;
    const damaged = writeContainer({ ...c, sections: [c.sections[0]!, y, ...c.sections.slice(2)] });
    const codec = loadModel(g.model) as LearnedImageCodec;
    const digest = await codec.decodeSymbols(damaged).then((b) => latentsDigest(b).symbols, (err: Error) => `refused: ${err.message}`);
    expect(digest).not.toBe(g.symbols_sha256);
  });
});
