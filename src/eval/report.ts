/**
 * What `lcodec eval --plot/--report` writes: RD plots (SVG) and a self-contained HTML
 * report of an evaluation's results JSON (docs/EVAL.md, "Results JSON"). Pure functions:
 * they take parsed data and return text; the CLI does the file I/O.
 */
import type { EvalPoint, EvalResults } from './types.js';
import type { Modality } from '../media.js';
import { InputError } from '../errors.js';
import { decimalsFor, escapeXml, finite, formatFixed } from './format.js';
import { compareKeys, isDistortionMetric, metricInfo } from './metric-info.js';
import { codecColor, isLearned, plottedMetric, renderRdSvg, type RdPlotOptions } from './rd-plot.js';

export { renderRdSvg, inferLearned, type RdPlotOptions } from './rd-plot.js';

/** One quality level of one codec, averaged over the items (docs/EVAL.md, "Results JSON"). */
/** The eval results (docs/EVAL.md keys) and their points, as the runner produces them. */
export type { EvalResults };
export type RdPoint = EvalPoint;

export interface ReferenceCurve {
  name: string;
  points: { bpp: number; psnr?: number; ms_ssim?: number }[];
  /** Key in the source file, e.g. `bmshj2018-hyperprior_mse_cpu`: handy for picking curves. */
  id?: string;
  description?: string;
}

export interface HtmlReportOptions {
  reference?: ReferenceCurve[];
  title?: string;
  /** Shown as given (the report itself never reads the clock, so it stays reproducible). */
  generatedAt?: string;
  /** The command line that produced the results. */
  command?: string;
  /** Names of the learned codecs; default: inferred from the names. */
  learned?: string[];
}

// ---------------------------------------------------------------------------------------
// Published reference curves

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function numbers(value: unknown, where: string, required: boolean): (number | undefined)[] | undefined {
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value)) {
    throw new InputError(`published reference: ${where} must be an array of numbers`);
  }
  return value.map((v) => finite(v));
}

function firstKey(data: Record<string, unknown>, keys: string[]): string | undefined {
  return keys.find((key) => data[key] !== undefined);
}

/** `bmshj2018-hyperprior_mse_cpu` → `MSE`: the training objective, which the display name omits. */
function objectiveOf(key: string): string | undefined {
  const match = /[_-](mse|ms-ssim|ms_ssim|msssim)(?:[_-](?:cpu|cuda|gpu))?$/i.exec(key);
  if (match === null) return undefined;
  return match[1]!.toLowerCase() === 'mse' ? 'MSE' : 'MS-SSIM';
}

/**
 * Parses published RD curves: `{ codecs: { <key>: { name, bpp: [...], psnr: [...],
 * "ms-ssim": [...] } } }` (the shared Kodak file), also accepting CompressAI's own layout
 * where the arrays sit under `results` (`psnr-rgb`, `ms-ssim-rgb`). Learned entries trained
 * for different objectives share a display name, so the objective is added to it.
 * Throws InputError naming the bad field.
 */
export function loadPublishedReference(json: unknown): ReferenceCurve[] {
  if (!isRecord(json) || !isRecord(json.codecs)) {
    throw new InputError('published reference: expected a JSON object with a "codecs" object');
  }
  const curves: ReferenceCurve[] = [];
  for (const [key, entry] of Object.entries(json.codecs)) {
    if (!isRecord(entry)) throw new InputError(`published reference: codecs.${key} must be an object`);
    const data = isRecord(entry.results) ? entry.results : entry;
    const base = isRecord(entry.results) ? `codecs.${key}.results` : `codecs.${key}`;
    const bpp = numbers(data.bpp, `${base}.bpp`, true)!;
    const psnrKey = firstKey(data, ['psnr', 'psnr-rgb', 'psnr_rgb']);
    const msSsimKey = firstKey(data, ['ms_ssim', 'ms-ssim', 'ms-ssim-rgb', 'ms_ssim_rgb']);
    const psnr = psnrKey !== undefined ? numbers(data[psnrKey], `${base}.${psnrKey}`, false) : undefined;
    const msSsim = msSsimKey !== undefined ? numbers(data[msSsimKey], `${base}.${msSsimKey}`, false) : undefined;

    const points: ReferenceCurve['points'] = [];
    bpp.forEach((rate, i) => {
      if (rate === undefined || rate < 0) return;
      const point: ReferenceCurve['points'][number] = { bpp: rate };
      const p = psnr?.[i];
      const m = msSsim?.[i];
      if (p !== undefined) point.psnr = p;
      if (m !== undefined) point.ms_ssim = m;
      points.push(point);
    });
    points.sort((a, b) => a.bpp - b.bpp);

    let name = typeof entry.name === 'string' && entry.name.trim().length > 0 ? entry.name.trim() : key;
    const objective = objectiveOf(key);
    if (objective !== undefined && !name.toLowerCase().includes(objective.toLowerCase())) name = `${name} [${objective}]`;
    const curve: ReferenceCurve = { name, points, id: key };
    if (typeof entry.description === 'string') curve.description = entry.description;
    curves.push(curve);
  }
  // Names must tell curves apart in a legend.
  const seen = new Map<string, number>();
  for (const curve of curves) seen.set(curve.name, (seen.get(curve.name) ?? 0) + 1);
  for (const curve of curves) if ((seen.get(curve.name) ?? 0) > 1) curve.name = `${curve.name} (${curve.id})`;
  return curves;
}

// ---------------------------------------------------------------------------------------
// HTML report

const CSS = `
:root { color-scheme: light; --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 0 0 14px; }
h3 { font-size: 15px; margin: 0 0 8px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace;
  background: #eceef2; padding: 1px 6px; border-radius: 4px; overflow-wrap: anywhere; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin-top: 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 0; }
.card dt { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.06em; }
.card dd { margin: 2px 0 0; font-size: 19px; font-weight: 600; overflow-wrap: anywhere; }
.highlights { margin: 14px 0 0; padding-left: 20px; }
.details { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 14px 0 0; font-size: 13.5px; }
.details dt { color: var(--muted); }
.details dd { margin: 0; overflow-wrap: anywhere; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 18px; }
figure { margin: 0; min-width: 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { font-weight: 600; color: #374151; background: #f9fafb; border-bottom: 2px solid #d1d5db; }
td.na { color: #9ca3af; }
.bd td.bd { font-weight: 600; }
.bd td.best { outline: 2px solid #15803d; outline-offset: -3px; }
.note { color: var(--muted); font-size: 13px; margin: 10px 0 0; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 3px; flex: none; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; line-height: 1.6; padding: 0 7px; border-radius: 999px; border: 1px solid; }
.badge.learned { color: #1d4ed8; border-color: #bfdbfe; background: #eff6ff; }
.badge.baseline { color: #4b5563; border-color: #d1d5db; background: #f3f4f6; }
.badge.anchor { color: #92400e; border-color: #fcd34d; background: #fffbeb; }
.codec-cell { display: inline-flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.points { display: flex; flex-wrap: wrap; gap: 22px 36px; align-items: flex-start; }
.codec-points { flex: 0 1 auto; max-width: 100%; min-width: 0; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 18px; }
footer p { margin: 4px 0; }
@media print { body { background: #fff; } section { border: none; padding: 0; break-inside: avoid; } }
`;

const KNOWN_TOP_LEVEL = new Set(['modality', 'items', 'anchor', 'codecs', 'bd_rate']);

function codecEntries(results: EvalResults): [string, unknown[]][] {
  const codecs: unknown = results.codecs;
  if (!isRecord(codecs)) return [];
  return Object.entries(codecs).map(([name, points]) => [name, Array.isArray(points) ? points : []]);
}

function pointRecords(points: unknown[]): Record<string, unknown>[] {
  return points.filter(isRecord);
}

/** Numeric keys present in any of the points, in reading order. */
function numericKeys(points: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const point of points) for (const [key, value] of Object.entries(point)) if (finite(value) !== undefined) keys.add(key);
  return [...keys].sort(compareKeys);
}

/** x axis of the report's plots: kbps for audio when present, otherwise bpp. */
function chooseRateKey(modality: string, keys: string[]): string {
  const preferred = modality === 'audio' ? ['kbps', 'bpp'] : ['bpp', 'kbps'];
  return preferred.find((key) => keys.includes(key)) ?? preferred[0]!;
}

function badge(kind: 'learned' | 'baseline' | 'anchor'): string {
  return `<span class="badge ${kind}">${kind}</span>`;
}

function codecCell(name: string, index: number, results: EvalResults, learned?: readonly string[]): string {
  const kind = isLearned(name, learned) ? 'learned' : 'baseline';
  const anchor = name === results.anchor ? badge('anchor') : '';
  return `<span class="codec-cell"><span class="swatch" style="background:${codecColor(index)}"></span>${escapeXml(name)} ${badge(kind)}${anchor}</span>`;
}

function formatBd(value: number): string {
  return `${value > 0 ? '+' : ''}${formatFixed(value, 1)}\u2009%`;
}

/** Green for savings, red for extra bits; stronger with the size of the difference. */
function bdStyle(value: number): string {
  const alpha = (0.1 + 0.45 * Math.min(1, Math.abs(value) / 40)).toFixed(2);
  if (value < 0) return `background:rgba(22,163,74,${alpha});color:#14532d`;
  if (value > 0) return `background:rgba(220,38,38,${alpha});color:#7f1d1d`;
  return '';
}

function bdTable(results: EvalResults, names: string[], learned?: readonly string[]): string {
  const bd: Record<string, unknown> = isRecord(results.bd_rate) ? results.bd_rate : {};
  const rows = [...names, ...Object.keys(bd).filter((name) => !names.includes(name))];
  const metricSet = new Set<string>();
  for (const name of rows) {
    const entry = bd[name];
    if (isRecord(entry)) for (const [key, value] of Object.entries(entry)) if (finite(value) !== undefined) metricSet.add(key);
  }
  const metrics = [...metricSet].sort(compareKeys);
  if (rows.length === 0) return '<p class="note">No codecs in these results.</p>';

  const best = new Map<string, number>();
  for (const metric of metrics) {
    const values = rows.filter((n) => n !== results.anchor).map((n) => finite((bd[n] as Record<string, unknown> | undefined)?.[metric]));
    const defined = values.filter((v): v is number => v !== undefined);
    if (defined.length > 1) best.set(metric, Math.min(...defined));
  }

  const head = `<tr><th>Codec</th>${metrics.map((m) => `<th>BD-rate ${escapeXml(metricInfo(m).name)}</th>`).join('')}</tr>`;
  const body = rows.map((name) => {
    const index = names.indexOf(name);
    const entry = isRecord(bd[name]) ? (bd[name] as Record<string, unknown>) : {};
    const cells = metrics.map((metric) => {
      const value = finite(entry[metric]);
      if (name === results.anchor) return `<td class="na" title="the anchor">anchor</td>`;
      if (value === undefined) return `<td class="na" title="no overlapping quality range">\u2014</td>`;
      const cls = `bd ${value < 0 ? 'better' : value > 0 ? 'worse' : 'same'}${best.get(metric) === value ? ' best' : ''}`;
      return `<td class="${cls}" style="${bdStyle(value)}">${escapeXml(formatBd(value))}</td>`;
    });
    const label = index >= 0 ? codecCell(name, index, results, learned) : escapeXml(name);
    return `<tr><td>${label}</td>${cells.join('')}</tr>`;
  });
  const empty = metrics.length === 0 ? '<p class="note">No BD-rate values in these results.</p>' : '';
  return `<div class="table-wrap"><table class="bd"><thead>${head}</thead><tbody>${body.join('')}</tbody></table></div>${empty}`;
}

/** Decimals per key, shared by all codecs' tables so a column reads the same everywhere. */
function columnDecimals(points: Record<string, unknown>[], keys: string[]): Map<string, number> {
  const decimals = new Map<string, number>();
  for (const key of keys) {
    const values = points.map((p) => finite(p[key])).filter((v): v is number => v !== undefined);
    const fixed = metricInfo(key).decimals;
    if (fixed !== undefined && !(key === 'quality' && values.some((v) => !Number.isInteger(v)))) {
      decimals.set(key, fixed);
      continue;
    }
    const timing = /(_s|_ms|_sec|time)$/.test(key);
    const maxAbs = Math.max(0, ...values.map(Math.abs));
    decimals.set(key, decimalsFor(maxAbs, key === 'quality' || timing ? 3 : 4));
  }
  return decimals;
}

function pointsTable(points: Record<string, unknown>[], decimals: Map<string, number>): string {
  if (points.length === 0) return '<p class="note">No points.</p>';
  const keys = numericKeys(points);
  const head = `<tr>${keys.map((key) => `<th>${escapeXml(metricInfo(key).header)}</th>`).join('')}</tr>`;
  const rows = points.map((point) => {
    const cells = keys.map((key) => {
      const value = finite(point[key]);
      return value === undefined ? '<td class="na">\u2014</td>' : `<td>${escapeXml(formatFixed(value, decimals.get(key) ?? 3))}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table class="points-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function highlights(results: EvalResults, names: string[]): string {
  const bd = isRecord(results.bd_rate) ? results.bd_rate : {};
  const lines: string[] = [];
  const metrics = new Set<string>();
  for (const entry of Object.values(bd)) if (isRecord(entry)) for (const key of Object.keys(entry)) metrics.add(key);
  for (const metric of [...metrics].sort(compareKeys)) {
    let bestName: string | undefined;
    let bestValue = Infinity;
    for (const name of names) {
      if (name === results.anchor) continue;
      const value = finite((bd[name] as Record<string, unknown> | undefined)?.[metric]);
      if (value !== undefined && value < bestValue) [bestName, bestValue] = [name, value];
    }
    if (bestName !== undefined) {
      lines.push(`<li>Best BD-rate (${escapeXml(metricInfo(metric).name)}) vs ${escapeXml(results.anchor)}: <strong>${escapeXml(bestName)}</strong>, ${escapeXml(formatBd(bestValue))}</li>`);
    }
  }
  return lines.length > 0 ? `<ul class="highlights">${lines.join('')}</ul>` : '';
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function plotCaption(metric: string, rateKey: string, hasReference: boolean): string {
  const info = plottedMetric(metric);
  const notes: string[] = [];
  if (metric === 'ms_ssim') notes.push('MS-SSIM is plotted in dB, \u221210\u00B7log\u2081\u2080(1 \u2212 MS-SSIM), as in the literature; the tables list raw values.');
  if (info.lowerIsBetter) notes.push(`Lower ${escapeXml(info.name.toLowerCase())} is better.`);
  notes.push('Solid lines: learned codecs; dashed: classical baselines.');
  if (hasReference && rateKey === 'bpp') notes.push('Dotted: published curves (other hardware and implementations), clipped to this evaluation\u2019s rate range.');
  return notes.join(' ');
}

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, no external resources):
 * summary, one RD plot per metric, the BD-rate table against the anchor, and every
 * measured point per codec. All strings from the results are escaped.
 */
export function renderHtmlReport(results: EvalResults, opts: HtmlReportOptions = {}): string {
  const entries = codecEntries(results);
  const names = entries.map(([name]) => name);
  const allPoints = entries.flatMap(([, points]) => pointRecords(points));
  const keys = numericKeys(allPoints);
  const modality = scalarText(results.modality) ?? 'unknown';
  const rateKey = chooseRateKey(modality, keys);
  const metrics = keys.filter((key) => isDistortionMetric(key));
  if (metrics.length === 0 && modality === 'image') metrics.push('psnr', 'ms_ssim');
  const title = opts.title ?? `lcodec evaluation \u2014 ${modality}`;
  const reference = opts.reference ?? [];
  const learnedCount = names.filter((name) => isLearned(name, opts.learned)).length;

  const plotOptions = (metric: string): RdPlotOptions => {
    const o: RdPlotOptions = { rateKey, standalone: false, idPrefix: `plot-${metric}`, reference };
    if (opts.learned !== undefined) o.learned = opts.learned;
    return o;
  };
  const figures = metrics.map((metric) => {
    const svg = renderRdSvg(results, metric, plotOptions(metric));
    return `<figure>${svg}<figcaption>${plotCaption(metric, rateKey, reference.length > 0)}</figcaption></figure>`;
  });

  const meta: string[] = [];
  if (opts.generatedAt !== undefined) meta.push(`Generated ${escapeXml(opts.generatedAt)}`);
  if (opts.command !== undefined) meta.push(`<code>${escapeXml(opts.command)}</code>`);

  const cards: [string, string][] = [
    ['Modality', modality],
    ['Items', scalarText(results.items) ?? '\u2014'],
    ['Anchor', scalarText(results.anchor) ?? '\u2014'],
    ['Codecs', `${names.length} (${learnedCount} learned)`],
    ['Rate axis', metricInfo(rateKey).header],
  ];
  const extra = Object.entries(results)
    .filter(([key]) => !KNOWN_TOP_LEVEL.has(key))
    .map(([key, value]) => [key, scalarText(value)] as const)
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined);

  const decimals = columnDecimals(allPoints, keys);
  const pointSections = entries.map(([name, points], index) => {
    return `<div class="codec-points"><h3>${codecCell(name, index, results, opts.learned)}</h3>${pointsTable(pointRecords(points), decimals)}</div>`;
  });

  const referenceNote = reference.length > 0
    ? `<p>Published curves: ${reference.map((c) => escapeXml(c.name)).join(', ')}. Their timings come from other hardware and are not comparable.</p>`
    : '';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeXml(title)}</h1>
${meta.length > 0 ? `<p class="meta">${meta.join(' \u00B7 ')}</p>` : ''}
</header>
<section id="summary">
<h2>Summary</h2>
<dl class="cards">${cards.map(([k, v]) => `<div class="card"><dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd></div>`).join('')}</dl>
${highlights(results, names)}
${extra.length > 0 ? `<dl class="details">${extra.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('')}</dl>` : ''}
</section>
<section id="rd-plots">
<h2>Rate\u2013distortion</h2>
${figures.length > 0 ? `<div class="plots">${figures.join('\n')}</div>` : '<p class="note">No metrics to plot.</p>'}
</section>
<section id="bd-rate">
<h2>BD-rate vs ${escapeXml(results.anchor)}</h2>
${bdTable(results, names, opts.learned)}
<p class="note">Bj\u00F8ntegaard delta rate: average difference in bits for the same quality over the overlapping quality range (piecewise cubic interpolation). Negative = fewer bits than the anchor (better).</p>
</section>
<section id="points">
<h2>Measured points</h2>
<p class="note" style="margin:0 0 12px">Each row averages over ${escapeXml(scalarText(results.items) ?? 'all')} items at one quality setting.</p>
${pointSections.length > 0 ? `<div class="points">${pointSections.join('\n')}</div>` : '<p class="note">No codecs in these results.</p>'}
</section>
<footer>
${referenceNote}
<p>Written by lcodec eval. Rate in ${escapeXml(metricInfo(rateKey).header)}${modality === 'image' ? '; PSNR and MS-SSIM on 8-bit RGB' : ''}.</p>
</footer>
</main>
</body>
</html>
`;
}
