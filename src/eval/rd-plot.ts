/**
 * The rate–distortion plot, drawn by hand as SVG: rate on x, a quality metric on y, one
 * line with markers per codec. Learned codecs are solid, classical baselines dashed,
 * published reference curves thin and dotted, so the three read apart even in grey.
 */
import type { EvalResults, RdPoint, ReferenceCurve } from './report.js';
import { escapeXml, finite, formatFixed, logScale, niceScale, type Scale } from './format.js';
import { metricInfo, type MetricInfo } from './metric-info.js';

export interface RdPlotOptions {
  /** Published curves drawn behind the measured ones (only on a `bpp` rate axis). */
  reference?: ReferenceCurve[];
  title?: string;
  /** Point key on the x axis: `bpp` (default) or `kbps` for audio. */
  rateKey?: string;
  /** Names of the learned codecs; the others are baselines. Default: inferred from the names. */
  learned?: string[];
  /** Plot `ms_ssim` as −10·log10(1 − MS-SSIM) dB, as papers do. Default true. */
  msSsimDb?: boolean;
  /**
   * Logarithmic rate axis. Default: on for kbps when the rates span 8× or more (audio
   * bitrates), off otherwise (bpp, as image papers plot it).
   */
  logRate?: boolean;
  /** Overrides the metric's direction (default: known metrics, or distance/error-like names). */
  lowerIsBetter?: boolean;
  /** Plot area size in px (legend and axes come on top). Default 560 × 360. */
  width?: number;
  height?: number;
  /**
   * Standalone SVG file (default): XML declaration and xmlns. False for inlining into HTML,
   * where the HTML parser supplies the namespace.
   */
  standalone?: boolean;
  /** Prefix for ids inside the SVG; must differ between plots inlined in one document. */
  idPrefix?: string;
}

/** The colour of the codec at `index` in `results.codecs`, the same in every plot and table. */
export function codecColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

type SeriesKind = 'learned' | 'baseline' | 'reference';
type Shape = 'circle' | 'square' | 'diamond' | 'triangle' | 'triangle-down';

interface PlotPoint {
  x: number;
  y: number;
  tip: string;
}

interface Series {
  name: string;
  label: string;
  kind: SeriesKind;
  color: string;
  shape: Shape;
  points: PlotPoint[];
}

/** Distinct, colour-blind-aware hues for measured codecs (Tableau 10 order). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
/** Darker, muted hues for published curves, so they recede behind measured ones. */
const REFERENCE_PALETTE = ['#4d4d4d', '#8e6c8a', '#5f8f6f', '#a07c3a', '#5a7fa8', '#a65d5d', '#6f6f9e', '#4f8f8f', '#8a8a3a', '#9a6a4a'];
const SHAPES: Shape[] = ['circle', 'square', 'diamond', 'triangle', 'triangle-down'];

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif";

/** Marker shape: shifts once per palette cycle, so colour + shape repeat only after 50 series. */
function shapeFor(index: number, colours: number): Shape {
  return SHAPES[(index + Math.floor(index / colours)) % SHAPES.length]!;
}

/** Classical codec names as evaluation spells them (first word of the name, or all of it). */
const BASELINES = new Set([
  'jpeg', 'jpg', 'jpegxl', 'jxl', 'jpeg2000', 'jp2', 'j2k', 'webp', 'avif', 'heic', 'heif', 'bpg', 'png',
  'x264', 'x265', 'h264', 'h265', 'avc', 'hevc', 'vvc', 'vtm', 'hm', 'av1', 'aom', 'svtav1', 'vp8', 'vp9',
  'opus', 'mp3', 'aac', 'vorbis', 'flac', 'speex', 'lc3', 'amr', 'ffv1',
]);

/** True unless the name looks like a classical codec (`jpeg`, `x265-444`, `libopus`, ...). */
export function inferLearned(name: string): boolean {
  const lower = name.toLowerCase().replace(/^lib/, '');
  const words = lower.split(/[^a-z0-9]+/).filter((word) => word.length > 0);
  const joined = words.join('');
  return !(BASELINES.has(joined) || (words[0] !== undefined && BASELINES.has(words[0])));
}

export function isLearned(name: string, learned?: readonly string[]): boolean {
  return learned !== undefined ? learned.includes(name) : inferLearned(name);
}

/** The metric as plotted: `ms_ssim` becomes its dB form unless `msSsimDb` is false. */
export function plottedMetric(metric: string, msSsimDb = true): MetricInfo {
  return metricInfo(metric === 'ms_ssim' && msSsimDb ? 'ms_ssim_db' : metric);
}

function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function markerPath(shape: Shape, x: number, y: number, r: number): string {
  switch (shape) {
    case 'circle':
      return `M${num(x - r)} ${num(y)}a${num(r)} ${num(r)} 0 1 0 ${num(2 * r)} 0a${num(r)} ${num(r)} 0 1 0 ${num(-2 * r)} 0Z`;
    case 'square': {
      const s = r * 0.88;
      return `M${num(x - s)} ${num(y - s)}h${num(2 * s)}v${num(2 * s)}h${num(-2 * s)}Z`;
    }
    case 'diamond': {
      const s = r * 1.3;
      return `M${num(x)} ${num(y - s)}L${num(x + s)} ${num(y)}L${num(x)} ${num(y + s)}L${num(x - s)} ${num(y)}Z`;
    }
    case 'triangle': {
      const s = r * 1.25;
      return `M${num(x)} ${num(y - s)}L${num(x + s)} ${num(y + s * 0.8)}L${num(x - s)} ${num(y + s * 0.8)}Z`;
    }
    case 'triangle-down': {
      const s = r * 1.25;
      return `M${num(x)} ${num(y + s)}L${num(x + s)} ${num(y - s * 0.8)}L${num(x - s)} ${num(y - s * 0.8)}Z`;
    }
  }
}

interface Style {
  width: number;
  dash?: string;
  opacity: number;
  markerR: number;
  hollow: boolean;
}

const STYLES: Record<SeriesKind, Style> = {
  learned: { width: 2.25, opacity: 1, markerR: 4, hollow: false },
  baseline: { width: 1.75, dash: '7 4', opacity: 1, markerR: 3.6, hollow: false },
  reference: { width: 1.25, dash: '1.5 3', opacity: 0.85, markerR: 2.6, hollow: true },
};

/** Rough advance width of a sans-serif string, for layout without a font engine. */
function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.58;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '\u2026';
}

function idSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-');
}

function describeValue(info: MetricInfo, value: number): string {
  const decimals = info.decimals ?? 3;
  const unit = /\[(.+)\]$/.exec(info.header)?.[1];
  return `${formatFixed(value, decimals)}${unit !== undefined ? ' ' + unit : ''}`;
}

/** Measured series, coloured by position in `results.codecs` so colours agree across plots. */
function measuredSeries(results: EvalResults, metric: string, y: MetricInfo, x: MetricInfo, learned?: readonly string[]): Series[] {
  const codecs = results.codecs !== null && typeof results.codecs === 'object' ? results.codecs : {};
  return Object.entries(codecs).map(([name, raw], index): Series => {
    const list: unknown[] = Array.isArray(raw) ? raw : [];
    const points: PlotPoint[] = [];
    for (const item of list) {
      if (item === null || typeof item !== 'object') continue;
      const point = item as RdPoint;
      const rate = finite(point[x.key]);
      const stored = finite(point[metric]);
      if (rate === undefined || stored === undefined) continue;
      const value = y.toAxis(stored);
      if (!Number.isFinite(value)) continue;
      const quality = finite(point.quality);
      const tip = `${name}${quality !== undefined ? ` \u00B7 q ${quality}` : ''}: ${describeValue(x, rate)}, ${describeValue(y, value)}`;
      points.push({ x: rate, y: value, tip });
    }
    points.sort((a, b) => a.x - b.x);
    const kind: SeriesKind = isLearned(name, learned) ? 'learned' : 'baseline';
    const label = name === results.anchor ? `${name} (anchor)` : name;
    return { name, label, kind, color: codecColor(index), shape: shapeFor(index, PALETTE.length), points };
  });
}

function referenceSeries(reference: readonly ReferenceCurve[], metric: string, y: MetricInfo): Series[] {
  return reference.map((curve, index): Series => {
    const points: PlotPoint[] = [];
    for (const p of Array.isArray(curve.points) ? curve.points : []) {
      const rate = finite(p?.bpp);
      const stored = finite((p as Record<string, unknown> | undefined)?.[metric]);
      if (rate === undefined || stored === undefined) continue;
      const value = y.toAxis(stored);
      if (!Number.isFinite(value)) continue;
      points.push({ x: rate, y: value, tip: `${curve.name} (published): ${formatFixed(rate, 4)} bpp, ${describeValue(y, value)}` });
    }
    points.sort((a, b) => a.x - b.x);
    const name = String(curve.name);
    return {
      name,
      label: `${name} (published)`,
      kind: 'reference',
      color: REFERENCE_PALETTE[index % REFERENCE_PALETTE.length]!,
      shape: shapeFor(index + 2, REFERENCE_PALETTE.length),
      points,
    };
  });
}

function extent(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  return [Math.min(...values), Math.max(...values)];
}

/**
 * Renders one RD plot as an SVG document. `metric` is a point key: `psnr`, `ms_ssim`
 * (in dB unless `msSsimDb: false`), `ms_ssim_db`, or any numeric key such as
 * `mel_distance` (lower is better: the "better" hint then points down).
 */
export function renderRdSvg(results: EvalResults, metric: string, opts: RdPlotOptions = {}): string {
  const rateKey = opts.rateKey ?? 'bpp';
  const storedMetric = metric === 'ms_ssim_db' ? 'ms_ssim' : metric;
  const yInfo = plottedMetric(metric, opts.msSsimDb ?? true);
  const lowerIsBetter = opts.lowerIsBetter ?? yInfo.lowerIsBetter;
  const xInfo = metricInfo(rateKey);
  const plotW = Math.max(200, opts.width ?? 560);
  const plotH = Math.max(150, opts.height ?? 360);
  const prefix = idSafe(opts.idPrefix ?? `rd-${rateKey}-${metric}`);

  const measured = measuredSeries(results, storedMetric, yInfo, xInfo, opts.learned);
  const reference = rateKey === 'bpp' ? referenceSeries(opts.reference ?? [], storedMetric, yInfo) : [];

  // The measured codecs decide the x range; published curves are clipped to it, so a
  // curve reaching 4 bpp does not squeeze the region where this evaluation's points lie.
  const measuredX = extent(measured.flatMap((s) => s.points.map((p) => p.x)));
  const xRange = measuredX ?? extent(reference.flatMap((s) => s.points.map((p) => p.x)));
  const inX = (p: PlotPoint): boolean => xRange === undefined || (p.x >= xRange[0] && p.x <= xRange[1]);
  const yRange = extent([...measured, ...reference].flatMap((s) => s.points.filter(inX).map((p) => p.y)));
  const hasData = xRange !== undefined && yRange !== undefined;

  const positive = xRange !== undefined && xRange[0] > 0;
  const logX = positive && (opts.logRate ?? (rateKey === 'kbps' && xRange[1] / xRange[0] >= 8));
  const xScale = logX ? logScale(xRange[0], xRange[1]) : niceScale(xRange?.[0] ?? 0, xRange?.[1] ?? 1, Math.max(3, Math.round(plotW / 80)));
  if (xRange !== undefined && xRange[0] >= 0 && xScale.min < 0) clampAtZero(xScale);
  const yScale = niceScale(yRange?.[0] ?? 0, yRange?.[1] ?? 1, Math.max(3, Math.round(plotH / 60)));
  const tx = logX ? Math.log10 : (v: number): number => v;
  if (logX) for (const series of [...measured, ...reference]) series.points = series.points.filter((p) => p.x > 0);

  // Layout: title, plot, legend on the right (never over the data).
  const titleText = opts.title ?? defaultTitle(results, yInfo, xInfo);
  // Without data, tick numbers would be invented: show an empty frame instead.
  if (!hasData) for (const scale of [xScale, yScale]) [scale.ticks, scale.labels] = [[], []];
  const yTickLabels = yScale.labels;
  const tickLabelW = Math.max(...yTickLabels.map((t) => textWidth(t, 11.5)), 10);
  const x0 = Math.round(24 + tickLabelW + 12);
  const y0 = titleText.length > 0 ? 46 : 18;
  const sx = (v: number): number => x0 + ((tx(v) - tx(xScale.min)) / (tx(xScale.max) - tx(xScale.min))) * plotW;
  const sy = (v: number): number => y0 + plotH - ((v - yScale.min) / (yScale.max - yScale.min)) * plotH;

  const legend = legendRows(measured, reference);
  const legendFont = 12;
  const legendMaxChars = 44;
  const legendW = legend.length === 0 ? 0 : Math.max(120, ...legend.map((row) => (row.kind === 'header' ? textWidth(row.text, 11) : 40 + textWidth(legendText(row.series, legendMaxChars), legendFont)))) + 8;
  const legendX = x0 + plotW + (legend.length === 0 ? 0 : 28);
  const rowH = 19;
  const legendH = legend.reduce((h, row) => h + (row.kind === 'header' ? (h > 0 ? rowH + 6 : rowH) : rowH), 0);
  const totalW = Math.ceil(legendX + legendW + 12);
  const totalH = Math.ceil(Math.max(y0 + plotH + 54, y0 + legendH + 12));

  const out: string[] = [];
  if (opts.standalone ?? true) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  const xmlns = opts.standalone ?? true ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  out.push(
    `<svg${xmlns} class="rd-plot" width="${totalW}" height="${totalH}" viewBox="0 0 ${totalW} ${totalH}" role="img" aria-labelledby="${prefix}-title" font-family="${escapeXml(FONT)}">`,
    `<title id="${prefix}-title">${escapeXml(titleText.length > 0 ? titleText : `${yInfo.name} vs ${xInfo.name.toLowerCase()}`)}</title>`,
    `<defs><clipPath id="${prefix}-clip"><rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}"/></clipPath></defs>`,
    `<rect width="${totalW}" height="${totalH}" fill="#ffffff"/>`,
  );
  if (titleText.length > 0) {
    out.push(`<text x="${num(x0 + plotW / 2)}" y="28" text-anchor="middle" font-size="15" font-weight="600" fill="#1a1a1a">${escapeXml(titleText)}</text>`);
  }

  // Grid and tick labels.
  out.push('<g class="grid" stroke="#e5e7eb" stroke-width="1">');
  for (const t of xScale.ticks) out.push(`<line x1="${num(sx(t))}" y1="${y0}" x2="${num(sx(t))}" y2="${y0 + plotH}"/>`);
  for (const t of yScale.ticks) out.push(`<line x1="${x0}" y1="${num(sy(t))}" x2="${x0 + plotW}" y2="${num(sy(t))}"/>`);
  out.push('</g>');
  out.push(`<rect class="frame" x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af" stroke-width="1"/>`);
  out.push('<g class="ticks" font-size="11.5" fill="#4b5563">');
  xScale.ticks.forEach((t, i) => {
    out.push(`<line x1="${num(sx(t))}" y1="${y0 + plotH}" x2="${num(sx(t))}" y2="${y0 + plotH + 4}" stroke="#9ca3af"/>`);
    out.push(`<text x="${num(sx(t))}" y="${y0 + plotH + 18}" text-anchor="middle">${escapeXml(xScale.labels[i])}</text>`);
  });
  yScale.ticks.forEach((t, i) => {
    out.push(`<line x1="${x0 - 4}" y1="${num(sy(t))}" x2="${x0}" y2="${num(sy(t))}" stroke="#9ca3af"/>`);
    out.push(`<text x="${x0 - 8}" y="${num(sy(t) + 4)}" text-anchor="end">${escapeXml(yTickLabels[i])}</text>`);
  });
  out.push('</g>');

  // Axis labels.
  const xLabel = logX ? `${xInfo.axisLabel} (log scale)` : xInfo.axisLabel;
  out.push(`<text class="x-label" x="${num(x0 + plotW / 2)}" y="${y0 + plotH + 42}" text-anchor="middle" font-size="13" fill="#1f2937">${escapeXml(xLabel)}</text>`);
  const yLabel = lowerIsBetter ? `${yInfo.axisLabel} (lower is better)` : yInfo.axisLabel;
  const yMid = y0 + plotH / 2;
  out.push(`<text class="y-label" x="16" y="${num(yMid)}" transform="rotate(-90 16 ${num(yMid)})" text-anchor="middle" font-size="13" fill="#1f2937">${escapeXml(yLabel)}</text>`);

  if (hasData) {
    out.push(betterHint(x0, y0, plotH, lowerIsBetter));
    // Published behind baselines behind learned models.
    const drawOrder = [...reference, ...measured.filter((s) => s.kind === 'baseline'), ...measured.filter((s) => s.kind === 'learned')];
    out.push(`<g class="series-layer" clip-path="url(#${prefix}-clip)">`);
    for (const series of drawOrder) if (series.points.length > 0) out.push(renderSeries(series, sx, sy));
    out.push('</g>');
  } else {
    out.push(`<text class="no-data" x="${num(x0 + plotW / 2)}" y="${num(y0 + plotH / 2)}" text-anchor="middle" font-size="14" fill="#6b7280">No data for ${escapeXml(yInfo.name)}</text>`);
  }

  // Legend.
  out.push(`<g class="legend" font-size="${legendFont}" fill="#1f2937">`);
  let rowY = y0;
  for (const row of legend) {
    if (row.kind === 'header') {
      if (rowY > y0) rowY += 6;
      out.push(`<text x="${legendX}" y="${num(rowY + 12)}" font-size="10.5" font-weight="700" letter-spacing="0.06em" fill="#6b7280">${escapeXml(row.text)}</text>`);
    } else {
      out.push(legendEntry(row.series, legendX, rowY + 9.5, legendMaxChars));
    }
    rowY += rowH;
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

function clampAtZero(scale: Scale): void {
  scale.min = 0;
  const keep = scale.ticks.map((t) => t >= 0);
  scale.ticks = scale.ticks.filter((_, i) => keep[i]);
  scale.labels = scale.labels.filter((_, i) => keep[i]);
}

function defaultTitle(results: EvalResults, y: MetricInfo, x: MetricInfo): string {
  const items = finite(results.items);
  const noun = results.modality === 'audio' ? 'clips' : results.modality === 'video' ? 'videos' : 'images';
  const over = items !== undefined && items > 0 ? ` \u2014 mean over ${items} ${items === 1 ? noun.replace(/s$/, '') : noun}` : '';
  return `${y.name} vs ${x.name.toLowerCase()}${over}`;
}

type LegendRow = { kind: 'header'; text: string } | { kind: 'entry'; series: Series };

function legendRows(measured: Series[], reference: Series[]): LegendRow[] {
  const rows: LegendRow[] = [];
  const group = (text: string, series: Series[]): void => {
    if (series.length === 0) return;
    rows.push({ kind: 'header', text });
    for (const s of series) rows.push({ kind: 'entry', series: s });
  };
  group('LEARNED', measured.filter((s) => s.kind === 'learned'));
  group('BASELINES', measured.filter((s) => s.kind === 'baseline'));
  // A published curve without points for this metric is noise in the legend.
  group('PUBLISHED', reference.filter((s) => s.points.length > 0));
  return rows;
}

function strokeAttrs(series: Series): string {
  const style = STYLES[series.kind];
  const dash = style.dash !== undefined ? ` stroke-dasharray="${style.dash}"` : '';
  return `stroke="${series.color}" stroke-width="${style.width}"${dash} stroke-linecap="round" stroke-linejoin="round" stroke-opacity="${style.opacity}"`;
}

function markerAttrs(series: Series): string {
  const style = STYLES[series.kind];
  return style.hollow
    ? `fill="#ffffff" stroke="${series.color}" stroke-width="1.1" stroke-opacity="${style.opacity}"`
    : `fill="${series.color}" stroke="#ffffff" stroke-width="1"`;
}

function renderSeries(series: Series, sx: (v: number) => number, sy: (v: number) => number): string {
  const style = STYLES[series.kind];
  const parts = [`<g class="series ${series.kind}" data-codec="${escapeXml(series.name)}">`];
  if (series.points.length >= 2) {
    const coords = series.points.map((p) => `${num(sx(p.x))},${num(sy(p.y))}`).join(' ');
    parts.push(`<polyline class="rd-line" points="${coords}" fill="none" ${strokeAttrs(series)}/>`);
  }
  for (const p of series.points) {
    parts.push(`<path class="marker" d="${markerPath(series.shape, sx(p.x), sy(p.y), style.markerR)}" ${markerAttrs(series)}><title>${escapeXml(p.tip)}</title></path>`);
  }
  parts.push('</g>');
  return parts.join('');
}

function legendText(series: Series, maxChars: number): string {
  return truncate(series.label, maxChars) + (series.points.length === 0 ? ' (no data)' : '');
}

function legendEntry(series: Series, x: number, y: number, maxChars: number): string {
  const style = STYLES[series.kind];
  const label = truncate(series.label, maxChars);
  const empty = series.points.length === 0;
  const parts = [`<g class="legend-entry ${series.kind}" data-codec="${escapeXml(series.name)}"${empty ? ' opacity="0.5"' : ''}>`];
  if (label !== series.label) parts.push(`<title>${escapeXml(series.label)}</title>`);
  parts.push(`<line x1="${x}" y1="${num(y)}" x2="${x + 28}" y2="${num(y)}" ${strokeAttrs(series)}/>`);
  parts.push(`<path d="${markerPath(series.shape, x + 14, y, style.markerR)}" ${markerAttrs(series)}/>`);
  parts.push(`<text x="${x + 36}" y="${num(y + 4)}">${escapeXml(label)}${empty ? ' <tspan fill="#6b7280">(no data)</tspan>' : ''}</text>`);
  parts.push('</g>');
  return parts.join('');
}

function betterHint(x0: number, y0: number, plotH: number, lowerIsBetter: boolean): string {
  // Less rate is always better; quality up (or down, for distances) is better.
  const ax = x0 + 12;
  const ay = lowerIsBetter ? y0 + plotH - 12 : y0 + 12;
  const dy = lowerIsBetter ? -1 : 1;
  const tail = `M${ax + 14} ${ay + 14 * dy}L${ax} ${ay}`;
  const head = `M${ax + 6} ${ay}L${ax} ${ay}L${ax} ${ay + 6 * dy}`;
  return [
    `<g class="better-hint" stroke="#9ca3af" stroke-width="1.5" fill="none" stroke-linecap="round" stroke-linejoin="round">`,
    `<path d="${tail}"/><path d="${head}"/>`,
    `<text x="${ax + 19}" y="${ay + 14 * dy + (lowerIsBetter ? 0 : 4)}" font-size="11" fill="#6b7280" stroke="none">better</text>`,
    '</g>',
  ].join('');
}
