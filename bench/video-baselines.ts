/**
 * Rate–distortion and speed of the video baselines (x264, x265 low-delay) on a folder of clips:
 * for every clip, codec and quality, the stream size and the video metrics of the decoded clip,
 * and the encode / decode speed.
 *
 *   npx tsc -p tsconfig.json
 *   nice -n 10 node dist/bench/video-baselines.js [folder] [--codecs x264,x265] [--qualities 11,14,...]
 *        [--json out.json]
 *   node dist/bench/video-baselines.js --from out.json          # re-print saved results
 *
 * folder defaults to the shared video test set (../shared/data/video/test beside the repo).
 * Means per point are taken over the clips (bpp and metrics per clip, as `lcodec eval` does).
 *
 * Besides the eval metrics, each point reports PSNR-Y two more ways, to show that the RGB
 * interface adds no error of its own to these YUV codecs:
 * - `psnr_y_src`: decoded Y' against the source file's Y' directly (the 4:2:0 samples ffmpeg
 *   decodes from the clip), with no RGB anywhere — what `psnr_y` in eval is whenever the frames
 *   carry their Y'CbCr, as they do here;
 * - `psnr_y_rgb`: Y' recomputed from the RGB frames on both sides (what psnr_y would be if the
 *   codec were fed RGB-converted frames and measured through RGB).
 * Speed: frames / encode seconds and frames / decode seconds (decode = whole clip to RGB frames),
 * one encoder/decoder thread, one run at a time.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCodec } from '../codecs/registry.js';
import type { VideoFrame } from '../src/media.js';
import { bdRateOf } from '../src/eval/runner.js';
import type { EvalPoint } from '../src/eval/types.js';
import { collectVideo, readVideo } from '../src/io/video.js';
import { lumaPlane } from '../src/io/yuv.js';
import { planePsnr, videoMetrics } from '../src/metrics/video.js';

interface Row {
  file: string;
  codec: string;
  quality: number;
  frames: number;
  bytes: number;
  bpp: number;
  kbps: number;
  psnr: number;
  psnr_y: number;
  psnr_y_src: number;
  psnr_y_rgb: number;
  ms_ssim: number;
  enc_fps: number;
  dec_fps: number;
}

interface Args {
  folder: string;
  codecs: string[];
  qualities?: number[];
  json?: string;
  from?: string;
}

function parseArgs(argv: string[]): Args {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const args: Args = { folder: resolve(repoRoot, '..', 'shared', 'data', 'video', 'test'), codecs: ['x264', 'x265'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--codecs') args.codecs = value().split(',');
    else if (a === '--qualities') args.qualities = value().split(',').map(Number);
    else if (a === '--json') args.json = value();
    else if (a === '--from') args.from = value();
    else if (!a.startsWith('--')) args.folder = resolve(a);
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);

/** Mean PSNR over frames of two Y' planes taken from each frame pair by `luma`. */
function meanLumaPsnr(a: VideoFrame[], b: VideoFrame[], luma: (f: VideoFrame) => Uint8Array): number {
  return mean(a.map((f, k) => planePsnr(luma(f), luma(b[k]))));
}

async function measure(args: Args): Promise<Row[]> {
  const files = (await readdir(args.folder)).filter((f) => /\.(mkv|y4m|mp4)$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no clips in ${args.folder}`);
  const rows: Row[] = [];
  for (const name of files) {
    const original = await collectVideo(await readVideo(join(args.folder, name)));
    for (const codecName of args.codecs) {
      const codec = await getCodec(codecName, 'video');
      for (const quality of args.qualities ?? codec.qualities) {
        let t = performance.now();
        const bytes = await codec.encode(original, quality);
        const encS = (performance.now() - t) / 1000;
        t = performance.now();
        const decoded = await collectVideo(await codec.decode(bytes));
        const decS = (performance.now() - t) / 1000;
        const m = await videoMetrics(original, decoded, bytes.length);
        const row: Row = {
          file: name,
          codec: codecName,
          quality,
          frames: m.frames,
          bytes: bytes.length,
          bpp: m.bpp,
          kbps: m.kbps,
          psnr: m.psnr,
          psnr_y: m.psnr_y,
          psnr_y_src: meanLumaPsnr(original.frames, decoded.frames, (f) => f.yuv!.data.subarray(0, f.width * f.height)),
          psnr_y_rgb: meanLumaPsnr(original.frames, decoded.frames, lumaPlane),
          ms_ssim: m.ms_ssim,
          enc_fps: m.frames / encS,
          dec_fps: m.frames / decS,
        };
        rows.push(row);
        process.stderr.write(
          `${name} ${codecName} q${quality}: ${row.bpp.toFixed(4)} bpp, ${row.psnr.toFixed(2)} dB RGB, ` +
            `${row.psnr_y.toFixed(2)} dB Y, enc ${row.enc_fps.toFixed(1)} fps, dec ${row.dec_fps.toFixed(1)} fps\n`,
        );
      }
    }
  }
  return rows;
}

const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

function report(rows: Row[]): string {
  const out: string[] = [];
  const codecs = [...new Set(rows.map((r) => r.codec))];
  const clips = [...new Set(rows.map((r) => r.file))];
  out.push(`${clips.length} clips, ${sum(clips.map((c) => rows.find((r) => r.file === c)!.frames))} frames; means over clips\n`);
  out.push('| codec | quality (CRF) | bpp | kbps | PSNR RGB | PSNR-Y | PSNR-Y src | PSNR-Y via RGB | MS-SSIM | enc fps | dec fps |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const points = new Map<string, EvalPoint[]>();
  for (const codec of codecs) {
    const qualities = [...new Set(rows.filter((r) => r.codec === codec).map((r) => r.quality))].sort((a, b) => a - b);
    const pts: EvalPoint[] = [];
    for (const q of qualities) {
      const rs = rows.filter((r) => r.codec === codec && r.quality === q);
      const m = (k: keyof Row) => mean(rs.map((r) => r[k] as number));
      // Speed over all frames of all clips (not a mean of per-clip rates).
      const frames = sum(rs.map((r) => r.frames));
      const encFps = frames / sum(rs.map((r) => r.frames / r.enc_fps));
      const decFps = frames / sum(rs.map((r) => r.frames / r.dec_fps));
      out.push(
        `| ${codec} | ${q} (${51 - q}) | ${f(m('bpp'), 4)} | ${f(m('kbps'), 1)} | ${f(m('psnr'), 2)} | ${f(m('psnr_y'), 2)} | ` +
          `${f(m('psnr_y_src'), 2)} | ${f(m('psnr_y_rgb'), 2)} | ${f(m('ms_ssim'), 4)} | ${f(encFps, 1)} | ${f(decFps, 1)} |`,
      );
      pts.push({ quality: q, bpp: m('bpp'), psnr: m('psnr'), psnr_y: m('psnr_y'), ms_ssim: m('ms_ssim'), enc_s: 0, dec_s: 0 });
    }
    points.set(codec, pts);
  }
  const anchor = codecs[0];
  for (const codec of codecs.slice(1)) {
    const bd = (key: string, scale?: (v: number) => number) => bdRateOf(points.get(anchor)!, points.get(codec)!, 'bpp', key, scale);
    const pct = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`);
    out.push(
      `\nBD-rate of ${codec} vs ${anchor}: PSNR ${pct(bd('psnr'))}, PSNR-Y ${pct(bd('psnr_y'))}, ` +
        `MS-SSIM ${pct(bd('ms_ssim', (v) => -10 * Math.log10(1 - v)))}`,
    );
  }
  // Per clip at the middle quality of the first codec's sweep.
  const qs = [...new Set(rows.map((r) => r.quality))].sort((a, b) => a - b);
  const mid = qs[Math.floor(qs.length / 2)];
  out.push(`\nPer clip at quality ${mid} (CRF ${51 - mid}):\n`);
  out.push('| clip | frames | codec | bpp | kbps | PSNR RGB | PSNR-Y | MS-SSIM | enc fps | dec fps |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows.filter((x) => x.quality === mid)) {
    out.push(
      `| ${r.file} | ${r.frames} | ${r.codec} | ${f(r.bpp, 4)} | ${f(r.kbps, 1)} | ${f(r.psnr, 2)} | ${f(r.psnr_y, 2)} | ` +
        `${f(r.ms_ssim, 4)} | ${f(r.enc_fps, 1)} | ${f(r.dec_fps, 1)} |`,
    );
  }
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows = args.from ? (JSON.parse(await readFile(args.from, 'utf8')) as Row[]) : await measure(args);
  if (args.json) await writeFile(args.json, JSON.stringify(rows, null, 1) + '\n');
  process.stdout.write(report(rows));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
