/**
 * Image models for the browser: the same model files as models/<name>/ (card.json, bundle.json,
 * ONNX graphs), fetched from a base URL and checked by the same code as in Node.
 */
import { LearnedImageCodec } from '../../codecs/image/index.js';
import { IMAGE_BUNDLE_FORMATS, checkImageBundle, type ChannelBundle, type ImageBundle, type ImageModelFiles } from '../../codecs/image/bundle.js';
import { modelFilesFrom } from '../../codecs/learned/model-files-core.js';
import { InputError } from '../errors.js';
import type { InferenceEngine } from '../runtime/engine.js';
import { fetchBytes } from '../runtime/onnx-web.js';

async function fetchJson<T>(url: string): Promise<T> {
  const text = new TextDecoder().decode(await fetchBytes(url));
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new InputError(`${url} is not JSON`);
  }
}

/** Fetches and checks the card and bundle of image model `name` under `baseUrl`. */
export async function fetchImageModelFiles(baseUrl: string | URL, name: string): Promise<ImageModelFiles> {
  // Model names come from file headers: only a plain name may become part of a URL.
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new InputError(`invalid model name ${JSON.stringify(name)}`);
  const dir = new URL(`${name}/`, new URL(String(baseUrl), globalThis.location?.href)).href;
  const card = await fetchJson<{ name?: string; modality?: string; weights_sha256?: string }>(`${dir}card.json`);
  if (card.name !== name) throw new InputError(`${dir}card.json names model ${JSON.stringify(card.name)}, not ${name}`);
  if (card.modality !== 'image') throw new InputError(`model ${name} is ${card.modality ? `a ${card.modality}` : 'not an image'} model; only image models run in the browser`);
  const bundle = await fetchJson<ImageBundle | ChannelBundle>(`${dir}bundle.json`);
  return modelFilesFrom<ImageBundle | ChannelBundle, string>(dir, bundle, card, IMAGE_BUNDLE_FORMATS, (graph) => `${dir}${graph}.onnx`, checkImageBundle) as ImageModelFiles;
}

/** Image codecs by base URL and model name, each loaded once. */
export class WebModels {
  private readonly codecs = new Map<string, Promise<LearnedImageCodec>>();

  constructor(private readonly engine: InferenceEngine) {}

  codec(baseUrl: string | URL, name: string): Promise<LearnedImageCodec> {
    const key = `${String(baseUrl)}|${name}`;
    let c = this.codecs.get(key);
    if (!c) {
      c = fetchImageModelFiles(baseUrl, name).then((files) => new LearnedImageCodec(name, files, this.engine));
      c.catch(() => this.codecs.delete(key));
      this.codecs.set(key, c);
    }
    return c;
  }
}
