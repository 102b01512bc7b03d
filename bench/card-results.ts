/**
 * Writes what `lcodec eval` measured into the model cards: for every learned model in a
 * results JSON, `card.eval` gets its points, its BD-rates against the anchor, and how they
 * were made. Usage: node dist/bench/card-results.js results.json "<the eval command>"
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../src/paths.js';
import { msSsimDb } from '../src/eval/bdrate.js';
import { bdRateOf } from '../src/eval/runner.js';
import type { EvalResults } from '../src/eval/types.js';

const [file, command] = process.argv.slice(2);
if (!file || !command) {
  process.stderr.write('usage: card-results <results.json> "<eval command>"\n');
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as EvalResults;
for (const [name, points] of Object.entries(results.codecs)) {
  const cardPath = join(modelsDir(), name, 'card.json');
  if (!existsSync(cardPath)) continue; // a baseline
  const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
  card.eval = {
    command,
    items: results.items,
    modality: results.modality,
    anchor: results.anchor,
    points,
    // BD-rate (%) of this model against every other codec of the run (negative = fewer bits).
    bd_rate_vs: Object.fromEntries(
      Object.entries(results.codecs)
        .filter(([other]) => other !== name)
        .map(([other, anchor]) => [other, {
          psnr: bdRateOf(anchor, points, 'bpp', 'psnr'),
          ms_ssim: bdRateOf(anchor, points, 'bpp', 'ms_ssim', msSsimDb),
        }]),
    ),
  };
  writeFileSync(cardPath, JSON.stringify(card, null, 2) + '\n');
  process.stdout.write(`${name}: card updated (${points.length} points)\n`);
}
