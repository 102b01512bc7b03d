/**
 * On-disk cache of per-item measurements, keyed by (item content hash, codec name, codec
 * version/config, quality): a re-run computes only what changed. One small JSON file per
 * key under `<dir>/<codec>/`; written atomically so parallel runs never see half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/** What one (item, codec, quality) measurement stores. */
export interface Measurement {
  /** Bitstream length in bytes. */
  bytes: number;
  /** Modality metrics (image: bpp, psnr, ms_ssim); NaN is stored as null. */
  metrics: Record<string, number>;
  enc_s: number;
  dec_s: number;
}

export interface CacheKey {
  item: string;
  codec: string;
  version: string;
  quality: number;
}

/** `$LCODEC_CACHE_DIR`, else `$XDG_CACHE_HOME/lcodec/eval`, else `~/.cache/lcodec/eval`. */
export function defaultCacheDir(): string {
  if (process.env.LCODEC_CACHE_DIR) return process.env.LCODEC_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'lcodec', 'eval');
}

export class ResultCache {
  constructor(readonly dir: string) {}

  private file(key: CacheKey): string {
    const digest = createHash('sha256')
      .update(JSON.stringify([key.item, key.codec, key.version, key.quality]))
      .digest('hex');
    return path.join(this.dir, key.codec, `${digest}.json`);
  }

  async get(key: CacheKey): Promise<Measurement | undefined> {
    try {
      const stored = JSON.parse(await readFile(this.file(key), 'utf8')) as { key: CacheKey; result: Measurement };
      // Guard against digest collisions and hand-edited files.
      if (JSON.stringify(stored.key) !== JSON.stringify(key)) return undefined;
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(stored.result.metrics)) metrics[k] = v === null ? NaN : v;
      return { ...stored.result, metrics };
    } catch {
      return undefined;
    }
  }

  async set(key: CacheKey, result: Measurement): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ key, result }));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
