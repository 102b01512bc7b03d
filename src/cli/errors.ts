import { InputError, InterruptedError, UsageError } from '../errors.js';

/** Exit codes (README, docs/EVAL.md): 1 usage error, 2 invalid/unsupported/corrupt input, 130 interrupted (as a shell reports SIGINT). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return 1;
  if (err instanceof InputError) return 2;
  if (err instanceof InterruptedError) return 130;
  if (err instanceof Error && err.name === 'EntropyDecodeError') return 2;
  return 1;
}

export function formatError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `lcodec: ${String(err)}`;
  if (verbose && err.stack) return err.stack;
  // One line, whatever a library put in the message (libvips joins its errors with newlines).
  // Control characters (from names inside damaged files, say) are shown escaped.
  const line = err.message.trim().split(/\s*\n\s*/).join('; ');
  return `lcodec: ${line.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) || err.name}`;
}
