// Progress on a terminal: one redrawn line with a bar, steps/s and ETA (at most ~10 redraws/s).
export class ProgressBar {
  private last = 0;
  private readonly start = performance.now();

  constructor(private readonly total: number, private readonly startStep: number, private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }) {}

  update(step: number, extra: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const done = step - this.startStep;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (this.total - step) / rate : 0;
    const width = 24;
    const filled = Math.round((step / this.total) * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.out.write(`\r\x1b[2K${bar} ${step}/${this.total} ${rate.toFixed(0)} steps/s ETA ${formatDuration(eta)} ${extra}`);
  }

  clear(): void {
    this.out.write('\r\x1b[2K');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
