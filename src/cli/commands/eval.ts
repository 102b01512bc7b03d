/** `lcodec eval`: thin over evaluate() (src/eval). */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { listCodecs } from '../../../codecs/registry.js';
import { inRange, integer } from '../../check.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/files.js';
import { resultsToCsv } from '../../eval/csv.js';
import { metricInfo } from '../../eval/metric-info.js';
import { type ModalityEval, modalityEval } from '../../eval/modalities.js';
import { compareWithReference, loadReferenceCurves, plottedReference, type ReferenceCurves } from '../../eval/reference.js';
import { renderHtmlReport, renderRdSvg } from '../../eval/report.js';
import { parseRedisUrl, redactError } from '../../eval/redis-url.js';
import { evaluateWithStats } from '../../eval/runner.js';
import type { EvalResults } from '../../eval/types.js';
import { progressBar } from '../progress.js';

interface EvalFlags {
  codecs: string;
  qualities?: string[];
  out?: string;
  csv?: string;
  plot?: string;
  report?: string;
  anchor?: string;
  jobs: string;
  reference?: string | true;
  cache?: string | false;
  force?: boolean;
  queue?: string;
  queueTimeout: string;
}

/** `rd.svg` → `rd-ms_ssim.svg`: where `--plot` puts the plot of a further metric. */
export function metricPlotPath(plot: string, metric: string): string {
  const ext = path.extname(plot);
  return `${plot.slice(0, plot.length - ext.length)}-${metric}${ext || '.svg'}`;
}

/** The metrics plotted against the rate for a modality, the main one first. */
function plotMetrics(table: ModalityEval): readonly string[] {
  return table.plots ?? table.bdMetrics.map((m) => m.key);
}

/** The files `--plot <plot>` writes for a modality, with the metric each one shows. */
function plotFiles(plot: string, table: ModalityEval): { file: string; metric: string }[] {
  return plotMetrics(table).map((metric, i) => ({ file: i === 0 ? plot : metricPlotPath(plot, metric), metric }));
}

/** Parses repeated `--qualities` values: "10,20" (all codecs) and/or "jpeg=10,20". */
export function parseQualities(specs: readonly string[] | undefined): number[] | Record<string, number[]> | undefined {
  if (!specs || specs.length === 0) return undefined;
  let all: number[] | undefined;
  const perCodec: Record<string, number[]> = {};
  for (const spec of specs.flatMap((s) => s.split(';')).filter((s) => s.trim() !== '')) {
    const m = /^\s*(?:([a-z0-9][a-z0-9._-]*)\s*=)?\s*([-+0-9.,\s]+)$/.exec(spec);
    const values = m?.[2].split(',').map((v) => v.trim()).filter((v) => v !== '').map(Number);
    if (!m || !values || values.length === 0 || values.some((v) => !Number.isFinite(v))) {
      throw new UsageError(`--qualities: expected a list like 10,20,30 or jpeg=10,20,30, got ${JSON.stringify(spec)}`);
    }
    if (m[1]) perCodec[m[1]] = values;
    else all = values;
  }
  if (all && Object.keys(perCodec).length > 0) {
    throw new UsageError('--qualities: give either one list for all codecs or per-codec lists, not both');
  }
  return all ?? perCodec;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function pct(v: number | null | undefined): string {
  return typeof v === 'number' ? `${v >= 0 ? '+' : ''}${v.toFixed(2)} %` : 'n/a';
}

/** Per codec: its rate and main metric ranges and its BD-rates (image: bpp, PSNR; audio: kbps, mel distance). */
function summary(results: EvalResults, table: ModalityEval): string {
  const shown = [table.rateKey, plotMetrics(table)[0]].map(metricInfo);
  const bdKeys = table.bdMetrics.map((m) => m.key);
  const rows = [['codec', 'points', ...shown.map((m) => m.header), ...bdKeys.map((k) => `BD-rate ${metricInfo(k).name}`)]];
  for (const [name, points] of Object.entries(results.codecs)) {
    const range = ({ key, decimals }: (typeof shown)[number]) => {
      const values = points.map((p) => p[key]).filter((v): v is number => typeof v === 'number');
      const d = decimals ?? 3;
      return values.length > 0 ? `${Math.min(...values).toFixed(d)}–${Math.max(...values).toFixed(d)}` : 'n/a';
    };
    rows.push([name, String(points.length), ...shown.map(range), ...bdKeys.map((k) => pct(results.bd_rate[name]?.[k]))]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  return `${results.items} items, ${results.modality}; BD-rate vs ${results.anchor} (negative = fewer bits)\n${lines.join('\n')}\n`;
}

/**
 * `--queue` options for the runner, with Ctrl-C wired to take the run's tasks off the queue
 * (a second Ctrl-C exits at once). The URL is checked here, before any input is read.
 */
function queueOptions(url: string, timeoutS: number) {
  const password = process.env.LCODEC_REDIS_PASSWORD || undefined;
  const { password: resolved } = parseRedisUrl(url, password);
  const interrupt = new AbortController();
  let queued = false;
  // Before measurements start nothing is on the queue yet: Ctrl-C just exits.
  const onSigint = () => (queued ? interrupt.abort() : process.exit(130));
  process.once('SIGINT', onSigint);
  return {
    options: { url, password: resolved, timeoutS, signal: interrupt.signal },
    /** Call as measurements start. */
    started: () => {
      queued = true;
    },
    release: () => process.removeListener('SIGINT', onSigint),
  };
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('rate–distortion evaluation of codecs on files or folders, with BD-rates against an anchor')
    .argument('<inputs...>', 'media files and/or folders (searched recursively)')
    .requiredOption('--codecs <list>', `comma-separated codec names (${listCodecs().map((c) => c.name).join(', ')})`)
    .option(
      '--qualities <list>',
      'qualities to run: "10,20,30" for every codec or "jpeg=10,20" per codec (repeatable); default: each codec\'s sweep',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--out <file>', 'results JSON (keys: docs/EVAL.md); "-" writes it to stdout')
    .option('--csv <file>', 'results as CSV, one row per point')
    .option(
      '--plot <file.svg>',
      'RD plots: <file>.svg (PSNR; audio: mel distance) and <file>-ms_ssim.svg (MS-SSIM; audio: <file>-si_sdr.svg, SI-SDR)',
    )
    .option('--report <file.html>', 'HTML report')
    .option('--anchor <codec>', 'BD-rate anchor (default: jpeg if evaluated, else the first codec)')
    .option('--jobs <n>', 'parallel worker threads', '1')
    .option(
      '--reference [file]',
      'published RD curves (default: ../shared/data/images/reference/published_kodak_rd.json): BD-rate of each codec vs its published counterpart, drawn in plot/report',
    )
    .addOption(new Option('--cache <dir>', 'result cache folder (default: ~/.cache/lcodec/eval)'))
    .option('--no-cache', 'ignore and do not write the result cache')
    .option('--force', 'overwrite existing output files')
    .option(
      '--queue <redis-url>',
      'run the measurements on `lcodec worker` processes through Redis: redis://[:password@]host:port[/db] (password also from $LCODEC_REDIS_PASSWORD); --jobs is then ignored',
    )
    .option('--queue-timeout <seconds>', 'with --queue: fail when no worker takes or works on a task for this long', '120')
    .action(async (inputs: string[], flags: EvalFlags) => {
      const jobs = integer('--jobs', flags.jobs, 1);
      const queueTimeout = inRange('--queue-timeout', flags.queueTimeout, 1, 86_400);
      const queue = flags.queue !== undefined ? queueOptions(flags.queue, queueTimeout) : undefined;
      const codecs = flags.codecs.split(',').map((c) => c.trim()).filter((c) => c !== '');
      const qualities = parseQualities(flags.qualities);

      const refuseExisting = async (files: (string | undefined)[]) => {
        if (flags.force) return;
        for (const f of files) if (f !== undefined && (await exists(f))) throw new UsageError(`${f} exists; use --force to overwrite`);
      };
      await refuseExisting([flags.out !== '-' ? flags.out : undefined, flags.csv, flags.plot, flags.report]);
      let reference: ReferenceCurves | undefined;
      if (flags.reference !== undefined) {
        reference = await loadReferenceCurves(flags.reference === true ? undefined : flags.reference);
      }

      const progress = progressBar('eval');
      let run;
      try {
        run = await evaluateWithStats({
          queue: queue
            ? {
                ...queue.options,
                onNotice: (line) => {
                  progress.done();
                  process.stderr.write(`${line}\n`);
                },
              }
            : undefined,
          inputs,
          codecs,
          qualities,
          anchor: flags.anchor,
          jobs,
          cache: flags.cache === false ? false : flags.cache,
          onProgress: (done, total, unit) => {
            queue?.started();
            progress.update(done, total, unit === 'measurements' ? undefined : unit);
          },
          // The further plots' names depend on the modality: checked before any work too.
          onStart: (modality) => refuseExisting(flags.plot ? plotFiles(flags.plot, modalityEval(modality)).map((p) => p.file) : []),
        });
      } catch (err) {
        // Whatever a library put in a message, the password does not reach the terminal.
        throw queue ? redactError(err, queue.options.password) : err;
      } finally {
        queue?.release();
        progress.done();
      }
      const { results, stats } = run;
      const table = modalityEval(results.modality);

      const json = JSON.stringify(results, null, 2) + '\n';
      if (flags.out === '-') process.stdout.write(json);
      else if (flags.out) await writeFileAtomic(flags.out, json);
      if (flags.csv) await writeFileAtomic(flags.csv, resultsToCsv(results));
      const opts = reference ? { reference: plottedReference(reference, Object.keys(results.codecs)) } : {};
      if (flags.plot) {
        for (const { file, metric } of plotFiles(flags.plot, table)) {
          await writeFileAtomic(file, renderRdSvg(results, metric, { ...opts, rateKey: table.rateKey }));
        }
      }
      if (flags.report) await writeFileAtomic(flags.report, renderHtmlReport(results, opts));

      // Human summary: stdout, unless stdout carries the JSON.
      const say = (s: string) => (flags.out === '-' ? process.stderr : process.stdout).write(s);
      say(summary(results, table));
      if (reference) {
        for (const c of compareWithReference(results, reference)) {
          say(`vs published ${c.reference}: ${c.codec} BD-rate PSNR ${pct(c.psnr)}, MS-SSIM ${pct(c.ms_ssim)}\n`);
        }
      }
      process.stderr.write(`${stats.measurements} measurements, ${stats.cached} from cache\n`);
    });
}
