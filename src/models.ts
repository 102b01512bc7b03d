/**
 * The model zoo: every folder of models/ with a card.json is an installed model.
 * `loadModel` returns the codec for a name, created once per runtime setting.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import { LearnedImageCodec } from '../codecs/image/index.js';
import { LearnedVideoCodec, type VideoCodecOptions } from '../codecs/video/index.js';
import type { Codec } from '../codecs/types.js';
import { InputError, UsageError } from './errors.js';
import { modelsDir } from './paths.js';
import type { RuntimeOptions } from './runtime/onnx.js';

export interface ModelCard {
  name: string;
  modality: 'image' | 'audio' | 'video';
  architecture?: string;
  qualities?: number[];
  [key: string]: unknown;
}

export const DEFAULT_MODEL = { image: 'hyperprior-mse', audio: 'audio-hyperprior', video: 'video-sem' } as const;
/** Default quality index of the image models. */
export const DEFAULT_QUALITY = 4;
/** Default quality index per modality (audio: 1, about 12 kbit/s). */
export const DEFAULT_QUALITIES = { image: DEFAULT_QUALITY, audio: 1, video: DEFAULT_QUALITY } as const;

/** Cards of all installed models, sorted by name. */
export function listModels(): ModelCard[] {
  const dir = modelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'card.json')))
    .map((d) => JSON.parse(readFileSync(join(dir, d.name, 'card.json'), 'utf8')) as ModelCard)
    .sort((a, b) => a.name.localeCompare(b.name));
}

const loaded = new Map<string, Codec>();

/**
 * The codec of an installed learned model.
 * @example const codec = loadModel('hyperprior-mse'); const bytes = await codec.encode(img, 4);
 */
export function loadModel(name: string, runtime: RuntimeOptions = {}, video: VideoCodecOptions = {}): Codec {
  const key = `${name}|${runtime.device ?? 'cpu'}|${runtime.threads ?? 0}|${runtime.optimization ?? 'all'}|${video.intraPeriod ?? ''}|${video.tile ?? ''}`;
  let codec = loaded.get(key);
  if (codec) return codec;
  const dir = join(modelsDir(), name);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name) || !existsSync(join(dir, 'card.json'))) {
    const names = listModels().map((m) => m.name);
    throw new UsageError(`unknown model '${name}' (installed: ${names.join(', ') || 'none'})`);
  }
  const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as ModelCard;
  switch (card.modality) {
    case 'image':
      codec = new LearnedImageCodec(name, dir, runtime);
      break;
    case 'audio':
      codec = new LearnedAudioCodec(name, dir, runtime);
      break;
    case 'video':
      codec = new LearnedVideoCodec(name, dir, runtime, video);
      break;
    default:
      throw new InputError(`model ${name}: modality ${card.modality} is not supported by this lcodec`);
  }
  loaded.set(key, codec);
  return codec;
}
