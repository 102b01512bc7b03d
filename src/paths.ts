import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (holds package.json), found from this file in src/ or dist/src/. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lcodec') return dir;
    dir = dirname(dir);
  }
  throw new Error('lcodec package root not found');
})();

/** Where installed models live; LCODEC_MODELS overrides. */
export function modelsDir(): string {
  return process.env.LCODEC_MODELS ?? join(PACKAGE_ROOT, 'models');
}

/** The shared data folder beside the repository (tests and benchmarks), or undefined. */
export function sharedDataDir(): string | undefined {
  const dir = process.env.LCODEC_DATA ?? join(PACKAGE_ROOT, '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}
