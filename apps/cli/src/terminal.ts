import { styleText } from 'node:util';
import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import ora, { type Ora } from 'ora';

type Style = Parameters<typeof styleText>[0];

/**
 * Where the CLI writes: results to stdout, progress, warnings and errors to
 * stderr. Colour only on a TTY and never with NO_COLOR (util.styleText checks
 * both, and FORCE_COLOR); progress bars and spinners only on a TTY.
 */
export class Terminal {
  constructor(
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  get interactive(): boolean {
    return Boolean(this.stderr.isTTY) && Boolean(process.stdin.isTTY);
  }

  paint(style: Style, text: string, stream: NodeJS.WriteStream = this.stdout): string {
    return styleText(style, text, { stream });
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  warn(message: string): void {
    this.stderr.write(`${this.paint('yellow', 'warning:', this.stderr)} ${message}\n`);
  }

  error(message: string, hint: string | null): void {
    this.stderr.write(`${this.paint('red', 'error:', this.stderr)} ${message}\n`);
    if (hint) this.stderr.write(`${this.paint('dim', 'hint:', this.stderr)} ${hint}\n`);
  }

  /** A table with a bold header row; plain characters off a TTY, so it pastes into tickets. */
  table(head: string[], rows: (string | number)[][]): string {
    const table = new Table({
      head: head.map((h) => this.paint('bold', h)),
      style: { head: [], border: [], compact: true },
      chars: this.stdout.isTTY ? {} : { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
    });
    for (const row of rows) table.push(row.map(String));
    return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
  }

  /** A byte-progress bar with speed on stderr; a no-op off a TTY. */
  progress(label: string, totalBytes: number): ByteProgress {
    if (!this.stderr.isTTY) return { update() {}, stop() {} };
    const bar = new cliProgress.SingleBar(
      {
        stream: this.stderr,
        format: `${label} {bar} {percentage}% | {done}/{size} | {speed}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
        forceRedraw: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = performance.now();
    const payload = (done: number) => ({ done: formatBytes(done), size: formatBytes(totalBytes), speed: `${formatBytes(done / Math.max(0.001, (performance.now() - started) / 1000))}/s` });
    bar.start(Math.max(1, totalBytes), 0, payload(0));
    return {
      update(done) {
        bar.update(Math.min(done, totalBytes), payload(done));
      },
      stop() {
        bar.stop();
      },
    };
  }

  /** A spinner on stderr while something runs; off a TTY, only the final line. */
  spinner(text: string): Ora {
    return ora({ text, stream: this.stderr, isEnabled: Boolean(this.stderr.isTTY) && !process.env.CI, color: 'cyan' }).start();
  }
}

export interface ByteProgress {
  update(doneBytes: number): void;
  stop(): void;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
