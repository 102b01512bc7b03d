/**
 * The codec registry: every codec, classical or learned, is one entry under its name, with
 * its capabilities declared (modality, accepted qualities, what it needs installed) and a
 * factory. Evaluation, the CLI and the library look codecs up here and never special-case one.
 *
 * The classical baselines are entries from the start; installed learned models (models.ts) join
 * on first use of the registry (`learnedEntries`), so importing it reads no file and a damaged
 * model card makes only that model unavailable. Others add codecs with `registerCodec`.
 */
import { describeValues } from '../src/check.js';
import { InputError, UsageError } from '../src/errors.js';
import { installedModels, loadModel } from './models.js';
import { AUDIO_BASELINE_ENTRIES, IMAGE_BASELINE_ENTRIES, VIDEO_BASELINE_ENTRIES } from './baselines/index.js';
import type { Modality } from '../src/media.js';
import type { Codec } from './types.js';

/** What a codec declares about itself, without creating it. */
export interface CodecInfo {
  /** Registry name (`jpeg`, `x265`, `hyperprior-mse`, ...). */
  readonly name: string;
  readonly modality: Modality;
  readonly kind: 'baseline' | 'learned';
  /** One line for `lcodec models` / help output. */
  readonly description: string;
  /**
   * Inclusive range of accepted integer qualities. Absent: only the codec's own `qualities`
   * (e.g. a learned model's trained quality levels) are accepted.
   */
  readonly qualityRange?: readonly [number, number];
  /**
   * The accepted qualities when they are a fixed set wider than the codec's default sweep
   * (mp3: every CBR bitrate). Absent: see `qualityRange`.
   */
  readonly qualityValues?: readonly number[];
  /** What must be installed: `sharp`, `ffmpeg`, `onnxruntime`, ... */
  readonly requires?: readonly string[];
}

export interface CodecEntry<M extends Modality = Modality> extends CodecInfo {
  readonly modality: M;
  /** Makes a ready codec (may load a model or probe ffmpeg); throws if it cannot run here. */
  create(): Codec<M> | Promise<Codec<M>>;
  /**
   * A string that changes whenever the bitstream could change: implementation version,
   * configuration, library versions, model hash. Cached evaluation results are keyed by it.
   */
  version(): string | Promise<string>;
}

/**
 * Keyed by modality and name: one name may serve several modalities with different codecs
 * behind it (`x265` is HEVC intra for images and HEVC for video, docs/BASELINES.md).
 */
const entries = new Map<string, CodecEntry>();
const key = (modality: Modality, name: string) => `${modality}/${name}`;

/** Adds a codec. A (modality, name) pair can be registered once unless `replace` is set. */
export function registerCodec(entry: CodecEntry, options: { replace?: boolean } = {}): void {
  findLearned();
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(entry.name)) {
    throw new RangeError(`codec name must be lower-case letters, digits, '.', '_' or '-': ${JSON.stringify(entry.name)}`);
  }
  const k = key(entry.modality, entry.name);
  if (entries.has(k) && !options.replace) throw new RangeError(`${entry.modality} codec ${entry.name} is already registered`);
  entries.set(k, entry);
}

/** All registered codecs (optionally of one modality), in registration order. */
export function listCodecs(modality?: Modality): CodecInfo[] {
  findLearned();
  return [...entries.values()]
    .filter((e) => modality === undefined || e.modality === modality)
    .map(({ name, modality: m, kind, description, qualityRange, qualityValues, requires }) => ({
      name,
      modality: m,
      kind,
      description,
      ...(qualityRange ? { qualityRange } : {}),
      ...(qualityValues ? { qualityValues } : {}),
      ...(requires ? { requires } : {}),
    }));
}

/**
 * The entry registered under `name` (for `modality`, when given); UsageError naming the
 * known codecs otherwise. Without a modality, a name registered for several modalities is
 * ambiguous (UsageError).
 */
export function getCodecEntry(name: string, modality?: Modality): CodecEntry {
  findLearned();
  const matches = [...entries.values()].filter((e) => e.name === name);
  if (matches.length === 0) {
    const problem = unavailable.get(name);
    if (problem !== undefined) throw new InputError(`model ${name} is unavailable: ${problem}`);
    const known = [...new Set([...entries.values()].map((e) => e.name))];
    throw new UsageError(`unknown codec ${JSON.stringify(name)}; known: ${known.join(', ')}`);
  }
  if (modality !== undefined) {
    const entry = matches.find((e) => e.modality === modality);
    if (!entry) throw new UsageError(`codec ${name} is for ${matches.map((e) => e.modality).join(' and ')}, not ${modality}`);
    return entry;
  }
  if (matches.length > 1) {
    throw new UsageError(`codec ${name} exists for ${matches.map((e) => e.modality).join(' and ')}; say which modality`);
  }
  return matches[0];
}

/** Creates the codec registered under `name` (for `modality`, when given). */
export async function getCodec(name: string): Promise<Codec>;
export async function getCodec<M extends Modality>(name: string, modality: M): Promise<Codec<M>>;
export async function getCodec(name: string, modality?: Modality): Promise<Codec> {
  return getCodecEntry(name, modality).create();
}

/** Whether `quality` is accepted by the codec (its declared range or values, else its own levels). */
export function acceptsQuality(info: CodecInfo, codec: Codec, quality: number): boolean {
  if (info.qualityRange) {
    return Number.isInteger(quality) && quality >= info.qualityRange[0] && quality <= info.qualityRange[1];
  }
  return (info.qualityValues ?? codec.qualities).includes(quality);
}

/** What `acceptsQuality` accepts, in words (for error messages). */
export function acceptedQualities(info: CodecInfo, codec: Codec): string {
  if (info.qualityRange) return `an integer ${info.qualityRange[0]}..${info.qualityRange[1]}`;
  return describeValues(info.qualityValues ?? codec.qualities);
}

/**
 * Revision of each modality's learned bitstream, besides the weights: raised when the coding
 * around the model changes what a file holds or decodes to (audio 2: the high band).
 */
const LEARNED_REVISION: Record<string, number> = { image: 1, audio: 2, video: 1 };

/** Installed learned models (models/<name>/card.json), under their model name. The version
 * is the weights hash and the bitstream revision, so cached evaluation results follow both. */
function learnedEntries(): CodecEntry[] {
  return installedModels().flatMap(({ name, card, problem }) => {
    if (!card) {
      unavailable.set(name, problem);
      return [];
    }
    const revision = LEARNED_REVISION[card.modality] ?? 1;
    const entry: CodecEntry = {
      name: card.name,
      modality: card.modality,
      kind: 'learned' as const,
      description: card.architecture ?? 'learned codec',
      requires: ['onnxruntime-node'],
      create: () => loadModel(card.name),
      // Revision 1 keeps the key it had before revisions existed.
      // A card's own `revision` (a codec around shared weights) counts too.
      version: () => `${card.name}@${String(card.weights_sha256 ?? 'unknown')}${revision > 1 ? `/r${revision}` : ''}${card.revision !== undefined ? `/c${String(card.revision)}` : ''}`,
    };
    if (card.modality !== 'video') return [entry];
    // A video model's all-intra mode (every frame coded by its image model): the reference
    // its temporal entropy model is measured against.
    const intra: CodecEntry = {
      ...entry,
      name: `${card.name}-intra`,
      description: `${card.name} with every frame intra (no temporal model)`,
      create: () => loadModel(card.name, {}, { intraPeriod: 1 }),
      version: () => `${card.name}@${String(card.weights_sha256 ?? 'unknown')}/intra${card.revision !== undefined ? `/c${String(card.revision)}` : ''}`,
    };
    return [entry, intra];
  });
}

/**
 * Codecs every process (and every eval worker thread) knows without being told: the baselines
 * and the installed models. Codecs added later with registerCodec() exist only in the thread
 * that added them, so evaluation runs those in the calling thread.
 */
const BUILTIN = new Set<CodecEntry>([...IMAGE_BASELINE_ENTRIES, ...VIDEO_BASELINE_ENTRIES, ...AUDIO_BASELINE_ENTRIES]);

for (const entry of BUILTIN) entries.set(key(entry.modality, entry.name), entry);

let learnedFound = false;
/** Model folders whose card is missing or damaged, with the reason. */
const unavailable = new Map<string, string>();

/** Adds the installed learned models, once, on the registry's first use. */
function findLearned(): void {
  if (learnedFound) return;
  learnedFound = true;
  for (const entry of learnedEntries()) {
    BUILTIN.add(entry);
    registerCodec(entry);
  }
}

/** Whether `name` (for `modality`) is a built-in entry (known to worker threads), not one added at run time. */
export function isBuiltinCodec(name: string, modality?: Modality): boolean {
  findLearned();
  const entry = modality ? entries.get(key(modality, name)) : [...entries.values()].find((e) => e.name === name);
  return entry !== undefined && BUILTIN.has(entry);
}
