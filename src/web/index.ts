/**
 * lcodec in the browser (`lcodec/web`, bundled into dist/web/lcodec.js): decode `.lc` image
 * files and encode images with the learned image models. The container, entropy coder and
 * image codec are the library's own code; only the inference engine (onnxruntime-web) and the
 * way model files arrive (fetch) differ from Node. A file decodes to the same symbols as in
 * Node, because every value that picks a probability table is an integer.
 *
 * @example
 * import { decode } from 'lcodec/web';
 * const img = await decode(new Uint8Array(await file.arrayBuffer()), { modelBaseUrl: '/models/' });
 * ctx.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
 */
import { readContainer } from '../container/index.js';
import { integer, invalid } from '../check.js';
import { InputError, UsageError } from '../errors.js';
import { MAX_IMAGE_PIXELS, type Picture } from '../media.js';
import { webEngine, type WebEngineOptions } from '../runtime/onnx-web.js';
import { checkQuality, latentsDigest as digestOf } from '../../codecs/learned/hyperprior.js';
import { WebModels } from './models.js';

/** The CLI's defaults for images (codecs/models.ts DEFAULT_MODEL.image, DEFAULT_QUALITY); a test keeps them equal. */
export const DEFAULT_IMAGE_MODEL = 'channel-mse';
export const DEFAULT_IMAGE_QUALITY = 4;

export interface WebOptions extends WebEngineOptions {
  /** URL of the models folder: <modelBaseUrl>/<model>/{card.json,bundle.json,*.onnx}. */
  modelBaseUrl: string | URL;
}

export interface WebEncodeOptions extends WebOptions {
  /** Image model name (default DEFAULT_IMAGE_MODEL). */
  model?: string;
  /** Quality index of the model (default 4). */
  quality?: number;
}

/** RGBA pixels, as in a canvas ImageData. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, row by row (an ImageData's layout). */
  data: Uint8ClampedArray;
  model: string;
  quality: number;
}

let models: WebModels | undefined;

/** One engine per page: ORT's WebAssembly settings are global and read once. */
function codecFor(name: string, opts: WebOptions) {
  if (opts?.modelBaseUrl === undefined) throw invalid('options.modelBaseUrl', 'the URL of the models folder', opts?.modelBaseUrl);
  models ??= new WebModels(webEngine(opts));
  return models.codec(opts.modelBaseUrl, name);
}

/** The header of an `.lc` file (checked, CRC included), without decoding it. */
export function inspect(bytes: Uint8Array): { modality: string; model: string; quality: number; width: number; height: number } {
  const c = readContainer(bytes);
  return { modality: c.modality, model: c.model, quality: c.quality, width: c.shape[0] ?? 0, height: c.shape[1] ?? 0 };
}

function imageHeader(bytes: Uint8Array): { model: string; quality: number } {
  const h = inspect(bytes);
  if (h.modality !== 'image') throw new InputError(`this is an ${h.modality} file; the browser build decodes images`);
  return h;
}

/** Decodes an `.lc` image file to RGBA pixels. Throws InputError (CorruptFileError for damage). */
export async function decode(bytes: Uint8Array, opts: WebOptions): Promise<DecodedImage> {
  const { model, quality } = imageHeader(bytes);
  const pic: Picture = await (await codecFor(model, opts)).decode(bytes);
  const n = pic.width * pic.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    data[4 * i] = pic.data[3 * i]!;
    data[4 * i + 1] = pic.data[3 * i + 1]!;
    data[4 * i + 2] = pic.data[3 * i + 2]!;
    data[4 * i + 3] = pic.alpha ? pic.alpha[i]! : 255;
  }
  return { width: pic.width, height: pic.height, data, model, quality };
}

/**
 * Encodes RGBA pixels (an ImageData) to an `.lc` file. Alpha is kept, losslessly, when any
 * pixel is not fully opaque, as the Node reader does.
 */
export async function encode(image: RgbaImage, opts: WebEncodeOptions): Promise<Uint8Array> {
  const width = integer('image width', image?.width, 1);
  const height = integer('image height', image?.height, 1);
  const n = width * height;
  if (n > MAX_IMAGE_PIXELS) throw invalid('image size', `at most ${MAX_IMAGE_PIXELS} pixels`, `${width}x${height}`);
  const data = image.data;
  if (data?.length !== n * 4) throw invalid('image data', `${n * 4} bytes (RGBA, ${width}x${height})`, `${data?.length} bytes`);
  const rgb = new Uint8Array(n * 3);
  let opaque = true;
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = data[4 * i]!;
    rgb[3 * i + 1] = data[4 * i + 1]!;
    rgb[3 * i + 2] = data[4 * i + 2]!;
    if (data[4 * i + 3] !== 255) opaque = false;
  }
  const pic: Picture = { width, height, data: rgb };
  if (!opaque) pic.alpha = Uint8Array.from({ length: n }, (_, i) => data[4 * i + 3]!);
  const codec = await codecFor(opts.model ?? DEFAULT_IMAGE_MODEL, opts);
  return codec.encode(pic, checkQuality(codec.name, opts.quality ?? DEFAULT_IMAGE_QUALITY, codec.qualities, UsageError));
}

/**
 * Digests of a file's entropy-decoded latents, as the Node library computes them
 * (`latentsDigest` of `decodeSymbols`, codecs/learned/hyperprior.ts): `symbols` over ẑ, scale
 * indexes and y symbols, `means` over the means of y. Equal digests mean the browser decoded
 * exactly what Node decodes.
 */
export async function latentsDigest(bytes: Uint8Array, opts: WebOptions): Promise<{ symbols: string; means: string }> {
  const { model } = imageHeader(bytes);
  return digestOf(await (await codecFor(model, opts)).decodeSymbols(bytes));
}

export { CorruptFileError } from '../container/index.js';
export { InputError, UsageError } from '../errors.js';
