/**
 * Motion-compensated learned video codec (low delay): intra frames are coded by a base image
 * model (its files and sessions shared through the model zoo, no copy); each P-frame is
 * predicted from the previous decoded frame by block motion (motion.ts: vectors estimated at
 * the encoder on the decoded reference, coded with rANS, integer 8-tap quarter-pel
 * compensation, then per block a smoothing of the prediction chosen by the encoder: a noisy
 * reference predicts better through a low-pass), and the residual is coded as a picture,
 * 128 + s · (frame − prediction), by the model's own residual coder: a mean-scale hyperprior
 * trained from hyperprior-mse's weights on such pictures (training/README.md), whose files sit
 * beside the model's card.
 * Blocks whose prediction is good enough are flagged skip: their residual is not used (and is
 * flattened to 128 before coding, so it costs next to nothing). A P-frame whose blocks are all
 * skipped carries no residual streams.
 *
 * The encoder runs the decoder's reconstruction (closed loop), so both predict from the same
 * frame. Parsing is exact on any machine (vectors and flags under integer tables, both models'
 * integer h_s); pixels pass through the float synthesis g_s, so a decoded frame may differ from
 * another machine's by a float rounding, like the image decoder's, and such a difference carries
 * on through the prediction until the next intra frame.
 *
 * Bitstream (docs/FORMAT.md): an `.lc` container, shape `width, height, fps_num, fps_den,
 * frames, intra_period, tile, intra_quality, residual_quality, residual_scale4` (qualities of
 * the base model and of the residual coder, s = residual_scale4 / 4); sections per intra frame:
 * per tile the base model's sections (a hyperprior's z and y; a channel-wise model's z and one
 * y per slice); per P-frame: the motion stream, then per tile z and y (both empty: no residual).
 */
import { CorruptFileError, readContainer, writeContainer } from '../../src/container/index.js';
import { integer } from '../../src/check.js';
import { InputError } from '../../src/errors.js';
import { videoFrames } from '../../src/io/video.js';
import { MAX_IMAGE_PIXELS, type RgbImage, type Video, type VideoFrame } from '../../src/media.js';
import { EntropyDecodeError } from '../../entropy/index.js';
import { ImageHyperpriorModel, TILE, checkTile, tileGrid, type Rect } from '../image/hyperprior.js';
import type { TiledImageModel } from '../image/tiled.js';
import { checkHeader, checkQuality, type AnyLatents } from '../learned/hyperprior.js';
import type { VideoCodec } from '../types.js';
import { checkIntraPeriod, type VideoCodecOptions } from './index.js';
import { MotionContexts, chooseSmoothing, compensate, decodeMotion, encodeMotion, estimateMotion, forBlocks, interpolateFrame, type MotionField } from './motion.js';

/** What one quality of the codec uses (the model card's `levels`). */
export interface McLevel {
  /** Base-model quality of intra frames. */
  intra: number;
  /** Residual-coder quality of P-frame residuals. */
  residual: number;
  /** Residual gain s in quarters: the model codes 128 + s · r. */
  scale4: number;
  /** Motion search: weight of a vector's bits against luma SAD. */
  lambda: number;
  /** A block is skipped when its prediction's mean squared error (RGB) is at most this. */
  skip_mse: number;
}

/** The parts of the model card this codec reads. */
export interface McCard {
  base_image_model: string;
  intra_period: number;
  levels: McLevel[];
}

const MAX_SECTIONS = 1 << 16;
/** Revision of the motion stream (2: per-block prediction smoothing), part of the file's model hash. */
const MOTION_FORMAT = 2;
/**
 * Encoder: squared error (RGB, per block) that one bin of a smoothing index is worth (300: the
 * best of 0, 300 and 2,000 on bedroom's first 16 frames at qualities 6 and 8, by little).
 */
const SMOOTHING_LAMBDA = 300;

/** A checked file: its streams and layout. */
interface McStream {
  sections: Uint8Array[];
  width: number;
  height: number;
  fps: [number, number];
  frames: number;
  period: number;
  grid: Rect[];
  intraQ: number;
  residualQ: number;
  scale4: number;
  /** Index of each frame's first section. */
  starts: number[];
}

export class MotionCompensatedVideoCodec implements VideoCodec {
  readonly modality = 'video' as const;
  readonly qualities: readonly number[];
  /** The model's name, with `-intra` when every frame is coded intra. */
  readonly name: string;
  readonly intraPeriod: number;
  readonly tile: number;
  /**
   * The container's model hash: the residual coder's and the base model's weights hashes and
   * the motion format's revision, mixed, so that a file of another base or revision is refused
   * as such rather than misread.
   */
  readonly hash: Uint8Array;
  private readonly levels: McLevel[];

  /**
   * `model`: the base image model (intra frames; shared with the image codec of that name; a
   * hyperprior or a channel-wise model); `residual`: the model's own residual coder, a
   * hyperprior (its files hash names the model in its files).
   */
  constructor(readonly modelName: string, readonly card: McCard, readonly model: TiledImageModel, readonly residual: ImageHyperpriorModel, options: VideoCodecOptions = {}) {
    if (!Array.isArray(card.levels) || card.levels.length === 0) throw new InputError(`model ${modelName}: card.json has no levels`);
    this.levels = card.levels.map((l, q) => {
      const at = `model ${modelName}: level ${q}`;
      checkQuality(`${at} intra (${model.name})`, l.intra, model.qualities);
      checkQuality(`${at} residual`, l.residual, residual.qualities);
      integer(`${at} scale4`, l.scale4, 1, 64, InputError);
      if (!(l.lambda >= 0 && l.skip_mse >= 0)) throw new InputError(`${at}: lambda and skip_mse must be >= 0`);
      return l;
    });
    this.qualities = this.levels.map((_, q) => q);
    this.intraPeriod = checkIntraPeriod(options.intraPeriod ?? card.intra_period);
    this.tile = checkTile(options.tile ?? TILE, 'tile', InputError);
    this.name = this.intraPeriod === 1 && options.intraPeriod === 1 ? `${modelName}-intra` : modelName;
    this.hash = residual.files.hash.map((b, i) => b ^ model.files.hash[i]! ^ (i === 3 ? MOTION_FORMAT : 0));
  }

  /** @internal The same model with other per-quality settings or intra period (for tuning them). */
  withLevels(levels: McLevel[], intraPeriod = this.intraPeriod): MotionCompensatedVideoCodec {
    return new MotionCompensatedVideoCodec(this.modelName, { ...this.card, levels }, this.model, this.residual, { intraPeriod, tile: this.tile });
  }

  /** The settings of one quality. */
  levelOf(quality: number): McLevel {
    return this.levels[checkQuality(this.modelName, quality, this.qualities)]!;
  }

  async encode(video: Video, quality: number): Promise<Uint8Array> {
    return this.encodeWith(video, quality);
  }

  /**
   * @internal encode, handing each frame's reconstruction (what the decoder will output, and
   * the next frame's reference) to `onFrame`, with a P-frame's residual picture (what the
   * image model coded) when it has one.
   */
  async encodeWith(video: Video, quality: number, onFrame: (recon: Uint8Array, residual?: Uint8Array) => void = () => {}): Promise<Uint8Array> {
    checkQuality(this.modelName, quality, this.qualities);
    const { width, height } = video;
    if (width * height > MAX_IMAGE_PIXELS) throw new InputError(`video frames of ${width}x${height} are over the ${MAX_IMAGE_PIXELS} pixel limit`);
    const L = this.levels[quality]!;
    const grid = tileGrid(width, height, this.tile);
    const perFrame = Math.max(this.frameSections(true, grid.length), this.frameSections(false, grid.length));
    const sections: Uint8Array[] = [];
    let recon: Uint8Array | undefined;
    let previous: Int32Array | undefined;
    let contexts = new MotionContexts();
    let frames = 0;
    for await (const frame of videoFrames(video)) {
      let residual: Uint8Array | undefined;
      if (sections.length + perFrame > MAX_SECTIONS) {
        throw new InputError(`video is too long for one .lc file (at most ${Math.floor(MAX_SECTIONS / perFrame)} frames of this size)`);
      }
      if (frames % this.intraPeriod === 0 || !recon) {
        const out: RgbImage = { width, height, data: new Uint8Array(width * height * 3) };
        for (const t of grid) {
          const coded = await this.model.codeSections(frame, t, L.intra);
          sections.push(...coded.sections);
          await this.model.synthesizeTile(coded.latents, t, L.intra, out);
        }
        recon = out.data;
        previous = undefined;
        contexts = new MotionContexts();
      } else {
        const field = estimateMotion(frame.data, recon, width, height, { lambda: L.lambda, ...(previous ? { previous } : {}) });
        const pred = chooseSmoothing(frame.data, interpolateFrame(recon, width, height, field), width, height, field, SMOOTHING_LAMBDA);
        markSkips(frame.data, pred, width, height, field, L.skip_mse);
        let coded = await this.codeResidual(frame.data, pred, width, height, field, grid, L);
        // Blocks the coded residual does not improve are skipped too, and the residual coded
        // again without them (their texture no longer costs bits).
        if (coded && dropUseless(frame.data, pred, coded.resHat, width, height, field, L.scale4)) coded = await this.codeResidual(frame.data, pred, width, height, field, grid, L);
        sections.push(encodeMotion(field, contexts));
        if (!coded) {
          for (let i = 0; i < this.residual.sectionsPerTile * grid.length; i++) sections.push(new Uint8Array(0));
          recon = pred;
        } else {
          sections.push(...coded.sections);
          residual = coded.res;
          recon = addResidual(pred, coded.resHat, width, height, field, L.scale4);
        }
        previous = field.mv;
      }
      onFrame(recon, residual);
      frames++;
    }
    if (frames === 0) throw new InputError('video has no frames');
    return writeContainer({
      modality: 'video',
      model: this.modelName,
      modelHash: this.hash,
      quality,
      shape: [width, height, video.fps[0], video.fps[1], frames, this.intraPeriod, this.tile, L.intra, L.residual, L.scale4],
      sections,
    });
  }

  /** The residual picture of the blocks not skipped, coded tile by tile: it, its streams and its decoding (none when every block is skipped). */
  private async codeResidual(cur: Uint8Array, pred: Uint8Array, width: number, height: number, field: MotionField, grid: Rect[], L: McLevel): Promise<{ res: Uint8Array; sections: Uint8Array[]; resHat: Uint8Array } | undefined> {
    if (field.skip.every((s) => s === 1)) return undefined;
    const res: RgbImage = { width, height, data: residualImage(cur, pred, width, height, field, L.scale4) };
    const resHat: RgbImage = { width, height, data: new Uint8Array(width * height * 3) };
    const sections: Uint8Array[] = [];
    for (const t of grid) {
      const coded = await this.residual.codeSections(res, t, L.residual);
      sections.push(...coded.sections);
      await this.residual.synthesizeTile(coded.latents, t, L.residual, resHat);
    }
    return { res: res.data, sections, resHat: resHat.data };
  }

  /** Sections of one frame of `tiles` tiles: the base model's per intra tile; a P-frame's motion stream, then the residual coder's per tile. */
  private frameSections(intra: boolean, tiles: number): number {
    return intra ? this.model.sectionsPerTile * tiles : 1 + this.residual.sectionsPerTile * tiles;
  }

  /** Checks the header and the section layout; frames decode one at a time as they are iterated. */
  async decode(bytes: Uint8Array): Promise<Video> {
    const s = this.parse(bytes);
    return {
      width: s.width,
      height: s.height,
      fps: s.fps,
      frameCount: s.frames,
      frames: { [Symbol.asyncIterator]: () => this.decodeFrames(s) },
    };
  }

  /**
   * Per frame the bytes of its sections and whether it is intra (for rate breakdowns: P-frame
   * against intra bits); the header is checked as by decode.
   */
  frameSizes(bytes: Uint8Array): { bytes: number; intra: boolean }[] {
    const s = this.parse(bytes);
    return s.starts.map((k, f) => {
      const end = f + 1 < s.frames ? s.starts[f + 1]! : s.sections.length;
      let n = 0;
      for (let i = k; i < end; i++) n += s.sections[i]!.length;
      return { bytes: n, intra: f % s.period === 0 };
    });
  }

  private parse(bytes: Uint8Array): McStream {
    const c = readContainer(bytes);
    checkHeader(c, 'video', this.modelName, this.hash, this.qualities);
    if (c.shape.length !== 10) throw new CorruptFileError('corrupt .lc file (video shape)');
    const [width, height, fpsNum, fpsDen, frames, period, tile, intraQ, residualQ, scale4] = c.shape as number[] as [number, number, number, number, number, number, number, number, number, number];
    if (!(width >= 1 && height >= 1 && width * height <= MAX_IMAGE_PIXELS) || !(fpsNum >= 1 && fpsDen >= 1) || frames < 1 || period < 1) {
      throw new CorruptFileError(`corrupt .lc file (video ${width}x${height}, ${frames} frames, ${fpsNum}/${fpsDen} fps, intra period ${period})`);
    }
    if (!this.model.qualities.includes(intraQ) || !this.residual.qualities.includes(residualQ) || !(scale4 >= 1 && scale4 <= 64)) {
      throw new CorruptFileError(`corrupt .lc file (qualities ${intraQ} / ${residualQ}, residual scale ${scale4}/4)`);
    }
    try {
      checkTile(tile);
    } catch {
      throw new CorruptFileError(`corrupt .lc file (tile size ${tile})`);
    }
    const grid = tileGrid(width, height, tile);
    const starts: number[] = [];
    let k = 0;
    for (let f = 0; f < frames && k <= c.sections.length; f++) {
      starts.push(k);
      k += this.frameSections(f % period === 0, grid.length);
    }
    if (k !== c.sections.length) throw new CorruptFileError(`corrupt .lc file (${frames} frames of ${grid.length} tiles need ${k} sections, found ${c.sections.length})`);
    for (let f = 0; f < frames; f++) {
      const intra = f % period === 0;
      const first = starts[f]! + (intra ? 0 : 1);
      let empty = 0;
      const m = intra ? this.model : this.residual;
      for (let i = 0; i < grid.length; i++) {
        const tile = tileSections(c.sections, m, first, i);
        if (!intra && tile.every((x) => x.length === 0)) {
          empty++;
          continue;
        }
        if (tile[0]!.length < m.coder.minZBytes(m.zShape(grid[i]!))) {
          throw new CorruptFileError(`corrupt .lc file (frame ${f}, tile ${i}: its stream is too short for the declared size)`);
        }
      }
      if (empty !== 0 && empty !== grid.length) throw new CorruptFileError(`corrupt .lc file (frame ${f}: residual missing in some tiles)`);
    }
    return { sections: c.sections, width, height, fps: [fpsNum, fpsDen], frames, period, grid, intraQ, residualQ, scale4, starts };
  }

  /**
   * Diagnostics: everything parsing decides, in stream order — per intra tile its latents, per
   * P-frame its motion (vectors, skip flags and smoothing indexes, as `symbols`) and its
   * residual tiles' latents: what must decode alike on every machine (test/golden.test.ts).
   */
  async decodeSymbols(bytes: Uint8Array): Promise<AnyLatents[]> {
    const s = this.parse(bytes);
    const out: AnyLatents[] = [];
    let contexts = new MotionContexts();
    for (let f = 0; f < s.frames; f++) {
      let k = s.starts[f]!;
      if (f % s.period === 0) contexts = new MotionContexts();
      else {
        const field = this.motion(s, f, contexts);
        out.push({ zHat: new Int32Array(0), index: new Int32Array(0), mu: new Float32Array(0), symbols: Int32Array.from([...field.mv, ...field.skip, ...field.filter]) });
        k++;
        if (s.sections[k]!.length === 0) continue;
      }
      const [m, q] = f % s.period === 0 ? [this.model, s.intraQ] : [this.residual, s.residualQ];
      for (let i = 0; i < s.grid.length; i++) out.push(await m.decodeTile(tileSections(s.sections, m, k, i), s.grid[i]!, q));
    }
    return out;
  }

  /** The motion field of P-frame f (`contexts`: its group's, adapted); CorruptFileError when its stream is damaged. */
  private motion(s: McStream, f: number, contexts: MotionContexts): MotionField {
    try {
      return decodeMotion(s.sections[s.starts[f]!]!, s.width, s.height, contexts);
    } catch (err) {
      if (err instanceof RangeError || err instanceof EntropyDecodeError) throw new CorruptFileError(`corrupt .lc file (frame ${f} motion: ${err.message})`);
      throw err;
    }
  }

  private async *decodeFrames(s: McStream): AsyncGenerator<VideoFrame> {
    const { width, height } = s;
    let recon: Uint8Array | undefined;
    let contexts = new MotionContexts();
    for (let f = 0; f < s.frames; f++) {
      let k = s.starts[f]!;
      if (f % s.period === 0) {
        recon = (await this.decodeImage(this.model, s, k, s.intraQ)).data;
        contexts = new MotionContexts();
      } else {
        const field = this.motion(s, f, contexts);
        k++;
        const pred = compensate(recon!, width, height, field);
        recon = s.sections[k]!.length === 0 ? pred : addResidual(pred, (await this.decodeImage(this.residual, s, k, s.residualQ)).data, width, height, field, s.scale4);
      }
      yield { width, height, data: recon.slice() };
    }
  }

  /** The picture of one frame's tile streams (from section k on), decoded by model m at its quality q. */
  private async decodeImage(m: TiledImageModel, s: McStream, k: number, q: number): Promise<RgbImage> {
    const out: RgbImage = { width: s.width, height: s.height, data: new Uint8Array(s.width * s.height * 3) };
    for (let i = 0; i < s.grid.length; i++) {
      const latents = await m.decodeTile(tileSections(s.sections, m, k, i), s.grid[i]!, q);
      await m.synthesizeTile(latents, s.grid[i]!, q, out);
    }
    return out;
  }
}

/** Tile i's sections of the picture whose streams start at section k, coded by model m. */
function tileSections(sections: Uint8Array[], m: TiledImageModel, k: number, i: number): Uint8Array[] {
  return sections.slice(k + m.sectionsPerTile * i, k + m.sectionsPerTile * (i + 1));
}

/** Flags the blocks whose prediction error (mean square over RGB) is at most `mse`. */
function markSkips(cur: Uint8Array, pred: Uint8Array, width: number, height: number, f: MotionField, mse: number): void {
  forBlocks(width, height, f, (x0, y0, x1, y1, i) => {
    let sse = 0;
    for (let y = y0; y < y1; y++) {
      for (let j = (y * width + x0) * 3, end = (y * width + x1) * 3; j < end; j++) {
        const e = cur[j]! - pred[j]!;
        sse += e * e;
      }
    }
    f.skip[i] = sse <= mse * 3 * (x1 - x0) * (y1 - y0) ? 1 : 0;
  });
}

/**
 * Sets the skip flag of every coded block whose decoded residual removes less than a tenth of
 * its prediction error; whether any flag changed.
 */
function dropUseless(cur: Uint8Array, pred: Uint8Array, resHat: Uint8Array, width: number, height: number, f: MotionField, scale4: number): boolean {
  const rec = addResidual(pred, resHat, width, height, f, scale4);
  let changed = false;
  forBlocks(width, height, f, (x0, y0, x1, y1, i) => {
    if (f.skip[i]) return;
    let before = 0;
    let after = 0;
    for (let y = y0; y < y1; y++) {
      for (let j = (y * width + x0) * 3, end = (y * width + x1) * 3; j < end; j++) {
        const a = cur[j]! - pred[j]!;
        const b = cur[j]! - rec[j]!;
        before += a * a;
        after += b * b;
      }
    }
    if (after > 0.9 * before) {
      f.skip[i] = 1;
      changed = true;
    }
  });
  return changed;
}

/** The picture the image model codes: 128 + round(s · (cur − pred)), clamped; 128 in skipped blocks. */
function residualImage(cur: Uint8Array, pred: Uint8Array, width: number, height: number, f: MotionField, scale4: number): Uint8Array {
  const out = new Uint8Array(width * height * 3).fill(128);
  forBlocks(width, height, f, (x0, y0, x1, y1, i) => {
    if (f.skip[i]) return;
    for (let y = y0; y < y1; y++) {
      for (let j = (y * width + x0) * 3, end = (y * width + x1) * 3; j < end; j++) {
        const v = 128 + (((cur[j]! - pred[j]!) * scale4 + 2) >> 2);
        out[j] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  });
  return out;
}

/** pred + round((v − 128) / s), clamped, in the blocks not skipped; pred elsewhere. */
function addResidual(pred: Uint8Array, res: Uint8Array, width: number, height: number, f: MotionField, scale4: number): Uint8Array {
  const out = pred.slice();
  forBlocks(width, height, f, (x0, y0, x1, y1, i) => {
    if (f.skip[i]) return;
    for (let y = y0; y < y1; y++) {
      for (let j = (y * width + x0) * 3, end = (y * width + x1) * 3; j < end; j++) {
        // Integer rounding division: floor((8r + s4) / (2 s4)) = round(4r / s4).
        const r = res[j]! - 128;
        const v = pred[j]! + Math.floor((8 * r + scale4) / (2 * scale4));
        out[j] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  });
  return out;
}
