import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { logScale, niceScale } from '../src/eval/format.js';
import {
  loadPublishedReference,
  renderHtmlReport,
  renderRdSvg,
  type EvalResults,
  type ReferenceCurve,
} from '../src/eval/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');

function fixture(name: string): EvalResults {
  return JSON.parse(readFileSync(join(here, 'fixtures', name), 'utf8')) as EvalResults;
}

/** Well-formed XML, or a test failure that says where it broke. */
function expectWellFormed(xml: string): void {
  const verdict = XMLValidator.validate(xml);
  expect(verdict === true ? 'well-formed' : JSON.stringify(verdict)).toBe('well-formed');
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: false });

/** Every element `name` in the document, depth first. */
function elements(node: unknown, name: string, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) {
    for (const child of node) elements(child, name, found);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === name) for (const el of Array.isArray(value) ? value : [value]) found.push(el as Record<string, unknown>);
      elements(value, name, found);
    }
  }
  return found;
}

function seriesGroups(svg: string): Record<string, unknown>[] {
  return elements(parser.parse(svg), 'g').filter((g) => String(g['@class'] ?? '').startsWith('series '));
}

function polylinePoints(group: Record<string, unknown>): [number, number][] {
  const line = group.polyline as Record<string, unknown> | undefined;
  if (line === undefined) return [];
  return String(line['@points']).split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

const image = fixture('image-results.json');
const audio = fixture('audio-results.json');

const reference: ReferenceCurve[] = [
  { name: 'BPG', points: [{ bpp: 0.1, psnr: 27, ms_ssim: 0.9 }, { bpp: 0.5, psnr: 33, ms_ssim: 0.97 }, { bpp: 4, psnr: 47, ms_ssim: 0.999 }] },
  { name: 'PSNR only', points: [{ bpp: 0.2, psnr: 28 }, { bpp: 0.8, psnr: 34 }] },
];

describe('niceScale / logScale', () => {
  it('covers the data with 1-2-2.5-5 steps and exact tick labels', () => {
    const scale = niceScale(0.123, 2.09);
    expect(scale.min).toBeLessThanOrEqual(0.123);
    expect(scale.max).toBeGreaterThanOrEqual(2.09);
    const mantissa = scale.step / 10 ** Math.floor(Math.log10(scale.step));
    expect([1, 2, 2.5, 5]).toContainEqual(Number(mantissa.toFixed(6)));
    expect(scale.ticks.length).toBeGreaterThanOrEqual(4);
    expect(scale.ticks.length).toBeLessThanOrEqual(12);
    for (const label of scale.labels) expect(label).not.toMatch(/0000|9999/);
  });

  it('gives a usable axis for one value, reversed or non-finite bounds', () => {
    const one = niceScale(31.2, 31.2);
    expect(one.min).toBeLessThan(31.2);
    expect(one.max).toBeGreaterThan(31.2);
    expect(niceScale(5, 1).min).toBeLessThanOrEqual(1);
    const none = niceScale(Number.NaN, Number.POSITIVE_INFINITY);
    expect(none.max).toBeGreaterThan(none.min);
    expect(none.ticks.every(Number.isFinite)).toBe(true);
  });

  it('puts log ticks at 1, 2, 5 × 10^k inside the padded range', () => {
    const scale = logScale(1.5, 96);
    expect(scale.log).toBe(true);
    expect(scale.ticks).toEqual([2, 5, 10, 20, 50, 100]);
    expect(scale.labels).toEqual(['2', '5', '10', '20', '50', '100']);
    expect(scale.min).toBeLessThan(1.5);
    expect(scale.max).toBeGreaterThan(96);
    expect(logScale(0.05, 0.4).labels).toEqual(['0.05', '0.1', '0.2']);
  });
});

describe('renderRdSvg', () => {
  it('is a well-formed standalone SVG with one line and legend entry per codec', () => {
    const svg = renderRdSvg(image, 'psnr');
    expectWellFormed(svg);
    expect(svg).toMatch(/^<\?xml[^>]*\?>\s*<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const names = Object.keys(image.codecs);
    const groups = seriesGroups(svg);
    expect(groups.map((g) => g['@data-codec']).sort()).toEqual([...names].sort());
    for (const group of groups) expect(group.polyline).toBeDefined();
    expect((svg.match(/<polyline /g) ?? []).length).toBe(names.length);
    const legend = elements(parser.parse(svg), 'g').filter((g) => String(g['@class'] ?? '').startsWith('legend-entry'));
    expect(legend.map((g) => g['@data-codec']).sort()).toEqual([...names].sort());
    expect(svg).toContain('jpeg (anchor)');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('maps rate to x and quality to y: more bits go right, higher PSNR goes up', () => {
    const group = seriesGroups(renderRdSvg(image, 'psnr')).find((g) => g['@data-codec'] === 'hyperprior-mse')!;
    const points = polylinePoints(group);
    expect(points).toHaveLength(image.codecs['hyperprior-mse']!.length);
    for (let i = 1; i < points.length; i++) {
      expect(points[i]![0]).toBeGreaterThan(points[i - 1]![0]);
      expect(points[i]![1]).toBeLessThan(points[i - 1]![1]);
    }
  });

  it('draws baselines dashed and learned models solid; `learned` overrides the guess from names', () => {
    const dashed = (svg: string, codec: string): boolean => {
      const group = seriesGroups(svg).find((g) => g['@data-codec'] === codec)!;
      return (group.polyline as Record<string, unknown>)['@stroke-dasharray'] !== undefined;
    };
    const inferred = renderRdSvg(image, 'psnr');
    expect(dashed(inferred, 'jpeg')).toBe(true);
    expect(dashed(inferred, 'x265')).toBe(true);
    expect(dashed(inferred, 'hyperprior-mse')).toBe(false);
    const told = renderRdSvg(image, 'psnr', { learned: ['x265'] });
    expect(dashed(told, 'x265')).toBe(false);
    expect(dashed(told, 'hyperprior-mse')).toBe(true);
  });

  it('adds published curves thin and dotted, labelled (published), only where they have the metric', () => {
    const psnr = renderRdSvg(image, 'psnr', { reference });
    expectWellFormed(psnr);
    const refs = seriesGroups(psnr).filter((g) => String(g['@class']).includes('reference'));
    expect(refs.map((g) => g['@data-codec'])).toEqual(['BPG', 'PSNR only']);
    for (const g of refs) expect((g.polyline as Record<string, unknown>)['@stroke-dasharray']).toMatch(/^[\d.]+ [\d.]+$/);
    expect(psnr).toContain('BPG (published)');
    const msssim = renderRdSvg(image, 'ms_ssim', { reference });
    expect(msssim).toContain('BPG (published)');
    expect(msssim).not.toContain('PSNR only');
    // A reference reaching 4 bpp must not stretch the axis past the measured codecs.
    const xTicks = elements(parser.parse(psnr), 'text').filter((t) => t['@text-anchor'] === 'middle' && /^[\d.]+$/.test(String(t['#text'])));
    expect(Math.max(...xTicks.map((t) => Number(t['#text'])))).toBeLessThan(3);
  });

  it('escapes codec names and titles', () => {
    const results: EvalResults = { ...image, codecs: { 'a<b&c': image.codecs.jpeg!, 'q"uote\'s': image.codecs.webp! }, anchor: 'a<b&c' };
    const svg = renderRdSvg(results, 'psnr', { title: 'T <&> "x"' });
    expectWellFormed(svg);
    expect(svg).not.toContain('a<b&c');
    expect(svg).toContain('a&lt;b&amp;c');
    expect(svg).toContain('T &lt;&amp;&gt; &quot;x&quot;');
    // An XML parser reads the original name back.
    expect(seriesGroups(svg).map((g) => g['@data-codec'])).toContain('a<b&c');
    // Control characters are not allowed in XML at all.
    const odd = renderRdSvg({ ...results, codecs: { 'bad\u0001name': image.codecs.jpeg! } }, 'psnr');
    expectWellFormed(odd);
    expect(odd).not.toContain('\u0001');
  });

  it('handles no codecs, single points, and NaN/missing values without drawing garbage', () => {
    const empty = renderRdSvg({ modality: 'image', items: 0, anchor: 'jpeg', codecs: {}, bd_rate: {} }, 'psnr');
    expectWellFormed(empty);
    expect(empty).toContain('No data for PSNR');
    expect(empty).not.toContain('<polyline');

    const messy = {
      modality: 'image',
      items: 3,
      anchor: 'jpeg',
      codecs: {
        single: [{ quality: 1, bpp: 0.5, psnr: 30, ms_ssim: 0.95 }],
        holes: [
          { quality: 1, bpp: 0.2, psnr: Number.NaN, ms_ssim: 0.9 },
          { quality: 2, bpp: null, psnr: 29, ms_ssim: 0.93 },
          { quality: 3, psnr: 31, ms_ssim: 0.96 },
          { quality: 4, bpp: 0.9, psnr: 33, ms_ssim: 1 },
          { quality: 5, bpp: 0.7, psnr: 32, ms_ssim: 0.97 },
        ],
        nothing: [{ quality: 1, bpp: Number.NaN, psnr: Number.NaN, ms_ssim: Number.NaN }],
        broken: 'not a list',
      },
      bd_rate: {},
    } as unknown as EvalResults;
    const svg = renderRdSvg(messy, 'psnr');
    expectWellFormed(svg);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    const groups = seriesGroups(svg);
    const single = groups.find((g) => g['@data-codec'] === 'single')!;
    expect(single.polyline).toBeUndefined();
    expect(elements(single, 'path')).toHaveLength(1);
    const holes = groups.find((g) => g['@data-codec'] === 'holes')!;
    expect(polylinePoints(holes)).toHaveLength(2); // q4 and q5: the rest lack bpp or PSNR
    expect(groups.find((g) => g['@data-codec'] === 'nothing')).toBeUndefined();
    expect(svg).toMatch(/nothing[^<]*<tspan[^>]*>\(no data\)/);
    // For MS-SSIM, q1 counts (only its PSNR is NaN); MS-SSIM = 1 is infinitely many dB, so q4 drops out.
    const db = seriesGroups(renderRdSvg(messy, 'ms_ssim')).find((g) => g['@data-codec'] === 'holes')!;
    const tips = elements(db, 'path').map((p) => String(p.title));
    expect(tips).toHaveLength(2);
    expect(tips.map((t) => /q (\d)/.exec(t)?.[1])).toEqual(['1', '5']);
  });

  it('plots MS-SSIM in dB by default, raw on request, and says which', () => {
    const yTicks = (svg: string): number[] =>
      elements(parser.parse(svg), 'text').filter((t) => t['@text-anchor'] === 'end').map((t) => Number(String(t['#text']).replace('\u2212', '-')));
    const db = renderRdSvg(image, 'ms_ssim');
    expect(db).toContain('MS-SSIM [dB] = \u221210\u00B7log\u2081\u2080(1 \u2212 MS-SSIM)');
    expect(Math.max(...yTicks(db))).toBeGreaterThan(15);
    const raw = renderRdSvg(image, 'ms_ssim', { msSsimDb: false });
    expect(raw).not.toContain('[dB]');
    expect(Math.max(...yTicks(raw))).toBeLessThanOrEqual(1.05);
    expect(renderRdSvg(image, 'ms_ssim_db')).toContain('MS-SSIM [dB]');
  });

  it('handles a lower-is-better metric on a kbps axis (audio)', () => {
    const svg = renderRdSvg(audio, 'mel_distance', { rateKey: 'kbps' });
    expectWellFormed(svg);
    expect(svg).toContain('Mel distance (lower is better)');
    expect(svg).toContain('Bitrate [kbit/s] (log scale)');
    const group = seriesGroups(svg).find((g) => g['@data-codec'] === 'soundstream-lite')!;
    const points = polylinePoints(group);
    // Distance falls as the bitrate rises, so the line goes down the screen... upward in y px.
    for (let i = 1; i < points.length; i++) expect(points[i]![1]).toBeGreaterThan(points[i - 1]![1]);
    // The "better" arrow points to the low-rate, low-distance corner: bottom left.
    const hint = elements(parser.parse(svg), 'g').find((g) => g['@class'] === 'better-hint')!;
    const frame = elements(parser.parse(svg), 'rect').find((r) => r['@class'] === 'frame')!;
    const hintY = Number(/M[\d.]+ ([\d.]+)/.exec(String((hint.path as Record<string, unknown>[])[0]!['@d']))![1]);
    expect(hintY).toBeGreaterThan(Number(frame['@y']) + Number(frame['@height']) / 2);
    expect(renderRdSvg(audio, 'mel_distance', { rateKey: 'kbps', logRate: false })).not.toContain('log scale');
    // No bpp in audio points, so on a bpp axis nothing is drawn.
    expect(renderRdSvg(audio, 'mel_distance')).toContain('No data');
  });
});

describe('loadPublishedReference', () => {
  const sample = {
    about: 'made-up curves in the layout of the shared published_kodak_rd.json',
    codecs: {
      'model-a_mse_cpu': { name: 'model-a', bpp: [0.1, 0.3, 0.6], psnr: [28, 31, 34], 'ms-ssim': [0.92, 0.96, 0.98] },
      'model-a_ms-ssim_cpu': { name: 'model-a', bpp: [0.1, 0.3], psnr: [26, 29], 'ms-ssim': [0.94, 0.975] },
      classic: { name: 'Classic', bpp: [2.4, 1.2, null, 0.6], psnr: [40, 36, 30, 32], 'ms-ssim': [0.99, 0.98, 0.9] },
      same1: { name: 'Twin', bpp: [1], psnr: [30] },
      same2: { name: 'Twin', bpp: [2], psnr: [33] },
    },
  };

  it('reads the shared file layout: ms-ssim key, objective in the name, sorted by rate, gaps dropped', () => {
    const curves = loadPublishedReference(sample);
    expect(curves.map((c) => c.name)).toEqual(['model-a [MSE]', 'model-a [MS-SSIM]', 'Classic', 'Twin (same1)', 'Twin (same2)']);
    expect(curves.map((c) => c.id)).toEqual(Object.keys(sample.codecs));
    const classic = curves[2]!;
    expect(classic.points).toEqual([
      { bpp: 0.6, psnr: 32 },
      { bpp: 1.2, psnr: 36, ms_ssim: 0.98 },
      { bpp: 2.4, psnr: 40, ms_ssim: 0.99 },
    ]);
    expect(curves[0]!.points[2]).toEqual({ bpp: 0.6, psnr: 34, ms_ssim: 0.98 });
  });

  it("also reads CompressAI's own layout (arrays under results, psnr-rgb)", () => {
    const curves = loadPublishedReference({ codecs: { x: { name: 'X', results: { bpp: [0.2], 'psnr-rgb': [29], 'ms-ssim-rgb': [0.95] } } } });
    expect(curves).toEqual([{ name: 'X', id: 'x', points: [{ bpp: 0.2, psnr: 29, ms_ssim: 0.95 }] }]);
  });

  it('rejects other shapes with an InputError naming the field', () => {
    expect(() => loadPublishedReference(null)).toThrow(InputError);
    expect(() => loadPublishedReference({ curves: [] })).toThrow(/"codecs"/);
    expect(() => loadPublishedReference({ codecs: { bad: { bpp: 'x' } } })).toThrow(/codecs\.bad\.bpp/);
    expect(() => loadPublishedReference({ codecs: { bad: 3 } })).toThrow(/codecs\.bad must be an object/);
  });

  const shared = resolve(repoRoot, '..', 'shared', 'data', 'images', 'reference', 'published_kodak_rd.json');
  it.skipIf(!existsSync(shared))('parses the shared published Kodak file (skipped when it is not beside the checkout)', () => {
    const curves = loadPublishedReference(JSON.parse(readFileSync(shared, 'utf8')));
    expect(curves.length).toBeGreaterThanOrEqual(5);
    expect(new Set(curves.map((c) => c.name)).size).toBe(curves.length);
    for (const curve of curves) {
      expect(curve.points.length).toBeGreaterThan(1);
      for (let i = 1; i < curve.points.length; i++) expect(curve.points[i]!.bpp).toBeGreaterThanOrEqual(curve.points[i - 1]!.bpp);
      for (const p of curve.points) {
        expect(p.psnr).toBeGreaterThan(15);
        expect(p.ms_ssim).toBeLessThan(1);
      }
    }
    const svg = renderRdSvg(image, 'psnr', { reference: curves });
    expectWellFormed(svg);
    expect((svg.match(/\(published\)/g) ?? []).length).toBeGreaterThanOrEqual(curves.length);
  });
});

describe('renderHtmlReport', () => {
  const options = { reference, generatedAt: '2025-01-01 12:00', command: 'lcodec eval kodak/ --codecs a,b --report r.html' };

  it('holds the summary, both image RD plots, the BD-rate table and a points table per codec', () => {
    const html = renderHtmlReport(image, options);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<h2>Summary</h2>');
    expect(html).toMatch(/<dt>Items<\/dt><dd>24<\/dd>/);
    expect(html).toMatch(/<dt>Anchor<\/dt><dd>jpeg<\/dd>/);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) expectWellFormed(svg);
    expect(svgs[0]).toContain('PSNR (RGB) [dB]');
    expect(svgs[1]).toContain('MS-SSIM [dB]');
    // Ids must be unique across the inlined plots.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);

    const bd = /<table class="bd">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    expect(bd).toContain('BD-rate PSNR');
    expect(bd).toContain('BD-rate MS-SSIM');
    expect((bd.match(/<tr>/g) ?? []).length).toBe(1 + Object.keys(image.codecs).length);
    expect(bd).toMatch(/class="bd better[^"]*" style="background:rgba\(22,163,74,[^"]*">\u221241\.2\u2009%/);
    expect(bd).toContain('anchor');
    expect((html.match(/class="points-table"/g) ?? []).length).toBe(Object.keys(image.codecs).length);
    expect(html).toContain('<th>Encode [s]</th>');
    expect(html).toContain('0.1366');
    expect(html).toContain('2025-01-01 12:00');
  });

  it('colours extra bits red and marks codecs with no BD-rate', () => {
    const results: EvalResults = { ...image, bd_rate: { ...image.bd_rate, webp: { psnr: 12.5 } } };
    const html = renderHtmlReport(results);
    expect(html).toMatch(/class="bd worse" style="background:rgba\(220,38,38,[^"]*">\+12\.5\u2009%/);
    expect(html).toContain('title="no overlapping quality range">\u2014</td>');
  });

  it('has no external references, scripts or remote loads', () => {
    const html = renderHtmlReport(image, options);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import/i);
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
    for (const m of html.matchAll(/href\s*=\s*"([^"]*)"/g)) expect(m[1]).toMatch(/^#/);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes every string taken from the results and options', () => {
    const evil = '<script>alert(1)</script>';
    const results = {
      ...image,
      anchor: evil,
      codecs: { [evil]: image.codecs.jpeg!, 'a<b&c': image.codecs.webp! },
      bd_rate: { 'a<b&c': { psnr: -3 } },
      note: evil,
    } as EvalResults;
    const html = renderHtmlReport(results, { title: evil, command: evil, generatedAt: evil });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('a<b&c');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a&lt;b&amp;c');
  });

  it('plots every audio metric over kbps and survives empty results', () => {
    const html = renderHtmlReport(audio);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.map((svg) => /<title id="[^"]*">([^<]*) vs/.exec(svg)?.[1])).toEqual(['Mel distance', 'STFT distance', 'SI-SDR', 'SNR']);
    for (const svg of svgs) expect(svg).toContain('Bitrate [kbit/s]');
    expect(html).toContain('BD-rate Mel distance');
    const empty = renderHtmlReport({ modality: 'image', items: 0, anchor: 'jpeg', codecs: {}, bd_rate: {} });
    expect(empty).toContain('No codecs in these results.');
    for (const svg of empty.match(/<svg[\s\S]*?<\/svg>/g) ?? []) expectWellFormed(svg);
  });
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`report.test: ${CHROMIUM} not found, skipping the browser test (apt-get install chromium, or run scripts/setup.sh)`);
}

describe('report in headless Chromium', () => {
  it.skipIf(!hasChromium)(`opens without errors and screenshots legibly (needs ${CHROMIUM})`, async () => {
    const { chromium } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'lcodec-report-'));
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      page.on('request', (req) => {
        if (!/^(file|data|about):/.test(req.url())) problems.push(`request: ${req.url()}`);
      });

      const htmlPath = join(dir, 'report.html');
      writeFileSync(htmlPath, renderHtmlReport(image, { reference, generatedAt: 'test', command: 'lcodec eval' }));
      await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
      const layout = await page.evaluate(() => ({
        svgs: [...document.querySelectorAll('svg.rd-plot')].map((svg) => {
          const box = svg.getBoundingClientRect();
          return { width: box.width, height: box.height, series: svg.querySelectorAll('g.series').length };
        }),
        bdRows: document.querySelectorAll('table.bd tbody tr').length,
        overflow: document.documentElement.scrollWidth - window.innerWidth,
      }));
      expect(layout.svgs).toHaveLength(2);
      for (const svg of layout.svgs) {
        expect(svg.width).toBeGreaterThan(500);
        expect(svg.height).toBeGreaterThan(300);
      }
      const codecs = Object.keys(image.codecs).length;
      // PSNR: every codec and both published curves; MS-SSIM: one curve has no MS-SSIM.
      expect(layout.svgs.map((svg) => svg.series)).toEqual([codecs + 2, codecs + 1]);
      expect(layout.bdRows).toBe(Object.keys(image.codecs).length);
      expect(layout.overflow).toBeLessThanOrEqual(0);

      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const meta = await sharp(shot).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBe(1280);
      expect(meta.height).toBeGreaterThan(1500);
      expect(statSync(shot).size).toBeGreaterThan(50_000);
      const stats = await sharp(shot).stats();
      expect(stats.isOpaque).toBe(true);
      for (const channel of stats.channels.slice(0, 3)) expect(channel.stdev).toBeGreaterThan(10);

      // The standalone SVG is its own XML document: Chromium shows a parser error page otherwise.
      const svgPath = join(dir, 'rd.svg');
      writeFileSync(svgPath, renderRdSvg(image, 'psnr', { reference }));
      await page.goto(pathToFileURL(svgPath).href, { waitUntil: 'load' });
      const root = await page.evaluate(() => ({
        name: document.documentElement.nodeName,
        parseErrors: document.getElementsByTagName('parsererror').length,
        series: document.querySelectorAll('g.series').length,
      }));
      expect(root).toEqual({ name: 'svg', parseErrors: 0, series: Object.keys(image.codecs).length + reference.length });
      await page.screenshot({ path: join(dir, 'rd.png') });
      expect(statSync(join(dir, 'rd.png')).size).toBeGreaterThan(20_000);

      expect(problems).toEqual([]);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
