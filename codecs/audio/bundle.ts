/**
 * The runtime bundle of a learned audio codec (models/<name>/bundle.json + ONNX graphs), as
 * written by training/export_audio.py.
 */
import { InputError } from '../../src/errors.js';
import { loadModelFiles, type HyperpriorBundle, type HyperpriorGraph, type LearnedModelFiles } from '../learned/model-files.js';

/**
 * Its integer hyper-synthesis (h_s_int) outputs 2 · M · z_stride channels: channel
 * c · z_stride + j of z frame t is latent channel c (mean for c < M, scale for c ≥ M) at
 * latent frame t · z_stride + j.
 */
export interface AudioBundle extends HyperpriorBundle {
  format: 'lcodec-audio-hyperprior/1';
  arch: {
    /** Latent channels (y) and hyper-latent channels (z). */
    M: number;
    Nz: number;
    transform: string;
    /** The model's own sample rate; input at other rates is resampled to it. */
    sample_rate: number;
    /** Samples per latent frame. */
    hop: number;
    /** Latent frames per hyper-latent frame. */
    z_stride: number;
    /** Latent frames of context each side of a chunk for g_a and g_s (≥ their receptive field). */
    context: number;
  };
  /** The rate each quality was trained toward (kbit/s), ascending. */
  target_kbps: number[];
}

export type AudioGraph = HyperpriorGraph;

export type AudioModelFiles = LearnedModelFiles<AudioBundle, AudioGraph>;

export function loadAudioModelFiles(dir: string): AudioModelFiles {
  return loadModelFiles(dir, 'lcodec-audio-hyperprior/1', (bundle: AudioBundle) => {
    const { M, z_stride: r } = bundle.arch;
    if (bundle.h_s_int.k_mu.length !== M * r || bundle.h_s_int.thresholds.length !== M * r) {
      throw new InputError(`model bundle in ${dir} is inconsistent (integer h_s has ${bundle.h_s_int.k_mu.length} mean channels, expected ${M * r})`);
    }
  });
}
