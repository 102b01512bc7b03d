/**
 * Many inputs in one process: the models are loaded once and shared by every item, up to
 * `jobs` items are in flight at a time, and one item's failure never stops the others.
 *
 * Results come as an async iterator, in the order the items finish (each carries its
 * `index` in the input list), so a caller can write each output as soon as it is ready.
 *
 * @example
 * import { encodeMany } from 'lcodec';
 * for await (const r of encodeMany(['a.png', 'b.png', 'talk.flac'], { quality: 4, jobs: 2 })) {
 *   if (r.ok) await writeFile(`${r.index}.lc`, r.value);
 *   else console.error(`${r.input}: ${r.error.message}`);
 * }
 */
import { readFile } from 'node:fs/promises';
import { decode, decodeAudioToWav, encode, inspect, type DecodedMedia, type EncodeInput, type EncodeOptions } from './api.js';
import { InputError, UsageError } from './errors.js';
import { writeFileAtomic } from './io/files.js';
import { encodePng } from './io/image.js';
import { writeVideo } from './io/video.js';
import { checkQuality } from '../codecs/learned/hyperprior.js';
import { loadModel } from '../codecs/models.js';
import { integer } from './check.js';
import type { RuntimeOptions } from './runtime/onnx.js';

/** One item's outcome: its value, or the error it failed with. */
export type ItemResult<I, R> =
  | { index: number; input: I; ok: true; value: R; seconds: number }
  | { index: number; input: I; ok: false; error: Error; seconds: number };

export interface ManyOptions {
  /** Items in flight at a time (default 1). Model runs of concurrent items share the model's sessions. */
  jobs?: number;
}

function checkJobs(jobs: number | undefined): number {
  return jobs === undefined ? 1 : integer('jobs', jobs, 1, 64);
}

/**
 * Runs `work` on every input, at most `jobs` at a time, and yields each outcome as it
 * finishes. Errors are caught per item and yielded, never thrown.
 */
export async function* mapMany<I, R>(
  inputs: Iterable<I>,
  work: (input: I, index: number) => Promise<R>,
  jobs = 1,
): AsyncGenerator<ItemResult<I, R>> {
  const items = [...inputs];
  const limit = checkJobs(jobs);
  const running = new Map<number, Promise<ItemResult<I, R>>>();
  let next = 0;
  const start = (index: number): void => {
    const input = items[index]!;
    const t0 = performance.now();
    const seconds = () => (performance.now() - t0) / 1000;
    const p = Promise.resolve()
      .then(() => work(input, index))
      .then(
        (value): ItemResult<I, R> => ({ index, input, ok: true, value, seconds: seconds() }),
        (err: unknown): ItemResult<I, R> => ({ index, input, ok: false, error: err instanceof Error ? err : new Error(String(err)), seconds: seconds() }),
      );
    running.set(index, p);
  };
  while (next < items.length && running.size < limit) start(next++);
  while (running.size > 0) {
    const done = await Promise.race(running.values());
    running.delete(done.index);
    if (next < items.length) start(next++);
    yield done;
  }
}

/**
 * Checks what can be checked before any input is read: with a model named, that it is
 * installed and takes the quality (a UsageError, thrown by the first `next()`).
 */
function checkEncodeOptions(opts: EncodeOptions): void {
  if (opts.model === undefined) return;
  const codec = loadModel(opts.model, opts);
  if (opts.quality !== undefined) checkQuality(codec.name, opts.quality, codec.qualities, UsageError);
}

/**
 * Encodes every input (paths, bytes or decoded media, of any modality) with the same
 * options; yields each `.lc` bitstream as it is ready.
 * @example for await (const r of encodeMany(files, { jobs: 2 })) if (r.ok) console.log(files[r.index], r.value.length);
 */
export async function* encodeMany(
  inputs: Iterable<EncodeInput>,
  opts: EncodeOptions & ManyOptions = {},
): AsyncGenerator<ItemResult<EncodeInput, Uint8Array>> {
  const { jobs, ...encodeOpts } = opts;
  checkJobs(jobs);
  checkEncodeOptions(encodeOpts);
  yield* mapMany(inputs, (input) => encode(input, { ...encodeOpts, name: typeof input === 'string' ? input : encodeOpts.name }), jobs);
}

async function lcBytes(input: string | Uint8Array): Promise<Uint8Array> {
  if (typeof input !== 'string') return input;
  try {
    return new Uint8Array(await readFile(input));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `no such file: ${input}` : `cannot read ${input}: ${(err as Error).message}`);
  }
}

/**
 * Decodes every `.lc` file (paths or bytes); yields each decoded image, audio or video as it
 * is ready. Videos stream their frames from the decoder as they are iterated.
 */
export async function* decodeMany(
  inputs: Iterable<string | Uint8Array>,
  opts: RuntimeOptions & ManyOptions = {},
): AsyncGenerator<ItemResult<string | Uint8Array, DecodedMedia>> {
  const { jobs, ...runtime } = opts;
  yield* mapMany(inputs, async (input) => decode(await lcBytes(input), runtime), jobs);
}

/** The file name extension `decodeToFile` picks for a modality when none is asked for. */
export const DECODED_EXTENSION = { image: '.png', audio: '.wav', video: '.y4m' } as const;

/**
 * Decodes an `.lc` bitstream into a file: images to PNG (whatever the name), audio to WAV (chunk by chunk, so
 * memory does not grow with duration), video to Y4M, or MP4/MKV by the output's extension.
 * The file appears only when complete. Resolves with the header's summary.
 * @example await decodeToFile(await readFile('photo.lc'), 'photo.png');
 */
export async function decodeToFile(bytes: Uint8Array, output: string, opts: RuntimeOptions = {}): Promise<ReturnType<typeof inspect>> {
  const header = inspect(bytes);
  if (header.modality === 'audio') {
    await decodeAudioToWav(bytes, output, opts);
    return header;
  }
  const media = await decode(bytes, opts);
  if (media.modality === 'video') {
    await writeVideo(output, media.video);
    return header;
  }
  if (media.modality !== 'image') throw new UsageError(`decoding ${media.modality} is not supported yet`);
  await writeFileAtomic(output, await encodePng(media.image));
  return header;
}
