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
import type { EvalResults } from './types.js';

/** One published curve (bpp ascending as published; ms_ssim may be absent). */
export interface ReferenceCurve {
  /** Display name, e.g. "BPG 8b 444 x265 ycbcr". */
  name: string;
  bpp: number[];
  psnr: number[];
  ms_ssim?: number[];
}

export interface ReferenceCurves {
  /** Where the numbers come from. */
  source?: string;
  /** By key as in the file (e.g. `jpeg`, `bpg_444_x265_ycbcr`). */
  curves: Record<string, ReferenceCurve>;
}

/** Published curve key that a codec of this project reproduces (baselines; learned models by name). */
export const REFERENCE_COUNTERPARTS: Readonly<Record<string, string>> = {
  jpeg: 'jpeg',
  webp: 'webp',
  x265: 'bpg_444_x265_ycbcr',
};

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
  const codecs = (raw as { codecs?: unknown }).codecs;
  if (typeof codecs !== 'object' || codecs === null) throw new InputError(`${file}: no "codecs" object`);
  const curves: Record<string, ReferenceCurve> = {};
  for (const [key, value] of Object.entries(codecs as Record<string, Record<string, unknown>>)) {
    const nums = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
    const bpp = nums(value.bpp);
    const psnr = nums(value.psnr);
    const ms = nums(value['ms-ssim'] ?? value.ms_ssim);
    if (!bpp || !psnr || bpp.length !== psnr.length) throw new InputError(`${file}: curve ${key} lacks bpp/psnr arrays`);
    curves[key] = { name: typeof value.name === 'string' ? value.name : key, bpp, psnr, ...(ms ? { ms_ssim: ms } : {}) };
  }
  const source = (raw as { source?: unknown }).source;
  return { ...(typeof source === 'string' ? { source } : {}), curves };
}

export interface ReferenceComparison {
  codec: string;
  reference: string;
  psnr: number | null;
  ms_ssim: number | null;
}

/**
 * BD-rate of each measured codec against its published counterpart (REFERENCE_COUNTERPARTS,
 * or a published curve of the same name): how faithful a baseline is, or where a model sits.
 */
export function compareWithReference(results: EvalResults, reference: ReferenceCurves): ReferenceComparison[] {
  const out: ReferenceComparison[] = [];
  for (const [codec, points] of Object.entries(results.codecs)) {
    const key = REFERENCE_COUNTERPARTS[codec] ?? (codec in reference.curves ? codec : undefined);
    const ref = key === undefined ? undefined : reference.curves[key];
    if (!ref || key === undefined) continue;
    const measured = (metric: 'psnr' | 'ms_ssim', scale: (v: number) => number) => {
      const ok = points.filter((p) => typeof p.bpp === 'number' && typeof p[metric] === 'number');
      return { rate: ok.map((p) => p.bpp as number), quality: ok.map((p) => scale(p[metric] as number)) };
    };
    const psnr = bdRate({ rate: ref.bpp, quality: ref.psnr }, measured('psnr', (v) => v));
    const ms = ref.ms_ssim
      ? bdRate({ rate: ref.bpp, quality: ref.ms_ssim.map(msSsimDb) }, measured('ms_ssim', msSsimDb))
      : null;
    out.push({ codec, reference: key, psnr, ms_ssim: ms });
  }
  return out;
}
