/**
 * The parts of an installed learned model (models/<name>/): the runtime bundle (bundle.json,
 * written by the training exporters), the model card (card.json) and the ONNX graphs, checked
 * the same way wherever they were read from. Portable: Node reads them from a folder
 * (model-files.ts), a browser fetches them (src/web/models.ts).
 */
import { InputError } from '../../src/errors.js';

/**
 * What the bundles of every learned codec share (training/export.py, bundle_tables): gains per
 * quality and the entropy tables of z and y.
 */
export interface LatentBundle {
  name: string;
  qualities: number;
  /** Per quality, per channel of y: gain before quantization, inverse gain after. */
  gain: number[][];
  igain: number[][];
  /** Per quality, per channel of z. */
  zgain: number[][];
  izgain: number[][];
  /** Factorized prior of z: per channel a pmf over offset, offset + 1, ... */
  z: { pmfs: number[][]; offsets: number[] };
  /** Gaussian conditional of y: per scale-table entry a pmf over offset, offset + 1, ... */
  y: { scale_table: number[]; pmfs: number[][]; offsets: number[] };
  precision: number;
}

/** The bundles of the hyperprior image and audio codecs: also their integer hyper-synthesis. */
export interface HyperpriorBundle extends LatentBundle {
  /**
   * Parameters of the integer hyper-synthesis (training/lcodec_train/int_hs.py); k_mu, c_mu
   * and thresholds are per output channel of its mean / scale half.
   */
  h_s_int: { s_in: number; k_mu: number[]; c_mu: number[]; thresholds: number[][] };
}

/** The ONNX graphs of a hyperprior codec. */
export type HyperpriorGraph = 'g_a' | 'h_a' | 'g_s' | 'h_s_int';

export interface LearnedModelFiles<B, G extends string> {
  dir: string;
  bundle: B;
  /** First 4 bytes of the weights hash from the model card, written into every file. */
  hash: Uint8Array;
  graph(name: G): string;
}

/**
 * Checks a model's parsed bundle and card: the bundle must be of `format` (or one of several) and pass `check` (which
 * throws an InputError when it is inconsistent); the card must hold the weights hash. `where`
 * names the model's location in messages; `graph` locates a graph (a path or a URL).
 */
export function modelFilesFrom<B extends { format: string }, G extends string>(
  where: string,
  bundle: B,
  card: { weights_sha256?: string },
  format: B['format'] | readonly B['format'][],
  graph: (name: G) => string,
  check: (bundle: B) => void = () => {},
): LearnedModelFiles<B, G> {
  if (!(Array.isArray(format) ? format : [format]).includes(bundle.format)) throw new InputError(`unsupported model bundle format ${bundle.format}`);
  check(bundle);
  const hex = card.weights_sha256 ?? '';
  if (!/^[0-9a-f]{8}/.test(hex)) throw new InputError(`model card in ${where} has no weights_sha256`);
  const hash = Uint8Array.from(hex.slice(0, 8).match(/../g)!.map((h) => parseInt(h, 16)));
  return { dir: where, bundle, hash, graph };
}
