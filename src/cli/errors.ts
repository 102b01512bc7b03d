import { InputError, UsageError } from '../errors.js';

/** Exit codes per the SPEC: 1 usage error, 2 invalid/unsupported/corrupt input. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return 1;
  if (err instanceof InputError) return 2;
  if (err instanceof Error && err.name === 'EntropyDecodeError') return 2;
  return 1;
}

export function formatError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `lcodec: ${String(err)}`;
  if (verbose && err.stack) return err.stack;
  // One line, whatever a library put in the message (libvips joins its errors with newlines).
  return `lcodec: ${err.message.trim().split(/\s*\n\s*/).join('; ') || err.name}`;
}
