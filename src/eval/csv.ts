/** The eval results as CSV: one row per (codec, quality) point, RFC 4180 quoting. */
import type { EvalResults } from './types.js';

/** Columns: codec, then each point's keys in JSON order (image: quality,bpp,psnr,ms_ssim,enc_s,dec_s). */
export function resultsToCsv(results: EvalResults): string {
  const keys: string[] = [];
  for (const points of Object.values(results.codecs)) {
    for (const p of points) for (const k of Object.keys(p)) if (!keys.includes(k)) keys.push(k);
  }
  const rows = [['codec', ...keys].map(quote).join(',')];
  for (const [codec, points] of Object.entries(results.codecs)) {
    for (const p of points) {
      rows.push([quote(codec), ...keys.map((k) => formatNumber(p[k]))].join(','));
    }
  }
  return rows.join('\n') + '\n';
}

function quote(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatNumber(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
}
