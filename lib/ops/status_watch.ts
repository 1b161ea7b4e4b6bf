/**
 * Prints the status once, or again every period until Ctrl-C (`--watch`), as
 * text or JSON; the exit code follows the last report.
 *
 * @module
 */
import { onStopSignals, sleep, writeStdout } from "../core/process.ts";
import { gatherStatus, type StatusOptions } from "./status.ts";
import { exitCode, type StatusReport } from "./status_report.ts";
import { renderStatus } from "./status_render.ts";

/** Refresh period of a bare `--watch` (seconds). */
export const WATCH_DEFAULT = "2";

/** True when `s` can be the value of `--watch` (`5`, `0.5`, `500ms`, `1m`). */
export function isWatchPeriod(s: string): boolean {
  return /^\d+(\.\d+)?(ms|s|m)?$/.test(s);
}

/** How {@link showStatus} prints. */
export interface ShowOptions {
  format: "text" | "json";
  /** Refresh period (ms); undefined prints once. */
  watchMs: number | undefined;
}

/** The text printed for one report. */
function reportText(report: StatusReport, show: ShowOptions): string {
  const watching = show.watchMs !== undefined;
  if (show.format === "json") {
    // Watching in JSON prints one compact document per line (NDJSON).
    return JSON.stringify(report, null, watching ? undefined : 2) + "\n";
  }
  const clear = watching && Deno.stdout.isTerminal() ? "\x1b[H\x1b[2J" : "";
  const footer = watching ? `\n(refreshing every ${show.watchMs! / 1000} s; Ctrl-C to stop)\n` : "";
  return clear + renderStatus(report) + footer + (clear ? "" : "\n");
}

async function printOnce(opts: StatusOptions, show: ShowOptions): Promise<number> {
  const report = await gatherStatus(opts);
  // `status | head` closes the pipe early; that is not an error.
  await writeStdout(reportText(report, show));
  return exitCode(report);
}

/**
 * Prints the status (once, or every `watchMs` until SIGINT/SIGTERM); returns
 * the exit code of the last report: 0 when every service is up.
 *
 * @example
 * ```ts
 * const code = await showStatus(opts, { format: "text", watchMs: 2000 });
 * ```
 */
export async function showStatus(opts: StatusOptions, show: ShowOptions): Promise<number> {
  if (show.watchMs === undefined) return await printOnce(opts, show);
  const stop = new AbortController();
  const dispose = onStopSignals(() => stop.abort());
  let code = 0;
  try {
    while (!stop.signal.aborted) {
      code = await printOnce(opts, show);
      await sleep(show.watchMs, stop.signal);
    }
  } finally {
    dispose();
  }
  return code;
}
