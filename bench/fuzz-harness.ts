/**
 * Fuzzing `.lc` decoding: damaged files must end in a decoded result or a clean error
 * (InputError and its subclasses, EntropyDecodeError: exit code 2 with one line), never a
 * crash, a hang or an unbounded allocation.
 *
 * The harness has two halves:
 * - mutations work on the container (docs/FORMAT.md) and know nothing of any modality:
 *   bit flips, truncations, random bytes, changed header fields, swapped, duplicated and
 *   removed sections, huge declared sizes; most recompute the CRC so that the damage gets
 *   past the checksum and reaches the parser and the decoder;
 * - a FuzzTarget per modality makes the valid files to start from and decodes.
 *
 * Cases are a pure function of (seed, case number), so any case can be replayed.
 * Used in-process by test/fuzz.test.ts (a fast subset) and by bench/fuzz.ts (the full run,
 * in a worker with a watchdog).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { LearnedAudioCodec } from '../codecs/audio/index.js';
import type { LearnedImageCodec } from '../codecs/image/index.js';
import type { LearnedVideoCodec } from '../codecs/video/index.js';
import type { MotionCompensatedVideoCodec } from '../codecs/video/mc.js';
import type { Audio, Modality, Picture, Video, VideoFrame } from '../src/media.js';
import { decode, decodeAudioToWav, inspect, type FileInfo } from '../src/api.js';
import { crc32 } from '../src/container/crc32.js';
import { readContainer } from '../src/container/index.js';
import { InputError } from '../src/errors.js';
import { inspectWav, resample } from '../src/io/audio.js';
import { writeVideo } from '../src/io/video.js';
import { formatY4mHeader, Y4M_FRAME_LINE } from '../src/io/y4m.js';
import { yuvFrameBytes } from '../src/io/yuv.js';
import { loadModel } from '../codecs/models.js';
import { packageRoot } from '../src/paths.js';

/** Per-case time limit: anything slower counts as a hang. */
export const CASE_LIMIT_MS = 5000;

// ---------------------------------------------------------------------------------------
// Targets

/**
 * What the harness needs of a modality: valid files to damage, and a decoder. Adding a
 * modality is one object (see IMAGE_TARGET, AUDIO_TARGET) and one line in FUZZ_TARGETS;
 * bench/fuzz.ts (`--modality`) and test/fuzz.test.ts pick it up from there.
 */
export interface FuzzTarget {
  modality: Modality;
  /** The model the sample files are made with (test/fuzz.test.ts skips a target whose model is not installed). */
  model: string;
  /**
   * Names of the header's shape values, in order (docs/FORMAT.md): the header-field
   * mutation changes one of them by name.
   */
  shapeFields: readonly string[];
  /** Valid `.lc` files of this modality, small enough that decoding one takes well under a second. */
  samples(): Promise<{ name: string; bytes: Uint8Array }[]>;
  /**
   * Decodes like the CLI does (header first, then the media) and checks the result against
   * the header; resolves with a summary.
   */
  decode(bytes: Uint8Array): Promise<string>;
  /** Indexes of the shape values that scale the decoded size (the `huge` mutation); default [0, 1]. */
  sizeFields?: readonly number[];
  /**
   * Optional: a huge declared size with as many short sections as the header then needs, so
   * that only the decoder's size guards (not the section count) stand between it and a huge
   * allocation. Edits `f` in place and describes the edit.
   */
  bomb?(f: RawFile, r: Rng): string;
  /** Cases of the fast in-process subset (test/fuzz.test.ts); default 150. */
  fastCases?: number;
}

async function photo(width: number, height: number, left: number, top: number): Promise<Picture> {
  const { data, info } = await sharp(path.join(packageRoot(), 'samples', 'landscape.png'))
    .extract({ left, top, width, height })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** A soft disc of opacity: a realistic alpha plane. */
function disc(w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) a[y * w + x] = Math.max(0, Math.min(255, Math.round((h / 2.5 - Math.hypot(x - w / 2, y - h / 2)) * 40)));
  }
  return a;
}

/** `sections` copies of short prefixes (8..23 bytes) of the file's own sections. */
function stubSections(f: RawFile, r: Rng, sections: number): void {
  f.sections = Array.from({ length: sections }, (_, k) => f.sections[k % f.sections.length]!.subarray(0, 8 + int(r, 16)));
  f.sectionCount = f.sections.length;
  f.sectionLengths = f.sections.map((s) => s.length);
}

export const IMAGE_TARGET: FuzzTarget = {
  modality: 'image',
  model: 'hyperprior-mse',
  shapeFields: ['width', 'height', 'tile', 'channels'],
  fastCases: 300,
  async samples() {
    const codec = loadModel(this.model) as LearnedImageCodec;
    const rgb = await photo(160, 96, 150, 40); // 3 × 2 tiles of 64: sections to swap
    const rgba: Picture = { ...(await photo(96, 64, 20, 250)), alpha: disc(96, 64) };
    const gray: Picture = { ...(await photo(72, 56, 300, 200)), grayscale: true };
    const g = gray.data;
    for (let i = 0; i < g.length; i += 3) g[i] = g[i + 1] = g[i + 2] = Math.round((g[i]! + g[i + 1]! + g[i + 2]!) / 3);
    return [
      { name: 'rgb-6-tiles', bytes: await codec.encode(rgb, 2, { tile: 64 }) },
      { name: 'rgba-2-tiles', bytes: await codec.encode(rgba, 5, { tile: 64 }) },
      { name: 'gray-1-tile', bytes: await codec.encode(gray, 0) },
    ];
  },
  async decode(bytes) {
    const info = inspect(bytes);
    const media = await decode(bytes);
    if (media.modality !== 'image') throw new Error(`decoded ${media.modality} from an image file`);
    const img = media.image;
    if (img.width !== info.width || img.height !== info.height || img.data.length !== img.width * img.height * 3) {
      throw new Error(`decoded image ${img.width}x${img.height} does not match its header ${info.width}x${info.height}`);
    }
    return `${img.width}x${img.height}${img.alpha ? '+alpha' : ''}${img.grayscale ? ' gray' : ''}`;
  },
  bomb(f, r) {
    // As many tiny sections as a big declared image needs: the size guards' case.
    const tiles = pick(r, [64, 1024, 16384]);
    const per = (loadModel(this.model) as LearnedImageCodec).model.sectionsPerTile;
    f.shape = [64 * tiles, 64, 64, 3];
    stubSections(f, r, per * tiles);
    return `${f.shape[0]}x64 declared with ${per * tiles} short sections`;
  },
};

/**
 * The channel-wise image model: the same files and checks, with a z stream and one y stream
 * per slice in every tile, decoded slice after slice. Fewer fast cases: a tile runs 7 graphs.
 */
export const CHANNEL_IMAGE_TARGET: FuzzTarget = { ...IMAGE_TARGET, model: 'channel-mse', fastCases: 100 };

/** A deterministic test signal: two tones and low-passed noise, different per channel. */
function testSignal(sampleRate: number, channels: number, seconds: number, seed: number): Audio {
  const n = Math.round(sampleRate * seconds);
  let s = (seed * 2654435761) >>> 0 || 1;
  return {
    sampleRate,
    channels: Array.from({ length: channels }, (_, c) => {
      const x = new Float32Array(n);
      let lp = 0;
      const f1 = 110 * (c + 2), f2 = 1375 + 250 * c;
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        lp = 0.8 * lp + 0.2 * ((s >>> 0) / 2 ** 31 - 1);
        const t = i / sampleRate;
        x[i] = 0.3 * Math.sin(2 * Math.PI * f1 * t) + 0.15 * Math.sin(2 * Math.PI * f2 * t) * (i < n / 2 ? 1 : 0.3) + 0.2 * lp;
      }
      return x;
    }),
  };
}

/**
 * decodeAudioToWav into a fresh directory: the WAV must match the header, and nothing else
 * (no temporary file) may be left there, whether the decode succeeds or fails.
 */
async function decodeAudioToWavChecked(bytes: Uint8Array, info: FileInfo): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lcodec-fuzz-audio-'));
  const out = path.join(dir, 'out.wav');
  let failure: unknown;
  let summary = '';
  try {
    await decodeAudioToWav(bytes, out);
    const wav = inspectWav(new Uint8Array(await readFile(out)), out);
    if (wav.sampleRate !== info.sampleRate || wav.channels !== info.channels || wav.frames !== info.samples) {
      throw new Error(`WAV ${wav.channels} ch × ${wav.frames} at ${wav.sampleRate} Hz does not match its header ${info.channels} ch × ${info.samples} at ${info.sampleRate} Hz`);
    }
    summary = `${wav.channels} ch × ${wav.frames} samples at ${wav.sampleRate} Hz (WAV)`;
  } catch (err) {
    failure = err;
  }
  const left = (await readdir(dir)).filter((f) => f !== 'out.wav' || failure !== undefined);
  await rm(dir, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`decodeAudioToWav left ${left.join(', ')} behind${failure ? ` after ${String(failure)}` : ''}`);
  if (failure !== undefined) throw failure;
  return summary;
}

/** The audio models' rate, for the bomb below (checked against the model in samples()). */
const AUDIO_MODEL_RATE = 24000;

/**
 * The target of a learned audio model with latent frames of `hop` samples (checked against the
 * model in samples()) and `extra` frames beyond the hops a signal spans: audio-hyperprior (hop
 * 320, none) and audio-mdct (hop 480, one: its frames overlap by half).
 */
function audioTarget(model: string, hop: number, extra: number): FuzzTarget {
  return {
    modality: 'audio',
    model,
    shapeFields: ['sampleRate', 'channels', 'samples', 'chunkFrames', 'channelCoding', 'highband'],
    sizeFields: [2, 3],
    fastCases: 300,
    async samples() {
      const codec = loadModel(this.model) as LearnedAudioCodec;
      const m = codec.model;
      if (m.sampleRate !== AUDIO_MODEL_RATE || m.hop !== hop) throw new Error(`fuzz-harness: ${model} changed its rate or hop; update its target`);
      /** Codes `audio` at `quality`, `chunkFrames` latent frames per chunk (more chunks: more sections to swap). */
      const code = async (audio: Audio, quality: number, chunkFrames?: number): Promise<Uint8Array> => {
        const pcm = audio.sampleRate === m.sampleRate ? audio : await resample(audio, m.sampleRate);
        const n = audio.channels[0]!.length;
        async function* once(): AsyncGenerator<Audio> {
          yield pcm;
        }
        return codec.encodeStream(once(), { sampleRate: audio.sampleRate, channels: audio.channels.length, samples: () => n }, quality, { chunkFrames });
      };
      return [
        { name: 'mono-24k-q0', bytes: await code(testSignal(24000, 1, 0.3, 1), 0) },
        { name: 'stereo-44k-q1', bytes: await code(testSignal(44100, 2, 0.25, 2), 1) },
        { name: 'mono-8k-q2', bytes: await code(testSignal(8000, 1, 0.4, 3), 2) },
        { name: 'stereo-24k-q2-2-chunks', bytes: await code(testSignal(24000, 2, 0.5, 4), 2, 20) },
        { name: 'mono-16k-q1-3-chunks', bytes: await code(testSignal(16000, 1, 0.3, 5), 1, 8) },
        { name: '3ch-48k-q0', bytes: await code(testSignal(48000, 3, 0.2, 6), 0) },
      ];
    },
    async decode(bytes) {
      const info = inspect(bytes);
      // Files of odd length take the path of `lcodec decode` (chunk by chunk into a WAV file),
      // the others the library's in-memory decode.
      if (bytes.length % 2 === 1) return decodeAudioToWavChecked(bytes, info);
      const media = await decode(bytes);
      if (media.modality !== 'audio') throw new Error(`decoded ${media.modality} from an audio file`);
      const a = media.audio;
      if (a.sampleRate !== info.sampleRate || a.channels.length !== info.channels || a.channels.some((c) => c.length !== info.samples)) {
        throw new Error(
          `decoded audio ${a.channels.length} ch × ${a.channels[0]?.length} samples at ${a.sampleRate} Hz does not match its header ` +
            `${info.channels} ch × ${info.samples} at ${info.sampleRate} Hz`,
        );
      }
      return `${a.channels.length} ch × ${info.samples} samples at ${a.sampleRate} Hz`;
    },
    bomb(f, r) {
      // A long declared signal (up to ~4 days) whose every chunk is a stub: the decoder must
      // refuse it before allocating the output or running the model on a huge chunk.
      const chunks = pick(r, [64, 1024, 16384]);
      const chunkFrames = pick(r, [600, 4096, 65536]);
      const rate = f.shape[0] ?? AUDIO_MODEL_RATE;
      const channels = f.shape[1] ?? 1;
      const n = (chunks * chunkFrames - extra) * hop - hop / 2; // model-rate samples: exactly `chunks` chunks
      f.shape[2] = Math.round((n * rate) / AUDIO_MODEL_RATE);
      f.shape[3] = chunkFrames;
      stubSections(f, r, Math.min(2 * chunks * channels, 1 << 16));
      return `${f.shape[2]} samples at ${rate} Hz in ${chunks} chunks of ${chunkFrames} frames, ${f.sections.length} short sections`;
    },
  };
}

export const AUDIO_TARGET = audioTarget('audio-hyperprior', 320, 0);
export const AUDIO_MDCT_TARGET = audioTarget('audio-mdct', 480, 1);

/** The video model the video target codes its samples with (not necessarily in models/ yet: LCODEC_MODELS). */
export const VIDEO_MODEL = 'video-sem';

/**
 * `count` frames of w × h: a window over the sample photograph moving (dx, dy) pixels per
 * frame, a camera-like motion the P-frames have to follow.
 */
async function pan(w: number, h: number, count: number, left: number, top: number, dx: number, dy: number): Promise<Video & { frames: VideoFrame[] }> {
  const frames: VideoFrame[] = [];
  for (let t = 0; t < count; t++) frames.push(await photo(w, h, left + t * dx, top + t * dy));
  return { width: w, height: h, fps: [25, 1], frameCount: count, frames };
}

/**
 * What `lcodec decode clip.lc -o out.y4m` (or `out.mp4`) does — decode, then writeVideo — into
 * a fresh directory: the file must hold exactly the frames the header declares (Y4M: to the
 * byte), and nothing else (no temporary file) may be left there, whether the decode succeeds
 * or fails.
 */
async function decodeVideoToFileChecked(bytes: Uint8Array, info: FileInfo, ext: '.y4m' | '.mp4'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lcodec-fuzz-video-'));
  const name = `out${ext}`;
  const out = path.join(dir, name);
  let failure: unknown;
  let summary = '';
  try {
    const media = await decode(bytes);
    if (media.modality !== 'video') throw new Error(`decoded ${media.modality} from a video file`);
    const { width, height, fps } = media.video;
    const { frames } = await writeVideo(out, media.video);
    const size = (await readFile(out)).length;
    const expected = ext === '.y4m' ? formatY4mHeader({ width, height, fps, chroma: '420' }).length + info.frames! * (Y4M_FRAME_LINE.length + yuvFrameBytes(width, height, '420')) : size;
    if (width !== info.width || height !== info.height || frames !== info.frames || size !== expected || size === 0) {
      throw new Error(`${ext} of ${frames} frames of ${width}x${height} (${size} bytes, ${expected} expected) does not match its header: ${info.frames} frames of ${info.width}x${info.height}`);
    }
    summary = `${width}x${height}, ${frames} frames (${ext.slice(1).toUpperCase()})`;
  } catch (err) {
    failure = err;
  }
  const left = (await readdir(dir)).filter((f) => f !== name || failure !== undefined);
  await rm(dir, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`decode to ${ext} left ${left.join(', ')} behind${failure ? ` after ${String(failure)}` : ''}`);
  if (failure !== undefined) throw failure;
  return summary;
}

export const VIDEO_TARGET: FuzzTarget = {
  modality: 'video',
  model: VIDEO_MODEL,
  shapeFields: ['width', 'height', 'fps_num', 'fps_den', 'frames', 'intra_period', 'tile'],
  sizeFields: [0, 1, 4],
  async samples() {
    const codec = (intraPeriod: number, tile?: number) => loadModel(this.model, {}, { intraPeriod, tile }) as LearnedVideoCodec;
    return [
      // 2 tiles of 64 per frame: P-frames with several tiles, sections to swap within a frame.
      { name: '128x64-3f-p2-q2-2-tiles', bytes: await codec(2, 64).encode(await pan(128, 64, 3, 40, 200, 3, 1), 2) },
      { name: '64x64-2f-p1-q0', bytes: await codec(1).encode(await pan(64, 64, 2, 300, 60, 2, 0), 0) },
      { name: '64x64-5f-p4-q5', bytes: await codec(4).encode(await pan(64, 64, 5, 120, 150, 1, 2), 5) },
      { name: '65x33-4f-p2-q3', bytes: await codec(2).encode(await pan(65, 33, 4, 380, 300, 2, 1), 3) },
      { name: '128x64-4f-p4-q7', bytes: await codec(4).encode(await pan(128, 64, 4, 200, 20, 4, 0), 7) },
    ];
  },
  async decode(bytes) {
    const info = inspect(bytes);
    // Half the files (by the last byte, which is the CRC's, or what a mutation left there)
    // take the path of `lcodec decode`: frame by frame into a Y4M file, one in eight of those
    // into an MP4 through ffmpeg; the others the library's decode, iterating every frame.
    const route = bytes[bytes.length - 1]!;
    if (route % 2 === 1) return decodeVideoToFileChecked(bytes, info, route % 16 === 1 ? '.mp4' : '.y4m');
    const media = await decode(bytes);
    if (media.modality !== 'video') throw new Error(`decoded ${media.modality} from a video file`);
    const v = media.video;
    const [, , num, den] = readContainer(bytes).shape;
    if (v.width !== info.width || v.height !== info.height || v.fps[0] !== num || v.fps[1] !== den || v.frameCount !== info.frames) {
      throw new Error(`decoded video ${v.width}x${v.height} at ${v.fps.join('/')} fps, ${v.frameCount} frames does not match its header`);
    }
    let n = 0;
    for await (const frame of v.frames) {
      if (frame.width !== v.width || frame.height !== v.height || frame.data.length !== v.width * v.height * 3) {
        throw new Error(`frame ${n} is ${frame.width}x${frame.height} (${frame.data.length} bytes), not ${v.width}x${v.height} RGB`);
      }
      n++;
    }
    if (n !== info.frames) throw new Error(`decoded ${n} frames, the header says ${info.frames}`);
    return `${v.width}x${v.height}, ${n} frames`;
  },
  bomb(f, r) {
    // A huge declared video of stub sections: many frames of one 64-pixel tile, or one frame
    // of many tiles. Only the decoder's checks stand between it and a long decode or a huge
    // allocation.
    const units = pick(r, [64, 1024, 16384, 32768]);
    const frames = r() < 0.5;
    f.shape = frames ? [64, 64, 25, 1, units, f.shape[5] ?? 1, 64] : [64 * units, 64, 25, 1, 1, f.shape[5] ?? 1, 64];
    stubSections(f, r, 2 * units);
    return frames ? `${units} frames of 64x64 declared with ${2 * units} short sections` : `one ${64 * units}x64 frame declared with ${2 * units} short sections`;
  },
};

/** The motion-compensated video model: its files differ in shape (10 values) and sections (a motion stream per P-frame). */
export const VIDEO_MC_TARGET: FuzzTarget = {
  modality: 'video',
  model: 'video-mc',
  shapeFields: ['width', 'height', 'fps_num', 'fps_den', 'frames', 'intra_period', 'tile', 'intra_quality', 'residual_quality', 'residual_scale4'],
  sizeFields: [0, 1, 4],
  async samples() {
    const codec = (intraPeriod: number, tile?: number) => loadModel(this.model, {}, { intraPeriod, tile }) as MotionCompensatedVideoCodec;
    return [
      { name: '128x64-3f-p2-q2-2-tiles', bytes: await codec(2, 64).encode(await pan(128, 64, 3, 40, 200, 3, 1), 2) },
      { name: '64x64-5f-p4-q5', bytes: await codec(4).encode(await pan(64, 64, 5, 120, 150, 1, 2), 5) },
      { name: '65x33-4f-p3-q9', bytes: await codec(3).encode(await pan(65, 33, 4, 380, 300, 2, 1), 9) },
      { name: '96x48-4f-p4-q0-still', bytes: await codec(4).encode(await pan(96, 48, 4, 200, 20, 0, 0), 0) },
    ];
  },
  decode: (bytes) => VIDEO_TARGET.decode(bytes),
  bomb(f, r) {
    // Many P-frames of one 64-pixel tile (3 sections each), or one intra frame of many tiles.
    const units = pick(r, [64, 1024, 16384]);
    const frames = r() < 0.5;
    const tail = f.shape.slice(7, 10);
    f.shape = frames ? [64, 64, 25, 1, units, 65535, 64, ...tail] : [64 * units, 64, 25, 1, 1, 1, 64, ...tail];
    stubSections(f, r, frames ? 2 + 3 * (units - 1) : 2 * units);
    return frames ? `${units} frames of 64x64 declared with ${f.sections.length} short sections` : `one ${64 * units}x64 frame declared with ${2 * units} short sections`;
  },
};

/** Fuzz targets by name (a modality, or a modality's other model): `bench/fuzz.ts --modality` and test/fuzz.test.ts run each. */
export const FUZZ_TARGETS: Readonly<Record<string, FuzzTarget>> = {
  image: IMAGE_TARGET,
  'image-channel': CHANNEL_IMAGE_TARGET,
  audio: AUDIO_TARGET,
  'audio-mdct': AUDIO_MDCT_TARGET,
  video: VIDEO_TARGET,
  'video-mc': VIDEO_MC_TARGET,
};

// ---------------------------------------------------------------------------------------
// A raw view of the container: every field as read, re-serializable with any values.

export interface RawFile {
  magic: number[];
  version: number;
  modality: number;
  name: Uint8Array;
  hash: Uint8Array;
  quality: number;
  shape: number[];
  /** Declared section count; normally sections.length. */
  sectionCount: number;
  sections: Uint8Array[];
  /** Declared length of each section; normally its length. */
  sectionLengths: number[];
}

function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/**
 * Serializes `f` as the format lays it out (independently of the container module), with a
 * fresh CRC; `marks` are the offsets where each field and section ends.
 */
function serialize(f: RawFile): { bytes: Uint8Array; marks: number[] } {
  const out: number[] = [];
  const marks: number[] = [];
  const mark = (): void => void marks.push(out.length);
  out.push(...f.magic);
  mark();
  out.push(f.version & 255);
  mark();
  out.push(f.modality & 255);
  mark();
  out.push(f.name.length & 255, ...f.name);
  mark();
  out.push(...f.hash);
  mark();
  out.push(f.quality & 255);
  mark();
  out.push(f.shape.length & 255);
  for (const v of f.shape) {
    pushVarint(out, v);
    mark();
  }
  pushVarint(out, f.sectionCount);
  mark();
  f.sections.forEach((s, i) => {
    pushVarint(out, f.sectionLengths[i]!);
    mark();
    for (const b of s) out.push(b);
    mark();
  });
  const body = Uint8Array.from(out);
  const crc = crc32(body);
  const bytes = new Uint8Array(body.length + 4);
  bytes.set(body);
  bytes.set([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255], body.length);
  return { bytes, marks };
}

function parse(bytes: Uint8Array): RawFile {
  const c = readContainer(bytes);
  const name = new TextEncoder().encode(c.model);
  return {
    magic: [bytes[0]!, bytes[1]!],
    version: bytes[2]!,
    modality: bytes[3]!,
    name,
    hash: c.modelHash,
    quality: c.quality,
    shape: c.shape.slice(),
    sectionCount: c.sections.length,
    sections: c.sections.map((s) => s.slice()),
    sectionLengths: c.sections.map((s) => s.length),
  };
}

/** Writes a fresh CRC over everything but the last 4 bytes (which must exist). */
function fixCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) return bytes;
  const end = bytes.length - 4;
  const crc = crc32(bytes, 0, end);
  bytes.set([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255], end);
  return bytes;
}

/** Appends a CRC of `body`: what a truncated file looks like when its writer finished it. */
function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  return fixCrc(out);
}

// ---------------------------------------------------------------------------------------
// Mutations

/** Deterministic generator (splitmix32) for one case. */
function rngFor(seed: number, id: number): () => number {
  let s = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(id + 1, 0x85ebca77)) >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, a: readonly T[]): T => a[int(r, a.length)]!;

function randomBytes(r: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(r, 256));
}

/** Interesting integers for header fields: edges of every width the format and JS use. */
const EDGE_VALUES = [0, 1, 2, 3, 4, 5, 7, 63, 64, 65, 127, 128, 255, 256, 1023, 1024, 1025, 4096, 65535, 65536, 2 ** 20, 2 ** 27, 2 ** 27 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1];

export interface FuzzCase {
  id: number;
  kind: string;
  detail: string;
  bytes: Uint8Array;
}

type Mutator = (base: Uint8Array, r: Rng, target: FuzzTarget) => { detail: string; bytes: Uint8Array };

function editFile(base: Uint8Array, edit: (f: RawFile) => string): { detail: string; bytes: Uint8Array } {
  const f = parse(base);
  const detail = edit(f);
  return { detail, bytes: serialize(f).bytes };
}

const MUTATORS: Record<string, { weight: number; run: Mutator }> = {
  'bit-flip': {
    weight: 1,
    run(base, r) {
      const b = base.slice();
      const n = 1 + int(r, 4);
      for (let i = 0; i < n; i++) b[int(r, b.length)]! ^= 1 << int(r, 8);
      return { detail: `${n} flips, CRC left as is`, bytes: b };
    },
  },
  'bit-flip+crc': {
    weight: 6,
    run(base, r) {
      const b = base.slice();
      const n = 1 + int(r, 8);
      for (let i = 0; i < n; i++) b[int(r, b.length - 4)]! ^= 1 << int(r, 8);
      return { detail: `${n} flips, CRC fixed`, bytes: fixCrc(b) };
    },
  },
  'byte-overwrite+crc': {
    weight: 3,
    run(base, r) {
      const b = base.slice();
      const at = int(r, b.length - 4);
      const n = Math.min(1 + int(r, 32), b.length - 4 - at);
      b.set(randomBytes(r, n), at);
      return { detail: `${n} random bytes at ${at}, CRC fixed`, bytes: fixCrc(b) };
    },
  },
  'truncate-boundary': {
    weight: 3,
    run(base, r) {
      const { marks } = serialize(parse(base));
      const at = pick(r, [0, 1, ...marks, base.length - 4, base.length - 1]);
      const fix = r() < 0.7;
      const cut = base.subarray(0, at);
      return { detail: `cut at boundary ${at}${fix ? ', CRC appended' : ''}`, bytes: fix ? withCrc(cut) : cut.slice() };
    },
  },
  'truncate-random': {
    weight: 2,
    run(base, r) {
      const at = int(r, base.length);
      const fix = r() < 0.5;
      const cut = base.subarray(0, at);
      return { detail: `cut at ${at}${fix ? ', CRC appended' : ''}`, bytes: fix ? withCrc(cut) : cut.slice() };
    },
  },
  'random-bytes': {
    weight: 1,
    run(base, r) {
      const n = pick(r, [0, 1, 2, 3, 4, 7, 8, 16, 40, 200, base.length, 5000]);
      const b = randomBytes(r, n);
      const valid = r() < 0.6 && n >= 8;
      if (valid) b.set([0x4c, 0x43, 1, pick(r, [1, 2, 3])]); // a plausible header start
      return { detail: `${n} random bytes${valid ? ' behind LC magic, CRC fixed' : ''}`, bytes: valid ? fixCrc(b) : b };
    },
  },
  'header-field': {
    weight: 6,
    run(base, r, target) {
      return editFile(base, (f) => {
        const field = pick(r, ['magic', 'version', 'modality', 'name', 'hash', 'quality', 'shape-count', ...target.shapeFields]);
        switch (field) {
          case 'magic':
            f.magic = [int(r, 256), int(r, 256)];
            return `magic ${f.magic}`;
          case 'version':
            f.version = pick(r, [0, 2, 3, 255]);
            return `version ${f.version}`;
          case 'modality':
            f.modality = pick(r, [0, 2, 3, 4, 255]);
            return `modality ${f.modality}`;
          case 'name': {
            const names = nearNames(new TextDecoder().decode(f.name));
            f.name = r() < 0.2 ? randomBytes(r, int(r, 40)) : new TextEncoder().encode(pick(r, names));
            return `model name ${JSON.stringify(new TextDecoder().decode(f.name))}`;
          }
          case 'hash':
            f.hash[int(r, 4)]! ^= 1 + int(r, 255);
            return 'model hash';
          case 'quality':
            f.quality = pick(r, [0, 1, 3, 6, 7, 8, 9, 100, 255]);
            return `quality ${f.quality}`;
          case 'shape-count': {
            const n = pick(r, [0, 1, 2, 3, 5, 16, 17, 255]);
            while (f.shape.length < n) f.shape.push(pick(r, EDGE_VALUES));
            f.shape.length = n;
            return `${n} shape values`;
          }
          default: {
            const i = target.shapeFields.indexOf(field);
            const v = r() < 0.7 ? pick(r, EDGE_VALUES) : Math.max(0, (f.shape[i] ?? 0) + int(r, 9) - 4);
            f.shape[i] = v;
            return `${field} ${v}`;
          }
        }
      });
    },
  },
  sections: {
    weight: 6,
    run(base, r) {
      return editFile(base, (f) => {
        const n = f.sections.length;
        const i = int(r, n), j = int(r, n);
        const op = pick(r, ['swap', 'duplicate', 'remove', 'replace', 'empty', 'append', 'reverse']);
        switch (op) {
          case 'swap':
            [f.sections[i], f.sections[j]] = [f.sections[j]!, f.sections[i]!];
            break;
          case 'duplicate':
            f.sections.splice(i, 0, f.sections[i]!);
            break;
          case 'remove':
            f.sections.splice(i, 1);
            break;
          case 'replace':
            f.sections[i] = f.sections[j]!;
            break;
          case 'empty':
            f.sections[i] = new Uint8Array(int(r, 9));
            break;
          case 'append':
            f.sections.push(randomBytes(r, int(r, 64)));
            break;
          case 'reverse':
            f.sections.reverse();
            break;
        }
        f.sectionCount = f.sections.length;
        f.sectionLengths = f.sections.map((s) => s.length);
        return `${op} ${i},${j} (${n} → ${f.sections.length} sections), CRC fixed`;
      });
    },
  },
  huge: {
    weight: 4,
    run(base, r, target) {
      return editFile(base, (f) => {
        const what = pick(r, ['dimensions', 'section-count', 'section-length', 'dimensions+sections']);
        const huge = (): number => pick(r, [2 ** 16, 20000, 2 ** 20, 2 ** 27, 2 ** 31, 2 ** 40, 2 ** 53 - 1]);
        switch (what) {
          case 'dimensions':
            return sizeEdit(f, target, huge);
          case 'section-count':
            f.sectionCount = pick(r, [f.sections.length + 1, 65536, 65537, 2 ** 31, 2 ** 53 - 1]);
            return `section count ${f.sectionCount} (${f.sections.length} present)`;
          case 'section-length': {
            const i = int(r, f.sections.length);
            f.sectionLengths[i] = pick(r, [f.sections[i]!.length + 1, 2 ** 31, 2 ** 53 - 1]);
            return `section ${i} declares ${f.sectionLengths[i]} bytes`;
          }
          default:
            return target.bomb ? target.bomb(f, r) : sizeEdit(f, target, huge);
        }
      });
    },
  },
  splice: {
    weight: 1,
    run(base, r) {
      const extra = r() < 0.5 ? base : randomBytes(r, 1 + int(r, 64));
      const b = new Uint8Array(base.length + extra.length);
      b.set(base);
      b.set(extra, base.length);
      return { detail: `${extra.length} bytes appended${r() < 0.5 ? ', CRC fixed' : ''}`, bytes: r() < 0.5 ? fixCrc(b) : b };
    },
  },
};

/** Sets the target's size fields (default: the first two shape values) to huge values. */
function sizeEdit(f: RawFile, target: FuzzTarget, huge: () => number): string {
  const fields = target.sizeFields ?? [0, 1];
  for (const i of fields) f.shape[i] = huge();
  return fields.map((i) => `${target.shapeFields[i] ?? `shape[${i}]`} ${f.shape[i]}`).join(', ');
}

/** Model names one edit away from `name`: another last letter, a prefix, case, a space, a path. */
function nearNames(name: string): string[] {
  const last = name.charCodeAt(name.length - 1);
  return [
    name.slice(0, -1) + String.fromCharCode(last === 0x7e ? 0x21 : last + 1),
    name.split('-')[0]!,
    'x',
    '../../etc/passwd',
    `${name} `,
    name.toUpperCase(),
  ];
}

const KINDS = Object.keys(MUTATORS);
const TOTAL_WEIGHT = KINDS.reduce((s, k) => s + MUTATORS[k]!.weight, 0);

/** Case `id` of a run with `seed`, over the target's sample files. */
export function makeCase(target: FuzzTarget, samples: { name: string; bytes: Uint8Array }[], seed: number, id: number): FuzzCase {
  const r = rngFor(seed, id);
  const sample = samples[id % samples.length]!;
  let w = r() * TOTAL_WEIGHT;
  let kind = KINDS[0]!;
  for (const k of KINDS) {
    w -= MUTATORS[k]!.weight;
    if (w < 0) {
      kind = k;
      break;
    }
  }
  const { detail, bytes } = MUTATORS[kind]!.run(sample.bytes, r, target);
  return { id, kind, detail: `${sample.name}: ${detail}`, bytes };
}

/** Every truncation of `bytes` at a field or section boundary, raw and with a CRC appended. */
export function boundaryTruncations(bytes: Uint8Array): Uint8Array[] {
  const { marks } = serialize(parse(bytes));
  const cuts = [...new Set([0, 1, 2, 3, ...marks, bytes.length - 4, bytes.length - 1])].filter((n) => n < bytes.length);
  return cuts.flatMap((n) => [bytes.slice(0, n), withCrc(bytes.subarray(0, n))]);
}

// ---------------------------------------------------------------------------------------
// Running a case

export type Outcome = 'decoded' | 'clean-error' | 'crash' | 'hang';

export interface CaseResult {
  id: number;
  kind: string;
  detail: string;
  outcome: Outcome;
  ms: number;
  /** The decoded summary, or the error's name and message. */
  message: string;
}

/** The errors a damaged file may end in: exit code 2 with one line. */
export function isCleanError(err: unknown): boolean {
  return err instanceof Error && (err instanceof InputError || err.name === 'EntropyDecodeError');
}

/** A one-line, non-empty, printable message without a stack: what the CLI prints. */
export function isOneLine(message: string): boolean {
  return message.length > 0 && message.length < 400 && !/[\x00-\x1f\x7f]/.test(message);
}

export async function runCase(target: FuzzTarget, c: FuzzCase): Promise<CaseResult> {
  const t0 = performance.now();
  let outcome: Outcome;
  let message: string;
  try {
    message = await target.decode(c.bytes);
    outcome = 'decoded';
  } catch (err) {
    const e = err as Error;
    message = `${e?.name}: ${e?.message}`;
    outcome = isCleanError(err) && isOneLine(e.message) ? 'clean-error' : 'crash';
    if (outcome === 'crash' && e?.stack) message += `\n${e.stack}`;
  }
  const ms = performance.now() - t0;
  if (ms > CASE_LIMIT_MS) outcome = 'hang';
  return { id: c.id, kind: c.kind, detail: c.detail, outcome, ms, message };
}

export interface FuzzSummary {
  cases: number;
  decoded: number;
  cleanErrors: number;
  crashes: number;
  hangs: number;
  /** Per mutation kind: [decoded, clean errors, crashes + hangs]. */
  byKind: Record<string, [number, number, number]>;
  slowestMs: number;
  failures: CaseResult[];
}

export function summarize(results: CaseResult[]): FuzzSummary {
  const s: FuzzSummary = { cases: 0, decoded: 0, cleanErrors: 0, crashes: 0, hangs: 0, byKind: {}, slowestMs: 0, failures: [] };
  for (const r of results) {
    s.cases++;
    const k = (s.byKind[r.kind] ??= [0, 0, 0]);
    if (r.outcome === 'decoded') (s.decoded++, k[0]++);
    else if (r.outcome === 'clean-error') (s.cleanErrors++, k[1]++);
    else {
      if (r.outcome === 'crash') s.crashes++;
      else s.hangs++;
      k[2]++;
      s.failures.push(r);
    }
    s.slowestMs = Math.max(s.slowestMs, r.ms);
  }
  return s;
}
