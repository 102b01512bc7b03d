/**
 * Rate–distortion of the audio baselines on a folder of clips: for every file, codec and bitrate,
 * the real kbit/s (file size / duration) and the audio metrics of the decoded result.
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/audio-baselines.js [folder] [--sweep opus=6,12,24] [--sweep mp3=8,16] ...
 *        [--json out.json] [--table opus=6,12,24;mp3=16,24,32;aac=24,32,48]
 *   node dist/bench/audio-baselines.js --from out.json [--table ...]   # re-print saved results
 *
 * folder defaults to the shared audio test set (../shared/data/audio/test beside the repo);
 * without --sweep every baseline runs its whole quality list. Prints Markdown tables: means per
 * point, then per-file mel distance, STFT distance and SI-SDR for the points given by --table
 * (default: all points). Runs one encode/decode at a time (two cores).
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIO_BASELINES } from '../codecs/baselines/audio.js';
import { audioDuration, readAudio } from '../src/io/audio.js';
import { type AudioMetrics, audioMetrics, kbps } from '../src/metrics/audio.js';

type CodecName = keyof typeof AUDIO_BASELINES;

interface Row extends AudioMetrics {
  file: string;
  codec: CodecName;
  quality: number;
  kbps: number;
  enc_s: number;
  dec_s: number;
}

function parsePoints(spec: string): Map<CodecName, number[]> {
  const out = new Map<CodecName, number[]>();
  for (const part of spec.split(/[;\s]+/).filter(Boolean)) {
    const [name, list] = part.split('=');
    if (!name || !(name in AUDIO_BASELINES) || !list) throw new Error(`bad point list "${part}" (expected codec=q1,q2,...)`);
    out.set(name as CodecName, list.split(',').map(Number));
  }
  return out;
}

interface Args {
  folder: string;
  sweep: Map<CodecName, number[]>;
  table?: Map<CodecName, number[]>;
  json?: string;
  from?: string;
}

function parseArgs(argv: string[]): Args {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let folder = resolve(repoRoot, '..', 'shared', 'data', 'audio', 'test');
  const sweep = new Map<CodecName, number[]>();
  let table: Map<CodecName, number[]> | undefined;
  let json: string | undefined;
  let from: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--sweep') for (const [k, v] of parsePoints(argv[++i] ?? '')) sweep.set(k, v);
    else if (arg === '--table') table = parsePoints(argv[++i] ?? '');
    else if (arg === '--json') json = argv[++i];
    else if (arg === '--from') from = argv[++i];
    else folder = resolve(arg);
  }
  if (sweep.size === 0) for (const [name, codec] of Object.entries(AUDIO_BASELINES)) sweep.set(name as CodecName, [...codec.qualities]);
  return { folder, sweep, table, json, from };
}

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

async function measure(folder: string, sweep: Map<CodecName, number[]>): Promise<{ files: string[]; rows: Row[] }> {
  const files = (await readdir(folder)).filter((f) => /\.(wav|flac|mp3|ogg|opus|m4a|aac)$/i.test(f)).sort();
  if (files.length === 0) throw new Error(`no audio files in ${folder}`);
  const rows: Row[] = [];
  for (const file of files) {
    const ref = await readAudio(join(folder, file));
    const seconds = audioDuration(ref);
    for (const [name, qualities] of sweep) {
      const codec = AUDIO_BASELINES[name];
      for (const quality of qualities) {
        let t = performance.now();
        const bytes = await codec.encode(ref, quality);
        const enc = (performance.now() - t) / 1000;
        t = performance.now();
        const decoded = await codec.decode(bytes);
        const dec = (performance.now() - t) / 1000;
        rows.push({ file, codec: name, quality, kbps: kbps(bytes.length * 8, seconds), enc_s: enc, dec_s: dec, ...audioMetrics(ref, decoded) });
        process.stderr.write(`${file} ${name}@${quality}: ${fmt(rows.at(-1)!.kbps, 2)} kbps, mel ${fmt(rows.at(-1)!.mel_distance, 3)}\n`);
      }
    }
  }
  return { files, rows };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { table, json } = args;
  let files: string[];
  let rows: Row[];
  let sweep = args.sweep;
  if (args.from) {
    ({ files, rows } = JSON.parse(await readFile(args.from, 'utf8')) as { files: string[]; rows: Row[] });
    sweep = new Map();
    for (const r of rows) if (!sweep.get(r.codec)?.includes(r.quality)) sweep.set(r.codec, [...(sweep.get(r.codec) ?? []), r.quality]);
  } else {
    ({ files, rows } = await measure(args.folder, sweep));
    if (json) await writeFile(json, JSON.stringify({ folder: args.folder.split('/').slice(-3).join('/'), files, rows }, null, 1));
  }

  const points = [...sweep].flatMap(([name, qs]) => qs.map((q) => ({ name, q })));
  const lines: string[] = [];
  lines.push(`Means over ${files.length} files (kbps = real file size / duration):`, '');
  lines.push('| codec | target kbps | kbps | mel_distance | stft_distance | si_sdr (dB) | snr (dB) |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { name, q } of points) {
    const sel = rows.filter((r) => r.codec === name && r.quality === q);
    lines.push(
      `| ${name} | ${q} | ${fmt(mean(sel.map((r) => r.kbps)), 2)} | ${fmt(mean(sel.map((r) => r.mel_distance)), 3)} | ` +
        `${fmt(mean(sel.map((r) => r.stft_distance)), 3)} | ${fmt(mean(sel.map((r) => r.si_sdr)), 2)} | ${fmt(mean(sel.map((r) => r.snr)), 2)} |`,
    );
  }
  const shown = table ? [...table].flatMap(([name, qs]) => qs.map((q) => ({ name, q }))) : points;
  const metrics: [keyof AudioMetrics | 'kbps', string, number][] = [
    ['mel_distance', 'mel_distance', 3],
    ['stft_distance', 'stft_distance', 3],
    ['si_sdr', 'SI-SDR (dB)', 1],
    ['kbps', 'real kbps', 1],
  ];
  for (const [key, title, digits] of metrics) {
    lines.push('', `Per file: ${title}`, '');
    lines.push(`| file | ${shown.map(({ name, q }) => `${name} ${q}`).join(' | ')} |`);
    lines.push(`| --- | ${shown.map(() => '---:').join(' | ')} |`);
    for (const file of files) {
      const cells = shown.map(({ name, q }) => {
        const row = rows.find((r) => r.file === file && r.codec === name && r.quality === q);
        return row ? fmt(row[key], digits) : '';
      });
      lines.push(`| ${file.replace(/\.[^.]+$/, '')} | ${cells.join(' | ')} |`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`audio-baselines: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
