/**
 * Peak memory and time of `lcodec encode` and `lcodec decode` on large generated images,
 * each run as its own CLI process (peak RSS from process.resourceUsage().maxRSS, written
 * by bench/max-rss.cjs on exit). The bar (issue 4): a 4000 × 3000 image encodes and decodes
 * within 1.5 GB; 8000 × 6000 is reported against ~1 GB.
 *
 *   node dist/bench/image-memory.js [--sizes 4000x3000,8000x6000] [--tile 1024] [--threads N] [--json]
 *
 * Exits 1 when a run fails or a size over its budget. Long: run it under `nice -n 10`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../src/paths.js';
import { benchArgs } from './args.js';

interface Run {
  ok: boolean;
  seconds: number;
  peak_rss_mb: number;
  detail: string;
}

interface SizeResult {
  width: number;
  height: number;
  budget_mb: number;
  png_bytes: number;
  lc_bytes: number;
  encode: Run;
  decode: Run;
  within_budget: boolean;
}

const BUDGET_MB: Record<string, number> = { '4000x3000': 1536, '8000x6000': 1100 };

/** A photo-like test image: the bundled sample scaled up, with fine texture so tiles differ. */
async function makeImage(file: string, width: number, height: number): Promise<void> {
  const base = await sharp(path.join(packageRoot(), 'samples', 'landscape.png'))
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .removeAlpha()
    .raw()
    .toBuffer();
  let s = 12345;
  for (let i = 0; i < base.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const v = base[i]! + ((s >>> 24) % 9) - 4;
    base[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  await sharp(base, { raw: { width, height, channels: 3 }, limitInputPixels: false }).png({ compressionLevel: 3 }).toFile(file);
}

function runCli(args: string[], rssFile: string): Promise<Run> {
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const preload = path.join(packageRoot(), 'bench', 'max-rss.cjs');
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', preload, cli, ...args], { env: { ...process.env, LCODEC_MAX_RSS_FILE: rssFile }, maxBuffer: 1 << 20 }, async (err, stdout, stderr) => {
      const seconds = (performance.now() - t0) / 1000;
      let kb = NaN;
      try {
        kb = Number(await readFile(rssFile, 'utf8'));
      } catch {
        // reported as NaN
      }
      resolve({ ok: !err, seconds: Math.round(seconds * 10) / 10, peak_rss_mb: Math.round(kb / 1024), detail: (err ? stderr : stdout).trim() });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { opt } = benchArgs(argv);
  const sizes = (opt('sizes') ?? '4000x3000,8000x6000').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const extra = [...(opt('tile') ? ['--tile', opt('tile')!] : []), ...(opt('threads') ? ['--threads', opt('threads')!] : [])];
  const json = argv.includes('--json');
  const dir = await mkdtemp(path.join(tmpdir(), 'lcodec-mem-'));
  const results: SizeResult[] = [];
  try {
    for (const [width, height] of sizes) {
      const png = path.join(dir, `${width}x${height}.png`);
      const lc = path.join(dir, `${width}x${height}.lc`);
      const back = path.join(dir, `${width}x${height}-decoded.png`);
      await makeImage(png, width, height);
      const encode = await runCli(['encode', png, '-o', lc, ...extra], path.join(dir, 'rss-enc'));
      const decode = encode.ok ? await runCli(['decode', lc, '-o', back, ...extra.filter((a, i, all) => a !== '--tile' && all[i - 1] !== '--tile')], path.join(dir, 'rss-dec')) : { ok: false, seconds: 0, peak_rss_mb: NaN, detail: 'not run' };
      const budget = BUDGET_MB[`${width}x${height}`] ?? 1536;
      const r: SizeResult = {
        width,
        height,
        budget_mb: budget,
        png_bytes: (await stat(png)).size,
        lc_bytes: encode.ok ? (await stat(lc)).size : 0,
        encode,
        decode,
        within_budget: encode.ok && decode.ok && encode.peak_rss_mb <= budget && decode.peak_rss_mb <= budget,
      };
      results.push(r);
      if (!json) {
        process.stdout.write(
          `${width}x${height}: encode ${encode.seconds} s, peak ${encode.peak_rss_mb} MB; decode ${decode.seconds} s, peak ${decode.peak_rss_mb} MB; ` +
            `budget ${budget} MB: ${r.within_budget ? 'ok' : 'OVER or failed'}${encode.ok && decode.ok ? '' : ` (${encode.ok ? decode.detail : encode.detail})`}\n`,
        );
      }
      await rm(back, { force: true });
      await rm(png, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (json) process.stdout.write(JSON.stringify({ node: process.version, results }, null, 2) + '\n');
  if (results.some((r) => !r.within_budget)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`image-memory: ${(err as Error).message}\n`);
  process.exit(1);
});
