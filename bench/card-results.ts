/**
 * Writes what `lcodec eval` measured into the model cards: for every learned model in a
 * results JSON, `card.eval` gets its points, its BD-rates against every other codec of the
 * run, those codecs' points (the RD table the model is judged by), how they were made, and
 * for images its BD-rates against the published Kodak curves (where
 * ../shared/data/images/reference is present).
 * Usage: node dist/bench/card-results.js results.json "<the eval command>"
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../src/paths.js';
import { modalityEval } from '../src/eval/modalities.js';
import { bdRateOf } from '../src/eval/runner.js';
import { bdRateVsCurve, defaultReferencePath, loadReferenceCurves } from '../src/eval/reference.js';
import type { EvalResults } from '../src/eval/types.js';

const [file, command] = process.argv.slice(2);
if (!file || !command) {
  process.stderr.write('usage: card-results <results.json> "<eval command>"\n');
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as EvalResults;
// BD-rates on the metrics and rate the evaluation itself uses for this modality.
const table = modalityEval(results.modality);
const published = results.modality === 'image' && existsSync(defaultReferencePath()) ? await loadReferenceCurves() : [];
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
    others: Object.fromEntries(Object.entries(results.codecs).filter(([other]) => other !== name)),
    // BD-rate (%) of this model against every other codec of the run (negative = fewer bits).
    bd_rate_vs: Object.fromEntries(
      Object.entries(results.codecs)
        .filter(([other]) => other !== name)
        .map(([other, anchor]) => [other, Object.fromEntries(
          table.bdMetrics.map(({ key, scale }) => [key, bdRateOf(anchor, points, table.rateKey, key, scale)]),
        )]),
    ),
    ...(published.length > 0 && {
      // BD-rate (%) against each published curve (CompressAI's Kodak results, BPG, JPEG).
      bd_rate_vs_published: Object.fromEntries(published.map((curve) => [curve.id, bdRateVsCurve(curve, points)])),
    }),
  };
  writeFileSync(cardPath, JSON.stringify(card, null, 2) + '\n');
  process.stdout.write(`${name}: card updated (${points.length} points)\n`);
}
