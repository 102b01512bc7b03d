/**
 * Errors a user can act on. InputError (and its subclasses) means invalid, unsupported or
 * corrupt input: the CLI exits with code 2. UsageError: bad arguments, exit code 1.
 * InterruptedError: stopped on purpose (Ctrl-C) after cleaning up, exit code 130.
 */
export class InputError extends Error {
  override name = 'InputError';
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export class InterruptedError extends Error {
  override name = 'InterruptedError';
}
