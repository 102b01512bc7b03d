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
  return verbose && err.stack ? err.stack : `lcodec: ${err.message}`;
}
