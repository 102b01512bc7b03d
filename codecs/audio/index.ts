/**
 * Learned audio codecs behind the common codec interface. The bitstream is an `.lc` container
 * (docs/FORMAT.md): shape [sampleRate, channels, samples, chunkFrames, channelCoding, highband],
 * then per chunk and coded channel a z and a y stream (and, for a model with side information,
 * its section: audio-mdct's TNS filters), then (a model with levels) one level index
 * per chunk, then (highband = 1) per coded channel the high-band levels (highband.ts: what an
 * input above the model's rate has beyond its band).
 *
 * Any input rate and channel count: the signal is resampled to the model's rate (ffmpeg, soxr),
 * stereo is coded as mid/side (M = (L + R) / 2, S = (L − R) / 2), other counts channel by
 * channel, each coded channel with the mono model; the decoder returns the input's rate,
 * channel count and length. Encoding a file streams it (readAudioChunks → resampleChunks), so
 * memory does not grow with duration on the input side; the model always runs per chunk.
 */
import { CorruptFileError, readContainer, writeContainer } from '../../src/container/index.js';
import { InputError } from '../../src/errors.js';
import { assertAudio, fitLength, readAudioChunks, resample, resampleChunks } from '../../src/io/audio.js';
import type { RuntimeOptions } from '../../src/runtime/onnx.js';
import type { Audio } from '../../src/media.js';
import type { AudioCodec } from '../types.js';
import { checkHeader, type HyperLatents } from '../learned/hyperprior.js';
import { audioBundleFormat, loadAudioModelFiles, loadMdctModelFiles } from './bundle.js';
import { decodeLevels, encodeLevels, HighbandAnalyser, highbandFrames, highbandLayout, HighbandSynthesiser, type HighbandLayout } from './highband.js';
import { AudioHyperpriorModel, CHUNK_FRAMES } from './hyperprior.js';
import { AudioMdctModel } from './mdct-model.js';
import { frameLayout, type AudioLatentModel, type ChunkStreams } from './model.js';

/** How channels are coded: each one as it is, or a stereo pair as mid and side. */
export const CHANNEL_CODING = { independent: 0, midSide: 1 } as const;
const MAX_CHANNELS = 64;
const MAX_SAMPLE_RATE = 1_536_000;

/** What an audio `.lc` header declares (its shape fields), checked. */
export interface LearnedAudioHeader {
  sampleRate: number;
  channels: number;
  samples: number;
  chunkFrames: number;
  channelCoding: number;
  /** Whether the file carries high-band levels. */
  highband: boolean;
}

/** Samples at the model's rate for `samples` at `sampleRate` (the count `resample` produces). */
export function modelRateSamples(samples: number, sampleRate: number, modelRate: number): number {
  return sampleRate === modelRate ? samples : Math.round((samples * modelRate) / sampleRate);
}

/** Collects model-rate samples and hands out each chunk with its context, dropping what is done. */
class ChunkBuffer {
  private data: Float32Array[];
  /** Absolute index of data[c][0]. */
  private start = 0;
  private length = 0;

  constructor(channels: number) {
    this.data = Array.from({ length: channels }, () => new Float32Array(1 << 16));
  }

  get end(): number {
    return this.start + this.length;
  }

  push(channels: Float32Array[]): void {
    const n = channels[0]!.length;
    if (this.length + n > this.data[0]!.length) {
      let size = this.data[0]!.length;
      while (size < this.length + n) size *= 2;
      this.data = this.data.map((d) => {
        const next = new Float32Array(size);
        next.set(d.subarray(0, this.length));
        return next;
      });
    }
    for (let c = 0; c < channels.length; c++) this.data[c]!.set(channels[c]!, this.length);
    this.length += n;
  }

  /** Samples [from, to) of channel c, zeros where the buffer has none. */
  read(c: number, from: number, to: number): Float32Array {
    const out = new Float32Array(to - from);
    const a = Math.max(from, this.start);
    const b = Math.min(to, this.end);
    if (b > a) out.set(this.data[c]!.subarray(a - this.start, b - this.start), a - from);
    return out;
  }

  /** Forgets samples before absolute index `from`. */
  dropBefore(from: number): void {
    const k = Math.min(Math.max(0, from - this.start), this.length);
    if (k === 0) return;
    for (const d of this.data) d.copyWithin(0, k, this.length);
    this.start += k;
    this.length -= k;
  }
}

function toCoded(channels: Float32Array[], coding: number): Float32Array[] {
  if (coding !== CHANNEL_CODING.midSide) return channels;
  const [l, r] = channels as [Float32Array, Float32Array];
  const m = new Float32Array(l.length);
  const s = new Float32Array(l.length);
  for (let i = 0; i < l.length; i++) {
    m[i] = (l[i]! + r[i]!) * 0.5;
    s[i] = (l[i]! - r[i]!) * 0.5;
  }
  return [m, s];
}

function fromCoded(channels: Float32Array[], coding: number): Float32Array[] {
  if (coding !== CHANNEL_CODING.midSide) return channels;
  const [m, s] = channels as [Float32Array, Float32Array];
  for (let i = 0; i < m.length; i++) {
    const a = m[i]!, b = s[i]!;
    m[i] = a + b;
    s[i] = a - b;
  }
  return [m, s];
}

/** Measures the high band of each coded channel from input-rate pieces. */
class HighbandEncoder {
  private readonly analysers: HighbandAnalyser[];

  constructor(layout: HighbandLayout, channels: number, private readonly coding: number) {
    this.analysers = Array.from({ length: channels }, () => new HighbandAnalyser(layout));
  }

  push(channels: Float32Array[]): void {
    toCoded(channels, this.coding).forEach((x, c) => this.analysers[c]!.push(x));
  }

  /** One section of levels per coded channel. */
  sections(): Uint8Array[] {
    return this.analysers.map((a) => encodeLevels(a.finish(), a.layout.bands.length));
  }
}

/** Adds the decoded high band to one piece of output (input rate, output channels) starting at sample `at`. */
function addHighband(channels: Float32Array[], at: number, synth: HighbandSynthesiser[], coding: number): void {
  if (coding !== CHANNEL_CODING.midSide) {
    synth.forEach((s, c) => s.addTo(channels[c]!, at));
    return;
  }
  const n = channels[0]!.length;
  const m = new Float32Array(n);
  const d = new Float32Array(n);
  synth[0]!.addTo(m, at);
  synth[1]!.addTo(d, at);
  const [l, r] = channels as [Float32Array, Float32Array];
  for (let i = 0; i < n; i++) {
    l[i]! += m[i]! + d[i]!;
    r[i]! += m[i]! - d[i]!;
  }
}

function channelCoding(channels: number): number {
  return channels === 2 ? CHANNEL_CODING.midSide : CHANNEL_CODING.independent;
}

export interface EncodeProgress {
  /** Index of the chunk just coded. */
  chunk: number;
  /** Model-rate samples the encoder holds in its buffer at that moment (all channels). */
  bufferedSamples: number;
}

export class LearnedAudioCodec implements AudioCodec {
  readonly modality = 'audio' as const;
  readonly qualities: readonly number[];
  readonly model: AudioLatentModel;

  /** The model in `dir`: learned transforms (audio-hyperprior) or the MDCT codec (audio-mdct), by its bundle's format. */
  constructor(readonly name: string, dir: string, runtime: RuntimeOptions = {}) {
    this.model = audioBundleFormat(dir) === 'lcodec-audio-mdct/1'
      ? new AudioMdctModel(name, loadMdctModelFiles(dir), runtime)
      : new AudioHyperpriorModel(name, loadAudioModelFiles(dir), runtime);
    this.qualities = this.model.qualities;
  }

  /** Latent frames per chunk of a signal of `samples` samples at the model's rate. */
  private layout(samples: number, chunkFrames: number): number[] {
    return frameLayout(this.model.frames(samples), this.model.zStride, chunkFrames);
  }

  /** Encodes decoded PCM (any rate and channel count). */
  async encode(audio: Audio, quality: number): Promise<Uint8Array> {
    assertAudio(audio);
    this.check(audio.sampleRate, audio.channels.length, quality);
    const pcm = audio.sampleRate === this.model.sampleRate ? audio : await resample(audio, this.model.sampleRate);
    const samples = audio.channels[0]!.length;
    const highband = this.highbandEncoder(audio.sampleRate, audio.channels.length);
    highband?.push(audio.channels);
    async function* once(): AsyncGenerator<Audio> {
      yield pcm;
    }
    return this.encodeStream(once(), { sampleRate: audio.sampleRate, channels: audio.channels.length, samples: () => samples }, quality, { highband: () => highband });
  }

  /**
   * Encodes an audio file (any format ffmpeg reads) without holding it whole: it is decoded,
   * resampled and coded chunk by chunk.
   */
  async encodeFile(path: string, quality: number, chunkSeconds = 8): Promise<Uint8Array> {
    this.model.checkQuality(quality);
    let sampleRate = 0;
    let channels = 0;
    let samples = 0;
    let highband: HighbandEncoder | undefined;
    const source = readAudioChunks(path, { chunkSeconds });
    const self = this;
    async function* counted(): AsyncGenerator<Audio> {
      for await (const a of source) {
        if (samples === 0) highband = self.highbandEncoder(a.sampleRate, a.channels.length);
        sampleRate = a.sampleRate;
        channels = a.channels.length;
        samples += a.channels[0]!.length;
        highband?.push(a.channels);
        yield a;
      }
    }
    const pieces = resampleChunks(counted(), this.model.sampleRate);
    // The first piece tells the rate and channel count; the sample count is known at the end.
    const it = pieces[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw new InputError(`${path}: audio stream has no samples`);
    this.check(sampleRate, channels, quality);
    async function* all(): AsyncGenerator<Audio> {
      yield first.value;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    }
    return this.encodeStream(all(), { sampleRate, channels, samples: () => samples }, quality, { highband: () => highband });
  }

  /** The high-band analysis of an input at `sampleRate`, when it has anything above the model's band. */
  private highbandEncoder(sampleRate: number, channels: number): HighbandEncoder | undefined {
    const layout = highbandLayout(sampleRate, this.model.sampleRate);
    return layout && new HighbandEncoder(layout, channels, channelCoding(channels));
  }

  /**
   * The chunk engine: model-rate pieces in, one container out. Holds at most one chunk plus
   * context (and the piece being added) in memory. `chunkFrames` (a multiple of the model's
   * z_stride; default CHUNK_FRAMES) is stored in the file; `onChunk` reports progress;
   * `highband` gives, once the pieces are done, the high-band analysis the caller fed with the
   * input-rate signal (none: no high band).
   */
  async encodeStream(
    pieces: AsyncIterable<Audio>,
    info: { sampleRate: number; channels: number; samples: () => number },
    quality: number,
    opts: { chunkFrames?: number; onChunk?: (p: EncodeProgress) => void; highband?: () => HighbandEncoder | undefined } = {},
  ): Promise<Uint8Array> {
    const m = this.model;
    const { hop, context: ctx } = m;
    const F = opts.chunkFrames ?? CHUNK_FRAMES;
    if (!Number.isInteger(F) || F < m.zStride || F % m.zStride !== 0 || F > 1 << 16) {
      throw new RangeError(`chunkFrames must be a positive multiple of ${m.zStride}, got ${F}`);
    }
    const onChunk = opts.onChunk;
    const coding = channelCoding(info.channels);
    const buf = new ChunkBuffer(info.channels);
    const sections: Uint8Array[] = [];
    const levels: number[] = [];
    let k = 0;
    const codeChunk = async (frames: number): Promise<void> => {
      const from = (k * F - ctx) * hop;
      const to = (k * F + frames + ctx) * hop;
      // The chunk's level from the signal its frames cover (not the padding past the end; the
      // last chunk may hold only the end of the signal's last frame).
      const lo = Math.max(0, from);
      const hi = Math.max(lo, Math.min(buf.end, to));
      const own = Array.from({ length: info.channels }, (_, c) => buf.read(c, lo, hi));
      const level = m.levels ? m.levels.of(own) : 0;
      levels.push(level);
      for (let c = 0; c < info.channels; c++) {
        const y = await m.analyse(buf.read(c, from, to), frames, quality, level);
        const s = await m.encodeLatent(y, frames, quality);
        sections.push(s.z, s.y);
        if (m.sideStreams) sections.push(s.side!);
      }
      onChunk?.({ chunk: k, bufferedSamples: (buf.end - Math.max(0, from)) * info.channels });
      k++;
      buf.dropBefore((k * F - ctx) * hop);
    };
    for await (const piece of pieces) {
      if (piece.sampleRate !== m.sampleRate || piece.channels.length !== info.channels) {
        throw new Error('encodeStream: pieces must be at the model rate with the declared channel count');
      }
      buf.push(toCoded(piece.channels, coding));
      // A chunk is complete (and full) once the signal reaches past its right context.
      while (buf.end >= ((k + 1) * F + ctx) * hop) await codeChunk(F);
    }
    const samples = info.samples();
    const n = modelRateSamples(samples, info.sampleRate, m.sampleRate);
    if (n !== buf.end) throw new Error(`encodeStream: got ${buf.end} samples at ${m.sampleRate} Hz, expected ${n}`);
    if (samples === 0) throw new InputError('audio has no samples');
    const layout = this.layout(n, F);
    while (k < layout.length) await codeChunk(layout[k]!);
    if (m.levels) sections.push(Uint8Array.from(levels, (v) => v & 0xff));
    const highband = opts.highband?.();
    if (highband) sections.push(...highband.sections());
    return writeContainer({
      modality: 'audio',
      model: this.name,
      modelHash: m.files.hash,
      quality,
      shape: [info.sampleRate, info.channels, samples, F, coding, highband ? 1 : 0],
      sections,
    });
  }

  /**
   * Decodes to the input's sample rate, channel count and length. The output grows with the
   * decoded chunks (never past the declared length), so memory follows what the streams
   * really hold, not what a damaged header declares.
   */
  async decode(bytes: Uint8Array): Promise<Audio> {
    const { info } = this.parse(bytes);
    let out: Float32Array[] = [];
    let at = 0;
    for await (const piece of this.decodeChunks(bytes)) {
      const n = piece.channels[0]!.length;
      if (at + n > (out[0]?.length ?? 0)) {
        const size = Math.min(info.samples, Math.max(at + n, 2 * (out[0]?.length ?? 0)));
        out = Array.from({ length: info.channels }, (_, c) => {
          const grown = new Float32Array(size);
          if (out[c]) grown.set(out[c]!.subarray(0, at));
          return grown;
        });
      }
      for (let c = 0; c < info.channels; c++) out[c]!.set(piece.channels[c]!, at);
      at += n;
    }
    if (at !== info.samples) throw new Error(`audio decoder gave ${at} samples, expected ${info.samples}`);
    return { sampleRate: info.sampleRate, channels: out };
  }

  /**
   * Decodes chunk by chunk: pieces at the input's sample rate, in order, exactly `samples` in
   * total. Memory holds three chunks' latents and one chunk's samples per channel (plus the
   * resampler's pipes), whatever the duration.
   */
  async *decodeChunks(bytes: Uint8Array): AsyncGenerator<Audio> {
    const { info, highband } = this.parse(bytes);
    const synth = highband?.levels.map((levels, c) => new HighbandSynthesiser(highband.layout, levels, c));
    let emitted = 0;
    const finish = (channels: Float32Array[]): Audio => {
      if (synth) addHighband(channels, emitted, synth, info.channelCoding);
      emitted += channels[0]!.length;
      return { sampleRate: info.sampleRate, channels };
    };
    for await (const piece of resampleChunks(this.decodeModelRate(bytes), info.sampleRate)) {
      const n = Math.min(piece.channels[0]!.length, info.samples - emitted);
      if (n <= 0) continue;
      yield finish(piece.channels.map((c) => (c.length === n ? c : c.slice(0, n))));
    }
    if (emitted < info.samples) yield finish(Array.from({ length: info.channels }, () => new Float32Array(info.samples - emitted)));
  }

  /** The decoded signal at the model's rate, one chunk at a time (all channels). */
  private async *decodeModelRate(bytes: Uint8Array): AsyncGenerator<Audio> {
    const { info, quality, streams, levels } = this.parse(bytes);
    const m = this.model;
    const n = modelRateSamples(info.samples, info.sampleRate, m.sampleRate);
    const layout = this.layout(n, info.chunkFrames);
    type Latent = { yHat: Float32Array; frames: number };
    const latent = async (k: number, c: number): Promise<Latent> =>
      ({ yHat: (await m.decodeLatent(streams[k]![c]!, layout[k]!, quality, { frame: k * info.chunkFrames, channel: c }, levels[k]!)).yHat, frames: layout[k]! });
    // Latents of chunk k − 1, k and k + 1 per channel: g_s of chunk k reads its neighbours' borders.
    const prev: (Latent | undefined)[] = new Array(info.channels).fill(undefined);
    const cur: Latent[] = [];
    for (let c = 0; c < info.channels; c++) cur.push(await latent(0, c));
    for (let k = 0; k < layout.length; k++) {
      const at = k * info.chunkFrames * m.hop;
      const take = Math.max(0, Math.min(layout[k]! * m.hop, n - at));
      const piece: Float32Array[] = [];
      for (let c = 0; c < info.channels; c++) {
        const next = k + 1 < layout.length ? await latent(k + 1, c) : undefined;
        const x = await m.synthesise(cur[c]!.yHat, cur[c]!.frames, prev[c], next);
        piece.push(x.slice(0, take));
        prev[c] = cur[c];
        if (next) cur[c] = next;
      }
      if (take > 0) yield { sampleRate: m.sampleRate, channels: fromCoded(piece, info.channelCoding) };
    }
  }

  /**
   * Diagnostics: the latents (ẑ, table indexes, means, symbols) of every chunk and coded
   * channel, in stream order: what must decode alike on every machine (test/golden.test.ts).
   */
  async decodeSymbols(bytes: Uint8Array): Promise<HyperLatents[]> {
    const { info, quality, streams, levels } = this.parse(bytes);
    const m = this.model;
    const layout = this.layout(modelRateSamples(info.samples, info.sampleRate, m.sampleRate), info.chunkFrames);
    const out: HyperLatents[] = [];
    for (let k = 0; k < layout.length; k++) {
      for (let c = 0; c < info.channels; c++) {
        const { zHat, index, mu, symbols } = await m.decodeLatent(streams[k]![c]!, layout[k]!, quality, { frame: k * info.chunkFrames, channel: c }, levels[k]!);
        out.push({ zHat, index, mu, symbols });
      }
    }
    return out;
  }

  /** Header fields of an audio `.lc` file of this model, checked. */
  parse(bytes: Uint8Array): {
    info: LearnedAudioHeader;
    quality: number;
    streams: ChunkStreams[][];
    /** Each chunk's level index (all 0 for a model without levels). */
    levels: number[];
    highband?: { layout: HighbandLayout; levels: Int8Array[] };
  } {
    const c = readContainer(bytes);
    checkHeader(c, 'audio', this.name, this.model.files.hash, this.model.qualities);
    // Files of the first format version have no highband field.
    if (c.shape.length !== 5 && c.shape.length !== 6) throw new CorruptFileError('corrupt .lc file (audio shape)');
    const [sampleRate, channels, samples, chunkFrames, coding, hasHighband = 0] = c.shape as number[] as [number, number, number, number, number, number?];
    if (sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE) throw new CorruptFileError(`corrupt .lc file (sample rate ${sampleRate})`);
    if (channels < 1 || channels > MAX_CHANNELS) throw new CorruptFileError(`corrupt .lc file (${channels} channels)`);
    if (samples < 1 || samples > 2 ** 40) throw new CorruptFileError(`corrupt .lc file (${samples} samples)`);
    if (chunkFrames < 1 || chunkFrames % this.model.zStride !== 0 || chunkFrames > 1 << 16) {
      throw new CorruptFileError(`corrupt .lc file (chunk of ${chunkFrames} frames)`);
    }
    if (coding !== channelCoding(channels)) throw new CorruptFileError(`corrupt .lc file (channel coding ${coding})`);
    const hbLayout = highbandLayout(sampleRate, this.model.sampleRate);
    if (hasHighband !== 0 && (hasHighband !== 1 || !hbLayout)) throw new CorruptFileError(`corrupt .lc file (high band ${hasHighband} at ${sampleRate} Hz)`);
    const n = modelRateSamples(samples, sampleRate, this.model.sampleRate);
    // Counted before the layout is built: a huge declared length must not build a huge array.
    const chunks = Math.ceil(this.model.frames(n) / chunkFrames);
    const lv = this.model.levels;
    const per = this.model.sideStreams ? 3 : 2;
    const expected = chunks * channels * per + (lv ? 1 : 0) + (hasHighband ? channels : 0);
    if (c.sections.length !== expected) {
      throw new CorruptFileError(`corrupt .lc file (expected ${expected} sections, found ${c.sections.length})`);
    }
    const layout = this.layout(n, chunkFrames);
    const streams: ChunkStreams[][] = [];
    for (let k = 0; k < chunks; k++) {
      // Every chunk's z stream must be long enough for the frames the header gives it: a long
      // declared signal over short sections is refused here, before any decoding.
      const minZ = this.model.minZStreamBytes(layout[k]!);
      const row: ChunkStreams[] = [];
      for (let ch = 0; ch < channels; ch++) {
        const i = (k * channels + ch) * per;
        if (c.sections[i]!.length < minZ) {
          throw new CorruptFileError(`corrupt .lc file (chunk ${k} is too short for the declared audio length: ${c.sections[i]!.length} bytes, at least ${minZ} needed)`);
        }
        row.push(per === 3 ? { z: c.sections[i]!, y: c.sections[i + 1]!, side: c.sections[i + 2]! } : { z: c.sections[i]!, y: c.sections[i + 1]! });
      }
      streams.push(row);
    }
    let levels: number[] = new Array(chunks).fill(0);
    if (lv) {
      const s = c.sections[chunks * channels * per]!;
      if (s.length !== chunks) throw new CorruptFileError(`corrupt .lc file (${s.length} chunk levels for ${chunks} chunks)`);
      levels = Array.from(s, (v) => (v << 24) >> 24);
      const bad = levels.find((v) => v < lv.min || v > lv.max);
      if (bad !== undefined) throw new CorruptFileError(`corrupt .lc file (chunk level ${bad} outside ${lv.min}..${lv.max})`);
    }
    const info = { sampleRate, channels, samples, chunkFrames, channelCoding: coding, highband: hasHighband === 1 };
    if (!hasHighband || !hbLayout) return { info, quality: c.quality, streams, levels };
    const frames = highbandFrames(hbLayout, samples);
    const damaged = (message: string): Error => new CorruptFileError(`corrupt .lc file (${message})`);
    const hbLevels = c.sections.slice(chunks * channels * per + (lv ? 1 : 0)).map((s) => {
      try {
        return decodeLevels(s, frames, hbLayout.bands.length, damaged);
      } catch (e) {
        throw e instanceof CorruptFileError ? e : damaged(`high band: ${(e as Error).message}`);
      }
    });
    return { info, quality: c.quality, streams, levels, highband: { layout: hbLayout, levels: hbLevels } };
  }

  private check(sampleRate: number, channels: number, quality: number): void {
    this.model.checkQuality(quality);
    if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE) {
      throw new InputError(`sample rate ${sampleRate} Hz is not supported (1..${MAX_SAMPLE_RATE})`);
    }
    if (channels < 1 || channels > MAX_CHANNELS) throw new InputError(`${channels} channels: ${this.name} codes 1..${MAX_CHANNELS} channels`);
  }
}
