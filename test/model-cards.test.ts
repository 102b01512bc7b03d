/**
 * The shipped models' cards: each describes the weights beside it (its hash is the digest of
 * those files, as training/export.py computes it) and states what `lcodec eval` measured on
 * them; image cards carry what issue-level readers look for
 * (architecture, size, compute, training, λ per quality).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelsDir } from '../src/paths.js';

interface Card {
  name: string;
  modality: string;
  architecture: string;
  parameters: number;
  qualities: number[];
  weights_sha256: string;
  /** A video model coded with an installed image model's weights (its name; video-sem: a record of its own copy). */
  base_image_model?: unknown;
  /** Its base model's weights hash (a video model on an installed image model). */
  base_weights_sha256?: string;
  lambdas?: number[];
  macs_per_pixel?: { encoder: number; decoder: number };
  training: { steps: number };
  eval?: { items: number; points: { quality: number; bpp?: number }[] };
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** sha256 over the sha256 hex digests of the graphs and bundles, in name order. */
function filesDigest(dir: string): string {
  const files = readdirSync(dir).filter((f) => (f.endsWith('.onnx') || f.endsWith('.json')) && f !== 'card.json').sort();
  return sha256(files.map((f) => sha256(readFileSync(join(dir, f)))).join(''));
}

const index = JSON.parse(readFileSync(join(modelsDir(), 'index.json'), 'utf8')) as { models: { name: string; card: string }[] };

describe('model cards', () => {
  it('lists every model folder in the index', () => {
    const folders = readdirSync(modelsDir(), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(index.models.map((m) => m.name).sort()).toEqual(folders.sort());
  });

  for (const entry of index.models) {
    const dir = join(modelsDir(), entry.name);
    const card = JSON.parse(readFileSync(join(modelsDir(), entry.card), 'utf8')) as Card;

    it(`${entry.name}: the hash is that of the shipped weights`, () => {
      expect(card.name).toBe(entry.name);
      if (typeof card.base_image_model === 'string') {
        // A codec on another model's weights and its own (the residual coder): its hash
        // covers both, so a file made on other base weights is refused.
        expect(card.base_weights_sha256).toBe(filesDigest(join(modelsDir(), card.base_image_model)));
        expect(card.weights_sha256).toBe(sha256(filesDigest(dir) + card.base_weights_sha256));
      } else expect(card.weights_sha256).toBe(filesDigest(dir));
    });

    it(`${entry.name}: states its measured results`, () => {
      expect(card.eval, 'card has no eval: run lcodec eval and bench/card-results.js').toBeDefined();
      expect(card.eval!.items).toBeGreaterThan(0);
      // Video evaluations may measure every other quality (they are slow); all are real ones.
      const measured = card.eval!.points.map((p) => p.quality);
      expect(measured.length).toBeGreaterThanOrEqual(4);
      for (const q of measured) expect(card.qualities).toContain(q);
      expect(card.training.steps).toBeGreaterThan(0);
    });

    if (card.modality === 'image' && entry.name.startsWith('hyperprior-')) {
      it(`${entry.name}: architecture, compute and λ per quality`, () => {
        expect(card.architecture).toMatch(/hyperprior/);
        expect(card.parameters).toBeGreaterThan(0);
        expect(card.lambdas).toHaveLength(card.qualities.length);
        expect(card.macs_per_pixel!.encoder).toBeGreaterThan(1000);
        expect(card.macs_per_pixel!.decoder).toBeGreaterThan(1000);
        expect(card.eval!.points.map((p) => p.quality)).toEqual(card.qualities);
        const bpp = card.eval!.points.map((p) => p.bpp!);
        for (let i = 1; i < bpp.length; i++) expect(bpp[i]).toBeGreaterThan(bpp[i - 1]!);
      });
    }
  }
});
