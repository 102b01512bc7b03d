/**
 * The one error the entropy layer throws for bad *input bytes*: a truncated, corrupted or
 * foreign bitstream. Callers (container, CLI) map it to "corrupt input" (exit code 2).
 *
 * Mistakes in the *calling code* (mismatched array lengths, a table index out of range,
 * a malformed CDF) are programming errors and throw TypeError/RangeError instead, so a
 * damaged file is never confused with a bug.
 */
export class EntropyDecodeError extends Error {
  override name = 'EntropyDecodeError';
}
