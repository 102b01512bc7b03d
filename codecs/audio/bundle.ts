/**
 * The runtime bundles of the learned audio codecs (models/<name>/bundle.json + ONNX graphs), as
 * written by training/export_audio.py (learned transforms) and training/export_audio_mdct.py
 * (a fixed MDCT with a learned entropy model).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { loadModelFiles, type HyperpriorBundle, type HyperpriorGraph, type LearnedModelFiles } from '../learned/model-files.js';
import { ScaleContext, type ScaleContextBundle } from '../learned/scale-context.js';
import { Tns, type TnsBundle } from './tns.js';

/** What both audio bundles declare about their latent. */
interface AudioArch {
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
}

/**
 * Its integer hyper-synthesis (h_s_int) outputs 2 · M · z_stride channels: channel
 * c · z_stride + j of z frame t is latent channel c (mean for c < M, scale for c ≥ M) at
 * latent frame t · z_stride + j.
 */
export interface AudioBundle extends HyperpriorBundle {
  format: 'lcodec-audio-hyperprior/1';
  arch: AudioArch;
  /** The rate each quality was trained toward (kbit/s), ascending. */
  target_kbps: number[];
}

/**
 * The MDCT codec's bundle: the latent is the MDCT frame (M = hop coefficients) times gain[q][c]
 * = 1 / (step[q] · w[c]); only h_a and the integer h_s are graphs. Its h_s predicts no means
 * (k_mu = c_mu = 0).
 */
export interface MdctBundle extends HyperpriorBundle {
  format: 'lcodec-audio-mdct/1';
  arch: AudioArch & { transform: 'mdct'; window: 'sine' };
  /** The rate each quality was calibrated to (kbit/s), ascending. */
  target_kbps: number[];
  /** Encoder's dead zone θ: y is shrunk toward 0 by θ before rounding (symbols 0 for |y| < 0.5 + θ). */
  deadzone: number;
  /** Per quality: the noise filled into coefficients coded as 0, as a multiple of its expected spread. */
  noise_fill: number[];
  /** Per coefficient: a further factor on that noise (brighter at high frequencies, where whole bands code as 0). */
  fill_shape: number[];
  /**
   * The step follows each chunk's loudness: level index round((ref_db − L) / step_db) within
   * [min, max], L the chunk's mean power in dB (full scale 0 dB); the latent is multiplied by
   * 10^(index · step_db / 20). Absent: every chunk at index 0.
   */
  level?: { ref_db: number; step_db: number; min: number; max: number };
  /** A context on the y symbols' scale indexes from their decoded neighbours (codecs/learned/scale-context.ts). */
  context?: ScaleContextBundle;
  /** Temporal noise shaping (codecs/audio/tns.ts): a third section per chunk and coded channel. */
  tns?: TnsBundle;
}

export type AudioGraph = HyperpriorGraph;

export type AudioModelFiles = LearnedModelFiles<AudioBundle, AudioGraph>;
export type MdctModelFiles = LearnedModelFiles<MdctBundle, 'h_a' | 'h_s_int'>;

function checkIntegerHs(dir: string, b: HyperpriorBundle & { arch: AudioArch }): void {
  const { M, z_stride: r } = b.arch;
  if (b.h_s_int.k_mu.length !== M * r || b.h_s_int.thresholds.length !== M * r) {
    throw new InputError(`model bundle in ${dir} is inconsistent (integer h_s has ${b.h_s_int.k_mu.length} mean channels, expected ${M * r})`);
  }
}

export function loadAudioModelFiles(dir: string): AudioModelFiles {
  return loadModelFiles(dir, 'lcodec-audio-hyperprior/1', (b: AudioBundle) => checkIntegerHs(dir, b));
}

export function loadMdctModelFiles(dir: string): MdctModelFiles {
  return loadModelFiles(dir, 'lcodec-audio-mdct/1', (b: MdctBundle) => {
    checkIntegerHs(dir, b);
    const Q = b.qualities;
    const fillOk = b.noise_fill?.length === Q && b.fill_shape?.length === b.arch.M && b.fill_shape.every((v) => v >= 0 && v <= 16);
    if (b.context || b.tns) {
      try {
        if (b.context) new ScaleContext(b.context, b.y.scale_table.length);
        if (b.tns) new Tns(b.tns, b.arch.M);
      } catch (e) {
        throw new InputError(`model bundle in ${dir} is inconsistent (${(e as Error).message})`);
      }
    }
    const lv = b.level;
    const levelOk = !lv || (lv.step_db > 0 && lv.step_db <= 12 && Number.isInteger(lv.min) && Number.isInteger(lv.max) && -128 <= lv.min && lv.min <= 0 && 0 <= lv.max && lv.max <= 127 && Math.abs(lv.ref_db) <= 200);
    if (b.arch.M !== b.arch.hop || !fillOk || !levelOk || b.gain.length !== Q || !(b.deadzone >= 0 && b.deadzone < 0.5)) {
      throw new InputError(`model bundle in ${dir} is inconsistent (MDCT geometry, gains, dead zone, noise fill or level)`);
    }
  });
}

/** The bundle format of the audio model in `dir` (which loader and model class it needs). */
export function audioBundleFormat(dir: string): string {
  try {
    const head = readFileSync(join(dir, 'bundle.json'), 'utf8').slice(0, 200);
    return /"format"\s*:\s*"([^"]+)"/.exec(head)?.[1] ?? '';
  } catch (err) {
    throw new InputError(`cannot load model from ${dir}: ${(err as Error).message}`);
  }
}
