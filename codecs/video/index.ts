/**
 * Learned video codec behind the common codec interface: every frame goes through the image
 * model's transforms (g_a / g_s); intra frames are coded exactly as the image codec codes a
 * picture, P-frames with the spatiotemporal entropy model of temporal.ts, conditioned on the
 * previous decoded latent. Frames stream through both ways: encoding holds one frame and the
 * previous latent, decoding yields frames one at a time.
 *
 * Bitstream (docs/FORMAT.md): an `.lc` container, shape `width, height, fps_num, fps_den,
 * frames, intra_period, tile`, and per frame, per tile, its z then y stream. A frame is intra
 * when its index is a multiple of intra_period.
 */
import { CorruptFileError, readContainer, writeContainer } from '../../src/container/index.js';
import { integer, type ErrorClass } from '../../src/check.js';
import { InputError } from '../../src/errors.js';
import { videoFrames } from '../../src/io/video.js';
import { nodeEngine, type RuntimeOptions } from '../../src/runtime/onnx.js';
import { isHyperpriorFiles } from '../image/bundle.js';
import { loadImageModelFiles } from '../image/model-files.js';
import { ImageHyperpriorModel, TILE, checkTile, tileDims, tileGrid, type Rect, type TileStreams } from '../image/hyperprior.js';
import { checkHeader, type EntropyParameters, type HyperLatents } from '../learned/hyperprior.js';
import { dequantize } from '../learned/quantize.js';
import { MAX_IMAGE_PIXELS, type Video, type VideoFrame } from '../../src/media.js';
import { type VideoCodec } from '../types.js';
import { loadTemporalBundle, TemporalModel } from './temporal.js';

/** Frames between intra frames (the container stores it in 16 bits); throws `Err` otherwise. */
export function checkIntraPeriod(period: unknown, name = 'intra period', Err: ErrorClass = InputError): number {
  return integer(name, period, 1, 65535, Err);
}

/** Sections a container can hold, and so frames × tiles × 2 at most. */
const MAX_SECTIONS = 1 << 16;

/** A checked video file: its streams and layout. */
export interface VideoStream {
  sections: Uint8Array[];
  width: number;
  height: number;
  fps: [number, number];
  frames: number;
  period: number;
  grid: Rect[];
  quality: number;
}

export interface VideoCodecOptions {
  /** Frames between intra frames: 1 codes every frame intra (the model's default otherwise). */
  intraPeriod?: number;
  /** Tile edge in pixels (multiple of 64, at most and by default 1024). */
  tile?: number;
}

export class LearnedVideoCodec implements VideoCodec {
  readonly modality = 'video' as const;
  readonly qualities: readonly number[];
  /** The codec's name: the model's, with `-intra` when every frame is coded intra. */
  readonly name: string;
  readonly intraPeriod: number;
  readonly tile: number;
  /** @internal The image model (intra frames, transforms) and the P-frame model. */
  readonly model: ImageHyperpriorModel;
  readonly temporal: TemporalModel;

  /** `modelName`: the installed model (its files are in `dir`); it names the files this codec writes. */
  constructor(readonly modelName: string, dir: string, runtime: RuntimeOptions = {}, options: VideoCodecOptions = {}) {
    const files = loadImageModelFiles(dir);
    // The temporal entropy model predicts the hyperprior's parameters: its intra model is one.
    if (!isHyperpriorFiles(files)) throw new InputError(`video model ${modelName}: its intra model must be a mean-scale hyperprior (bundle ${files.bundle.format})`);
    this.model = new ImageHyperpriorModel(modelName, files, nodeEngine(runtime));
    const bundle = loadTemporalBundle(dir);
    this.temporal = new TemporalModel(dir, bundle, this.model.files.bundle, runtime);
    this.qualities = this.model.qualities;
    this.intraPeriod = checkIntraPeriod(options.intraPeriod ?? bundle.intra_period);
    this.tile = checkTile(options.tile ?? TILE, 'tile', InputError);
    this.name = this.intraPeriod === 1 && options.intraPeriod === 1 ? `${modelName}-intra` : modelName;
  }

  async encode(video: Video, quality: number): Promise<Uint8Array> {
    this.model.checkQuality(quality);
    const { width, height } = video;
    if (width * height > MAX_IMAGE_PIXELS) throw new InputError(`video frames of ${width}x${height} are over the ${MAX_IMAGE_PIXELS} pixel limit`);
    const grid = tileGrid(width, height, this.tile);
    const { N } = this.model.files.bundle.arch;
    const prev: Float32Array[] = [];
    const sections: Uint8Array[] = [];
    let frames = 0;
    for await (const frame of videoFrames(video)) {
      if (sections.length + 2 * grid.length > MAX_SECTIONS) {
        throw new InputError(`video is too long for one .lc file (at most ${Math.floor(MAX_SECTIONS / 2 / grid.length)} frames of this size)`);
      }
      const intra = frames % this.intraPeriod === 0;
      for (let i = 0; i < grid.length; i++) {
        const t = grid[i]!;
        if (intra) {
          const { streams, latents } = await this.model.codeTile(frame, t, quality);
          sections.push(streams.z, streams.y);
          prev[i] = dequantize(latents.symbols, latents.mu);
          continue;
        }
        const { yh, yw } = tileDims(t);
        const y = await this.model.latent(frame, t, quality);
        const zHat = await this.temporal.hyperLatent(y, prev[i]!, quality, yh, yw);
        const { streams, latents } = await this.temporal.coder.encode(y, zHat, this.model.zShape(t), this.pFrameParameters(prev[i]!, t, quality));
        sections.push(streams.z, streams.y);
        prev[i] = dequantize(latents.symbols, latents.mu);
      }
      frames++;
    }
    if (frames === 0) throw new InputError('video has no frames');
    return writeContainer({
      modality: 'video',
      model: this.modelName,
      modelHash: this.model.files.hash,
      quality,
      shape: [width, height, video.fps[0], video.fps[1], frames, this.intraPeriod, this.tile],
      sections,
    });
  }

  /**
   * Checks the header and the section layout, then returns the video; its frames are decoded
   * one at a time as they are iterated (a damaged stream throws there).
   */
  async decode(bytes: Uint8Array): Promise<Video> {
    const stream = this.parse(bytes);
    return {
      width: stream.width,
      height: stream.height,
      fps: stream.fps,
      frameCount: stream.frames,
      frames: { [Symbol.asyncIterator]: () => this.decodeFrames(stream) },
    };
  }

  /** @internal The header and section layout of a file, checked (CorruptFileError, InputError). */
  parse(bytes: Uint8Array): VideoStream {
    const c = readContainer(bytes);
    checkHeader(c, 'video', this.modelName, this.model.files.hash, this.qualities);
    if (c.shape.length !== 7) throw new CorruptFileError('corrupt .lc file (video shape)');
    const [width, height, fpsNum, fpsDen, frames, period, tile] = c.shape as [number, number, number, number, number, number, number];
    if (!(width >= 1 && height >= 1 && width * height <= MAX_IMAGE_PIXELS) || !(fpsNum >= 1 && fpsDen >= 1) || frames < 1 || period < 1) {
      throw new CorruptFileError(`corrupt .lc file (video ${width}x${height}, ${frames} frames, ${fpsNum}/${fpsDen} fps, intra period ${period})`);
    }
    try {
      checkTile(tile);
    } catch {
      throw new CorruptFileError(`corrupt .lc file (tile size ${tile})`);
    }
    const grid = tileGrid(width, height, tile);
    if (c.sections.length !== frames * grid.length * 2) {
      throw new CorruptFileError(`corrupt .lc file (${frames} frames of ${grid.length} tiles need ${frames * grid.length * 2} sections, found ${c.sections.length})`);
    }
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < grid.length; i++) {
        const coder = f % period === 0 ? this.model.coder : this.temporal.coder;
        if (c.sections[(f * grid.length + i) * 2]!.length < coder.minZBytes(this.model.zShape(grid[i]!))) {
          throw new CorruptFileError(`corrupt .lc file (frame ${f}, tile ${i}: its stream is too short for the declared size)`);
        }
      }
    }
    return { sections: c.sections, width, height, fps: [fpsNum, fpsDen], frames, period, grid, quality: c.quality };
  }

  private async *decodeFrames(s: VideoStream): AsyncGenerator<VideoFrame> {
    for await (const latents of this.decodeLatents(s)) {
      const out: VideoFrame = { width: s.width, height: s.height, data: new Uint8Array(s.width * s.height * 3) };
      for (let i = 0; i < s.grid.length; i++) await this.model.synthesizeLatent(latents[i]!, s.grid[i]!, s.quality, out);
      yield out;
    }
  }

  /**
   * @internal Entropy decoding only: per frame, every tile's decoded latent ŷ. These are what
   * must come out bit-exactly on every machine (g_s after them is float arithmetic).
   */
  async *decodeLatents(s: VideoStream): AsyncGenerator<Float32Array[]> {
    for await (const tiles of this.decodeTiles(s)) yield tiles.map((t) => t.yHat);
  }

  /**
   * Diagnostics: the latents (ẑ, table indexes, means, symbols) of every frame's tiles, in
   * stream order: what must decode alike on every machine (test/golden.test.ts).
   */
  async decodeSymbols(bytes: Uint8Array): Promise<HyperLatents[]> {
    const out: HyperLatents[] = [];
    for await (const tiles of this.decodeTiles(this.parse(bytes))) out.push(...tiles.map((t) => t.latents));
    return out;
  }

  /** Per frame, every tile's latents and its decoded ŷ (which conditions the next frame). */
  private async *decodeTiles(s: VideoStream): AsyncGenerator<{ latents: HyperLatents; yHat: Float32Array }[]> {
    let prev: Float32Array[] = [];
    for (let f = 0; f < s.frames; f++) {
      const cur: { latents: HyperLatents; yHat: Float32Array }[] = [];
      for (let i = 0; i < s.grid.length; i++) {
        const t = s.grid[i]!;
        const k = (f * s.grid.length + i) * 2;
        const streams: TileStreams = { z: s.sections[k]!, y: s.sections[k + 1]! };
        const latents = f % s.period === 0
          ? await this.model.decodeLatents(streams, t, s.quality)
          : await this.temporal.coder.decode(streams, this.model.zShape(t), this.pFrameParameters(prev[i]!, t, s.quality));
        cur.push({ latents, yHat: dequantize(latents.symbols, latents.mu) });
      }
      prev = cur.map((c) => c.yHat);
      yield cur;
    }
  }

  /** The P-frame entropy parameters of a tile, conditioned on its previous decoded latent. */
  private pFrameParameters(yPrev: Float32Array, t: Rect, q: number): EntropyParameters {
    const { yh, yw } = tileDims(t);
    return (zHat) => this.temporal.parameters(zHat, yPrev, q, yh, yw);
  }
}
