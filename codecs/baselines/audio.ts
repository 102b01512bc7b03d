/**
 * Classical audio baselines behind the one codec interface, all run through ffmpeg:
 *
 * | name | encoder              | stream as stored        | quality = target bitrate (kbit/s)      |
 * | opus | libopus, VBR, audio  | Ogg Opus (.opus/.ogg)   | 6 8 12 16 24 32 48 64                  |
 * | mp3  | libmp3lame, CBR      | MP3 with LAME tag (.mp3)| 8 16 24 32 48 64 96 128                |
 * | aac  | ffmpeg native AAC-LC | ADTS (.aac)             | 16 24 32 48 64 96 128                  |
 *
 * `encode` returns the complete file ffmpeg wrote (a valid, playable file: its length is the rate,
 * container overhead included). Each carries one small tag, LCODEC_PCM=<rate>,<channels>,<samples>
 * (an Opus comment, or an ID3v2 TXXX frame for MP3 and ADTS, ~50 bytes), so that `decode` gives
 * back exactly the input's sample rate, channel count and length.
 *
 * Alignment: the decoder output is made sample-aligned with the input by what each format signals
 * or fixes: Ogg Opus pre-skip and end granule (honoured by ffmpeg's demuxer), the LAME/Xing tag's
 * encoder delay and padding (honoured by ffmpeg's MP3 demuxer; the file must be seekable, so it is
 * written to a file, never a pipe), and for ADTS, which signals nothing, the fixed 1024-sample
 * priming of ffmpeg's AAC encoder, trimmed at decode. Tests check the alignment by
 * cross-correlation. Resampling on either side is ffmpeg's aresample (soxr), which compensates its
 * own delay. Sample-rate choices, measured alignment and results: docs/METRICS.md.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Audio } from '../../src/media.js';
import type { Codec } from '../types.js';
import { inRange, oneOf } from '../../src/check.js';
import { InputError } from '../../src/errors.js';
import { assertAudio, decodePcm, fitLength, interleave, rawPcmInputOptions } from '../../src/io/audio.js';
import { FfmpegError, probeAudio, resampleFilter, runFfmpeg } from '../../src/io/ffmpeg.js';
import { withTempDir } from '../../src/io/temp.js';

/** The tag that carries the source PCM's shape through the container. */
export const PCM_TAG = 'LCODEC_PCM';

/** An audio baseline: the codec interface plus its encoder settings per bitrate. */
export type AudioBaseline = Codec<'audio'> & {
  plan(audio: Audio, kbps: number): EncodePlan;
  /** Accepted bitrates (kbit/s): a closed range, or the only values allowed. */
  readonly accepts: { min: number; max: number } | readonly number[];
  /** ffmpeg encoder and decoder it needs (e.g. `libopus`, `opus`). */
  readonly encoder: string;
  readonly decoder: string;
  /**
   * Everything here that decides the bitstream (encoder, options, container, sample-rate rule
   * revision); with the ffmpeg version, the key of cached evaluation results.
   */
  readonly config: string;
};

/** How one bitrate of one codec is encoded. */
export interface EncodePlan {
  /** Sample rate fed to the encoder (the input is resampled to it when different). */
  encodeRate: number;
  /** ffmpeg output options selecting the encoder and its settings. */
  options: string[];
}

/**
 * Revision of the code paths the specs below do not spell out (the sample-rate rules, the tag,
 * trimming): raise it when a change there changes the stored files, so cached results expire.
 */
const REVISION = 1;

interface FfmpegAudioCodecSpec {
  name: string;
  qualities: readonly number[];
  /** Accepted bitrates: a closed range, or the only values allowed. */
  accepts: { min: number; max: number } | readonly number[];
  /** ffmpeg encoder, its options after `-b:a <kbps>k`, and the decoder ffmpeg uses. */
  encoder: string;
  encoderOptions: string[];
  decoder: string;
  maxChannels: number;
  /** ffmpeg muxer and file extension. */
  format: string;
  extension: string;
  extraMuxerOptions: string[];
  /** Samples the decoder emits before the signal, at the encode rate, that nothing signals. */
  primingSamples: number;
  /** Sample rate fed to the encoder for this audio and bitrate. */
  encodeRate(audio: Audio, kbps: number): number;
}

/** Reads LCODEC_PCM=<rate>,<channels>,<samples>; undefined when absent or malformed. */
function parsePcmTag(tags: Record<string, string>): { sampleRate: number; channels: number; frames: number } | undefined {
  const value = tags[PCM_TAG.toLowerCase()];
  const parts = value?.split(',').map(Number);
  if (!parts || parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v > 0)) return undefined;
  return { sampleRate: parts[0]!, channels: parts[1]!, frames: parts[2]! };
}

class FfmpegAudioCodec implements AudioBaseline {
  readonly modality = 'audio' as const;
  readonly name: string;
  readonly qualities: readonly number[];
  readonly accepts: FfmpegAudioCodecSpec['accepts'];
  readonly encoder: string;
  readonly decoder: string;
  readonly config: string;

  constructor(private readonly spec: FfmpegAudioCodecSpec) {
    this.name = spec.name;
    this.qualities = spec.qualities;
    this.accepts = spec.accepts;
    this.encoder = spec.encoder;
    this.decoder = spec.decoder;
    const { encoderOptions, format, extraMuxerOptions, primingSamples } = spec;
    this.config = `${spec.encoder} ${JSON.stringify({ encoderOptions, format, extraMuxerOptions, primingSamples })} r${REVISION}`;
  }

  /** The encoder settings a bitrate maps to for this audio (exposed for tests and reports). */
  plan(audio: Audio, kbps: number): EncodePlan {
    this.checkQuality(kbps);
    return {
      encodeRate: this.spec.encodeRate(audio, kbps),
      options: ['-c:a', this.spec.encoder, '-b:a', `${kbps}k`, ...this.spec.encoderOptions],
    };
  }

  private checkQuality(kbps: number): void {
    // Quality is the bitrate in kbit/s.
    const { accepts, name } = this.spec;
    if ('min' in accepts) inRange(`quality for ${name}`, kbps, accepts.min, accepts.max, RangeError);
    else oneOf(`quality for ${name}`, kbps, accepts, RangeError);
  }

  async encode(audio: Audio, quality: number): Promise<Uint8Array> {
    assertAudio(audio);
    const frames = audio.channels[0]!.length;
    if (frames === 0) throw new InputError(`${this.name}: audio has no samples`);
    const channels = audio.channels.length;
    if (channels > this.spec.maxChannels) {
      throw new InputError(`${this.name}: at most ${this.spec.maxChannels} channels, got ${channels}`);
    }
    const plan = this.plan(audio, quality);
    const pcm = interleave(audio);
    return withTempDir(async (dir) => {
      const out = join(dir, `stream.${this.spec.extension}`);
      const resampling = plan.encodeRate === audio.sampleRate ? [] : ['-af', await resampleFilter(plan.encodeRate)];
      try {
        await runFfmpeg({
          input: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength),
          inputOptions: rawPcmInputOptions(audio),
          output: out,
          outputOptions: [
            ...resampling,
            '-ar', String(plan.encodeRate),
            ...plan.options,
            // No encoder version strings or input metadata: the stream is the codec's bits.
            '-map_metadata', '-1',
            '-fflags', '+bitexact',
            '-flags:a', '+bitexact',
            '-metadata', `${PCM_TAG}=${audio.sampleRate},${channels},${frames}`,
            ...this.spec.extraMuxerOptions,
            '-f', this.spec.format,
          ],
        });
      } catch (err) {
        if (err instanceof FfmpegError) throw new Error(`${this.name}: encoding failed (${err.message})`);
        throw err;
      }
      return new Uint8Array(await readFile(out));
    });
  }

  async decode(bytes: Uint8Array): Promise<Audio> {
    if (bytes.length === 0) throw new InputError(`${this.name}: empty bitstream`);
    return withTempDir(async (dir) => {
      const path = join(dir, `stream.${this.spec.extension}`);
      await writeFile(path, bytes);
      let info;
      try {
        info = await probeAudio(path);
      } catch (err) {
        if (err instanceof FfmpegError) throw new InputError(`${this.name}: not a valid ${this.spec.extension} stream (${err.message})`);
        throw err;
      }
      // Files without our tag (made elsewhere) decode at their own rate and length.
      const shape = parsePcmTag(info.tags) ?? { sampleRate: info.sampleRate, channels: info.channels, frames: undefined };
      const filters: string[] = [];
      if (this.spec.primingSamples > 0) filters.push(`atrim=start_sample=${this.spec.primingSamples}`);
      if (info.sampleRate !== shape.sampleRate) filters.push(await resampleFilter(shape.sampleRate));
      const audio = await decodePcm(path, shape.channels, shape.sampleRate, filters, `${this.name}: cannot decode stream`);
      return shape.frames === undefined ? audio : fitLength(audio, shape.frames);
    });
  }
}

/** Sample rates libopus takes directly; others are resampled to 48 kHz, Opus's internal rate. */
const OPUS_RATES = [8000, 12000, 16000, 24000, 48000];

/** Opus: libopus VBR (its default), application "audio", complexity 10, in Ogg. */
export const opus: AudioBaseline = new FfmpegAudioCodec({
  name: 'opus',
  qualities: [6, 8, 12, 16, 24, 32, 48, 64],
  accepts: { min: 6, max: 256 },
  encoder: 'libopus',
  encoderOptions: ['-vbr', 'on', '-application', 'audio', '-compression_level', '10'],
  decoder: 'opus',
  maxChannels: 8,
  format: 'ogg',
  extension: 'opus',
  extraMuxerOptions: [],
  primingSamples: 0,
  encodeRate: (audio) => (OPUS_RATES.includes(audio.sampleRate) ? audio.sampleRate : 48000),
});

/** LAME's CBR low-pass by bitrate (lame.c, optimum_bandwidth), nearest table entry wins. */
const LAME_LOWPASS: readonly [number, number][] = [
  [8, 2000], [16, 3700], [24, 3900], [32, 5500], [40, 7000], [48, 7500], [56, 10000], [64, 11000],
  [80, 13500], [96, 15100], [112, 15600], [128, 17000], [160, 17500], [192, 18600], [224, 19400],
  [256, 19700], [320, 20500],
];
const MPEG1_KBPS = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_KBPS = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG25_KBPS = [8, 16, 24, 32, 40, 48, 56, 64];
const MP3_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

function mp3BitratesAt(rate: number): number[] {
  return rate >= 32000 ? MPEG1_KBPS : rate >= 16000 ? MPEG2_KBPS : MPEG25_KBPS;
}

/**
 * The sample rate LAME itself would pick for a CBR bitrate (what `lame -b N` does; ffmpeg's
 * wrapper disables it by fixing the output rate): the low-pass for the bitrate (×1.5 for mono),
 * then the lowest MPEG rate that carries it without the sfb21 band (lame.c optimum_samplefreq),
 * never above the input rate; then, if the bitrate does not exist at that rate's MPEG version,
 * the nearest rate whose version has it.
 */
export function mp3EncodeRate(inputRate: number, channels: number, kbps: number): number {
  let nearest = LAME_LOWPASS[0]!;
  for (const entry of LAME_LOWPASS) if (Math.abs(entry[0] - kbps) < Math.abs(nearest[0] - kbps)) nearest = entry;
  const lowpass = nearest[1] * (channels === 1 ? 1.5 : 1);
  const thresholds: [number, number][] = [
    [3970, 8000], [4510, 11025], [5420, 12000], [7230, 16000], [9970, 22050], [11220, 24000], [15250, 32000], [15960, 44100],
  ];
  let rate = 48000;
  for (const [limit, r] of thresholds) {
    if (lowpass <= limit) {
      rate = r;
      break;
    }
  }
  if (rate > inputRate) rate = [...MP3_RATES].reverse().find((r) => r <= inputRate) ?? 8000;
  if (!mp3BitratesAt(rate).includes(kbps)) {
    const candidates = MP3_RATES.filter((r) => mp3BitratesAt(r).includes(kbps));
    rate = candidates.reduce((best, r) => (Math.abs(r - rate) < Math.abs(best - rate) ? r : best), candidates[0]!);
  }
  return rate;
}

/** MP3: LAME CBR at the bitrate, joint stereo, LAME's recommended quality search (-q 2), LAME/Xing tag. */
export const mp3: AudioBaseline = new FfmpegAudioCodec({
  name: 'mp3',
  qualities: [8, 16, 24, 32, 48, 64, 96, 128],
  accepts: [...new Set([...MPEG2_KBPS, ...MPEG1_KBPS])].sort((a, b) => a - b),
  encoder: 'libmp3lame',
  encoderOptions: ['-compression_level', '2'],
  decoder: 'mp3float',
  maxChannels: 2,
  format: 'mp3',
  extension: 'mp3',
  extraMuxerOptions: ['-write_xing', '1', '-id3v2_version', '4'],
  primingSamples: 0,
  encodeRate: (audio, kbps) => mp3EncodeRate(audio.sampleRate, audio.channels.length, kbps),
});

/** Sample rates an ADTS header can name (7350 left out: nothing uses it). */
const ADTS_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000];

/**
 * AAC runs at the input rate (or the next rate ADTS can name). Lowering the rate at low bitrates,
 * as LAME does for MP3, was tried: it lands closer to the target bitrate but gives worse mel and
 * STFT distances at every bitrate from 24 kbit/s up on the test clips, so it is not done.
 */
export function aacEncodeRate(inputRate: number): number {
  return ADTS_RATES.find((r) => r >= inputRate) ?? 96000;
}

/**
 * AAC: ffmpeg's native AAC-LC encoder at an average bitrate, in ADTS (7 bytes of header per
 * 1024-sample frame). The decoder's 1024 priming samples are trimmed at decode. At 16-24 kbit/s
 * on stereo input the encoder overshoots its target (it cannot go lower at 44.1 kHz): the
 * measured size, not the target, is the rate.
 */
export const aac: AudioBaseline = new FfmpegAudioCodec({
  name: 'aac',
  qualities: [16, 24, 32, 48, 64, 96, 128],
  accepts: { min: 8, max: 512 },
  encoder: 'aac',
  encoderOptions: [],
  decoder: 'aac',
  maxChannels: 8,
  format: 'adts',
  extension: 'aac',
  extraMuxerOptions: ['-write_id3v2', '1'],
  primingSamples: 1024,
  encodeRate: (audio) => aacEncodeRate(audio.sampleRate),
});

/** The audio baselines by registry name. */
export const AUDIO_BASELINES: Readonly<Record<'opus' | 'mp3' | 'aac', AudioBaseline>> = {
  opus,
  mp3,
  aac,
};
