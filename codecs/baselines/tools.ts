/**
 * Running external encoders (ffmpeg) for the baselines: a child process with bytes in on
 * stdin and bytes out on stdout, temp folders that are always removed, and a probe of which
 * encoders/decoders the installed ffmpeg has.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { ffmpegPath } from '../../src/io/ffmpeg.js';

const execFileAsync = promisify(execFile);

export { ffmpegPath };

export class ToolError extends Error {
  override name = 'ToolError';
}

/**
 * Runs `cmd args`, writing `stdin` (if any) to its standard input, and resolves with its
 * standard output. Rejects with the tail of stderr when it exits non-zero.
 */
export function runTool(cmd: string, args: readonly string[], stdin?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new ToolError(e.code === 'ENOENT' ? `${cmd} not found: install it (Debian: apt-get install -y ffmpeg)` : e.message));
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(Buffer.concat(out));
        return;
      }
      const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' | ');
      reject(new ToolError(`${path.basename(cmd)} failed (${signal ?? `exit ${code}`}): ${tail || 'no message'}`));
    });
    // A tool that exits early closes its stdin: EPIPE here is reported through 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

/** Runs `fn` with a fresh temp folder that is removed afterwards, whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lcodec-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface FfmpegCaps {
  version: string;
  encoders: Set<string>;
  decoders: Set<string>;
}

let capsPromise: Promise<FfmpegCaps> | undefined;

/** ffmpeg's version line and its encoder/decoder names (probed once per process). */
export function ffmpegCapabilities(): Promise<FfmpegCaps> {
  capsPromise ??= (async () => {
    const run = async (arg: string) => (await execFileAsync(ffmpegPath(), ['-hide_banner', arg])).stdout;
    let versionText: string;
    try {
      versionText = (await execFileAsync(ffmpegPath(), ['-version'])).stdout;
    } catch {
      throw new ToolError('ffmpeg not found: install it (Debian: apt-get install -y ffmpeg) or set LCODEC_FFMPEG');
    }
    const names = (text: string) =>
      new Set(
        text
          .split('\n')
          .map((line) => /^\s*[VAS.][A-Z.]{5}\s+(\S+)/.exec(line)?.[1])
          .filter((n): n is string => n !== undefined),
      );
    return {
      version: versionText.split('\n')[0].trim(),
      encoders: names(await run('-encoders')),
      decoders: names(await run('-decoders')),
    };
  })();
  capsPromise.catch(() => {
    capsPromise = undefined;
  });
  return capsPromise;
}

/** Throws a clear error unless ffmpeg has the given encoder and decoder. */
export async function requireFfmpegCodec(encoder: string, decoder: string, codecName: string): Promise<FfmpegCaps> {
  const caps = await ffmpegCapabilities();
  if (!caps.encoders.has(encoder) || !caps.decoders.has(decoder)) {
    throw new ToolError(
      `codec ${codecName} needs ffmpeg with the ${encoder} encoder and ${decoder} decoder (${caps.version}); ` +
        'Debian: apt-get install -y ffmpeg',
    );
  }
  return caps;
}
