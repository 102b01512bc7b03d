import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIO_BASELINES, PCM_TAG, aacEncodeRate, mp3EncodeRate } from '../codecs/baselines/audio.js';
import type { Audio } from '../src/media.js';
import { InputError } from '../src/errors.js';
import { audioDuration, detectAudioFormat, readAudio } from '../src/io/audio.js';
import { audioMetrics, kbps } from '../src/metrics/audio.js';
import { audioTestDir } from './helpers/data.js';
import { bestLag, musicLike } from './helpers/signals.js';

const CONTAINER = { opus: 'ogg', mp3: 'mp3', aac: 'aac' } as const;

function expectShape(decoded: Audio, source: Audio): void {
  expect(decoded.sampleRate).toBe(source.sampleRate);
  expect(decoded.channels).toHaveLength(source.channels.length);
  for (const c of decoded.channels) expect(c.length).toBe(source.channels[0]!.length);
}

describe.each(Object.values(AUDIO_BASELINES))('$name baseline', (codec) => {
  const mono16k = musicLike(16000, 2, 1);
  const stereo44k = musicLike(44100, 2, 2);

  it('declares ascending bitrates as qualities', () => {
    expect(codec.modality).toBe('audio');
    expect(codec.qualities.length).toBeGreaterThan(4);
    expect([...codec.qualities].sort((a, b) => a - b)).toEqual([...codec.qualities]);
  });

  it('round-trips mono 16 kHz and stereo 44.1 kHz to the exact rate, channels and length', async () => {
    for (const source of [mono16k, stereo44k]) {
      const bytes = await codec.encode(source, 32);
      expectShape(await codec.decode(bytes), source);
    }
  });

  it('writes a complete standard file whose size is the rate, near the target bitrate', async () => {
    const bytes = await codec.encode(stereo44k, 32);
    // The bitstream is the file itself: a player (here ffmpeg via readAudio) opens it as is.
    expect(detectAudioFormat(bytes)).toBe(CONTAINER[codec.name as keyof typeof CONTAINER]);
    const asFile = await readAudio(bytes);
    expect(Math.abs(audioDuration(asFile) - 2)).toBeLessThan(0.1);
    expect(Buffer.from(bytes).includes(Buffer.from(PCM_TAG))).toBe(true);
    const measured = kbps(bytes.length * 8, audioDuration(stereo44k));
    expect(measured).toBeGreaterThan(32 * 0.75);
    expect(measured).toBeLessThan(32 * 1.3);
  });

  it('decodes time-aligned with the input (cross-correlation peak at lag 0)', async () => {
    for (const source of [mono16k, stereo44k]) {
      const decoded = await codec.decode(await codec.encode(source, 64));
      // Opus stereo coding shifts its output by 2-3 samples at 20-48 kbit/s (see docs/METRICS.md);
      // mono, and MP3/AAC in both layouts, are exact.
      const tolerance = codec.name === 'opus' && source.channels.length === 2 ? 3 : 0;
      source.channels.forEach((c, i) => {
        expect(Math.abs(bestLag(c, decoded.channels[i]!, 200))).toBeLessThanOrEqual(tolerance);
      });
    }
  });

  it('more bits give a closer mel spectrum', async () => {
    const low = codec.qualities[0]!;
    const high = codec.qualities[codec.qualities.length - 1]!;
    const lowM = audioMetrics(mono16k, await codec.decode(await codec.encode(mono16k, low)));
    const highM = audioMetrics(mono16k, await codec.decode(await codec.encode(mono16k, high)));
    expect(highM.mel_distance).toBeLessThan(lowM.mel_distance);
    expect(highM.stft_distance).toBeLessThan(lowM.stft_distance);
  });

  it('rejects bad qualities, empty audio and corrupt streams', async () => {
    await expect(codec.encode(mono16k, 1)).rejects.toThrow(RangeError);
    await expect(codec.encode({ sampleRate: 16000, channels: [new Float32Array(0)] }, 32)).rejects.toThrow(InputError);
    await expect(codec.decode(new Uint8Array(0))).rejects.toThrow(InputError);
    await expect(codec.decode(new TextEncoder().encode('definitely not a compressed audio stream'))).rejects.toThrow(InputError);
  });
});

describe('baseline specifics', () => {
  it('mp3 refuses more than two channels', async () => {
    const three = musicLike(16000, 0.2, 3);
    await expect(AUDIO_BASELINES.mp3.encode(three, 64)).rejects.toThrow(/at most 2 channels/);
  });

  it('mp3 picks the sample rate LAME would, within what the MPEG version allows', () => {
    expect(mp3EncodeRate(44100, 1, 8)).toBe(8000);
    expect(mp3EncodeRate(44100, 2, 32)).toBe(16000);
    expect(mp3EncodeRate(44100, 2, 128)).toBe(44100);
    expect(mp3EncodeRate(16000, 1, 128)).toBe(16000);
    // 128 kbit/s does not exist in MPEG-2.5 (8-12 kHz): the nearest rate that has it.
    expect(mp3EncodeRate(8000, 1, 128)).toBe(16000);
    // 8 kbit/s does not exist in MPEG-1 (32-48 kHz).
    expect(mp3EncodeRate(48000, 2, 8)).toBe(8000);
  });

  it('aac runs at the input rate, or the next rate ADTS can signal', () => {
    expect(aacEncodeRate(44100)).toBe(44100);
    expect(aacEncodeRate(37800)).toBe(44100);
  });
});

describe('baselines on a real clip', () => {
  const dir = audioTestDir();
  it.skipIf(!dir)('opus at 12 kbit/s on VCTK speech: mel distance in a plausible range', async () => {
    const clip = await readAudio(join(dir!, 'speech_vctk_p287_003.wav'));
    const bytes = await AUDIO_BASELINES.opus.encode(clip, 12);
    const decoded = await AUDIO_BASELINES.opus.decode(bytes);
    const m = audioMetrics(clip, decoded);
    // Measured 0.88 (SI-SDR 12.0 dB) with libopus 1.3.1; a silent or misaligned decode scores > 3.
    expect(m.mel_distance).toBeGreaterThan(0.4);
    expect(m.mel_distance).toBeLessThan(1.5);
    expect(m.si_sdr).toBeGreaterThan(5);
    expect(kbps(bytes.length * 8, audioDuration(clip))).toBeLessThan(14);
  });
});
