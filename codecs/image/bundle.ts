/**
 * The runtime bundle of a learned image codec (models/<name>/bundle.json + ONNX graphs),
 * as written by training/export.py.
 */
import { loadModelFiles, type HyperpriorBundle, type HyperpriorGraph, type LearnedModelFiles } from '../learned/model-files.js';

export interface ImageBundle extends HyperpriorBundle {
  format: 'lcodec-image-hyperprior/1';
  arch: { N: number; M: number; stride: number; y_stride: number };
}

export type ModelFiles = LearnedModelFiles<ImageBundle, HyperpriorGraph>;

export function loadImageModelFiles(dir: string): ModelFiles {
  return loadModelFiles(dir, 'lcodec-image-hyperprior/1');
}
