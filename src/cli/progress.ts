/** A one-line progress bar on stderr, drawn only when stderr is a terminal (quiet when piped). */

export interface Progress {
  /** `unit` (e.g. `frames`) is shown after the count. */
  update(done: number, total: number, unit?: string): void;
  /** Erases the bar. */
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  const start = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number, unit: string | undefined) => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 40));
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const fill = Math.round(frac * width);
    const elapsed = (Date.now() - start) / 1000;
    const eta = done > 0 && done < total ? ` eta ${formatSeconds((elapsed / done) * (total - done))}` : '';
    stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}${unit ? ` ${unit}` : ''} ${formatSeconds(elapsed)}${eta}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total, unit) {
      const now = Date.now();
      if (now - last < 100 && done < total) return; // at most 10 redraws a second
      last = now;
      draw(done, total, unit);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
