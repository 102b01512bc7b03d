/** Which modality a file holds, from its first bytes (not its name). */
import { open } from 'node:fs/promises';
import type { Modality } from '../../codecs/types.js';

const ascii = (b: Uint8Array, at: number, s: string): boolean =>
  b.length >= at + s.length && [...s].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/** The modality of a file whose first bytes are `head` (≥ 16 bytes when available), or null. */
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
  // Audio
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'audio';
  if (ascii(b, 0, 'fLaC') || ascii(b, 0, 'OggS') || ascii(b, 0, 'ID3')) return 'audio';
  if (b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0) return 'audio'; // MPEG audio frame
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
    return sniffModality(await readFileHead(file, 32));
  } catch {
    return null;
  }
}
