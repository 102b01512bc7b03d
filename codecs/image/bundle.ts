/**
 * The runtime bundles of the learned image codecs (models/<name>/bundle.json + ONNX graphs):
 * the mean-scale hyperprior (training/export.py) and the channel-wise context model
 * (training/export_channel.py, whose docstring gives the decoding recipe). Portable (the browser
 * build checks fetched bundles with it); Node reads them with image/model-files.ts.
 */
import { InputError } from '../../src/errors.js';
import type { HyperpriorBundle, HyperpriorGraph, LatentBundle, LearnedModelFiles } from '../learned/model-files-core.js';

export interface ImageBundle extends HyperpriorBundle {
  format: 'lcodec-image-hyperprior/1';
  arch: { N: number; M: number; stride: number; y_stride: number };
}

/** One slice of the channel-wise model: latent channels [start, end) and its integer network's output parameters. */
export interface ChannelSlice {
  start: number;
  end: number;
  /** Per channel of the slice: the mean correction d_mu = acc · k_mu + c_mu. */
  k_mu: number[];
  c_mu: number[];
  /** Per channel: 2J ascending thresholds; the table index moves by #{j : acc ≥ T[j]} − J. */
  shift_thresholds: number[][];
  /** Per quality: the first layer's integer bias (an input of the graph). */
  b_q: number[][];
}

export interface ChannelBundle extends LatentBundle {
  format: 'lcodec-image-channel/1';
  arch: { N: number; M: number; HS: [number, number]; slices: number[]; hidden: number; stride: number; y_stride: number };
  /** The hyperprior's index lives on the scale table extended by J entries each way. */
  J: number;
  /**
   * The integer h_s: per quality its input scale and first-layer multipliers; the scale of its
   * hidden activation H (which g_s and the slice networks read); mean parameters and the
   * thresholds of the extended table's index, per latent channel.
   */
  h_s_int: { s_in: number[]; m0: number[][]; s_hidden: number; k_mu: number[]; c_mu: number[]; thresholds: number[][] };
  /** Per quality and latent channel: the factor turning ŷ into the slice networks' context codes. */
  ctx_factor: number[][];
  slices: ChannelSlice[];
}

export type ChannelGraph = 'g_a' | 'h_a' | 'g_s' | 'h_s_int' | `slice_${number}_int`;

export type ModelFiles = LearnedModelFiles<ImageBundle, HyperpriorGraph>;
export type ChannelModelFiles = LearnedModelFiles<ChannelBundle, ChannelGraph>;
/** The files of any learned image model. */
export type ImageModelFiles = ModelFiles | ChannelModelFiles;

export const IMAGE_BUNDLE_FORMATS = ['lcodec-image-hyperprior/1', 'lcodec-image-channel/1'] as const;

/** Throws an InputError unless a bundle's parts agree (slices cover the latent in order, per-quality tables). */
export function checkImageBundle(b: ImageBundle | ChannelBundle): void {
  if (b.format !== 'lcodec-image-channel/1') return;
  const bad = (what: string): never => {
    throw new InputError(`model bundle ${b.name}: ${what}`);
  };
  const Q = b.qualities;
  const { M } = b.arch;
  if (![b.gain, b.igain, b.ctx_factor, b.h_s_int.m0].every((t) => t.length === Q) || b.h_s_int.s_in.length !== Q) bad('per-quality tables disagree');
  if (b.h_s_int.k_mu.length !== M || b.h_s_int.thresholds.length !== M) bad('h_s parameters do not cover the latent');
  let at = 0;
  for (const [i, s] of b.slices.entries()) {
    const n = s.end - s.start;
    if (s.start !== at || n < 1 || s.k_mu.length !== n || s.c_mu.length !== n || s.shift_thresholds.length !== n || s.b_q.length !== Q) bad(`slice ${i} is inconsistent`);
    if (s.shift_thresholds.some((T) => T.length !== 2 * b.J)) bad(`slice ${i}: shift thresholds are not 2J per channel`);
    at = s.end;
  }
  if (at !== M) bad(`slices cover ${at} of ${M} latent channels`);
}

/** Whether `files` are a mean-scale hyperprior's (else the channel-wise model's). */
export function isHyperpriorFiles(files: ImageModelFiles): files is ModelFiles {
  return files.bundle.format === 'lcodec-image-hyperprior/1';
}
