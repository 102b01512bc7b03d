/**
 * YUV4MPEG2 (Y4M): a text header line, then per frame a `FRAME` line and the raw planes.
 * lcodec reads every video through ffmpeg as a Y4M stream (the header carries the size and
 * frame rate ffmpeg settled on) and writes Y4M itself. 8-bit 4:2:0 (`C420*`, `C420` by
 * default) and 4:4:4 (`C444`) only; odd sizes use ⌈w/2⌉ × ⌈h/2⌉ chroma planes, as ffmpeg does.
 *
 * Header written here: `YUV4MPEG2 W<w> H<h> F<num>:<den> Ip A1:1 C420jpeg XYSCSS=420JPEG
 * XCOLORRANGE=LIMITED` (C444 / XYSCSS=444 for 4:4:4): progressive, square pixels, chroma
 * sited at the centre of its 2×2 block (see yuv.ts), limited range.
 */
import { InputError } from '../errors.js';
import { type ChromaFormat, type YuvFrame, yuvFrameBytes } from './yuv.js';

export interface Y4mHeader {
  width: number;
  height: number;
  fps: [number, number];
  chroma: ChromaFormat;
}

const MAGIC = 'YUV4MPEG2';
/** Longest header / FRAME line accepted (the spec has no limit; real headers are < 200 bytes). */
const MAX_LINE = 4096;

/** Parses a Y4M stream header line (without its newline). InputError if it is not one lcodec reads. */
export function parseY4mHeader(line: string, name = 'input'): Y4mHeader {
  const fields = line.split(' ').filter((f) => f.length > 0);
  if (fields[0] !== MAGIC) throw new InputError(`${name}: not a YUV4MPEG2 stream`);
  let width = NaN;
  let height = NaN;
  let fps: [number, number] = [25, 1]; // the Y4M default when F is absent
  let colorspace = '420jpeg';
  for (const f of fields.slice(1)) {
    const value = f.slice(1);
    switch (f[0]) {
      case 'W':
        width = Number(value);
        break;
      case 'H':
        height = Number(value);
        break;
      case 'F': {
        const [num, den] = value.split(':').map(Number);
        fps = [num, den];
        break;
      }
      case 'C':
        colorspace = value;
        break;
      case 'I':
        if (value !== 'p' && value !== '?') throw new InputError(`${name}: interlaced Y4M (I${value}) is not supported`);
        break;
      default: // A (aspect), X (extensions): not needed
    }
  }
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new InputError(`${name}: Y4M header has no valid size (${line.slice(0, 80)})`);
  }
  if (!(Number.isInteger(fps[0]) && fps[0] > 0 && Number.isInteger(fps[1]) && fps[1] > 0)) {
    throw new InputError(`${name}: Y4M header has no valid frame rate (${line.slice(0, 80)})`);
  }
  let chroma: ChromaFormat;
  if (/^420(jpeg|mpeg2|paldv)?$/.test(colorspace)) chroma = '420';
  else if (colorspace === '444') chroma = '444';
  else throw new InputError(`${name}: Y4M colour space C${colorspace} is not supported (8-bit 4:2:0 or 4:4:4 only)`);
  return { width, height, fps, chroma };
}

/** The header line (with its newline) lcodec writes. */
export function formatY4mHeader(h: Y4mHeader): string {
  const c = h.chroma === '420' ? 'C420jpeg XYSCSS=420JPEG' : 'C444 XYSCSS=444';
  return `${MAGIC} W${h.width} H${h.height} F${h.fps[0]}:${h.fps[1]} Ip A1:1 ${c} XCOLORRANGE=LIMITED\n`;
}

export const Y4M_FRAME_LINE = 'FRAME\n';

/**
 * Pulls bytes from an async source of chunks: whole lines, or exactly n bytes copied into a
 * fresh buffer. Holds at most one source chunk beyond what it has handed out.
 */
class ByteReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.chunk = next.value;
      this.pos = 0;
    }
    return true;
  }

  /** The next line without its '\n'; null at the end of the stream before any byte. */
  async line(name: string): Promise<string | null> {
    const parts: string[] = [];
    let length = 0;
    for (;;) {
      if (!(await this.fill())) {
        if (length === 0) return null;
        throw new InputError(`${name}: Y4M stream ends inside a header line`);
      }
      const nl = this.chunk.indexOf(0x0a, this.pos);
      const end = nl < 0 ? this.chunk.length : nl;
      length += end - this.pos;
      if (length > MAX_LINE) throw new InputError(`${name}: Y4M header line longer than ${MAX_LINE} bytes`);
      parts.push(Buffer.from(this.chunk.buffer, this.chunk.byteOffset + this.pos, end - this.pos).toString('latin1'));
      this.pos = end;
      if (nl >= 0) {
        this.pos++;
        return parts.join('');
      }
    }
  }

  /** Exactly n bytes; InputError if the stream ends first. */
  async bytes(n: number, name: string): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (!(await this.fill())) throw new InputError(`${name}: Y4M stream ends inside a frame (${filled} of ${n} bytes)`);
      const take = Math.min(n - filled, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), filled);
      filled += take;
      this.pos += take;
    }
    return out;
  }
}

export interface Y4mStream {
  header: Y4mHeader;
  /** The frames in order; one-shot. Memory: one frame plus one source chunk. */
  frames: AsyncGenerator<YuvFrame>;
}

/**
 * Parses a Y4M byte stream as it arrives. Resolves once the header is read; frames are read
 * only as the caller asks for them, so a source with back-pressure (a pipe) is never drained
 * ahead of the consumer.
 */
export async function parseY4mStream(source: AsyncIterable<Uint8Array>, name = 'input'): Promise<Y4mStream> {
  const iterator = source[Symbol.asyncIterator]();
  const reader = new ByteReader(iterator);
  const first = await reader.line(name);
  if (first === null) throw new InputError(`${name}: empty Y4M stream`);
  const header = parseY4mHeader(first, name);
  const size = yuvFrameBytes(header.width, header.height, header.chroma);
  async function* frames(): AsyncGenerator<YuvFrame> {
    try {
      for (;;) {
        const line = await reader.line(name);
        if (line === null) return;
        if (!line.startsWith('FRAME')) throw new InputError(`${name}: Y4M frame header expected, got ${JSON.stringify(line.slice(0, 20))}`);
        const data = await reader.bytes(size, name);
        yield { width: header.width, height: header.height, chroma: header.chroma, data };
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { header, frames: frames() };
}
