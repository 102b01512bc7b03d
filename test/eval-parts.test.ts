import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricPlotPath, parseQualities } from '../src/cli/commands/eval.js';
import { progressBar } from '../src/cli/progress.js';
import { InputError, UsageError } from '../src/errors.js';
import { compareWithReference, defaultReferencePath, loadReferenceCurves } from '../src/eval/reference.js';
import type { EvalResults } from '../src/eval/types.js';
import { sniffModality } from '../src/io/detect.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lcodec-evalparts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--qualities parsing', () => {
  it('takes one list for all codecs, or lists per codec', () => {
    expect(parseQualities(['10,20, 30'])).toEqual([10, 20, 30]);
    expect(parseQualities(['jpeg=10,20', 'x265=15'])).toEqual({ jpeg: [10, 20], x265: [15] });
    expect(parseQualities(['jpeg=10;webp=5,6'])).toEqual({ jpeg: [10], webp: [5, 6] });
    expect(parseQualities(undefined)).toBeUndefined();
  });
  it('rejects malformed lists and mixing both forms', () => {
    expect(() => parseQualities(['ten'])).toThrow(UsageError);
    expect(() => parseQualities(['jpeg='])).toThrow(UsageError);
    expect(() => parseQualities(['10', 'jpeg=20'])).toThrow(/not both/);
  });
});

describe('--plot file names', () => {
  it('puts the MS-SSIM plot beside the PSNR one', () => {
    expect(metricPlotPath('rd.svg', 'ms_ssim')).toBe('rd-ms_ssim.svg');
    expect(metricPlotPath(path.join('out', 'kodak.svg'), 'ms_ssim')).toBe(path.join('out', 'kodak-ms_ssim.svg'));
    expect(metricPlotPath('rd', 'si_sdr')).toBe('rd-si_sdr.svg');
  });
});

describe('modality sniffing', () => {
  const bytes = (...parts: (string | number[])[]) =>
    new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
  it('recognises images, audio and video by content', () => {
    expect(sniffModality(bytes([0x89], 'PNG\r\n', [0x1a, 0x0a]))).toBe('image');
    expect(sniffModality(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('image');
    expect(sniffModality(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('image');
    expect(sniffModality(bytes([0, 0, 0, 0x1c], 'ftypavif'))).toBe('image');
    expect(sniffModality(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '))).toBe('audio');
    expect(sniffModality(bytes('fLaC'))).toBe('audio');
    expect(sniffModality(bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]))).toBe('audio'); // ADTS (.aac)
    expect(sniffModality(bytes('FORM', [0, 0, 0, 0], 'AIFF'))).toBe('audio');
    expect(sniffModality(bytes([0, 0, 0, 0x20], 'ftypM4A '))).toBe('audio'); // .m4a
    expect(sniffModality(bytes('YUV4MPEG2 W64'))).toBe('video');
    expect(sniffModality(bytes([0, 0, 0, 0x20], 'ftypisom'))).toBe('video');
    expect(sniffModality(bytes('hello, world'))).toBeNull();
    expect(sniffModality(new Uint8Array())).toBeNull();
  });
});

describe('progress bar', () => {
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 80, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream };
  };
  it('draws on a terminal and erases itself at the end', () => {
    const { writes, stream } = fakeStream(true);
    const bar = progressBar('eval', stream);
    bar.update(5, 10);
    bar.update(10, 10);
    bar.done();
    expect(writes.some((w) => w.includes('5/10'))).toBe(true);
    expect(writes.some((w) => w.includes('10/10'))).toBe(true);
    expect(writes[writes.length - 1]).toBe('\r\x1b[K');
  });
  it('writes nothing when not a terminal', () => {
    const { writes, stream } = fakeStream(false);
    const bar = progressBar('eval', stream);
    bar.update(1, 2);
    bar.done();
    expect(writes).toEqual([]);
  });
});

describe('reference curves', () => {
  const results: EvalResults = {
    modality: 'image',
    items: 1,
    anchor: 'jpeg',
    codecs: {
      // Exactly the published points at half the rate: −50 % by construction.
      jpeg: [
        { quality: 1, bpp: 0.25, psnr: 28, ms_ssim: 0.93, enc_s: 0, dec_s: 0 },
        { quality: 2, bpp: 0.5, psnr: 31, ms_ssim: 0.96, enc_s: 0, dec_s: 0 },
        { quality: 3, bpp: 1, psnr: 34, ms_ssim: 0.98, enc_s: 0, dec_s: 0 },
      ],
      mystery: [
        { quality: 1, bpp: 0.3, psnr: 29, ms_ssim: 0.94, enc_s: 0, dec_s: 0 },
        { quality: 2, bpp: 0.6, psnr: 32, ms_ssim: 0.97, enc_s: 0, dec_s: 0 },
      ],
    },
    bd_rate: {},
  };

  it('loads the CompressAI layout and compares each codec with its counterpart', async () => {
    const file = path.join(dir, 'ref.json');
    await writeFile(
      file,
      JSON.stringify({
        source: 'test',
        codecs: { jpeg: { name: 'JPEG', bpp: [0.5, 1, 2], psnr: [28, 31, 34], 'ms-ssim': [0.93, 0.96, 0.98] } },
      }),
    );
    const ref = await loadReferenceCurves(file);
    expect(ref.find((c) => c.id === 'jpeg')!.points.map((p) => p.ms_ssim)).toEqual([0.93, 0.96, 0.98]);
    const cmp = compareWithReference(results, ref);
    expect(cmp).toHaveLength(1); // `mystery` has no published counterpart
    expect(cmp[0].codec).toBe('jpeg');
    expect(cmp[0].psnr).toBeCloseTo(-50, 10);
    expect(cmp[0].ms_ssim).toBeCloseTo(-50, 10);
  });

  it('fails with InputError on a missing or malformed file', async () => {
    await expect(loadReferenceCurves(path.join(dir, 'none.json'))).rejects.toThrow(/not found/);
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ codecs: { x: { bpp: 'not numbers' } } }));
    await expect(loadReferenceCurves(bad)).rejects.toBeInstanceOf(InputError);
  });

  const shared = defaultReferencePath();
  it.skipIf(!existsSync(shared))('reads the published Kodak curves from ../shared/data when present', async () => {
    const ref = await loadReferenceCurves();
    expect(ref.find((c) => c.id === 'jpeg')!.points).toHaveLength(19);
    expect(ref.find((c) => c.id === 'bpg_444_x265_ycbcr')!.name).toMatch(/BPG/);
  });
  if (!existsSync(shared)) console.warn(`skipping published-curve test: ${shared} not found (../shared/data absent)`);
});
