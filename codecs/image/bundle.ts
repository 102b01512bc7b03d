/**
 * The runtime bundle of a learned image codec (models/<name>/bundle.json + ONNX graphs),
 * as written by training/export.py.
 */
import { loadModelFiles, type LearnedModelFiles } from '../model-files.js';

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

export type ModelFiles = LearnedModelFiles<ImageBundle, 'g_a' | 'h_a' | 'g_s' | 'h_s_int'>;

export function loadImageModelFiles(dir: string): ModelFiles {
  return loadModelFiles(dir, 'lcodec-image-hyperprior/1');
}
