/**
 * A learned audio model on a list of files: for every file and quality, the real kbit/s (the
 * .lc file's size / duration), the audio metrics of the decoded result and the encode and
 * decode speed as multiples of real time.
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/audio-model.js [--model audio-hyperprior] [--threads 1] [--seconds 6]
 *        [--json out.json] [--card "what these files are"] <files or folders...>
 *
 * --seconds cuts every clip to its first N seconds (0 = whole clip). Prints one Markdown row per
 * quality with the means over the files. The session of each graph is created before timing.
 * --card writes the means into the model card as `runtime_results` (export_audio.py drops them
 * when it writes new weights).
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import type { Audio } from '../src/media.js';
import { audioDuration, readAudio } from '../src/io/audio.js';
import { audioMetrics, kbps } from '../src/metrics/audio.js';
import { loadModel } from '../codecs/models.js';
import { modelsDir } from '../src/paths.js';

interface Row {
  file: string;
  quality: number;
  kbps: number;
  mel_distance: number;
  stft_distance: number;
  si_sdr: number;
  enc_x_realtime: number;
  dec_x_realtime: number;
}

async function listFiles(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of inputs) {
    if ((await stat(p)).isDirectory()) {
      for (const f of (await readdir(p)).sort()) if (/\.(wav|flac|mp3|ogg|opus|m4a)$/i.test(f)) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

function cut(a: Audio, seconds: number): Audio {
  if (!(seconds > 0)) return a;
  const n = Math.min(a.channels[0]!.length, Math.round(seconds * a.sampleRate));
  return { sampleRate: a.sampleRate, channels: a.channels.map((c) => c.slice(0, n)) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let model = 'audio-hyperprior';
  let threads = 1;
  let seconds = 0;
  let json: string | undefined;
  let card: string | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--model') model = argv[++i]!;
    else if (a === '--threads') threads = Number(argv[++i]);
    else if (a === '--seconds') seconds = Number(argv[++i]);
    else if (a === '--json') json = argv[++i];
    else if (a === '--card') card = argv[++i];
    else inputs.push(a);
  }
  if (inputs.length === 0) throw new Error('give files or folders');
  const codec = loadModel(model, { threads });
  if (!(codec instanceof LearnedAudioCodec)) throw new Error(`${model} is not a learned audio model`);
  // Warm-up: creates the ONNX sessions outside the timings.
  await codec.decode(await codec.encode({ sampleRate: 24000, channels: [new Float32Array(24000)] }, 0));
  const rows: Row[] = [];
  for (const file of await listFiles(inputs)) {
    const audio = cut(await readAudio(file), seconds);
    const dur = audioDuration(audio);
    for (const q of codec.qualities) {
      let t = performance.now();
      const lc = await codec.encode(audio, q);
      const enc = (performance.now() - t) / 1000;
      t = performance.now();
      const back = await codec.decode(lc);
      const dec = (performance.now() - t) / 1000;
      const m = audioMetrics(audio, back);
      rows.push({ file, quality: q, kbps: kbps(lc.length * 8, dur), mel_distance: m.mel_distance, stft_distance: m.stft_distance,
        si_sdr: m.si_sdr, enc_x_realtime: dur / enc, dec_x_realtime: dur / dec });
      process.stderr.write(`${file} q${q}: ${rows.at(-1)!.kbps.toFixed(2)} kbps mel ${m.mel_distance.toFixed(3)}\n`);
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const points = codec.qualities.map((q) => {
    const r = rows.filter((x) => x.quality === q);
    const m = (k: keyof Row) => Number(mean(r.map((x) => x[k] as number)).toFixed(3));
    return { quality: q, kbps: m('kbps'), mel_distance: m('mel_distance'), stft_distance: m('stft_distance'), si_sdr: m('si_sdr'),
      enc_x_realtime: Number(mean(r.map((x) => x.enc_x_realtime)).toFixed(1)), dec_x_realtime: Number(mean(r.map((x) => x.dec_x_realtime)).toFixed(1)) };
  });
  if (card) {
    const path = join(modelsDir(), model, 'card.json');
    const c = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    c.runtime_results = {
      what: card,
      files: [...new Set(rows.map((r) => basename(r.file)))],
      seconds_per_file: seconds || 'whole',
      how: `lcodec runtime (onnxruntime-node, ${threads} thread${threads === 1 ? '' : 's'}, ${cpus().length}-core machine): ` +
        'kbps = .lc file size / duration, metrics at each file\'s own rate, speed = duration / wall time (means over files)',
      points,
    };
    await writeFile(path, JSON.stringify(c, null, 2) + '\n');
  }
  console.log(`| ${model} quality | kbps | mel_distance | stft_distance | si_sdr (dB) | encode × real time | decode × real time |`);
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const q of codec.qualities) {
    const r = rows.filter((x) => x.quality === q);
    console.log(`| ${q} | ${mean(r.map((x) => x.kbps)).toFixed(2)} | ${mean(r.map((x) => x.mel_distance)).toFixed(3)} | ` +
      `${mean(r.map((x) => x.stft_distance)).toFixed(3)} | ${mean(r.map((x) => x.si_sdr)).toFixed(2)} | ` +
      `${mean(r.map((x) => x.enc_x_realtime)).toFixed(1)} | ${mean(r.map((x) => x.dec_x_realtime)).toFixed(1)} |`);
  }
  if (json) await writeFile(json, JSON.stringify({ model, threads, seconds, rows }, null, 2) + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
