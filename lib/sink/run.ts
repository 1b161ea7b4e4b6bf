/**
 * Runs a sink in the foreground of `deno task sink`: metrics endpoint,
 * SIGINT/SIGTERM, the live progress line above which messages are printed,
 * and the summary on stdout.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { onStopSignals } from "../core/process.ts";
import { Progress, RateMeter } from "../core/progress.ts";
import { createSink, type KafkaS3SinkOptions } from "./create.ts";
import { serveMetrics, sinkProgressLine, sinkSummaryLine } from "./metrics.ts";

/** Default `--workers`: one encode thread per core beside the consuming one, at least one. */
export function defaultWorkers(): number {
  return Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1);
}

/** What `deno task sink` asks for, validated. */
export interface SinkTaskOptions extends Omit<KafkaS3SinkOptions, "log" | "debug"> {
  /** Print one line per stored file. */
  verbose: boolean;
  /** Serve Prometheus metrics on this port of 127.0.0.1. */
  metricsPort: number | undefined;
}

/**
 * Runs the sink until it is stopped (signal) or idle and caught up; returns
 * the exit code. A second signal a second or more after the first quits at once.
 *
 * @example
 * ```ts
 * Deno.exitCode = await runSinkTask(loadConfig(), options);
 * ```
 */
export async function runSinkTask(cfg: Config, o: SinkTaskOptions): Promise<number> {
  // Messages go above the live progress line.
  let progress: Progress | undefined;
  const log = (line: string) => {
    progress?.stop();
    console.error(line);
    progress?.start();
  };
  const { verbose: _, metricsPort, ...options } = o;
  const sink = createSink(cfg, { ...options, log, debug: o.verbose ? log : undefined });
  const server = metricsPort === undefined
    ? undefined
    : serveMetrics(metricsPort, sink.stats, o.topic);

  let stoppingSince = 0;
  const removeSignals = onStopSignals(() => {
    // `deno task` forwards a group-wide signal, so one SIGTERM can arrive twice.
    if (stoppingSince && Date.now() - stoppingSince < 1000) return;
    if (stoppingSince) {
      console.error("stopping now; the unstored batch is not committed and will be replayed");
      Deno.exit(130);
    }
    stoppingSince = Date.now();
    log("stopping: storing and committing what is buffered… (again to quit at once)");
    sink.stop();
  });

  try {
    await sink.start();
  } catch (e) {
    await sink.stop();
    await server?.shutdown();
    removeSignals();
    throw e;
  }
  log(
    `sink: ${o.topic} → s3://${o.bucket}/${o.prefix}/ (group ${o.group})${
      metricsPort ? `, metrics on http://127.0.0.1:${metricsPort}/metrics` : ""
    }`,
  );
  const meter = new RateMeter();
  const s = sink.stats;
  progress = new Progress({
    intervalMs: Deno.stderr.isTerminal() ? 500 : 10_000,
    // Elapsed from the sink's start: log lines restart the progress timer.
    render: () => sinkProgressLine(s, meter, Date.now() - s.startedAt),
  }).start();

  await sink.done;
  progress.stop();
  progress = undefined;
  await server?.shutdown();
  removeSignals();
  console.log(sinkSummaryLine(s));
  return 0;
}
