// Builds the browser entry (lcodec/web) into dist/web/: one ES module bundled by esbuild from
// the compiled library (dist/src/web/index.js), and beside it onnxruntime-web's WebAssembly
// files, where the bundle looks for them by default. Run after tsc (npm run build does).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'dist', 'src', 'web', 'index.js')],
  outfile: join(out, 'lcodec.js'),
  bundle: true,
  format: 'esm',
  // platform 'browser' makes any Node built-in reaching the bundle a build error.
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
});

// The WebAssembly CPU backend that the bundled onnxruntime-web/wasm build loads at run time.
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) copyFileSync(join(ortDist, f), join(out, f));
