/**
 * The one codec interface. Learned and classical codecs (JPEG, x265, Opus, ...) implement
 * it alike, so the CLI, the library API and evaluation never special-case a codec.
 */
import type { MediaByModality, Modality } from '../src/media.js';

export interface Codec<M extends Modality = Modality> {
  /** Registry name: a model name (e.g. `hyperprior-mse`) or a baseline (`jpeg`, `x265`, ...). */
  readonly name: string;
  readonly modality: M;
  /** The quality levels the codec offers, ascending; higher = better quality, more bits. */
  readonly qualities: readonly number[];
  /** Encodes to the complete bitstream a user would store: its length is the rate. */
  encode(media: MediaByModality[M], quality: number): Promise<Uint8Array>;
  decode(bytes: Uint8Array): Promise<MediaByModality[M]>;
}

export type ImageCodec = Codec<'image'>;
export type AudioCodec = Codec<'audio'>;
export type VideoCodec = Codec<'video'>;
