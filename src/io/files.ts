/** Output files appear only when complete, and never replace a file without --force. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** Writes to a temporary file beside the target, then renames it into place. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Refuses to overwrite an existing output (or the input itself) unless forced. */
export function checkOutput(output: string, input: string | undefined, force: boolean): void {
  if (input !== undefined && join(output) === join(input)) throw new UsageError(`output ${output} is the input file; choose another -o`);
  if (!force && existsSync(output)) throw new UsageError(`${output} already exists; use --force to overwrite or -o to choose another name`);
}
