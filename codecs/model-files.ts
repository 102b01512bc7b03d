/**
 * The files of an installed learned model (models/<name>/): the runtime bundle (bundle.json,
 * written by the training exporters), the model card (card.json) and the ONNX graphs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../src/errors.js';

export interface LearnedModelFiles<B, G extends string> {
  dir: string;
  bundle: B;
  /** First 4 bytes of the weights hash from the model card, written into every file. */
  hash: Uint8Array;
  graph(name: G): string;
}

/**
 * Reads the bundle and the card of the model in `dir`. The bundle must be of `format` and pass
 * `check` (which throws an InputError when it is inconsistent); the card must hold the weights hash.
 */
export function loadModelFiles<B extends { format: string }, G extends string>(
  dir: string,
  format: B['format'],
  check: (bundle: B) => void = () => {},
): LearnedModelFiles<B, G> {
  let bundle: B;
  let card: { weights_sha256?: string };
  try {
    bundle = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as B;
    card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as { weights_sha256?: string };
  } catch (err) {
    throw new InputError(`cannot load model from ${dir}: ${(err as Error).message}`);
  }
  if (bundle.format !== format) throw new InputError(`unsupported model bundle format ${bundle.format}`);
  check(bundle);
  const hex = card.weights_sha256 ?? '';
  if (!/^[0-9a-f]{8}/.test(hex)) throw new InputError(`model card in ${dir} has no weights_sha256`);
  const hash = Uint8Array.from(hex.slice(0, 8).match(/../g)!.map((h) => parseInt(h, 16)));
  return { dir, bundle, hash, graph: (name) => join(dir, `${name}.onnx`) };
}
