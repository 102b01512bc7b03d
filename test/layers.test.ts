/**
 * The layers run one way (README, "How the folders fit together"): media types, errors, paths,
 * the container, I/O, metrics, ONNX sessions and entropy/ at the bottom; codecs/ above them;
 * the API, evaluation and the CLI on top. Checked by reading every source file's imports, so a
 * new arrow the wrong way fails here instead of slowly tangling the folders.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/** Layer of a source file (repository-relative path), higher may import lower or equal. */
function layerOf(file: string): number | undefined {
  const bottom = /^(entropy\/|src\/(media|errors|check|paths|version)\.ts$|src\/(container|io|metrics|runtime|types)\/)/;
  if (bottom.test(file)) return 0;
  if (file.startsWith('codecs/')) return 1;
  if (/^(src\/(api|batch|index)\.ts$|src\/(eval|cli|web)\/|bench\/)/.test(file)) return 2;
  return undefined;
}
const LAYER_NAMES = ['bottom (media, errors, check, paths, version, container, io, metrics, runtime, entropy)', 'codecs', 'api / eval / cli / web'];

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Relative module specifiers in source text: imports, re-exports, side-effect and dynamic imports. */
function specifiersIn(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
}

/** Repository-relative `.ts` paths a file imports. */
function importsOf(file: string): string[] {
  return specifiersIn(readFileSync(path.join(ROOT, file), 'utf8')).map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

const FILES = ['entropy', 'codecs', 'src', 'bench'].flatMap(sources);

describe('layering', () => {
  it('places every source file in a layer', () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(FILES.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    const wrong: string[] = [];
    for (const file of FILES) {
      for (const target of importsOf(file)) {
        const from = layerOf(file)!;
        const to = layerOf(target);
        if (to === undefined || to > from) wrong.push(`${file} (${LAYER_NAMES[from]}) imports ${target} (${to === undefined ? 'outside the layers' : LAYER_NAMES[to]})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps entropy/ free of everything but itself', () => {
    const outside = FILES.filter((f) => f.startsWith('entropy/')).flatMap((f) => importsOf(f).filter((t) => !t.startsWith('entropy/')).map((t) => `${f} -> ${t}`));
    expect(outside).toEqual([]);
  });

  it('reads every form of import the sources use', () => {
    const probe = [
      "import type { Codec } from '../../codecs/types.js';",
      "export { x } from '../api.js';",
      "import sharp from 'sharp';",
      "import '../side-effect.js';",
      "const m = await import('../cli/main.js');",
      'import {\n  a,\n  b,\n} from "../double.js";',
    ].join('\n');
    expect(specifiersIn(probe)).toEqual(['../../codecs/types.js', '../api.js', '../side-effect.js', '../cli/main.js']);
    expect(FILES.flatMap((f) => (/from\s+"\./.test(readFileSync(path.join(ROOT, f), 'utf8')) ? [f] : []))).toEqual([]); // sources quote with ''
  });

  it('keeps codecs/types.ts to codec types: media types live in src/media.ts', () => {
    const text = readFileSync(path.join(ROOT, 'codecs/types.ts'), 'utf8');
    for (const name of ['RgbImage', 'Picture', 'Audio', 'Video', 'VideoFrame', 'YuvFrame', 'MAX_IMAGE_PIXELS', 'Modality', 'MediaByModality']) {
      expect(text, name).not.toMatch(new RegExp(`export (interface|type|const) ${name}\\b`));
    }
  });
});
