/** Output files appear only when complete, and never replace a file without --force. */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** A short reason for a failed file operation: the errno code's meaning, not a stack. */
function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'no such directory',
    ENOTDIR: 'a parent is not a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EISDIR: 'is a directory',
    EDQUOT: 'disk quota exceeded',
  };
  return (code && known[code]) ?? (err as Error).message;
}

/**
 * Writes to a temporary file beside the target, then renames it into place; on any failure
 * the temporary file is removed and a UsageError names the target (exit code 1).
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new UsageError(`cannot write ${file}: ${reason(err)}`);
  }
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/**
 * Checks an output path before any work is done: it is not the input (by path or by inode),
 * it does not exist unless forced, and its directory exists and is writable. Throws
 * UsageError (exit code 1).
 */
export function checkOutput(output: string, input: string | undefined, force: boolean): void {
  const out = statOrNull(output);
  if (input !== undefined) {
    const inp = statOrNull(input);
    const sameFile = out !== null && inp !== null && out.dev === inp.dev && out.ino === inp.ino;
    if (sameFile || resolve(output) === resolve(input)) throw new UsageError(`output ${output} is the input file; choose another -o`);
  }
  if (out?.isDirectory()) throw new UsageError(`output ${output} is a directory; give a file name with -o`);
  if (!force && out !== null) throw new UsageError(`${output} already exists; use --force to overwrite or -o to choose another name`);
  const dir = dirname(output);
  const d = statOrNull(dir);
  if (d === null || !d.isDirectory()) throw new UsageError(`cannot write ${output}: ${d === null ? 'no such directory' : 'a parent is not a directory'} (${dir})`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(`cannot write ${output}: ${reason(err)} (${dir})`);
  }
}
