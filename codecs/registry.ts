/**
 * The codec registry: every codec, classical or learned, is one entry under its name, with
 * its capabilities declared (modality, accepted qualities, what it needs installed) and a
 * factory. Evaluation, the CLI and the library look codecs up here and never special-case one.
 *
 * Learned codecs join with `registerCodec({ name: 'hyperprior-mse', kind: 'learned', ... })`.
 */
import { UsageError } from '../src/errors.js';
import { IMAGE_BASELINES } from './baselines/index.js';
import type { Codec, Modality } from './types.js';

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

const entries = new Map<string, CodecEntry>();

/** Adds a codec. A name can be registered once unless `replace` is set. */
export function registerCodec(entry: CodecEntry, options: { replace?: boolean } = {}): void {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(entry.name)) {
    throw new RangeError(`codec name must be lower-case letters, digits, '.', '_' or '-': ${JSON.stringify(entry.name)}`);
  }
  if (entries.has(entry.name) && !options.replace) throw new RangeError(`codec ${entry.name} is already registered`);
  entries.set(entry.name, entry);
}

/** All registered codecs (optionally of one modality), in registration order. */
export function listCodecs(modality?: Modality): CodecInfo[] {
  return [...entries.values()]
    .filter((e) => modality === undefined || e.modality === modality)
    .map(({ name, modality: m, kind, description, qualityRange, requires }) => ({
      name,
      modality: m,
      kind,
      description,
      ...(qualityRange ? { qualityRange } : {}),
      ...(requires ? { requires } : {}),
    }));
}

/** The entry registered under `name`; UsageError naming the known codecs otherwise. */
export function getCodecEntry(name: string): CodecEntry {
  const entry = entries.get(name);
  if (!entry) {
    throw new UsageError(`unknown codec ${JSON.stringify(name)}; known: ${[...entries.keys()].join(', ')}`);
  }
  return entry;
}

/** Creates the codec registered under `name`. */
export async function getCodec(name: string): Promise<Codec>;
export async function getCodec<M extends Modality>(name: string, modality: M): Promise<Codec<M>>;
export async function getCodec(name: string, modality?: Modality): Promise<Codec> {
  const entry = getCodecEntry(name);
  if (modality !== undefined && entry.modality !== modality) {
    throw new UsageError(`codec ${name} is for ${entry.modality}, not ${modality}`);
  }
  return entry.create();
}

/** Whether `quality` is accepted by the codec (its declared range, else its own levels). */
export function acceptsQuality(info: CodecInfo, codec: Codec, quality: number): boolean {
  if (info.qualityRange) {
    return Number.isInteger(quality) && quality >= info.qualityRange[0] && quality <= info.qualityRange[1];
  }
  return codec.qualities.includes(quality);
}

/**
 * Codecs every process (and every eval worker thread) knows from importing this module.
 * Learned codecs join here with their entry lists. Codecs added later with registerCodec()
 * exist only in the thread that added them, so evaluation runs those in the calling thread.
 */
const BUILTIN: readonly CodecEntry[] = [...IMAGE_BASELINES];

for (const entry of BUILTIN) registerCodec(entry);

/** Whether `name` is a built-in entry (known to worker threads), not one added at run time. */
export function isBuiltinCodec(name: string): boolean {
  const entry = entries.get(name);
  return entry !== undefined && BUILTIN.includes(entry);
}
