/**
 * The runtime bundle of a learned audio codec (models/<name>/bundle.json + ONNX graphs), as
 * written by training/export_audio.py.
 */
import { InputError } from '../../src/errors.js';
import { loadModelFiles, type LearnedModelFiles } from '../model-files.js';

export interface AudioBundle {
  format: 'lcodec-audio-hyperprior/1';
  name: string;
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
  qualities: number;
  /** The rate each quality was trained toward (kbit/s), ascending. */
  target_kbps: number[];
  /** Per quality, per channel of y: gain before quantization, inverse gain after. */
  gain: number[][];
  igain: number[][];
  /** Per quality, per channel of z. */
  zgain: number[][];
  izgain: number[][];
  /**
   * Integer hyper-synthesis (training/lcodec_train/int_hs.py). Its output has
   * 2 · M · z_stride channels; channel c · z_stride + j of z frame t is latent channel c
   * (mean for c < M, scale for c ≥ M) at latent frame t · z_stride + j. k_mu, c_mu and
   * thresholds are per output channel of the mean / scale half.
   */
  h_s_int: { s_in: number; k_mu: number[]; c_mu: number[]; thresholds: number[][] };
  /** Factorized prior of z: per channel a pmf over offset, offset + 1, ... */
  z: { pmfs: number[][]; offsets: number[] };
  /** Gaussian conditional of y: per scale-table entry a pmf over offset, offset + 1, ... */
  y: { scale_table: number[]; pmfs: number[][]; offsets: number[] };
  precision: number;
}

export type AudioGraph = 'g_a' | 'h_a' | 'g_s' | 'h_s_int';

export type AudioModelFiles = LearnedModelFiles<AudioBundle, AudioGraph>;

export function loadAudioModelFiles(dir: string): AudioModelFiles {
  return loadModelFiles(dir, 'lcodec-audio-hyperprior/1', (bundle: AudioBundle) => {
    const { M, z_stride: r } = bundle.arch;
    if (bundle.h_s_int.k_mu.length !== M * r || bundle.h_s_int.thresholds.length !== M * r) {
      throw new InputError(`model bundle in ${dir} is inconsistent (integer h_s has ${bundle.h_s_int.k_mu.length} mean channels, expected ${M * r})`);
    }
  });
}
