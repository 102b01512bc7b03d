/**
 * Writes what `lcodec eval` measured into the model cards: for every learned model in a
 * results JSON, `card.eval` gets its points, its BD-rates against the anchor, and how they
 * were made. Usage: node dist/bench/card-results.js results.json "<the eval command>"
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../src/paths.js';
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
    bd_rate_vs_anchor: results.bd_rate[name],
    bd_rate_all: results.bd_rate,
  };
  writeFileSync(cardPath, JSON.stringify(card, null, 2) + '\n');
  process.stdout.write(`${name}: card updated (${points.length} points)\n`);
}
