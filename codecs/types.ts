/**
 * The one codec interface. Learned and classical codecs (JPEG, x265, Opus, ...) implement
 * it alike, so the CLI, the library API and evaluation never special-case a codec.
 */

export type Modality = 'image' | 'audio' | 'video';

/** 8-bit RGB image, pixels interleaved row by row (R, G, B, R, G, B, ...). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Largest image, in pixels, that lcodec reads or decodes (e.g. 16384 × 8192). Checked from
 * headers before any pixel buffer is allocated; at 8 bytes per pixel of buffers (RGBA from
 * the reader, RGB and alpha planes) an image this size stays near 1 GB, plus the model's
 * per-tile working memory (measured by bench/image-memory.ts).
 */
export const MAX_IMAGE_PIXELS = 2 ** 27;

/**
 * An image as a file holds it: the 8-bit RGB colour every image codec codes, plus what an
 * image file may carry beside it. Codecs and metrics that know only RGB read it as an
 * RgbImage; the learned codecs keep the extras (docs/FORMAT.md).
 */
export interface Picture extends RgbImage {
  /** Alpha plane, width × height bytes (255 = opaque), present when the image has transparency. */
  alpha?: Uint8Array;
  /** The image is grayscale (R = G = B in `data`); written back as a grayscale file. */
  grayscale?: boolean;
}

/** PCM audio: one Float32Array per channel, samples in [-1, 1]. */
export interface Audio {
  sampleRate: number;
  channels: Float32Array[];
}

/** A video as 8-bit RGB frames of one size. */
export interface Video {
  width: number;
  height: number;
  /** Frames per second as a fraction, e.g. [30000, 1001]. */
  fps: [number, number];
  frames: RgbImage[];
}

export interface MediaByModality {
  image: RgbImage;
  audio: Audio;
  video: Video;
}

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
