/**
 * The baselines' faithfulness bar on all 24 Kodak images (docs/BASELINES.md): the project's
 * `jpeg` within ±3 % BD-rate (PSNR) of the published JPEG curve, its `x265` within ±5 % of
 * the published BPG curve. Takes minutes, so it runs only with LCODEC_SLOW=1 and when
 * ../shared/data is present:
 *
 *     npm run build && LCODEC_SLOW=1 npx vitest run test/faithfulness.test.ts
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareWithReference, defaultReferencePath, loadReferenceCurves } from '../src/eval/reference.js';
import type { EvalResults } from '../src/eval/types.js';
import { ensureBuilt, ROOT, runCli } from './helpers/cli.js';

const KODAK = path.join(ROOT, '..', 'shared', 'data', 'images', 'kodak');
const enabled = process.env.LCODEC_SLOW === '1' && existsSync(KODAK) && existsSync(defaultReferencePath());
if (!enabled) {
  console.warn(
    process.env.LCODEC_SLOW === '1'
      ? `skipping faithfulness test: ${KODAK} or the published curves are absent`
      : 'skipping faithfulness test (minutes on all of Kodak): set LCODEC_SLOW=1 to run it',
  );
}

describe.skipIf(!enabled)('baseline faithfulness on Kodak', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('jpeg within ±3 % of published JPEG, x265 within ±5 % of published BPG (PSNR BD-rate)', async () => {
    const run = await runCli(['eval', KODAK, '--codecs', 'jpeg,x265', '--jobs', '2', '--out', '-']);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as EvalResults;
    expect(results.items).toBe(24);
    const cmp = compareWithReference(results, await loadReferenceCurves());
    const jpeg = cmp.find((c) => c.codec === 'jpeg')!;
    const x265 = cmp.find((c) => c.codec === 'x265')!;
    expect(jpeg.reference).toBe('jpeg');
    expect(x265.reference).toBe('bpg_444_x265_ycbcr');
    expect(Math.abs(jpeg.psnr!)).toBeLessThanOrEqual(3);
    expect(Math.abs(x265.psnr!)).toBeLessThanOrEqual(5);
  }, 1_800_000);
});
