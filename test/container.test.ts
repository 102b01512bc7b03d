import { describe, expect, it } from 'vitest';
import { crc32 } from '../src/container/crc32.js';
import { CorruptFileError, UnsupportedFileError, readContainer, writeContainer, type Container } from '../src/container/index.js';

const sample: Container = {
  modality: 'image',
  model: 'hyperprior-mse',
  modelHash: Uint8Array.of(1, 2, 3, 4),
  quality: 5,
  shape: [768, 512, 1024],
  sections: [Uint8Array.of(9, 8, 7), new Uint8Array(0), new Uint8Array(300).fill(42)],
};

describe('.lc container', () => {
  it('round-trips every field', () => {
    const back = readContainer(writeContainer(sample));
    expect(back.modality).toBe('image');
    expect(back.model).toBe('hyperprior-mse');
    expect([...back.modelHash]).toEqual([1, 2, 3, 4]);
    expect(back.quality).toBe(5);
    expect(back.shape).toEqual([768, 512, 1024]);
    expect(back.sections.map((s) => [...s])).toEqual(sample.sections.map((s) => [...s]));
  });

  it('keeps the header small', () => {
    const empty = writeContainer({ ...sample, sections: [] });
    expect(empty.length).toBeLessThanOrEqual(40);
  });

  it('round-trips large shape values (varints up to 2^40)', () => {
    const back = readContainer(writeContainer({ ...sample, shape: [0, 127, 128, 2 ** 40] }));
    expect(back.shape).toEqual([0, 127, 128, 2 ** 40]);
  });

  it('refuses wrong magic, empty input and every truncation', () => {
    const bytes = writeContainer(sample);
    expect(() => readContainer(new Uint8Array(0))).toThrow(CorruptFileError);
    expect(() => readContainer(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0))).toThrow(/wrong magic/);
    for (let n = 1; n < bytes.length; n++) expect(() => readContainer(bytes.subarray(0, n))).toThrow(CorruptFileError);
  });

  it('detects every single-bit flip', () => {
    const bytes = writeContainer(sample);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const bad = bytes.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      expect(() => readContainer(bad)).toThrow();
    }
  });

  it('refuses a model name that is not printable ASCII, even with a valid CRC', () => {
    const bytes = writeContainer(sample);
    const at = 5 + 'hyperprior'.length; // the '-' of the name
    for (const b of [0x0a, 0x0d, 0x1b, 0x00, 0x7f, 0x80, 0x20]) {
      const bad = bytes.slice();
      bad[at] = b;
      const end = bad.length - 4;
      const crc = crc32(bad, 0, end);
      bad.set([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255], end);
      expect(() => readContainer(bad)).toThrow(/model name is not printable ASCII/);
    }
  });

  it('refuses a newer format version with a clear message', () => {
    const bytes = writeContainer(sample);
    bytes[2] = 9;
    expect(() => readContainer(bytes)).toThrow(UnsupportedFileError);
    expect(() => readContainer(bytes)).toThrow(/newer/);
  });

  it('rejects invalid fields on writing', () => {
    expect(() => writeContainer({ ...sample, model: '' })).toThrow(RangeError);
    expect(() => writeContainer({ ...sample, quality: 300 })).toThrow(RangeError);
    expect(() => writeContainer({ ...sample, modelHash: new Uint8Array(3) })).toThrow(RangeError);
  });
});
