/**
 * The model zoo: every folder of models/ (or LCODEC_MODELS) with a card.json is an installed
 * model. Cards are read when asked for, never at import; a folder whose card is missing or
 * damaged makes only that model unavailable, with a one-line reason (`lcodec models`).
 * `loadModel` returns the codec for a name, created once per runtime setting.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../src/errors.js';
import type { Modality } from '../src/media.js';
import { modelsDir } from '../src/paths.js';
import { nodeEngine, type RuntimeOptions } from '../src/runtime/onnx.js';
import { LearnedAudioCodec } from './audio/index.js';
import { isHyperpriorFiles } from './image/bundle.js';
import { loadImageModelFiles } from './image/model-files.js';
import { ImageHyperpriorModel } from './image/hyperprior.js';
import { LearnedImageCodec } from './image/index.js';
import type { Codec } from './types.js';
import { LearnedVideoCodec, type VideoCodecOptions } from './video/index.js';
import { MotionCompensatedVideoCodec, type McCard } from './video/mc.js';

export interface ModelCard {
  name: string;
  modality: Modality;
  architecture?: string;
  qualities?: number[];
  [key: string]: unknown;
}

/** A folder of the models directory: its card, or why the model cannot be used. */
export type InstalledModel = { name: string; card: ModelCard; problem?: undefined } | { name: string; card?: undefined; problem: string };

export const DEFAULT_MODEL = { image: 'channel-mse', audio: 'audio-mdct', video: 'video-mc' } as const;
/** Default quality index of the image models. */
export const DEFAULT_QUALITY = 4;
/** Default quality index per modality (audio: 3, about 10 kbit/s with audio-mdct on the audio test set, README). */
export const DEFAULT_QUALITIES = { image: DEFAULT_QUALITY, audio: 3, video: DEFAULT_QUALITY } as const;

const MODALITIES: readonly string[] = ['image', 'audio', 'video'];
/** Files that mark a folder as a model even when its card is missing. */
const MODEL_FILES = ['card.json', 'bundle.json'];

/** The card in `dir`, checked: the one-line reason it is unusable otherwise. */
function readCard(dir: string, name: string): InstalledModel {
  const file = join(dir, 'card.json');
  if (!existsSync(file)) return { name, problem: 'card.json is missing' };
  let card: ModelCard;
  try {
    card = JSON.parse(readFileSync(file, 'utf8')) as ModelCard;
  } catch (err) {
    return { name, problem: `card.json is unreadable: ${(err as Error).message.split('\n')[0]}` };
  }
  if (typeof card !== 'object' || card === null || Array.isArray(card)) return { name, problem: 'card.json is not a JSON object' };
  if (card.name !== name) return { name, problem: `card.json names model ${JSON.stringify(card.name)}, not its folder's name` };
  if (!MODALITIES.includes(card.modality)) return { name, problem: `card.json gives modality ${JSON.stringify(card.modality)} (expected image, audio or video)` };
  return { name, card };
}

/** Every model folder, usable or not, sorted by name. */
export function installedModels(): InstalledModel[] {
  const dir = modelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[a-z0-9][a-z0-9._-]*$/i.test(d.name) && MODEL_FILES.some((f) => existsSync(join(dir, d.name, f))))
    .map((d) => readCard(join(dir, d.name), d.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Cards of the usable installed models, sorted by name. */
export function listModels(): ModelCard[] {
  return installedModels().flatMap((m) => (m.card ? [m.card] : []));
}

const loaded = new Map<string, Codec>();

/**
 * The codec of an installed learned model.
 * @example const codec = loadModel('hyperprior-mse'); const bytes = await codec.encode(img, 4);
 */
export function loadModel(name: string, runtime: RuntimeOptions = {}, video: VideoCodecOptions = {}): Codec {
  const key = `${name}|${runtime.device ?? 'cpu'}|${runtime.threads ?? 0}|${runtime.optimization ?? 'all'}|${runtime.arena === true}|${video.intraPeriod ?? ''}|${video.tile ?? ''}`;
  let codec = loaded.get(key);
  if (codec) return codec;
  const dir = join(modelsDir(), name);
  const model = /^[a-z0-9][a-z0-9._-]*$/i.test(name) && existsSync(dir) ? readCard(dir, name) : undefined;
  if (!model) {
    const names = listModels().map((m) => m.name);
    throw new UsageError(`unknown model '${name}' (installed: ${names.join(', ') || 'none'})`);
  }
  if (!model.card) throw new InputError(`model ${name} is unavailable: ${model.problem}`);
  switch (model.card.modality) {
    case 'image':
      codec = new LearnedImageCodec(name, loadImageModelFiles(dir), nodeEngine(runtime));
      break;
    case 'audio':
      codec = new LearnedAudioCodec(name, dir, runtime);
      break;
    case 'video':
      codec = typeof model.card.base_image_model === 'string' ? motionCompensated(model.card, dir, runtime, video) : new LearnedVideoCodec(name, dir, framesRuntime(runtime), video);
      break;
  }
  loaded.set(key, codec);
  return codec;
}

/**
 * A video model built on an installed image model (its card names `base_image_model`): the
 * image codec of that name is loaded as any other, and its model files and sessions shared.
 */
function motionCompensated(card: ModelCard, dir: string, runtime: RuntimeOptions, video: VideoCodecOptions): MotionCompensatedVideoCodec {
  const base = loadModel(card.base_image_model as string, runtime);
  // Intra frames: any learned image model (a hyperprior or a channel-wise one).
  if (!(base instanceof LearnedImageCodec)) {
    throw new InputError(`model ${card.name}: base model ${String(card.base_image_model)} is not a learned image model`);
  }
  const baseCard = listModels().find((m) => m.name === base.name);
  if (card.base_weights_sha256 !== baseCard?.weights_sha256) throw new InputError(`model ${card.name}: base_weights_sha256 is not that of its base model ${base.name}`);
  // Its own files: the residual coder, a mean-scale hyperprior as the base.
  const files = loadImageModelFiles(dir);
  if (!isHyperpriorFiles(files)) throw new InputError(`model ${card.name}: its residual coder must be a mean-scale hyperprior (bundle ${files.bundle.format})`);
  return new MotionCompensatedVideoCodec(card.name, card as unknown as McCard, base.model, new ImageHyperpriorModel(card.name, files, nodeEngine(framesRuntime(runtime))), video);
}

/**
 * A video model's own graphs run at the same size frame after frame: ONNX Runtime's arena saves
 * their allocations (src/runtime/onnx.ts). A shared base model keeps the image codec's sessions.
 */
function framesRuntime(runtime: RuntimeOptions): RuntimeOptions {
  return { ...runtime, arena: true };
}
