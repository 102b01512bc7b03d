/**
 * Media as lcodec reads, codes and writes it: images, audio and video in memory, and the
 * limits every reader and decoder checks. The bottom layer: codecs, I/O and metrics all use
 * these types; this file imports nothing.
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

/**
 * Planar 8-bit Y'CbCr, BT.601 limited range (the conversion is defined in src/io/yuv.ts):
 * planes Y, Cb, Cr back to back, chroma ⌈w/2⌉ × ⌈h/2⌉ for 4:2:0.
 */
export interface YuvFrame {
  width: number;
  height: number;
  chroma: '420' | '444';
  data: Uint8Array;
}

/**
 * A video frame: 8-bit RGB, and — when the frame was converted from Y'CbCr (a video file, a
 * classical decoder's output) — those source samples. YUV codecs and YUV metrics use them, so
 * that an RGB round trip (lossy for out-of-gamut colours) never adds to their error. They are
 * only used after checking that they convert to exactly `data` (src/io/yuv.ts `sourceYuv`), so
 * a frame whose pixels were changed in place is never mis-coded.
 */
export interface VideoFrame extends RgbImage {
  yuv?: YuvFrame;
}

/**
 * A video: 8-bit RGB frames of one size, in display order.
 *
 * `frames` is either an array (the clip in memory) or an async iterable that produces the
 * frames one at a time (a file being decoded, a decoder's output), so that a long clip never
 * has to be held whole. Consume both the same way: `for await (const frame of video.frames)`.
 * The streams lcodec hands out (`readVideo`, the video codecs' `decode`) may be iterated again;
 * each pass decodes from the start. RGB ↔ Y'CbCr for video is defined once, in src/io/yuv.ts.
 */
export interface Video {
  width: number;
  height: number;
  /** Frames per second as a fraction, e.g. [30000, 1001]. */
  fps: [number, number];
  frames: readonly VideoFrame[] | AsyncIterable<VideoFrame>;
  /** Number of frames when known before iterating (arrays: their length). */
  frameCount?: number;
}

export interface MediaByModality {
  image: RgbImage;
  audio: Audio;
  video: Video;
}
