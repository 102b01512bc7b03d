/**
 * Published RD curves to compare against (e.g. CompressAI's Kodak results, stored as
 * `../shared/data/images/reference/published_kodak_rd.json` beside the repository), and
 * the BD-rate of measured codecs against their published counterparts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { bdRate, msSsimDb } from './bdrate.js';
import { loadPublishedReference, type ReferenceCurve } from './report.js';
import type { EvalPoint, EvalResults } from './types.js';

/** Published curves, parsed by the one parser (`loadPublishedReference`, report.ts). */
export type ReferenceCurves = ReferenceCurve[];
export type { ReferenceCurve };

/** Published curve key that a codec of this project reproduces (baselines; learned models by name). */
export const REFERENCE_COUNTERPARTS: Readonly<Record<string, string>> = {
  jpeg: 'jpeg',
  webp: 'webp',
  x265: 'bpg_444_x265_ycbcr',
};

/** Published learned models drawn beside learned codecs, for scale. */
const PUBLISHED_LEARNED = ['bmshj2018-hyperprior_mse_cpu', 'mbt2018-mean_mse_cpu', 'mbt2018-mean_ms-ssim_cpu'];

/** The curves worth drawing next to these codecs: their published counterparts, and a few
 * published learned models when a learned codec is among them (all 13 make a plot unreadable). */
export function plottedReference(reference: ReferenceCurves, codecs: readonly string[]): ReferenceCurves {
  const keys = new Set(codecs.map((c) => REFERENCE_COUNTERPARTS[c] ?? c));
  if (codecs.some((c) => !(c in REFERENCE_COUNTERPARTS))) PUBLISHED_LEARNED.forEach((k) => keys.add(k));
  return reference.filter((c) => c.id !== undefined && keys.has(c.id));
}

/** `../shared/data/images/reference/published_kodak_rd.json` relative to the repository root. */
export function defaultReferencePath(): string {
  // This file is <root>/src/eval/reference.ts or <root>/dist/src/eval/reference.js.
  let root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (path.basename(root) === 'dist') root = path.dirname(root);
  return path.join(root, '..', 'shared', 'data', 'images', 'reference', 'published_kodak_rd.json');
}

/** Reads published curves in the CompressAI results layout ({ codecs: { key: { name, bpp, psnr, "ms-ssim" } } }). */
export async function loadReferenceCurves(file: string = defaultReferencePath()): Promise<ReferenceCurves> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT' ? `reference curves not found: ${file}` : `cannot read reference curves ${file}: ${(err as Error).message}`,
    );
  }
  try {
    return loadPublishedReference(raw);
  } catch (err) {
    throw new InputError(`${file}: ${(err as Error).message}`);
  }
}

export interface ReferenceComparison {
  codec: string;
  reference: string;
  psnr: number | null;
  ms_ssim: number | null;
}

/** BD-rate (%) of measured points against one published curve, in PSNR and (where the curve
 * has it) MS-SSIM; null where they share no quality range. */
export function bdRateVsCurve(curve: ReferenceCurve, points: readonly EvalPoint[]): { psnr: number | null; ms_ssim: number | null } {
  const withPsnr = curve.points.filter((p) => p.psnr !== undefined);
  const withMs = curve.points.filter((p) => p.ms_ssim !== undefined);
  const measured = (metric: 'psnr' | 'ms_ssim', scale: (v: number) => number) => {
    const ok = points.filter((p) => typeof p.bpp === 'number' && typeof p[metric] === 'number');
    return { rate: ok.map((p) => p.bpp as number), quality: ok.map((p) => scale(p[metric] as number)) };
  };
  const psnr = bdRate({ rate: withPsnr.map((p) => p.bpp), quality: withPsnr.map((p) => p.psnr!) }, measured('psnr', (v) => v));
  const ms = withMs.length
    ? bdRate({ rate: withMs.map((p) => p.bpp), quality: withMs.map((p) => msSsimDb(p.ms_ssim!)) }, measured('ms_ssim', msSsimDb))
    : null;
  return { psnr, ms_ssim: ms };
}

/**
 * BD-rate of each measured codec against its published counterpart (REFERENCE_COUNTERPARTS,
 * or a published curve of the same name): how faithful a baseline is, or where a model sits.
 */
export function compareWithReference(results: EvalResults, reference: ReferenceCurves): ReferenceComparison[] {
  const out: ReferenceComparison[] = [];
  for (const [codec, points] of Object.entries(results.codecs)) {
    const key = REFERENCE_COUNTERPARTS[codec] ?? codec;
    const curve = reference.find((c) => c.id === key);
    if (curve) out.push({ codec, reference: key, ...bdRateVsCurve(curve, points) });
  }
  return out;
}
