/**
 * `lcodec demo`: the bundled photograph coded by the default image model beside JPEG and
 * AVIF at about the same number of bytes, then the bundled speech beside Opus at about the
 * same bitrate; the metrics are evaluation's own, the decoded files are written to look at.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { getCodecEntry, type CodecEntry } from '../../../codecs/registry.js';
import { checkQuality } from '../../../codecs/learned/hyperprior.js';
import { DEFAULT_MODEL, DEFAULT_QUALITIES } from '../../../codecs/models.js';
import { integer } from '../../check.js';
import { UsageError } from '../../errors.js';
import { modalityEval } from '../../eval/modalities.js';
import { writeWav } from '../../io/audio.js';
import { writePng } from '../../io/image.js';
import type { MediaByModality, Modality } from '../../media.js';
import { packageRoot } from '../../paths.js';

interface Coded {
  codec: string;
  quality: number;
  bytes: number;
  metrics: Record<string, number>;
  file: string;
}

/** The qualities a codec takes, ascending: its declared range or values, else its own levels. */
async function qualitiesOf(entry: CodecEntry): Promise<number[]> {
  if (entry.qualityRange) {
    const [lo, hi] = entry.qualityRange;
    return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
  }
  return [...(entry.qualityValues ?? (await entry.create()).qualities)];
}

/**
 * The quality whose bitstream is nearest `target` bytes: a binary search over the codec's
 * qualities (its size grows with quality), then the nearer of the two around the target.
 */
async function nearestSize<M extends Modality>(entry: CodecEntry<M>, media: MediaByModality[M], target: number): Promise<{ quality: number; bytes: Uint8Array }> {
  const codec = await entry.create();
  const qs = await qualitiesOf(entry);
  const sizes = new Map<number, Uint8Array>();
  const at = async (k: number) => {
    if (!sizes.has(k)) sizes.set(k, await codec.encode(media, qs[k]!));
    return sizes.get(k)!;
  };
  let lo = 0;
  let hi = qs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((await at(mid)).length < target) lo = mid + 1;
    else hi = mid;
  }
  // lo: the lowest quality at or above the target (or the highest quality); lo − 1 is below it.
  let best = lo;
  if (lo > 0 && Math.abs((await at(lo - 1)).length - target) < Math.abs((await at(lo)).length - target)) best = lo - 1;
  return { quality: qs[best]!, bytes: await at(best) };
}

/** Codes `media` with `learned` at `quality`, then each baseline at about the same size. */
async function compare<M extends Modality>(
  modality: M,
  file: string,
  learned: string,
  quality: number,
  baselines: string[],
  outDir: string,
): Promise<{ media: MediaByModality[M]; rows: Coded[] }> {
  const table = modalityEval(modality);
  const media = await table.load(file);
  const rows: Coded[] = [];
  const stem = basename(file, extname(file));
  const write = async (codecName: string, decoded: MediaByModality[M]): Promise<string> => {
    const out = join(outDir, `${stem}.${codecName}${modality === 'image' ? '.png' : '.wav'}`);
    if (modality === 'image') await writePng(out, decoded as MediaByModality['image']);
    else await writeWav(out, decoded as MediaByModality['audio']);
    return out;
  };
  const measure = async (codecName: string, q: number, bytes: Uint8Array) => {
    const codec = await getCodecEntry(codecName, modality).create();
    const decoded = (await codec.decode(bytes)) as MediaByModality[M];
    const metrics = await table.measure(media, decoded, bytes.length);
    rows.push({ codec: codecName, quality: q, bytes: bytes.length, metrics, file: await write(codecName, decoded) });
  };
  const entry = getCodecEntry(learned, modality) as CodecEntry<M>;
  const codec = await entry.create();
  checkQuality(learned, quality, codec.qualities, UsageError);
  const lc = await codec.encode(media, quality);
  await measure(learned, quality, lc);
  for (const name of baselines) {
    const { quality: q, bytes } = await nearestSize(getCodecEntry(name, modality) as CodecEntry<M>, media, lc.length);
    await measure(name, q, bytes);
  }
  return { media, rows };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the bundled photo and speech coded by the learned models beside JPEG, AVIF and Opus at about the same size')
    .option('-m, --model <name>', 'image model', DEFAULT_MODEL.image)
    .option('-q, --quality <n>', 'image model quality index', String(DEFAULT_QUALITIES.image))
    .option('--out <dir>', 'folder for the decoded files', 'lcodec-demo')
    .action(async (o: { model: string; quality: string; out: string }) => {
      const quality = integer('-q', o.quality);
      try {
        mkdirSync(o.out, { recursive: true });
      } catch (err) {
        throw new UsageError(`cannot make the folder ${o.out}: ${(err as Error).message}`);
      }
      const t0 = performance.now();
      const show = (file: string) => relative(process.cwd(), file) || file;
      const say = (s: string) => process.stdout.write(s);

      const photo = join(packageRoot(), 'samples', 'photo.png');
      const img = await compare('image', photo, o.model, quality, ['jpeg', 'avif'], o.out);
      const { width, height } = img.media;
      say(`\n${relative(packageRoot(), photo)} (${width}x${height} photograph): ${o.model} beside jpeg and avif at about the same size\n`);
      say(table(
        ['codec', 'quality', 'bytes', 'bpp', 'PSNR dB', 'MS-SSIM'],
        img.rows.map((r) => [r.codec, String(r.quality), String(r.bytes), r.metrics.bpp!.toFixed(4), r.metrics.psnr!.toFixed(2), r.metrics.ms_ssim!.toFixed(4)]),
      ));
      say(`  decoded: ${img.rows.map((r) => show(r.file)).join(', ')}\n`);

      const speech = join(packageRoot(), 'samples', 'speech.flac');
      const aud = await compare('audio', speech, DEFAULT_MODEL.audio, DEFAULT_QUALITIES.audio, ['opus'], o.out);
      const seconds = aud.media.channels[0]!.length / aud.media.sampleRate;
      say(`\n${relative(packageRoot(), speech)} (${seconds.toFixed(1)} s of speech, ${aud.media.sampleRate} Hz): ${DEFAULT_MODEL.audio} beside opus at about the same bitrate\n`);
      say(table(
        ['codec', 'quality', 'bytes', 'kbit/s', 'mel distance', 'SI-SDR dB'],
        aud.rows.map((r) => [r.codec, String(r.quality), String(r.bytes), r.metrics.kbps!.toFixed(2), r.metrics.mel_distance!.toFixed(3), r.metrics.si_sdr!.toFixed(2)]),
      ));
      say(`  decoded: ${aud.rows.map((r) => show(r.file)).join(', ')}\n`);
      say(`  (mel distance: lower is better; SI-SDR, a waveform measure: higher is better.)\n`);
      say(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s; quality is the codec's own knob (jpeg/avif 1..100, opus kbit/s)\n`);
    });
}
