/**
 * Learned image codecs behind the common codec interface: the bitstream is an `.lc`
 * container whose sections are the tiles' z and y streams.
 */
import { CorruptFileError, readContainer, writeContainer } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import type { RuntimeOptions } from '../../src/runtime/onnx.js';
import type { ImageCodec, RgbImage } from '../types.js';
import { loadImageModelFiles } from './bundle.js';
import { HyperpriorImageCodec, TILE, type TileStreams } from './hyperprior.js';

export class LearnedImageCodec implements ImageCodec {
  readonly modality = 'image' as const;
  readonly qualities: readonly number[];
  private readonly impl: HyperpriorImageCodec;

  constructor(readonly name: string, dir: string, runtime: RuntimeOptions = {}) {
    this.impl = new HyperpriorImageCodec(name, loadImageModelFiles(dir), runtime);
    this.qualities = this.impl.qualities;
  }

  async encode(img: RgbImage, quality: number): Promise<Uint8Array> {
    const p = await this.impl.encodePayload(img, quality);
    return writeContainer({
      modality: 'image',
      model: this.name,
      modelHash: this.impl.files.hash,
      quality,
      shape: [p.width, p.height, TILE],
      sections: p.tiles.flatMap((t) => [t.z, t.y]),
    });
  }

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    const c = readContainer(bytes);
    if (c.modality !== 'image') throw new InputError(`this is an ${c.modality} file, not an image file`);
    if (c.model !== this.name) throw new InputError(`file was made by model ${c.model}, not ${this.name}`);
    if (!c.modelHash.every((b, i) => b === this.impl.files.hash[i])) {
      throw new InputError(`file was made by other weights of ${c.model} than the installed ones; it cannot be decoded with this model`);
    }
    const [width, height, tile] = c.shape;
    if (c.shape.length !== 3 || !width || !height || tile !== TILE) throw new CorruptFileError('corrupt .lc file (image shape)');
    if (width * height > 1 << 30) throw new CorruptFileError(`corrupt .lc file (image ${width}x${height} too large)`);
    if (c.sections.length % 2) throw new CorruptFileError('corrupt .lc file (odd section count)');
    const tiles: TileStreams[] = [];
    for (let i = 0; i < c.sections.length; i += 2) tiles.push({ z: c.sections[i]!, y: c.sections[i + 1]! });
    return this.impl.decodePayload({ width, height, quality: c.quality, tiles });
  }
}
