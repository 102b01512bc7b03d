/**
 * The one module that checks options (after sharp's lib/is.js). Every failed check says the
 * same three things in the same shape, `<name> must be <expected>, not <actual>`, and throws
 * the error class of the caller's situation: UsageError for a command-line argument or API
 * option (exit code 1), InputError for what a file or media declares (exit code 2),
 * RangeError for a programming mistake.
 *
 * Values may come as numbers or, from the command line, as strings; a check returns the number.
 */
import { UsageError } from './errors.js';

export type ErrorClass = new (message: string) => Error;

/** The error of a failed check. */
export function invalid(name: string, expected: string, actual: unknown, Err: ErrorClass = UsageError): Error {
  return new Err(`${name} must be ${expected}, not ${typeof actual === 'string' ? actual : String(actual)}`);
}

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/** An integer, inside min..max when they are given. */
export function integer(name: string, value: unknown, min = -Infinity, max = Infinity, Err: ErrorClass = UsageError): number {
  const n = asNumber(value);
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  const range = Number.isFinite(min) && Number.isFinite(max) ? ` ${min}..${max}` : Number.isFinite(min) ? ` ≥ ${min}` : Number.isFinite(max) ? ` ≤ ${max}` : '';
  throw invalid(name, `an integer${range}`, value, Err);
}

/** A multiple of `step` in min..max. */
export function multipleOf(name: string, value: unknown, step: number, min: number, max: number, Err: ErrorClass = UsageError): number {
  const n = asNumber(value);
  if (Number.isInteger(n) && n >= min && n <= max && n % step === 0) return n;
  throw invalid(name, `a multiple of ${step} in ${min}..${max}`, value, Err);
}

/** One of the allowed values. */
export function oneOf<T extends string | number>(name: string, value: unknown, allowed: readonly T[], Err: ErrorClass = UsageError): T {
  const v = typeof allowed[0] === 'number' ? asNumber(value) : value;
  if (allowed.includes(v as T)) return v as T;
  throw invalid(name, describeValues(allowed), value, Err);
}

/** Allowed values in words: `an integer 0..9` for a run of consecutive integers, else `one of a, b, c` (`a or b`). */
export function describeValues(values: readonly (string | number)[]): string {
  const nums = values.every((v) => typeof v === 'number') ? (values as number[]) : undefined;
  if (nums && nums.length > 2 && nums.every((v, i) => Number.isInteger(v) && (i === 0 || v === nums[i - 1]! + 1))) {
    return `an integer ${nums[0]}..${nums[nums.length - 1]}`;
  }
  if (values.length === 2) return `${values[0]} or ${values[1]}`;
  return `one of ${values.join(', ')}`;
}

/** A finite number in min..max. */
export function inRange(name: string, value: unknown, min: number, max: number, Err: ErrorClass = UsageError): number {
  const n = asNumber(value);
  if (n >= min && n <= max) return n;
  throw invalid(name, `a number in ${min}..${max}`, value, Err);
}
