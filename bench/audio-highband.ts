/**
 * What the high band (codecs/audio/highband.ts) buys: for every clip above the model's rate, the
 * learned codec's file decoded with and without its high-band sections, the mel distance of both
 * and the high band's share of the rate.
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/audio-highband.js [--model audio-hyperprior] [--quality 0] <folder>
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LearnedAudioCodec } from '../codecs/audio/index.js';
import { readContainer, writeContainer } from '../src/container/index.js';
import { readAudio } from '../src/io/audio.js';
import { melDistance } from '../src/metrics/audio.js';
import { loadModel } from '../codecs/models.js';

const { values, positionals } = parseArgs({
  options: { model: { type: 'string', default: 'audio-hyperprior' }, quality: { type: 'string', default: '0' } },
  allowPositionals: true,
});
const codec = loadModel(values.model!, { threads: 1 });
if (!(codec instanceof LearnedAudioCodec)) throw new Error(`${values.model} is not an audio model`);
const q = Number(values.quality);
const rows: { mel: number; without: number; kbps: number; hfKbps: number }[] = [];
console.log('| clip | rate (Hz) | kbit/s (high band) | mel distance without → with the high band |');
console.log('| --- | ---: | ---: | ---: |');
for (const dir of positionals) {
  for (const f of (await readdir(dir)).sort()) {
    const audio = await readAudio(join(dir, f));
    const bytes = await codec.encode(audio, q);
    const c = readContainer(bytes);
    if (c.shape[5] !== 1) continue;
    const hf = c.sections.slice(-audio.channels.length);
    const plain = writeContainer({ ...c, shape: c.shape.slice(0, 5), sections: c.sections.slice(0, -hf.length) });
    const seconds = audio.channels[0]!.length / audio.sampleRate;
    const row = {
      mel: melDistance(audio, await codec.decode(bytes)),
      without: melDistance(audio, await codec.decode(plain)),
      kbps: (bytes.length * 8) / seconds / 1000,
      hfKbps: (hf.reduce((s, x) => s + x.length, 0) * 8) / seconds / 1000,
    };
    rows.push(row);
    console.log(`| ${f} | ${audio.sampleRate} | ${row.kbps.toFixed(2)} (${row.hfKbps.toFixed(2)}) | ${row.without.toFixed(3)} → ${row.mel.toFixed(3)} |`);
  }
}
const mean = (k: keyof (typeof rows)[0]): string => (rows.reduce((s, r) => s + r[k], 0) / rows.length).toFixed(3);
console.log(`| mean of ${rows.length} | | ${mean('kbps')} (${mean('hfKbps')}) | ${mean('without')} → ${mean('mel')} |`);
