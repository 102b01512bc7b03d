/**
 * What the keys of an RD point mean to a reader: labels, units, which direction is better,
 * how many decimals to print. Unknown keys get a readable fallback, so a new metric added by
 * evaluation shows up in the report without touching this file.
 */

export interface MetricInfo {
  key: string;
  /** Short column header, e.g. `PSNR [dB]`. */
  header: string;
  /** Full axis label, e.g. `PSNR (RGB) [dB]`. */
  axisLabel: string;
  /** Short name for titles, e.g. `PSNR`. */
  name: string;
  lowerIsBetter: boolean;
  /** Decimals in tables; undefined: chosen from the column's magnitude. */
  decimals?: number;
  /** Maps a stored value to the plotted one (identity except MS-SSIM in dB). */
  toAxis: (value: number) => number;
}

const identity = (value: number): number => value;

/** −10·log10(1 − MS-SSIM): spreads the values near 1 where codecs differ, as papers plot it. */
export function msSsimToDb(value: number): number {
  return -10 * Math.log10(1 - value);
}

interface Known {
  header: string;
  axisLabel: string;
  name: string;
  lowerIsBetter?: boolean;
  decimals?: number;
}

const KNOWN: Record<string, Known> = {
  quality: { header: 'Quality', axisLabel: 'Quality', name: 'Quality', decimals: 0 },
  bpp: { header: 'bpp', axisLabel: 'Rate [bits per pixel]', name: 'Rate', decimals: 4 },
  kbps: { header: 'kbit/s', axisLabel: 'Bitrate [kbit/s]', name: 'Bitrate', decimals: 2 },
  psnr: { header: 'PSNR [dB]', axisLabel: 'PSNR (RGB) [dB]', name: 'PSNR', decimals: 2 },
  psnr_rgb: { header: 'PSNR-RGB [dB]', axisLabel: 'PSNR (RGB) [dB]', name: 'PSNR-RGB', decimals: 2 },
  psnr_y: { header: 'PSNR-Y [dB]', axisLabel: 'PSNR (Y) [dB]', name: 'PSNR-Y', decimals: 2 },
  ms_ssim: { header: 'MS-SSIM', axisLabel: 'MS-SSIM', name: 'MS-SSIM', decimals: 4 },
  ssim: { header: 'SSIM', axisLabel: 'SSIM', name: 'SSIM', decimals: 4 },
  si_sdr: { header: 'SI-SDR [dB]', axisLabel: 'SI-SDR [dB]', name: 'SI-SDR', decimals: 2 },
  snr: { header: 'SNR [dB]', axisLabel: 'SNR [dB]', name: 'SNR', decimals: 2 },
  mel_distance: { header: 'Mel dist.', axisLabel: 'Mel distance', name: 'Mel distance', lowerIsBetter: true },
  stft_distance: { header: 'STFT dist.', axisLabel: 'STFT distance', name: 'STFT distance', lowerIsBetter: true },
  lpips: { header: 'LPIPS', axisLabel: 'LPIPS', name: 'LPIPS', lowerIsBetter: true, decimals: 4 },
  enc_s: { header: 'Encode [s]', axisLabel: 'Encode time [s]', name: 'Encode time', lowerIsBetter: true },
  dec_s: { header: 'Decode [s]', axisLabel: 'Decode time [s]', name: 'Decode time', lowerIsBetter: true },
};

/** Distances, errors and losses: smaller is better. */
const LOWER_IS_BETTER = /(^|_)(distance|dist|mse|rmse|mae|lpips|dists|error|err|loss)(_|$)/i;

function readable(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words.length > 0 ? words.charAt(0).toUpperCase() + words.slice(1) : key;
}

/**
 * Describes a point key. `ms_ssim_db` is MS-SSIM in dB (what `renderRdSvg` plots for
 * `ms_ssim` unless told otherwise); its stored key is still `ms_ssim`.
 */
export function metricInfo(key: string): MetricInfo {
  if (key === 'ms_ssim_db') {
    return {
      key,
      header: 'MS-SSIM [dB]',
      axisLabel: 'MS-SSIM [dB] = \u221210\u00B7log\u2081\u2080(1 \u2212 MS-SSIM)',
      name: 'MS-SSIM (dB)',
      lowerIsBetter: false,
      decimals: 2,
      toAxis: msSsimToDb,
    };
  }
  const known = KNOWN[key];
  if (known !== undefined) {
    return { key, ...known, lowerIsBetter: known.lowerIsBetter ?? false, toAxis: identity };
  }
  const name = readable(key);
  const seconds = /_s$/.test(key);
  return {
    key,
    header: seconds ? `${readable(key.slice(0, -2))} [s]` : name,
    axisLabel: seconds ? `${readable(key.slice(0, -2))} [s]` : name,
    name,
    lowerIsBetter: seconds || LOWER_IS_BETTER.test(key),
    toAxis: identity,
  };
}

/** Keys of a point that are not distortion metrics: the knob, rates, sizes, timings. */
const NOT_A_METRIC = new Set([
  'quality', 'lambda', 'bpp', 'kbps', 'bits', 'bytes', 'size', 'width', 'height', 'frames',
  'duration', 'duration_s', 'sample_rate', 'items', 'count', 'n',
]);

export function isRateKey(key: string): boolean {
  return key === 'bpp' || key === 'kbps';
}

/** True for keys worth an RD plot of their own. */
export function isDistortionMetric(key: string): boolean {
  return !NOT_A_METRIC.has(key) && !/(_s|_ms|_sec|time)$/.test(key) && !/^(enc|dec)_/.test(key);
}

/** Column order in tables and plot order in the report: knob, rates, metrics, then timings. */
const ORDER = [
  'quality', 'bpp', 'kbps', 'psnr', 'psnr_rgb', 'psnr_y', 'ms_ssim', 'ssim', 'lpips',
  'mel_distance', 'stft_distance', 'si_sdr', 'snr',
];
const TIMINGS = ['enc_s', 'dec_s'];

function rank(key: string): number {
  const known = ORDER.indexOf(key);
  if (known >= 0) return known;
  if (isDistortionMetric(key)) return ORDER.length;
  const timing = TIMINGS.indexOf(key);
  if (timing >= 0) return ORDER.length + 2 + timing;
  return /(_s|_ms|_sec|time)$/.test(key) ? ORDER.length + 2 + TIMINGS.length : ORDER.length + 1;
}

export function compareKeys(a: string, b: string): number {
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
