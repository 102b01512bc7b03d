/**
 * The scale-index context of audio-mdct (codecs/learned/scale-context.ts), with the tables of
 * the installed model: it moves an index toward what the decoded neighbours show, leaves the
 * latent's edges alone, and the sequential decoder gets back the symbols and indexes the
 * encoder used, from the real rANS coder.
 */
import { describe, expect, it } from 'vitest';
import { loadMdctModelFiles } from '../codecs/audio/bundle.js';
import { LatentCoder } from '../codecs/learned/latent-coder.js';
import { ScaleContext } from '../codecs/learned/scale-context.js';
import { EntropyDecodeError } from '../entropy/index.js';
import { join } from 'node:path';
import { modelsDir } from '../src/paths.js';

const bundle = loadMdctModelFiles(join(modelsDir(), 'audio-mdct')).bundle;
const tables = bundle.y.scale_table.length;
const context = new ScaleContext(bundle.context!, tables);

/** A deterministic pseudo-random generator (xorshift32) in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

describe('scale-index context', () => {
  it('raises the index where the neighbours came out larger than their scales, lowers it where smaller, and leaves the edges', () => {
    const C = 8;
    const T = 10;
    const index = new Int32Array(C * T).fill(30);
    const quiet = new Int32Array(C * T); // every neighbour 0: far below scale 30's mean
    const loud = new Int32Array(C * T).fill(400);
    const at = (c: number, t: number): number => c * T + t;
    const down = context.adjust(quiet, index, T);
    const up = context.adjust(loud, index, T);
    expect(down[at(4, 6)]).toBeLessThan(30);
    expect(up[at(4, 6)]).toBeGreaterThan(30);
    // Rows 0 and 1 miss a neighbour two rows down; the first columns miss earlier frames, the last column the next.
    const reach = Math.max(...bundle.context!.neighbours.map((n) => n[1]));
    for (const [c, t] of [[0, 6], [1, 6], [4, 0], [4, reach - 1], [4, T - 1]] as const) {
      expect(down[at(c, t)]).toBe(30);
      expect(up[at(c, t)]).toBe(30);
    }
  });

  it('decodes, one symbol at a time, the symbols and indexes the encoder used; a damaged stream is refused', () => {
    const coder = new LatentCoder(bundle);
    const C = 40;
    const T = 50;
    const r = rng(7);
    const index = new Int32Array(C * T);
    const symbols = new Int32Array(C * T);
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < T; t++) {
        // smooth scales, symbols drawn near them (a Laplacian-ish spread)
        const k = Math.max(0, Math.min(tables - 1, Math.round(20 + 12 * Math.sin(c / 5) + 6 * Math.cos(t / 7))));
        index[c * T + t] = k;
        const s = bundle.y.scale_table[k]!;
        symbols[c * T + t] = Math.round(-Math.log(1 - r()) * s * (r() < 0.5 ? -1 : 1));
      }
    }
    const used = context.adjust(symbols, index, T);
    const bytes = coder.encodeY(symbols, used);
    const back = coder.decodeYWith(bytes, index, context.forColumns(T));
    expect(Array.from(back.symbols)).toEqual(Array.from(symbols));
    expect(Array.from(back.index)).toEqual(Array.from(used));
    expect(used.some((v, i) => v !== index[i])).toBe(true);
    const bad = bytes.slice();
    bad[Math.floor(bad.length / 2)]! ^= 0x5a;
    let refused = false;
    try {
      const out = coder.decodeYWith(bad, index, context.forColumns(T));
      refused = Array.from(out.symbols).some((v, i) => v !== symbols[i]);
    } catch (e) {
      refused = e instanceof EntropyDecodeError;
    }
    expect(refused).toBe(true);
  });

  it('refuses tables whose products could leave exact integer arithmetic', () => {
    const b = bundle.context!;
    expect(() => new ScaleContext({ ...b, neighbours: [[0, 1, 65]] }, tables)).toThrow(RangeError);
    expect(() => new ScaleContext({ ...b, neighbours: [[0, 0, 1]] }, tables)).toThrow(RangeError); // not decoded before
    expect(() => new ScaleContext({ ...b, thresholds: [...b.thresholds].reverse() }, tables)).toThrow(RangeError);
    expect(() => new ScaleContext({ ...b, mean_abs: b.mean_abs.slice(1) }, tables)).toThrow(RangeError);
  });
});
