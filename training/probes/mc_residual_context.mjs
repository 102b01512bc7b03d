// Probe: what would an entropy context on video-mc's residual be worth? Codes clips with
// video-mc, and for every latent position of every P-frame's residual asks how many bits its y
// symbols would take if the hyperprior's scale index were shifted by an integer d chosen per
// (quality, context), the context drawn from what the decoder knows before the residual:
//   own      the block's skip flag (one 16×16 block per latent position) and whether it is inside
//            the frame (the latent is padded to a multiple of 64)
//   coded    how many of the 3×3 blocks around it carry a residual
//   tex      log2 of the prediction's luma gradient energy in the block (conditioning on the prediction)
//   prev     log2 of the previous P-frame's |ŷ| at that position, summed over channels (previous latents)
// The best d per context is fitted on the same data it is scored on: an upper bound.
//   npx tsc && node training/probes/mc_residual_context.mjs <clip,clip,...> [qualities 2,5,8] [frames 16]
import { readFileSync } from 'node:fs';
import { getCodec } from '../../dist/codecs/registry.js';
import { collectVideo, readVideo } from '../../dist/src/io/video.js';
import { blockGrid, compensate, lumaOf } from '../../dist/codecs/video/motion.js';
import { tileDims } from '../../dist/codecs/image/tiled.js';
import { modelsDir } from '../../dist/src/paths.js';

const [clipList, qList = '2,5,8', nfArg = '16'] = process.argv.slice(2);
if (!clipList) {
  console.error('usage: mc_residual_context.mjs <clip,clip,...> [qualities] [frames]');
  process.exit(1);
}
const bundle = JSON.parse(readFileSync(`${modelsDir()}/video-mc/bundle.json`, 'utf8'));
const { pmfs, offsets } = bundle.y;
const M = bundle.arch.M;
const SHIFTS = [-4, -3, -2, -1, 0, 1, 2, 3];
const bitsOf = (idx, s) => {
  const p = pmfs[idx][s - offsets[idx]];
  return p === undefined || p < 1e-9 ? 30 : -Math.log2(p); // outside the table: an escape, about 30 bits
};
const log2b = (x, cap) => Math.min(cap, Math.floor(Math.log2(x + 1)));
const CONTEXTS = {
  none: () => 0,
  own: (r) => `${r.own}${r.inside}`,
  'own+coded': (r) => `${r.own}${r.inside}/${r.coded}`,
  tex: (r) => log2b(r.tex, 12),
  prev: (r) => (r.prev < 0 ? -1 : log2b(r.prev / 8, 7)),
  'own+coded+tex': (r) => `${r.own}${r.inside}/${r.coded}/${log2b(r.tex, 12)}`,
  'own+coded+prev': (r) => `${r.own}${r.inside}/${r.coded}/${r.prev < 0 ? -1 : log2b(r.prev / 8, 7)}`,
};

const codec = await getCodec('video-mc');
const period = codec.intraPeriod;
const rows = new Map(); // quality -> [{ own, inside, coded, tex, prev, bits[] }]
for (const clip of clipList.split(',')) {
  const all = await collectVideo(await readVideo(clip));
  const nf = Math.min(Number(nfArg), all.frames.length);
  const video = { ...all, frames: all.frames.slice(0, nf), frameCount: nf };
  const { width: w, height: h } = video;
  const { bw, bh } = blockGrid(w, h);
  const { yh, yw } = tileDims({ x: 0, y: 0, w, h }); // one tile: clips up to 1024
  for (const q of qList.split(',').map(Number)) {
    const bytes = await codec.encode(video, q);
    const entries = await codec.decodeSymbols(bytes); // intra latents; per P-frame its motion, then its residual latents
    const recon = (await collectVideo(await codec.decode(bytes))).frames.map((f) => f.data);
    const out = rows.get(q) ?? [];
    let k = 0;
    let prevMag;
    for (let f = 0; f < nf; f++) {
      if (f % period === 0) {
        k++;
        prevMag = undefined;
        continue;
      }
      const m = entries[k++].symbols;
      const n = bw * bh;
      const field = { bw, bh, mv: m.slice(0, 2 * n), skip: Uint8Array.from(m.subarray(2 * n, 3 * n)), filter: Uint8Array.from(m.subarray(3 * n)) };
      if (field.skip.every((s) => s === 1)) {
        prevMag = undefined;
        continue;
      }
      const lat = entries[k++];
      const luma = lumaOf(compensate(recon[f - 1], w, h, field), w, h);
      const mag = new Float64Array(yh * yw);
      for (let c = 0; c < M; c++) for (let p = 0; p < yh * yw; p++) mag[p] += Math.abs(lat.symbols[c * yh * yw + p]);
      for (let by = 0; by < yh; by++) {
        for (let bx = 0; bx < yw; bx++) {
          const p = by * yw + bx;
          const inside = by < bh && bx < bw ? 1 : 0;
          let coded = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = by + dy, xx = bx + dx;
              if (yy >= 0 && xx >= 0 && yy < bh && xx < bw && !field.skip[yy * bw + xx]) coded++;
            }
          }
          let tex = 0;
          if (inside) {
            for (let y = by * 16; y < Math.min(h, by * 16 + 16); y++) {
              for (let x = bx * 16; x < Math.min(w, bx * 16 + 16) - 1; x++) {
                tex += Math.abs(luma[y * w + x] - luma[y * w + x + 1]) + (y + 1 < h ? Math.abs(luma[y * w + x] - luma[(y + 1) * w + x]) : 0);
              }
            }
          }
          const bits = SHIFTS.map((d) => {
            let s = 0;
            for (let c = 0; c < M; c++) {
              const i = c * yh * yw + p;
              s += bitsOf(Math.min(pmfs.length - 1, Math.max(0, lat.index[i] + d)), lat.symbols[i]);
            }
            return s;
          });
          out.push({ own: inside ? 1 - field.skip[by * bw + bx] : 0, inside, coded, tex, prev: prevMag ? prevMag[p] : -1, bits });
        }
      }
      prevMag = mag;
    }
    rows.set(q, out);
  }
}

const zero = SHIFTS.indexOf(0);
for (const [q, out] of rows) {
  const base = out.reduce((s, r) => s + r.bits[zero], 0);
  const parts = Object.entries(CONTEXTS).map(([name, ctx]) => {
    const sums = new Map();
    for (const r of out) {
      const key = ctx(r);
      const a = sums.get(key) ?? SHIFTS.map(() => 0);
      r.bits.forEach((b, j) => (a[j] += b));
      sums.set(key, a);
    }
    let best = 0;
    for (const a of sums.values()) best += Math.min(...a);
    return `${name} ${((best / base - 1) * 100).toFixed(1)} % (${sums.size})`;
  });
  console.log(`q${q}: residual y ${(base / 8000).toFixed(1)} kB; best shift per context: ${parts.join('; ')}`);
}
