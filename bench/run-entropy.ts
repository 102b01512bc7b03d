/** Prints the entropy benchmark as JSON: `node dist/bench/run-entropy.js [symbols]`. */
import { benchEntropy } from './entropy.js';

const arg = process.argv[2];
const symbols = arg === undefined ? undefined : Number(arg);
if (symbols !== undefined && !(Number.isInteger(symbols) && symbols > 0)) {
  process.stderr.write(`usage: run-entropy [symbols]  (a positive integer, got ${arg})\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(await benchEntropy({ symbols })) + '\n');
