/** The portable SHA-256 (src/container/sha256.ts) agrees with Node's OpenSSL one. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256 } from '../src/container/sha256.js';
import { xorshift32 } from './helpers/synthetic.js';

const reference = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = xorshift32(s)) & 0xff;
  return out;
}

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto at every length around the block and padding boundaries, and on 1 MB', () => {
    for (let n = 0; n <= 200; n++) {
      const b = bytes(n, n + 1);
      expect(sha256(b), `length ${n}`).toBe(reference(b));
    }
    const big = bytes(1 << 20, 7);
    expect(sha256(big)).toBe(reference(big));
  });

  it('gives the same digest however the input is split into updates', () => {
    const b = bytes(1000, 3);
    let seed = 11;
    for (let trial = 0; trial < 20; trial++) {
      const h = new Sha256();
      for (let at = 0; at < b.length; ) {
        seed = xorshift32(seed);
        const n = Math.min(b.length - at, seed % 150);
        h.update(b.subarray(at, at + n));
        at += n;
      }
      expect(h.digest()).toBe(reference(b));
    }
  });
});
