/** What every image baseline shares beyond the `Codec` interface. */
import { integer } from '../../src/check.js';
import type { RgbImage } from '../../src/media.js';
import type { ImageCodec } from '../types.js';

export interface BaselineImageCodec extends ImageCodec {
  /** Every integer quality in this inclusive range is accepted; `qualities` is the default RD sweep. */
  readonly qualityRange: readonly [number, number];
  /**
   * The configuration that decides the bitstream (library versions, options): results
   * cached under one config are never reused for another.
   */
  readonly config: string;
}

/** Throws RangeError unless `q` is an integer inside `range`. */
export function checkQuality(codec: string, q: number, range: readonly [number, number]): void {
  integer(`quality for ${codec}`, q, range[0], range[1], RangeError);
}

/** Throws RangeError unless `img` is a non-empty, well-formed 8-bit RGB image. */
export function checkImage(codec: string, img: RgbImage): void {
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`${codec}: expected a non-empty 8-bit RGB image (width × height × 3 bytes)`);
  }
}

/** Inclusive integer range lo..hi in steps of `step`. */
export function sweep(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let q = lo; q <= hi; q += step) out.push(q);
  return out;
}
