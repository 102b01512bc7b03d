/**
 * `lcodec bench`: speed of the entropy coder and of every installed image model beside the
 * jpeg and x265 baselines, measured in one run on this machine (JSON keys: docs/EVAL.md).
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { benchEntropy } from '../../../bench/entropy.js';
import { benchImages } from '../../../bench/image.js';
import { integer } from '../../check.js';
import { listModels } from '../../../codecs/models.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('entropy-coder and model speed on this machine')
    .option('--json', 'print the results as JSON (keys: docs/EVAL.md)')
    .option('--symbols <n>', 'symbols for the entropy benchmark', '5000000')
    .option('--only <parts>', 'comma-separated subset of entropy,image')
    .action(async (o: { json?: boolean; symbols: string; only?: string }) => {
      const symbols = integer('--symbols', o.symbols, 1);
      const parts = new Set((o.only ?? 'entropy,image').split(','));
      const out: Record<string, unknown> = {
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      };
      if (parts.has('entropy')) out.entropy = await benchEntropy({ symbols });
      if (parts.has('image')) {
        const models = listModels().filter((m) => m.modality === 'image').map((m) => m.name);
        const r = await benchImages(models, ['jpeg', 'x265']);
        out.image_file = r.file;
        out.image = r.image;
        out.baselines = r.baselines;
        // Ratios against the peers measured in this same run.
        const x265 = r.baselines.x265;
        out.image_vs_x265 = Object.fromEntries(
          Object.entries(r.image).map(([name, t]) => [name, { encode: t.encode_s / x265!.encode_s, decode: t.decode_s / x265!.decode_s }]),
        );
      }
      if (o.json) {
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      process.stdout.write(formatBench(out));
    });
}

function formatBench(out: Record<string, unknown>): string {
  const lines: string[] = [];
  const e = out.entropy as { symbols: number; encode_sym_per_s: number; decode_sym_per_s: number; overhead_pct: number } | undefined;
  if (e) {
    lines.push(`entropy: ${e.symbols} symbols, encode ${(e.encode_sym_per_s / 1e6).toFixed(1)} M/s, ` +
      `decode ${(e.decode_sym_per_s / 1e6).toFixed(1)} M/s, overhead ${e.overhead_pct.toFixed(4)} %`);
  }
  const all = { ...(out.image as object | undefined), ...(out.baselines as object | undefined) } as Record<string, { quality: number; bpp: number; psnr: number; encode_s: number; decode_s: number }>;
  if (Object.keys(all).length) lines.push(`image (${String(out.image_file)}):`);
  for (const [name, t] of Object.entries(all)) {
    lines.push(`  ${name.padEnd(18)} q${String(t.quality).padEnd(4)} ${t.bpp.toFixed(3)} bpp ${t.psnr.toFixed(2)} dB  ` +
      `encode ${t.encode_s.toFixed(3)} s  decode ${t.decode_s.toFixed(3)} s`);
  }
  return lines.join('\n') + '\n';
}
