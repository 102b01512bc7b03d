/**
 * The `.lc` container: a small versioned binary header, length-prefixed sections and a
 * CRC-32 over everything before it. Documented in docs/FORMAT.md. This is the one writer
 * and reader of the format; every modality and codec goes through it.
 */
import { InputError } from '../errors.js';
import { crc32 } from './crc32.js';

export const MAGIC = [0x4c, 0x43] as const; // "LC"
export const FORMAT_VERSION = 1;
const MODALITY_CODES = { image: 1, audio: 2, video: 3 } as const;
export type ContainerModality = keyof typeof MODALITY_CODES;

/** Limits that keep a damaged header from asking for absurd work or memory. */
const MAX_SHAPE_VALUES = 16;
const MAX_SECTIONS = 1 << 16;
const MAX_NAME = 255;

export interface Container {
  modality: ContainerModality;
  /** Model (codec) name, e.g. `hyperprior-mse`. */
  model: string;
  /** First 4 bytes of the model's weights hash, to refuse files from other weights. */
  modelHash: Uint8Array;
  quality: number;
  /** Modality-specific dimensions (image: width, height). Non-negative integers. */
  shape: number[];
  sections: Uint8Array[];
}

export class CorruptFileError extends InputError {
  override name = 'CorruptFileError';
}

export class UnsupportedFileError extends InputError {
  override name = 'UnsupportedFileError';
}

class Writer {
  private buf = new Uint8Array(256);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** LEB128 unsigned varint, up to 2^53. */
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`);
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }
  u32(v: number): void {
    this.byte(v >>> 24);
    this.byte(v >>> 16);
    this.byte(v >>> 8);
    this.byte(v);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly end: number) {}
  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new CorruptFileError(`truncated .lc file (while reading ${what})`);
  }
  byte(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  varint(what: string): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(what);
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 0x80;
    }
    throw new CorruptFileError(`corrupt .lc file (bad ${what})`);
  }
}

export function writeContainer(c: Container): Uint8Array {
  if (c.model.length === 0 || c.model.length > MAX_NAME || !/^[\x21-\x7e]+$/.test(c.model)) {
    throw new RangeError(`model name must be 1-${MAX_NAME} printable ASCII characters: ${c.model}`);
  }
  if (c.modelHash.length !== 4) throw new RangeError('modelHash must be 4 bytes');
  if (!Number.isInteger(c.quality) || c.quality < 0 || c.quality > 255) throw new RangeError(`quality out of range: ${c.quality}`);
  if (c.shape.length > MAX_SHAPE_VALUES) throw new RangeError('too many shape values');
  const w = new Writer();
  w.byte(MAGIC[0]);
  w.byte(MAGIC[1]);
  w.byte(FORMAT_VERSION);
  w.byte(MODALITY_CODES[c.modality]);
  w.byte(c.model.length);
  w.bytes(new TextEncoder().encode(c.model));
  w.bytes(c.modelHash);
  w.byte(c.quality);
  w.byte(c.shape.length);
  for (const v of c.shape) w.varint(v);
  w.varint(c.sections.length);
  for (const s of c.sections) {
    w.varint(s.length);
    w.bytes(s);
  }
  w.u32(crc32(w.result()));
  return w.result();
}

/** True when the bytes start like an `.lc` file (for content-based detection). */
export function looksLikeContainer(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === MAGIC[0] && bytes[1] === MAGIC[1];
}

/**
 * Parses and checks an `.lc` file. Throws CorruptFileError for damage (truncation, bad
 * CRC, inconsistent lengths) and UnsupportedFileError for a newer version or unknown
 * modality. Sections are views into `bytes`.
 */
export function readContainer(bytes: Uint8Array): Container {
  if (bytes.length === 0) throw new CorruptFileError('empty .lc file');
  if (!looksLikeContainer(bytes)) throw new CorruptFileError('not an .lc file (wrong magic)');
  if (bytes.length < 4 + 4) throw new CorruptFileError('truncated .lc file (header)');
  const version = bytes[2]!;
  if (version > FORMAT_VERSION) {
    throw new UnsupportedFileError(`.lc format version ${version} is newer than this lcodec supports (${FORMAT_VERSION}); upgrade lcodec`);
  }
  if (version === 0) throw new CorruptFileError('corrupt .lc file (version 0)');
  const end = bytes.length - 4;
  const stored = ((bytes[end]! << 24) | (bytes[end + 1]! << 16) | (bytes[end + 2]! << 8) | bytes[end + 3]!) >>> 0;
  if (crc32(bytes, 0, end) !== stored) throw new CorruptFileError('corrupt .lc file (checksum mismatch: the file is damaged or truncated)');

  const r = new Reader(bytes, end);
  r.pos = 3;
  const code = r.byte('modality');
  const modality = (Object.keys(MODALITY_CODES) as ContainerModality[]).find((k) => MODALITY_CODES[k] === code);
  if (!modality) throw new UnsupportedFileError(`unsupported modality code ${code} in .lc file`);
  const nameLen = r.byte('model name');
  if (nameLen === 0) throw new CorruptFileError('corrupt .lc file (empty model name)');
  const nameBytes = r.bytes(nameLen, 'model name');
  // The writer allows printable ASCII only; anything else is damage (and must never reach
  // a terminal through an error message).
  if (!nameBytes.every((b) => b >= 0x21 && b <= 0x7e)) throw new CorruptFileError('corrupt .lc file (model name is not printable ASCII)');
  const model = String.fromCharCode(...nameBytes);
  const modelHash = r.bytes(4, 'model hash').slice();
  const quality = r.byte('quality');
  const nShape = r.byte('shape');
  if (nShape > MAX_SHAPE_VALUES) throw new CorruptFileError('corrupt .lc file (shape)');
  const shape: number[] = [];
  for (let i = 0; i < nShape; i++) shape.push(r.varint('shape'));
  const nSections = r.varint('section count');
  if (nSections > MAX_SECTIONS) throw new CorruptFileError('corrupt .lc file (section count)');
  const sections: Uint8Array[] = [];
  for (let i = 0; i < nSections; i++) {
    const len = r.varint('section length');
    sections.push(r.bytes(len, 'section'));
  }
  if (r.pos !== end) throw new CorruptFileError('corrupt .lc file (trailing bytes before checksum)');
  return { modality, model, modelHash, quality, shape, sections };
}
