/**
 * `redis://[:password@]host:port[/db]` for `--queue`: parsed into connection options, and a
 * form safe to print. The password never leaves this module except inside the options
 * handed to the Redis client; every message that could hold it goes through `redact()`.
 */
import { UsageError } from '../errors.js';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL with any password replaced by `***`: what messages show. */
  display: string;
}

/**
 * Parses a `redis://` URL. `password` (e.g. from an environment variable, which `ps` does not
 * show as it shows arguments) is used when the URL carries none.
 */
export function parseRedisUrl(url: string, password?: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue: expected redis://[:password@]host:port[/db], got ${JSON.stringify(redactUrl(url))}`);
  }
  if (u.protocol !== 'redis:') {
    throw new UsageError(`--queue: expected a redis:// URL, got ${JSON.stringify(redactUrl(url))}`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`--queue: no host in ${redactUrl(url)}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isInteger(db) || db < 0) {
    throw new UsageError(`--queue: the database in ${redactUrl(url)} must be a number (e.g. redis://host:6379/0)`);
  }
  const username = u.username !== '' ? decodeURIComponent(u.username) : undefined;
  const pass = u.password !== '' ? decodeURIComponent(u.password) : password || undefined;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const auth = pass !== undefined ? `${username ?? ''}:***@` : username ? `${username}@` : '';
  return { host, port, db, username, password: pass, display: `redis://${auth}${shownHost}:${port}/${db}` };
}

/** Hides the password part of any URL in `text` (even one that does not parse). */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

/** `text` with redis URLs' passwords and the given password itself replaced by `***`. */
export function redact(text: string, password?: string): string {
  let out = redactUrl(text);
  if (password) {
    out = out.split(password).join('***');
    const encoded = encodeURIComponent(password);
    if (encoded !== password) out = out.split(encoded).join('***');
  }
  return out;
}

/** An error like `err` (same name, so exit codes hold) with secrets redacted from message and stack. */
export function redactError(err: unknown, password?: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const clean = new Error(redact(e.message, password));
  clean.name = e.name;
  clean.stack = e.stack ? redact(e.stack, password) : undefined;
  Object.setPrototypeOf(clean, Object.getPrototypeOf(e));
  return clean;
}
