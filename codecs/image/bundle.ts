/**
 * The runtime bundle of a learned image codec (models/<name>/bundle.json + ONNX graphs),
 * as written by training/export.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';

export interface ImageBundle {
  format: 'lcodec-image-hyperprior/1';
  name: string;
  arch: { N: number; M: number; stride: number; y_stride: number };
  qualities: number;
  /** Per quality, per channel of y: gain before quantization, inverse gain after. */
  gain: number[][];
  igain: number[][];
  /** Per quality, per channel of z. */
  zgain: number[][];
  izgain: number[][];
  /** Parameters of the integer hyper-synthesis (see training/lcodec_train/int_hs.py). */
  h_s_int: { s_in: number; k_mu: number[]; c_mu: number[]; thresholds: number[][] };
  /** Factorized prior of z: per channel a pmf over offset, offset+1, ... */
  z: { pmfs: number[][]; offsets: number[] };
  /** Gaussian conditional of y: per scale-table entry a pmf over offset, offset+1, ... */
  y: { scale_table: number[]; pmfs: number[][]; offsets: number[] };
  precision: number;
}

export interface ModelFiles {
  dir: string;
  bundle: ImageBundle;
  /** First 4 bytes of the weights hash from the model card, written into every file. */
  hash: Uint8Array;
  graph(name: 'g_a' | 'h_a' | 'g_s' | 'h_s_int'): string;
}

export function loadImageModelFiles(dir: string): ModelFiles {
  let bundle: ImageBundle;
  let card: { weights_sha256?: string };
  try {
    bundle = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as ImageBundle;
    card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as { weights_sha256?: string };
  } catch (err) {
    throw new InputError(`cannot load model from ${dir}: ${(err as Error).message}`);
  }
  if (bundle.format !== 'lcodec-image-hyperprior/1') throw new InputError(`unsupported model bundle format ${bundle.format}`);
  const hex = card.weights_sha256 ?? '';
  if (!/^[0-9a-f]{8}/.test(hex)) throw new InputError(`model card in ${dir} has no weights_sha256`);
  const hash = Uint8Array.from(hex.slice(0, 8).match(/../g)!.map((h) => parseInt(h, 16)));
  return { dir, bundle, hash, graph: (name) => join(dir, `${name}.onnx`) };
}
