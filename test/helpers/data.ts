/** Where the shared data sets are: `../shared/data` beside the repository root. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DATA = resolve(REPO_ROOT, '..', 'shared', 'data');
export const AUDIO_TEST_DIR = resolve(SHARED_DATA, 'audio', 'test');

/** The audio test set, or undefined (with a note on stderr) when this checkout has none. */
export function audioTestDir(): string | undefined {
  if (existsSync(AUDIO_TEST_DIR)) return AUDIO_TEST_DIR;
  process.stderr.write(`audio tests on real clips skipped: ${AUDIO_TEST_DIR} not found (shared data absent)\n`);
  return undefined;
}
