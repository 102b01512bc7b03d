/** Turning `lcodec eval <files|dirs...>` into a list of items of one modality. */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Modality } from '../media.js';
import { InputError, UsageError } from '../errors.js';
import { detectFileModality } from '../io/detect.js';

export interface EvalItem {
  /** Path as found (argument, or directory + relative path). */
  file: string;
  /** SHA-256 of the file's bytes: the item's identity in the result cache. */
  hash: string;
}

/**
 * Expands files and directories (recursively, sorted, hidden entries skipped) into items.
 * Inside directories, files that are not media are skipped; a file named explicitly must
 * be media. All items must share one modality.
 */
export async function collectItems(inputs: readonly string[]): Promise<{ modality: Modality; items: EvalItem[] }> {
  if (inputs.length === 0) throw new UsageError('no input files or directories given');
  const found: { file: string; modality: Modality }[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new InputError(`${input}: no such file or directory`);
    }
    if (info.isDirectory()) {
      for (const file of await walk(input)) {
        const modality = await detectFileModality(file);
        if (modality) found.push({ file, modality });
      }
    } else {
      const modality = await detectFileModality(input);
      if (!modality) throw new InputError(`${input}: not an image, audio or video file`);
      found.push({ file: input, modality });
    }
  }
  const unique = [...new Map(found.map((f) => [path.resolve(f.file), f])).values()];
  if (unique.length === 0) throw new InputError(`no media files found in ${inputs.join(', ')}`);
  const modalities = [...new Set(unique.map((f) => f.modality))];
  if (modalities.length > 1) {
    throw new InputError(`inputs mix ${modalities.join(' and ')} files; evaluate one modality at a time`);
  }
  const items = await Promise.all(unique.map(async ({ file }) => ({ file, hash: await hashFile(file) })));
  return { modality: modalities[0], items };
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    // Symbolic links are followed (a folder of links to a shared data set is common).
    const kind = e.isSymbolicLink() ? await stat(full).catch(() => undefined) : e;
    if (kind?.isDirectory()) out.push(...(await walk(full)));
    else if (kind?.isFile()) out.push(full);
  }
  return out;
}

async function hashFile(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
