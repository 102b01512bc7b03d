/**
 * Video codec speed in frames per second: the learned video codec (P-frames and all-intra)
 * beside x264 and x265 (low delay, one thread), on the same clip in the same run. Each codec
 * encodes the clip once to warm up, then is timed over --runs passes; frames are in memory.
 *
 *   node dist/bench/video-model.js [clip] [--models video-sem,video-mc] [--quality 4] [--runs 2] [--threads 1]
 * Default clip: foreman from ../shared/data/video/test.
 */
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getCodec } from '../codecs/registry.js';
import type { Video } from '../src/media.js';
import type { Codec } from '../codecs/types.js';
import { collectVideo, readVideo } from '../src/io/video.js';
import { loadModel } from '../codecs/models.js';
import { sharedDataDir } from '../src/paths.js';
import { benchArgs } from './args.js';

const { opt, positional: [clipArg] } = benchArgs();
const num = (name: string, def: number) => Number(opt(name) ?? def);
const data = sharedDataDir();
const clip = clipArg ?? (data ? join(data, 'video', 'test', 'foreman_cif_320x256.mkv') : undefined);
if (!clip) {
  process.stderr.write('usage: video-model <clip> (no shared data found for the default clip)\n');
  process.exit(1);
}
const quality = num('quality', 4);
const runs = num('runs', 2);
const threads = num('threads', 1);

const video: Video = await collectVideo(await readVideo(clip));
const frames = (video.frames as unknown[]).length;

/**
 * Times a codec. Beside wall-clock frames/s, the frames per second of this process's CPU time
 * (`*_cpu_fps`): on a loaded machine it still tells what one core does. Only for codecs that run
 * in this process (the learned ones); x264 and x265 run in ffmpeg (null).
 */
async function measure(name: string, codec: Codec<'video'>, q: number, inProcess = true) {
  const bytes = await codec.encode(video, q); // warm-up
  let enc = 0;
  let dec = 0;
  let encCpu = 0;
  let decCpu = 0;
  const cpu = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    let c = process.cpuUsage();
    await codec.encode(video, q);
    enc += performance.now() - t;
    encCpu += cpu(c);
    t = performance.now();
    c = process.cpuUsage();
    await collectVideo(await codec.decode(bytes));
    dec += performance.now() - t;
    decCpu += cpu(c);
  }
  const fps = (ms: number) => (frames * runs) / (ms / 1000);
  return {
    name,
    quality: q,
    bytes: bytes.length,
    bpp: (bytes.length * 8) / (video.width * video.height * frames),
    encode_fps: fps(enc),
    decode_fps: fps(dec),
    encode_cpu_fps: inProcess ? fps(encCpu) : null,
    decode_cpu_fps: inProcess ? fps(decCpu) : null,
  };
}

// --models video-mc,video-sem: the learned models to time (each also all-intra), beside x264 and x265.
const models = (opt('models') ?? 'video-sem').split(',');
const rows = [];
for (const m of models) {
  rows.push(await measure(m, loadModel(m, { threads }) as Codec<'video'>, quality));
  rows.push(await measure(`${m}-intra`, loadModel(m, { threads }, { intraPeriod: 1 }) as Codec<'video'>, quality));
}
const x264 = await measure('x264', await getCodec('x264', 'video'), 51 - 28, false);
rows.push(x264, await measure('x265', await getCodec('x265', 'video'), 51 - 28, false));
const result = { clip: relative(process.cwd(), clip), width: video.width, height: video.height, frames, runs, onnx_threads: threads, rows };
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
for (const r of rows) {
  process.stderr.write(
    `${r.name.padEnd(16)} q${r.quality}  ${r.bpp.toFixed(4)} bpp  encode ${r.encode_fps.toFixed(2)} fps (${(r.encode_fps / x264.encode_fps).toFixed(3)}× x264)  ` +
      `decode ${r.decode_fps.toFixed(2)} fps (${(r.decode_fps / x264.decode_fps).toFixed(3)}× x264)` +
      (r.decode_cpu_fps === null ? '\n' : `  per CPU second: encode ${r.encode_cpu_fps!.toFixed(2)}, decode ${r.decode_cpu_fps.toFixed(2)} fps\n`),
  );
}
