/** Which modality a file holds, and which audio format, from its first bytes (not its name). */
import { open } from 'node:fs/promises';
import type { Modality } from '../media.js';

const ascii = (b: Uint8Array, at: number, s: string): boolean =>
  b.length >= at + s.length && [...s].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/** Containers and streams recognised by their first bytes. */
export type AudioFormat =
  | 'wav'
  | 'rf64'
  | 'w64'
  | 'flac'
  | 'ogg'
  | 'mp3'
  | 'aac'
  | 'mp4'
  | 'aiff'
  | 'caf'
  | 'au'
  | 'matroska'
  | 'asf'
  | 'avi'
  | 'amr'
  | 'wavpack'
  | 'ape';

/** How many leading bytes detection looks at. */
export const SNIFF_BYTES = 4096;

/** An MPEG-1/2/2.5 audio frame header (layer I-III) at `at`, checked field by field. */
function isMpegAudioFrame(b: Uint8Array, at: number): boolean {
  if (at + 4 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return false;
  const version = (b[at + 1]! >> 3) & 3; // 1 is reserved
  const layer = (b[at + 1]! >> 1) & 3; // 0 is reserved (and means ADTS when the sync is 12 bits)
  const bitrateIndex = b[at + 2]! >> 4;
  const rateIndex = (b[at + 2]! >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrateIndex !== 15 && rateIndex !== 3;
}

/** An ADTS (AAC) frame header at `at`. */
function isAdtsFrame(b: Uint8Array, at: number): boolean {
  if (at + 7 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xf6) !== 0xf0) return false;
  const rateIndex = (b[at + 2]! >> 2) & 0xf;
  return rateIndex < 13;
}

/**
 * Recognises an audio container or stream from its first bytes (give at least SNIFF_BYTES
 * where the file has them). Undefined when the bytes match nothing known.
 */
export function detectAudioFormat(head: Uint8Array): AudioFormat | undefined {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI ')) return 'avi';
  if (ascii(head, 0, 'RF64') && ascii(head, 8, 'WAVE')) return 'rf64';
  if (ascii(head, 0, 'riff') && ascii(head, 24, 'wave')) return 'w64';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, 'OggS')) return 'ogg';
  if (ascii(head, 4, 'ftyp')) return 'mp4';
  if (ascii(head, 0, 'FORM') && (ascii(head, 8, 'AIFF') || ascii(head, 8, 'AIFC'))) return 'aiff';
  if (ascii(head, 0, 'caff')) return 'caf';
  if (ascii(head, 0, '.snd')) return 'au';
  if (ascii(head, 0, '#!AMR')) return 'amr';
  if (ascii(head, 0, 'wvpk')) return 'wavpack';
  if (ascii(head, 0, 'MAC ')) return 'ape';
  if (ascii(head, 0, 'ADIF')) return 'aac';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'matroska';
  if (head[0] === 0x30 && head[1] === 0x26 && head[2] === 0xb2 && head[3] === 0x75) return 'asf';
  if (ascii(head, 0, 'ID3') && head.length >= 10) {
    // ID3v2 precedes MP3 (and sometimes ADTS or FLAC): look past it when the head reaches.
    const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
    const after = 10 + size + (head[5]! & 0x10 ? 10 : 0);
    if (after + 4 <= head.length) return detectAudioFormat(head.subarray(after)) ?? 'mp3';
    return 'mp3';
  }
  if (isMpegAudioFrame(head, 0)) return 'mp3';
  if (isAdtsFrame(head, 0)) return 'aac';
  return undefined;
}

/** Names common non-audio content, for a clear error; undefined when nothing matched. */
export function describeNonAudio(head: Uint8Array): string | undefined {
  if (head[0] === 0x89 && ascii(head, 1, 'PNG')) return 'a PNG image';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'a JPEG image';
  if (ascii(head, 0, 'GIF8')) return 'a GIF image';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'a WebP image';
  if (ascii(head, 0, 'YUV4MPEG2')) return 'a Y4M video (no audio)';
  if (ascii(head, 0, '%PDF')) return 'a PDF document';
  if (ascii(head, 0, 'PK\u0003\u0004')) return 'a ZIP archive';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'a gzip archive';
  if (head[0] === 0x7f && ascii(head, 1, 'ELF')) return 'an executable';
  const n = Math.min(head.length, 512);
  let printable = n > 0;
  for (let i = 0; i < n && printable; i++) {
    const c = head[i]!;
    printable = c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127);
  }
  return printable ? 'a text file' : undefined;
}

/** Containers detectAudioFormat knows that usually carry video: they count as video. */
const VIDEO_CONTAINERS: ReadonlySet<AudioFormat> = new Set(['mp4', 'matroska', 'avi']);

/**
 * The modality of a file whose first bytes are `head` (give SNIFF_BYTES where the file has
 * them: an ID3 tag is looked past), or null.
 */
export function sniffModality(head: Uint8Array): Modality | null {
  const b = head;
  // Images
  if (b[0] === 0x89 && ascii(b, 1, 'PNG')) return 'image';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image'; // JPEG
  if (ascii(b, 0, 'GIF8')) return 'image';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image';
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*')) return 'image'; // TIFF
  if (ascii(b, 0, 'BM') && b.length >= 14) return 'image';
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x37 && (b[2] === 0x0a || b[2] === 0x20 || b[2] === 0x0d)) return 'image'; // PNM
  if (b[0] === 0xff && b[1] === 0x0a) return 'image'; // JPEG XL codestream
  if (ascii(b, 4, 'JXL ')) return 'image'; // JPEG XL container
  if (ascii(b, 4, 'ftyp') && ['avif', 'avis', 'heic', 'heix', 'mif1', 'msf1'].some((brand) => ascii(b, 8, brand))) {
    return 'image';
  }
  // Audio: what detectAudioFormat recognises, except video containers; MP4 with an audio brand (.m4a).
  const audio = detectAudioFormat(b);
  if (audio !== undefined && !VIDEO_CONTAINERS.has(audio)) return 'audio';
  if (audio === 'mp4' && /^M4[ABP] $/.test(String.fromCharCode(...b.subarray(8, 12)))) return 'audio';
  // Video
  if (ascii(b, 0, 'YUV4MPEG2')) return 'video';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video'; // Matroska / WebM
  if (ascii(b, 4, 'ftyp')) return 'video'; // MP4 / MOV (image brands handled above)
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return 'video';
  if (ascii(b, 0, 'FLV') && b[3] === 1) return 'video';
  return null;
}

/** The first `bytes` bytes of a file (all of it when it is shorter). */
export async function readFileHead(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(head, 0, bytes, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Reads the first bytes of `file` and sniffs its modality; null if unknown or unreadable. */
export async function detectFileModality(file: string): Promise<Modality | null> {
  try {
    return sniffModality(await readFileHead(file, SNIFF_BYTES));
  } catch {
    return null;
  }
}
