/** Where lcodec's own files are: the package root and the installed models. Found when first asked for, so importing lcodec reads no file. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root (holds package.json), found from this file in src/ or dist/src/. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lcodec') return (root = dir);
    dir = dirname(dir);
  }
  throw new Error('lcodec package root not found');
}

/** Where installed models live; LCODEC_MODELS overrides. */
export function modelsDir(): string {
  return process.env.LCODEC_MODELS ?? join(packageRoot(), 'models');
}

/** The shared data folder beside the repository (tests and benchmarks), or undefined. */
export function sharedDataDir(): string | undefined {
  const dir = process.env.LCODEC_DATA ?? join(packageRoot(), '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}
