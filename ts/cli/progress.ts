// The progress bar on stderr (cli-progress), shown only when stderr is a terminal: rows read,
// rows/s and, when the total is known from the file's header or metadata, percentage and ETA.

import cliProgress from 'cli-progress';

export class Progress {
  private bar: cliProgress.SingleBar;
  private started = Date.now();
  private last = 0;

  constructor(private total: number | null) {
    const known = total !== null;
    this.bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: known
        ? 'lossfn eval |{bar}| {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}'
        : 'lossfn eval | {value} rows | {speed} rows/s',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 5,
      // Shown only on a terminal unless --progress forces it (then also into a pipe).
      noTTYOutput: true,
      notTTYSchedule: 1000,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(total ?? 0, 0, { speed: '0' });
  }

  private speed(rows: number): string {
    const s = (Date.now() - this.started) / 1000;
    return s > 0 ? Math.round(rows / s).toLocaleString('en-US') : '0';
  }

  update(rows: number): void {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.bar.update(this.total === null ? rows : Math.min(rows, this.total), { speed: this.speed(rows) });
  }

  /** Final state (rows) and stop; null: stop where it is (an error follows). */
  stop(rows: number | null): void {
    if (rows !== null) this.bar.update(this.total === null ? rows : Math.min(rows, this.total), { speed: this.speed(rows) });
    this.bar.stop();
  }
}
