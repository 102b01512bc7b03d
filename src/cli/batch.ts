/**
 * `lcodec encode a.png b.flac … -o out/` and `lcodec decode *.lc -o out/`: many inputs in
 * one process over the library's encodeMany / decodeToFile. Everything that is wrong with
 * the arguments (a bad option, two inputs that would write one output, an output that
 * exists without --force) stops the command before any work (exit code 1); an input that
 * fails is reported on one line and the others are still written (exit code 2).
 */
import { mkdirSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { inspect, type EncodeOptions, type FileInfo } from '../api.js';
import { DECODED_EXTENSION, decodeToFile, encodeMany, mapMany } from '../batch.js';
import { integer } from '../check.js';
import { InputError, UsageError } from '../errors.js';
import { checkOutput, writeFileAtomic } from '../io/files.js';
import type { RuntimeOptions } from '../runtime/onnx.js';
import { formatError } from './errors.js';
import { progressBar } from './progress.js';

export interface BatchFlags {
  output?: string;
  force?: boolean;
  jobs?: string;
  verbose?: boolean;
}

export const LAYOUT: Record<number, string> = { 1: 'gray', 2: 'gray+alpha', 3: 'RGB', 4: 'RGBA' };

export function replaceExt(file: string, ext: string): string {
  return join(dirname(file), basename(file, extname(file)) + ext);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Several inputs, or one with `-o` naming a folder (an existing one, or a name ending in /). */
export function isBatch(inputs: readonly string[], output: string | undefined): boolean {
  return inputs.length > 1 || (output !== undefined && (/[\\/]$/.test(output) || isDirectory(output)));
}

/** The output line of one encoded file (the same for one input or many). */
export function describeEncoded(output: string, lc: Uint8Array): string {
  const info = inspect(lc);
  const layout = info.modality === 'image' && info.channels !== undefined && info.channels !== 3 ? ` ${LAYOUT[info.channels]}` : '';
  const what = info.modality === 'audio'
    ? `${info.seconds!.toFixed(2)} s, ${info.sampleRate} Hz, ${info.channels} ch, ${info.kbps!.toFixed(2)} kbps`
    : info.modality === 'video'
      ? `${info.width}x${info.height}, ${info.frames} frames, ${info.bpp!.toFixed(4)} bpp, ${info.kbps!.toFixed(1)} kbps`
      : `${info.width}x${info.height}${layout}, ${info.bpp!.toFixed(4)} bpp`;
  return `${output}: ${lc.length} bytes, ${what} (${info.model} q${info.quality})`;
}

/** The output line of one decoded file. */
export function describeDecoded(output: string, header: FileInfo): string {
  const what = header.modality === 'audio'
    ? `${header.seconds!.toFixed(2)} s, ${header.sampleRate} Hz, ${header.channels} ch`
    : header.modality === 'video'
      ? `${header.width}x${header.height}, ${header.frames} frames`
      : `${header.width}x${header.height}`;
  return `${output}: ${what} (${header.model} q${header.quality})`;
}

function parseJobs(jobs: string | undefined): number {
  return jobs === undefined ? 1 : integer('--jobs', jobs, 1, 64);
}

/** The output folder (made when missing), or undefined: each output beside its input. */
function outputFolder(output: string | undefined): string | undefined {
  if (output === undefined) return undefined;
  let exists = false;
  try {
    exists = statSync(output).isDirectory();
    if (!exists) throw new UsageError(`with several inputs, -o names a folder; ${output} is a file`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  if (!exists) {
    try {
      mkdirSync(output, { recursive: true });
    } catch (err) {
      throw new UsageError(`cannot make the folder ${output}: ${(err as Error).message}`);
    }
  }
  return output;
}

/** Two inputs that would write the same output are a usage error, found before any work. */
function checkDistinct(inputs: readonly string[], outputs: readonly string[]): void {
  const seen = new Map<string, string>();
  outputs.forEach((out, k) => {
    const key = resolve(out);
    const other = seen.get(key);
    if (other !== undefined) throw new UsageError(`${other} and ${inputs[k]} would both be written to ${out}; encode them into different folders`);
    seen.set(key, inputs[k]!);
  });
}

/** One stderr line for a failed input, naming it unless the message already does. */
function reportFailure(input: string, err: Error, verbose: boolean): void {
  const line = formatError(err, verbose);
  const named = verbose || err.message.includes(input) ? line : line.replace(/^lcodec: /, `lcodec: ${input}: `);
  process.stderr.write(named + '\n');
}

interface Tally {
  ok: number;
  failed: number;
  inBytes: number;
  outBytes: number;
}

function summary(verb: string, total: number, t: Tally, seconds: number): string {
  const failed = t.failed > 0 ? `, ${t.failed} failed` : '';
  return `${verb} ${t.ok} of ${total} file${total === 1 ? '' : 's'} in ${seconds.toFixed(1)} s${failed}: ${t.inBytes} → ${t.outBytes} bytes`;
}

/** Encodes every input; resolves with the exit code (0, or 2 when an input failed). */
export async function encodeBatch(inputs: readonly string[], flags: BatchFlags, opts: EncodeOptions): Promise<number> {
  const jobs = parseJobs(flags.jobs);
  const folder = outputFolder(flags.output);
  const outputs = inputs.map((input) => (folder ? join(folder, basename(input, extname(input)) + '.lc') : replaceExt(input, '.lc')));
  checkDistinct(inputs, outputs);
  outputs.forEach((out, k) => checkOutput(out, inputs[k], flags.force === true));

  const t0 = performance.now();
  const bar = progressBar('encode');
  const tally: Tally = { ok: 0, failed: 0, inBytes: 0, outBytes: 0 };
  let done = 0;
  for await (const r of encodeMany(inputs, { ...opts, jobs })) {
    const input = inputs[r.index]!;
    bar.done();
    try {
      if (!r.ok) throw r.error;
      await writeFileAtomic(outputs[r.index]!, r.value);
      tally.inBytes += (await stat(input)).size;
      tally.outBytes += r.value.length;
      tally.ok++;
      process.stdout.write(describeEncoded(outputs[r.index]!, r.value) + '\n');
    } catch (err) {
      tally.failed++;
      reportFailure(input, err as Error, flags.verbose === true);
    }
    bar.update(++done, inputs.length, 'files');
  }
  bar.done();
  process.stdout.write(summary('encoded', inputs.length, tally, (performance.now() - t0) / 1000) + '\n');
  return tally.failed > 0 ? 2 : 0;
}

/** Decodes every `.lc` input; resolves with the exit code (0, or 2 when an input failed). */
export async function decodeBatch(inputs: readonly string[], flags: BatchFlags, runtime: RuntimeOptions): Promise<number> {
  const jobs = parseJobs(flags.jobs);
  const folder = outputFolder(flags.output);
  const t0 = performance.now();
  const tally: Tally = { ok: 0, failed: 0, inBytes: 0, outBytes: 0 };

  // Headers first: the output's extension is the modality's. An unreadable or damaged file
  // is a failed input, reported now; the rest are still decoded.
  const ready: { input: string; bytes: Uint8Array; output: string }[] = [];
  for (const input of inputs) {
    try {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(input));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new InputError(code === 'ENOENT' ? `no such file: ${input}` : `cannot read ${input}: ${(err as Error).message}`);
      }
      const ext = DECODED_EXTENSION[inspect(bytes).modality as keyof typeof DECODED_EXTENSION] ?? '.png';
      const output = folder ? join(folder, basename(input, extname(input)) + ext) : replaceExt(input, ext);
      ready.push({ input, bytes, output });
    } catch (err) {
      tally.failed++;
      reportFailure(input, err as Error, flags.verbose === true);
    }
  }
  checkDistinct(ready.map((r) => r.input), ready.map((r) => r.output));
  for (const r of ready) checkOutput(r.output, r.input, flags.force === true);

  const bar = progressBar('decode');
  let done = tally.failed;
  for await (const r of mapMany(ready, (item) => decodeToFile(item.bytes, item.output, runtime), jobs)) {
    bar.done();
    if (r.ok) {
      tally.ok++;
      tally.inBytes += r.input.bytes.length;
      tally.outBytes += (await stat(r.input.output)).size;
      process.stdout.write(describeDecoded(r.input.output, r.value) + '\n');
    } else {
      tally.failed++;
      reportFailure(r.input.input, r.error, flags.verbose === true);
    }
    bar.update(++done, inputs.length, 'files');
  }
  bar.done();
  process.stdout.write(summary('decoded', inputs.length, tally, (performance.now() - t0) / 1000) + '\n');
  return tally.failed > 0 ? 2 : 0;
}
