/**
 * A progress reporter for long-running tasks: a live, rewritten line on a
 * terminal, plain periodic lines when the output is piped or logged. It knows
 * nothing about what is counted; the caller renders the text.
 *
 * @module
 */

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Renders the current status, e.g. `sent 1,200 acked 1,100 (950/s)`. */
  render: (elapsedMs: number) => string;
  /** Whether to rewrite one line in place [stderr is a terminal]. */
  tty?: boolean;
  /** Refresh period [250 ms on a terminal, 5 s otherwise]. */
  intervalMs?: number;
  /** Where text goes [stderr]. */
  write?: (text: string) => void;
}

const encoder = new TextEncoder();

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** Periodically prints a status line; see the module doc. */
export class Progress {
  readonly #render: (elapsedMs: number) => string;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  readonly #write: (text: string) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #start = 0;
  #lastLength = 0;

  constructor(opts: ProgressOptions) {
    this.#render = opts.render;
    this.#tty = opts.tty ?? stderrIsTerminal();
    this.#intervalMs = opts.intervalMs ?? (this.#tty ? 250 : 5000);
    this.#write = opts.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
  }

  /** Whether the line is rewritten in place. */
  get tty(): boolean {
    return this.#tty;
  }

  /** Starts the periodic output. */
  start(): this {
    this.#start = performance.now();
    const timer = setInterval(() => this.tick(), this.#intervalMs);
    // Never keep the process alive just to print progress.
    Deno.unrefTimer(timer);
    this.#timer = timer;
    return this;
  }

  /** Prints the current status now. */
  tick(): void {
    const text = this.#render(performance.now() - this.#start);
    if (this.#tty) {
      // \r + erase line: rewrite in place; pad in case the terminal ignores the erase.
      const pad = " ".repeat(Math.max(0, this.#lastLength - text.length));
      this.#write(`\r\x1b[2K${text}${pad}`);
      this.#lastLength = text.length;
    } else {
      this.#write(`${text}\n`);
    }
  }

  /** Stops the output and clears the live line, so a summary can follow. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty && this.#lastLength > 0) this.#write("\r\x1b[2K");
    this.#lastLength = 0;
  }
}

/** Measures a rate over the interval since the previous call. */
export class RateMeter {
  #lastCount = 0;
  #lastTime = performance.now();
  #rate = 0;

  /** Rate per second of `count` since the previous call (smoothed over ≥ 200 ms). */
  update(count: number): number {
    const now = performance.now();
    const dt = now - this.#lastTime;
    if (dt >= 200) {
      this.#rate = ((count - this.#lastCount) * 1000) / dt;
      this.#lastCount = count;
      this.#lastTime = now;
    }
    return this.#rate;
  }
}

const numberFormat = new Intl.NumberFormat("en-US");

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  return numberFormat.format(Math.round(n));
}

/** `1536000` → `1.5 MB` (decimal units, as throughput is usually quoted). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** Milliseconds as `1.2s`, `2m03s` or `1h02m`. */
export function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
