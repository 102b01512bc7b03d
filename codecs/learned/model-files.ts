/**
 * The files of an installed learned model (models/<name>/), read from its folder in Node: the
 * runtime bundle (bundle.json, written by the training exporters), the model card (card.json)
 * and the ONNX graphs. They are checked by model-files-core.ts, which the browser build shares.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { modelFilesFrom, type LearnedModelFiles } from './model-files-core.js';

export type { HyperpriorBundle, HyperpriorGraph, LatentBundle, LearnedModelFiles } from './model-files-core.js';

/** Reads the bundle and the card of the model in `dir` and checks them (see modelFilesFrom). */
export function loadModelFiles<B extends { format: string }, G extends string>(
  dir: string,
  format: B['format'] | readonly B['format'][],
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
  return modelFilesFrom(dir, bundle, card, format, (name) => join(dir, `${name}.onnx`), check);
}
